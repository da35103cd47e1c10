/* Checks, temporaries and the FFN chain shared by the composed normalization
 * layers (see norm_compose.h). Every function records through the public
 * ops, so the chain runs on any backend that implements matmul, binary,
 * unary and norm, and every temporary is destroyed before returning (a
 * backend keeps a freed buffer alive until recorded work is done). */
#include <math.h>
#include <string.h>

#include "core/layer_api.h"
#include "layers/norm/norm_compose.h"

ts_status tsi_nc_check_vector(const char *fn, const char *what, const ts_tensor *v, ts_dtype dtype,
                              const ts_device *dev, int64_t n)
{
    char s1[TSI_SHAPE_STR_LEN];
    if (!v)
        return TS_OK;
    TSI_CHECK(v->dtype == dtype, TS_ERR_DTYPE, "%s: %s is %s, expected %s like the activations", fn,
              what, ts_dtype_name(v->dtype), ts_dtype_name(dtype));
    TSI_CHECK(v->ndim == 1 && v->shape[0] == n, TS_ERR_SHAPE, "%s: %s is %s, expected [%lld]", fn,
              what, tsi_shape_str(v->shape, v->ndim, s1), (long long)n);
    TSI_CHECK(!dev || v->st->dev == dev, TS_ERR_DEVICE_MISMATCH,
              "%s: %s lives on %s, the activations on %s; use ts_tensor_copy_to", fn, what,
              v->st->dev->info.id, dev ? dev->info.id : "");
    return TS_OK;
}

ts_status tsi_nc_check_weight(const char *fn, ts_dtype dtype, const ts_device *dev, int64_t k,
                              const char *wname, const ts_tensor *w, const char *bname,
                              const ts_tensor *b, int64_t *n)
{
    char s1[TSI_SHAPE_STR_LEN];
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, wname, w));
    TSI_CHECK(w->dtype == dtype, TS_ERR_DTYPE, "%s: %s is %s, expected %s like the activations", fn,
              wname, ts_dtype_name(w->dtype), ts_dtype_name(dtype));
    TSI_CHECK(w->ndim == 2 && w->shape[0] == k, TS_ERR_SHAPE, "%s: %s is %s, expected [%lld, N]",
              fn, wname, tsi_shape_str(w->shape, w->ndim, s1), (long long)k);
    TSI_CHECK(!dev || w->st->dev == dev, TS_ERR_DEVICE_MISMATCH,
              "%s: %s lives on %s, the activations on %s; use ts_tensor_copy_to", fn, wname,
              w->st->dev->info.id, dev ? dev->info.id : "");
    *n = w->shape[1];
    return tsi_nc_check_vector(fn, bname, b, dtype, dev, *n);
}

ts_status tsi_nc_check_linear(const char *fn, const char *xname, const ts_tensor *x,
                              const char *wname, const ts_tensor *w, const char *bname,
                              const ts_tensor *b, int64_t *n)
{
    char s1[TSI_SHAPE_STR_LEN];
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, xname, x));
    TSI_RETURN_IF_ERROR(tsi_check_float(fn, xname, x));
    TSI_CHECK(x->ndim >= 2, TS_ERR_SHAPE, "%s: %s is %s; activations need 2 to 4 dims [.., D]", fn,
              xname, tsi_shape_str(x->shape, x->ndim, s1));
    return tsi_nc_check_weight(fn, x->dtype, x->st->dev, x->shape[x->ndim - 1], wname, w, bname, b,
                               n);
}

ts_status tsi_nc_check_output(const char *fn, const char *what, const ts_tensor *out,
                              const ts_tensor *x, int64_t n, const ts_tensor *const *ins, int n_in)
{
    char s1[TSI_SHAPE_STR_LEN], s2[TSI_SHAPE_STR_LEN];
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, what, out));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "x", x, what, out));
    int64_t want[TS_MAX_DIMS];
    memcpy(want, x->shape, sizeof want);
    want[x->ndim - 1] = n;
    bool same = out->ndim == x->ndim;
    for (int i = 0; same && i < x->ndim; i++)
        same = out->shape[i] == want[i];
    TSI_CHECK(same, TS_ERR_SHAPE, "%s: %s is %s, expected %s", fn, what,
              tsi_shape_str(out->shape, out->ndim, s1), tsi_shape_str(want, x->ndim, s2));
    const ts_tensor *pair[] = {x, out};
    TSI_RETURN_IF_ERROR(tsi_check_devices(fn, pair, 2));
    TSI_RETURN_IF_ERROR(tsi_check_output(fn, what, out, ins, n_in));
    return tsi_check_contiguous_output(fn, what, out);
}

