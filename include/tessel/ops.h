/* tessel — op set v1.
 *
 * Every op writes into output tensors the caller created (explicit
 * ownership); outputs must live on the same device as the inputs and must
 * not overlap them. Inputs may be any view. Elementwise ops (binary, unary,
 * scale_shift, cast, copy, glu) also accept strided (non-broadcast) output views;
 * every other op needs contiguous outputs. Float ops compute in f32 whatever
 * the storage dtype (f16 and bf16 are rounded to nearest-even on store).
 * Calls validate, record the work and return; reading a tensor waits.
 *
 * Special values follow one policy on every backend (docs/numerics.md):
 * NaN propagates through arithmetic, max/min, reductions, norms and
 * activations (IEEE 754-2019 maximum/minimum, like numpy and PyTorch);
 * argmax and top-k rank NaN above every number; a softmax row with no
 * finite logit (all -inf) gives zeros; +-inf, -0.0, f16 overflow to inf
 * and subnormals behave as IEEE f32 arithmetic gives them. Scalar
 * arguments (scale, a, b, alpha, eps) must be finite; eps > 0. */
#ifndef TESSEL_OPS_H
#define TESSEL_OPS_H

#include "tessel/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- elementwise ------------------------------------------------------ */

typedef enum ts_binary_op {
    TS_ADD = 0, TS_SUB, TS_MUL, TS_DIV, TS_MAX, TS_MIN
} ts_binary_op;
#define TS_BINARY_COUNT 6

/* out = a (op) b with numpy broadcasting; out has the broadcast shape.
 * max/min: NaN if either operand is NaN, else a > b ? a : b (a < b ? a : b),
 * so the sign of max(-0, +0) follows the operand order.
 * All three share one dtype (f32, f16, bf16, i32; c64 for add, sub, mul,
 * the complex product computed in f32 parts). i32 division truncates
 * toward zero; dividing by zero gives 0. */
TS_API ts_status ts_binary(ts_binary_op op, const ts_tensor *a, const ts_tensor *b,
                           ts_tensor *out);

typedef enum ts_unary_op {
    TS_NEG = 0,
    TS_ABS,
    TS_EXP,
    TS_LOG,
    TS_SQRT,
    TS_RSQRT,
    TS_TANH,
    TS_SIGMOID,
    TS_RELU,
    TS_RELU2 /* max(x,0)^2 */,
    TS_GELU_ERF,
    TS_GELU_TANH,
    TS_SILU,
    TS_SIN,
    TS_COS /* radians; f32 accurate to ~1e-7 absolute for |x| < 1e5 */
} ts_unary_op;
#define TS_UNARY_COUNT 15

/* out = op(x); same shape and dtype. i32 allows neg, abs, relu, relu2;
 * c64 none (see ts_binary, ts_cast). relu(NaN) = NaN, relu(-0) = +0;
 * gelu and silu at -inf are NaN (-inf * 0 in their definitions). */
TS_API ts_status ts_unary(ts_unary_op op, const ts_tensor *x, ts_tensor *out);
/* out = a*x + b (float dtypes); a and b finite. */
TS_API ts_status ts_scale_shift(const ts_tensor *x, float a, float b, ts_tensor *out);
/* out = x converted to out's dtype (float→i32 truncates toward zero;
 * c64→f32/f16/bf16 keeps the real part, f32/f16/bf16→c64 gives (x, 0);
 * i32↔c64 is TS_ERR_DTYPE). */
TS_API ts_status ts_cast(const ts_tensor *x, ts_tensor *out);
/* out = x, same dtype and shape; x may be any view, out any writable view. */
TS_API ts_status ts_copy(const ts_tensor *x, ts_tensor *out);

/* Gated linear units, the activations of gated feed-forward blocks and MoE
 * experts (Dauphin et al. 2017; Shazeer 2020, "GLU Variants Improve
 * Transformer"): a is the gate projection, b the value projection. */
typedef enum ts_glu_kind {
    TS_GLU_SIGMOID = 0, /* GLU:    act(x) = 1 / (1 + exp(-x)) */
    TS_GLU_RELU,        /* ReGLU:  act(x) = max(x, 0) */
    TS_GLU_GELU,        /* GEGLU:  act(x) = x/2 (1 + erf(x / sqrt 2)), as TS_GELU_ERF */
    TS_GLU_SILU         /* SwiGLU: act(x) = x / (1 + exp(-x)) */
} ts_glu_kind;
#define TS_GLU_COUNT 4

/* out = act(a) * b, elementwise. a, b and out share one float dtype (f32,
 * f16, bf16) and one shape (no broadcasting); a and b may be any view, out
 * any writable view overlapping neither. act is computed in f32; where the
 * device has no fused kernel (today: every device) the op runs as
 * ts_unary into a temporary of the op's dtype, then ts_binary TS_MUL, so an
 * f16/bf16 result is rounded twice (act(a), then the product), and the call
 * is counted by ts_device_fallback_count. */
