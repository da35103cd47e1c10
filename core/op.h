/* The op descriptor core hands to a backend's supports() and record().
 *
 * Core normalizes every view before a backend sees it:
 *  - every view has exactly 4 dims (shape left-padded with 1s, stride 0 for
 *    the padding) and element strides; offset is in elements;
 *  - elementwise inputs are already broadcast to the output shape (stride 0
 *    on broadcast dims), so a backend indexes inputs and output with the
 *    same 4-d index;
 *  - inputs of the row ops (softmax, reduce, argmax, topk, norm, gather,
 *    scatter-add, conv1d) and every non-elementwise output are contiguous;
 *  - no op is recorded with zero elements in any output (core skips it).
 * A view's buffer is never NULL, except optional inputs, marked below. */
#ifndef TESSEL_CORE_OP_H
#define TESSEL_CORE_OP_H

#include <stdint.h>

#include "tessel/ops.h"

typedef struct tsi_buffer tsi_buffer;

typedef struct tsi_view {
    tsi_buffer *buf; /* NULL: optional input absent */
    int64_t offset;  /* elements */
    ts_dtype dtype;
    int64_t shape[4];
    int64_t stride[4]; /* elements; 0 on broadcast dims */
} tsi_view;

typedef enum tsi_op_code {
    /* in[0] x, out[0] y: y = f(x) elementwise over the 4-d index; x and y
     * may be strided. p.unary. Kinds are ts_unary_op values plus
     * TSI_UNARY_COPY (identity; with differing dtypes it is a cast) and
     * TSI_UNARY_SCALE_SHIFT (y = alpha*x + beta). */
    TSI_OP_UNARY = 0,
    /* in[0] a, in[1] b, out[0] y, same dtype; p.binary.kind = ts_binary_op. */
    TSI_OP_BINARY,
    /* in[0] a [B0,B1,M,K], in[1] b [B0,B1,K,N], out[0] c [B0,B1,M,N].
     * a and b may be strided in every dim (batch stride 0 = broadcast,
     * transposes show as swapped strides); c is contiguous. */
    TSI_OP_MATMUL,
    /* in[0] x, out[0] y, both [.., .., M, N] contiguous. p.softmax:
     * y = softmax(scale * x) per row; causal masks (r, c) unless
     * c <= r + (N - M), r being the row index within the trailing M. */
    TSI_OP_SOFTMAX,
    /* in[0] x [.., .., .., n], out[0] [.., .., .., 1]. p.reduce.kind:
     * TSI_REDUCE_SUM / MEAN / MAX (out dtype = x dtype) or TSI_REDUCE_ARGMAX
     * (out i32; ties to the lower index). */
    TSI_OP_REDUCE,
    /* in[0] x [.., n], out[0] values [.., k], out[1] indices i32 [.., k];
     * descending, ties to the lower index. p.topk.k. */
    TSI_OP_TOPK,
    /* in[0] table [1,1,V,D], in[1] idx i32 [1,1,1,N], out[0] [1,1,N,D].
     * Index outside [0, V) → zero row. */
    TSI_OP_GATHER_ROWS,
    /* in[0] idx i32 [1,1,1,N], in[1] src [1,1,N,D], out[0] dst [1,1,V,D]
     * read-modify-write: dst[idx[i]] += src[i] in order of i (deterministic:
     * a backend must not depend on float atomics' order). */
    TSI_OP_SCATTER_ADD_ROWS,
    /* in[0] x [.., n]; in[1] residual f [.., n] or NULL; in[2] weight [n] or
     * NULL; in[3] bias [n] or NULL (layer norm only); out[0] y [.., n];
     * out[1] s [.., n] or NULL. p.norm:
     *   s = f ? alpha*x + f : x       (alpha is 1 for plain norms)
     *   y = norm(s) * weight + bias   with f32 statistics (LayerNorm:
     *   two-pass mean and population variance; RMSNorm: mean of squares). */
    TSI_OP_NORM,
    /* in[0] x [1,B,L,C], in[1] w [1,1,C,K], in[2] bias [1,1,1,C] or NULL,
     * out[0] y [1,B,L,C]: y[b,t,c] = bias[c] + sum_j w[c,j]*x[b,t-j,c]. */
    TSI_OP_CONV1D_CAUSAL,
    /* Tiled attention (layers/attention). B, Hq, Hkv, Lq, Lk, D below;
     * Hq is a multiple of Hkv and query head h reads kv head h / (Hq/Hkv).
     *   in[0] q [B,Hq,Lq,D], in[1] k [B,Hkv,Lk,D], in[2] v [B,Hkv,Lk,D]:
     *         contiguous, one float dtype; 1 <= D <= 256, Lk >= 1;
     *   in[3] bias [B,Hq,Lq,Lk] in q's dtype, or NULL: additive, any strides
     *         (stride 0 on broadcast dims, so index it with all four);
     *   in[4] key mask i32 [B,1,1,Lk] or NULL: key c of batch b is masked
     *         when mask == 0; any strides (0 on a broadcast batch);
     *   in[5] gate [B,Hq,Lq,D] in q's dtype, contiguous, or NULL;
     *   out[0] o [B,Hq,Lq,D] in q's dtype, contiguous;
     *   out[1] lse f32 [B,Hq,Lq,1] contiguous, or NULL.
     *   in[6] key_len i32 [B] contiguous, or NULL (every key valid);
     *   v, o and gate have their own last dim Dv (1 <= Dv <= 256).
     * p.attention: S = scale*q.k^T, then S = softcap*tanh(S/softcap) when
     * softcap > 0, then S += bias. With kl = key_len[b] (or Lk) and
     * off = kl - Lq (align BOTTOM_RIGHT) or p.offset (align OFFSET; core
     * turns top-left into offset 0), key c is visible to query r iff
     * c < kl, unmasked, and, with causal, c <= r + off, and, with
     * window w > 0 (core sets causal too), c > r + off - w. Core bounds
     * them without changing what is visible: |offset| <= Lk + Lq + 1 and
     * window <= Lk + Lq + 1, so kernels may add them to indices in 32
     * bits. key_len values are read on the device and clamped to 0..Lk.
     * o = softmax(S over visible keys) . v, then o *= sigmoid(gate);
     * lse = ln sum exp(S).
     * A row that sees no key gives o = 0 and lse = -inf. Accumulate in f32.
     * Tile sizes are the backend's own plan (tsi_kernel.plan). */
    TSI_OP_ATTENTION,
    /* in[0] a, in[1] b, out[0] y: one float dtype, one 4-d shape (a and b
     * are never broadcast), any strides. p.glu.kind = ts_glu_kind:
     * y = act(a) * b with act (sigmoid, relu, gelu_erf, silu) in f32.
     * No backend has a kernel: core runs its fallback (core/op_glu.c). */
    TSI_OP_GLU,
    /* FFT along the last dim, batched over the other three (layers/longconv,
     * core/op_fft.c). in[0] x, out[0] y, both contiguous. p.fft: kind, n
     * (the transform length), inverse (C2C only: exponent sign +1) and
     * scale (multiplies every output; core folds the norm argument in).
     *   TSI_FFT_C2C: x c64 [.., m], y c64 [.., n]; m <= n, x zero-padded;
     *   TSI_FFT_R2C: x f32/f16/bf16 [.., m], m <= n, zero-padded;
     *                y c64 [.., n/2 + 1];
     *   TSI_FFT_C2R: x c64 [.., n/2 + 1] (the imaginary parts of bin 0 and,
     *                for even n, bin n/2 are ignored, as numpy does);
     *                y f32 [.., m], m <= n: the first m samples of the
     *                length-n real inverse.
     * Unscaled sums; y = scale * sum_j x_j exp(-+2 pi i j k / n). A backend
     * may decline any length (e.g. one with a prime factor above 7): core
     * then runs Bluestein and the real transforms as compositions. */
    TSI_OP_FFT,
    /* Direct causal long convolution, channels first (ts_fftconv's direct
     * path). in[0] u [1,B,C,L], in[1] k [1,Bk,C,K] with Bk = 1 or B,
     * in[2] d [1,1,1,C] or NULL, out[0] y [1,B,C,L], one float dtype, all
     * contiguous: y[b,c,t] = sum_{j <= min(t, K-1)} k[b|0,c,j] u[b,c,t-j]
     * + d[c] u[b,c,t], accumulated in f32. */
    TSI_OP_CONV1D_LONG,
    /* Grouped GEMM (layers/moe): E row groups times E weight matrices.
     * in[0] x [1,1,R,K], in[1] w [1,E,K,N], in[2] offsets i32 [1,1,1,E+1]
     * (group e is rows offsets[e] .. offsets[e+1]-1; 0 = offsets[0] <= ...
     * <= offsets[E] <= R), in[3] bias [1,1,E,N] or NULL; out[0] y [1,1,R,N];
     * one float dtype, contiguous, f32 accumulation; E >= 1, K >= 1. Rows at
     * and past offsets[E] are written as zeros. The offsets are read on the
     * device and are the caller's promise: every backend reads them as
     * o[0] = 0, o[e] = min(max(offsets[e], o[e-1]), R), so bad values never
     * index out of bounds. p.grouped_matmul.max_rows bounds every group's
     * row count (R when the caller knows no better). */
    TSI_OP_GROUPED_MATMUL,
    /* MoE slot placement (layers/moe). Claim order is choice-major: every
     * token's choice 0 in token order, then every choice 1, and so on.
     * The position of choice (t, c) is the number of choices for the same
     * expert before it in claim order; it is kept iff position < capacity
     * (p.moe_place.capacity < 0: unlimited). E = p.moe_place.n_experts,
     * k = p.moe_place.k.
     *   in[0]  expert i32 [1,1,T,k], values in [0, E); a value outside is
     *          dropped (rows -1, counted in [2E+1], not in [E+1..2E]);
     *   out[0] rows i32 [1,1,T,k]: offsets[e] + position for a kept choice
     *          of expert e, -1 for a dropped one;
     *   out[1] stats i32 [1,1,1,2E+2]: [0..E] offsets (exclusive prefix sum
     *          of kept counts, offsets[E] = kept total); [E+1+e] the number
     *          of tokens whose choice 0 is e, before dropping; [2E+1] the
     *          number of dropped choices;
     *   out[2] row_token i32 [1,1,1,R], R >= offsets[E]: the token of each
     *          row (row_token[rows[t,c]] = t), -1 at and past offsets[E];
     *          absent (buf NULL) when R = 0 (capacity 0).
     * Deterministic and identical on every backend (no racing atomics). */
    TSI_OP_MOE_PLACE,
    /* MoE combine (layers/moe): in[0] h [1,1,R,D], in[1] rows i32 [1,1,T,k],
     * in[2] gates f32 [1,1,T,k], out[0] y [1,1,T,D]:
     * y[t] = sum_{c ascending} gates[t,c] * h[rows[t,c]], skipping rows
     * outside [0, R); f32 accumulation, h and y one float dtype. */
    TSI_OP_MOE_COMBINE,
    /* FFT causal long convolution, fused (ts_fftconv's FFT path on a
     * backend that has the kernel; the others run it as rfft, product and
     * irfft ops). Views as TSI_OP_CONV1D_LONG: in[0] u [1,B,C,L], in[1] k
     * [1,Bk,C,K] with Bk = 1 or B and K <= L, in[2] d [1,1,1,C] or NULL,
     * out[0] y [1,B,C,L], one float dtype, all contiguous. p.fftconv.n, the
     * transform length, is >= 2L - 1 with prime factors 2, 3, 5, 7 only
     * (the layer asks for an even one; a backend may decline any n):
     * y = irfft(rfft(u, n) . rfft(k, n))[:L] + d u, f32 math throughout. */
    TSI_OP_FFTCONV,
    TSI_OP_COUNT
} tsi_op_code;

