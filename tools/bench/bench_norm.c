/* tessel-bench norm: the fused residual RMSNorm (ts_residual_rms_norm, one
 * TSI_OP_NORM that reads x, f and the weight and writes y and s once)
 * against the unfused sequence it replaces (ts_binary add into s, then
 * ts_rms_norm of s), rows 4096 x widths 1024..8192, f32, on the chosen
 * device, timed interleaved (bench_compare), one row per width. Both are
 * reported as GB/s (gbps, baseline_gbps in the JSON) over the same byte
 * count, the minimum traffic of the operation: read x, f, weight; write y
 * and s. A host memcpy moving that many bytes (half read, half written)
 * in this process is the CPU bandwidth reference, so "fused / memcpy"
 * says how close the kernel gets to the memory system (memcpy_gbps in the
 * JSON). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

#define NORM_ROWS 4096
#define NORM_EPS 1e-6f
#define NORM_CHECK_ROWS 16

static const int64_t default_widths[] = {1024, 2048, 4096, 8192};
static const int64_t quick_widths[] = {1024, 4096};

typedef struct norm_bench {
    ts_device *dev;
    ts_tensor *x, *f, *w, *y, *s;
    unsigned char *src, *dst; /* memcpy reference */
    size_t copy_bytes;
} norm_bench;

static int run_fused(void *ctx)
{
    norm_bench *b = ctx;
    if (ts_residual_rms_norm(b->x, b->f, 1.0f, b->w, NORM_EPS, b->y, b->s) != TS_OK)
        return 1;
    return ts_device_sync(b->dev) != TS_OK;
}

static int run_unfused(void *ctx)
{
    norm_bench *b = ctx;
    if (ts_binary(TS_ADD, b->x, b->f, b->s) != TS_OK)
        return 1;
    if (ts_rms_norm(b->s, b->w, NORM_EPS, b->y) != TS_OK)
        return 1;
    return ts_device_sync(b->dev) != TS_OK;
}

static int run_memcpy(void *ctx)
{
    norm_bench *b = ctx;
    memcpy(b->dst, b->src, b->copy_bytes);
    /* Keep the copy observable so it cannot be dropped. */
    volatile unsigned char sink = b->dst[b->copy_bytes - 1];
    (void)sink;
    return 0;
}

static int make_tensor(ts_device *dev, int nd, const int64_t *shape, const float *data,
                       ts_tensor **out)
{
    int64_t n = nd == 1 ? shape[0] : shape[0] * shape[1];
    if (ts_tensor_create(dev, TS_F32, nd, shape, out) != TS_OK)
        return 1;
    return data && ts_tensor_write(*out, data, (size_t)n * sizeof(float)) != TS_OK;
}

static void release(norm_bench *b)
{
    ts_tensor_destroy(b->x);
    ts_tensor_destroy(b->f);
    ts_tensor_destroy(b->w);
    ts_tensor_destroy(b->y);
    ts_tensor_destroy(b->s);
    free(b->src);
    free(b->dst);
}

static int setup(norm_bench *b, ts_device *dev, int64_t width)
{
    int64_t shape[2] = {NORM_ROWS, width}, n = NORM_ROWS * width;
    float *host = malloc((size_t)n * sizeof(float));
    if (!host)
        return 1;
    int rc = 0;
    b->dev = dev;
    bench_fill_random(host, n, 1);
    rc = rc || make_tensor(dev, 2, shape, host, &b->x);
    bench_fill_random(host, n, 2);
    rc = rc || make_tensor(dev, 2, shape, host, &b->f);
    bench_fill_random(host, width, 3);
    rc = rc || make_tensor(dev, 1, &width, host, &b->w);
    rc = rc || make_tensor(dev, 2, shape, NULL, &b->y);
    rc = rc || make_tensor(dev, 2, shape, NULL, &b->s);
    free(host);
    if (rc)
        return 1;
    /* Same traffic as the fused op: copy_bytes read plus copy_bytes
     * written. Touch both buffers so page faults stay out of the timing. */
    b->copy_bytes = (size_t)(4 * n + width) * sizeof(float) / 2;
    b->src = malloc(b->copy_bytes);
    b->dst = malloc(b->copy_bytes);
    if (!b->src || !b->dst)
        return 1;
    memset(b->src, 1, b->copy_bytes);
    memset(b->dst, 0, b->copy_bytes);
    return 0;
}

