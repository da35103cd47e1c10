/* tessel-bench plumbing shared by every suite: parsed arguments, the
 * chosen device, timing (median of repeats after warm-up), and the result
 * table printed on screen and written as JSON.
 *
 * Adding a suite (attention, norm, ...): write bench_<name>.c with
 *     int bench_<name>(const bench_args *args, bench_report *rep);
 * that times its cases on args->dev and its baseline in the same process,
 * and calls bench_report_add once per case; then add one row to the suite
 * table in bench_main.c and the file to tools/bench/CMakeLists.txt.
 * Return 0, or nonzero after printing why to stderr. */
#ifndef TESSEL_BENCH_COMMON_H
#define TESSEL_BENCH_COMMON_H

#include <stdint.h>

#include <tessel/tessel.h>

#define BENCH_MAX_SIZES 16
#define BENCH_MAX_SHAPES 16
#define BENCH_MAX_DTYPES 4

/* A GEMM problem size: c[m x n] = a[m x k] * b[k x n]. */
typedef struct bench_shape {
    int64_t m, n, k;
} bench_shape;

/* One f32 GEMM for a baseline library (bench_gemm.c): row-major c[m x n]
 * = op(a) * op(b), a stored [k x m] when trans_a (else [m x k]), b stored
 * [n x k] when trans_b (else [k x n]), dense. */
typedef struct bench_gemm_problem {
    int64_t m, n, k;
    int trans_a, trans_b;
    const float *a, *b;
    float *c;
} bench_gemm_problem;

static inline int64_t bench_gemm_lda(const bench_gemm_problem *p)
{
    return p->trans_a ? p->m : p->k;
}

static inline int64_t bench_gemm_ldb(const bench_gemm_problem *p)
{
    return p->trans_b ? p->k : p->n;
}

typedef struct bench_args {
    const char *suite;
    int quick;                      /* --quick: the suite's small CI set */
    int64_t sizes[BENCH_MAX_SIZES]; /* --sizes; n_sizes == 0: the suite's default */
    int n_sizes;
    int repeats; /* timed runs per case (after one warm-up) */
    const char *json_path;
    /* gemm options (attention and moe read --dtype too, other suites
     * ignore them): --dtype f32|f16|bf16 (repeatable or a comma list;
     * n_dtypes == 0: the suite's default, f32 for gemm), --shape MxNxK
     * (several; with --sizes N adding N x N x N), --trans NN|NT|TN|TT (T:
     * that operand is a transpose view), --own (cpu: also the own GEMM
     * against OpenBLAS in the same process). */
    ts_dtype dtypes[BENCH_MAX_DTYPES];
    int n_dtypes;
    bench_shape shapes[BENCH_MAX_SHAPES];
    int n_shapes;
    int trans_a, trans_b;
    int own;
    /* --compare-tuning: the suite with the built-in tuning values
     * (TESSEL_TUNED=off), then with the tuned ones, in one run. */
    int compare_tuning;
    int decode;       /* attention --decode: the decode-step suite (bench_decode.c) */
    int64_t head_dim; /* attention --head-dim D; 0: the suite's default (64) */
    int64_t experts;  /* moe --experts E; 0: the suite's default (8) */
    ts_context *ctx;
    ts_device *dev;
    ts_device_info info;
} bench_args;

/* How the timed runs of one side spread around their median. */
typedef struct bench_spread {
    double min_s, q1_s, q3_s, max_s; /* q1, q3: the quartiles */
} bench_spread;

typedef struct bench_result {
    char suite[32];
    char name[96];     /* the case: "2048x2048x2048 f32"; unique within a suite */
    char device[32];   /* "cpu:0" */
    double median_s;   /* tessel, through the public API */
    double gflops;     /* of the tessel run; 0 when not meaningful (JSON null) */
    char baseline[96]; /* "openblas(Haswell)", "" when none */
    double baseline_median_s;
    double ratio; /* baseline_median_s / median_s; 0 without a baseline */
    /* The median over the repeats of baseline time / time, each pair run
     * back to back (bench_compare): on a host whose speed drifts over
     * seconds it moves less than the ratio of the medians. 0: not known. */
    double pair_ratio;
    /* Filled by bench_compare; repeats 0: one side measured some other
     * way, no spread known (JSON null). */
    int repeats;
    bench_spread spread, baseline_spread;
    /* Memory-bound cases: bytes moved / median, GB/s; 0: not meaningful. */
    double gbps, baseline_gbps;
    /* has_peak: peak extra device memory of one call, MiB, of each side
     * (baseline_peak_mib < 0: the baseline did not run). */
    int has_peak;
    double peak_mib, baseline_peak_mib;
    /* Suite-specific JSON members appended to the row as they are, e.g.
     * "\"memcpy_gbps\":12.5" (no leading comma); "" for none. */
    char extra_json[256];
    /* The tuning values the run used (ts_device_tuning_summary: each key,
     * marked + when it came from a tuned file); filled by bench_main. */
    char tuning[1024];
} bench_result;

