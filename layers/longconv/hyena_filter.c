/* ts_hyena_filter: Hyena's implicit long filter (LAYERS.md; the Hyena
 * code's PositionalEmbedding, Sin MLP and ExponentialModulation). The
 * positional features and the decay window depend only on the shapes, so
 * they are computed on the host in double and written once per call; the
 * MLP runs as public ops (matmul, binary, TS_SIN). */
#include <math.h>
#include <stdlib.h>

#include "layers/longconv/longconv_internal.h"

#define FN "ts_hyena_filter"

static const double two_pi = 6.28318530717958647692;

typedef struct hf_dims {
    int64_t emb, hid, c, l;
} hf_dims;

static ts_status check_args(const ts_hyena_filter_params *p, const ts_tensor *h, hf_dims *dm)
{
    char s[TSI_SHAPE_STR_LEN];
    TSI_CHECK(p, TS_ERR_INVALID_ARGUMENT, "%s: params must not be NULL", FN);
    TSI_RETURN_IF_ERROR(tsi_check_tensor(FN, "h", h));
    TSI_RETURN_IF_ERROR(tsi_check_float(FN, "h", h));
    TSI_CHECK(h->ndim == 2, TS_ERR_SHAPE, "%s: h must be [C, L], not %s", FN,
              tsi_shape_str(h->shape, h->ndim, s));
    TSI_CHECK(p->emb >= 3 && p->emb % 2 == 1, TS_ERR_INVALID_ARGUMENT,
              "%s: emb is %lld, must be odd and >= 3", FN, (long long)p->emb);
    TSI_CHECK(p->l_max >= 2, TS_ERR_INVALID_ARGUMENT, "%s: l_max is %lld, must be >= 2", FN,
              (long long)p->l_max);
    *dm = (hf_dims){.emb = p->emb, .c = h->shape[0], .l = h->shape[1]};
    TSI_CHECK(dm->l <= p->l_max, TS_ERR_SHAPE, "%s: h has L = %lld > l_max = %lld", FN,
              (long long)dm->l, (long long)p->l_max);
    TSI_CHECK(p->w1 && p->w1->ndim == 2, TS_ERR_SHAPE, "%s: w1 must be [emb, H]", FN);
    dm->hid = p->w1->shape[1];
    int64_t s1[2] = {dm->emb, dm->hid}, sh[2] = {dm->hid, dm->hid}, sb[1] = {dm->hid};
    int64_t s4[2] = {dm->hid, dm->c};
    TSI_RETURN_IF_ERROR(lc_check_weight(FN, "w1", p->w1, "h", h, 2, s1));
    TSI_RETURN_IF_ERROR(lc_check_weight(FN, "b1", p->b1, "h", h, 1, sb));
    TSI_RETURN_IF_ERROR(lc_check_weight(FN, "w2", p->w2, "h", h, 2, sh));
    TSI_RETURN_IF_ERROR(lc_check_weight(FN, "b2", p->b2, "h", h, 1, sb));
    TSI_RETURN_IF_ERROR(lc_check_weight(FN, "w3", p->w3, "h", h, 2, sh));
    TSI_RETURN_IF_ERROR(lc_check_weight(FN, "b3", p->b3, "h", h, 1, sb));
    TSI_RETURN_IF_ERROR(lc_check_weight(FN, "w4", p->w4, "h", h, 2, s4));
    TSI_RETURN_IF_ERROR(lc_check_weight(FN, "omega", p->omega, "h", h, 1, sb));
    const ts_tensor *all[] = {p->w1, p->b1, p->w2, p->b2, p->w3, p->b3, p->w4, p->omega, h};
    TSI_RETURN_IF_ERROR(tsi_check_devices(FN, all, 9));
    TSI_RETURN_IF_ERROR(tsi_check_output(FN, "h", h, all, 8));
    return tsi_check_contiguous_output(FN, "h", h);
}

