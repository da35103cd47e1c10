/* tessel — op set v1.
 *
 * Every op writes into output tensors the caller created (explicit
 * ownership); outputs must live on the same device as the inputs and must
 * not overlap them. Inputs may be any view. Elementwise ops (binary, unary,
 * scale_shift, cast, copy, glu) also accept strided (non-broadcast) output views;
 * every other op needs contiguous outputs. Float ops compute in f32 whatever
 * the storage dtype (f16 and bf16 are rounded to nearest-even on store).
 * Calls validate, record the work and return; reading a tensor waits. */
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
 * All three share one dtype (f32, f16, bf16, i32). i32 division truncates
 * toward zero; dividing by zero gives 0. */
TS_API ts_status ts_binary(ts_binary_op op, const ts_tensor *a, const ts_tensor *b,
                           ts_tensor *out);

typedef enum ts_unary_op {
    TS_NEG = 0, TS_ABS, TS_EXP, TS_LOG, TS_SQRT, TS_RSQRT, TS_TANH, TS_SIGMOID,
    TS_RELU, TS_RELU2 /* max(x,0)^2 */, TS_GELU_ERF, TS_GELU_TANH, TS_SILU
} ts_unary_op;
#define TS_UNARY_COUNT 13

/* out = op(x); same shape and dtype. i32 allows neg, abs, relu, relu2. */
TS_API ts_status ts_unary(ts_unary_op op, const ts_tensor *x, ts_tensor *out);
/* out = a*x + b (float dtypes). */
TS_API ts_status ts_scale_shift(const ts_tensor *x, float a, float b, ts_tensor *out);
/* out = x converted to out's dtype (float→i32 truncates toward zero). */
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

/* ---- row ops (over the last dim) -------------------------------------- */

/* out = softmax(scale * x) over the last dim. With causal != 0, element
 * (r, c) of each trailing [M, N] matrix is masked unless c <= r + (N - M)
 * (bottom-right aligned); a fully masked row gives zeros. */
TS_API ts_status ts_softmax(const ts_tensor *x, float scale, int causal, ts_tensor *out);

typedef enum ts_reduce_op { TS_REDUCE_SUM = 0, TS_REDUCE_MEAN, TS_REDUCE_MAX } ts_reduce_op;

/* out[..., 1] = reduce(x[..., n]); same dtype as x (mean: float only).
 * Empty rows: sum 0, mean and max TS_ERR_SHAPE. */
TS_API ts_status ts_reduce(ts_reduce_op op, const ts_tensor *x, ts_tensor *out);
/* out[..., 1] (i32) = index of the largest element; ties to the lower index. */
TS_API ts_status ts_argmax(const ts_tensor *x, ts_tensor *out);
/* values[..., k], indices[..., k] (i32): the k largest, in descending order,
 * ties to the lower index. 1 <= k <= n. */
TS_API ts_status ts_topk(const ts_tensor *x, int k, ts_tensor *values, ts_tensor *indices);

/* ---- indexing ----------------------------------------------------------- */

/* out[i..., :] = table[idx[i...], :]; table [V, D], idx i32 of 1-3 dims,
 * out idx.shape + [D]. An index outside [0, V) gives a zero row. */
TS_API ts_status ts_gather_rows(const ts_tensor *table, const ts_tensor *idx, ts_tensor *out);
/* dst[idx[i], :] += src[i, :] for every i, in index order; dst [V, D],
 * idx i32 [N], src [N, D]. An index outside [0, V) is skipped. */
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
