/* The one internal header a layer (layers/) includes besides the public
 * ones: what a layer may use of core. A layer validates its arguments with
 * the shared checks, describes fused work as a tsi_dispatch of a tsi_op
 * (with a fallback when it has a composition of simpler ops), composes
 * public ops for everything else, and never calls a backend directly. */
#ifndef TESSEL_CORE_LAYER_API_H
#define TESSEL_CORE_LAYER_API_H

#include "core/dispatch.h"     /* checks, views, tsi_dispatch, fallbacks */
#include "core/norm_dispatch.h" /* fused residual norms */

#endif
