/* TSI_OP_NORM's composition of public ops (norm_fallback.c), run by
 * core/fallback.c where the device has no norm kernel. */
#ifndef TESSEL_CORE_NORM_FALLBACK_H
#define TESSEL_CORE_NORM_FALLBACK_H

#include "tessel/tessel.h"

/* One call of tsi_norm_named, validated: the arguments as it got them,
 * alpha 1 without a residual. */
typedef struct tsi_norm_call {
    int kind; /* TSI_NORM_LAYER or TSI_NORM_RMS */
    const ts_tensor *x, *residual, *weight, *bias;
    float alpha, eps;
    ts_tensor *y, *s;
} tsi_norm_call;

/* The fallback hook (tsi_dispatch.fallback); arg is a tsi_norm_call. */
ts_status tsi_norm_compose(void *arg);

#endif
