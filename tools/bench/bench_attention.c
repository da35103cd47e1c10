/* tessel-bench attention: ts_attention (tiled, online softmax, one fused
 * kernel) against ts_attention_naive (scores materialized, softmax, then
 * the second matmul) in the same process: B = 1, H = 8, D = 64, L = Lq =
 * Lk in {512 .. 8192}, causal and full, f32 and f16, on the chosen device.
 *
 * Besides time, each path's peak extra device memory is measured: the
 * device's peak (ts_device_memory_stats) during one run, minus what the
 * inputs and outputs already held. The naive path needs two [B, H, L, L]
 * tensors; the tiled one allocates no device memory of its own on GPUs
 * (kernels use only local memory). The CPU backend's workspace (counted
 * in the device's statistics) holds a few hundred KiB of tiles per thread
 * plus K and V repacked as f32 panels for as many (batch, kv head) pairs
 * as fit 4 MiB, at least one (2*L*D*4 bytes): linear in L. The device
 * keeps a workspace of up to 8 MiB between ops, so a case after the first
 * may show less (0 when it reused it). The memory table is printed after
 * the timings.
 * The naive run is skipped where its scores would take over a quarter of
 * the device's memory. Both sides are timed interleaved (bench_compare);
 * the JSON rows carry both peaks (peak_mib, baseline_peak_mib: null when
 * the naive run was skipped).
 *
 * The GEMM roof: each case is also timed interleaved (bench_measure_pair)
 * against an f32 n x n x n ts_matmul on the same device whose FLOPs are
 * about the attention's (2 n^3 ~ 4 B H L^2 D, halved when causal), and the
 * row reports both GFLOP/s and their ratio (JSON gemm_n, gemm_gflops,
 * roof_gflops: the attention's in that pair, roof_ratio). 16-bit rows also
 * carry f32_time_ratio: their time over the f32 row's of the same case
 * (same process, not interleaved). --dtype picks the dtypes (default
 * f32,f16,bf16), --head-dim D the head size (default 64). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

#define ATTN_B 1
#define ATTN_H 8
#define ATTN_D 64 /* default head dim (--head-dim) */

static const int64_t default_lengths[] = {512, 1024, 2048, 4096, 8192};
static const int64_t quick_lengths[] = {512, 1024, 2048};

typedef struct attn_bench {
    ts_device *dev;
    ts_tensor *q, *k, *v, *out;
    ts_attention_params p;
    int64_t d; /* head dim */
} attn_bench;

/* f32 median of each (L, causal) case, for the 16-bit rows' time ratio. */
typedef struct f32_time {
    int64_t l;
    int causal;
    double median_s;
} f32_time;

typedef struct mem_row {
    char name[96];
    double tiled_mib, naive_mib; /* naive < 0: skipped */
} mem_row;

static int run_tiled(void *ctx)
{
    attn_bench *b = ctx;
    if (ts_attention(b->q, b->k, b->v, &b->p, b->out) != TS_OK)
        return 1;
    return ts_device_sync(b->dev) != TS_OK;
}

static int run_naive(void *ctx)
{
    attn_bench *b = ctx;
    if (ts_attention_naive(b->q, b->k, b->v, &b->p, b->out) != TS_OK)
        return 1;
    return ts_device_sync(b->dev) != TS_OK;
}

static int make(ts_device *dev, ts_dtype dt, int64_t l, int64_t d, uint64_t seed, ts_tensor **out)
{
    const int64_t shape[4] = {ATTN_B, ATTN_H, l, d};
    return bench_random_tensor(dev, dt, shape, seed, out);
}

static void release(attn_bench *b)
{
    ts_tensor_destroy(b->q);
    ts_tensor_destroy(b->k);
    ts_tensor_destroy(b->v);
    ts_tensor_destroy(b->out);
    memset(b, 0, sizeof *b);
}

static int setup(attn_bench *b, ts_device *dev, ts_dtype dt, int64_t l, int64_t d, int causal)
{
    memset(b, 0, sizeof *b);
    b->dev = dev;
    b->d = d;
    ts_attention_params_init(&b->p);
    b->p.causal = causal;
    int64_t shape[4] = {ATTN_B, ATTN_H, l, d};
    if (make(dev, dt, l, d, 1, &b->q) || make(dev, dt, l, d, 2, &b->k) ||
        make(dev, dt, l, d, 3, &b->v) || ts_tensor_create(dev, dt, 4, shape, &b->out) != TS_OK)
        return 1;
    return ts_device_sync(dev) != TS_OK;
}

/* Peak device bytes one run of fn adds to what is allocated now, in MiB. */
static int extra_memory(attn_bench *b, int (*fn)(void *), double *mib)
{
    uint64_t before, peak;
    if (ts_device_memory_stats(b->dev, &before, &peak) != TS_OK ||
        ts_device_memory_reset_peak(b->dev) != TS_OK || fn(b) != 0 ||
        ts_device_memory_stats(b->dev, NULL, &peak) != TS_OK)
        return 1;
    *mib = (double)(peak > before ? peak - before : 0) / (1024.0 * 1024.0);
    return 0;
}

