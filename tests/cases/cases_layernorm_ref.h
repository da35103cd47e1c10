/* float64 references shared by the normalization-layer families
 * (cases_layernorm_*.c), plain loops over row-major data. Each reference
 * also returns, per output element, the scale its rounding error grows with
 * (the `mag` tsc_check takes), propagated from the inputs' scales so that a
 * chain of ops stored in f16/bf16 between steps is judged fairly: a value v
 * with scale a may be off by tol * a; the next step turns that into its own
 * scale. */
#ifndef TESSEL_TESTS_CASES_LAYERNORM_REF_H
#define TESSEL_TESTS_CASES_LAYERNORM_REF_H

#include <stdint.h>

/* Row norms over rows x d values s with error scales a (>= |s|); w, b
 * ([d], NULL: absent). rms = 0: LayerNorm (population variance, eps inside
 * the root); rms = 1: RMSNorm (b ignored). */
void tsc_ln_norm_rows(int rms, int64_t rows, int64_t d, const double *s, const double *a,
                      const double *w, const double *b, double eps, double *y, double *mag);

/* y[rows, n] = x[rows, k] . w[k, n] + b[n] (b NULL: none); scales
 * ya = sum_k xa |w| + |b|. xa NULL: |x|. */
void tsc_ln_linear(int64_t rows, int64_t k, int64_t n, const double *x, const double *xa,
                   const double *w, const double *b, double *y, double *ya);

/* y = act(h) for TS_RELU2 or TS_GELU_ERF, with propagated scales. */
void tsc_ln_activation(int act, int64_t n, const double *h, const double *ha, double *y,
                       double *ya);

/* Causal depthwise conv over [batch, len, c]: y[b,t,c] = sum_j w[c,j] *
 * p[b,t-j,c] for j < k, zero before t = 0. */
void tsc_ln_dconv(int64_t batch, int64_t len, int64_t c, int64_t k, const double *p,
                  const double *pa, const double *w, double *y, double *ya);

#endif