TS_API ts_status ts_glu(ts_glu_kind kind, const ts_tensor *a, const ts_tensor *b, ts_tensor *out);

/* ---- linear algebra ---------------------------------------------------- */

/* out[..., M, N] = a[..., M, K] · b[..., K, N]. Batch dims broadcast (numpy
 * rules). Transposed operands are transpose views (ts_tensor_transpose).
 * Float dtypes, one dtype for all three; f32 accumulation. */
TS_API ts_status ts_matmul(const ts_tensor *a, const ts_tensor *b, ts_tensor *out);

/* Grouped GEMM (mixture of experts): E row groups of x times E matrices,
 * one call for all groups. x [R, K], w [E, K, N], offsets i32 [E + 1],
 * bias [E, N] or NULL, out [R, N]; x, w, bias and out share one float
 * dtype; f32 accumulation. Group e is rows offsets[e] .. offsets[e+1]-1:
 *   out[r, :] = x[r, :] . w[e] + bias[e]   for r in group e,
 *   out[r, :] = 0                          for r >= offsets[E].
 * The offsets are read on the device when the work runs (no sync): their
 * values are the caller's promise (0 = offsets[0] <= offsets[1] <= ... <=
 * offsets[E] <= R). Values that break it give unspecified rows but never
 * an out-of-bounds access: offsets[0] counts as 0 and each later offset is
 * clamped into [previous offset, R]. */
TS_API ts_status ts_grouped_matmul(const ts_tensor *x, const ts_tensor *w, const ts_tensor *offsets,
                                   const ts_tensor *bias, ts_tensor *out);

/* Mixture-of-experts dispatch around ts_grouped_matmul (the building blocks
 * of ts_moe_ffn, include/tessel/moe.h, for callers with their own experts):
 *   ts_moe_place(expert, E, C, rows, stats, row_token)
 *   ts_gather_rows(x, row_token, xs)            rows in expert order
 *   ts_grouped_matmul(xs, w, offsets = stats[0 .. E], bias, h)
 *   ts_moe_combine(h, rows, gates, y)           back in token order
 *
 * ts_moe_place: deterministic capacity placement, identical on every
 * device. Claim order is every token's choice 0 in token order, then
 * every choice 1, ...; a choice is kept iff fewer than C earlier choices
 * took its expert (capacity C < 0: unlimited).
 *   expert    i32 [T, k], k >= 1: choice c of token t at [t, c]; a value
 *             outside [0, E) is dropped (never an out-of-bounds write);
 *   n_experts E >= 1;
 *   rows      i32 [T, k] out: the row of each kept choice in expert order
 *             (offsets[e] + its position among e's choices), -1 dropped;
 *   stats     i32 [2E + 2] out: [0 .. E] offsets, the exclusive prefix sum
 *             of kept counts (stats[E] = rows kept); [E+1+e] tokens whose
 *             choice 0 is e, before dropping; [2E+1] dropped choices;
 *   row_token i32 [R] out: the token of each row, -1 at and past stats[E];
 *             R >= T*k, or R >= E*C when that is smaller. */
TS_API ts_status ts_moe_place(const ts_tensor *expert, int n_experts, int64_t capacity,
                              ts_tensor *rows, ts_tensor *stats, ts_tensor *row_token);
/* ts_moe_combine: y[t, :] = sum over c = 0 .. k-1, in that order, of
 * gates[t, c] * h[rows[t, c], :], skipping rows outside [0, R) (dropped
 * choices); a token with no kept choice gets zeros. h [R, D] (f32, f16,
 * bf16), rows i32 [T, k], gates f32 [T, k], y [T, D] in h's dtype,
 * contiguous; f32 accumulation. */
TS_API ts_status ts_moe_combine(const ts_tensor *h, const ts_tensor *rows, const ts_tensor *gates,
                                ts_tensor *y);

/* ---- row ops (over the last dim, or any dim with the *_dim forms) ------ */

/* out = softmax(scale * x) over the last dim; scale finite. With causal !=
 * 0, element (r, c) of each trailing [M, N] matrix is masked unless c <=
 * r + (N - M) (bottom-right aligned); a fully masked row, or one whose
 * every kept logit is -inf, gives zeros; a row with a NaN gives NaN (and
 * one with +inf NaN too: exp(inf - inf)). */
TS_API ts_status ts_softmax(const ts_tensor *x, float scale, int causal, ts_tensor *out);

typedef enum ts_reduce_op { TS_REDUCE_SUM = 0, TS_REDUCE_MEAN, TS_REDUCE_MAX } ts_reduce_op;

