/* Fallbacks on every device of one backend (ctest fallback_cpu,
 * fallback_vulkan, fallback_opencl):
 *
 *   test_fallback --backend cpu|vulkan|opencl
 *
 * ts_glu has no kernel in any backend, so it must run through core's
 * composition: right values for every kind and float dtype (with a strided
 * input view), ts_device_fallback_count up by exactly one per call, one
 * info log line the first time, debug lines after, and the registry's glu
 * cases reported as `fallback`. TESSEL_TEST_HOOK=decline:<op> then takes a
 * piece of the composition away (an UNSUPPORTED that names ts_glu and the
 * missing piece) and makes an op without a fallback fail as unsupported.
 * Exit 77 (skip) when the backend has no device here, unless
 * TESSEL_REQUIRE_BACKENDS names it. */
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

#include "family.h"
#include "test_reliability.h" /* rel_no_device */

#define MAX_DEVICES 16
#define ROWS 7
#define COLS 13
#define N (ROWS * COLS)

static char g_backend[16] = "cpu";
static ts_context *g_ctx;
static ts_device *g_devices[MAX_DEVICES];
static ts_device_info g_infos[MAX_DEVICES];
static int g_n_devices;

static const ts_dtype dtypes[] = {TS_F32, TS_F16, TS_BF16};
static const char *const kind_names[TS_GLU_COUNT] = {"glu", "reglu", "geglu", "swiglu"};

/* ---- host side: values in storage form, the float64 reference ---------- */

static void encode(ts_dtype dt, unsigned char *p, int64_t i, double v)
{
    if (dt == TS_F32) {
        float f = (float)v;
        memcpy(p + 4 * i, &f, 4);
    } else {
        uint16_t h = dt == TS_F16 ? tsc_f32_to_f16((float)v) : tsc_f32_to_bf16((float)v);
        memcpy(p + 2 * i, &h, 2);
    }
}

static double decode(ts_dtype dt, const unsigned char *p, int64_t i)
{
    if (dt == TS_F32) {
        float f;
        memcpy(&f, p + 4 * i, 4);
        return f;
    }
    uint16_t h;
    memcpy(&h, p + 2 * i, 2);
    return dt == TS_F16 ? tsc_f16_to_f32(h) : tsc_bf16_to_f32(h);
}

static double act(ts_glu_kind kind, double x)
{
    switch (kind) {
    case TS_GLU_SIGMOID:
        return 1.0 / (1.0 + exp(-x));
    case TS_GLU_RELU:
        return x > 0.0 ? x : 0.0;
    case TS_GLU_GELU:
        return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
    case TS_GLU_SILU:
        return x / (1.0 + exp(-x));
    }
    return NAN;
}

/* The registry's glu tolerances (f32, f16, bf16), as |err| <= tol |ref| +
 * 1e-6 |b| + floor: one more rounding than a fused kernel for 16-bit
 * results, and f32 erf/exp accurate in absolute terms near zero. */
static void tolerance(ts_dtype dt, double *tol, double *floor)
{
    *tol = dt == TS_F32 ? 1e-5 : dt == TS_F16 ? 1.5e-3 : 1e-2;
    *floor = dt == TS_F32 ? 1e-7 : dt == TS_F16 ? 1e-7 : 1e-6;
}

/* ---- the per-backend fixture --------------------------------------------- */

typedef struct glu_log {
    int info, debug;
    char first_info[512];
} glu_log;

static void on_log(ts_log_level level, const char *message, void *user)
{
    glu_log *log = user;
    if (!message || strncmp(message, "ts_glu: ", 8) != 0 || !strstr(message, "composition"))
        return;
    if (level == TS_LOG_INFO && log->info++ == 0)
        snprintf(log->first_info, sizeof log->first_info, "%s", message);
    else if (level == TS_LOG_DEBUG)
        log->debug++;
}

static uint64_t fallback_count(ts_device *dev)
{
    uint64_t n = 0;
    assert_int_equal(ts_device_fallback_count(dev, &n), TS_OK);
    return n;
}

/* a: stored [COLS, ROWS], seen through a transpose view as [ROWS, COLS]
 * (non-contiguous); b and out contiguous [ROWS, COLS]. */
