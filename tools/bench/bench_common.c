/* Timing, medians, the result table and its JSON file (see bench_common.h). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_common.h"

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_median(double *v, int n)
{
    if (n <= 0)
        return 0.0;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int bench_measure(int (*fn)(void *ctx), void *ctx, int repeats, double *median_s)
{
    if (repeats < 1)
        repeats = 1;
    double *t = malloc(sizeof *t * (size_t)repeats);
    if (!t)
        return 1;
    int rc = fn(ctx);
    for (int i = 0; i < repeats && rc == 0; i++) {
        double t0 = bench_now();
        rc = fn(ctx);
        t[i] = bench_now() - t0;
    }
    *median_s = rc == 0 ? bench_median(t, repeats) : 0.0;
    free(t);
    return rc;
}

static void settle(double s)
{
    if (s <= 0)
        return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

void bench_settle(void)
{
    settle(0.3);
}

/* Untimed calls after a settle last at least this long (one call at
 * least). After 0.15 s asleep a core is not back to speed after one call
 * of a few ms: on a 2-core Zen 5 guest an f16 decode step (5 ms warm)
 * timed after one such call took 9.2-11.6 ms, after 50 ms of calls
 * 5.1-7.1 ms, after 200 ms 5.0-6.6 ms. */
#define BENCH_WARM_S 0.05

/* After a settle the other side is idle but so are this side's threads:
 * untimed calls for BENCH_WARM_S wake them, so every timed run is a warm
 * one. */
static int timed(int (*fn)(void *ctx), void *ctx, double settle_s, double *t)
{
    int rc = 0;
    if (settle_s > 0) {
        settle(settle_s);
        double w0 = bench_now();
        do
            rc = fn(ctx);
        while (rc == 0 && bench_now() - w0 < BENCH_WARM_S);
        if (rc != 0)
            return rc;
    }
    double t0 = bench_now();
    rc = fn(ctx);
    *t = bench_now() - t0;
    return rc;
}

/* Quartile q (0..1) of sorted v[0..n), interpolated between neighbours. */
static double quantile(const double *v, int n, double q)
{
    double at = q * (double)(n - 1);
    int lo = (int)at;
    if (lo >= n - 1)
        return v[n - 1];
    return v[lo] + (at - (double)lo) * (v[lo + 1] - v[lo]);
}

/* Median and spread of t[0..n) (sorts t). */
static double summarize(double *t, int n, bench_spread *sp)
{
    double med = bench_median(t, n);
    *sp = (bench_spread){t[0], quantile(t, n, 0.25), quantile(t, n, 0.75), t[n - 1]};
    return med;
}

int bench_compare(int (*fa)(void *ctx), void *ca, int (*fb)(void *ctx), void *cb, int repeats,
                  double settle_s, bench_result *res)
{
    if (repeats < 1)
        repeats = 1;
    double *ta = malloc(sizeof *ta * (size_t)repeats), *tb = malloc(sizeof *tb * (size_t)repeats);
    int rc = !ta || !tb, rc_b = fb ? 0 : 1;
    if (rc == 0)
        rc = fa(ca);
    if (rc == 0 && fb)
        rc_b = fb(cb);
    for (int i = 0; i < repeats && rc == 0; i++) {
        rc = timed(fa, ca, fb ? settle_s : 0.0, &ta[i]);
        if (rc == 0 && rc_b == 0)
            rc_b = timed(fb, cb, settle_s, &tb[i]);
    }
    res->median_s = res->baseline_median_s = res->pair_ratio = 0.0;
    res->spread = res->baseline_spread = (bench_spread){0};
    res->repeats = rc == 0 ? repeats : 0;
    if (rc == 0 && rc_b == 0) { /* before summarize sorts the times */
        double *pr = malloc(sizeof *pr * (size_t)repeats);
        for (int i = 0; pr && i < repeats; i++)
            pr[i] = ta[i] > 0 ? tb[i] / ta[i] : 0.0;
        res->pair_ratio = pr ? bench_median(pr, repeats) : 0.0;
        free(pr);
    }
    if (rc == 0)
        res->median_s = summarize(ta, repeats, &res->spread);
    if (rc == 0 && rc_b == 0)
        res->baseline_median_s = summarize(tb, repeats, &res->baseline_spread);
    free(ta);
    free(tb);
    return rc;
}

double bench_settle_for(const bench_args *args)
{
    return strcmp(args->info.backend, "cpu") == 0 ? 0.15 : 0.0;
}

int bench_measure_pair(int (*fa)(void *ctx), void *ca, int (*fb)(void *ctx), void *cb, int repeats,
                       double settle_s, double *median_a, double *median_b)
{
    bench_result r;
    memset(&r, 0, sizeof r);
    int rc = bench_compare(fa, ca, fb, cb, repeats, settle_s, &r);
    *median_a = r.median_s;
    if (median_b)
        *median_b = r.baseline_median_s;
    return rc;
}

