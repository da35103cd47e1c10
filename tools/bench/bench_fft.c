/* tessel-bench fft: batched FFTs through the public API (ts_fft, ts_rfft,
 * ts_irfft + ts_device_sync) in GFLOP/s, beside the f32 GEMM GFLOP/s of
 * the same device measured in the same process (ts_matmul, n^3), since
 * long convolution asks the FFT path to reach a fraction of GEMM speed.
 *
 * Flops are the usual convention: 5 n log2 n per complex transform of
 * length n, 2.5 n log2 n per real one. The "baseline" of each row is the
 * GEMM at equal work: the time ts_matmul would take for the transform's
 * flops at the rate it ran at beside this case, so ratio = FFT GFLOP/s /
 * GEMM GFLOP/s.
 *
 * Cases, for each size n: c2c (ts_fft), r2c (ts_rfft), c2r (ts_irfft) over
 * rows x n, and conv: the FFT path of a causal long convolution of length
 * L = n/2 (rfft of u padded to n, product with a precomputed kernel
 * spectrum, irfft keeping the first L), counted as two real transforms.
 * Rows fill about 32M values (4M with --quick), so n = 131072 runs the
 * 256 rows of B=1, C=256, L=65536. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

static const int64_t fft_sizes_full[] = {1024, 4096, 65536, 131072};
static const int64_t fft_sizes_quick[] = {4096, 131072};
#define FFT_VALUES_FULL ((int64_t)1 << 25)
#define FFT_VALUES_QUICK ((int64_t)1 << 22)

enum { CASE_C2C, CASE_R2C, CASE_C2R, CASE_CONV, CASE_COUNT };
static const char *const case_names[CASE_COUNT] = {"c2c", "r2c", "c2r", "conv"};

typedef struct fft_run {
    ts_device *dev;
    int kind;
    int64_t rows, n;
    ts_tensor *x, *y;
    ts_tensor *u_hat, *k, *p; /* conv: the signal's spectrum, the kernel's, their product */
} fft_run;

static int check(ts_status st, const char *what)
{
    if (st != TS_OK)
        fprintf(stderr, "tessel-bench: %s: %s\n", what, ts_last_error(NULL));
    return st != TS_OK;
}

static int run_fft(void *ctx)
{
    fft_run *r = ctx;
    ts_status st;
    if (r->kind == CASE_C2C) {
        st = ts_fft(r->x, TS_FFT_BACKWARD, r->y);
    } else if (r->kind == CASE_R2C) {
        st = ts_rfft(r->x, r->n, TS_FFT_BACKWARD, r->y);
    } else if (r->kind == CASE_C2R) {
        st = ts_irfft(r->x, r->n, TS_FFT_BACKWARD, r->y);
    } else {
        /* conv: U = rfft(u, n); P = U * K; y = irfft(P, n)[:, :L]. */
        st = ts_rfft(r->x, r->n, TS_FFT_BACKWARD, r->u_hat);
        if (st == TS_OK)
            st = ts_binary(TS_MUL, r->u_hat, r->k, r->p);
        if (st == TS_OK)
            st = ts_irfft(r->p, r->n, TS_FFT_BACKWARD, r->y);
    }
    if (st == TS_OK)
        st = ts_device_sync(r->dev);
    return check(st, case_names[r->kind]);
}

static void destroy_run(fft_run *r)
{
    ts_tensor_destroy(r->x);
    ts_tensor_destroy(r->y);
    ts_tensor_destroy(r->u_hat);
    ts_tensor_destroy(r->k);
    ts_tensor_destroy(r->p);
    r->x = r->y = r->u_hat = r->k = r->p = NULL;
}

static int make_tensor(fft_run *r, ts_dtype dt, int64_t last, uint64_t seed, ts_tensor **out)
{
    int64_t shape[2] = {r->rows, last};
    int64_t count = r->rows * last * (dt == TS_C64 ? 2 : 1);
    float *h = malloc((size_t)count * sizeof(float));
    if (!h) {
        fprintf(stderr, "tessel-bench: out of host memory\n");
        return 1;
    }
    bench_fill_random(h, count, seed);
    ts_status st = ts_tensor_create(r->dev, dt, 2, shape, out);
    if (st == TS_OK)
        st = ts_tensor_write(*out, h, (size_t)count * sizeof(float));
    free(h);
    return check(st, "tensor");
}

static int setup(fft_run *r)
{
    int64_t n = r->n, bins = n / 2 + 1;
    switch (r->kind) {
    case CASE_C2C:
        return make_tensor(r, TS_C64, n, 1, &r->x) || make_tensor(r, TS_C64, n, 2, &r->y);
    case CASE_R2C:
        return make_tensor(r, TS_F32, n, 1, &r->x) || make_tensor(r, TS_C64, bins, 2, &r->y);
    case CASE_C2R:
        return make_tensor(r, TS_C64, bins, 1, &r->x) || make_tensor(r, TS_F32, n, 2, &r->y);
    default:
        return make_tensor(r, TS_F32, n / 2, 1, &r->x) || make_tensor(r, TS_F32, n / 2, 2, &r->y) ||
               make_tensor(r, TS_C64, bins, 3, &r->u_hat) ||
               make_tensor(r, TS_C64, bins, 4, &r->k) || make_tensor(r, TS_C64, bins, 5, &r->p);
    }
}

/* ---- the GEMM reference ------------------------------------------------------- */

typedef struct gemm_ref {
    ts_device *dev;
    ts_tensor *a, *b, *c;
} gemm_ref;