typedef struct bench_report {
    bench_result *rows;
    int count, cap;
} bench_report;

typedef int (*bench_suite_fn)(const bench_args *args, bench_report *rep);

/* Seconds on a monotonic clock. */
double bench_now(void);
/* Median of v[0..n) (sorts v). */
double bench_median(double *v, int n);
/* Run fn once to warm up, then `repeats` timed runs; *median_s gets the
 * median. fn returns 0 on success; its first failure is returned. */
int bench_measure(int (*fn)(void *ctx), void *ctx, int repeats, double *median_s);
/* Let helper threads of the previous measurement (OpenBLAS spins a while
 * after each call) go to sleep before the next one starts (0.3 s). */
void bench_settle(void);
/* Every comparison goes through this: a case (fa) and its baseline (fb;
 * NULL: none) timed interleaved, warm-up of each, then a, b, a, b, ...
 * `repeats` times each, so both see the same share of a noisy machine.
 * With a baseline, each switch sleeps settle_s seconds, letting the other
 * side's helper threads (OpenBLAS spins ~0.1 s after a call) go idle, and
 * makes untimed calls for 50 ms (one at least) so the timed one runs
 * warm. Fills median_s, spread, baseline_median_s, baseline_spread and
 * repeats of *res (the baseline ones 0 when fb is NULL or failed: a
 * failing baseline only loses the comparison). Returns fa's first
 * failure, else 0. */
int bench_compare(int (*fa)(void *ctx), void *ca, int (*fb)(void *ctx), void *cb, int repeats,
                  double settle_s, bench_result *res);
/* settle_s for bench_compare on this device: the cpu backend's OpenBLAS
 * threads spin after a call; GPU queues do not. */
double bench_settle_for(const bench_args *args);
/* bench_compare giving the two medians only. */
int bench_measure_pair(int (*fa)(void *ctx), void *ca, int (*fb)(void *ctx), void *cb, int repeats,
                       double settle_s, double *median_a, double *median_b);

/* Fill ratio, append, and print the row (the header before the first). */
int bench_report_add(bench_report *rep, const bench_result *res);
int bench_report_write_json(const bench_report *rep, const char *path);
void bench_report_free(bench_report *rep);

/* An f32 n x n x n ts_matmul on a device: the GEMM rate layers are
 * measured against (interleaved with them by bench_measure_pair). */
typedef struct bench_gemm_ref {
    ts_device *dev;
    ts_tensor *a, *b, *c;
    int64_t n;
} bench_gemm_ref;

/* n a multiple of 64 with 2 n^3 about flops; 0 on success. */
int bench_gemm_setup(ts_device *dev, double flops, bench_gemm_ref *g);
/* One GEMM and a sync (ctx: a bench_gemm_ref); 0 on success. */
int bench_gemm_run(void *ctx);
double bench_gemm_flops(const bench_gemm_ref *g);
void bench_gemm_release(bench_gemm_ref *g);
/* fn(ctx), doing `flops` of work, timed interleaved with an f32 GEMM of
 * about the same FLOPs: appends gemm_n, gemm_gflops, roof_gflops and
 * roof_ratio to r's extra JSON and writes "  roof: <what> ... %" to line. */
int bench_roof(const bench_args *args, int (*fn)(void *ctx), void *ctx, double flops,
               const char *what, bench_result *r, char *line, size_t line_size);

/* Deterministic values in [-1, 1) for operands. */
void bench_fill_random(float *v, int64_t n, uint64_t seed);
/* A new rank-4 tensor of dtype dt holding bench_fill_random values, written
 * as f32 and cast on the device (no host half-precision converter needed);
 * 0 on success. */
int bench_random_tensor(ts_device *dev, ts_dtype dt, const int64_t shape[4], uint64_t seed,
                        ts_tensor **out);

#endif
