/* float64 reference of ts_fftconv: the causal convolution as its defining
 * O(L * K) sum (see cases_fftconv_ref.h). */
#include <math.h>
#include <stddef.h>

#include "cases_fftconv_ref.h"

void ref_fftconv(const double *u, int64_t b, int64_t c, int64_t l, const double *k, int64_t lk_stride,
                 int64_t lk, int k_batched, const double *d, double lg, double *out, double *mag)
{
    for (int64_t bi = 0; bi < b; bi++) {
        for (int64_t ci = 0; ci < c; ci++) {
            const double *ur = u + (bi * c + ci) * l;
            const double *kr = k + ((k_batched ? bi * c : 0) + ci) * lk_stride;
            double *yr = out + (bi * c + ci) * l;
            double un = 0.0, kn = 0.0;
            for (int64_t t = 0; t < l; t++)
                un += ur[t] * ur[t];
            for (int64_t j = 0; j < lk; j++)
                kn += kr[j] * kr[j];
            double global = l > 0 ? sqrt(un * kn / (double)l) : 0.0;
            for (int64_t t = 0; t < l; t++) {
                double s = 0.0, m = 0.0;
                for (int64_t j = 0; j <= t && j < lk; j++) {
                    s += kr[j] * ur[t - j];
                    m += fabs(kr[j] * ur[t - j]);
                }
                double du = d ? d[ci] * ur[t] : 0.0;
                yr[t] = s + du;
                if (mag)
                    mag[(bi * c + ci) * l + t] = lg * (m + global) + fabs(du);
            }
        }
    }
}