typedef struct glu_tensors {
    ts_tensor *a_store, *a, *b, *out;
    double av[N], bv[N]; /* logical values after rounding to the dtype */
} glu_tensors;

static void make_tensors(ts_device *dev, ts_dtype dt, glu_tensors *g)
{
    unsigned char abytes[N * 4], bbytes[N * 4];
    memset(g, 0, sizeof *g);
    assert_int_equal(ts_tensor_create(dev, dt, 2, (int64_t[]){COLS, ROWS}, &g->a_store), TS_OK);
    assert_int_equal(ts_tensor_transpose(g->a_store, 0, 1, &g->a), TS_OK);
    assert_int_equal(ts_tensor_create(dev, dt, 2, (int64_t[]){ROWS, COLS}, &g->b), TS_OK);
    assert_int_equal(ts_tensor_create(dev, dt, 2, (int64_t[]){ROWS, COLS}, &g->out), TS_OK);
    for (int r = 0; r < ROWS; r++) {
        for (int c = 0; c < COLS; c++) {
            int i = r * COLS + c;
            /* Spread over [-4, 4) and [-2, 2) with a fixed pattern. */
            encode(dt, abytes, c * ROWS + r, -4.0 + 8.0 * ((i * 37) % 91) / 91.0);
            encode(dt, bbytes, i, -2.0 + 4.0 * ((i * 53) % 89 + 1) / 90.0);
            g->av[i] = decode(dt, abytes, c * ROWS + r);
            g->bv[i] = decode(dt, bbytes, i);
        }
    }
    size_t bytes = (size_t)N * ts_dtype_size(dt);
    assert_int_equal(ts_tensor_write(g->a_store, abytes, bytes), TS_OK);
    assert_int_equal(ts_tensor_write(g->b, bbytes, bytes), TS_OK);
}

static void free_tensors(glu_tensors *g)
{
    ts_tensor_destroy(g->out);
    ts_tensor_destroy(g->b);
    ts_tensor_destroy(g->a);
    ts_tensor_destroy(g->a_store);
}

static void check_result(const ts_device_info *info, ts_dtype dt, ts_glu_kind kind, glu_tensors *g)
{
    unsigned char got[N * 4];
    assert_int_equal(ts_tensor_read(g->out, got, (size_t)N * ts_dtype_size(dt)), TS_OK);
    double tol, floor;
    tolerance(dt, &tol, &floor);
    for (int i = 0; i < N; i++) {
        double want = act(kind, g->av[i]) * g->bv[i], y = decode(dt, got, i);
        double bound = tol * fabs(want) + 1e-6 * fabs(g->bv[i]) + floor;
        if (!(fabs(y - want) <= bound))
            fail_msg("%s %s %s: element %d: got %.9g, want %.9g (a %.9g, b %.9g)", info->id,
                     ts_dtype_name(dt), kind_names[kind], i, y, want, g->av[i], g->bv[i]);
    }
}

/* Every kind and dtype on every device: right values, one fallback per
 * call, one info line on the first call and debug lines after it. */
static void test_glu_through_fallback(void **state)
{
    (void)state;
    for (int d = 0; d < g_n_devices; d++) {
        glu_log log;
        memset(&log, 0, sizeof log);
        ts_set_log_callback(on_log, &log, TS_LOG_DEBUG);
        int calls = 0;
        for (size_t t = 0; t < sizeof dtypes / sizeof dtypes[0]; t++) {
            for (int k = 0; k < TS_GLU_COUNT; k++) {
                glu_tensors g;
                make_tensors(g_devices[d], dtypes[t], &g);
                uint64_t before = fallback_count(g_devices[d]);
                ts_status st = ts_glu((ts_glu_kind)k, g.a, g.b, g.out);
                if (st != TS_OK)
                    fail_msg("%s %s %s: %s: %s", g_infos[d].id, ts_dtype_name(dtypes[t]),
                             kind_names[k], ts_status_str(st), ts_last_error(g_ctx));
                assert_int_equal(fallback_count(g_devices[d]), before + 1);
                calls++;
                check_result(&g_infos[d], dtypes[t], (ts_glu_kind)k, &g);
                free_tensors(&g);
            }
        }
        ts_set_log_callback(NULL, NULL, TS_LOG_WARN);
        char want[512];
        snprintf(want, sizeof want,
                 "ts_glu: %.32s has no kernel for f32 glu, running its composition", g_infos[d].id);
        assert_int_equal(log.info, 1);
        assert_string_equal(log.first_info, want);
        assert_int_equal(log.debug, calls - 1);
        printf("%s: %d ts_glu calls ran through the fallback; log: \"%s\"\n", g_infos[d].id, calls,
               log.first_info);
    }
}

