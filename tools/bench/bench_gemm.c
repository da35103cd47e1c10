/* tessel-bench gemm: c = a * b, timed through the public API (ts_matmul +
 * ts_device_sync) and, in the same process and interleaved with it
 * (bench_compare), through the vendor library called directly. Baselines
 * are rows of a table keyed by backend, so another one (CLBlast for opencl
 * devices) is one entry; they always run f32 (sgemm) on the same shape and
 * transposes, so a 16-bit row says how it compares with the f32 GEMM the
 * user would otherwise call.
 *
 * Cases: every --shape M x N x K (and N x N x N per --sizes N; neither:
 * the square defaults) for every --dtype (f32 by default), operands as
 * --trans says (T: the operand is stored transposed and passed as a
 * ts_tensor_transpose view). --own on a cpu device adds, per case, a row
 * timing tessel's own GEMM (the TESSEL_OPENBLAS=off path) against the
 * same OpenBLAS baseline, switched on per call by the cpu backend's
 * internal TESSEL_TEST_HOOK=cpu_own_gemm.
 *
 * The OpenBLAS baseline is loaded with dlmopen into a namespace of its
 * own: a second, independent copy of the library, whose constructor reads
 * OPENBLAS_CORETYPE: the environment's when set, else the core tessel's
 * copy runs (so both sides run the same kernels), or, with tessel's copy
 * off (TESSEL_OPENBLAS=off), the core tessel's picker would have asked
 * for; and likewise tessel's OPENBLAS_THREAD_TIMEOUT. Its name records the
 * core it runs. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend-cpu/cpu_features.h" /* the core picker, compiled in */
#include "bench_common.h"
#ifdef TESSEL_BENCH_CLBLAST
#include "bench_clblast.h"
#endif

static const int64_t gemm_sizes_full[] = {256, 512, 1024, 2048, 4096};
static const int64_t gemm_sizes_quick[] = {256, 512, 1024};
#define OWN_HOOK "cpu_own_gemm"

/* ---- baselines ------------------------------------------------------------ */

typedef struct gemm_baseline {
    const char *backend; /* devices of this backend; NULL: any device */
    /* Load; fill name ("openblas(Haswell)"). Nonzero: unavailable (the
     * bench then reports no baseline). */
    int (*open)(const ts_device_info *dev, void **state, char *name, size_t len);
    /* f32 c = a * b as p describes, finished when it returns. */
    int (*run)(void *state, const bench_gemm_problem *p);
    void (*close)(void *state);
} gemm_baseline;

typedef void (*cblas_sgemm_fn)(int, int, int, int, int, int, float, const float *, int,
                               const float *, int, float, float *, int);

typedef struct openblas_state {
    void *lib;
    cblas_sgemm_fn sgemm;
} openblas_state;

/* The core tessel's CPU backend runs OpenBLAS on, from its driver string
 * ("tessel cpu, OpenBLAS (Cooperlake, ...)"); when that has none (OpenBLAS
 * off or absent there), the core tessel's picker chooses for this machine;
 * empty when neither. OpenBLAS's own detection falls back to an old core
 * on CPUs newer than the build (Prescott here), which would make every
 * ratio look better than it is: 4.6x for the own f32 GEMM at 2048^3 under
 * TESSEL_OPENBLAS=off, where --own says 1.0x. */
static ts_context *core_ctx; /* set by the suite before the baseline opens */

static void tessel_core(char *core, size_t len)
{
    core[0] = '\0';
    ts_device_info info;
    ts_device *cpu = NULL;
    const char *p = NULL;
    if (core_ctx && ts_device_find(core_ctx, "cpu:0", &cpu) == TS_OK &&
        ts_device_info_get(cpu, &info) == TS_OK)
        p = strstr(info.driver, "OpenBLAS (");
    if (!p) {
        tsi_cpu_features f;
        tsi_cpu_features_detect(&f);
        const char *want = tsi_cpu_openblas_core_for(&f);
        if (want && strlen(want) < len)
            strcpy(core, want);
        return;
    }
    p += strlen("OpenBLAS (");
    size_t n = strcspn(p, ",)");
    if (n >= len)
        return;
    memcpy(core, p, n);
    core[n] = '\0';
}

