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
 * (one more fallback), with the right values. An OpenCL kernel family
 * that learns at launch that its kernels run fewer work-items than planned
 * plans again (kernel_wg). The ops_*_min_limits tests
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
    if (level == TS_LOG_WARN && message && strstr(message, "TESSEL_GPU_LIMITS=") &&
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
    static const char *const values[] = {"wg=lots", "kernel_wg:=8", "kernel_wgs=8",
                                         "kernel_wg:attention=0",
                                         "kernel_wg:a_family_name_too_long=8"};
    opened own;
    assert_true(open_with(NULL, &own) > 0);
    for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
        warn_log log = {0};
        ts_set_log_callback(on_log, &log, TS_LOG_WARN);
        opened bad;
        assert_int_equal(open_with(values[v], &bad), own.n);
        ts_set_log_callback(NULL, NULL, TS_LOG_WARN);
        if (log.warnings < 1)
            fail_msg("TESSEL_GPU_LIMITS=%s: no warning", values[v]);
        for (int i = 0; i < bad.n; i++) {
            assert_null(strstr(bad.info[i].features, MARK));
            assert_int_equal(bad.info[i].max_workgroup_size, own.info[i].max_workgroup_size);
            assert_int_equal(bad.info[i].shared_memory_bytes, own.info[i].shared_memory_bytes);
        }
        ts_context_destroy(bad.ctx);
    }
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

/* Softmax of the S_ROWS rows of x (S_COLS each, scale 1) into y, in f64. */
#define S_ROWS 3
#define S_COLS 300
static void softmax_ref(const float *x, double *y)
{
    for (int r = 0; r < S_ROWS; r++) {
        double mx = -INFINITY, sum = 0;
        for (int c = 0; c < S_COLS; c++)
            mx = fmax(mx, x[r * S_COLS + c]);
        for (int c = 0; c < S_COLS; c++)
            sum += exp(x[r * S_COLS + c] - mx);
        for (int c = 0; c < S_COLS; c++)
            y[r * S_COLS + c] = exp(x[r * S_COLS + c] - mx) / sum;
    }
}

typedef struct replan_log {
    const char *want; /* the line's end for the family the test limits */
    int family, other;
} replan_log;

/* cl_gpu.c's line when a kernel family learns a lower width. */
static void on_replan(ts_log_level level, const char *message, void *user)
{
    replan_log *log = user;
    if (level != TS_LOG_INFO || !message || !strstr(message, "now plan for"))
        return;
    if (strstr(message, log->want))
        log->family++;
    else
        log->other++;
}

/* A context under the kernel_wg limit `limits`, its log lines counted. */
static void open_logged(const char *limits, replan_log *log, opened *o)
{
    ts_set_log_callback(on_replan, log, TS_LOG_INFO);
    assert_true(open_with(limits, o) > 0);
}

/* Close it; the run must have logged one line per device on OpenCL, none
 * on Vulkan. */
static void close_logged(opened *o, const replan_log *log)
{
    ts_context_destroy(o->ctx);
    ts_set_log_callback(NULL, NULL, TS_LOG_WARN);
    assert_int_equal(log->family, strcmp(g_backend, "opencl") == 0 ? o->n : 0);
    assert_int_equal(log->other, 0);
}

/* An OpenCL driver may build a kernel that runs fewer work-items than the
 * device's maximum, and says so only once the kernel is built
 * (CL_KERNEL_WORK_GROUP_SIZE). kernel_wg:softmax=8 makes every softmax
 * build say 8: the first call must still give right numbers (planned
 * again, narrower), say so once in the log, and leave the other families
 * at their width (the add after it learns nothing). Vulkan has no such
 * limit: the same calls log nothing there. */
static void test_kernel_wg_learned(void **state)
{
    (void)state;
    replan_log log = {"softmax kernels now plan for 8", 0, 0};
    opened o;
    open_logged("kernel_wg:softmax=8", &log, &o);
    float x[S_ROWS * S_COLS], y[S_ROWS * S_COLS];
    double want[S_ROWS * S_COLS];
    for (int i = 0; i < S_ROWS * S_COLS; i++)
        x[i] = (float)sin(0.37 * i) * 4.0f;
    softmax_ref(x, want);
    for (int d = 0; d < o.n; d++) {
        int64_t xs[2] = {S_ROWS, S_COLS};
        ts_tensor *tx, *ty, *tz;
        assert_int_equal(ts_tensor_create(o.dev[d], TS_F32, 2, xs, &tx), TS_OK);
        assert_int_equal(ts_tensor_create(o.dev[d], TS_F32, 2, xs, &ty), TS_OK);
        assert_int_equal(ts_tensor_create(o.dev[d], TS_F32, 2, xs, &tz), TS_OK);
        assert_int_equal(ts_tensor_write(tx, x, sizeof x), TS_OK);
        for (int call = 0; call < 2; call++) {
            memset(y, 0xff, sizeof y);
            assert_int_equal(ts_softmax(tx, 1.0f, 0, ty), TS_OK);
            assert_int_equal(ts_tensor_read(ty, y, sizeof y), TS_OK);
            for (int i = 0; i < S_ROWS * S_COLS; i++)
                if (!(fabs(y[i] - want[i]) <= 1e-5 * want[i] + 1e-9))
                    fail_msg("%s, call %d: y[%d] = %.9g, expected %.9g", o.info[d].id, call, i,
                             (double)y[i], want[i]);
        }
        assert_int_equal(ts_binary(TS_ADD, tx, ty, tz), TS_OK);
        assert_int_equal(ts_tensor_read(tz, y, sizeof y), TS_OK);
        for (int i = 0; i < S_ROWS * S_COLS; i++)
            assert_float_equal(y[i], x[i] + (float)want[i], 1e-5);
        ts_tensor_destroy(tx);
        ts_tensor_destroy(ty);
        ts_tensor_destroy(tz);
    }
    close_logged(&o, &log);
}