/* An op with a kernel does not touch the count; an empty glu records
 * nothing and so falls back on nothing. */
static void test_count_only_fallbacks(void **state)
{
    (void)state;
    for (int d = 0; d < g_n_devices; d++) {
        glu_tensors g;
        make_tensors(g_devices[d], TS_F32, &g);
        uint64_t before = fallback_count(g_devices[d]);
        assert_int_equal(ts_binary(TS_MUL, g.a, g.b, g.out), TS_OK);
        ts_tensor *empty = NULL, *empty_out = NULL;
        assert_int_equal(ts_tensor_create(g_devices[d], TS_F32, 2, (int64_t[]){0, 3}, &empty),
                         TS_OK);
        assert_int_equal(ts_tensor_create(g_devices[d], TS_F32, 2, (int64_t[]){0, 3}, &empty_out),
                         TS_OK);
        assert_int_equal(ts_glu(TS_GLU_SILU, empty, empty, empty_out), TS_OK);
        assert_int_equal(fallback_count(g_devices[d]), before);
        ts_tensor_destroy(empty);
        ts_tensor_destroy(empty_out);
        free_tensors(&g);
    }
}

/* The registry's glu cases pass on every device and say they fell back
 * (empty ones record nothing: a plain pass with nothing checked). */
static void test_cases_report_fallback(void **state)
{
    (void)state;
    int fell_back = 0;
    for (int i = 0; i < tsc_case_count(); i++) {
        const tsc_case *c = tsc_case_at(i);
        if (strcmp(c->family, "glu") != 0 || c->full_only)
            continue;
        for (int d = 0; d < g_n_devices; d++) {
            tsc_result r = tsc_run_case(c, g_devices[d], 1);
            int empty_pass = r.status == TSC_PASS && r.checked == 0;
            if (r.status != TSC_FALLBACK && !empty_pass)
                fail_msg("%s %s '%s': %s (%s)", g_infos[d].id, c->op, c->name,
                         tsc_status_name(r.status), r.message);
            fell_back += r.status == TSC_FALLBACK;
        }
    }
    assert_true(fell_back > 0);
    printf("%d glu cases reported `fallback`\n", fell_back);
}

/* A context whose TESSEL_TEST_HOOK is `hook`, and its device of our backend. */
static ts_context *hooked_context(const char *hook, ts_device **dev)
{
    ts_context *ctx = NULL;
    setenv("TESSEL_TEST_HOOK", hook, 1);
    ts_status st = ts_context_create(&ctx);
    unsetenv("TESSEL_TEST_HOOK");
    assert_int_equal(st, TS_OK);
    assert_int_equal(ts_device_find(ctx, g_infos[0].id, dev), TS_OK);
    return ctx;
}

/* With a piece of the composition missing, ts_glu is unsupported, and the
 * message names the op called, the op composed and the missing piece. */
