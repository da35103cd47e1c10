/* tessel — long-convolution layers: causal FFT convolution (ts_fftconv),
 * the Hyena operator and its implicit filter, and AFNO Fourier token
 * mixing (FourCastNet). The math is ../shared/LAYERS.md "Long convolution
 * and FFT"; docs/longconv.md explains the three fftconv plans, the
 * per-device crossovers and examples.
 *
 * Conventions shared by every function here:
 *  - every tensor of one call shares one float dtype (f32, f16, bf16) and
 *    one device; the math is f32 whatever the storage dtype;
 *  - inputs may be any views; outputs are contiguous tensors the caller
 *    created, overlapping no input;
 *  - temporaries are allocated on the device for the call and freed before
 *    it returns, on every path. */
#ifndef TESSEL_LONGCONV_H
#define TESSEL_LONGCONV_H

#include "tessel/fft.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- causal long convolution ------------------------------------------- */

/* How ts_fftconv computes. AUTO takes the device's plan (tuning keys
 * fftconv.*, docs/longconv.md) unless TESSEL_FFTCONV_PATH=direct|fft|matmul
 * is set; any other value forces that path for the call. */
typedef enum ts_fftconv_path {
    TS_FFTCONV_AUTO = 0,
    TS_FFTCONV_DIRECT, /* O(L * K) sums (one fused op; falls back to FFT) */
    TS_FFTCONV_FFT,    /* rfft of u and k, product, irfft keeping L samples */
    TS_FFTCONV_MATMUL  /* the DFTs as small dense GEMMs (FlashFFTConv style) */
} ts_fftconv_path;

typedef struct ts_fftconv_params {
    ts_fftconv_path path;
    /* Skip term [C] in u's dtype: y += D * u. NULL: none. */
    const ts_tensor *d;
} ts_fftconv_params;

TS_API void ts_fftconv_params_init(ts_fftconv_params *p);

/* y[b, c, t] = sum_{j <= t} k[(b,) c, j] u[b, c, t - j] + D[c] u[b, c, t]
 *   u   [B, C, L] or [C, L]    f32, f16 or bf16
 *   k   [C, Lk] or [B, C, Lk]  u's dtype; a filter longer than L is cut
 *                              to L (taps past L never reach an output),
 *                              a shorter one is zero-extended
 *   out like u, contiguous.
 * The FFT paths use a transform length n >= 2L - 1 whose prime factors
 * are 2, 3, 5, 7 (exact circular = linear convolution). params may be
 * NULL (AUTO, no D). */
TS_API ts_status ts_fftconv(const ts_tensor *u, const ts_tensor *k,
                            const ts_fftconv_params *params, ts_tensor *out);

/* The path AUTO takes on dev for sequences of L with filters of Lk taps
 * (environment override included), and the transform length n the FFT
 * paths use (0 for DIRECT). For benches and docs. */
TS_API ts_status ts_fftconv_choose(ts_device *dev, int64_t l, int64_t lk, ts_fftconv_path *path,
                                   int64_t *n);
/* "direct", "fft", "matmul", "auto"; "?" if invalid. */
TS_API const char *ts_fftconv_path_name(ts_fftconv_path path);

/* ---- Hyena (Poli et al. 2023) ------------------------------------------- */

/* Weights of one Hyena operator of order N >= 2 on width d:
 *   z = x . in_w + in_b                         [B, L, (N+1) d]
 *   z = causal depthwise conv, width 3, over all of z (short_w, short_b)
 *   x^0 .. x^{N-1}, v = z split in chunks of d channels (v last)
 *   for o = 0 .. N-2 (i = N-1-o):  v = v * x^i;
 *                                   v = fftconv(v, filters[o]) + d_skip[o] * v
 *   out = (v * x^0) . out_w + out_b
 * filters[o] is h^{N-1-o}: the filter of loop step o, the layout of the
 * Hyena code's rearrange('l (o d) -> o d l'), so ts_hyena_filter's output
 * [(N-1) d, L] reshaped to [N-1, d, L] plugs in as is. */
