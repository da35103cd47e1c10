/* `api` test: the fixture, the runner, and bad input to the context,
 * device, status, version and logging functions. Tensors and views are in
 * test_api_tensor.c, ops in test_api_ops.c, layers in test_api_layers.c,
 * threads in test_api_threads.c. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_api.h"

api_env api;

#define API_MAX_TRACKED 256
static ts_tensor *tracked[API_MAX_TRACKED];
static int tracked_count;

ts_tensor *api_track(ts_tensor *t)
{
    if (!t)
        return NULL;
    if (tracked_count >= API_MAX_TRACKED)
        fail_msg("api test: more than %d tensors in one test", API_MAX_TRACKED);
    tracked[tracked_count++] = t;
    return t;
}

ts_tensor *api_tensor(ts_device *dev, ts_dtype dtype, int ndim, const int64_t *shape)
{
    ts_tensor *t = NULL;
    ts_status st = ts_tensor_create(dev, dtype, ndim, shape, &t);
    if (st != TS_OK)
        fail_msg("ts_tensor_create failed: %s: %s", ts_status_str(st), ts_last_error(NULL));
    return api_track(t);
}

void api_fill(ts_tensor *t, float first, float step)
{
    int64_t n = ts_tensor_numel(t);
    size_t esize = ts_dtype_size(ts_tensor_dtype(t));
    unsigned char *buf = malloc((size_t)n * esize + 1);
    assert_non_null(buf);
    for (int64_t i = 0; i < n; i++) {
        float v = first + step * (float)i;
        if (ts_tensor_dtype(t) == TS_I32) {
            int32_t iv = (int32_t)v;
            memcpy(buf + (size_t)i * 4, &iv, 4);
        } else {
            assert_int_equal(ts_tensor_dtype(t), TS_F32);
            memcpy(buf + (size_t)i * 4, &v, 4);
        }
    }
    ts_status st = ts_tensor_write(t, buf, (size_t)n * esize);
    free(buf);
    if (st != TS_OK)
        fail_msg("ts_tensor_write failed: %s: %s", ts_status_str(st), ts_last_error(NULL));
}

static void expect_message(ts_status got, const char *fn, const char *expr, const char *file,
                           int line)
{
    const char *msg = ts_last_error(NULL);
    if (!msg || !*msg)
        fail_msg("%s:%d: %s gave %s with an empty ts_last_error()", file, line, expr,
                 ts_status_str(got));
    if (fn && !strstr(msg, fn))
        fail_msg("%s:%d: %s: message \"%s\" does not name %s", file, line, expr, msg, fn);
}

void api_expect(ts_status got, ts_status want, const char *fn, const char *expr, const char *file,
                int line)
{
    if (got != want)
        fail_msg("%s:%d: %s gave %s, expected %s (message: %s)", file, line, expr,
                 ts_status_str(got), ts_status_str(want), ts_last_error(NULL));
    if (want != TS_OK)
        expect_message(got, fn, expr, file, line);
}

void api_expect_one_of(ts_status got, ts_status want1, ts_status want2, const char *fn,
                       const char *expr, const char *file, int line)
{
    if (got != want1 && got != want2)
        fail_msg("%s:%d: %s gave %s, expected %s or %s (message: %s)", file, line, expr,
                 ts_status_str(got), ts_status_str(want1), ts_status_str(want2),
                 ts_last_error(NULL));
    expect_message(got, fn, expr, file, line);
}

int api_setup(void **state)
{
    (void)state;
    tracked_count = 0;
    return 0;
}

int api_teardown(void **state)
{
    (void)state;
    for (int i = tracked_count - 1; i >= 0; i--)
        ts_tensor_destroy(tracked[i]);
    tracked_count = 0;
    return 0;
}

/* ---- context, devices ------------------------------------------------------ */

static void test_context_null(void **state)
{
    (void)state;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_context_create", ts_context_create(NULL));
    ts_context_destroy(NULL);
    ts_tensor_destroy(NULL);
    assert_non_null(ts_last_error(NULL));
    assert_non_null(ts_last_error(api.ctx));
}

