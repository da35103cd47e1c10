/* TESSEL_GPU_LIMITS on every device of one GPU backend (ctest
 * gpu_limits_vulkan, gpu_limits_opencl):
 *
 *   test_gpu_limits --backend vulkan|opencl
 *
 * Each test sets the variable, opens a context, and checks what the
 * devices then report: the smaller workgroup and shared memory and the
 * "limits(TESSEL_GPU_LIMITS)" mark with a value it understands; the
 * device's own limits and a warning naming the variable with one it does
 * not. With 4 storage buffers per launch the six-binding norm kernel
 * cannot run, so ts_layer_norm must come back through its composition
 * (one more fallback), with the right values. The ops_*_min_limits tests
 * run the conformance cases under TESSEL_GPU_LIMITS=min. Exit 77 (skip)
 * when the backend has no device here, unless TESSEL_REQUIRE_BACKENDS
 * names it. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <tessel/tessel.h>

#include "test_reliability.h" /* rel_no_device */

#define MAX_DEVICES 16
#define MARK "limits(TESSEL_GPU_LIMITS)"

static char g_backend[16] = "vulkan";

typedef struct opened {
    ts_context *ctx;
    ts_device *dev[MAX_DEVICES];
    ts_device_info info[MAX_DEVICES];
    int n;
} opened;

/* A context with TESSEL_GPU_LIMITS = value (NULL: unset), and its devices
 * of the backend under test. */
static int open_with(const char *value, opened *o)
{
    memset(o, 0, sizeof *o);
    if (value)
        setenv("TESSEL_GPU_LIMITS", value, 1);
    else
        unsetenv("TESSEL_GPU_LIMITS");
    ts_status st = ts_context_create(&o->ctx);
    unsetenv("TESSEL_GPU_LIMITS");
    if (st != TS_OK)
        return -1;
    int n = 0;
    ts_device_count(o->ctx, &n);
    for (int i = 0; i < n && o->n < MAX_DEVICES; i++) {
        ts_device *dev;
        ts_device_info info;
        if (ts_device_get(o->ctx, i, &dev) != TS_OK || ts_device_info_get(dev, &info) != TS_OK ||
            strcmp(info.backend, g_backend) != 0)
            continue;
        o->dev[o->n] = dev;
        o->info[o->n++] = info;
    }
    return o->n;
}

typedef struct warn_log {
    int warnings;
} warn_log;

static void on_log(ts_log_level level, const char *message, void *user)
{
    warn_log *log = user;
    if (level == TS_LOG_WARN && message && strstr(message, "TESSEL_GPU_LIMITS=wg=lots") &&
        strstr(message, "not understood"))
        log->warnings++;
}

/* The features line is the longest under limits: it must fit whole, and
 * the FFT path it ends with must not be cut inside its reason (tessel-info
 * prints that path up to the next ';'). */
static void assert_features_whole(const ts_device_info *info)
{
    assert_true(strlen(info->features) + 1 < sizeof info->features);
    const char *fft = strstr(info->features, "fft: ");
    if (!fft)
        return;
    assert_null(strchr(fft, ';'));
    assert_true(!strchr(fft, '(') || fft[strlen(fft) - 1] == ')');
}

static void test_limits_applied(void **state)
{
    (void)state;
    opened own, cut;
    assert_true(open_with(NULL, &own) > 0);
    assert_int_equal(open_with("wg=64,shared=8192,subgroups=0", &cut), own.n);
    for (int i = 0; i < cut.n; i++) {
        uint32_t wg = own.info[i].max_workgroup_size, sh = own.info[i].shared_memory_bytes;
        assert_null(strstr(own.info[i].features, MARK));
        assert_non_null(strstr(cut.info[i].features, MARK));
        assert_features_whole(&own.info[i]);
        assert_features_whole(&cut.info[i]);
        assert_int_equal(cut.info[i].max_workgroup_size, wg < 64 ? wg : 64);
        assert_int_equal(cut.info[i].shared_memory_bytes, sh < 8192 ? sh : 8192);
    }
    ts_context_destroy(cut.ctx);
    ts_context_destroy(own.ctx);
}

