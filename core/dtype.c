/* Dtype names and sizes, shape arithmetic with overflow checks and shape
 * formatting for messages: the small facts every validator needs. */
#include <stdio.h>

#include "core/internal.h"

static const struct {
    const char *name;
    size_t size;
    bool is_float;
} dtype_table[TS_DTYPE_COUNT] = {
    [TS_F32] = {"f32", 4, true},
    [TS_F16] = {"f16", 2, true},
    [TS_BF16] = {"bf16", 2, true},
    [TS_I32] = {"i32", 4, false},
    [TS_C64] = {"c64", 8, false},
};

bool tsi_dtype_valid(ts_dtype dtype)
{
    return (unsigned)dtype < TS_DTYPE_COUNT;
}

bool tsi_dtype_is_float(ts_dtype dtype)
{
    return tsi_dtype_valid(dtype) && dtype_table[dtype].is_float;
}

TS_API const char *ts_dtype_name(ts_dtype dtype)
{
    return tsi_dtype_valid(dtype) ? dtype_table[dtype].name : "?";
}

TS_API size_t ts_dtype_size(ts_dtype dtype)
{
    return tsi_dtype_valid(dtype) ? dtype_table[dtype].size : 0;
}

bool tsi_mul_checked(int64_t a, int64_t b, int64_t *out)
{
    if (a < 0 || b < 0)
        return false;
    if (a != 0 && b > INT64_MAX / a)
        return false;
    *out = a * b;
    return true;
}

bool tsi_extent_fits(const int64_t *shape, int ndim)
{
    int64_t e = 1;
    for (int i = 0; i < ndim; i++)
        if (!tsi_mul_checked(e, shape[i] > 0 ? shape[i] : 1, &e))
            return false;
    return true;
}

const char *tsi_shape_str(const int64_t *shape, int ndim, char buf[TSI_SHAPE_STR_LEN])
{
    size_t n = 0;
    buf[0] = '\0';
    if (ndim <= 0) {
        snprintf(buf, TSI_SHAPE_STR_LEN, "scalar");
        return buf;
    }
    for (int i = 0; i < ndim && n < TSI_SHAPE_STR_LEN; i++) {
        int w = snprintf(buf + n, TSI_SHAPE_STR_LEN - n, i ? "x%lld" : "%lld", (long long)shape[i]);
        if (w < 0)
            break;
        n += (size_t)w;
    }
    return buf;
}

int tsi_norm_dim(int dim, int ndim)
{
    if (dim < 0)
        dim += ndim;
    return (dim >= 0 && dim < ndim) ? dim : -1;
}
