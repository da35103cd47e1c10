/* The op tests: every quick case of the registry (tests/cases) on every
 * device of one backend, one cmocka test per op.
 *
 *   test_ops --backend cpu|vulkan|opencl [--op PATTERN]... [--full]
 *            [--seed N] [--expect-fail] [--every-op]
 *
 * The backend defaults to the first entry of TESSEL_BACKENDS. With no
 * device for it the program skips (exit 77), unless TESSEL_REQUIRE_BACKENDS
 * (a comma list) names the backend: then it fails. Each failing case
 * prints its errors, the tolerance and the tessel-conformance line that
 * reruns just that case. UNSUPPORTED counts as a failure on the CPU backend
 * (it must run every op) and as a note on GPU backends (a device may lack
 * f16 storage, say), or a failure there too with --every-op. FALLBACK (passed through core's
 * composition of an op the backend has no kernel for) is a pass, counted apart; so is FTZ (a
 * special case that matched only with f32 subnormals flushed, on a device
 * that does not promise to keep them: docs/numerics.md). --expect-fail
 * inverts the check, for the corrupt-hook test: every case that runs must
 * FAIL, and at least one must run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <tessel/tessel.h>

#include "registry.h"
#include "test_reliability.h" /* rel_no_device */

#define MAX_DEVICES 16
#define MAX_PATTERNS 16

typedef struct options {
    char backend[16];
    const char *ops[MAX_PATTERNS];
    int n_ops;
    int full;
    int expect_fail;
    int every_op; /* UNSUPPORTED fails on a GPU backend too */
    uint64_t seed;
} options;

typedef struct op_test {
    const char *op; /* the op every case of this test has */
} op_test;

static options g_opt;
static ts_device *g_devices[MAX_DEVICES];
static ts_device_info g_infos[MAX_DEVICES];
static int g_n_devices;

static int parse_args(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    const char *env = getenv("TESSEL_BACKENDS");
    if (env && *env) {
        size_t len = strcspn(env, ",");
        snprintf(o->backend, sizeof o->backend, "%.*s", (int)len, env);
    } else {
        snprintf(o->backend, sizeof o->backend, "cpu");
    }
    const char *seed = getenv("TESSEL_TEST_SEED");
    if (seed && *seed)
        o->seed = strtoull(seed, NULL, 0);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (strcmp(a, "--backend") == 0 && has_value) {
            snprintf(o->backend, sizeof o->backend, "%s", argv[++i]);
        } else if (strcmp(a, "--op") == 0 && has_value && o->n_ops < MAX_PATTERNS) {
            o->ops[o->n_ops++] = argv[++i];
        } else if (strcmp(a, "--seed") == 0 && has_value) {
            o->seed = strtoull(argv[++i], NULL, 0);
        } else if (strcmp(a, "--full") == 0) {
            o->full = 1;
        } else if (strcmp(a, "--expect-fail") == 0) {
            o->expect_fail = 1;
        } else if (strcmp(a, "--every-op") == 0) {
            o->every_op = 1;
        } else {
            fprintf(stderr,
                    "usage: %s [--backend cpu|vulkan|opencl] [--op PATTERN]... [--full] "
                    "[--seed N] [--expect-fail] [--every-op]\n",
                    argv[0]);
            return 1;
        }
    }
    return 0;
}

static int selected(const tsc_case *c)
{
    if (c->full_only && !g_opt.full)
        return 0;
    if (g_opt.n_ops == 0)
        return 1;
    for (int i = 0; i < g_opt.n_ops; i++)
        if (tsc_case_matches_op(c, g_opt.ops[i]))
            return 1;
    return 0;
}

static void report(const ts_device_info *info, const tsc_case *c, const tsc_result *r)
{
    const char *hook = getenv("TESSEL_TEST_HOOK");
    printf("%s %s %s '%s': %s\n"
           "    max_abs_err %.3g, max_rel_err %.3g, tol %.3g\n"
           "    reproduce: %s%s%stessel-conformance --device %s --op %s --case '%s' --seed %llu\n",
           tsc_status_name(r->status), info->id, c->op, c->name, r->message, r->max_abs_err,
           r->max_rel_err, r->tol, hook ? "TESSEL_TEST_HOOK=" : "", hook ? hook : "",
           hook ? " " : "", info->id, c->op, c->name, (unsigned long long)g_opt.seed);
}