typedef struct ts_hyena_params {
    int order;                 /* N >= 2 */
    const ts_tensor *in_w;     /* [d, (N+1) d] */
    const ts_tensor *in_b;     /* [(N+1) d] or NULL */
    const ts_tensor *short_w;  /* [(N+1) d, 3]: w[c, j] multiplies z[t - j] */
    const ts_tensor *short_b;  /* [(N+1) d] or NULL */
    const ts_tensor *filters;  /* [N-1, d, Lh]; Lh >= L is cut, shorter zero-extended */
    const ts_tensor *d_skip;   /* [N-1, d] or NULL */
    const ts_tensor *out_w;    /* [d, d] */
    const ts_tensor *out_b;    /* [d] or NULL */
    ts_fftconv_path path;      /* of the long convolutions; AUTO by default */
} ts_hyena_params;

/* x [B, L, d] -> out [B, L, d]. */
TS_API ts_status ts_hyena(const ts_tensor *x, const ts_hyena_params *p, ts_tensor *out);

/* Hyena's implicit filter h [C, L] (L <= l_max):
 *   z_t = [t', cos(f w_t), -sin(f w_t)], t' = t/(l_max - 1), w_t = 2 pi t / l_max,
 *         f = linspace(1e-4, bands - 1, bands), bands = (emb - 1) / 2
 *   a = sin(omega * (z . w1 + b1)); a = sin(omega * (a . w2 + b2));
 *   a = sin(omega * (a . w3 + b3)); h^T = (a . w4) * exp(-t' |delta_c|)
 *   delta = linspace(ln(0.01)/1.5, ln(0.01)/0.3, C).
 * The window's t is the normalized t' (as in the Hyena code, whose
 * ExponentialModulation receives the positional t = linspace(0, 1)): with
 * the raw index the window would be below 1e-6 after ~10 samples. The
 * positional features are computed on the host in double. Weights in h's
 * dtype; H is the hidden width (64 in the paper). */
typedef struct ts_hyena_filter_params {
    int64_t emb;              /* odd, >= 3 */
    int64_t l_max;            /* >= 2 */
    const ts_tensor *w1, *b1; /* [emb, H], [H] */
    const ts_tensor *w2, *b2; /* [H, H], [H] */
    const ts_tensor *w3, *b3; /* [H, H], [H] */
    const ts_tensor *w4;      /* [H, C], no bias */
    const ts_tensor *omega;   /* [H], shared by the three sin layers */
} ts_hyena_filter_params;

TS_API ts_status ts_hyena_filter(const ts_hyena_filter_params *p, ts_tensor *h);

/* ---- AFNO Fourier token mixing (Guibas et al. 2022, FourCastNet) -------- */

/* x [B, H, W, C] (channels last, FourCastNet's layout), C = blocks * bs:
 *   X = rfft2(x, ortho) over (H, W), X [B, H, W/2+1, C]
 *   per frequency and block j (bs channels), complex:
 *     o1 = relu_re_im(X_j . (w1[0,j] + i w1[1,j]) + (b1[0,j] + i b1[1,j]))
 *     o2 = o1 . (w2[0,j] + i w2[1,j]) + (b2[0,j] + i b2[1,j])
 *   o2 = softshrink(re, lambda) + i softshrink(im, lambda)
 *   out = irfft2(o2, ortho) + x
 * With keep_h / keep_w > 0 only the lowest modes pass through the MLP:
 * |k_h| < keep_h (rows 0..keep_h-1 and H-keep_h+1..H-1) and
 * k_w < keep_w; every other mode is zero before irfft2. (FourCastNet's
 * hard_thresholding_fraction keeps a band of H rows in the middle of the
 * spectrum instead; here the lowest frequencies are kept.) */
typedef struct ts_afno2d_params {
    int64_t blocks;          /* >= 1, divides C */
    const ts_tensor *w1;     /* [2, blocks, bs, bs * f] (re, im) */
    const ts_tensor *b1;     /* [2, blocks, bs * f] */
    const ts_tensor *w2;     /* [2, blocks, bs * f, bs] */
    const ts_tensor *b2;     /* [2, blocks, bs] */
    float lambda;            /* soft-shrink threshold, >= 0 (FourCastNet: 0.01) */
    int64_t keep_h, keep_w;  /* 0: every mode */
} ts_afno2d_params;

TS_API ts_status ts_afno2d(const ts_tensor *x, const ts_afno2d_params *p, ts_tensor *out);

#ifdef __cplusplus
}
#endif
#endif