static int openblas_open(const ts_device_info *dev, void **state, char *name, size_t len)
{
    /* Same core as tessel's copy unless the user says otherwise: the
     * constructor of the new copy reads OPENBLAS_CORETYPE while dlmopen
     * runs. The same idle timeout too (backend-cpu/cpu_openblas.c): with
     * OpenBLAS's default, this copy's idle worker spins on sched_yield for
     * about 0.1 s after each call, through the tessel run timed next
     * (about 10 % of the CPU samples of tessel-bench gemm --dtype f16 on
     * 2 threads). */
    char core[32];
    int set_core = getenv("OPENBLAS_CORETYPE") == NULL;
    int set_timeout = getenv("OPENBLAS_THREAD_TIMEOUT") == NULL;
    if (set_core) {
        tessel_core(core, sizeof core);
        set_core = core[0] != '\0';
        if (set_core)
            setenv("OPENBLAS_CORETYPE", core, 1);
    }
    if (set_timeout)
        setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1);
    void *lib = dlmopen(LM_ID_NEWLM, "libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
    if (set_core)
        unsetenv("OPENBLAS_CORETYPE");
    if (set_timeout)
        unsetenv("OPENBLAS_THREAD_TIMEOUT");
    const char *how = "";
    if (!lib) {
        /* No namespace to spare: share the process copy (tessel's core). */
        lib = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
        how = ", shared";
    }
    if (!lib)
        return 1;
    openblas_state *s = calloc(1, sizeof *s);
    char *(*corename)(void) = (char *(*)(void))dlsym(lib, "openblas_get_corename");
    if (s)
        s->sgemm = (cblas_sgemm_fn)dlsym(lib, "cblas_sgemm");
    if (!s || !s->sgemm) {
        free(s);
        dlclose(lib);
        return 1;
    }
    s->lib = lib;
    snprintf(name, len, "openblas(%s%s)", corename ? corename() : "?", how);
    *state = s;
    return 0;
}

static int openblas_run(void *state, const bench_gemm_problem *p)
{
    openblas_state *s = state;
    enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };
    s->sgemm(ROW_MAJOR, p->trans_a ? TRANS : NO_TRANS, p->trans_b ? TRANS : NO_TRANS, (int)p->m,
             (int)p->n, (int)p->k, 1.0f, p->a, (int)bench_gemm_lda(p), p->b, (int)bench_gemm_ldb(p),
             0.0f, p->c, (int)p->n);
    return 0;
}

/* The library stays loaded: unloading OpenBLAS with live worker threads
 * is unsafe, and the process is about to exit anyway. */
static void openblas_close(void *state)
{
    free(state);
}

/* First match wins. The opencl engineer adds {"opencl", clblast_open, ...}
 * above the catch-all. */
static const gemm_baseline baselines[] = {
#ifdef TESSEL_BENCH_CLBLAST
    {"opencl", bench_clblast_open, bench_clblast_run, bench_clblast_close},
#endif
    {NULL, openblas_open, openblas_run, openblas_close},
};

static const gemm_baseline *baseline_for(const char *backend)
{
    for (size_t i = 0; i < sizeof baselines / sizeof baselines[0]; i++)
        if (!baselines[i].backend || strcmp(baselines[i].backend, backend) == 0)
            return &baselines[i];
    return NULL;
}

/* ---- the tessel side ------------------------------------------------------ */

typedef struct gemm_run {
    ts_device *dev;
    ts_tensor *a_store, *b_store; /* as stored: [k, m] when trans_a, ... */
    ts_tensor *a, *b, *c;         /* as ts_matmul sees them: [m, k], [k, n], [m, n] */
    const gemm_baseline *base;
    void *base_state;
    bench_gemm_problem p; /* shape and host f32 operands, as stored */
} gemm_run;

static int run_tessel(void *ctx)
{
    gemm_run *r = ctx;
    ts_status st = ts_matmul(r->a, r->b, r->c);
    if (st == TS_OK)
        st = ts_device_sync(r->dev);
    if (st != TS_OK)
        fprintf(stderr, "tessel-bench: ts_matmul: %s\n", ts_last_error(NULL));
    return st != TS_OK;
}

/* The same call with the cpu backend's own GEMM forced for it: the hook
 * is read per call, so the environment is set around this call only (no
 * tessel work is in flight between calls) and restored after. */
static int run_tessel_own(void *ctx)
{
    const char *prev = getenv("TESSEL_TEST_HOOK");
    char saved[128] = "";
    int had = prev != NULL;
    if (had)
        snprintf(saved, sizeof saved, "%s", prev);
    setenv("TESSEL_TEST_HOOK", OWN_HOOK, 1);
    int rc = run_tessel(ctx);
    if (had)
        setenv("TESSEL_TEST_HOOK", saved, 1);
    else
        unsetenv("TESSEL_TEST_HOOK");
    return rc;
}

