/* The harness's flushed-subnormal rule (registry.h TSC_FTZ) on the CPU,
 * which keeps subnormals, with a flushing device emulated: each case's
 * "op" reads its inputs back from the device, computes in f32 on the host
 * the way a flushing GPU does (subnormal inputs and results become zeros
 * of the same sign) or the IEEE way, and writes the result into the
 * output tensor; the references are the ordinary IEEE float64 ones.
 *
 * Checked: a flushed answer is FAIL on a device that keeps subnormals and
 * FTZ on one that may flush; an IEEE answer is PASS on both; an answer
 * wrong beyond flushing is FAIL on both; a family that does not place
 * subnormals gets no second look; the real special family's mul passes
 * on cpu:0 whatever the device is assumed to do. No GPU needed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "family.h"
#include "ref.h"
#include "tests/test_check.h"

enum { EMU_IEEE, EMU_FLUSH, EMU_WRONG };

static float flushf(float v)
{
    return fpclassify(v) == FP_SUBNORMAL ? copysignf(0.0f, v) : v;
}

/* Subnormals, zeros of both signs, +-inf, NaN and random values. */
static const double k_specials[] = {0x1p-149, -0x1p-149, 0x1p-130, -0.0, 0.0,
                                    INFINITY, -INFINITY, NAN,      3e38, 0x1p-100};
#define N_SPECIALS ((int)(sizeof k_specials / sizeof k_specials[0]))

static void run(tsc_ctx *x)
{
    int emu = tsc_ctx_op(x)->kind;
    const tsc_spec *s = tsc_ctx_spec(x);
    int64_t n = tsc_numel(s->nd, s->shape), s4[4];
    tsc_pad4(s->nd, s->shape, s4);
    double *va = tsc_alloc(x, (size_t)n), *vb = tsc_alloc(x, (size_t)n);
    double *ref = tsc_alloc(x, (size_t)n), *mag = tsc_alloc(x, (size_t)n);
    float *fa = malloc((size_t)n * 4), *fb = malloc((size_t)n * 4), *fo = malloc((size_t)n * 4);
    if (!va || !vb || !ref || !mag || !fa || !fb || !fo)
        goto done;
    for (int64_t i = 0; i < n; i++) { /* every (a, b) pair of specials */
        va[i] = i < N_SPECIALS * N_SPECIALS ? k_specials[i % N_SPECIALS] : tsc_uniform(x, -2, 2);
        vb[i] = i < N_SPECIALS * N_SPECIALS ? k_specials[i / N_SPECIALS] : tsc_uniform(x, -2, 2);
    }
    tsc_arg *a = tsc_input_values(x, TS_F32, s->nd, s->shape, TSC_CONTIG, va);
    tsc_arg *b = a ? tsc_input_values(x, TS_F32, s->nd, s->shape, TSC_CONTIG, vb) : NULL;
    tsc_arg *out = b ? tsc_output(x, TS_F32, s->nd, s->shape, TSC_CONTIG) : NULL;
    /* The emulated device sees what was stored, subnormals included. */
    if (!out || tsc_op_status(x, ts_tensor_read(a->t, fa, (size_t)n * 4), "read a") ||
        tsc_op_status(x, ts_tensor_read(b->t, fb, (size_t)n * 4), "read b"))
        goto done;
    for (int64_t i = 0; i < n; i++) {
        fo[i] = emu == EMU_IEEE ? fa[i] * fb[i] : flushf(flushf(fa[i]) * flushf(fb[i]));
        if (emu == EMU_WRONG && i == n - 1)
            fo[i] += 1.0f; /* a random * random slot: wrong whatever the mode */
    }
    if (tsc_op_status(x, ts_tensor_write(out->t, fo, (size_t)n * 4), "write out"))
        goto done;
    ref_binary(TS_MUL, 0, a->v, s4, b->v, s4, s4, ref, mag);
    tsc_check_class(x, out, ref, mag, TSC_CLASS_SIGNED_ZERO);
done:
    free(fa);
    free(fb);
    free(fo);
}