/* The first rows of y after fused and after unfused must agree, so a broken
 * kernel cannot post a fast time. */
static int check_agree(norm_bench *b, int64_t width)
{
    int64_t rows = NORM_CHECK_ROWS, n = rows * width;
    float *got = malloc((size_t)n * sizeof(float)), *want = malloc((size_t)n * sizeof(float));
    ts_tensor *head = NULL;
    int rc = !got || !want || ts_tensor_slice(b->y, 0, 0, rows, 1, &head) != TS_OK;
    rc = rc || run_fused(b) || ts_tensor_read(head, got, (size_t)n * sizeof(float)) != TS_OK;
    rc = rc || run_unfused(b) || ts_tensor_read(head, want, (size_t)n * sizeof(float)) != TS_OK;
    for (int64_t i = 0; i < n && !rc; i++) {
        if (!(fabsf(got[i] - want[i]) <= 1e-4f * (1.0f + fabsf(want[i])))) {
            fprintf(stderr, "tessel-bench norm: fused and unfused differ at %lld: %g vs %g\n",
                    (long long)i, (double)got[i], (double)want[i]);
            rc = 1;
        }
    }
    ts_tensor_destroy(head);
    free(got);
    free(want);
    return rc;
}

static int bench_width(const bench_args *args, bench_report *rep, int64_t width)
{
    norm_bench b = {0};
    double copy = 0;
    int rc = setup(&b, args->dev, width);
    if (rc) {
        fprintf(stderr, "tessel-bench norm: setup for width %lld failed: %s\n", (long long)width,
                ts_last_error(args->ctx));
        release(&b);
        return 1;
    }
    rc = check_agree(&b, width);
    bench_result r, m;
    memset(&r, 0, sizeof r);
    memset(&m, 0, sizeof m);
    /* Fused and unfused interleaved; no settle: neither calls OpenBLAS. */
    if (!rc)
        rc = bench_compare(run_fused, &b, run_unfused, &b, args->repeats, 0.0, &r);
    if (!rc)
        rc = bench_compare(run_memcpy, &b, NULL, NULL, args->repeats, 0.0, &m);
    if (rc || r.baseline_median_s <= 0) {
        fprintf(stderr, "tessel-bench norm: width %lld failed: %s\n", (long long)width,
                ts_last_error(args->ctx));
        release(&b);
        return 1;
    }
    double bytes = 2.0 * (double)b.copy_bytes;
    /* One row per width: GB/s of both sides, the memcpy reference as an
     * extra member; no GFLOP/s (a handful of flops per byte says nothing). */
    snprintf(r.suite, sizeof r.suite, "norm");
    snprintf(r.name, sizeof r.name, "res+rms %dx%lld", NORM_ROWS, (long long)width);
    snprintf(r.device, sizeof r.device, "%s", args->info.id);
    snprintf(r.baseline, sizeof r.baseline, "add+rms_norm (unfused)");
    r.gbps = bytes / r.median_s * 1e-9;
    r.baseline_gbps = bytes / r.baseline_median_s * 1e-9;
    copy = m.median_s;
    snprintf(r.extra_json, sizeof r.extra_json, "\"bytes\":%.0f,\"memcpy_gbps\":%.6g", bytes,
             bytes / copy * 1e-9);
    rc = bench_report_add(rep, &r);
    printf("%-10s %-36s %-9s fused %.1f GB/s, unfused %.1f GB/s, memcpy %.1f GB/s "
           "(%.0f MB moved)\n",
           "", "", "", r.gbps, r.baseline_gbps, bytes / copy * 1e-9, bytes * 1e-6);
    release(&b);
    return rc;
}

int bench_norm(const bench_args *args, bench_report *rep)
{
    const int64_t *widths = args->quick ? quick_widths : default_widths;
    int n = args->quick ? (int)(sizeof quick_widths / sizeof quick_widths[0])
                        : (int)(sizeof default_widths / sizeof default_widths[0]);
    if (args->n_sizes > 0) {
        widths = args->sizes;
        n = args->n_sizes;
    }
    for (int i = 0; i < n; i++) {
        if (widths[i] < 1) {
            fprintf(stderr, "tessel-bench norm: width %lld must be >= 1\n", (long long)widths[i]);
            return 1;
        }
        if (bench_width(args, rep, widths[i]))
            return 1;
    }
    return 0;
}
