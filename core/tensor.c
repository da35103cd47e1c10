/* Tensors and their storage: creation with size/limit checks, refcounted
 * storage shared by views, host transfers (reading any view by copying it
 * on the device into a contiguous temporary first), copies between devices,
 * and the accessors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dispatch.h"

int64_t tsi_numel(const int64_t *shape, int ndim)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    return n;
}

bool tsi_strides_contiguous(const int64_t *shape, const int64_t *stride, int ndim)
{
    int64_t expect = 1;
    if (tsi_numel(shape, ndim) == 0)
        return true;
    for (int i = ndim - 1; i >= 0; i--) {
        if (shape[i] == 1)
            continue;
        if (stride[i] != expect)
            return false;
        expect *= shape[i];
    }
    return true;
}

void tsi_contiguous_strides(const int64_t *shape, int ndim, int64_t *stride)
{
    int64_t s = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        stride[i] = s;
        s *= shape[i] > 0 ? shape[i] : 1;
    }
}

static const char *human_bytes(uint64_t b, char *buf, size_t len)
{
    static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)b;
    int u = 0;
    while (v >= 1024.0 && u < 6) {
        v /= 1024.0;
        u++;
    }
    snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, units[u]);
    return buf;
}

ts_status tsi_check_new_tensor(const char *fn, const ts_device *dev, ts_dtype dtype, int ndim,
                               const int64_t *shape, size_t *bytes)
{
    TSI_CHECK(dev, TS_ERR_INVALID_ARGUMENT, "%s: dev is NULL", fn);
    TSI_CHECK(tsi_dtype_valid(dtype), TS_ERR_INVALID_ARGUMENT, "%s: invalid dtype %d", fn,
              (int)dtype);
    TSI_CHECK(ndim >= 1 && ndim <= TS_MAX_DIMS, TS_ERR_INVALID_ARGUMENT,
              "%s: ndim %d is outside 1..%d", fn, ndim, TS_MAX_DIMS);
    TSI_CHECK(shape, TS_ERR_INVALID_ARGUMENT, "%s: shape is NULL", fn);
    int64_t n = 1;
    char s[TSI_SHAPE_STR_LEN];
    for (int i = 0; i < ndim; i++)
        TSI_CHECK(shape[i] >= 0, TS_ERR_SHAPE, "%s: dim %d is negative (%lld)", fn, i,
                  (long long)shape[i]);
    for (int i = 0; i < ndim; i++)
        TSI_CHECK(tsi_mul_checked(n, shape[i], &n), TS_ERR_OVERFLOW,
                  "%s: the element count of shape %s overflows", fn, tsi_shape_str(shape, ndim, s));
    TSI_CHECK(tsi_extent_fits(shape, ndim), TS_ERR_OVERFLOW,
              "%s: the strides of shape %s overflow", fn, tsi_shape_str(shape, ndim, s));
    int64_t b;
    TSI_CHECK(tsi_mul_checked(n, (int64_t)ts_dtype_size(dtype), &b) && (uint64_t)b <= SIZE_MAX,
              TS_ERR_OVERFLOW, "%s: %s %s tensor is too large to address", fn,
              tsi_shape_str(shape, ndim, s), ts_dtype_name(dtype));
    uint64_t max = dev->info.max_alloc_bytes;
    if (max && (uint64_t)b > max) {
        char hb[32], hm[32];
        return tsi_fail(
            TS_ERR_OVERFLOW, "%s: %s %s tensor needs %s, more than %s allows in one buffer (%s)",
            fn, tsi_shape_str(shape, ndim, s), ts_dtype_name(dtype),
            human_bytes((uint64_t)b, hb, sizeof hb), dev->info.id, human_bytes(max, hm, sizeof hm));
    }
    *bytes = (size_t)b;
    return TS_OK;
}

TS_API ts_status ts_tensor_create(ts_device *dev, ts_dtype dtype, int ndim, const int64_t *shape,
                                  ts_tensor **out)
{
    static const char fn[] = "ts_tensor_create";
    TSI_CHECK(out, TS_ERR_INVALID_ARGUMENT, "%s: out is NULL", fn);
    *out = NULL;
    size_t bytes;
    TSI_RETURN_IF_ERROR(tsi_check_new_tensor(fn, dev, dtype, ndim, shape, &bytes));
    tsi_storage *st = tsi_calloc(1, sizeof *st);
    ts_tensor *t = tsi_calloc(1, sizeof *t);
    if (!st || !t) {
        free(st);
        free(t);
        return tsi_fail(TS_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    }
    if (bytes > 0) {
        ts_status s = tsi_device_lock(dev);
        if (s == TS_OK) {
            s = tsi_buffer_alloc_locked(dev, bytes, &st->buf);
            tsi_device_unlock(dev);
        }
        if (s != TS_OK) {
            free(st);
            free(t);
            return s;
        }
    }
    atomic_init(&st->refs, 1);
    st->dev = dev;
    st->bytes = bytes;
    t->st = st;
    t->dtype = dtype;
    t->ndim = ndim;
    memcpy(t->shape, shape, sizeof *shape * (size_t)ndim);
    tsi_contiguous_strides(shape, ndim, t->stride);
    *out = t;
    return TS_OK;
}

static void storage_release(tsi_storage *st)
{
    if (atomic_fetch_sub(&st->refs, 1) != 1)
        return;
    if (st->buf) {
        pthread_mutex_lock(&st->dev->lock);
        tsi_buffer_free_locked(st->dev, st->buf, st->bytes);
        pthread_mutex_unlock(&st->dev->lock);
    }
    free(st);
}

TS_API void ts_tensor_destroy(ts_tensor *t)
{
    if (!t)
        return;
    storage_release(t->st);
    free(t);
}

ts_status tsi_tensor_view_of(const ts_tensor *t, ts_tensor **out)
{
    ts_tensor *v = tsi_malloc(sizeof *v);
    if (!v)
        return tsi_fail(TS_ERR_OUT_OF_MEMORY, "out of host memory for a view");
    *v = *t;
    atomic_fetch_add(&t->st->refs, 1);
    *out = v;
    return TS_OK;
}

static size_t tensor_bytes(const ts_tensor *t)
{
    return (size_t)tsi_numel(t->shape, t->ndim) * ts_dtype_size(t->dtype);
}

TS_API ts_status ts_tensor_write(ts_tensor *t, const void *src, size_t bytes)
{
    static const char fn[] = "ts_tensor_write";
    TSI_CHECK(t, TS_ERR_INVALID_ARGUMENT, "%s: tensor is NULL", fn);
    size_t want = tensor_bytes(t);
    TSI_CHECK(bytes == want, TS_ERR_INVALID_ARGUMENT, "%s: bytes is %zu but the tensor holds %zu",
              fn, bytes, want);
    TSI_CHECK(src || bytes == 0, TS_ERR_INVALID_ARGUMENT, "%s: src is NULL", fn);
    TSI_CHECK(!t->read_only, TS_ERR_ALIASING, "%s: tensor is a broadcast view (read-only)", fn);
    TSI_CHECK(tsi_strides_contiguous(t->shape, t->stride, t->ndim), TS_ERR_INVALID_ARGUMENT,
              "%s: tensor is not contiguous (write a new tensor, then ts_copy into the view)", fn);
    if (bytes == 0)
        return TS_OK;
    ts_device *dev = t->st->dev;
    TSI_RETURN_IF_ERROR(tsi_device_lock(dev));
    ts_status st = dev->slot->vt->buffer_write(
        dev->bdev, t->st->buf, (size_t)t->offset * ts_dtype_size(t->dtype), src, bytes);
    tsi_device_unlock(dev);
    return st;
}

/* Read a strided view: copy it on the device into a contiguous temporary. */
static ts_status read_strided_locked(const ts_tensor *t, void *dst, size_t bytes)
{
    ts_device *dev = t->st->dev;
    tsi_view src, tmp;
    tsi_buffer *buf;
    tsi_view_of(t, &src);
    TSI_RETURN_IF_ERROR(tsi_buffer_alloc_locked(dev, bytes, &buf));
    tsi_view_contiguous(buf, t->dtype, src.shape, &tmp);
    ts_status st = tsi_record_copy_locked("ts_tensor_read", dev, &src, &tmp);
    if (st == TS_OK)
        st = dev->slot->vt->buffer_read(dev->bdev, buf, 0, dst, bytes);
    tsi_buffer_free_locked(dev, buf, bytes);
    return st;
}

