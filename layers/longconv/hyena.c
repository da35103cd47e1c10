/* ts_hyena: the Hyena operator (Poli et al. 2023) of ../shared/LAYERS.md
 * composed of public ops: projections as ts_matmul, the width-3 short
 * convolution as ts_conv1d_causal, the gates as ts_binary and the long
 * convolutions as ts_fftconv on channels-first views (no transposing
 * copies: fftconv takes any view of u, and its output, read back as a
 * transposed view, feeds the next gate). */
#include "layers/longconv/longconv_internal.h"

#define FN "ts_hyena"

typedef struct hy_dims {
    int n;
    int64_t b, l, d, w, lh;
} hy_dims;

static ts_status check_args(const ts_tensor *x, const ts_hyena_params *p, const ts_tensor *out,
                            hy_dims *dm)
{
    char s[TSI_SHAPE_STR_LEN];
    TSI_CHECK(p, TS_ERR_INVALID_ARGUMENT, "%s: params must not be NULL", FN);
    TSI_RETURN_IF_ERROR(tsi_check_tensor(FN, "x", x));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(FN, "out", out));
    TSI_RETURN_IF_ERROR(tsi_check_float(FN, "x", x));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(FN, "x", x, "out", out));
    TSI_CHECK(x->ndim == 3, TS_ERR_SHAPE, "%s: x must be [B, L, d], not %s", FN,
              tsi_shape_str(x->shape, x->ndim, s));
    TSI_RETURN_IF_ERROR(tsi_check_same_shape(FN, "x", x, "out", out));
    TSI_CHECK(p->order >= 2 && p->order <= 16, TS_ERR_INVALID_ARGUMENT,
              "%s: order is %d, must be in 2..16", FN, p->order);
    TSI_CHECK((unsigned)p->path <= TS_FFTCONV_MATMUL, TS_ERR_INVALID_ARGUMENT,
              "%s: path %d is not a ts_fftconv_path", FN, (int)p->path);
    *dm = (hy_dims){.n = p->order, .b = x->shape[0], .l = x->shape[1], .d = x->shape[2]};
    /* x may be a view whose d no weight could match (a zero-stride view
     * of 2^62 columns): refuse it before (order + 1) * d overflows. */
    TSI_CHECK(tsi_mul_checked(dm->n + 1, dm->d, &dm->w), TS_ERR_OVERFLOW,
              "%s: (order + 1) * d overflows int64 (d = %lld)", FN, (long long)dm->d);
    int64_t in_w[2] = {dm->d, dm->w}, vec_w[1] = {dm->w}, sw[2] = {dm->w, 3};
    int64_t flt[3] = {dm->n - 1, dm->d, -1}, ds[2] = {dm->n - 1, dm->d};
    int64_t ow[2] = {dm->d, dm->d}, ob[1] = {dm->d};
    TSI_RETURN_IF_ERROR(lc_check_weight(FN, "in_w", p->in_w, "x", x, 2, in_w));
    if (p->in_b)
        TSI_RETURN_IF_ERROR(lc_check_weight(FN, "in_b", p->in_b, "x", x, 1, vec_w));
    TSI_RETURN_IF_ERROR(lc_check_weight(FN, "short_w", p->short_w, "x", x, 2, sw));
    if (p->short_b)
        TSI_RETURN_IF_ERROR(lc_check_weight(FN, "short_b", p->short_b, "x", x, 1, vec_w));
    TSI_RETURN_IF_ERROR(lc_check_weight(FN, "filters", p->filters, "x", x, 3, flt));
    dm->lh = p->filters->shape[2];
    TSI_CHECK(dm->lh >= 1, TS_ERR_SHAPE, "%s: filters have no taps", FN);
    if (p->d_skip)
        TSI_RETURN_IF_ERROR(lc_check_weight(FN, "d_skip", p->d_skip, "x", x, 2, ds));
    TSI_RETURN_IF_ERROR(lc_check_weight(FN, "out_w", p->out_w, "x", x, 2, ow));
    if (p->out_b)
        TSI_RETURN_IF_ERROR(lc_check_weight(FN, "out_b", p->out_b, "x", x, 1, ob));
    const ts_tensor *all[] = {x,          p->in_w,  p->in_b,  p->short_w, p->short_b,
                              p->filters, p->d_skip, p->out_w, p->out_b,  out};
    TSI_RETURN_IF_ERROR(tsi_check_devices(FN, all, 10));
    TSI_RETURN_IF_ERROR(tsi_check_output(FN, "out", out, all, 9));
    return tsi_check_contiguous_output(FN, "out", out);
}

