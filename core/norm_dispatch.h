/* The normalization entry the layer library calls for fused forms
 * (residual-add + norm, DeepNorm's alpha*x + f), beside the public
 * ts_layer_norm / ts_rms_norm which are its residual-free special case. */
#ifndef TESSEL_CORE_NORM_DISPATCH_H
#define TESSEL_CORE_NORM_DISPATCH_H

#include "tessel/tessel.h"

/* kind: TSI_NORM_LAYER or TSI_NORM_RMS (core/op.h).
 *   s = residual ? alpha*x + residual : x
 *   y = norm(s) * weight + bias
 * x, residual, y, s: one shape [.., n], one float dtype; weight, bias: [n]
 * in that dtype or NULL (bias must be NULL for RMS); eps > 0; residual and s
 * may be NULL (s only with a residual makes sense but is allowed
 * either way). y and s must be contiguous and overlap no input. Messages
 * start with "tsi_norm". */
ts_status tsi_norm(int kind, const ts_tensor *x, const ts_tensor *residual, float alpha,
                   const ts_tensor *weight, const ts_tensor *bias, float eps, ts_tensor *y,
                   ts_tensor *s);

/* The same with the caller's function name for messages ("ts_deepnorm")
 * and its TESSEL_TEST_HOOK name ("deepnorm" arms corrupt:deepnorm; NULL:
 * none). */
ts_status tsi_norm_named(const char *fn, const char *hook, int kind, const ts_tensor *x,
                         const ts_tensor *residual, float alpha, const ts_tensor *weight,
                         const ts_tensor *bias, float eps, ts_tensor *y, ts_tensor *s);

#endif
