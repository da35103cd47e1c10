/* Helpers shared by the reliability tests (allocation failures, threads,
 * caches, soak): open the first device of one backend, or skip (exit 77)
 * when there is none and TESSEL_REQUIRE_BACKENDS does not name it. Plain
 * C, no cmocka: these programs fork, spawn threads or run long loops. */
#ifndef TESSEL_TEST_RELIABILITY_H
#define TESSEL_TEST_RELIABILITY_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tessel/tessel.h>

#define REL_SKIP 77

#define REL_FAIL(...)                                                                              \
    do {                                                                                           \
        fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                       \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fprintf(stderr, "\n");                                                                     \
        exit(1);                                                                                   \
    } while (0)

#define REL_OK(expr)                                                                               \
    do {                                                                                           \
        ts_status rel_st_ = (expr);                                                                \
        if (rel_st_ != TS_OK)                                                                      \
            REL_FAIL("%s: %s: %s", #expr, ts_status_str(rel_st_), ts_last_error(NULL));          \
    } while (0)

/* Is name one of the comma-separated entries of list? */
static inline int rel_list_has(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return 1;
        p = end ? end + 1 : NULL;
    }
    return 0;
}

/* The exit status of a test whose backend has no device here: 77 (skip),
 * or 1 when TESSEL_REQUIRE_BACKENDS names the backend. Says which. */
static inline int rel_no_device(const char *backend)
{
    if (rel_list_has(getenv("TESSEL_REQUIRE_BACKENDS"), backend)) {
        fprintf(stderr,
                "FAIL: no %s device, but TESSEL_REQUIRE_BACKENDS names it (check the "
                "driver/ICD and TESSEL_MODULE_PATH)\n",
                backend);
        return 1;
    }
    printf("SKIP: no %s device (set TESSEL_REQUIRE_BACKENDS=%s to make this a failure)\n", backend,
           backend);
    return REL_SKIP;
}

/* "<backend>:0" in ctx, or exit: 77 when absent and not required. */
static inline ts_device *rel_device(ts_context *ctx, const char *backend)
{
    char id[32];
    snprintf(id, sizeof id, "%s:0", backend);
    ts_device *dev = NULL;
    if (ts_device_find(ctx, id, &dev) == TS_OK)
        return dev;
    ts_context_destroy(ctx);
    exit(rel_no_device(backend));
}

/* Validation-layer messages that come with no call to fail: those of a
 * device or context being destroyed (a Vulkan object left behind on an
 * error path, say) reach only the log. rel_watch_validation counts them
 * (and prints them) for the whole run; the exit then fails if there were
 * any. For tests that set no log callback of their own. */
static int rel_validation_messages;

static inline void rel_on_log(ts_log_level level, const char *message, void *user)
{
    (void)user;
    if (level >= TS_LOG_ERROR && message && strstr(message, "validation")) {
        if (rel_validation_messages++ < 5)
            fprintf(stderr, "validation message: %s\n", message);
    }
}

static inline void rel_check_validation(void)
{
    if (rel_validation_messages) {
        fprintf(stderr, "FAIL: %d validation-layer message(s) in the run\n",
                rel_validation_messages);
        fflush(NULL);
        _Exit(1);
    }
}

static inline void rel_watch_validation(void)
{
    ts_set_log_callback(rel_on_log, NULL, TS_LOG_ERROR);
    atexit(rel_check_validation);
}

/* The value after "--backend" in argv, or "cpu". */
static inline const char *rel_backend_arg(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--backend") == 0)
            return argv[i + 1];
    return "cpu";
}

static inline int rel_has_flag(int argc, char **argv, const char *flag)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], flag) == 0)
            return 1;
    return 0;
}

#endif
