/* Timing, medians, the result table and its JSON file (see bench_common.h). */
#define _POSIX_C_SOURCE 200809L
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

/* After a settle the other side is idle but so are this side's threads:
 * one untimed call wakes them, so every timed run is a warm one. */
static int timed(int (*fn)(void *ctx), void *ctx, double settle_s, double *t)
{
    int rc = 0;
    if (settle_s > 0) {
        settle(settle_s);
        rc = fn(ctx);
        if (rc != 0)
            return rc;
    }
    double t0 = bench_now();
    rc = fn(ctx);
    *t = bench_now() - t0;
    return rc;
}

int bench_measure_pair(int (*fa)(void *ctx), void *ca, int (*fb)(void *ctx), void *cb, int repeats,
                       double settle_s, double *median_a, double *median_b)
{
    if (repeats < 1)
        repeats = 1;
    double *ta = malloc(sizeof *ta * (size_t)repeats), *tb = malloc(sizeof *tb * (size_t)repeats);
    int rc = !ta || !tb, rc_b = 0;
    if (rc == 0)
        rc = fa(ca);
    if (rc == 0 && fb)
        rc_b = fb(cb);
    for (int i = 0; i < repeats && rc == 0; i++) {
        rc = timed(fa, ca, fb ? settle_s : 0.0, &ta[i]);
        if (rc == 0 && fb && rc_b == 0)
            rc_b = timed(fb, cb, settle_s, &tb[i]);
    }
    *median_a = rc == 0 ? bench_median(ta, repeats) : 0.0;
    if (median_b)
        *median_b = rc == 0 && fb && rc_b == 0 ? bench_median(tb, repeats) : 0.0;
    free(ta);
    free(tb);
    /* A failing baseline only loses the comparison, not the case. */
    return rc;
}

static void print_header(void)
{
    printf("%-10s %-18s %-9s %11s %9s  %-28s %11s %7s\n", "suite", "case", "device", "median ms",
           "GFLOP/s", "baseline", "base ms", "ratio");
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
    printf("%-10s %-18s %-9s %11.3f %9.1f  %-28s ", r->suite, r->name, r->device, r->median_s * 1e3,
           r->gflops, r->baseline[0] ? r->baseline : "-");
    if (r->baseline[0])
        printf("%11.3f %6.2fx\n", r->baseline_median_s * 1e3, r->ratio);
    else
        printf("%11s %7s\n", "-", "-");
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
        fprintf(fp, "%s\n  {\"suite\":", i ? "," : "");
        json_string(fp, r->suite);
        fprintf(fp, ",\"case\":");
        json_string(fp, r->name);
        fprintf(fp, ",\"device\":");
        json_string(fp, r->device);
        fprintf(fp, ",\"median_s\":%.9g,\"gflops\":%.6g,\"baseline\":", r->median_s, r->gflops);
        if (r->baseline[0]) {
            json_string(fp, r->baseline);
            fprintf(fp, ",\"baseline_median_s\":%.9g,\"ratio\":%.6g}", r->baseline_median_s,
                    r->ratio);
        } else {
            fprintf(fp, "null,\"baseline_median_s\":null,\"ratio\":null}");
        }
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
