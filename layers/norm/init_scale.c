/* In-place init gain (DeepNorm's beta, Sub-LN's gamma) on weight tensors.
 * Ops never write over their own input, so each tensor goes through one
 * contiguous temporary: tmp = gain * w (computed in f32, rounded once to the
 * storage dtype), then w = tmp (an exact copy). Everything is checked before
 * the first tensor changes, so a bad argument leaves all weights as they
 * were. */
#include <math.h>
#include <stdio.h>

#include "core/layer_api.h"

static ts_status check_weights(const char *fn, ts_tensor *const *weights, int count, float gain)
{
    TSI_CHECK(count >= 0, TS_ERR_INVALID_ARGUMENT, "%s: count must be >= 0, not %d", fn, count);
    TSI_CHECK(count == 0 || weights, TS_ERR_INVALID_ARGUMENT, "%s: weights is NULL", fn);
    TSI_CHECK(isfinite(gain), TS_ERR_INVALID_ARGUMENT, "%s: gain must be finite, not %g", fn,
              (double)gain);
    for (int i = 0; i < count; i++) {
        char what[32];
        snprintf(what, sizeof what, "weights[%d]", i);
        TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, what, weights[i]));
        TSI_RETURN_IF_ERROR(tsi_check_float(fn, what, weights[i]));
        TSI_RETURN_IF_ERROR(tsi_check_output(fn, what, weights[i], NULL, 0));
        for (int j = 0; j < i; j++)
            TSI_CHECK(!tsi_tensors_overlap(weights[j], weights[i]), TS_ERR_ALIASING,
                      "%s: weights[%d] and weights[%d] overlap, so they would be scaled twice", fn,
                      j, i);
    }
    return TS_OK;
}

static ts_status scale_one(const char *fn, ts_tensor *w, float gain)
{
    ts_tensor *tmp = NULL;
    ts_status st = ts_tensor_create(w->st->dev, w->dtype, w->ndim, w->shape, &tmp);
    if (st != TS_OK) {
        char s1[TSI_SHAPE_STR_LEN];
        return tsi_fail(st, "%s: cannot allocate a %s %s temporary", fn, ts_dtype_name(w->dtype),
                        tsi_shape_str(w->shape, w->ndim, s1));
    }
    st = ts_scale_shift(w, gain, 0.0f, tmp);
    if (st == TS_OK)
        st = ts_copy(tmp, w);
    ts_tensor_destroy(tmp);
    return st;
}

TS_API ts_status ts_scale_init_weights(ts_tensor *const *weights, int count, float gain)
{
    static const char fn[] = "ts_scale_init_weights";
    TSI_RETURN_IF_ERROR(check_weights(fn, weights, count, gain));
    if (gain == 1.0f)
        return TS_OK;
    for (int i = 0; i < count; i++)
        TSI_RETURN_IF_ERROR(scale_one(fn, weights[i], gain));
    return TS_OK;
}