static const tsc_op_entry k_ops[] = {
    {"mul_ieee", EMU_IEEE, TSC_DT(TS_F32)},
    {"mul_flush", EMU_FLUSH, TSC_DT(TS_F32)},
    {"mul_wrong", EMU_WRONG, TSC_DT(TS_F32)},
};
static const tsc_spec k_specs[] = {{"10x13", 2, {10, 13}, 0, {0}, {0}, {0}, 0, 0}};

/* The special family's tolerances (registry.c), so the name is "special". */
static const tsc_family k_places = {.name = "special",
                                    .ops = k_ops,
                                    .n_ops = 3,
                                    .specs = k_specs,
                                    .n_specs = 1,
                                    .run = run,
                                    .places_subnormals = 1};
static const tsc_family k_plain = {.name = "special",
                                   .ops = k_ops,
                                   .n_ops = 3,
                                   .specs = k_specs,
                                   .n_specs = 1,
                                   .run = run,
                                   .places_subnormals = 0};

static tsc_status status_of(const tsc_family *fam, int op, ts_device *dev, ts_denormals mode,
                            tsc_result *out)
{
    tsc_case c;
    memset(&c, 0, sizeof c);
    c.op = fam->ops[op].name;
    c.family = fam->name;
    snprintf(c.name, sizeof c.name, "f32/10x13");
    c.dtype = TS_F32;
    c.fam = fam;
    c.op_index = op;
    tsc_result r = tsc_run_case_denormals(&c, dev, 7, mode);
    if (out)
        *out = r;
    return r.status;
}

int main(void)
{
    ts_context *ctx = NULL;
    ts_device *dev = NULL;
    if (ts_context_create(&ctx) != TS_OK || ts_device_find(ctx, "cpu:0", &dev) != TS_OK) {
        fprintf(stderr, "no cpu:0: %s\n", ts_last_error(NULL));
        ts_context_destroy(ctx);
        return 1;
    }
    ts_device_info info;
    CHECK(ts_device_info_get(dev, &info) == TS_OK && info.denormals == TS_DENORMALS_PRESERVED,
          "the CPU backend must report preserved subnormals");
    CHECK(strcmp(tsc_status_name(TSC_FTZ), "ftz") == 0, "TSC_FTZ is named %s",
          tsc_status_name(TSC_FTZ));

    static const ts_denormals modes[] = {TS_DENORMALS_PRESERVED, TS_DENORMALS_UNKNOWN,
                                         TS_DENORMALS_FLUSHED};
    for (int m = 0; m < 3; m++) {
        int keeps = modes[m] == TS_DENORMALS_PRESERVED;
        tsc_result r;
        tsc_status st = status_of(&k_places, EMU_IEEE, dev, modes[m], &r);
        CHECK(st == TSC_PASS, "mode %d: IEEE answer is %s (%s)", m, tsc_status_name(st), r.message);
        st = status_of(&k_places, EMU_FLUSH, dev, modes[m], &r);
        CHECK(st == (keeps ? TSC_FAIL : TSC_FTZ), "mode %d: flushed answer is %s (%s)", m,
              tsc_status_name(st), r.message);
        CHECK(keeps || strstr(r.message, "flushed to zero") != NULL,
              "mode %d: the ftz message does not say why: %s", m, r.message);
        st = status_of(&k_places, EMU_WRONG, dev, modes[m], &r);
        CHECK(st == TSC_FAIL, "mode %d: a wrong answer is %s", m, tsc_status_name(st));
        st = status_of(&k_plain, EMU_FLUSH, dev, modes[m], &r);
        CHECK(st == TSC_FAIL, "mode %d: a family without subnormals got %s", m,
              tsc_status_name(st));
    }

    /* The real special family on cpu:0: IEEE answers pass at once. */
    const tsc_case *c = tsc_case_find("mul", "f32/special 9x37");
    CHECK(c != NULL, "special mul case not found");
    if (c) {
        tsc_result r = tsc_run_case_denormals(c, dev, 20240611, TS_DENORMALS_UNKNOWN);
        CHECK(r.status == TSC_PASS, "cpu special mul: %s (%s)", tsc_status_name(r.status),
              r.message);
    }
    ts_context_destroy(ctx);
    printf("flushed-subnormal rule: %s\n", g_failures ? "FAILED" : "ok");
    return g_failures ? 1 : 0;
}
