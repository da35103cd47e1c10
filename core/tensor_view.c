/* Views: new tensor headers over the same storage (slice, permute,
 * transpose, reshape, broadcast). No data moves here; a view that cannot
 * be expressed with strides is refused with advice to copy. */
#include <string.h>

#include "core/internal.h"

static ts_status view_start(const char *fn, const ts_tensor *t, ts_tensor **out)
{
    TSI_CHECK(out, TS_ERR_INVALID_ARGUMENT, "%s: out is NULL", fn);
    *out = NULL;
    TSI_CHECK(t, TS_ERR_INVALID_ARGUMENT, "%s: tensor is NULL", fn);
    return TS_OK;
}

TS_API ts_status ts_tensor_slice(const ts_tensor *t, int dim, int64_t start, int64_t stop,
                                 int64_t step, ts_tensor **out)
{
    static const char fn[] = "ts_tensor_slice";
    TSI_RETURN_IF_ERROR(view_start(fn, t, out));
    int d = tsi_norm_dim(dim, t->ndim);
    TSI_CHECK(d >= 0, TS_ERR_INVALID_ARGUMENT, "%s: dim %d is out of range for %d dims", fn, dim,
              t->ndim);
    TSI_CHECK(step >= 1, TS_ERR_INVALID_ARGUMENT, "%s: step %lld must be >= 1", fn,
              (long long)step);
    TSI_CHECK(start >= 0 && start <= stop && stop <= t->shape[d], TS_ERR_SHAPE,
              "%s: range [%lld, %lld) does not fit dim %d of size %lld", fn, (long long)start,
              (long long)stop, d, (long long)t->shape[d]);
    ts_tensor *v;
    TSI_RETURN_IF_ERROR(tsi_tensor_view_of(t, &v));
    /* (stop - start + step - 1) / step would overflow for a huge step. */
    int64_t n = stop > start ? (stop - start - 1) / step + 1 : 0;
    if (n > 0)
        v->offset += start * t->stride[d];
    v->shape[d] = n;
    /* With at most one element the stride is never used (and may overflow). */
    if (n > 1)
        v->stride[d] = t->stride[d] * step;
    *out = v;
    return TS_OK;
}

TS_API ts_status ts_tensor_permute(const ts_tensor *t, const int *perm, ts_tensor **out)
{
    static const char fn[] = "ts_tensor_permute";
    TSI_RETURN_IF_ERROR(view_start(fn, t, out));
    TSI_CHECK(perm, TS_ERR_INVALID_ARGUMENT, "%s: perm is NULL", fn);
    bool seen[TS_MAX_DIMS] = {false};
    for (int i = 0; i < t->ndim; i++) {
        TSI_CHECK(perm[i] >= 0 && perm[i] < t->ndim && !seen[perm[i]], TS_ERR_INVALID_ARGUMENT,
                  "%s: perm is not a permutation of 0..%d (entry %d is %d)", fn, t->ndim - 1, i,
                  perm[i]);
        seen[perm[i]] = true;
    }
    ts_tensor *v;
    TSI_RETURN_IF_ERROR(tsi_tensor_view_of(t, &v));
    for (int i = 0; i < t->ndim; i++) {
        v->shape[i] = t->shape[perm[i]];
        v->stride[i] = t->stride[perm[i]];
    }
    *out = v;
    return TS_OK;
}

TS_API ts_status ts_tensor_transpose(const ts_tensor *t, int dim0, int dim1, ts_tensor **out)
{
    static const char fn[] = "ts_tensor_transpose";
    TSI_RETURN_IF_ERROR(view_start(fn, t, out));
    int a = tsi_norm_dim(dim0, t->ndim), b = tsi_norm_dim(dim1, t->ndim);
    TSI_CHECK(a >= 0 && b >= 0, TS_ERR_INVALID_ARGUMENT,
              "%s: dims %d, %d are out of range for %d dims", fn, dim0, dim1, t->ndim);
    int perm[TS_MAX_DIMS];
    for (int i = 0; i < t->ndim; i++)
        perm[i] = i;
    perm[a] = b;
    perm[b] = a;
    return ts_tensor_permute(t, perm, out);
}

