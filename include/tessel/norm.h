/* tessel — norm layer (see docs/). */
#ifndef TESSEL_NORM_H
#define TESSEL_NORM_H

#include "tessel/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
