/* float64 references of every op, as plain loops over dense row-major
 * arrays (the logical values of the inputs, whatever their layout). Each
 * also writes, where asked (mag != NULL), the per-element scale its
 * rounding error grows with; see registry.c for how it is used. Written
 * from the definitions in include/tessel/ops.h, never from backend code. */
#ifndef TESSEL_TESTS_CASES_REF_H
#define TESSEL_TESTS_CASES_REF_H

#include <stdint.h>

#include <tessel/tessel.h>

/* Elementwise. Binary broadcasts numpy-style: shapes are right-aligned and
 * padded to 4 dims; out has the broadcast shape. i32 follows integer rules
 * (division truncates toward zero, x / 0 = 0). */
void ref_binary(ts_binary_op op, int is_int, const double *a, const int64_t *ashape4,
                const double *b, const int64_t *bshape4, const int64_t *oshape4, double *out,
                double *mag);
/* The same over c64 (add, sub, mul): a, b and out hold (re, im) pairs;
 * mag (one per element) is |a| + |b| for add and sub, |a| |b| for mul. */
void ref_binary_c64(ts_binary_op op, const double *a, const int64_t *ashape4, const double *b,
                    const int64_t *bshape4, const int64_t *oshape4, double *out, double *mag);
/* Unary mag adds stat_k * (1 for log near 1, min(|x|, 1) where 1 + erf /
 * 1 + tanh cancel): f32 errors that are absolute, not relative. */
void ref_unary(ts_unary_op op, const double *x, int64_t n, double stat_k, double *out, double *mag);
void ref_scale_shift(const double *x, int64_t n, double a, double b, double *out, double *mag);
/* Gated linear units: out = act(a) * b over n elements, act by ts_glu_kind.
 * mag = |out| + stat_k min(|a|, 1) |b| for the activations ref_unary gives
 * an absolute f32 term (gelu_erf, silu): their error scaled by |b|. */
void ref_glu(ts_glu_kind kind, const double *a, const double *b, int64_t n, double stat_k,
             double *out, double *mag);

/* out[.., M, N] = a[.., M, K] b[.., K, N]; batch dims (4-d padded) broadcast. */
void ref_matmul(const double *a, const int64_t *ashape4, const double *b, const int64_t *bshape4,
                double *out, double *mag);
/* Causal depthwise conv: x [B, L, C], w [C, K], bias [C] or NULL. */
void ref_conv1d_causal(const double *x, int64_t batch, int64_t len, int64_t ch, const double *w,
                       int64_t k, const double *bias, double *out, double *mag);

/* Row ops over rows of n; m_rows is the size of the second-to-last dim
 * (the causal mask's M). */
void ref_softmax(const double *x, int64_t rows, int64_t m_rows, int64_t n, double scale, int causal,
                 double *out, double *mag);
void ref_reduce(ts_reduce_op op, const double *x, int64_t rows, int64_t n, double *out,
                double *mag);
void ref_argmax(const double *x, int64_t rows, int64_t n, double *out);
void ref_topk(const double *x, int64_t rows, int64_t n, int64_t k, double *values, double *indices);
/* LayerNorm's mag adds stat_k (|x| + |mean|) rstd |w|: the error of f32
 * statistics, which does not shrink with the output dtype (see cases_norm.c). */
void ref_layer_norm(const double *x, int64_t rows, int64_t n, const double *w, const double *b,
                    double eps, double stat_k, double *out, double *mag);
void ref_rms_norm(const double *x, int64_t rows, int64_t n, const double *w, double eps,
                  double *out, double *mag);

/* MoE building blocks (include/tessel/ops.h). offsets [E+1], expert and
 * rows [T, k], row_token [R] and stats [2E+2] hold integers. */
void ref_grouped_matmul(const double *x, int64_t r, int64_t k, const double *w, int64_t e,
                        int64_t n, const double *offsets, const double *bias, double *out,
                        double *mag);
void ref_moe_place(const double *expert, int64_t t, int64_t k, int64_t e, int64_t capacity,
                   int64_t r, double *rows, double *stats, double *row_token);
void ref_moe_combine(const double *h, int64_t r, int64_t d, const double *rows,
                     const double *gates, int64_t t, int64_t k, double *out, double *mag);

/* Indexing. */
void ref_gather_rows(const double *table, int64_t v, int64_t d, const double *idx, int64_t n,
                     double *out);
/* Partial sums of scatter_add_rows that leave f32's range become ±inf, as
 * the op's f32 accumulator in index order gives (ops.h). */
void ref_scatter_add_rows(const double *dst, int64_t v, int64_t d, const double *idx,
                          const double *src, int64_t n, double *out, double *mag);
/* out = concat of count inputs along dim; shapes are 4-d padded the same
 * way (leading 1s), dim counted in the padded shape. */
void ref_concat(const double *const *inputs, const int64_t (*shapes4)[4], int count, int dim4,
                double *out);

#endif
