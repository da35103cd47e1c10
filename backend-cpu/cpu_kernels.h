/* The table of inner kernels the op files call: one table per SIMD level
 * (scalar, AVX2, AVX-512, NEON), picked once per device from the run-time
 * feature detection. Every kernel works on contiguous f32 (or 16-bit
 * storage) arrays; strides, dtypes and threading stay in the op files, so a
 * new SIMD level only fills this table. Outputs may alias an input exactly
 * (y == x), never partially. */
#ifndef TESSEL_BACKEND_CPU_KERNELS_H
#define TESSEL_BACKEND_CPU_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "backend-cpu/cpu_features.h"

/* Storage of the K / V rows the decode kernels read. */
enum { TSI_KV_F32 = 0, TSI_KV_F16, TSI_KV_BF16 };

typedef struct tsi_cpu_kernels {
    tsi_cpu_simd level;

    void (*f16_to_f32)(const uint16_t *src, float *dst, size_t n);
    void (*f32_to_f16)(const float *src, uint16_t *dst, size_t n);
    void (*bf16_to_f32)(const uint16_t *src, float *dst, size_t n);
    void (*f32_to_bf16)(const float *src, uint16_t *dst, size_t n);

    /* kind: ts_unary_op or TSI_UNARY_SCALE_SHIFT (y = alpha*x + beta);
     * TSI_UNARY_COPY is the caller's business. */
    void (*unary)(int kind, const float *x, float *y, size_t n, float alpha, float beta);
    /* kind: ts_binary_op. */
    void (*binary)(int kind, const float *a, const float *b, float *y, size_t n);

    /* Reductions accumulate blocks in f32 vectors and the block sums in
     * f64, so long rows keep their precision. */
    float (*sum)(const float *x, size_t n);
    float (*max)(const float *x, size_t n); /* n >= 1 */
    float (*min)(const float *x, size_t n); /* n >= 1 */
    /* sum of (x - c)^2 */
    float (*sumsq)(const float *x, size_t n, float c);
    /* y = exp(scale*x - shift); returns sum y */
    float (*exp_sum)(const float *x, float *y, size_t n, float scale, float shift);
    /* One online-softmax step of an attention score row (tiled attention):
     * m' = max(*m, x[0..vis)), x[c] = exp(x[c] - m') (c < vis; shift 0
     * while m' is -inf), 0 for vis <= c < n; *l = alpha * *l + sum, *m =
     * m', o[0..no) *= alpha where alpha = exp(m - m'). NaN scores are left
     * out of the max. */
    void (*softmax_step)(float *x, size_t vis, size_t n, float *m, float *l, float *o, size_t no);
    /* y = a*x + f */
    void (*axpy)(float a, const float *x, const float *f, float *y, size_t n);
    /* y += w * x (elementwise) */
    void (*mul_acc)(const float *w, const float *x, float *y, size_t n);
    /* y = (x - mean) * rstd * w + b; w, b may be NULL (1 and 0) */
    void (*norm_apply)(const float *x, const float *w, const float *b, float *y, size_t n,
                       float mean, float rstd);

    /* GEMM micro-kernel on packed panels: a is k x mr (mr values per step),
     * b is k x nr; c[i*ldc + j] = (acc ? c : 0) + sum_p a[p*mr+i]*b[p*nr+j]
     * for a full mr x nr tile. */
    int gemm_mr, gemm_nr;
    void (*gemm_micro)(size_t k, const float *a, const float *b, float *c, size_t ldc, int acc);
    /* The same for the first `rows` (1 <= rows <= mr) rows only. */
    void (*gemm_micro_rows)(size_t k, const float *a, const float *b, float *c, size_t ldc, int acc,
                            int rows);
    /* One panel for it, w = mr (A) or nr (B) wide, k deep:
     * dst[p*w + q] = q < n ? (trans ? src[q*ld + p] : src[p*ld + q]) : 0. */
    void (*gemm_pack)(const float *src, size_t ld, int trans, size_t n, size_t k, size_t w,
                      float *dst);
    /* The trans case of it from 16-bit src (f16, or bf16 when bf16 != 0):
     * dst[p*w + q] = q < n ? widen(src[q*ld + p]) : 0. */
    void (*gemm_pack16)(const uint16_t *src, size_t ld, int bf16, size_t n, size_t k, size_t w,
                        float *dst);
    /* Tiled attention's P.V tile: c[i*ldc + j] += sum_p a[i*lda + p] *
     * b[p*gemm_nr + j], i < gemm_mr, j < gemm_nr: the micro-kernel with A
     * read row-major in place (b: a packed B panel). */
    void (*attn_pv_tile)(size_t k, const float *a, size_t lda, const float *b, float *c,
                         size_t ldc);

    /* The FFT's kernels (backend-cpu/cpu_fft.h). */
    const struct tsi_cpu_fft_kernels *fft;
    /* Direct causal convolution: y[t] = sum_{j <= min(t, kn-1)} k[j] u[t-j]
     * for t in [t0, t1), u readable on [0, t1). */
    void (*long_conv)(const float *u, const float *k, int64_t kn, float *y, int64_t t0, int64_t t1);

    /* Flash-decoding (cpu_attention_decode.c) and the skinny 16-bit GEMM
     * (cpu_gemm16_skinny.c). K / V rows are stored as
     * fmt (TSI_KV_*) and widened in registers; nr is a multiple of 4.
     * attn_qk: s[r*lds + c] = sum_x q[r*d + x] * k[c*ks + x], c < nk.
     * attn_pv: o[r*ldo + x] += sum_c p[r*ldp + c] * v[c*vs + x], x < dv. */
    void (*attn_qk)(int fmt, const void *k, size_t ks, size_t nk, const float *q, size_t nr,
                    size_t d, float *s, size_t lds);
    void (*attn_pv)(int fmt, const void *v, size_t vs, size_t nk, const float *p, size_t ldp,
                    size_t nr, size_t dv, float *o, size_t ldo);
} tsi_cpu_kernels;

/* The table for a level; a level this build lacks falls back to scalar. */
const tsi_cpu_kernels *tsi_cpu_kernels_for(tsi_cpu_simd level);

/* Provided by the variant files that this build compiles. */
extern const tsi_cpu_kernels tsi_cpu_kernels_scalar;
#if defined(__x86_64__)
extern const tsi_cpu_kernels tsi_cpu_kernels_avx2;
extern const tsi_cpu_kernels tsi_cpu_kernels_avx512;
#endif
#if defined(__aarch64__)
extern const tsi_cpu_kernels tsi_cpu_kernels_neon;
#endif

#endif