static void test_bad_value_ignored(void **state)
{
    (void)state;
    warn_log log = {0};
    ts_set_log_callback(on_log, &log, TS_LOG_WARN);
    opened own, bad;
    assert_true(open_with(NULL, &own) > 0);
    assert_int_equal(open_with("wg=lots", &bad), own.n);
    ts_set_log_callback(NULL, NULL, TS_LOG_WARN);
    assert_true(log.warnings >= 1);
    for (int i = 0; i < bad.n; i++) {
        assert_null(strstr(bad.info[i].features, MARK));
        assert_int_equal(bad.info[i].max_workgroup_size, own.info[i].max_workgroup_size);
        assert_int_equal(bad.info[i].shared_memory_bytes, own.info[i].shared_memory_bytes);
    }
    ts_context_destroy(bad.ctx);
    ts_context_destroy(own.ctx);
}

/* LayerNorm of rows x [R, C] (weight 1 + c/C, no bias) into y, in f64. */
#define R 5
#define C 24
static void layer_norm_ref(const float *x, double *y)
{
    for (int r = 0; r < R; r++) {
        double mean = 0, var = 0;
        for (int c = 0; c < C; c++)
            mean += x[r * C + c] / C;
        for (int c = 0; c < C; c++)
            var += (x[r * C + c] - mean) * (x[r * C + c] - mean) / C;
        for (int c = 0; c < C; c++)
            y[r * C + c] = (x[r * C + c] - mean) / sqrt(var + 1e-5) * (1.0 + (double)c / C);
    }
}

static void test_norm_falls_back_with_four_buffers(void **state)
{
    (void)state;
    opened o;
    assert_true(open_with("buffers=4", &o) > 0);
    float x[R * C], w[C], y[R * C];
    double want[R * C];
    for (int i = 0; i < R * C; i++)
        x[i] = (float)sin(0.7 * i) * 3.0f + 1.0f;
    for (int c = 0; c < C; c++)
        w[c] = 1.0f + (float)c / C;
    layer_norm_ref(x, want);
    for (int d = 0; d < o.n; d++) {
        int64_t xs[2] = {R, C}, ws[1] = {C};
        ts_tensor *tx, *tw, *ty;
        assert_int_equal(ts_tensor_create(o.dev[d], TS_F32, 2, xs, &tx), TS_OK);
        assert_int_equal(ts_tensor_create(o.dev[d], TS_F32, 1, ws, &tw), TS_OK);
        assert_int_equal(ts_tensor_create(o.dev[d], TS_F32, 2, xs, &ty), TS_OK);
        assert_int_equal(ts_tensor_write(tx, x, sizeof x), TS_OK);
        assert_int_equal(ts_tensor_write(tw, w, sizeof w), TS_OK);
        uint64_t before = 0, after = 0;
        assert_int_equal(ts_device_fallback_count(o.dev[d], &before), TS_OK);
        assert_int_equal(ts_layer_norm(tx, tw, NULL, 1e-5f, ty), TS_OK);
        assert_int_equal(ts_tensor_read(ty, y, sizeof y), TS_OK);
        assert_int_equal(ts_device_fallback_count(o.dev[d], &after), TS_OK);
        assert_int_equal(after, before + 1);
        for (int i = 0; i < R * C; i++)
            if (fabs(y[i] - want[i]) > 1e-5 * (1 + fabs(want[i])))
                fail_msg("%s: y[%d] = %.9g, expected %.9g", o.info[d].id, i, (double)y[i], want[i]);
        ts_tensor_destroy(tx);
        ts_tensor_destroy(tw);
        ts_tensor_destroy(ty);
    }
    ts_context_destroy(o.ctx);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--backend") == 0) {
        snprintf(g_backend, sizeof g_backend, "%s", argv[2]);
    } else if (argc != 1) {
        fprintf(stderr, "usage: %s [--backend vulkan|opencl]\n", argv[0]);
        return 2;
    }
    opened o;
    int n = open_with(NULL, &o);
    if (o.ctx)
        ts_context_destroy(o.ctx);
    if (n < 0) {
        fprintf(stderr, "ts_context_create: %s\n", ts_last_error(NULL));
        return 1;
    }
    if (n == 0)
        return rel_no_device(g_backend);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits_applied),
        cmocka_unit_test(test_bad_value_ignored),
        cmocka_unit_test(test_norm_falls_back_with_four_buffers),
    };
    char group[64];
    snprintf(group, sizeof group, "gpu_limits_%s", g_backend);
    return _cmocka_run_group_tests(group, tests, sizeof tests / sizeof tests[0], NULL, NULL) ? 1
                                                                                             : 0;
}