/* Resolve a -1 entry; checks the element count is unchanged. */
static ts_status resolve_shape(const char *fn, const ts_tensor *t, int ndim, const int64_t *shape,
                               int64_t *res)
{
    int infer = -1;
    int64_t known = 1, numel = tsi_numel(t->shape, t->ndim);
    char s1[TSI_SHAPE_STR_LEN], s2[TSI_SHAPE_STR_LEN];
    for (int i = 0; i < ndim; i++) {
        res[i] = shape[i];
        if (shape[i] == -1) {
            TSI_CHECK(infer < 0, TS_ERR_SHAPE, "%s: more than one -1 in the new shape", fn);
            infer = i;
            continue;
        }
        TSI_CHECK(shape[i] >= 0, TS_ERR_SHAPE, "%s: dim %d is negative (%lld)", fn, i,
                  (long long)shape[i]);
        TSI_CHECK(tsi_mul_checked(known, shape[i], &known), TS_ERR_OVERFLOW,
                  "%s: the new shape's element count overflows", fn);
    }
    if (infer >= 0) {
        TSI_CHECK(known != 0 && numel % known == 0, TS_ERR_SHAPE,
                  "%s: cannot infer the -1 dim reshaping %s (%lld elements)", fn,
                  tsi_shape_str(t->shape, t->ndim, s1), (long long)numel);
        res[infer] = numel / known;
        known = numel;
    }
    TSI_CHECK(known == numel, TS_ERR_SHAPE,
              "%s: cannot reshape %s (%lld elements) to %s (%lld elements)", fn,
              tsi_shape_str(t->shape, t->ndim, s1), (long long)numel, tsi_shape_str(res, ndim, s2),
              (long long)known);
    TSI_CHECK(tsi_extent_fits(res, ndim), TS_ERR_OVERFLOW, "%s: the strides of shape %s overflow",
              fn, tsi_shape_str(res, ndim, s2));
    return TS_OK;
}

/* Strides for `shape` over t's layout without copying, or false. Groups of
 * old dims that are contiguous with each other map onto groups of new
 * dims with the same element count (numpy's _attempt_nocopy_reshape). */
static bool nocopy_strides(const ts_tensor *t, int ndim, const int64_t *shape, int64_t *stride)
{
    int64_t oshape[TS_MAX_DIMS], ostride[TS_MAX_DIMS];
    int on = 0;
    for (int i = 0; i < t->ndim; i++) {
        if (t->shape[i] != 1) {
            oshape[on] = t->shape[i];
            ostride[on++] = t->stride[i];
        }
    }
    int oi = 0, oj = 1, ni = 0, nj = 1;
    while (ni < ndim && oi < on) {
        int64_t np = shape[ni], op = oshape[oi];
        while (np != op) {
            if (np < op)
                np *= shape[nj++];
            else
                op *= oshape[oj++];
        }
        for (int k = oi; k < oj - 1; k++)
            if (ostride[k] != oshape[k + 1] * ostride[k + 1])
                return false;
        stride[nj - 1] = ostride[oj - 1];
        for (int k = nj - 1; k > ni; k--)
            stride[k - 1] = stride[k] * shape[k];
        ni = nj++;
        oi = oj++;
    }
    /* Trailing size-1 dims of the new shape. */
    int64_t last = ni > 0 ? stride[ni - 1] : 1;
    for (int k = ni; k < ndim; k++)
        stride[k] = last;
    return true;
}