static int one_case(const bench_args *args, bench_report *rep, ts_dtype dt, int64_t l, int causal,
                    mem_row *mem, f32_time *f32)
{
    attn_bench b;
    int64_t d = args->head_dim > 0 ? args->head_dim : ATTN_D;
    if (setup(&b, args->dev, dt, l, d, causal)) {
        fprintf(stderr, "tessel-bench attention: setup L=%lld: %s\n", (long long)l,
                ts_last_error(args->ctx));
        release(&b);
        return 1;
    }
    bench_result r;
    memset(&r, 0, sizeof r);
    snprintf(r.suite, sizeof r.suite, "attention");
    if (d == ATTN_D)
        snprintf(r.name, sizeof r.name, "L%lld %s %s", (long long)l, causal ? "causal" : "full",
                 ts_dtype_name(dt));
    else
        snprintf(r.name, sizeof r.name, "L%lld D%lld %s %s", (long long)l, (long long)d,
                 causal ? "causal" : "full", ts_dtype_name(dt));
    snprintf(r.device, sizeof r.device, "%s", args->info.id);
    snprintf(mem->name, sizeof mem->name, "%s", r.name);
    double flops = 4.0 * ATTN_B * ATTN_H * (double)l * (double)l * (double)d * (causal ? 0.5 : 1.0);
    int rc = extra_memory(&b, run_tiled, &mem->tiled_mib);
    double scores = 2.0 * ATTN_B * ATTN_H * (double)l * (double)l * (double)ts_dtype_size(dt);
    int naive = scores <= (double)args->info.memory_bytes / 4;
    mem->naive_mib = -1;
    if (rc == 0 && naive) {
        bench_settle();
        rc = extra_memory(&b, run_naive, &mem->naive_mib);
        snprintf(r.baseline, sizeof r.baseline, "naive (scores materialized)");
    }
    /* Tiled and naive interleaved; one timed run each at the largest
     * sizes, where the naive side takes seconds. */
    int repeats = naive && l >= 8192 ? 1 : args->repeats;
    if (rc == 0)
        rc = bench_compare(run_tiled, &b, naive ? run_naive : NULL, &b, repeats,
                           bench_settle_for(args), &r);
    r.gflops = rc == 0 && r.median_s > 0 ? flops / r.median_s * 1e-9 : 0;
    if (rc == 0 && dt == TS_F32) {
        *f32 = (f32_time){.l = l, .causal = causal, .median_s = r.median_s};
    } else if (rc == 0 && f32->median_s > 0 && f32->l == l && f32->causal == causal) {
        snprintf(r.extra_json, sizeof r.extra_json, "\"f32_time_ratio\":%.6g",
                 r.median_s / f32->median_s);
    }
    char line[160] = "";
    if (rc == 0)
        rc = bench_roof(args, run_tiled, &b, flops, "attention", &r, line, sizeof line);
    if (r.baseline_median_s <= 0)
        r.baseline[0] = '\0';
    r.has_peak = 1;
    r.peak_mib = mem->tiled_mib;
    r.baseline_peak_mib = mem->naive_mib;
    if (rc) {
        fprintf(stderr, "tessel-bench attention: %s: %s\n", r.name, ts_last_error(args->ctx));
        release(&b);
        return 1;
    }
    release(&b);
    bench_settle();
    rc = bench_report_add(rep, &r);
    fputs(line, stdout);
    return rc;
}

static void print_memory(const mem_row *rows, int n)
{
    printf("\npeak extra device memory per call (MiB; inputs and outputs excluded;\n"
           "the CPU backend's tiled path: per-thread tiles plus K and V as f32 panels\n"
           "for the heads that fit 4 MiB (at least one, 2*L*D*4 bytes); a workspace\n"
           "of up to 8 MiB stays with the device, so later cases may show 0)\n");
    printf("%-24s %12s %12s\n", "case", "tiled", "naive");
    for (int i = 0; i < n; i++) {
        printf("%-24s %12.2f ", rows[i].name, rows[i].tiled_mib);
        if (rows[i].naive_mib < 0)
            printf("%12s\n", "skipped");
        else
            printf("%12.2f\n", rows[i].naive_mib);
    }
}

int bench_attention_decode(const bench_args *args, bench_report *rep); /* bench_decode.c */

int bench_attention(const bench_args *args, bench_report *rep)
{
    if (args->decode)
        return bench_attention_decode(args, rep);
    const int64_t *lengths = args->quick ? quick_lengths : default_lengths;
    int n = args->quick ? (int)(sizeof quick_lengths / sizeof quick_lengths[0])
                        : (int)(sizeof default_lengths / sizeof default_lengths[0]);
    if (args->n_sizes) {
        lengths = args->sizes;
        n = args->n_sizes;
    }
    static const ts_dtype all[] = {TS_F32, TS_F16, TS_BF16};
    const ts_dtype *dtypes = args->n_dtypes ? args->dtypes : all;
    int n_dt = args->n_dtypes ? args->n_dtypes : 3;
    mem_row *mem = calloc((size_t)(n * 2 * n_dt), sizeof *mem);
    f32_time *f32 = calloc((size_t)(n * 2), sizeof *f32);
    if (!mem || !f32) {
        free(mem);
        free(f32);
        return 1;
    }
    int rows = 0, rc = 0;
    for (int di = 0; di < n_dt && rc == 0; di++)
        for (int causal = 1; causal >= 0 && rc == 0; causal--)
            for (int i = 0; i < n && rc == 0; i++)
                rc = one_case(args, rep, dtypes[di], lengths[i], causal, &mem[rows++],
                              &f32[i * 2 + causal]);
    free(f32);
    print_memory(mem, rc ? rows - 1 : rows);
    free(mem);
    return rc;
}
