/* float64 references for the normalization layers (see
 * cases_layernorm_ref.h). Written from docs/normalization.md's formulas,
 * independently of layers/norm. */
#include <math.h>

#include <tessel/tessel.h>

#include "cases_layernorm_ref.h"

static void norm_row(int rms, int64_t d, const double *s, const double *a, const double *w,
                     const double *b, double eps, double *y, double *mag)
{
    if (rms) {
        double ms = 0.0, sa = 0.0;
        for (int64_t i = 0; i < d; i++) {
            ms += s[i] * s[i];
            sa += a[i] * fabs(s[i]);
        }
        /* An error in any s_j moves the mean square, so every y_i also
         * carries |s_i| times the row's relative error in sum s^2. */
        double r = 1.0 / sqrt(ms / (double)d + eps), rel = sa / (ms + (double)d * eps);
        for (int64_t i = 0; i < d; i++) {
            double g = w ? w[i] : 1.0;
            y[i] = s[i] * r * g;
            mag[i] = (a[i] + fabs(s[i]) * rel) * r * fabs(g);
        }
        return;
    }
    double mean = 0.0, amean = 0.0, var = 0.0;
    for (int64_t i = 0; i < d; i++) {
        mean += s[i];
        amean += a[i];
    }
    mean /= (double)d;
    amean /= (double)d;
    for (int64_t i = 0; i < d; i++)
        var += (s[i] - mean) * (s[i] - mean);
    var /= (double)d;
    /* s_i - mean cancels: its error grows with |s_i| and |mean|, not with
     * the (possibly tiny) difference, which is why a row with mean 1e4 and
     * small variance needs two-pass statistics. */
    double r = 1.0 / sqrt(var + eps);
    for (int64_t i = 0; i < d; i++) {
        double g = w ? w[i] : 1.0, sh = b ? b[i] : 0.0;
        y[i] = (s[i] - mean) * r * g + sh;
        mag[i] = (a[i] + amean) * r * fabs(g) + fabs(sh);
    }
}

void tsc_ln_norm_rows(int rms, int64_t rows, int64_t d, const double *s, const double *a,
                      const double *w, const double *b, double eps, double *y, double *mag)
{
    for (int64_t r = 0; r < rows; r++)
        norm_row(rms, d, s + r * d, a + r * d, w, b, eps, y + r * d, mag + r * d);
}

void tsc_ln_linear(int64_t rows, int64_t k, int64_t n, const double *x, const double *xa,
                   const double *w, const double *b, double *y, double *ya)
{
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t j = 0; j < n; j++) {
            double acc = b ? b[j] : 0.0, m = b ? fabs(b[j]) : 0.0;
            for (int64_t i = 0; i < k; i++) {
                double xv = x[r * k + i];
                acc += xv * w[i * n + j];
                m += (xa ? xa[r * k + i] : fabs(xv)) * fabs(w[i * n + j]);
            }
            y[r * n + j] = acc;
            ya[r * n + j] = m;
        }
    }
}

void tsc_ln_activation(int act, int64_t n, const double *h, const double *ha, double *y, double *ya)
{
    for (int64_t i = 0; i < n; i++) {
        double v = h[i];
        if (act == TS_RELU2) {
            double p = v > 0.0 ? v : 0.0;
            y[i] = p * p;
            /* d(h^2) = 2|h| dh; |h| rather than max(h, 0) covers an h that
             * rounding moves across zero. */
            ya[i] = 2.0 * fabs(v) * ha[i] + y[i];
        } else {
            y[i] = 0.5 * v * (1.0 + erf(v / sqrt(2.0)));
            /* gelu' stays below 1.13 everywhere. */
            ya[i] = 1.13 * ha[i] + fabs(y[i]);
        }
    }
}

void tsc_ln_dconv(int64_t batch, int64_t len, int64_t c, int64_t k, const double *p,
                  const double *pa, const double *w, double *y, double *ya)
{
    for (int64_t b = 0; b < batch; b++) {
        for (int64_t t = 0; t < len; t++) {
            for (int64_t ch = 0; ch < c; ch++) {
                double acc = 0.0, m = 0.0;
                for (int64_t j = 0; j < k && j <= t; j++) {
                    int64_t src = (b * len + t - j) * c + ch;
                    acc += w[ch * k + j] * p[src];
                    m += fabs(w[ch * k + j]) * pa[src];
                }
                y[(b * len + t) * c + ch] = acc;
                ya[(b * len + t) * c + ch] = m;
            }
        }
    }
}