ts_status tsi_nc_temp(const char *fn, const ts_tensor *x, int64_t n, ts_tensor **out)
{
    int64_t shape[TS_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = n;
    ts_status st = ts_tensor_create(x->st->dev, x->dtype, x->ndim, shape, out);
    if (st != TS_OK) {
        char s1[TSI_SHAPE_STR_LEN];
        return tsi_fail(st, "%s: cannot allocate a %s %s temporary", fn, ts_dtype_name(x->dtype),
                        tsi_shape_str(shape, x->ndim, s1));
    }
    return TS_OK;
}

ts_status tsi_nc_linear(const char *fn, const ts_tensor *x, const ts_tensor *w, const ts_tensor *b,
                        ts_tensor *out)
{
    if (!b)
        return ts_matmul(x, w, out);
    ts_tensor *t = NULL;
    TSI_RETURN_IF_ERROR(tsi_nc_temp(fn, x, w->shape[1], &t));
    ts_status st = ts_matmul(x, w, t);
    if (st == TS_OK)
        st = ts_binary(TS_ADD, t, b, out);
    ts_tensor_destroy(t);
    return st;
}

static ts_status check_ffn(const char *fn, const tsi_nc_ffn *f, int64_t *hidden)
{
    int64_t h = 0, n_out = 0;
    TSI_CHECK((unsigned)f->act < TS_UNARY_COUNT, TS_ERR_INVALID_ARGUMENT,
              "%s: invalid activation %d", fn, (int)f->act);
    TSI_RETURN_IF_ERROR(tsi_nc_check_linear(fn, "x", f->x, "w1", f->w1, "b1", f->b1, &h));
    const ts_device *dev = f->x->st->dev;
    if (f->with_ln) {
        TSI_RETURN_IF_ERROR(
            tsi_nc_check_vector(fn, "ln_weight", f->ln_weight, f->x->dtype, dev, h));
        TSI_RETURN_IF_ERROR(tsi_nc_check_vector(fn, "ln_bias", f->ln_bias, f->x->dtype, dev, h));
        TSI_CHECK(f->eps > 0.0f && isfinite(f->eps), TS_ERR_INVALID_ARGUMENT,
                  "%s: eps must be a finite value > 0, not %g", fn, (double)f->eps);
    }
    TSI_RETURN_IF_ERROR(
        tsi_nc_check_weight(fn, f->x->dtype, dev, h, "w2", f->w2, "b2", f->b2, &n_out));
    const ts_tensor *ins[] = {f->x, f->w1, f->b1, f->ln_weight, f->ln_bias, f->w2, f->b2};
    TSI_RETURN_IF_ERROR(tsi_nc_check_output(fn, "out", f->out, f->x, n_out, ins, 7));
    *hidden = h;
    return TS_OK;
}

/* Each step reads one temporary and writes the other (ops never write over
 * their input); afterwards *cur holds the step's result. */
static void swap_temps(ts_tensor **cur, ts_tensor **other)
{
    ts_tensor *t = *cur;
    *cur = *other;
    *other = t;
}

ts_status tsi_nc_ffn_run(const char *fn, const tsi_nc_ffn *f)
{
    int64_t h = 0;
    TSI_RETURN_IF_ERROR(check_ffn(fn, f, &h));
    ts_tensor *cur = NULL, *other = NULL;
    ts_status st = tsi_nc_temp(fn, f->x, h, &cur);
    if (st == TS_OK)
        st = tsi_nc_temp(fn, f->x, h, &other);
    if (st == TS_OK)
        st = ts_matmul(f->x, f->w1, cur);
    if (st == TS_OK && f->b1) {
        st = ts_binary(TS_ADD, cur, f->b1, other);
        swap_temps(&cur, &other);
    }
    if (st == TS_OK) {
        st = ts_unary(f->act, cur, other);
        swap_temps(&cur, &other);
    }
    if (st == TS_OK && f->with_ln) {
        st = tsi_norm_named(fn, NULL, TSI_NORM_LAYER, cur, NULL, 1.0f, f->ln_weight, f->ln_bias,
                            f->eps, other, NULL);
        swap_temps(&cur, &other);
    }
    /* Free the spare before the second projection allocates its own. */
    ts_tensor_destroy(other);
    if (st == TS_OK)
        st = tsi_nc_linear(fn, cur, f->w2, f->b2, f->out);
    ts_tensor_destroy(cur);
    return st;
}