TS_API ts_status ts_tensor_reshape(const ts_tensor *t, int ndim, const int64_t *shape,
                                   ts_tensor **out)
{
    static const char fn[] = "ts_tensor_reshape";
    TSI_RETURN_IF_ERROR(view_start(fn, t, out));
    TSI_CHECK(ndim >= 1 && ndim <= TS_MAX_DIMS, TS_ERR_INVALID_ARGUMENT,
              "%s: ndim %d is outside 1..%d", fn, ndim, TS_MAX_DIMS);
    TSI_CHECK(shape, TS_ERR_INVALID_ARGUMENT, "%s: shape is NULL", fn);
    int64_t res[TS_MAX_DIMS], stride[TS_MAX_DIMS];
    TSI_RETURN_IF_ERROR(resolve_shape(fn, t, ndim, shape, res));
    if (tsi_numel(res, ndim) == 0 || tsi_strides_contiguous(t->shape, t->stride, t->ndim)) {
        tsi_contiguous_strides(res, ndim, stride);
    } else if (!nocopy_strides(t, ndim, res, stride)) {
        char s1[TSI_SHAPE_STR_LEN], s2[TSI_SHAPE_STR_LEN];
        return tsi_fail(TS_ERR_SHAPE,
                        "%s: this %s view's strides cannot be reshaped to %s without a copy; "
                        "ts_copy it into a new tensor first",
                        fn, tsi_shape_str(t->shape, t->ndim, s1), tsi_shape_str(res, ndim, s2));
    }
    ts_tensor *v;
    TSI_RETURN_IF_ERROR(tsi_tensor_view_of(t, &v));
    v->ndim = ndim;
    memcpy(v->shape, res, sizeof *res * (size_t)ndim);
    memcpy(v->stride, stride, sizeof *stride * (size_t)ndim);
    *out = v;
    return TS_OK;
}

TS_API ts_status ts_tensor_broadcast(const ts_tensor *t, int ndim, const int64_t *shape,
                                     ts_tensor **out)
{
    static const char fn[] = "ts_tensor_broadcast";
    TSI_RETURN_IF_ERROR(view_start(fn, t, out));
    TSI_CHECK(shape, TS_ERR_INVALID_ARGUMENT, "%s: shape is NULL", fn);
    TSI_CHECK(ndim >= t->ndim && ndim <= TS_MAX_DIMS, TS_ERR_SHAPE,
              "%s: cannot broadcast %d dims to %d dims", fn, t->ndim, ndim);
    int pad = ndim - t->ndim;
    int64_t stride[TS_MAX_DIMS], numel = 1;
    for (int i = 0; i < ndim; i++) {
        int64_t from = i < pad ? 1 : t->shape[i - pad];
        char s1[TSI_SHAPE_STR_LEN], s2[TSI_SHAPE_STR_LEN];
        TSI_CHECK(shape[i] >= 0 && (from == shape[i] || from == 1), TS_ERR_SHAPE,
                  "%s: cannot broadcast %s to %s", fn, tsi_shape_str(t->shape, t->ndim, s1),
                  tsi_shape_str(shape, ndim, s2));
        stride[i] = (from == shape[i] && i >= pad) ? t->stride[i - pad] : 0;
    }
    /* Ops index every element of a view with int64 (and size it in bytes);
     * slices of the view compute offsets from its extent. */
    char s1[TSI_SHAPE_STR_LEN];
    for (int i = 0; i < ndim; i++) {
        int64_t bytes;
        TSI_CHECK(tsi_mul_checked(numel, shape[i], &numel) &&
                      tsi_mul_checked(numel, (int64_t)ts_dtype_size(t->dtype), &bytes),
                  TS_ERR_OVERFLOW, "%s: the element count of shape %s overflows", fn,
                  tsi_shape_str(shape, ndim, s1));
    }
    TSI_CHECK(tsi_extent_fits(shape, ndim), TS_ERR_OVERFLOW, "%s: the strides of shape %s overflow",
              fn, tsi_shape_str(shape, ndim, s1));
    ts_tensor *v;
    TSI_RETURN_IF_ERROR(tsi_tensor_view_of(t, &v));
    v->ndim = ndim;
    memcpy(v->shape, shape, sizeof *shape * (size_t)ndim);
    memcpy(v->stride, stride, sizeof *stride * (size_t)ndim);
    v->read_only = true;
    *out = v;
    return TS_OK;
}