static void test_status_and_version(void **state)
{
    (void)state;
    for (int s = TS_OK; s <= TS_ERR_INTERNAL; s++) {
        const char *name = ts_status_str((ts_status)s);
        assert_non_null(name);
        assert_true(strncmp(name, "TS_", 3) == 0);
    }
    assert_non_null(ts_status_str((ts_status)-1));
    assert_non_null(ts_status_str((ts_status)9999));
    assert_string_equal(ts_version(), TS_VERSION_STRING);
    assert_string_equal(ts_dtype_name((ts_dtype)TS_DTYPE_COUNT), "?");
    assert_string_equal(ts_dtype_name((ts_dtype)-1), "?");
    assert_int_equal(ts_dtype_size((ts_dtype)TS_DTYPE_COUNT), 0);
    assert_int_equal(ts_dtype_size((ts_dtype)-7), 0);
    assert_int_equal(ts_dtype_size(TS_F16), 2);
    assert_string_equal(ts_dtype_name(TS_BF16), "bf16");
}

static void test_device_lookup(void **state)
{
    (void)state;
    int n = 0;
    ts_device *dev = NULL;
    ts_device_info info;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_device_count", ts_device_count(NULL, &n));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_device_count", ts_device_count(api.ctx, NULL));
    EXPECT_OK(ts_device_count(api.ctx, &n));
    assert_true(n >= 1);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_device_get", ts_device_get(NULL, 0, &dev));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_device_get", ts_device_get(api.ctx, 0, NULL));
    EXPECT_ERR(TS_ERR_NOT_FOUND, "ts_device_get", ts_device_get(api.ctx, -1, &dev));
    EXPECT_ERR(TS_ERR_NOT_FOUND, "ts_device_get", ts_device_get(api.ctx, n, &dev));
    EXPECT_ERR(TS_ERR_NOT_FOUND, "ts_device_get", ts_device_get(api.ctx, INT_MAX, &dev));
    EXPECT_ERR(TS_ERR_NOT_FOUND, "ts_device_get", ts_device_get(api.ctx, INT_MIN, &dev));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_device_find", ts_device_find(NULL, "cpu:0", &dev));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_device_find", ts_device_find(api.ctx, NULL, &dev));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_device_find", ts_device_find(api.ctx, "cpu:0", NULL));
    EXPECT_ERR(TS_ERR_NOT_FOUND, "ts_device_find", ts_device_find(api.ctx, "nope:0", &dev));
    EXPECT_ERR(TS_ERR_NOT_FOUND, "ts_device_find", ts_device_find(api.ctx, "", &dev));
    EXPECT_ERR(TS_ERR_NOT_FOUND, "ts_device_find", ts_device_find(api.ctx, "cpu:99", &dev));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_device_default", ts_device_default(NULL, &dev));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_device_default", ts_device_default(api.ctx, NULL));
    EXPECT_OK(ts_device_default(api.ctx, &dev));
    assert_non_null(dev);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_device_info_get", ts_device_info_get(NULL, &info));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_device_info_get", ts_device_info_get(api.cpu, NULL));
    EXPECT_OK(ts_device_info_get(api.cpu, &info));
    assert_string_equal(info.id, "cpu:0");
    assert_string_equal(info.backend, "cpu");
    assert_int_equal(info.kind, TS_DEVICE_CPU);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_device_sync", ts_device_sync(NULL));
    EXPECT_OK(ts_device_sync(api.cpu));
}

static void test_memory_stats(void **state)
{
    (void)state;
    uint64_t in_use = 0, peak = 0, after = 0;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_device_memory_stats",
               ts_device_memory_stats(NULL, &in_use, &peak));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_device_memory_reset_peak",
               ts_device_memory_reset_peak(NULL));
    EXPECT_OK(ts_device_memory_stats(api.cpu, NULL, NULL));
    EXPECT_OK(ts_device_memory_stats(api.cpu, &in_use, NULL));
    ts_tensor *t = NULL;
    EXPECT_OK(ts_tensor_create(api.cpu, TS_F32, 1, SHAPE(1000), &t));
    EXPECT_OK(ts_device_memory_stats(api.cpu, &after, &peak));
    assert_true(after >= in_use + 4000);
    assert_true(peak >= after);
    ts_tensor_destroy(t);
    EXPECT_OK(ts_device_memory_stats(api.cpu, &after, NULL));
    assert_int_equal(after, in_use);
    EXPECT_OK(ts_device_memory_reset_peak(api.cpu));
    EXPECT_OK(ts_device_memory_stats(api.cpu, NULL, &peak));
    assert_int_equal(peak, in_use);
}

