/* float64 references of the FFTs (include/tessel/fft.h): the defining sums
 * as direct O(n^2) loops, never an FFT, so they share no algorithm with
 * any backend. Complex arrays are interleaved (re, im) doubles. */
#include <math.h>
#include <stdlib.h>

#include "ref_fft.h"

static const double two_pi = 6.28318530717958647692;

/* cos and sin of 2 pi r / n for every residue r < n, so each term of a
 * sum is a table lookup at the exact residue j k mod n (n cos/sin calls
 * per transform instead of n^2). NULL when out of memory. */
static double *root_table(int64_t n)
{
    double *t = malloc((size_t)n * 2 * sizeof *t);
    for (int64_t r = 0; t && r < n; r++) {
        double a = two_pi * (double)r / (double)n;
        t[2 * r] = cos(a);
        t[2 * r + 1] = sin(a);
    }
    return t;
}

/* exp(sign * 2 pi i r / n) from the table; callers step the exact
 * residue r = j k mod n by adding k. */
static void unit_root(const double *table, int sign, int64_t r, double *c, double *s)
{
    *c = table[2 * r];
    *s = sign * table[2 * r + 1];
}

void ref_dft(const double *x, int64_t rows, int64_t m, int64_t n, int sign, double scale,
             double *out)
{
    int64_t used = m < n ? m : n;
    double *table = root_table(n);
    for (int64_t r = 0; table && r < rows; r++) {
        const double *xr = x + 2 * r * m;
        double *yr = out + 2 * r * n;
        for (int64_t k = 0; k < n; k++) {
            double re = 0, im = 0;
            for (int64_t j = 0, res = 0; j < used; j++, res = res + k >= n ? res + k - n : res + k) {
                double c, s;
                unit_root(table, sign, res, &c, &s);
                re += xr[2 * j] * c - xr[2 * j + 1] * s;
                im += xr[2 * j] * s + xr[2 * j + 1] * c;
            }
            yr[2 * k] = scale * re;
            yr[2 * k + 1] = scale * im;
        }
    }
    free(table);
}

void ref_rdft(const double *x, int64_t rows, int64_t m, int64_t n, double scale, double *out)
{
    int64_t used = m < n ? m : n, bins = n / 2 + 1;
    double *table = root_table(n);
    for (int64_t r = 0; table && r < rows; r++) {
        const double *xr = x + r * m;
        double *yr = out + 2 * r * bins;
        for (int64_t k = 0; k < bins; k++) {
            double re = 0, im = 0;
            for (int64_t j = 0, res = 0; j < used; j++, res = res + k >= n ? res + k - n : res + k) {
                double c, s;
                unit_root(table, -1, res, &c, &s);
                re += xr[j] * c;
                im += xr[j] * s;
            }
            yr[2 * k] = scale * re;
            yr[2 * k + 1] = scale * im;
        }
    }
    free(table);
}

/* The Hermitian spectrum Y of length n built from the bins X (zeros past
 * them), summed in full: y_t = scale * Re sum_k Y_k exp(+2 pi i k t / n). */
void ref_irdft(const double *x, int64_t rows, int64_t bins, int64_t n, int64_t m, double scale,
               double *out)
{
    double *table = root_table(n);
    for (int64_t r = 0; table && r < rows; r++) {
        const double *xr = x + 2 * r * bins;
        double *yr = out + r * m;
        for (int64_t t = 0; t < m; t++) {
            double acc = 0;
            for (int64_t k = 0, res = 0; k < n; k++, res = res + t >= n ? res + t - n : res + t) {
                int64_t h = k <= n / 2 ? k : n - k; /* the bin Y_k mirrors */
                double re = h < bins ? xr[2 * h] : 0.0, im = h < bins ? xr[2 * h + 1] : 0.0;
                if (k > n / 2)
                    im = -im;
                /* numpy ignores the imaginary parts of bins 0 and n/2 */
                if (k == 0 || 2 * k == n)
                    im = 0.0;
                double c, s;
                unit_root(table, 1, res, &c, &s);
                acc += re * c - im * s;
            }
            yr[t] = scale * acc;
        }
    }
    free(table);
}

double ref_fft_row_norm(const double *x, int64_t m, int complex_values)
{
    double s = 0;
    for (int64_t j = 0; j < m * (complex_values ? 2 : 1); j++)
        s += x[j] * x[j];
    return sqrt(s);
}