static int run_gemm(void *ctx)
{
    gemm_ref *g = ctx;
    ts_status st = ts_matmul(g->a, g->b, g->c);
    if (st == TS_OK)
        st = ts_device_sync(g->dev);
    return check(st, "ts_matmul");
}

static void gemm_free(gemm_ref *g)
{
    ts_tensor_destroy(g->a);
    ts_tensor_destroy(g->b);
    ts_tensor_destroy(g->c);
    g->a = g->b = g->c = NULL;
}

/* Make the n^3 f32 GEMM of g, time it alone for its row, and return its
 * flops (0 on failure, g then empty). */
static double gemm_setup(const bench_args *args, int64_t n, gemm_ref *g, bench_report *rep)
{
    int64_t shape[2] = {n, n};
    size_t bytes = (size_t)(n * n) * sizeof(float);
    float *h = malloc(bytes);
    double flops = 2.0 * (double)n * (double)n * (double)n;
    int rc = !h;
    g->dev = args->dev;
    if (!rc) {
        bench_fill_random(h, n * n, 7);
        rc = ts_tensor_create(args->dev, TS_F32, 2, shape, &g->a) != TS_OK ||
             ts_tensor_create(args->dev, TS_F32, 2, shape, &g->b) != TS_OK ||
             ts_tensor_create(args->dev, TS_F32, 2, shape, &g->c) != TS_OK ||
             ts_tensor_write(g->a, h, bytes) != TS_OK || ts_tensor_write(g->b, h, bytes) != TS_OK;
        if (rc)
            check(TS_ERR_OUT_OF_MEMORY, "gemm tensors");
    }
    free(h);
    bench_result res;
    memset(&res, 0, sizeof res);
    if (!rc)
        rc = bench_compare(run_gemm, g, NULL, NULL, args->repeats, 0.0, &res) != 0 ||
             res.median_s <= 0;
    if (!rc) {
        snprintf(res.suite, sizeof res.suite, "fft");
        snprintf(res.name, sizeof res.name, "gemm %lld^3", (long long)n);
        snprintf(res.device, sizeof res.device, "%s", args->info.id);
        res.gflops = flops / res.median_s * 1e-9;
        rc = bench_report_add(rep, &res);
    }
    if (rc)
        gemm_free(g);
    return rc ? 0.0 : flops;
}

/* ---- cases -------------------------------------------------------------------- */

static double case_flops(int kind, int64_t rows, int64_t n)
{
    double one = (double)n * log2((double)n);
    /* conv: two real transforms (the product is not counted) */
    double per_row = kind == CASE_C2C || kind == CASE_CONV ? 5.0 * one : 2.5 * one;
    return per_row * (double)rows;
}

/* g: the GEMM reference (g->a NULL: none), gemm_flops its work. */
static int bench_case(const bench_args *args, int kind, int64_t n, gemm_ref *g, double gemm_flops,
                      bench_report *rep)
{
    int64_t values = args->quick ? FFT_VALUES_QUICK : FFT_VALUES_FULL;
    fft_run r = {.dev = args->dev, .kind = kind, .n = n, .rows = values / n};
    if (r.rows < 1)
        r.rows = 1;
    int rc = setup(&r);
    bench_result res;
    memset(&res, 0, sizeof res);
    if (rc == 0)
        rc = bench_compare(run_fft, &r, g->a ? run_gemm : NULL, g, args->repeats,
                           bench_settle_for(args), &res);
    if (rc == 0 && res.median_s > 0) {
        double flops = case_flops(kind, r.rows, n);
        snprintf(res.suite, sizeof res.suite, "fft");
        snprintf(res.name, sizeof res.name, "%s %lldx%lld", case_names[kind], (long long)r.rows,
                 (long long)n);
        snprintf(res.device, sizeof res.device, "%s", args->info.id);
        res.gflops = flops / res.median_s * 1e-9;
        if (res.baseline_median_s > 0) {
            /* The GEMM's times scaled to this case's flops. */
            double scale = flops / gemm_flops;
            snprintf(res.baseline, sizeof res.baseline, "gemm at equal flops");
            snprintf(res.extra_json, sizeof res.extra_json, "\"gemm_gflops\":%.6g",
                     gemm_flops / res.baseline_median_s * 1e-9);
            res.baseline_median_s *= scale;
            res.pair_ratio *= scale;
            res.baseline_spread.min_s *= scale;
            res.baseline_spread.q1_s *= scale;
            res.baseline_spread.q3_s *= scale;
            res.baseline_spread.max_s *= scale;
        }
        rc = bench_report_add(rep, &res);
    }
    destroy_run(&r);
    return rc;
}

int bench_fft(const bench_args *args, bench_report *rep)
{
    const int64_t *sizes = args->sizes;
    int count = args->n_sizes;
    if (count == 0) {
        sizes = args->quick ? fft_sizes_quick : fft_sizes_full;
        count = args->quick ? (int)(sizeof fft_sizes_quick / sizeof fft_sizes_quick[0])
                            : (int)(sizeof fft_sizes_full / sizeof fft_sizes_full[0]);
    }
    gemm_ref g = {0};
    double gemm_flops = gemm_setup(args, args->quick ? 1024 : 2048, &g, rep);
    if (gemm_flops <= 0)
        fprintf(stderr, "tessel-bench: no GEMM reference; timing the FFTs only\n");
    int rc = 0;
    for (int i = 0; i < count && rc == 0; i++)
        for (int kind = 0; kind < CASE_COUNT && rc == 0; kind++)
            rc = bench_case(args, kind, sizes[i], &g, gemm_flops, rep);
    gemm_free(&g);
    return rc;
}