typedef struct log_seen {
    int calls;
    int saw_bogus;
} log_seen;

static void log_sink(ts_log_level level, const char *message, void *user)
{
    log_seen *seen = user;
    seen->calls++;
    if (level >= TS_LOG_WARN && message && strstr(message, "bogus"))
        seen->saw_bogus = 1;
}

/* An unknown backend name is logged (through the callback only) and
 * ignored; an unknown TESSEL_DEVICE falls back to ranking by kind. */
static void test_logging_and_env(void **state)
{
    (void)state;
    log_seen seen = {0, 0};
    const char *old_backends = getenv("TESSEL_BACKENDS");
    char *saved = old_backends ? strdup(old_backends) : NULL;
    setenv("TESSEL_BACKENDS", "cpu,bogus", 1);
    setenv("TESSEL_DEVICE", "nope:3", 1);
    ts_set_log_callback(log_sink, &seen, TS_LOG_DEBUG);
    ts_context *ctx = NULL;
    ts_status st = ts_context_create(&ctx);
    ts_device *dev = NULL;
    ts_status st2 = ctx ? ts_device_default(ctx, &dev) : TS_ERR_INTERNAL;
    ts_set_log_callback(NULL, NULL, TS_LOG_DEBUG);
    if (saved)
        setenv("TESSEL_BACKENDS", saved, 1);
    else
        unsetenv("TESSEL_BACKENDS");
    free(saved);
    unsetenv("TESSEL_DEVICE");
    ts_context_destroy(ctx);
    assert_int_equal(st, TS_OK);
    assert_int_equal(st2, TS_OK);
    assert_non_null(dev);
    assert_true(seen.calls >= 1);
    assert_true(seen.saw_bogus);

    /* Below min_level: not delivered. */
    log_seen quiet = {0, 0};
    setenv("TESSEL_BACKENDS", "cpu,bogus", 1);
    ts_set_log_callback(log_sink, &quiet, TS_LOG_ERROR);
    st = ts_context_create(&ctx);
    ts_set_log_callback(NULL, NULL, TS_LOG_DEBUG);
    unsetenv("TESSEL_BACKENDS");
    if (st == TS_OK)
        ts_context_destroy(ctx);
    assert_int_equal(st, TS_OK);
    assert_int_equal(quiet.saw_bogus, 0);
}

typedef struct log_text {
    char text[4096];
} log_text;

static void log_append(ts_log_level level, const char *message, void *user)
{
    log_text *log = user;
    size_t n = strlen(log->text);
    (void)level;
    snprintf(log->text + n, sizeof log->text - n, "%s\n", message ? message : "(null)");
}

/* Broken modules found first on TESSEL_MODULE_PATH (a file that is not a
 * shared object, a shared object without the entry point) are skipped with
 * a log line; the context still starts and the CPU is there. */
