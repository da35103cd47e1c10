/* Pieces the long-convolution layers share inside layers/longconv: a pool
 * of temporaries freed together (every composite step makes several), the
 * fftconv plan (path and transform length per device, plan.c) and the two
 * FFT-based paths (fftconv_fft.c, fftconv_matmul.c), which work on one
 * validated, contiguous-or-not channel block at a time. */
#ifndef TESSEL_LAYERS_LONGCONV_INTERNAL_H
#define TESSEL_LAYERS_LONGCONV_INTERNAL_H

#include "core/layer_api.h"

/* ---- temporaries (temps.c) ------------------------------------------------ */

#define LC_MAX_TEMPS 192

typedef struct lc_temps {
    const char *fn;
    ts_device *dev;
    ts_tensor *t[LC_MAX_TEMPS];
    int n;
} lc_temps;

void lc_temps_init(lc_temps *s, const char *fn, ts_device *dev);
/* Destroys every tensor kept, newest first. */
void lc_temps_free(lc_temps *s);
/* Keeps *tp when st is TS_OK (destroying it if the pool is full). */
ts_status lc_keep(lc_temps *s, ts_status st, ts_tensor **tp);
ts_status lc_new(lc_temps *s, ts_dtype dt, int nd, const int64_t *shape, ts_tensor **out);
/* A new tensor written from host f32 values (converted when dt is not f32). */
ts_status lc_new_f32(lc_temps *s, ts_dtype dt, int nd, const int64_t *shape, const float *v,
                     ts_tensor **out);
ts_status lc_slice(lc_temps *s, const ts_tensor *t, int dim, int64_t a, int64_t z, int64_t step,
                   ts_tensor **out);
ts_status lc_reshape(lc_temps *s, const ts_tensor *t, int nd, const int64_t *shape,
                     ts_tensor **out);
ts_status lc_permute(lc_temps *s, const ts_tensor *t, const int *perm, ts_tensor **out);
ts_status lc_broadcast(lc_temps *s, const ts_tensor *t, int nd, const int64_t *shape,
                       ts_tensor **out);
/* t (any float view) as a new contiguous f32 tensor, or t itself when it
 * already is one. */
ts_status lc_as_f32(lc_temps *s, const ts_tensor *t, const ts_tensor **out);
/* Fill a writable view with zeros (a broadcast copy of one zero). */
ts_status lc_zero(lc_temps *s, ts_tensor *t);

/* ---- checks (checks.c) ------------------------------------------------------ */

/* t (what) is a tensor of ref's dtype with nd dims equal to want (an entry
 * < 0 matches any size); fn prefixes the message. */
ts_status lc_check_weight(const char *fn, const char *what, const ts_tensor *t,
                          const char *ref_what, const ts_tensor *ref, int nd, const int64_t *want);

/* ---- the fftconv plan (plan.c) ------------------------------------------- */

typedef struct lc_fft_len {
    int64_t n;      /* transform length, >= 2L - 1, prime factors 2, 3, 5, 7 */
    int64_t n1, n2; /* the matmul path's split n = n1 * n2 */
} lc_fft_len;

/* The smallest 2,3,5,7-smooth n >= 2L - 1 (the FFT path). */
int64_t lc_fft_length(int64_t l);
/* The smallest even one (the fused TSI_OP_FFTCONV: a real transform of
 * even n runs a complex one of n/2 points). */
int64_t lc_fft_length_even(int64_t l);
/* n and its split for the matmul path: the smooth length near 2L - 1 and
 * divisor pair with the fewest GEMM flops. */
void lc_matmul_length(int64_t l, lc_fft_len *out);
/* The path for dev: forced (params, then TESSEL_FFTCONV_PATH) or the
 * device's tuning keys; never AUTO. */
ts_fftconv_path lc_fftconv_pick(ts_device *dev, ts_fftconv_path forced, int64_t l, int64_t k);
/* Channels per block so that the path's temporaries stay within the
 * device's budget (fftconv.block_bytes). */
int64_t lc_channel_block(ts_device *dev, ts_fftconv_path path, int64_t b, int64_t c, int64_t l);

/* ---- one validated call, the paths --------------------------------------- */

typedef struct lc_conv {
    const char *fn;
    ts_device *dev;
    ts_dtype dt;
    int64_t b, c, l, lk; /* lk: taps used, min(filter length, L) */
    int k_batched;       /* k is [B, C, Lk] */
    const ts_tensor *u;  /* [B, C, L] */
    const ts_tensor *k;  /* [C, Lk] or [B, C, Lk], cut to lk taps */
    const ts_tensor *d;  /* [C] or NULL */
    ts_tensor *out;      /* [B, C, L] */
} lc_conv;

/* The FFT path's spectra, flat c64 buffers for blocks of up to cb
 * channels: u's and the product [B * cb * bins], k's [(B or 1) * cb * bins]. */
typedef struct lc_fft_bufs {
    ts_tensor *uf, *kf, *prod;
} lc_fft_bufs;

ts_status lc_fft_bufs_make(lc_temps *s, const lc_conv *cv, int64_t cb, lc_fft_bufs *bufs);
/* out = conv(u, k) + d*u through rfft / irfft (c64 product), the spectra
 * in bufs (made for at least cv->c channels; NULL: made for this call). */
ts_status lc_fftconv_fft(const lc_conv *cv, const lc_fft_bufs *bufs);
/* The same with the DFTs as GEMMs on f32 re/im planes. */
ts_status lc_fftconv_matmul(const lc_conv *cv);
/* out = y + d*u, the paths' last step: y f32 [B, C, L] (any view), u32
 * u as f32 (NULL: made from cv->u when d needs it); out may be a strided
 * block of the caller's tensor. */
ts_status lc_finish(lc_temps *s, const lc_conv *cv, const ts_tensor *y, const ts_tensor *u32);
/* Split the call in channel blocks and run path on each. */
ts_status lc_fftconv_blocks(const lc_conv *cv, ts_fftconv_path path);
/* ts_fftconv on 3-d views, validation done: the public entry after its
 * checks (Hyena calls it with its own views). */
ts_status lc_fftconv_run(const lc_conv *cv, ts_fftconv_path forced);

#endif