TS_API ts_status ts_tensor_read(const ts_tensor *t, void *dst, size_t bytes)
{
    static const char fn[] = "ts_tensor_read";
    TSI_CHECK(t, TS_ERR_INVALID_ARGUMENT, "%s: tensor is NULL", fn);
    size_t want = tensor_bytes(t);
    TSI_CHECK(bytes == want, TS_ERR_INVALID_ARGUMENT, "%s: bytes is %zu but the tensor holds %zu",
              fn, bytes, want);
    TSI_CHECK(dst || bytes == 0, TS_ERR_INVALID_ARGUMENT, "%s: dst is NULL", fn);
    if (bytes == 0)
        return TS_OK;
    ts_device *dev = t->st->dev;
    TSI_RETURN_IF_ERROR(tsi_device_lock(dev));
    ts_status st;
    if (tsi_strides_contiguous(t->shape, t->stride, t->ndim))
        st = dev->slot->vt->buffer_read(dev->bdev, t->st->buf,
                                        (size_t)t->offset * ts_dtype_size(t->dtype), dst, bytes);
    else
        st = read_strided_locked(t, dst, bytes);
    tsi_device_unlock(dev);
    return st;
}

static ts_status copy_same_device(const ts_tensor *t, ts_tensor *out)
{
    ts_device *dev = t->st->dev;
    tsi_view src, dst;
    tsi_view_of(t, &src);
    tsi_view_of(out, &dst);
    TSI_RETURN_IF_ERROR(tsi_device_lock(dev));
    ts_status st = tsi_record_copy_locked("ts_tensor_copy_to", dev, &src, &dst);
    tsi_device_unlock(dev);
    return st;
}

