/* float64 reference of ts_afno2d: direct 2D DFTs (numpy's rfft2 / irfft2
 * with norm="ortho"), the block complex MLP and soft-shrink as plain
 * loops (see cases_fftconv_ref.h). */
#include <math.h>
#include <stdlib.h>

#include "cases_fftconv_ref.h"

static const double two_pi = 6.28318530717958647692;

static double shrink(double v, double l)
{
    return v > l ? v - l : v < -l ? v + l : 0.0;
}

/* One frequency's MLP for block j: in (re, im) [bs] -> out [bs]; ab: on
 * absolute values, no shrink (the error scale). */
static void mlp(const ref_afno_w *p, int64_t bs, int64_t j, const double *xr, const double *xi,
                int ab, double *hr, double *hi, double *yr, double *yi)
{
    int64_t nb = p->nb, hid = p->hid;
    for (int64_t o = 0; o < hid; o++) {
        double sr = p->b1[j * hid + o], si = p->b1[(nb + j) * hid + o];
        if (ab)
            sr = fabs(sr) + fabs(si), si = sr;
        for (int64_t i = 0; i < bs; i++) {
            double wr = p->w1[(j * bs + i) * hid + o], wi = p->w1[((nb + j) * bs + i) * hid + o];
            if (ab) {
                double m = (fabs(xr[i]) + fabs(xi[i])) * (fabs(wr) + fabs(wi));
                sr += m, si += m;
            } else {
                sr += xr[i] * wr - xi[i] * wi;
                si += xr[i] * wi + xi[i] * wr;
            }
        }
        hr[o] = ab ? sr : fmax(sr, 0.0);
        hi[o] = ab ? si : fmax(si, 0.0);
    }
    for (int64_t o = 0; o < bs; o++) {
        double sr = p->b2[j * bs + o], si = p->b2[(nb + j) * bs + o];
        if (ab)
            sr = fabs(sr) + fabs(si), si = sr;
        for (int64_t i = 0; i < hid; i++) {
            double wr = p->w2[(j * hid + i) * bs + o], wi = p->w2[((nb + j) * hid + i) * bs + o];
            if (ab) {
                double m = (fabs(hr[i]) + fabs(hi[i])) * (fabs(wr) + fabs(wi));
                sr += m, si += m;
            } else {
                sr += hr[i] * wr - hi[i] * wi;
                si += hr[i] * wi + hi[i] * wr;
            }
        }
        yr[o] = ab ? sr : shrink(sr, p->lambda);
        yi[o] = ab ? si : shrink(si, p->lambda);
    }
}

void ref_afno2d(const double *x, int64_t b, int64_t h, int64_t w, int64_t c, const ref_afno_w *p,
                double lg, double *out, double *mag)
{
    int64_t wf = w / 2 + 1, bs = c / p->nb, modes = h * wf;
    double scale = 1.0 / sqrt((double)(h * w));
    double *sr = calloc((size_t)(modes * c + 1), sizeof *sr);
    double *si = calloc((size_t)(modes * c + 1), sizeof *si);
    double *energy = calloc((size_t)(c + 1), sizeof *energy);
    double *zr = calloc((size_t)(wf + 1), sizeof *zr), *zi = calloc((size_t)(wf + 1), sizeof *zi);
    double *t = malloc(sizeof(double) * (size_t)(4 * p->hid + 4 * bs + 4));
    if (!sr || !si || !energy || !zr || !zi || !t)
        goto done;
    for (int64_t bi = 0; bi < b; bi++) {
        const double *xb = x + bi * h * w * c;
        /* Forward: X[kh, kw, ch], channels last. */
        for (int64_t kh = 0; kh < h; kh++)
            for (int64_t kw = 0; kw < wf; kw++)
                for (int64_t ch = 0; ch < c; ch++) {
                    double re = 0.0, im = 0.0;
                    for (int64_t y = 0; y < h; y++)
                        for (int64_t xx = 0; xx < w; xx++) {
                            double a = two_pi * ((double)((kh * y) % h) / (double)h +
                                                 (double)((kw * xx) % w) / (double)w);
                            double v = xb[(y * w + xx) * c + ch];
                            re += v * cos(a);
                            im -= v * sin(a);
                        }
                    sr[(kh * wf + kw) * c + ch] = re * scale;
                    si[(kh * wf + kw) * c + ch] = im * scale;
                }
        /* MLP per mode and block, mask, and the abs pass's energy. */
        for (int64_t ch = 0; ch < c; ch++)
            energy[ch] = 0.0;
        for (int64_t kh = 0; kh < h; kh++) {
            int64_t ah = kh <= h / 2 ? kh : h - kh;
            for (int64_t kw = 0; kw < wf; kw++) {
                double *mr = sr + (kh * wf + kw) * c, *mi = si + (kh * wf + kw) * c;
                int keep = (p->keep_h == 0 || ah < p->keep_h) && (p->keep_w == 0 || kw < p->keep_w);
                for (int64_t j = 0; j < p->nb; j++) {
                    double *hr = t, *hi = t + p->hid, *yr = t + 2 * p->hid, *yi = yr + bs;
                    double *ar = yi + bs, *ai = ar + bs;
                    mlp(p, bs, j, mr + j * bs, mi + j * bs, 1, hr, hi, ar, ai);
                    mlp(p, bs, j, mr + j * bs, mi + j * bs, 0, hr, hi, yr, yi);
                    for (int64_t o = 0; o < bs; o++) {
                        energy[j * bs + o] += 2.0 * ar[o] * ar[o];
                        mr[j * bs + o] = keep ? yr[o] : 0.0;
                        mi[j * bs + o] = keep ? yi[o] : 0.0;
                    }
                }
            }
        }
        /* Inverse: ifft over H, then irfft over W (imaginary parts of
         * bin 0 and, W even, bin W/2 ignored, as numpy does). */
        for (int64_t y = 0; y < h; y++)
            for (int64_t ch = 0; ch < c; ch++) {
                for (int64_t kw = 0; kw < wf; kw++) {
                    double re = 0.0, im = 0.0;
                    for (int64_t kh = 0; kh < h; kh++) {
                        double a = two_pi * (double)((kh * y) % h) / (double)h;
                        double vr = sr[(kh * wf + kw) * c + ch], vi = si[(kh * wf + kw) * c + ch];
                        re += vr * cos(a) - vi * sin(a);
                        im += vr * sin(a) + vi * cos(a);
                    }
                    zr[kw] = re, zi[kw] = im;
                }
                for (int64_t xx = 0; xx < w; xx++) {
                    double s = zr[0];
                    for (int64_t kw = 1; kw < wf; kw++) {
                        double a = two_pi * (double)((kw * xx) % w) / (double)w;
                        double v = zr[kw] * cos(a) - zi[kw] * sin(a);
                        s += (w % 2 == 0 && kw == w / 2) ? v : 2.0 * v;
                    }
                    int64_t i = ((bi * h + y) * w + xx) * c + ch;
                    out[i] = s * scale + x[i];
                    if (mag)
                        mag[i] = fabs(x[i]) + lg * sqrt(energy[ch] / (double)(h * w));
                }
            }
    }
done:
    free(sr);
    free(si);
    free(energy);
    free(zr);
    free(zi);
    free(t);
}
