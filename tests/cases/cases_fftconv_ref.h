/* float64 references of the long-convolution layers (cases_fftconv.c,
 * cases_hyena.c, cases_afno.c), written from ../shared/LAYERS.md as plain
 * loops: direct sums and direct DFTs, never an FFT. */
#ifndef TESSEL_TESTS_CASES_FFTCONV_REF_H
#define TESSEL_TESTS_CASES_FFTCONV_REF_H

#include <stdint.h>

/* y[b,c,t] = sum_{j <= t, j < lk} k[(b,)c,j] u[b,c,t-j] + d[c] u[b,c,t];
 * u [B, C, L], k [C, LK] or (k_batched) [B, C, LK] of which the first lk
 * taps are used, d [C] or NULL. mag (may be NULL) is the error scale of an
 * FFT-based result: lg * (sum_j |k_j u_{t-j}| + |k|_2 |u|_2 / sqrt(L)) +
 * |d u|, the norms over the row: FFT rounding is spread over the whole
 * row, and grows like lg = log2(n) (n the transform length). */
void ref_fftconv(const double *u, int64_t b, int64_t c, int64_t l, const double *k, int64_t lk_stride,
                 int64_t lk, int k_batched, const double *d, double lg, double *out, double *mag);

/* Hyena (LAYERS.md): x [B, L, d], order n, weights as ts_hyena_params
 * (filters [n-1, d, lh], filters[o] used at loop step o), NULL for absent
 * optional ones. mag: the same pipeline on absolute values, with each
 * long convolution's FFT term (lg, as ref_fftconv's). */
typedef struct ref_hyena_w {
    int n;
    int64_t lh;
    const double *in_w, *in_b, *short_w, *short_b, *filters, *d_skip, *out_w, *out_b;
} ref_hyena_w;
void ref_hyena(const double *x, int64_t b, int64_t l, int64_t d, const ref_hyena_w *w, double lg,
               double *out, double *mag);

/* Hyena's implicit filter h [c, l] (ts_hyena_filter); hid the MLP width.
 * mag: the MLP on absolute values, |omega| per sin layer. */
typedef struct ref_hyena_filter_w {
    int64_t emb, hid, l_max;
    const double *w1, *b1, *w2, *b2, *w3, *b3, *w4, *omega;
} ref_hyena_filter_w;
void ref_hyena_filter(const ref_hyena_filter_w *w, int64_t c, int64_t l, double *h, double *mag);

/* AFNO2D (ts_afno2d): x [B, H, W, C] channels last, weights as
 * ts_afno2d_params ([2, nb, bs, hid], [2, nb, hid], [2, nb, hid, bs],
 * [2, nb, bs]); direct 2D DFTs (ortho). mag = |x| + lg * the RMS over
 * (h, w) that the MLP on absolute values gives channel c. */
typedef struct ref_afno_w {
    int64_t nb, hid, keep_h, keep_w;
    double lambda;
    const double *w1, *b1, *w2, *b2;
} ref_afno_w;
void ref_afno2d(const double *x, int64_t b, int64_t h, int64_t w, int64_t c, const ref_afno_w *p,
                double lg, double *out, double *mag);

#endif
