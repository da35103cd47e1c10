/* Names of status codes and the library version: the two strings an app
 * can ask for without a context. Kept in one table so a new status code is
 * one line. */
#include "core/internal.h"

static const char *const status_names[] = {
    [TS_OK] = "TS_OK",
    [TS_ERR_INVALID_ARGUMENT] = "TS_ERR_INVALID_ARGUMENT",
    [TS_ERR_SHAPE] = "TS_ERR_SHAPE",
    [TS_ERR_DTYPE] = "TS_ERR_DTYPE",
    [TS_ERR_DEVICE_MISMATCH] = "TS_ERR_DEVICE_MISMATCH",
    [TS_ERR_ALIASING] = "TS_ERR_ALIASING",
    [TS_ERR_OVERFLOW] = "TS_ERR_OVERFLOW",
    [TS_ERR_OUT_OF_MEMORY] = "TS_ERR_OUT_OF_MEMORY",
    [TS_ERR_UNSUPPORTED] = "TS_ERR_UNSUPPORTED",
    [TS_ERR_NOT_FOUND] = "TS_ERR_NOT_FOUND",
    [TS_ERR_DEVICE_LOST] = "TS_ERR_DEVICE_LOST",
    [TS_ERR_BACKEND] = "TS_ERR_BACKEND",
    [TS_ERR_INTERNAL] = "TS_ERR_INTERNAL",
};

TS_API const char *ts_status_str(ts_status status)
{
    unsigned i = (unsigned)status;
    if (i < sizeof status_names / sizeof status_names[0] && status_names[i])
        return status_names[i];
    return "TS_ERR_UNKNOWN";
}

TS_API const char *ts_version(void)
{
    return TS_VERSION_STRING;
}
