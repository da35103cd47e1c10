/* The FFT's pieces inside core: one transform along the last dim as a
 * dispatched TSI_OP_FFT (op_fft.c), and the compositions that run when a
 * backend declines one (fft_compose.c): Bluestein for lengths with a prime
 * factor above 7, real transforms through complex ones, and the 2D
 * transforms as two 1D passes. */
#ifndef TESSEL_CORE_FFT_INTERNAL_H
#define TESSEL_CORE_FFT_INTERNAL_H

#include "core/dispatch.h"
#include "core/fft_smooth.h"

/* One transform along x's last dim, length n, out = scale * sum (see
 * TSI_OP_FFT in core/op.h). x may be any view; its last dim m is cropped
 * to n (C2C, R2C) or to n/2 + 1 bins (C2R) when longer. out is contiguous
 * with out's last dim n (C2C), n/2 + 1 (R2C) or m <= n (C2R). Validation
 * is the caller's: fn only prefixes messages. */
ts_status tsi_fft1d(const char *fn, int kind, int inverse, const ts_tensor *x, int64_t n,
                    float scale, ts_tensor *out);

/* The compositions, run as fallbacks (unlocked, public and tsi_fft1d
 * calls only). */
ts_status tsi_fft_bluestein(const char *fn, int inverse, const ts_tensor *x, int64_t n,
                            float scale, ts_tensor *out);
ts_status tsi_fft_r2c_via_c2c(const char *fn, const ts_tensor *x, int64_t n, float scale,
                              ts_tensor *out);
ts_status tsi_fft_c2r_via_c2c(const char *fn, const ts_tensor *x, int64_t n, float scale,
                              ts_tensor *out);

/* A view of t with its last two dims swapped (no copy; not a handle: do
 * not destroy it). */
void tsi_fft_swap_last2(const ts_tensor *t, ts_tensor *view);

#endif
