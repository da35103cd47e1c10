/* Fused residual norms and the DeepNorm residual step: one TSI_OP_NORM each,
 * so every backend reads x and f once, keeps the sum in registers for the
 * f32 statistics and writes y (and s) once. The residual f is required here;
 * plain norms without one are ts_layer_norm / ts_rms_norm. */
#include "core/layer_api.h"

static ts_status residual_norm(const char *fn, const char *hook, const char *fname, int kind,
                               const ts_tensor *x, const ts_tensor *f, float alpha,
                               const ts_tensor *weight, const ts_tensor *bias, float eps,
                               ts_tensor *y, ts_tensor *s)
{
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, fname, f));
    return tsi_norm_named(fn, hook, kind, x, f, alpha, weight, bias, eps, y, s);
}

TS_API ts_status ts_residual_layer_norm(const ts_tensor *x, const ts_tensor *f, float alpha,
                                        const ts_tensor *weight, const ts_tensor *bias, float eps,
                                        ts_tensor *y, ts_tensor *s)
{
    return residual_norm("ts_residual_layer_norm", "residual_layer_norm", "f", TSI_NORM_LAYER, x, f,
                         alpha, weight, bias, eps, y, s);
}

TS_API ts_status ts_residual_rms_norm(const ts_tensor *x, const ts_tensor *f, float alpha,
                                      const ts_tensor *weight, float eps, ts_tensor *y,
                                      ts_tensor *s)
{
    return residual_norm("ts_residual_rms_norm", "residual_rms_norm", "f", TSI_NORM_RMS, x, f,
                         alpha, weight, NULL, eps, y, s);
}

TS_API ts_status ts_deepnorm_residual(const ts_tensor *x, const ts_tensor *gx, float alpha,
                                      const ts_tensor *weight, const ts_tensor *bias, float eps,
                                      ts_tensor *y)
{
    return residual_norm("ts_deepnorm_residual", "deepnorm", "gx", TSI_NORM_LAYER, x, gx, alpha,
                         weight, bias, eps, y, NULL);
}
