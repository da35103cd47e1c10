/* float64 references of the ops that sum products: matmul and the causal
 * depthwise conv1d. */
#include <math.h>

#include "ref.h"

void ref_matmul(const double *a, const int64_t *as, const double *b, const int64_t *bs, double *out,
                double *mag)
{
    int64_t m = as[2], k = as[3], n = bs[3];
    int64_t b0 = as[0] > bs[0] ? as[0] : bs[0], b1 = as[1] > bs[1] ? as[1] : bs[1];
    int64_t o = 0;
    for (int64_t i0 = 0; i0 < b0; i0++)
        for (int64_t i1 = 0; i1 < b1; i1++) {
            const double *pa = a + ((as[0] == 1 ? 0 : i0) * as[1] + (as[1] == 1 ? 0 : i1)) * m * k;
            const double *pb = b + ((bs[0] == 1 ? 0 : i0) * bs[1] + (bs[1] == 1 ? 0 : i1)) * k * n;
            for (int64_t r = 0; r < m; r++)
                for (int64_t c = 0; c < n; c++, o++) {
                    double s = 0.0, sa = 0.0;
                    for (int64_t j = 0; j < k; j++) {
                        double p = pa[r * k + j] * pb[j * n + c];
                        s += p;
                        sa += fabs(p);
                    }
                    out[o] = s;
                    if (mag)
                        mag[o] = sa;
                }
        }
}

void ref_conv1d_causal(const double *x, int64_t batch, int64_t len, int64_t ch, const double *w,
                       int64_t k, const double *bias, double *out, double *mag)
{
    for (int64_t bi = 0; bi < batch; bi++)
        for (int64_t t = 0; t < len; t++)
            for (int64_t c = 0; c < ch; c++) {
                double s = bias ? bias[c] : 0.0, sa = fabs(s);
                for (int64_t j = 0; j < k && j <= t; j++) {
                    double p = w[c * k + j] * x[(bi * len + t - j) * ch + c];
                    s += p;
                    sa += fabs(p);
                }
                int64_t o = (bi * len + t) * ch + c;
                out[o] = s;
                if (mag)
                    mag[o] = sa;
            }
}
