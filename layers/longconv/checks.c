/* The weight check every long-convolution layer makes (longconv_internal.h). */
#include "layers/longconv/longconv_internal.h"

ts_status lc_check_weight(const char *fn, const char *what, const ts_tensor *t,
                          const char *ref_what, const ts_tensor *ref, int nd, const int64_t *want)
{
    char s[TSI_SHAPE_STR_LEN], w[TSI_SHAPE_STR_LEN];
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, what, t));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, ref_what, ref, what, t));
    bool ok = t->ndim == nd;
    for (int i = 0; ok && i < nd; i++)
        ok = want[i] < 0 || t->shape[i] == want[i];
    TSI_CHECK(ok, TS_ERR_SHAPE, "%s: %s is %s, expected %s", fn, what,
              tsi_shape_str(t->shape, t->ndim, s), tsi_shape_str(want, nd, w));
    return TS_OK;
}
