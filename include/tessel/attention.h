/* tessel — attention layer (see docs/). */
#ifndef TESSEL_ATTENTION_H
#define TESSEL_ATTENTION_H

#include "tessel/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