enum {
    TSI_UNARY_COPY = TS_UNARY_COUNT,
    TSI_UNARY_SCALE_SHIFT,
    TSI_UNARY_KIND_COUNT
};

enum { TSI_REDUCE_SUM = 0, TSI_REDUCE_MEAN, TSI_REDUCE_MAX, TSI_REDUCE_ARGMAX };

enum { TSI_NORM_LAYER = 0, TSI_NORM_RMS };

enum { TSI_FFT_C2C = 0, TSI_FFT_R2C, TSI_FFT_C2R };
enum { TSI_ATTN_ALIGN_BOTTOM_RIGHT = 0, TSI_ATTN_ALIGN_OFFSET = 1 };

#define TSI_MAX_IN 7
#define TSI_MAX_OUT 3

/* A kernel's plan (tsi_kernel.plan in core/backend.h): what the backend
 * that owns the kernel chose for one op on one device. */
typedef struct tsi_plan {
    /* Kernel-defined tile sizes and shape (attention: query rows, keys per
     * step, workgroup width, key tiles per launch). */
    int32_t tile[4];
    /* Scratch the kernel needs; core allocates it for the op. */
    uint64_t workspace_bytes;
} tsi_plan;

typedef struct tsi_op {
    /* sizeof(tsi_op) as core was built: lets a backend built against
     * another layout refuse instead of misreading (tsi_backend.op_size). */
    uint32_t size;
    tsi_op_code code;
    int n_in, n_out; /* slots used, including absent optional ones */
    tsi_view in[TSI_MAX_IN];
    tsi_view out[TSI_MAX_OUT];
    union {
        struct { int kind; float alpha, beta; } unary;
        struct { int kind; } binary;
        struct { float scale; int causal; } softmax;
        struct { int kind; } reduce;
        struct { int k; } topk;
        struct { int kind; float eps; float alpha; } norm;
        struct { int k; } conv1d;
        struct {
            float scale, softcap; /* softcap 0: none */
            int causal;
            int align;      /* TSI_ATTN_ALIGN_* */
            int64_t offset; /* TSI_ATTN_ALIGN_OFFSET only */
            int64_t window; /* 0: none */
        } attention;
        struct { int kind; } glu;
        struct { int kind; int inverse; int64_t n; float scale; } fft;
        struct { int64_t max_rows; } grouped_matmul;
        struct { int64_t n; } fftconv;
        struct { int k; int n_experts; int64_t capacity; } moe_place;
    } p;
    /* Filled by core from the backend's plan hook before record; zeros
     * when the kernel has no plan. */
    tsi_plan plan;
    tsi_buffer *workspace; /* plan.workspace_bytes of scratch, or NULL */
} tsi_op;

#endif
