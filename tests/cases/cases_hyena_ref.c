/* float64 references of ts_hyena and ts_hyena_filter, from LAYERS.md as
 * plain loops (see cases_fftconv_ref.h). */
#include <math.h>
#include <stdlib.h>

#include "cases_fftconv_ref.h"

static const double two_pi = 6.28318530717958647692;

/* One pass of the operator; ab: on absolute values (the error scale). */
static void hyena_pass(const double *x, int64_t b, int64_t l, int64_t d, const ref_hyena_w *w,
                       int ab, double lg, double *out, double *z, double *zc, double *v, double *g)
{
#define A(v) (ab ? fabs(v) : (v))
    int64_t wd = (w->n + 1) * d, rows = b * l;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < wd; c++) {
            double s = w->in_b ? A(w->in_b[c]) : 0.0;
            for (int64_t i = 0; i < d; i++)
                s += A(x[r * d + i]) * A(w->in_w[i * wd + c]);
            z[r * wd + c] = s;
        }
    for (int64_t bi = 0; bi < b; bi++)
        for (int64_t t = 0; t < l; t++)
            for (int64_t c = 0; c < wd; c++) {
                double s = w->short_b ? A(w->short_b[c]) : 0.0;
                for (int64_t j = 0; j < 3 && j <= t; j++)
                    s += A(w->short_w[c * 3 + j]) * z[(bi * l + t - j) * wd + c];
                zc[(bi * l + t) * wd + c] = s;
            }
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < d; c++)
            v[r * d + c] = zc[r * wd + w->n * d + c];
    for (int o = 0; o + 1 < w->n; o++) {
        int i = w->n - 1 - o;
        for (int64_t r = 0; r < rows; r++)
            for (int64_t c = 0; c < d; c++)
                g[r * d + c] = v[r * d + c] * zc[r * wd + i * d + c];
        for (int64_t bi = 0; bi < b; bi++)
            for (int64_t c = 0; c < d; c++) {
                const double *h = w->filters + ((int64_t)o * d + c) * w->lh;
                double dk = w->d_skip ? A(w->d_skip[o * d + c]) : 0.0;
                double gn = 0.0, hn = 0.0;
                for (int64_t t = 0; t < l; t++)
                    gn += g[(bi * l + t) * d + c] * g[(bi * l + t) * d + c];
                for (int64_t j = 0; j < w->lh && j < l; j++)
                    hn += h[j] * h[j];
                double glob = ab && l > 0 ? sqrt(gn * hn / (double)l) : 0.0;
                for (int64_t t = 0; t < l; t++) {
                    double s = 0.0;
                    for (int64_t j = 0; j <= t && j < w->lh; j++)
                        s += A(h[j]) * g[(bi * l + t - j) * d + c];
                    double gt = g[(bi * l + t) * d + c];
                    v[(bi * l + t) * d + c] = (ab ? lg * (s + glob) : s) + dk * gt;
                }
            }
    }
    for (int64_t r = 0; r < rows; r++)
        for (int64_t e = 0; e < d; e++) {
            double s = w->out_b ? A(w->out_b[e]) : 0.0;
            for (int64_t c = 0; c < d; c++)
                s += v[r * d + c] * A(zc[r * wd + c]) * A(w->out_w[c * d + e]);
            out[r * d + e] = s;
        }
#undef A
}

void ref_hyena(const double *x, int64_t b, int64_t l, int64_t d, const ref_hyena_w *w, double lg,
               double *out, double *mag)
{
    int64_t wd = (w->n + 1) * d, rows = b * l;
    double *z = malloc(sizeof(double) * (size_t)(rows * wd + 1));
    double *zc = malloc(sizeof(double) * (size_t)(rows * wd + 1));
    double *v = malloc(sizeof(double) * (size_t)(rows * d + 1));
    double *g = malloc(sizeof(double) * (size_t)(rows * d + 1));
    if (z && zc && v && g) {
        hyena_pass(x, b, l, d, w, 0, lg, out, z, zc, v, g);
        if (mag)
            hyena_pass(x, b, l, d, w, 1, lg, mag, z, zc, v, g);
    }
    free(z);
    free(zc);
    free(v);
    free(g);
}

/* a [l, hid] = sin(omega (a_in . w + bias)); the abs pass scales by |omega|. */
static void sin_layer(const double *in, int64_t l, int64_t k, int64_t hid, const double *wt,
                      const double *bias, const double *omega, int ab, double *out)
{
    for (int64_t t = 0; t < l; t++)
        for (int64_t j = 0; j < hid; j++) {
            double s = ab ? fabs(bias[j]) : bias[j];
            for (int64_t i = 0; i < k; i++)
                s += ab ? fabs(in[t * k + i] * wt[i * hid + j]) : in[t * k + i] * wt[i * hid + j];
            out[t * hid + j] = ab ? fabs(omega[j]) * s + 1e-7 : sin(omega[j] * s);
        }
}

void ref_hyena_filter(const ref_hyena_filter_w *w, int64_t c, int64_t l, double *h, double *mag)
{
    int64_t emb = w->emb, hid = w->hid, bands = (emb - 1) / 2;
    double *z = malloc(sizeof(double) * (size_t)(l * emb + 1));
    double *a = malloc(sizeof(double) * (size_t)(l * hid + 1));
    double *bb = malloc(sizeof(double) * (size_t)(l * hid + 1));
    if (!z || !a || !bb)
        goto done;
    for (int64_t t = 0; t < l; t++) {
        double tn = (double)t / (double)(w->l_max - 1), wt = two_pi * (double)t / (double)w->l_max;
        z[t * emb] = tn;
        for (int64_t k = 0; k < bands; k++) {
            double f = bands > 1 ? 1e-4 + (double)k * ((double)(bands - 1) - 1e-4) / (double)(bands - 1)
                                 : 1e-4;
            z[t * emb + 1 + k] = cos(f * wt);
            z[t * emb + 1 + bands + k] = -sin(f * wt);
        }
    }
    for (int ab = 0; ab < 2; ab++) {
        double *dst = ab ? mag : h;
        if (!dst)
            continue;
        sin_layer(z, l, emb, hid, w->w1, w->b1, w->omega, ab, a);
        sin_layer(a, l, hid, hid, w->w2, w->b2, w->omega, ab, bb);
        sin_layer(bb, l, hid, hid, w->w3, w->b3, w->omega, ab, a);
        double lo = log(0.01) / 1.5, hi = log(0.01) / 0.3;
        for (int64_t ch = 0; ch < c; ch++) {
            double delta = c > 1 ? lo + (double)ch * (hi - lo) / (double)(c - 1) : lo;
            for (int64_t t = 0; t < l; t++) {
                double s = 0.0;
                for (int64_t j = 0; j < hid; j++)
                    s += ab ? fabs(a[t * hid + j] * w->w4[j * c + ch]) : a[t * hid + j] * w->w4[j * c + ch];
                double tn = (double)t / (double)(w->l_max - 1);
                dst[ch * l + t] = s * exp(-tn * fabs(delta));
            }
        }
    }
done:
    free(z);
    free(a);
    free(bb);
}