/* One cmocka test: every selected case of one op on every device. */
static void run_op(void **state)
{
    const op_test *t = *state;
    int unsupported_fails = g_opt.every_op || strcmp(g_opt.backend, "cpu") == 0;
    int pass = 0, fallback = 0, fail = 0, unsupported = 0, ran = 0, bad = 0;
    struct timespec t0, t1;
    timespec_get(&t0, TIME_UTC);
    for (int i = 0; i < tsc_case_count(); i++) {
        const tsc_case *c = tsc_case_at(i);
        if (strcmp(c->op, t->op) != 0 || !selected(c))
            continue;
        for (int d = 0; d < g_n_devices; d++) {
            tsc_result r = tsc_run_case(c, g_devices[d], g_opt.seed);
            ran++;
            if (r.status == TSC_PASS || r.status == TSC_FALLBACK || r.status == TSC_FTZ) {
                pass++;
                fallback += r.status == TSC_FALLBACK;
                if (r.status == TSC_FTZ && !g_opt.expect_fail)
                    printf("note: ftz %s %s '%s': %s\n", g_infos[d].id, c->op, c->name,
                           r.message);
                /* An empty output has nothing a corrupt step could change. */
                if (g_opt.expect_fail && r.checked > 0) {
                    printf("unexpected pass (the corrupt hook was not caught):\n");
                    report(&g_infos[d], c, &r);
                    bad++;
                }
            } else if (r.status == TSC_FAIL) {
                fail++;
                if (!g_opt.expect_fail) {
                    report(&g_infos[d], c, &r);
                    bad++;
                }
            } else if (r.status == TSC_UNSUPPORTED) {
                unsupported++;
                if (unsupported_fails && !g_opt.expect_fail) {
                    report(&g_infos[d], c, &r);
                    bad++;
                } else if (!g_opt.expect_fail) {
                    printf("note: unsupported %s %s '%s': %s\n", g_infos[d].id, c->op, c->name,
                           r.message);
                }
            } else {
                report(&g_infos[d], c, &r);
                bad++;
            }
        }
    }
    timespec_get(&t1, TIME_UTC);
    printf("%s: %d cases x devices: %d pass (%d through a fallback), %d fail, %d unsupported "
           "(%.2f s)\n",
           t->op, ran, pass, fallback, fail, unsupported,
           (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
    fflush(stdout);
    if (g_opt.expect_fail && fail == 0)
        fail_msg("%s: no case ran to a FAIL; the corrupt hook went unnoticed", t->op);
    if (bad)
        fail_msg("%s: %d of %d cases did not %s", t->op, bad, ran,
                 g_opt.expect_fail ? "fail as expected" : "pass");
}

static int open_devices(ts_context *ctx)
{
    int n = 0;
    if (ts_device_count(ctx, &n) != TS_OK)
        return -1;
    for (int i = 0; i < n && g_n_devices < MAX_DEVICES; i++) {
        ts_device *dev;
        ts_device_info info;
        if (ts_device_get(ctx, i, &dev) != TS_OK || ts_device_info_get(dev, &info) != TS_OK)
            return -1;
        if (strcmp(info.backend, g_opt.backend) != 0)
            continue;
        g_devices[g_n_devices] = dev;
        g_infos[g_n_devices++] = info;
    }
    return g_n_devices;
}

int main(int argc, char **argv)
{
    if (parse_args(argc, argv, &g_opt))
        return 2;
    ts_context *ctx = NULL;
    ts_status st = ts_context_create(&ctx);
    if (st != TS_OK) {
        fprintf(stderr, "ts_context_create: %s: %s\n", ts_status_str(st), ts_last_error(NULL));
        return 1;
    }
    int found = open_devices(ctx);
    if (found <= 0) {
        ts_context_destroy(ctx);
        if (found < 0) {
            fprintf(stderr, "FAIL: listing the %s devices: %s\n", g_opt.backend,
                    ts_last_error(NULL));
            return 1;
        }
        return rel_no_device(g_opt.backend);
    }
    for (int d = 0; d < g_n_devices; d++)
        printf("device %s: %s (%s)\n", g_infos[d].id, g_infos[d].name, g_infos[d].driver);

    /* One test per op, in registry order. */
    int n = tsc_case_count(), n_tests = 0;
    struct CMUnitTest *tests = calloc((size_t)(n ? n : 1), sizeof *tests);
    op_test *ops = calloc((size_t)(n ? n : 1), sizeof *ops);
    if (!tests || !ops) {
        free(tests);
        free(ops);
        ts_context_destroy(ctx);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        const tsc_case *c = tsc_case_at(i);
        if (!selected(c))
            continue;
        int seen = 0;
        for (int j = 0; j < n_tests && !seen; j++)
            seen = strcmp(ops[j].op, c->op) == 0;
        if (seen)
            continue;
        ops[n_tests].op = c->op;
        tests[n_tests] = (struct CMUnitTest){c->op, run_op, NULL, NULL, &ops[n_tests]};
        n_tests++;
    }
    int rc = 1;
    if (n_tests == 0) {
        fprintf(stderr, "FAIL: no case matches the --op filter\n");
    } else {
        char group[64];
        snprintf(group, sizeof group, "ops_%s", g_opt.backend);
        rc = _cmocka_run_group_tests(group, tests, (size_t)n_tests, NULL, NULL) ? 1 : 0;
    }
    free(tests);
    free(ops);
    ts_context_destroy(ctx);
    return rc;
}
