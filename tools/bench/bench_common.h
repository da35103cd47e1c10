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

typedef struct bench_args {
    const char *suite;
    int quick;                      /* --quick: the suite's small CI set */
    int64_t sizes[BENCH_MAX_SIZES]; /* --sizes; n_sizes == 0: the suite's default */
    int n_sizes;
    int repeats; /* timed runs per case (after one warm-up) */
    const char *json_path;
    ts_context *ctx;
    ts_device *dev;
    ts_device_info info;
} bench_args;

typedef struct bench_result {
    char suite[32];
    char name[96];     /* the case: "2048x2048x2048" */
    char device[32];   /* "cpu:0" */
    double median_s;   /* tessel, through the public API */
    double gflops;     /* of the tessel run; 0 when not meaningful */
    char baseline[96]; /* "openblas(Haswell)", "" when none */
    double baseline_median_s;
    double ratio; /* baseline_median_s / median_s; 0 without a baseline */
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
/* The same for a case and its baseline, interleaved (warm-up of each,
 * then a, b, a, b, ...) so both see the same share of a noisy machine.
 * With a baseline, each switch sleeps settle_s seconds, letting the other
 * side's helper threads (OpenBLAS spins ~0.1 s after a call) go idle, and
 * makes one untimed call so the timed one runs warm. */
int bench_measure_pair(int (*fa)(void *ctx), void *ca, int (*fb)(void *ctx), void *cb, int repeats,
                       double settle_s, double *median_a, double *median_b);

/* Fill ratio, append, and print the row (the header before the first). */
int bench_report_add(bench_report *rep, const bench_result *res);
int bench_report_write_json(const bench_report *rep, const char *path);
void bench_report_free(bench_report *rep);

/* Deterministic values in [-1, 1) for operands. */
void bench_fill_random(float *v, int64_t n, uint64_t seed);

#endif