static int run_baseline(void *ctx)
{
    gemm_run *r = ctx;
    return r->base->run(r->base_state, &r->p);
}

/* A dt tensor of shape rows x cols holding host f32 values (16-bit ones
 * through an f32 tensor and ts_cast, so no host converter is needed). */
static ts_status upload(ts_device *dev, ts_dtype dt, int64_t rows, int64_t cols, const float *h,
                        ts_tensor **out)
{
    int64_t shape[2] = {rows, cols};
    size_t bytes = (size_t)(rows * cols) * sizeof(float);
    ts_tensor *f = NULL;
    ts_status st = ts_tensor_create(dev, dt, 2, shape, out);
    if (st == TS_OK && dt == TS_F32)
        return ts_tensor_write(*out, h, bytes);
    if (st == TS_OK)
        st = ts_tensor_create(dev, TS_F32, 2, shape, &f);
    if (st == TS_OK)
        st = ts_tensor_write(f, h, bytes);
    if (st == TS_OK)
        st = ts_cast(f, *out);
    if (st == TS_OK)
        st = ts_device_sync(dev);
    ts_tensor_destroy(f);
    return st;
}

static void release(gemm_run *r)
{
    ts_tensor_destroy(r->a);
    ts_tensor_destroy(r->b);
    ts_tensor_destroy(r->c);
    ts_tensor_destroy(r->a_store);
    ts_tensor_destroy(r->b_store);
    r->a = r->b = r->c = r->a_store = r->b_store = NULL;
}

static int setup(gemm_run *r, ts_dtype dt)
{
    const bench_gemm_problem *p = &r->p;
    int64_t cs[2] = {p->m, p->n};
    ts_status st = upload(r->dev, dt, p->trans_a ? p->k : p->m, p->trans_a ? p->m : p->k, p->a,
                          &r->a_store);
    if (st == TS_OK)
        st = upload(r->dev, dt, p->trans_b ? p->n : p->k, p->trans_b ? p->k : p->n, p->b,
                    &r->b_store);
    /* Transposing dim 0 with itself is the identity view: a and b are
     * views either way, released alike. */
    if (st == TS_OK)
        st = ts_tensor_transpose(r->a_store, 0, p->trans_a ? 1 : 0, &r->a);
    if (st == TS_OK)
        st = ts_tensor_transpose(r->b_store, 0, p->trans_b ? 1 : 0, &r->b);
    if (st == TS_OK)
        st = ts_tensor_create(r->dev, dt, 2, cs, &r->c);
    return st != TS_OK;
}

/* One row: tessel (own: its own GEMM forced) vs the f32 baseline. */
static int bench_row(const bench_args *args, gemm_run *r, ts_dtype dt, int own,
                     const char *base_name, bench_report *rep)
{
    const bench_gemm_problem *p = &r->p;
    char trans[3] = {p->trans_a ? 'T' : 'N', p->trans_b ? 'T' : 'N', 0};
    bench_result res;
    memset(&res, 0, sizeof res);
    snprintf(res.suite, sizeof res.suite, "gemm");
    snprintf(res.name, sizeof res.name, "%lldx%lldx%lld %s%s%s%s", (long long)p->m,
             (long long)p->n, (long long)p->k, ts_dtype_name(dt), strcmp(trans, "NN") ? " " : "",
             strcmp(trans, "NN") ? trans : "", own ? " own" : "");
    snprintf(res.device, sizeof res.device, "%s", args->info.id);
    snprintf(res.extra_json, sizeof res.extra_json,
             "\"m\":%lld,\"n\":%lld,\"k\":%lld,\"dtype\":\"%s\",\"trans\":\"%s\","
             "\"path\":\"%s\"",
             (long long)p->m, (long long)p->n, (long long)p->k, ts_dtype_name(dt), trans,
             own ? "own" : "default");
    /* Two OpenBLAS copies share the cores: each waits for the other's
     * workers to stop spinning before it is timed. */
    if (bench_compare(own ? run_tessel_own : run_tessel, r, r->base ? run_baseline : NULL, r,
                      args->repeats, bench_settle_for(args), &res) != 0) {
        fprintf(stderr, "tessel-bench: gemm %s failed\n", res.name);
        return 1;
    }
    res.gflops = 2.0 * (double)p->m * (double)p->n * (double)p->k / res.median_s * 1e-9;
    if (r->base && res.baseline_median_s > 0)
        snprintf(res.baseline, sizeof res.baseline, "%s%s", base_name,
                 dt == TS_F32 ? "" : " f32");
    return bench_report_add(rep, &res);
}