static void test_bad_modules(void **state)
{
    (void)state;
    char dir[] = "/tmp/tessel-api-modules.XXXXXX", junk[256], noentry[256];
    assert_non_null(mkdtemp(dir));
    snprintf(junk, sizeof junk, "%s/libtessel-opencl.so", dir);
    snprintf(noentry, sizeof noentry, "%s/libtessel-vulkan.so", dir);
    FILE *f = fopen(junk, "w");
    assert_non_null(f);
    fputs("not an ELF file\n", f);
    fclose(f);
    assert_int_equal(symlink(TESSEL_TEST_LIBTESSEL, noentry), 0);
    const char *old = getenv("TESSEL_MODULE_PATH");
    char *saved = old ? strdup(old) : NULL;
    setenv("TESSEL_MODULE_PATH", dir, 1);
    log_text log = {{0}};
    ts_set_log_callback(log_append, &log, TS_LOG_DEBUG);
    ts_context *ctx = NULL;
    ts_status st = ts_context_create(&ctx);
    ts_set_log_callback(NULL, NULL, TS_LOG_DEBUG);
    if (saved)
        setenv("TESSEL_MODULE_PATH", saved, 1);
    else
        unsetenv("TESSEL_MODULE_PATH");
    free(saved);
    ts_device *cpu = NULL;
    ts_status found = ctx ? ts_device_find(ctx, "cpu:0", &cpu) : TS_ERR_INTERNAL;
    ts_context_destroy(ctx);
    unlink(junk);
    unlink(noentry);
    rmdir(dir);
    assert_int_equal(st, TS_OK);
    assert_int_equal(found, TS_OK);
    if (!strstr(log.text, junk) || !strstr(log.text, noentry))
        fail_msg("the broken modules were not both logged:\n%s", log.text);
}

const struct CMUnitTest api_context_tests[] = {
    cmocka_unit_test_setup_teardown(test_context_null, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_status_and_version, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_device_lookup, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_memory_stats, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_logging_and_env, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_bad_modules, api_setup, api_teardown),
};
const size_t api_context_test_count = sizeof api_context_tests / sizeof api_context_tests[0];

/* ---- runner ---------------------------------------------------------------- */

static int open_env(void)
{
    if (ts_context_create(&api.ctx) != TS_OK || ts_context_create(&api.ctx2) != TS_OK) {
        fprintf(stderr, "api: cannot create a context: %s\n", ts_last_error(NULL));
        return -1;
    }
    if (ts_device_find(api.ctx, "cpu:0", &api.cpu) != TS_OK ||
        ts_device_find(api.ctx2, "cpu:0", &api.cpu2) != TS_OK) {
        fprintf(stderr, "api: no cpu:0: %s\n", ts_last_error(NULL));
        return -1;
    }
    int n = 0;
    ts_device_count(api.ctx, &n);
    for (int i = 0; i < n && !api.other; i++) {
        ts_device *dev;
        ts_device_info info;
        if (ts_device_get(api.ctx, i, &dev) == TS_OK && ts_device_info_get(dev, &info) == TS_OK &&
            strcmp(info.backend, "cpu") != 0)
            api.other = dev;
    }
    ts_device_info info = {.id = "none"};
    if (api.other)
        ts_device_info_get(api.other, &info);
    printf("api: cpu:0 of two contexts; other device: %s\n", info.id);
    return 0;
}

int main(void)
{
    /* Everything runs on cpu:0 (plus the devices used for mismatches), so
     * the test passes on a machine without any GPU driver. */
    if (open_env() != 0) {
        ts_context_destroy(api.ctx2);
        ts_context_destroy(api.ctx);
        return 1;
    }
    int failed = 0;
    failed += _cmocka_run_group_tests("api_context", api_context_tests, api_context_test_count,
                                      NULL, NULL);
    failed +=
        _cmocka_run_group_tests("api_tensor", api_tensor_tests, api_tensor_test_count, NULL, NULL);
    failed += _cmocka_run_group_tests("api_ops", api_ops_tests, api_ops_test_count, NULL, NULL);
    failed += _cmocka_run_group_tests("api_complex", api_complex_tests, api_complex_test_count,
                                      NULL, NULL);
    failed += _cmocka_run_group_tests("api_fft", api_fft_tests, api_fft_test_count, NULL, NULL);
    failed +=
        _cmocka_run_group_tests("api_layers", api_layer_tests, api_layer_test_count, NULL, NULL);
    failed += _cmocka_run_group_tests("api_moe", api_moe_tests, api_moe_test_count, NULL, NULL);
    failed += _cmocka_run_group_tests("api_longconv", api_longconv_tests, api_longconv_test_count,
                                      NULL, NULL);
    failed +=
        _cmocka_run_group_tests("api_threads", api_thread_tests, api_thread_test_count, NULL, NULL);
    ts_context_destroy(api.ctx2);
    ts_context_destroy(api.ctx);
    return failed ? 1 : 0;
}