static ts_status copy_via_host(const ts_tensor *t, ts_tensor *out)
{
    size_t bytes = tensor_bytes(t);
    void *host = tsi_malloc(bytes);
    if (!host)
        return tsi_fail(TS_ERR_OUT_OF_MEMORY, "ts_tensor_copy_to: no host memory for %zu bytes",
                        bytes);
    ts_status st = ts_tensor_read(t, host, bytes);
    if (st == TS_OK)
        st = ts_tensor_write(out, host, bytes);
    free(host);
    return st;
}

TS_API ts_status ts_tensor_copy_to(const ts_tensor *t, ts_device *dst, ts_tensor **out)
{
    static const char fn[] = "ts_tensor_copy_to";
    TSI_CHECK(out, TS_ERR_INVALID_ARGUMENT, "%s: out is NULL", fn);
    *out = NULL;
    TSI_CHECK(t, TS_ERR_INVALID_ARGUMENT, "%s: tensor is NULL", fn);
    TSI_CHECK(dst, TS_ERR_INVALID_ARGUMENT, "%s: dst is NULL", fn);
    ts_tensor *copy;
    TSI_RETURN_IF_ERROR(ts_tensor_create(dst, t->dtype, t->ndim, t->shape, &copy));
    ts_status st = TS_OK;
    if (tsi_numel(t->shape, t->ndim) > 0)
        st = dst == t->st->dev ? copy_same_device(t, copy) : copy_via_host(t, copy);
    if (st != TS_OK) {
        ts_tensor_destroy(copy);
        return st;
    }
    *out = copy;
    return TS_OK;
}

TS_API ts_dtype ts_tensor_dtype(const ts_tensor *t)
{
    return t ? t->dtype : TS_F32;
}

TS_API int ts_tensor_ndim(const ts_tensor *t)
{
    return t ? t->ndim : 0;
}

TS_API int64_t ts_tensor_dim(const ts_tensor *t, int dim)
{
    if (!t)
        return 0;
    int d = tsi_norm_dim(dim, t->ndim);
    return d < 0 ? 0 : t->shape[d];
}

TS_API int64_t ts_tensor_numel(const ts_tensor *t)
{
    return t ? tsi_numel(t->shape, t->ndim) : 0;
}

TS_API int ts_tensor_is_contiguous(const ts_tensor *t)
{
    return t ? tsi_strides_contiguous(t->shape, t->stride, t->ndim) : 0;
}

TS_API ts_device *ts_tensor_device(const ts_tensor *t)
{
    return t ? t->st->dev : NULL;
}

TS_API ts_status ts_tensor_shape(const ts_tensor *t, int64_t *shape)
{
    TSI_CHECK(t, TS_ERR_INVALID_ARGUMENT, "ts_tensor_shape: tensor is NULL");
    TSI_CHECK(shape, TS_ERR_INVALID_ARGUMENT, "ts_tensor_shape: shape is NULL");
    memcpy(shape, t->shape, sizeof *shape * (size_t)t->ndim);
    return TS_OK;
}

TS_API ts_status ts_tensor_strides(const ts_tensor *t, int64_t *strides)
{
    TSI_CHECK(t, TS_ERR_INVALID_ARGUMENT, "ts_tensor_strides: tensor is NULL");
    TSI_CHECK(strides, TS_ERR_INVALID_ARGUMENT, "ts_tensor_strides: strides is NULL");
    memcpy(strides, t->stride, sizeof *strides * (size_t)t->ndim);
    return TS_OK;
}