/* Decoding attention, one query over A_KEYS keys [1, A_HEADS, ., A_D],
 * scale 1/4, in f64. */
#define A_HEADS 2
#define A_KEYS 1100
#define A_D 64
static void attention_ref(const float *q, const float *k, const float *v, double *out)
{
    for (int h = 0; h < A_HEADS; h++) {
        double s[A_KEYS], mx = -INFINITY, sum = 0;
        for (int j = 0; j < A_KEYS; j++) {
            s[j] = 0;
            for (int d = 0; d < A_D; d++)
                s[j] += (double)q[h * A_D + d] * k[(h * A_KEYS + j) * A_D + d] / 4;
            mx = fmax(mx, s[j]);
        }
        for (int j = 0; j < A_KEYS; j++)
            sum += exp(s[j] - mx);
        for (int d = 0; d < A_D; d++) {
            out[h * A_D + d] = 0;
            for (int j = 0; j < A_KEYS; j++)
                out[h * A_D + d] += exp(s[j] - mx) / sum * v[(h * A_KEYS + j) * A_D + d];
        }
    }
}

/* An op of several launches that learns the limit at a later one: on
 * PoCL, decoding attention splits the keys into ranges and merges them,
 * and only the merge kernel is wider than 32, so the limit shows after
 * the range launches were recorded. The op is planned and recorded again
 * as a whole, and must give the right numbers. */
static void test_kernel_wg_learned_late(void **state)
{
    (void)state;
    replan_log log = {"attention kernels now plan for 32", 0, 0};
    opened o;
    open_logged("kernel_wg:attention=32", &log, &o);
    static float q[A_HEADS * A_D], k[A_HEADS * A_KEYS * A_D], v[A_HEADS * A_KEYS * A_D];
    float y[A_HEADS * A_D];
    double want[A_HEADS * A_D];
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        k[i] = (float)sin(0.11 * (double)i) * 2.0f;
        v[i] = (float)cos(0.07 * (double)i);
    }
    for (int i = 0; i < A_HEADS * A_D; i++)
        q[i] = (float)sin(0.5 * i + 1.0);
    attention_ref(q, k, v, want);
    ts_attention_params p;
    ts_attention_params_init(&p);
    p.scale = 0.25f;
    for (int d = 0; d < o.n; d++) {
        int64_t qs[4] = {1, A_HEADS, 1, A_D}, ks[4] = {1, A_HEADS, A_KEYS, A_D};
        ts_tensor *tq, *tk, *tv, *ty;
        assert_int_equal(ts_tensor_create(o.dev[d], TS_F32, 4, qs, &tq), TS_OK);
        assert_int_equal(ts_tensor_create(o.dev[d], TS_F32, 4, ks, &tk), TS_OK);
        assert_int_equal(ts_tensor_create(o.dev[d], TS_F32, 4, ks, &tv), TS_OK);
        assert_int_equal(ts_tensor_create(o.dev[d], TS_F32, 4, qs, &ty), TS_OK);
        assert_int_equal(ts_tensor_write(tq, q, sizeof q), TS_OK);
        assert_int_equal(ts_tensor_write(tk, k, sizeof k), TS_OK);
        assert_int_equal(ts_tensor_write(tv, v, sizeof v), TS_OK);
        assert_int_equal(ts_attention(tq, tk, tv, &p, ty), TS_OK);
        assert_int_equal(ts_tensor_read(ty, y, sizeof y), TS_OK);
        for (int i = 0; i < A_HEADS * A_D; i++)
            if (!(fabs(y[i] - want[i]) <= 1e-5))
                fail_msg("%s: out[%d] = %.9g, expected %.9g", o.info[d].id, i, (double)y[i],
                         want[i]);
        ts_tensor_destroy(tq);
        ts_tensor_destroy(tk);
        ts_tensor_destroy(tv);
        ts_tensor_destroy(ty);
    }
    close_logged(&o, &log);
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
        cmocka_unit_test(test_kernel_wg_learned),
        cmocka_unit_test(test_kernel_wg_learned_late),
    };
    char group[64];
    snprintf(group, sizeof group, "gpu_limits_%s", g_backend);
    return _cmocka_run_group_tests(group, tests, sizeof tests / sizeof tests[0], NULL, NULL) ? 1
                                                                                             : 0;
}
