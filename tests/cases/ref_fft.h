/* float64 references of the FFTs (ref_fft.c): direct O(n^2) sums over
 * rows, complex arrays interleaved (re, im). */
#ifndef TESSEL_TESTS_CASES_REF_FFT_H
#define TESSEL_TESTS_CASES_REF_FFT_H

#include <stdint.h>

/* out[r, k] = scale * sum_{j < min(m, n)} x[r, j] exp(sign 2 pi i j k / n),
 * k < n: x complex [rows, m], out complex [rows, n]. */
void ref_dft(const double *x, int64_t rows, int64_t m, int64_t n, int sign, double scale,
             double *out);
/* The same for real x [rows, m] (sign -1), bins k <= n/2: out complex
 * [rows, n/2 + 1]. */
void ref_rdft(const double *x, int64_t rows, int64_t m, int64_t n, double scale, double *out);
/* numpy's irfft(x, n)[:m] * scale / (1/n): x complex [rows, bins], out real
 * [rows, m] (no 1/n: scale is the whole factor). */
void ref_irdft(const double *x, int64_t rows, int64_t bins, int64_t n, int64_t m, double scale,
               double *out);
/* sqrt(sum |x_j|^2) over one row of m values (complex: 2m doubles). */
double ref_fft_row_norm(const double *x, int64_t m, int complex_values);

#endif
