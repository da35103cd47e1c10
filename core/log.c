/* The process-wide log sink. Silent by default (a library never prints);
 * the callback is swapped under a lock so a thread logging while another
 * installs a sink sees either the old or the new one, never half of each. */
#include <stdarg.h>
#include <stdio.h>

#include "core/internal.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static ts_log_fn log_fn;
static void *log_user;
static ts_log_level log_min = TS_LOG_WARN;

TS_API void ts_set_log_callback(ts_log_fn fn, void *user, ts_log_level min_level)
{
    pthread_mutex_lock(&log_lock);
    log_fn = fn;
    log_user = user;
    log_min = min_level;
    pthread_mutex_unlock(&log_lock);
}

void tsi_log(ts_log_level level, const char *fmt, ...)
{
    pthread_mutex_lock(&log_lock);
    ts_log_fn fn = log_fn;
    void *user = log_user;
    ts_log_level min = log_min;
    pthread_mutex_unlock(&log_lock);
    if (!fn || level < min)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fn(level, msg, user);
}