/* z [L, emb] and the window [L, C], in double, stored as f32. */
static ts_status features(const ts_hyena_filter_params *p, const hf_dims *dm, float **zp,
                          float **winp)
{
    int64_t bands = (dm->emb - 1) / 2, l = dm->l, c = dm->c;
    float *z = malloc((size_t)(l * dm->emb) * sizeof *z);
    float *win = malloc((size_t)(l * c) * sizeof *win);
    if (!z || !win) {
        free(z);
        free(win);
        return tsi_fail(TS_ERR_OUT_OF_MEMORY, "%s: no host memory for the features", FN);
    }
    double lmax = (double)p->l_max, lo = log(0.01) / 1.5, hi = log(0.01) / 0.3;
    for (int64_t t = 0; t < l; t++) {
        double tn = (double)t / (lmax - 1.0), w = two_pi * (double)t / lmax;
        float *zr = z + t * dm->emb;
        zr[0] = (float)tn;
        for (int64_t b = 0; b < bands; b++) {
            double f = bands > 1 ? 1e-4 + (double)b * ((double)(bands - 1) - 1e-4) / (double)(bands - 1)
                                 : 1e-4;
            zr[1 + b] = (float)cos(f * w);
            zr[1 + bands + b] = (float)-sin(f * w);
        }
        for (int64_t ch = 0; ch < c; ch++) {
            double delta = c > 1 ? lo + (double)ch * (hi - lo) / (double)(c - 1) : lo;
            win[t * c + ch] = (float)exp(-tn * fabs(delta));
        }
    }
    *zp = z;
    *winp = win;
    return TS_OK;
}

/* a = sin(omega * (a . w + b)), a [L, H] in h's dtype. */
static ts_status sin_layer(lc_temps *s, const ts_tensor *a, const ts_tensor *w, const ts_tensor *b,
                           const ts_tensor *omega, ts_tensor **out)
{
    int64_t shape[2] = {a->shape[0], w->shape[1]};
    ts_tensor *m, *mb, *x, *y;
    TSI_RETURN_IF_ERROR(lc_new(s, a->dtype, 2, shape, &m));
    TSI_RETURN_IF_ERROR(ts_matmul(a, w, m));
    TSI_RETURN_IF_ERROR(lc_new(s, a->dtype, 2, shape, &mb));
    TSI_RETURN_IF_ERROR(ts_binary(TS_ADD, m, b, mb));
    TSI_RETURN_IF_ERROR(lc_new(s, a->dtype, 2, shape, &x));
    TSI_RETURN_IF_ERROR(ts_binary(TS_MUL, mb, omega, x));
    TSI_RETURN_IF_ERROR(lc_new(s, a->dtype, 2, shape, &y));
    TSI_RETURN_IF_ERROR(ts_unary(TS_SIN, x, y));
    *out = y;
    return TS_OK;
}

static ts_status run(lc_temps *s, const ts_hyena_filter_params *p, const hf_dims *dm,
                     ts_tensor *h)
{
    ts_dtype dt = h->dtype;
    float *zh = NULL, *wh = NULL;
    TSI_RETURN_IF_ERROR(features(p, dm, &zh, &wh));
    int64_t zs[2] = {dm->l, dm->emb}, ws[2] = {dm->l, dm->c};
    ts_tensor *z, *win;
    ts_status st = lc_new_f32(s, dt, 2, zs, zh, &z);
    if (st == TS_OK)
        st = lc_new_f32(s, dt, 2, ws, wh, &win);
    free(zh);
    free(wh);
    TSI_RETURN_IF_ERROR(st);
    ts_tensor *a1, *a2, *a3, *m, *ht;
    TSI_RETURN_IF_ERROR(sin_layer(s, z, p->w1, p->b1, p->omega, &a1));
    TSI_RETURN_IF_ERROR(sin_layer(s, a1, p->w2, p->b2, p->omega, &a2));
    TSI_RETURN_IF_ERROR(sin_layer(s, a2, p->w3, p->b3, p->omega, &a3));
    TSI_RETURN_IF_ERROR(lc_new(s, dt, 2, ws, &m));
    TSI_RETURN_IF_ERROR(ts_matmul(a3, p->w4, m));
    /* The window product writes h through a transposed view: [L, C] math,
     * [C, L] storage, no extra copy. */
    TSI_RETURN_IF_ERROR(lc_keep(s, ts_tensor_transpose(h, 0, 1, &ht), &ht));
    return ts_binary(TS_MUL, m, win, ht);
}

TS_API ts_status ts_hyena_filter(const ts_hyena_filter_params *p, ts_tensor *h)
{
    hf_dims dm = {0};
    TSI_RETURN_IF_ERROR(check_args(p, h, &dm));
    if (tsi_numel(h->shape, h->ndim) == 0)
        return TS_OK;
    lc_temps s;
    lc_temps_init(&s, FN, h->st->dev);
    ts_status st = run(&s, p, &dm, h);
    lc_temps_free(&s);
    return st;
}