/* a . w (+ bias) into out. */
static ts_status linear(lc_temps *s, const ts_tensor *a, const ts_tensor *w, const ts_tensor *bias,
                        ts_tensor *out)
{
    if (!bias)
        return ts_matmul(a, w, out);
    ts_tensor *t;
    TSI_RETURN_IF_ERROR(lc_new(s, out->dtype, out->ndim, out->shape, &t));
    TSI_RETURN_IF_ERROR(ts_matmul(a, w, t));
    return ts_binary(TS_ADD, t, bias, out);
}

static ts_status run(lc_temps *s, const ts_tensor *x, const ts_hyena_params *p,
                     const hy_dims *dm, ts_tensor *out)
{
    ts_dtype dt = x->dtype;
    int64_t zs[3] = {dm->b, dm->l, dm->w}, vs[3] = {dm->b, dm->l, dm->d};
    int64_t cs[3] = {dm->b, dm->d, dm->l}, fs[2] = {dm->d, dm->lh};
    ts_tensor *z, *zc, *v;
    TSI_RETURN_IF_ERROR(lc_new(s, dt, 3, zs, &z));
    TSI_RETURN_IF_ERROR(linear(s, x, p->in_w, p->in_b, z));
    TSI_RETURN_IF_ERROR(lc_new(s, dt, 3, zs, &zc));
    TSI_RETURN_IF_ERROR(ts_conv1d_causal(z, p->short_w, p->short_b, zc));
    TSI_RETURN_IF_ERROR(lc_slice(s, zc, 2, dm->n * dm->d, dm->w, 1, &v));
    static const int to_cl[3] = {0, 2, 1};
    for (int o = 0; o + 1 < dm->n; o++) {
        int i = dm->n - 1 - o;
        ts_tensor *xi, *g, *gt, *y, *yt, *h1, *h, *dd = NULL, *d1;
        TSI_RETURN_IF_ERROR(lc_slice(s, zc, 2, i * dm->d, (i + 1) * dm->d, 1, &xi));
        TSI_RETURN_IF_ERROR(lc_new(s, dt, 3, vs, &g));
        TSI_RETURN_IF_ERROR(ts_binary(TS_MUL, v, xi, g));
        TSI_RETURN_IF_ERROR(lc_permute(s, g, to_cl, &gt));
        TSI_RETURN_IF_ERROR(lc_slice(s, p->filters, 0, o, o + 1, 1, &h1));
        TSI_RETURN_IF_ERROR(lc_reshape(s, h1, 2, fs, &h));
        if (p->d_skip) {
            TSI_RETURN_IF_ERROR(lc_slice(s, p->d_skip, 0, o, o + 1, 1, &d1));
            TSI_RETURN_IF_ERROR(lc_reshape(s, d1, 1, &dm->d, &dd));
        }
        TSI_RETURN_IF_ERROR(lc_new(s, dt, 3, cs, &y));
        ts_fftconv_params fp = {.path = p->path, .d = dd};
        TSI_RETURN_IF_ERROR(ts_fftconv(gt, h, &fp, y));
        TSI_RETURN_IF_ERROR(lc_permute(s, y, to_cl, &yt));
        v = yt;
    }
    ts_tensor *x0, *g;
    TSI_RETURN_IF_ERROR(lc_slice(s, zc, 2, 0, dm->d, 1, &x0));
    TSI_RETURN_IF_ERROR(lc_new(s, dt, 3, vs, &g));
    TSI_RETURN_IF_ERROR(ts_binary(TS_MUL, v, x0, g));
    return linear(s, g, p->out_w, p->out_b, out);
}

TS_API ts_status ts_hyena(const ts_tensor *x, const ts_hyena_params *p, ts_tensor *out)
{
    hy_dims dm;
    TSI_RETURN_IF_ERROR(check_args(x, p, out, &dm));
    if (tsi_numel(out->shape, out->ndim) == 0)
        return TS_OK;
    lc_temps s;
    lc_temps_init(&s, FN, x->st->dev);
    ts_status st = run(&s, x, p, &dm, out);
    lc_temps_free(&s);
    return st;
}
