/* The per-thread detailed error message behind ts_last_error. Core checks
 * and backends (through tsi_host.set_error) write it right before returning
 * a non-OK status; it is per thread so two threads failing at once never
 * see each other's message. */
#include <stdarg.h>
#include <stdio.h>

#include "core/internal.h"

#define TSI_ERROR_LEN 1024

static _Thread_local char error_message[TSI_ERROR_LEN];

static void set_error_v(const char *fmt, va_list ap)
{
    vsnprintf(error_message, sizeof error_message, fmt, ap);
}

void tsi_set_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error_v(fmt, ap);
    va_end(ap);
}

ts_status tsi_fail(ts_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error_v(fmt, ap);
    va_end(ap);
    return status;
}

TS_API const char *ts_last_error(const ts_context *ctx)
{
    (void)ctx;
    return error_message;
}