static void test_missing_piece(void **state)
{
    (void)state;
    ts_device *dev;
    ts_context *ctx = hooked_context("decline:mul", &dev);
    glu_tensors g;
    make_tensors(dev, TS_F32, &g);
    assert_int_equal(ts_glu(TS_GLU_SILU, g.a, g.b, g.out), TS_ERR_UNSUPPORTED);
    const char *msg = ts_last_error(ctx);
    printf("decline:mul -> %s\n", msg);
    assert_true(strncmp(msg, "ts_glu: ", 8) == 0);
    assert_non_null(strstr(msg, "no kernel for f32 swiglu"));
    assert_non_null(strstr(msg, "composition cannot run"));
    assert_non_null(strstr(msg, "ts_binary: "));
    assert_non_null(strstr(msg, "f32 mul"));
    /* The attempt is a fallback taken; nothing of it half-ran unsupported. */
    assert_int_equal(fallback_count(dev), 1);
    free_tensors(&g);
    ts_context_destroy(ctx);

    /* An activation missing takes only the kinds that need it. */
    ctx = hooked_context("decline:silu", &dev);
    make_tensors(dev, TS_F32, &g);
    assert_int_equal(ts_glu(TS_GLU_SILU, g.a, g.b, g.out), TS_ERR_UNSUPPORTED);
    assert_non_null(strstr(ts_last_error(ctx), "f32 silu"));
    assert_int_equal(ts_glu(TS_GLU_RELU, g.a, g.b, g.out), TS_OK);
    check_result(&g_infos[0], TS_F32, TS_GLU_RELU, &g);
    free_tensors(&g);
    ts_context_destroy(ctx);
}

/* decline:<op> on an op without a fallback: unsupported, as a backend
 * without the kernel would say, plus the hook that caused it. */
static void test_decline_without_fallback(void **state)
{
    (void)state;
    ts_device *dev;
    ts_context *ctx = hooked_context("decline:softmax", &dev);
    ts_tensor *x = NULL, *y = NULL;
    assert_int_equal(ts_tensor_create(dev, TS_F32, 2, (int64_t[]){3, 5}, &x), TS_OK);
    assert_int_equal(ts_tensor_create(dev, TS_F32, 2, (int64_t[]){3, 5}, &y), TS_OK);
    float ones[15];
    for (int i = 0; i < 15; i++)
        ones[i] = 1.0f;
    assert_int_equal(ts_tensor_write(x, ones, sizeof ones), TS_OK);
    assert_int_equal(ts_softmax(x, 1.0f, 0, y), TS_ERR_UNSUPPORTED);
    const char *msg = ts_last_error(ctx);
    assert_true(strncmp(msg, "ts_softmax: ", 12) == 0);
    assert_non_null(strstr(msg, "does not support f32 softmax"));
    assert_non_null(strstr(msg, "TESSEL_TEST_HOOK=decline:softmax"));
    assert_int_equal(fallback_count(dev), 0);
    assert_int_equal(ts_unary(TS_EXP, x, y), TS_OK);
    ts_tensor_destroy(x);
    ts_tensor_destroy(y);
    ts_context_destroy(ctx);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--backend") == 0) {
        snprintf(g_backend, sizeof g_backend, "%s", argv[2]);
    } else if (argc != 1) {
        fprintf(stderr, "usage: %s [--backend cpu|vulkan|opencl]\n", argv[0]);
        return 2;
    }
    if (ts_context_create(&g_ctx) != TS_OK) {
        fprintf(stderr, "ts_context_create: %s\n", ts_last_error(NULL));
        return 1;
    }
    int n = 0;
    ts_device_count(g_ctx, &n);
    for (int i = 0; i < n && g_n_devices < MAX_DEVICES; i++) {
        ts_device *dev;
        ts_device_info info;
        if (ts_device_get(g_ctx, i, &dev) != TS_OK || ts_device_info_get(dev, &info) != TS_OK ||
            strcmp(info.backend, g_backend) != 0)
            continue;
        g_devices[g_n_devices] = dev;
        g_infos[g_n_devices++] = info;
    }
    if (g_n_devices == 0) {
        ts_context_destroy(g_ctx);
        return rel_no_device(g_backend);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glu_through_fallback),
        cmocka_unit_test(test_count_only_fallbacks),
        cmocka_unit_test(test_cases_report_fallback),
        cmocka_unit_test(test_missing_piece),
        cmocka_unit_test(test_decline_without_fallback),
    };
    char group[64];
    snprintf(group, sizeof group, "fallback_%s", g_backend);
    int rc = _cmocka_run_group_tests(group, tests, sizeof tests / sizeof tests[0], NULL, NULL);
    ts_context_destroy(g_ctx);
    return rc ? 1 : 0;
}
