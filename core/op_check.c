/* Checks shared by every op: non-NULL handles, dtypes, one device, outputs
 * that are writable and do not overlap inputs, numpy broadcasting. Each
 * failure names the function and the values involved. */
#include <math.h>

#include "core/dispatch.h"

ts_status tsi_check_tensor(const char *fn, const char *what, const ts_tensor *t)
{
    TSI_CHECK(t, TS_ERR_INVALID_ARGUMENT, "%s: %s is NULL", fn, what);
    return TS_OK;
}

ts_status tsi_check_float(const char *fn, const char *what, const ts_tensor *t)
{
    TSI_CHECK(tsi_dtype_is_float(t->dtype), TS_ERR_DTYPE,
              "%s: %s must be a float dtype (f32, f16, bf16), not %s", fn, what,
              ts_dtype_name(t->dtype));
    return TS_OK;
}

ts_status tsi_check_real(const char *fn, const char *what, const ts_tensor *t)
{
    TSI_CHECK(t->dtype != TS_C64, TS_ERR_DTYPE,
              "%s: %s must be a real dtype (f32, f16, bf16, i32), not c64", fn, what);
    return TS_OK;
}

ts_status tsi_check_dtype(const char *fn, const char *what, const ts_tensor *t, ts_dtype want)
{
    TSI_CHECK(t->dtype == want, TS_ERR_DTYPE, "%s: %s must be %s, not %s", fn, what,
              ts_dtype_name(want), ts_dtype_name(t->dtype));
    return TS_OK;
}

ts_status tsi_check_same_dtype(const char *fn, const char *what_a, const ts_tensor *a,
                               const char *what_b, const ts_tensor *b)
{
    TSI_CHECK(a->dtype == b->dtype, TS_ERR_DTYPE, "%s: dtypes differ: %s is %s, %s is %s", fn,
              what_a, ts_dtype_name(a->dtype), what_b, ts_dtype_name(b->dtype));
    return TS_OK;
}

static bool same_padded_shape(const ts_tensor *a, const ts_tensor *b)
{
    int64_t pa[4], pb[4];
    tsi_pad_shape(a->shape, a->ndim, pa);
    tsi_pad_shape(b->shape, b->ndim, pb);
    for (int i = 0; i < 4; i++)
        if (pa[i] != pb[i])
            return false;
    return true;
}

ts_status tsi_check_same_shape(const char *fn, const char *what_a, const ts_tensor *a,
                               const char *what_b, const ts_tensor *b)
{
    char sa[TSI_SHAPE_STR_LEN], sb[TSI_SHAPE_STR_LEN];
    TSI_CHECK(a->ndim == b->ndim && same_padded_shape(a, b), TS_ERR_SHAPE,
              "%s: shapes differ: %s is %s, %s is %s", fn, what_a,
              tsi_shape_str(a->shape, a->ndim, sa), what_b, tsi_shape_str(b->shape, b->ndim, sb));
    return TS_OK;
}

ts_status tsi_check_devices(const char *fn, const ts_tensor *const *ts, int n)
{
    const ts_tensor *first = NULL;
    for (int i = 0; i < n; i++) {
        if (!ts[i])
            continue;
        if (!first) {
            first = ts[i];
            continue;
        }
        TSI_CHECK(ts[i]->st->dev == first->st->dev, TS_ERR_DEVICE_MISMATCH,
                  "%s: tensors live on different devices (%s and %s); use ts_tensor_copy_to", fn,
                  first->st->dev->info.id, ts[i]->st->dev->info.id);
    }
    return TS_OK;
}

/* First and one-past-last element a view can touch; empty for no elements. */
static void element_range(const ts_tensor *t, int64_t *lo, int64_t *hi)
{
    int64_t last = t->offset;
    for (int i = 0; i < t->ndim; i++) {
        if (t->shape[i] == 0) {
            *lo = *hi = t->offset;
            return;
        }
        last += (t->shape[i] - 1) * t->stride[i];
    }
    *lo = t->offset;
    *hi = last + 1;
}

bool tsi_tensors_overlap(const ts_tensor *a, const ts_tensor *b)
{
    if (a->st != b->st)
        return false;
    int64_t alo, ahi, blo, bhi;
    element_range(a, &alo, &ahi);
    element_range(b, &blo, &bhi);
    if (alo == ahi || blo == bhi)
        return false;
    /* Storage is untyped: compare bytes, since a cast may view it twice. */
    int64_t ea = (int64_t)ts_dtype_size(a->dtype), eb = (int64_t)ts_dtype_size(b->dtype);
    return alo * ea < bhi * eb && blo * eb < ahi * ea;
}

ts_status tsi_check_output(const char *fn, const char *what, const ts_tensor *out,
                           const ts_tensor *const *ins, int n_in)
{
    TSI_CHECK(!out->read_only, TS_ERR_ALIASING,
              "%s: %s is a broadcast view (read-only); write into a real tensor", fn, what);
    for (int i = 0; i < n_in; i++)
        TSI_CHECK(!ins[i] || !tsi_tensors_overlap(out, ins[i]), TS_ERR_ALIASING,
                  "%s: %s overlaps an input (in-place ops are not supported; use another "
                  "output tensor)",
                  fn, what);
    return TS_OK;
}

ts_status tsi_check_contiguous_output(const char *fn, const char *what, const ts_tensor *out)
{
    TSI_CHECK(tsi_strides_contiguous(out->shape, out->stride, out->ndim), TS_ERR_INVALID_ARGUMENT,
              "%s: %s must be contiguous (write into a new tensor, then ts_copy into the view)", fn,
              what);
    return TS_OK;
}

ts_status tsi_check_finite(const char *fn, const char *what, float v)
{
    TSI_CHECK(isfinite(v), TS_ERR_INVALID_ARGUMENT, "%s: %s must be finite, not %g", fn, what,
              (double)v);
    return TS_OK;
}

ts_status tsi_check_positive(const char *fn, const char *what, float v)
{
    TSI_CHECK(isfinite(v) && v > 0.0f, TS_ERR_INVALID_ARGUMENT,
              "%s: %s must be a finite value > 0, not %g", fn, what, (double)v);
    return TS_OK;
}

ts_status tsi_broadcast_shapes(const char *fn, const ts_tensor *a, const ts_tensor *b,
                               int64_t out[4], int *out_ndim)
{
    int64_t pa[4], pb[4];
    tsi_pad_shape(a->shape, a->ndim, pa);
    tsi_pad_shape(b->shape, b->ndim, pb);
    for (int i = 0; i < 4; i++) {
        if (pa[i] == pb[i] || pb[i] == 1) {
            out[i] = pa[i];
        } else if (pa[i] == 1) {
            out[i] = pb[i];
        } else {
            char sa[TSI_SHAPE_STR_LEN], sb[TSI_SHAPE_STR_LEN];
            return tsi_fail(TS_ERR_SHAPE, "%s: cannot broadcast %s with %s", fn,
                            tsi_shape_str(a->shape, a->ndim, sa),
                            tsi_shape_str(b->shape, b->ndim, sb));
        }
    }
    *out_ndim = a->ndim > b->ndim ? a->ndim : b->ndim;
    return TS_OK;
}
