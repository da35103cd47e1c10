/* tessel-bench gemm: square f32 GEMM, c = a * b, timed through the public
 * API (ts_matmul + ts_device_sync) and, in the same process, through the
 * vendor library called directly. Baselines are rows of a table keyed by
 * backend, so another one (CLBlast for opencl devices) is one entry.
 *
 * The OpenBLAS baseline is loaded with dlmopen into a namespace of its
 * own: a second, independent copy of the library, whose constructor reads
 * OPENBLAS_CORETYPE exactly as the environment says, whatever core
 * tessel's copy chose. Its name records the core it runs. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#ifdef TESSEL_BENCH_CLBLAST
#include "bench_clblast.h"
#endif

static const int64_t gemm_sizes_full[] = {256, 512, 1024, 2048, 4096};
static const int64_t gemm_sizes_quick[] = {256, 512, 1024};
#define GEMM_SETTLE_S 0.15

/* ---- baselines ------------------------------------------------------------ */

typedef struct gemm_baseline {
    const char *backend; /* devices of this backend; NULL: any device */
    /* Load; fill name ("openblas(Haswell)"). Nonzero: unavailable (the
     * bench then reports no baseline). */
    int (*open)(const ts_device_info *dev, void **state, char *name, size_t len);
    /* c[n x n] = a * b, row-major, finished when it returns. */
    int (*run)(void *state, int64_t n, const float *a, const float *b, float *c);
    void (*close)(void *state);
} gemm_baseline;

typedef void (*cblas_sgemm_fn)(int, int, int, int, int, int, float, const float *, int,
                               const float *, int, float, float *, int);

typedef struct openblas_state {
    void *lib;
    cblas_sgemm_fn sgemm;
} openblas_state;

static int openblas_open(const ts_device_info *dev, void **state, char *name, size_t len)
{
    void *lib = dlmopen(LM_ID_NEWLM, "libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
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

static int openblas_run(void *state, int64_t n, const float *a, const float *b, float *c)
{
    openblas_state *s = state;
    enum { ROW_MAJOR = 101, NO_TRANS = 111 };
    s->sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, (int)n, (int)n, (int)n, 1.0f, a, (int)n, b, (int)n,
             0.0f, c, (int)n);
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
    ts_tensor *a, *b, *c;
    const gemm_baseline *base;
    void *base_state;
    int64_t n;
    const float *ha, *hb;
    float *hc;
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

static int run_baseline(void *ctx)
{
    gemm_run *r = ctx;
    return r->base->run(r->base_state, r->n, r->ha, r->hb, r->hc);
}

static int bench_one(const bench_args *args, gemm_run *r, const char *base_name, bench_report *rep)
{
    int64_t n = r->n, shape[2] = {n, n};
    size_t bytes = (size_t)(n * n) * sizeof(float);
    float *ha = malloc(bytes), *hb = malloc(bytes), *hc = malloc(bytes);
    int rc = 1;
    r->a = r->b = r->c = NULL;
    if (!ha || !hb || !hc) {
        fprintf(stderr, "tessel-bench: out of host memory at n=%lld\n", (long long)n);
        goto done;
    }
    bench_fill_random(ha, n * n, 1);
    bench_fill_random(hb, n * n, 2);
    if (ts_tensor_create(r->dev, TS_F32, 2, shape, &r->a) != TS_OK ||
        ts_tensor_create(r->dev, TS_F32, 2, shape, &r->b) != TS_OK ||
        ts_tensor_create(r->dev, TS_F32, 2, shape, &r->c) != TS_OK ||
        ts_tensor_write(r->a, ha, bytes) != TS_OK || ts_tensor_write(r->b, hb, bytes) != TS_OK) {
        fprintf(stderr, "tessel-bench: n=%lld: %s\n", (long long)n, ts_last_error(NULL));
        goto done;
    }
    bench_result res = {.median_s = 0};
    snprintf(res.suite, sizeof res.suite, "gemm");
    snprintf(res.name, sizeof res.name, "%lldx%lldx%lld", (long long)n, (long long)n, (long long)n);
    snprintf(res.device, sizeof res.device, "%s", args->info.id);
    r->ha = ha;
    r->hb = hb;
    r->hc = hc;
    /* Two OpenBLAS copies share the cores: each waits for the other's
     * workers to stop spinning before it is timed. */
    if (bench_measure_pair(run_tessel, r, r->base ? run_baseline : NULL, r, args->repeats,
                           GEMM_SETTLE_S, &res.median_s, &res.baseline_median_s) != 0)
        goto done;
    res.gflops = 2.0 * (double)n * (double)n * (double)n / res.median_s * 1e-9;
    if (r->base && res.baseline_median_s > 0)
        snprintf(res.baseline, sizeof res.baseline, "%s", base_name);
    rc = bench_report_add(rep, &res);
done:
    ts_tensor_destroy(r->a);
    ts_tensor_destroy(r->b);
    ts_tensor_destroy(r->c);
    free(ha);
    free(hb);
    free(hc);
    return rc;
}

int bench_gemm(const bench_args *args, bench_report *rep)
{
    const int64_t *sizes = args->sizes;
    int count = args->n_sizes;
    if (count == 0) {
        sizes = args->quick ? gemm_sizes_quick : gemm_sizes_full;
        count = args->quick ? (int)(sizeof gemm_sizes_quick / sizeof gemm_sizes_quick[0])
                            : (int)(sizeof gemm_sizes_full / sizeof gemm_sizes_full[0]);
    }
    gemm_run r = {.dev = args->dev, .base = baseline_for(args->info.backend)};
    char base_name[96] = "";
    if (r.base && r.base->open(&args->info, &r.base_state, base_name, sizeof base_name) != 0) {
        fprintf(stderr, "tessel-bench: gemm baseline for %s unavailable; timing tessel only\n",
                args->info.backend);
        r.base = NULL;
    }
    int rc = 0;
    for (int i = 0; i < count && rc == 0; i++) {
        r.n = sizes[i];
        rc = bench_one(args, &r, base_name, rep);
    }
    if (r.base)
        r.base->close(r.base_state);
    return rc;
}