/* The spread column: the interquartile range in percent of the median. */
static void print_iqr(double median, const bench_spread *sp, int repeats)
{
    if (repeats > 1 && median > 0)
        printf(" %5.1f", 100.0 * (sp->q3_s - sp->q1_s) / median);
    else
        printf(" %5s", "-");
}

static void print_header(void)
{
    printf("%-10s %-36s %-9s %11s %5s %9s  %-28s %11s %5s %7s %7s\n", "suite", "case", "device",
           "median ms", "iqr%", "GFLOP/s", "baseline", "base ms", "iqr%", "ratio", "pairs");
}

int bench_report_add(bench_report *rep, const bench_result *res)
{
    if (rep->count == rep->cap) {
        int cap = rep->cap ? 2 * rep->cap : 16;
        bench_result *rows = realloc(rep->rows, sizeof *rows * (size_t)cap);
        if (!rows)
            return 1;
        rep->rows = rows;
        rep->cap = cap;
    }
    bench_result *r = &rep->rows[rep->count];
    *r = *res;
    r->ratio = r->baseline[0] && r->median_s > 0 ? r->baseline_median_s / r->median_s : 0.0;
    if (rep->count++ == 0)
        print_header();
    printf("%-10s %-36s %-9s %11.3f", r->suite, r->name, r->device, r->median_s * 1e3);
    print_iqr(r->median_s, &r->spread, r->repeats);
    if (r->gflops > 0)
        printf(" %9.1f", r->gflops);
    else
        printf(" %9s", "-");
    printf("  %-28s ", r->baseline[0] ? r->baseline : "-");
    if (r->baseline[0]) {
        printf("%11.3f", r->baseline_median_s * 1e3);
        print_iqr(r->baseline_median_s, &r->baseline_spread,
                  r->baseline_median_s > 0 ? r->repeats : 0);
        printf(" %6.2fx", r->ratio);
        if (r->pair_ratio > 0)
            printf(" %6.2fx\n", r->pair_ratio);
        else
            printf(" %7s\n", "-");
    } else {
        printf("%11s %5s %7s %7s\n", "-", "-", "-", "-");
    }
    fflush(stdout);
    return 0;
}

static void json_string(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(fp, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(fp, "\\u%04x", *p);
        else
            fputc(*p, fp);
    }
    fputc('"', fp);
}

/* A number, or null where 0 means "not measured". */
static void json_num(FILE *fp, const char *key, double v, int known)
{
    if (known)
        fprintf(fp, ",\"%s\":%.9g", key, v);
    else
        fprintf(fp, ",\"%s\":null", key);
}

static void json_spread(FILE *fp, const char *key, const bench_spread *sp, int known)
{
    if (!known) {
        fprintf(fp, ",\"%s\":null", key);
        return;
    }
    fprintf(fp, ",\"%s\":{\"min_s\":%.9g,\"q1_s\":%.9g,\"q3_s\":%.9g,\"max_s\":%.9g}", key,
            sp->min_s, sp->q1_s, sp->q3_s, sp->max_s);
}

int bench_report_write_json(const bench_report *rep, const char *path)
{
    FILE *fp = fopen(path, "w");
    if (!fp) {
        fprintf(stderr, "tessel-bench: cannot write %s\n", path);
        return 1;
    }
    fprintf(fp, "{\"results\":[");
    for (int i = 0; i < rep->count; i++) {
        const bench_result *r = &rep->rows[i];
        int base = r->baseline[0] != 0;
        fprintf(fp, "%s\n  {\"suite\":", i ? "," : "");
        json_string(fp, r->suite);
        fprintf(fp, ",\"case\":");
        json_string(fp, r->name);
        fprintf(fp, ",\"device\":");
        json_string(fp, r->device);
        fprintf(fp, ",\"median_s\":%.9g", r->median_s);
        json_num(fp, "gflops", r->gflops, r->gflops > 0);
        json_num(fp, "gbps", r->gbps, r->gbps > 0);
        fprintf(fp, ",\"repeats\":%d", r->repeats);
        json_spread(fp, "spread", &r->spread, r->repeats > 0);
        fprintf(fp, ",\"baseline\":");
        if (base)
            json_string(fp, r->baseline);
        else
            fprintf(fp, "null");
        json_num(fp, "baseline_median_s", r->baseline_median_s, base);
        json_num(fp, "ratio", r->ratio, base);
        json_num(fp, "pair_ratio", r->pair_ratio, base && r->pair_ratio > 0);
        json_num(fp, "baseline_gbps", r->baseline_gbps, base && r->baseline_gbps > 0);
        json_spread(fp, "baseline_spread", &r->baseline_spread,
                    base && r->repeats > 0 && r->baseline_median_s > 0);
        if (r->has_peak) {
            json_num(fp, "peak_mib", r->peak_mib, 1);
            json_num(fp, "baseline_peak_mib", r->baseline_peak_mib, r->baseline_peak_mib >= 0);
        }
        if (r->extra_json[0])
            fprintf(fp, ",%s", r->extra_json);
        if (r->tuning[0]) {
            fprintf(fp, ",\"tuning\":");
            json_string(fp, r->tuning);
        }
        fprintf(fp, "}");
    }
    fprintf(fp, "\n]}\n");
    int bad = ferror(fp);
    if (fclose(fp) != 0 || bad) {
        fprintf(stderr, "tessel-bench: error writing %s\n", path);
        return 1;
    }
    return 0;
}

