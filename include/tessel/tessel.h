/* tessel — portable tensor library. The one header an app includes. */
#ifndef TESSEL_H
#define TESSEL_H

#include "tessel/version.h"
#include "tessel/status.h"
#include "tessel/context.h"
#include "tessel/tensor.h"
#include "tessel/ops.h"
#include "tessel/attention.h"
#include "tessel/norm.h"
#include "tessel/moe.h"
#include "tessel/fft.h"
#include "tessel/longconv.h"

#endif