/* c64 [..., n] -> f32 [..., n, 2]: the same bytes counted in floats. */
TS_API ts_status ts_tensor_view_as_real(const ts_tensor *c, ts_tensor **out)
{
    static const char fn[] = "ts_tensor_view_as_real";
    TSI_RETURN_IF_ERROR(view_start(fn, c, out));
    TSI_CHECK(c->dtype == TS_C64, TS_ERR_DTYPE, "%s: tensor must be c64, not %s", fn,
              ts_dtype_name(c->dtype));
    TSI_CHECK(c->ndim < TS_MAX_DIMS, TS_ERR_SHAPE,
              "%s: a c64 tensor of %d dims would need %d (at most %d)", fn, c->ndim, c->ndim + 1,
              TS_MAX_DIMS);
    /* Strides and offset double; a view's extent fits in int64 bytes, but a
     * dim of size 1 (or an empty view) may carry any stride a slice gave it. */
    for (int i = 0; i < c->ndim; i++)
        TSI_CHECK(c->stride[i] <= INT64_MAX / 2 && c->stride[i] >= -(INT64_MAX / 2),
                  TS_ERR_OVERFLOW,
                  "%s: the stride of dim %d (%lld) overflows counted in floats; ts_copy the view "
                  "into a new tensor first",
                  fn, i, (long long)c->stride[i]);
    ts_tensor *v;
    TSI_RETURN_IF_ERROR(tsi_tensor_view_of(c, &v));
    v->dtype = TS_F32;
    v->offset = 2 * c->offset;
    for (int i = 0; i < c->ndim; i++)
        v->stride[i] = 2 * c->stride[i];
    v->shape[c->ndim] = 2;
    v->stride[c->ndim] = 1;
    v->ndim = c->ndim + 1;
    *out = v;
    return TS_OK;
}

/* f32 [..., 2] -> c64 [...] when each (re, im) pair is adjacent and every
 * complex element starts on an 8-byte boundary. */
TS_API ts_status ts_tensor_view_as_complex(const ts_tensor *f, ts_tensor **out)
{
    static const char fn[] = "ts_tensor_view_as_complex";
    TSI_RETURN_IF_ERROR(view_start(fn, f, out));
    TSI_CHECK(f->dtype == TS_F32, TS_ERR_DTYPE, "%s: tensor must be f32, not %s", fn,
              ts_dtype_name(f->dtype));
    char s[TSI_SHAPE_STR_LEN];
    int last = f->ndim - 1;
    TSI_CHECK(f->ndim >= 2 && f->shape[last] == 2, TS_ERR_SHAPE,
              "%s: shape %s must have at least 2 dims and a last dim of 2 (re, im)", fn,
              tsi_shape_str(f->shape, f->ndim, s));
    TSI_CHECK(f->stride[last] == 1, TS_ERR_SHAPE,
              "%s: the last dim must have stride 1 (re and im adjacent), not %lld; ts_copy the "
              "view into a new tensor first",
              fn, (long long)f->stride[last]);
    bool empty = tsi_numel(f->shape, f->ndim) == 0;
    TSI_CHECK(empty || f->offset % 2 == 0, TS_ERR_SHAPE,
              "%s: the offset (%lld floats) must be even; ts_copy the view into a new tensor "
              "first",
              fn, (long long)f->offset);
    for (int i = 0; i < last; i++)
        TSI_CHECK(empty || f->shape[i] == 1 || f->stride[i] % 2 == 0, TS_ERR_SHAPE,
                  "%s: dim %d has an odd stride (%lld floats); ts_copy the view into a new "
                  "tensor first",
                  fn, i, (long long)f->stride[i]);
    ts_tensor *v;
    TSI_RETURN_IF_ERROR(tsi_tensor_view_of(f, &v));
    v->dtype = TS_C64;
    v->ndim = last;
    /* An empty view touches nothing: any offset and strides are as good. */
    v->offset = empty ? 0 : f->offset / 2;
    for (int i = 0; i < last; i++)
        v->stride[i] = empty || f->shape[i] == 1 ? 0 : f->stride[i] / 2;
    v->shape[last] = 0;
    v->stride[last] = 0;
    *out = v;
    return TS_OK;
}
