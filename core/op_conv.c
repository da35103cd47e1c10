/* Validation and dispatch of ts_conv1d_causal (short depthwise causal
 * convolution, Hyena / Primer style): x [B, L, C] or [L, C] reaches the
 * backend as [1, B, L, C], w as [1, 1, C, K], bias as [1, 1, 1, C]. */
#include "core/dispatch.h"

#define TSI_CONV1D_MAX_K 8

TS_API ts_status ts_conv1d_causal(const ts_tensor *x, const ts_tensor *w, const ts_tensor *bias,
                                  ts_tensor *out)
{
    static const char fn[] = "ts_conv1d_causal";
    char s1[TSI_SHAPE_STR_LEN], s2[TSI_SHAPE_STR_LEN];
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "x", x));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "w", w));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "out", out));
    TSI_RETURN_IF_ERROR(tsi_check_float(fn, "x", x));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "x", x, "w", w));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "x", x, "out", out));
    if (bias)
        TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "x", x, "bias", bias));
    TSI_CHECK(x->ndim == 2 || x->ndim == 3, TS_ERR_SHAPE,
              "%s: x must be [B, L, C] or [L, C], not %s", fn,
              tsi_shape_str(x->shape, x->ndim, s1));
    TSI_RETURN_IF_ERROR(tsi_check_same_shape(fn, "x", x, "out", out));
    int64_t c = x->shape[x->ndim - 1];
    TSI_CHECK(w->ndim == 2 && w->shape[0] == c, TS_ERR_SHAPE, "%s: w is %s, expected [%lld, K]", fn,
              tsi_shape_str(w->shape, w->ndim, s1), (long long)c);
    int64_t k = w->shape[1];
    TSI_CHECK(k >= 1 && k <= TSI_CONV1D_MAX_K, TS_ERR_INVALID_ARGUMENT,
              "%s: kernel width %lld is outside 1..%d", fn, (long long)k, TSI_CONV1D_MAX_K);
    TSI_CHECK(!bias || (bias->ndim == 1 && bias->shape[0] == c), TS_ERR_SHAPE,
              "%s: bias is %s, expected %lld", fn,
              bias ? tsi_shape_str(bias->shape, bias->ndim, s2) : "", (long long)c);
    const ts_tensor *all[] = {x, w, bias, out};
    TSI_RETURN_IF_ERROR(tsi_check_devices(fn, all, 4));
    TSI_RETURN_IF_ERROR(tsi_check_output(fn, "out", out, all, 3));
    TSI_RETURN_IF_ERROR(tsi_check_contiguous_output(fn, "out", out));
    if (tsi_numel(out->shape, out->ndim) == 0)
        return TS_OK;
    tsi_dispatch d = {.fn = fn, .hook = "conv1d_causal", .dev = x->st->dev};
    d.op.code = TSI_OP_CONV1D_CAUSAL;
    d.op.n_in = 3;
    d.op.n_out = 1;
    d.contiguous_in[0] = d.contiguous_in[1] = d.contiguous_in[2] = true;
    tsi_view_of(x, &d.op.in[0]);
    tsi_view_of(w, &d.op.in[1]);
    if (bias)
        tsi_view_of(bias, &d.op.in[2]);
    else
        d.op.in[2] = (tsi_view){.buf = NULL, .dtype = x->dtype};
    tsi_view_of(out, &d.op.out[0]);
    d.op.p.conv1d.k = (int)k;
    return tsi_dispatch_run(&d);
}
