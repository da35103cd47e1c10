/* tessel — discrete Fourier transforms along the last dim (or the last two),
 * batched over the leading dims, any length. The conventions are numpy's
 * (numpy.fft): forward sums carry exp(-2 pi i j k / n), inverse ones
 * exp(+2 pi i j k / n), and norm picks where 1/n goes. docs/longconv.md
 * explains the algorithms (mixed radix 2, 3, 5, 7; Bluestein for the
 * rest) and what each device runs.
 *
 * Complex tensors are TS_C64 (interleaved f32 re, im). Inputs may be any
 * view; outputs are contiguous and overlap no input. Plans (twiddles,
 * compiled kernels) are made on first use of a shape and cached in the
 * device: there is nothing to create or destroy. Error grows like
 * log2(n) ulps of the largest input magnitude times sqrt(n). */
#ifndef TESSEL_FFT_H
#define TESSEL_FFT_H

#include "tessel/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ts_fft_norm {
    TS_FFT_BACKWARD = 0, /* forward unscaled, inverse scaled by 1/n (numpy's default) */
    TS_FFT_ORTHO,        /* both scaled by 1/sqrt(n) */
    TS_FFT_FORWARD       /* forward scaled by 1/n, inverse unscaled */
} ts_fft_norm;

/* Complex to complex: x c64 [..., m] → out c64 [..., n], n = out's last
 * dim. Like numpy's fft(x, n): m < n zero-pads x, m > n crops it. */
TS_API ts_status ts_fft(const ts_tensor *x, ts_fft_norm norm, ts_tensor *out);
TS_API ts_status ts_ifft(const ts_tensor *x, ts_fft_norm norm, ts_tensor *out);

/* Real to complex: x f32, f16 or bf16 [..., m] → out c64 [..., n/2 + 1]
 * (the non-negative frequencies), transform length n (0: n = m; m < n
 * zero-pads x, m > n crops it). The math is f32 whatever x's dtype. */
TS_API ts_status ts_rfft(const ts_tensor *x, int64_t n, ts_fft_norm norm, ts_tensor *out);

/* Complex to real, the inverse of ts_rfft: x c64 [..., b] holds bins of a
 * Hermitian spectrum of length n (0: n = 2(b - 1)); bins past b are zero,
 * bins past n/2 are ignored, and so are the imaginary parts of bin 0 and
 * (n even) bin n/2. out f32 [..., m] with 1 <= m <= n receives the first
 * m samples of the length-n result (numpy's irfft(x, n)[..., :m]): a
 * causal convolution reads back only what it keeps. The whole length-n
 * transform is still computed: n from 2^60 on (8n bytes of working
 * memory overflow) is TS_ERR_OVERFLOW, and a long n that memory cannot
 * hold TS_ERR_OUT_OF_MEMORY. */
TS_API ts_status ts_irfft(const ts_tensor *x, int64_t n, ts_fft_norm norm, ts_tensor *out);

/* Two-dimensional transforms over the last two dims (x has at least two
 * dims), n1 x n2 = out's last two dims for fft2 / ifft2 (x's last two may
 * be smaller: zero-padded, or larger: cropped). rfft2: x real
 * [..., n1, n2] → out c64 [..., n1, n2/2 + 1]. irfft2: x c64
 * [..., n1, n2/2 + 1] → out f32 [..., n1, n2] (n2 = 0: 2(b - 1)). The
 * norm applies to the whole n1 * n2 transform, as numpy's does. */
TS_API ts_status ts_fft2(const ts_tensor *x, ts_fft_norm norm, ts_tensor *out);
TS_API ts_status ts_ifft2(const ts_tensor *x, ts_fft_norm norm, ts_tensor *out);
TS_API ts_status ts_rfft2(const ts_tensor *x, ts_fft_norm norm, ts_tensor *out);
TS_API ts_status ts_irfft2(const ts_tensor *x, int64_t n2, ts_fft_norm norm, ts_tensor *out);

#ifdef __cplusplus
}
#endif
#endif
