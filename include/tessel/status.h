/* tessel — status codes and error messages.
 *
 * Every fallible call returns a ts_status; TS_OK is 0. The detailed message
 * of the last failing call on the calling thread is ts_last_error(). */
#ifndef TESSEL_STATUS_H
#define TESSEL_STATUS_H

#include "tessel/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ts_status {
    TS_OK = 0,
    TS_ERR_INVALID_ARGUMENT = 1, /* NULL handle, bad enum, bad parameter value */
    TS_ERR_SHAPE = 2,            /* shapes do not agree / cannot broadcast */
    TS_ERR_DTYPE = 3,            /* dtype not valid for this op */
    TS_ERR_DEVICE_MISMATCH = 4,  /* tensors of one op live on different devices */
    TS_ERR_ALIASING = 5,         /* an output overlaps an input or a broadcast view */
    TS_ERR_OVERFLOW = 6,         /* a size computation overflows, or exceeds a device limit */
    TS_ERR_OUT_OF_MEMORY = 7,    /* host or device allocation failed */
    TS_ERR_UNSUPPORTED = 8,      /* the device cannot run this op / dtype */
    TS_ERR_NOT_FOUND = 9,        /* no such device, backend or driver */
    TS_ERR_DEVICE_LOST = 10,     /* the driver reported device loss */
    TS_ERR_BACKEND = 11,         /* any other driver / runtime failure */
    TS_ERR_INTERNAL = 12         /* a bug in tessel; please report */
} ts_status;

/* Static name of a status code ("TS_ERR_SHAPE"); never NULL. */
TS_API const char *ts_status_str(ts_status status);

#ifdef __cplusplus
}
#endif
#endif
