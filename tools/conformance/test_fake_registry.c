/* A fake case registry for testing tessel-conformance itself: fixed
 * outcomes (pass, a NaN failure, unsupported, an error whose message holds
 * every character JSON and XML must escape, an exact-dtype failure with an
 * infinite error, a pass through a fallback) and case names with quotes, markup, a control byte and
 * invalid UTF-8; in --full only, a case that crashes its process and one
 * that never returns, as a broken driver would, each followed by one that
 * passes. Linked instead of tessel_cases into tessel-conformance-fake
 * (ctest conformance_fake). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "registry.h"

static tsc_case cases[] = {
    {"add", "binary", "f32/4x5", TS_F32, 0, NULL, 0, 0, TS_F32},
    {"add", "binary", "f16/bcast 1x5 + 4x5", TS_F16, 0, NULL, 1, 0, TS_F16},
    {"add_rows", "binary", "f32/4x5", TS_F32, 0, NULL, 2, 0, TS_F32},
    {"mul", "binary", "bf16/odd 7", TS_BF16, 0, NULL, 3, 0, TS_BF16},
    {"softmax", "softmax", "f32/causal \"q\" <&> it's", TS_F32, 0, NULL, 4, 0, TS_F32},
    {"softmax", "softmax", "f32/big 1024x1024", TS_F32, 1, NULL, 5, 0, TS_F32},
    {"argmax", "reduce", "i32/weird \x01\xff", TS_I32, 0, NULL, 6, 0, TS_I32},
    {"swiglu", "glu", "bf16/3x7", TS_BF16, 0, NULL, 7, 0, TS_BF16},
    {"crash", "process", "f32/segfault", TS_F32, 1, NULL, 8, 0, TS_F32},
    {"crash", "process", "f32/after it", TS_F32, 1, NULL, 0, 0, TS_F32},
    {"hang", "process", "f32/never returns", TS_F32, 1, NULL, 9, 0, TS_F32},
    {"hang", "process", "f32/after it", TS_F32, 1, NULL, 0, 0, TS_F32},
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))
static const char *const families[] = {"binary", "softmax", "reduce", "glu", "process"};
#define N_FAMILIES ((int)(sizeof families / sizeof families[0]))

int tsc_case_count(void)
{
    return N_CASES;
}

const tsc_case *tsc_case_at(int i)
{
    return i >= 0 && i < N_CASES ? &cases[i] : NULL;
}

const tsc_case *tsc_case_find(const char *op, const char *name)
{
    for (int i = 0; i < N_CASES; i++)
        if (strcmp(cases[i].op, op) == 0 && strcmp(cases[i].name, name) == 0)
            return &cases[i];
    return NULL;
}

int tsc_family_count(void)
{
    return N_FAMILIES;
}

const char *tsc_family_name(int i)
{
    return i >= 0 && i < N_FAMILIES ? families[i] : NULL;
}

int tsc_case_matches_op(const tsc_case *c, const char *pattern)
{
    return strncmp(c->op, pattern, strlen(pattern)) == 0 || strcmp(c->family, pattern) == 0;
}

tsc_result tsc_run_case(const tsc_case *c, ts_device *dev, uint64_t seed)
{
    tsc_result r;
    (void)dev;
    (void)seed;
    memset(&r, 0, sizeof r);
    r.tol = 1e-3;
    r.max_abs_err = 1e-7;
    r.max_rel_err = 3e-8;
    switch (c->op_index) {
    case 1:
        r.status = TSC_FAIL;
        r.max_abs_err = r.max_rel_err = NAN;
        snprintf(r.message, sizeof r.message, "element [0,3] is NaN\nunwritten?");
        break;
    case 3:
        r.status = TSC_UNSUPPORTED;
        snprintf(r.message, sizeof r.message, "bf16 mul is not supported on this device");
        break;
    case 4:
        r.status = TSC_ERROR;
        r.max_abs_err = r.max_rel_err = INFINITY;
        snprintf(r.message, sizeof r.message,
                 "TS_ERR_BACKEND: driver said \"<bad> & 'worse'\"\t\x02 \xc3\xa9\\");
        break;
    case 6:
        r.status = TSC_FAIL;
        r.max_abs_err = INFINITY;
        r.max_rel_err = 2;
        r.tol = 0;
        snprintf(r.message, sizeof r.message, "index 3 != 4");
        break;
    case 7:
        r.status = TSC_FALLBACK;
        r.tol = 1e-2;
        r.max_abs_err = r.max_rel_err = 2e-3;
        snprintf(r.message, sizeof r.message, "passed through core's fallback <composition>");
        break;
    case 8: {
        /* A real fault, not raise(): drivers' crash handlers (LLVM's)
         * return from a raised SIGSEGV, but a faulting store faults again
         * once they have stepped aside. */
        volatile uintptr_t bad = 8;
        *(volatile int *)bad = 1;
        break;
    }
    case 9:
        for (;;)
            sleep(1);
    default:
        break;
    }
    return r;
}

const char *tsc_status_name(tsc_status s)
{
    static const char *const names[] = {"pass", "fail", "unsupported", "error", "fallback", "ftz"};
    return (unsigned)s < 6 ? names[s] : "?";
}