/* Every dtype (and the own rows) of one shape, sharing the host operands. */
static int bench_shape_rows(const bench_args *args, gemm_run *r, bench_shape s,
                            const char *base_name, bench_report *rep)
{
    bench_gemm_problem *p = &r->p;
    *p = (bench_gemm_problem){.m = s.m, .n = s.n, .k = s.k, .trans_a = args->trans_a,
                              .trans_b = args->trans_b};
    float *ha = malloc((size_t)(s.m * s.k) * sizeof(float));
    float *hb = malloc((size_t)(s.k * s.n) * sizeof(float));
    float *hc = malloc((size_t)(s.m * s.n) * sizeof(float));
    int rc = !ha || !hb || !hc;
    if (rc)
        fprintf(stderr, "tessel-bench: out of host memory at %lldx%lldx%lld\n", (long long)s.m,
                (long long)s.n, (long long)s.k);
    if (!rc) {
        bench_fill_random(ha, s.m * s.k, 1);
        bench_fill_random(hb, s.k * s.n, 2);
        p->a = ha;
        p->b = hb;
        p->c = hc;
    }
    static const ts_dtype f32_only[] = {TS_F32};
    const ts_dtype *dts = args->n_dtypes ? args->dtypes : f32_only;
    int n_dts = args->n_dtypes ? args->n_dtypes : 1;
    int own = args->own && strcmp(args->info.backend, "cpu") == 0;
    for (int i = 0; i < n_dts && !rc; i++) {
        rc = setup(r, dts[i]);
        if (rc)
            fprintf(stderr, "tessel-bench: gemm %s %lldx%lldx%lld: %s\n",
                    ts_dtype_name(dts[i]), (long long)s.m, (long long)s.n, (long long)s.k,
                    ts_last_error(NULL));
        if (!rc)
            rc = bench_row(args, r, dts[i], 0, base_name, rep);
        if (!rc && own)
            rc = bench_row(args, r, dts[i], 1, base_name, rep);
        release(r);
    }
    free(ha);
    free(hb);
    free(hc);
    return rc;
}

int bench_gemm(const bench_args *args, bench_report *rep)
{
    /* --sizes N (squares), then --shape; neither: the square defaults. */
    bench_shape shapes[BENCH_MAX_SIZES + BENCH_MAX_SHAPES];
    int count = 0;
    for (int i = 0; i < args->n_sizes + args->n_shapes; i++) {
        int64_t sq = i < args->n_sizes ? args->sizes[i] : 0;
        bench_shape s = sq ? (bench_shape){sq, sq, sq} : args->shapes[i - args->n_sizes];
        int dup = 0; /* a shape named twice runs once: case names stay unique */
        for (int j = 0; j < count; j++)
            dup |= shapes[j].m == s.m && shapes[j].n == s.n && shapes[j].k == s.k;
        if (!dup)
            shapes[count++] = s;
    }
    if (count == 0) {
        const int64_t *sq = args->quick ? gemm_sizes_quick : gemm_sizes_full;
        int n = args->quick ? (int)(sizeof gemm_sizes_quick / sizeof gemm_sizes_quick[0])
                            : (int)(sizeof gemm_sizes_full / sizeof gemm_sizes_full[0]);
        for (int i = 0; i < n; i++)
            shapes[count++] = (bench_shape){sq[i], sq[i], sq[i]};
    }
    if (args->own && strcmp(args->info.backend, "cpu") != 0)
        fprintf(stderr, "tessel-bench: --own applies to cpu devices only; ignored\n");
    gemm_run r = {.dev = args->dev, .base = baseline_for(args->info.backend)};
    char base_name[80] = "";
    core_ctx = args->ctx;
    if (r.base && r.base->open(&args->info, &r.base_state, base_name, sizeof base_name) != 0) {
        fprintf(stderr, "tessel-bench: gemm baseline for %s unavailable; timing tessel only\n",
                args->info.backend);
        r.base = NULL;
    }
    int rc = 0;
    for (int i = 0; i < count && rc == 0; i++)
        rc = bench_shape_rows(args, &r, shapes[i], base_name, rep);
    if (r.base)
        r.base->close(r.base_state);
    return rc;
}
