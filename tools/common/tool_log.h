/* --log LEVEL, shared by the tools: the library's log lines on stderr.
 * tessel itself never prints (ts_set_log_callback, off by default); a tool
 * asks for them so a user can see why a backend or device is missing, an
 * op fell back or a kernel family was planned again. Header only: each
 * tool is one executable with no common library. */
#ifndef TESSEL_TOOL_LOG_H
#define TESSEL_TOOL_LOG_H

#include <stdio.h>
#include <string.h>

#include <tessel/tessel.h>

#define TOOL_LOG_USAGE                                                                             \
    "  --log LEVEL     print tessel's log lines of LEVEL and above on stderr\n"                    \
    "                  (debug, info, warn, error)\n"

static inline const char *tool_log_name(ts_log_level level)
{
    switch (level) {
    case TS_LOG_DEBUG:
        return "debug";
    case TS_LOG_INFO:
        return "info";
    case TS_LOG_WARN:
        return "warn";
    case TS_LOG_ERROR:
        return "error";
    }
    return "?";
}

static inline void tool_log_print(ts_log_level level, const char *message, void *user)
{
    fprintf(stderr, "%s: [%s] %s\n", (const char *)user, tool_log_name(level), message);
}

/* Route the lines of level `name` and above to stderr, each prefixed with
 * tool; 0, or -1 when name is not a level. Call before ts_context_create:
 * its lines say which backends and devices were found and why not. */
static inline int tool_log_start(const char *tool, const char *name)
{
    for (int i = TS_LOG_DEBUG; i <= TS_LOG_ERROR; i++)
        if (name && strcmp(name, tool_log_name((ts_log_level)i)) == 0) {
            ts_set_log_callback(tool_log_print, (void *)tool, (ts_log_level)i);
            return 0;
        }
    return -1;
}

#endif