/* out[..., 1] = reduce(x[..., n]); same dtype as x (mean: float only).
 * Empty rows: sum 0, mean and max TS_ERR_SHAPE. A NaN in a row makes its
 * sum, mean and max NaN. */
TS_API ts_status ts_reduce(ts_reduce_op op, const ts_tensor *x, ts_tensor *out);
/* out[..., 1] (i32) = index of the largest element; ties to the lower
 * index; NaN ranks above every number (the first NaN wins). */
TS_API ts_status ts_argmax(const ts_tensor *x, ts_tensor *out);
/* values[..., k], indices[..., k] (i32): the k largest, in descending order,
 * ties to the lower index; NaNs rank first (PyTorch's order). 1 <= k <= n. */
TS_API ts_status ts_topk(const ts_tensor *x, int k, ts_tensor *values, ts_tensor *indices);

/* The same along any dim (negative counts from the end), out shaped like x
 * with that dim n (softmax, no causal mask), 1 (reduce, argmax: keepdim) or
 * k (topk); outputs may be any writable views. No copy by the caller:
 * dim = -1 runs the op above; another dim composes it in core with one
 * internal copy of x and of the result (core/op_dim.c). */
TS_API ts_status ts_softmax_dim(const ts_tensor *x, int dim, float scale, ts_tensor *out);
TS_API ts_status ts_reduce_dim(ts_reduce_op op, const ts_tensor *x, int dim, ts_tensor *out);
TS_API ts_status ts_argmax_dim(const ts_tensor *x, int dim, ts_tensor *out);
TS_API ts_status ts_topk_dim(const ts_tensor *x, int dim, int k, ts_tensor *values,
                             ts_tensor *indices);

/* ---- indexing ----------------------------------------------------------- */

/* Along dim 0 of a table of any rank: out[i..., j...] = table[idx[i...],
 * j...]; table [V, D...] (1 to 4 dims), idx i32, out idx.shape +
 * table.shape[1:] (at most 4 dims). An index outside [0, V) gives a zero
 * row. Values are copied bit for bit (NaN payloads, -0). */
TS_API ts_status ts_gather_rows(const ts_tensor *table, const ts_tensor *idx, ts_tensor *out);
/* Along any dim (torch.index_select; numpy take with a 1-d index and an
 * axis): idx i32 [n], out shaped like x with dim replaced by n,
 *   out[..., i, ...] = x[..., idx[i], ...]
 * an index outside [0, x.shape[dim]) gives zeros there. out any writable
 * view. dim 0 runs ts_gather_rows; another dim composes it in core with
 * one internal copy of x and of the result. */
TS_API ts_status ts_gather(const ts_tensor *x, int dim, const ts_tensor *idx, ts_tensor *out);
/* dst[idx[i], :] += src[i, :] for every i, in index order; dst [V, D],
 * idx i32 [N], src [N, D]. An index outside [0, V) is skipped. Each
 * element sums in f32 (i32: wrapping) from dst's value, rounded to dst's
 * dtype once: the same order on every device, so the same overflow (a
 * partial sum past f32's range stays inf). */
TS_API ts_status ts_scatter_add_rows(ts_tensor *dst, const ts_tensor *idx, const ts_tensor *src);

/* out = concat(inputs, dim); all inputs share dtype, device and every other
 * dim. */
TS_API ts_status ts_concat(const ts_tensor *const *inputs, int count, int dim, ts_tensor *out);

/* ---- normalization ------------------------------------------------------- */

/* LayerNorm over the last dim: (x - mean) / sqrt(var + eps) * weight + bias,
 * population variance, statistics in f32. weight and bias ([n], x's dtype)
 * may be NULL. */
TS_API ts_status ts_layer_norm(const ts_tensor *x, const ts_tensor *weight,
                               const ts_tensor *bias, float eps, ts_tensor *out);
/* RMSNorm: x / sqrt(mean(x^2) + eps) * weight; weight may be NULL. */
TS_API ts_status ts_rms_norm(const ts_tensor *x, const ts_tensor *weight, float eps,
                             ts_tensor *out);

/* ---- convolution --------------------------------------------------------- */

/* Causal depthwise conv along the sequence: x [B, L, C] (or [L, C]),
 * w [C, K] with 1 <= K <= 8, bias [C] or NULL, out like x:
 *   out[b, t, c] = bias[c] + sum_{j<K} w[c, j] * x[b, t - j, c]
 * with x = 0 before t = 0 (w[c, 0] multiplies the current step). */
TS_API ts_status ts_conv1d_causal(const ts_tensor *x, const ts_tensor *w,
                                  const ts_tensor *bias, ts_tensor *out);

#ifdef __cplusplus
}
#endif
#endif