void bench_report_free(bench_report *rep)
{
    free(rep->rows);
    rep->rows = NULL;
    rep->count = rep->cap = 0;
}

void bench_fill_random(float *v, int64_t n, uint64_t seed)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int64_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        v[i] = (float)((double)(s >> 11) * (2.0 / 9007199254740992.0) - 1.0);
    }
}

int bench_gemm_setup(ts_device *dev, double flops, bench_gemm_ref *g)
{
    memset(g, 0, sizeof *g);
    g->dev = dev;
    int64_t n = (int64_t)(cbrt(flops / 2.0) / 64.0 + 0.5) * 64;
    g->n = n < 64 ? 64 : n;
    int64_t shape[4] = {1, 1, g->n, g->n};
    return bench_random_tensor(dev, TS_F32, shape, 11, &g->a) ||
           bench_random_tensor(dev, TS_F32, shape, 12, &g->b) ||
           ts_tensor_create(dev, TS_F32, 4, shape, &g->c) != TS_OK || ts_device_sync(dev) != TS_OK;
}

int bench_gemm_run(void *ctx)
{
    bench_gemm_ref *g = ctx;
    if (ts_matmul(g->a, g->b, g->c) != TS_OK)
        return 1;
    return ts_device_sync(g->dev) != TS_OK;
}

double bench_gemm_flops(const bench_gemm_ref *g)
{
    return 2.0 * (double)g->n * (double)g->n * (double)g->n;
}

void bench_gemm_release(bench_gemm_ref *g)
{
    ts_tensor_destroy(g->a);
    ts_tensor_destroy(g->b);
    ts_tensor_destroy(g->c);
    memset(g, 0, sizeof *g);
}

int bench_roof(const bench_args *args, int (*fn)(void *ctx), void *ctx, double flops,
               const char *what, bench_result *r, char *line, size_t line_size)
{
    bench_gemm_ref g;
    double tf = 0, tg = 0;
    int rc = bench_gemm_setup(args->dev, flops, &g) ||
             bench_measure_pair(fn, ctx, bench_gemm_run, &g, args->repeats, bench_settle_for(args),
                                &tf, &tg);
    if (rc == 0 && tf > 0 && tg > 0) {
        double gemm = bench_gemm_flops(&g) / tg * 1e-9, own = flops / tf * 1e-9;
        size_t n = strlen(r->extra_json);
        snprintf(r->extra_json + n, sizeof r->extra_json - n,
                 "%s\"gemm_n\":%lld,\"gemm_gflops\":%.6g,\"roof_gflops\":%.6g,"
                 "\"roof_ratio\":%.6g",
                 n ? "," : "", (long long)g.n, gemm, own, own / gemm);
        snprintf(line, line_size,
                 "  roof: %s %.1f GFLOP/s vs f32 GEMM %lld^3 %.1f GFLOP/s (interleaved): %.1f %%\n",
                 what, own, (long long)g.n, gemm, 100.0 * own / gemm);
    }
    bench_gemm_release(&g);
    return rc;
}

int bench_random_tensor(ts_device *dev, ts_dtype dt, const int64_t shape[4], uint64_t seed,
                        ts_tensor **out)
{
    int64_t n = shape[0] * shape[1] * shape[2] * shape[3];
    ts_tensor *f = NULL;
    float *host = malloc((size_t)n * sizeof *host);
    int rc = !host || ts_tensor_create(dev, dt, 4, shape, out) != TS_OK;
    if (!rc) {
        bench_fill_random(host, n, seed);
        rc = ts_tensor_create(dev, TS_F32, 4, shape, &f) != TS_OK ||
             ts_tensor_write(f, host, (size_t)n * sizeof *host) != TS_OK ||
             (dt == TS_F32 ? ts_copy(f, *out) : ts_cast(f, *out)) != TS_OK;
    }
    ts_tensor_destroy(f);
    free(host);
    return rc;
}
