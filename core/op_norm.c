/* Validation and dispatch of TSI_OP_NORM: LayerNorm and RMSNorm, plain
 * (public ts_layer_norm / ts_rms_norm) or fused with a residual add (the
 * layers call tsi_norm). Statistics are the backend's job, in f32; a
 * device without a norm kernel runs norm_fallback.c's composition. */
#include <math.h>

#include "core/dispatch.h"
#include "core/norm_dispatch.h"
#include "core/norm_fallback.h"

static ts_status check_param_vector(const char *fn, const char *what, const ts_tensor *p,
                                    const ts_tensor *x)
{
    if (!p)
        return TS_OK;
    int64_t n = x->shape[x->ndim - 1];
    char s1[TSI_SHAPE_STR_LEN];
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "x", x, what, p));
    TSI_CHECK(p->ndim == 1 && p->shape[0] == n, TS_ERR_SHAPE, "%s: %s is %s, expected %lld", fn,
              what, tsi_shape_str(p->shape, p->ndim, s1), (long long)n);
    return TS_OK;
}

static ts_status check_norm(const char *fn, int kind, const ts_tensor *x, const ts_tensor *residual,
                            float alpha, const ts_tensor *weight, const ts_tensor *bias, float eps,
                            ts_tensor *y, ts_tensor *s)
{
    TSI_CHECK(kind == TSI_NORM_LAYER || kind == TSI_NORM_RMS, TS_ERR_INVALID_ARGUMENT,
              "%s: invalid norm kind %d", fn, kind);
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "x", x));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "out", y));
    TSI_RETURN_IF_ERROR(tsi_check_float(fn, "x", x));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "x", x, "out", y));
    TSI_RETURN_IF_ERROR(tsi_check_same_shape(fn, "x", x, "out", y));
    if (residual) {
        TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "x", x, "residual", residual));
        TSI_RETURN_IF_ERROR(tsi_check_same_shape(fn, "x", x, "residual", residual));
    }
    if (s) {
        TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "x", x, "sum", s));
        TSI_RETURN_IF_ERROR(tsi_check_same_shape(fn, "x", x, "sum", s));
    }
    TSI_RETURN_IF_ERROR(check_param_vector(fn, "weight", weight, x));
    TSI_RETURN_IF_ERROR(check_param_vector(fn, "bias", bias, x));
    TSI_CHECK(!bias || kind == TSI_NORM_LAYER, TS_ERR_INVALID_ARGUMENT, "%s: RMSNorm takes no bias",
              fn);
    TSI_RETURN_IF_ERROR(tsi_check_positive(fn, "eps", eps));
    TSI_RETURN_IF_ERROR(tsi_check_finite(fn, "alpha", alpha));
    const ts_tensor *all[] = {x, residual, weight, bias, y, s};
    TSI_RETURN_IF_ERROR(tsi_check_devices(fn, all, 6));
    TSI_RETURN_IF_ERROR(tsi_check_output(fn, "out", y, all, 4));
    TSI_RETURN_IF_ERROR(tsi_check_contiguous_output(fn, "out", y));
    if (s) {
        TSI_RETURN_IF_ERROR(tsi_check_output(fn, "sum", s, all, 5));
        TSI_RETURN_IF_ERROR(tsi_check_contiguous_output(fn, "sum", s));
    }
    return TS_OK;
}

static void opt_view(const ts_tensor *t, tsi_view *v, ts_dtype dtype)
{
    if (t) {
        tsi_view_of(t, v);
    } else {
        *v = (tsi_view){.buf = NULL, .dtype = dtype};
    }
}

ts_status tsi_norm_named(const char *fn, const char *hook, int kind, const ts_tensor *x,
                         const ts_tensor *residual, float alpha, const ts_tensor *weight,
                         const ts_tensor *bias, float eps, ts_tensor *y, ts_tensor *s)
{
    TSI_RETURN_IF_ERROR(check_norm(fn, kind, x, residual, alpha, weight, bias, eps, y, s));
    if (tsi_numel(y->shape, y->ndim) == 0)
        return TS_OK;
    tsi_norm_call call = {.kind = kind,
                          .x = x,
                          .residual = residual,
                          .weight = weight,
                          .bias = bias,
                          .alpha = residual ? alpha : 1.0f,
                          .eps = eps,
                          .y = y,
                          .s = s};
    tsi_dispatch d = {.fn = fn,
                      .hook = hook,
                      .dev = x->st->dev,
                      .fallback = tsi_norm_compose,
                      .fallback_ctx = &call};
    d.op.code = TSI_OP_NORM;
    d.op.n_in = 4;
    d.op.n_out = 2;
    for (int i = 0; i < 4; i++)
        d.contiguous_in[i] = true;
    tsi_view_of(x, &d.op.in[0]);
    opt_view(residual, &d.op.in[1], x->dtype);
    opt_view(weight, &d.op.in[2], x->dtype);
    opt_view(bias, &d.op.in[3], x->dtype);
    tsi_view_of(y, &d.op.out[0]);
    opt_view(s, &d.op.out[1], x->dtype);
    d.op.p.norm.kind = kind;
    d.op.p.norm.eps = eps;
    d.op.p.norm.alpha = residual ? alpha : 1.0f;
    return tsi_dispatch_run(&d);
}

ts_status tsi_norm(int kind, const ts_tensor *x, const ts_tensor *residual, float alpha,
                   const ts_tensor *weight, const ts_tensor *bias, float eps, ts_tensor *y,
                   ts_tensor *s)
{
    return tsi_norm_named("tsi_norm", NULL, kind, x, residual, alpha, weight, bias, eps, y, s);
}

TS_API ts_status ts_layer_norm(const ts_tensor *x, const ts_tensor *weight, const ts_tensor *bias,
                               float eps, ts_tensor *out)
{
    return tsi_norm_named("ts_layer_norm", "layer_norm", TSI_NORM_LAYER, x, NULL, 1.0f, weight,
                          bias, eps, out, NULL);
}

TS_API ts_status ts_rms_norm(const ts_tensor *x, const ts_tensor *weight, float eps, ts_tensor *out)
{
    return tsi_norm_named("ts_rms_norm", "rms_norm", TSI_NORM_RMS, x, NULL, 1.0f, weight, NULL, eps,
                          out, NULL);
}
