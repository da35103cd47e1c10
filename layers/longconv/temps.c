/* The pool of temporaries of one long-convolution call: each composite
 * step makes views and scratch tensors; they are all destroyed together
 * when the call returns, on every path. */
#include <stdlib.h>

#include "layers/longconv/longconv_internal.h"

void lc_temps_init(lc_temps *s, const char *fn, ts_device *dev)
{
    s->fn = fn;
    s->dev = dev;
    s->n = 0;
}

void lc_temps_free(lc_temps *s)
{
    while (s->n > 0)
        ts_tensor_destroy(s->t[--s->n]);
}

ts_status lc_keep(lc_temps *s, ts_status st, ts_tensor **tp)
{
    if (st != TS_OK)
        return st;
    if (s->n == LC_MAX_TEMPS) {
        ts_tensor_destroy(*tp);
        *tp = NULL;
        return tsi_fail(TS_ERR_INTERNAL, "%s: more than %d temporaries", s->fn, LC_MAX_TEMPS);
    }
    s->t[s->n++] = *tp;
    return TS_OK;
}

ts_status lc_new(lc_temps *s, ts_dtype dt, int nd, const int64_t *shape, ts_tensor **out)
{
    return lc_keep(s, ts_tensor_create(s->dev, dt, nd, shape, out), out);
}

ts_status lc_new_f32(lc_temps *s, ts_dtype dt, int nd, const int64_t *shape, const float *v,
                     ts_tensor **out)
{
    ts_tensor *f;
    TSI_RETURN_IF_ERROR(lc_new(s, TS_F32, nd, shape, &f));
    TSI_RETURN_IF_ERROR(ts_tensor_write(f, v, (size_t)tsi_numel(shape, nd) * sizeof *v));
    if (dt == TS_F32) {
        *out = f;
        return TS_OK;
    }
    TSI_RETURN_IF_ERROR(lc_new(s, dt, nd, shape, out));
    return ts_cast(f, *out);
}

ts_status lc_slice(lc_temps *s, const ts_tensor *t, int dim, int64_t a, int64_t z, int64_t step,
                   ts_tensor **out)
{
    return lc_keep(s, ts_tensor_slice(t, dim, a, z, step, out), out);
}

ts_status lc_reshape(lc_temps *s, const ts_tensor *t, int nd, const int64_t *shape,
                     ts_tensor **out)
{
    return lc_keep(s, ts_tensor_reshape(t, nd, shape, out), out);
}

ts_status lc_permute(lc_temps *s, const ts_tensor *t, const int *perm, ts_tensor **out)
{
    return lc_keep(s, ts_tensor_permute(t, perm, out), out);
}

ts_status lc_broadcast(lc_temps *s, const ts_tensor *t, int nd, const int64_t *shape,
                       ts_tensor **out)
{
    return lc_keep(s, ts_tensor_broadcast(t, nd, shape, out), out);
}

ts_status lc_as_f32(lc_temps *s, const ts_tensor *t, const ts_tensor **out)
{
    if (t->dtype == TS_F32 && ts_tensor_is_contiguous(t)) {
        *out = t;
        return TS_OK;
    }
    ts_tensor *f;
    TSI_RETURN_IF_ERROR(lc_new(s, TS_F32, t->ndim, t->shape, &f));
    TSI_RETURN_IF_ERROR(t->dtype == TS_F32 ? ts_copy(t, f) : ts_cast(t, f));
    *out = f;
    return TS_OK;
}

ts_status lc_zero(lc_temps *s, ts_tensor *t)
{
    if (tsi_numel(t->shape, t->ndim) == 0)
        return TS_OK;
    static const float zero = 0.0f;
    int64_t one = 1;
    ts_tensor *z, *zb;
    TSI_RETURN_IF_ERROR(lc_new_f32(s, t->dtype, 1, &one, &zero, &z));
    TSI_RETURN_IF_ERROR(lc_broadcast(s, z, t->ndim, t->shape, &zb));
    return ts_copy(zb, t);
}
