/* tessel-bench attention: ts_attention (tiled, online softmax, one fused
 * kernel) against ts_attention_naive (scores materialized, softmax, then
 * the second matmul) in the same process: B = 1, H = 8, D = 64, L = Lq =
 * Lk in {512 .. 8192}, causal and full, f32 and f16, on the chosen device.
 *
 * Besides time, each path's peak extra device memory is measured: the
 * device's peak (ts_device_memory_stats) during one run, minus what the
 * inputs and outputs already held. The naive path needs two [B, H, L, L]
 * tensors; the tiled one allocates no device memory of its own: GPU
 * kernels use only local memory, and the CPU backend's host scratch (a
 * few hundred KiB of tiles per thread plus K and V repacked as f32
 * panels, 2*B*Hkv*L*D*4 bytes for the call) is not device memory and
 * grows linearly with L. The memory table is printed after the timings.
 * The naive run is skipped where its scores would take over a quarter of
 * the device's memory. Both sides are timed interleaved (bench_compare);
 * the JSON rows carry both peaks (peak_mib, baseline_peak_mib: null when
 * the naive run was skipped). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

#define ATTN_B 1
#define ATTN_H 8
#define ATTN_D 64

static const int64_t default_lengths[] = {512, 1024, 2048, 4096, 8192};
static const int64_t quick_lengths[] = {512, 1024, 2048};

typedef struct attn_bench {
    ts_device *dev;
    ts_tensor *q, *k, *v, *out;
    ts_attention_params p;
} attn_bench;

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

static int make(ts_device *dev, ts_dtype dt, int64_t l, uint64_t seed, ts_tensor **out)
{
    int64_t shape[4] = {ATTN_B, ATTN_H, l, ATTN_D}, n = ATTN_B * ATTN_H * l * ATTN_D;
    ts_tensor *f = NULL;
    float *host = malloc((size_t)n * sizeof *host);
    int rc = !host || ts_tensor_create(dev, dt, 4, shape, out) != TS_OK;
    if (!rc) {
        bench_fill_random(host, n, seed);
        /* f16 goes through an f32 tensor and ts_cast, so the host side
         * never needs a half-precision converter. */
        rc = ts_tensor_create(dev, TS_F32, 4, shape, &f) != TS_OK ||
             ts_tensor_write(f, host, (size_t)n * sizeof *host) != TS_OK ||
             (dt == TS_F32 ? ts_copy(f, *out) : ts_cast(f, *out)) != TS_OK;
    }
    ts_tensor_destroy(f);
    free(host);
    return rc;
}

static void release(attn_bench *b)
{
    ts_tensor_destroy(b->q);
    ts_tensor_destroy(b->k);
    ts_tensor_destroy(b->v);
    ts_tensor_destroy(b->out);
    memset(b, 0, sizeof *b);
}

static int setup(attn_bench *b, ts_device *dev, ts_dtype dt, int64_t l, int causal)
{
    memset(b, 0, sizeof *b);
    b->dev = dev;
    ts_attention_params_init(&b->p);
    b->p.causal = causal;
    int64_t shape[4] = {ATTN_B, ATTN_H, l, ATTN_D};
    if (make(dev, dt, l, 1, &b->q) || make(dev, dt, l, 2, &b->k) || make(dev, dt, l, 3, &b->v) ||
        ts_tensor_create(dev, dt, 4, shape, &b->out) != TS_OK)
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
                    mem_row *mem)
{
    attn_bench b;
    if (setup(&b, args->dev, dt, l, causal)) {
        fprintf(stderr, "tessel-bench attention: setup L=%lld: %s\n", (long long)l,
                ts_last_error(args->ctx));
        release(&b);
        return 1;
    }
    bench_result r;
    memset(&r, 0, sizeof r);
    snprintf(r.suite, sizeof r.suite, "attention");
    snprintf(r.name, sizeof r.name, "L%lld %s %s", (long long)l, causal ? "causal" : "full",
             ts_dtype_name(dt));
    snprintf(r.device, sizeof r.device, "%s", args->info.id);
    snprintf(mem->name, sizeof mem->name, "%s", r.name);
    double flops = 4.0 * ATTN_B * ATTN_H * (double)l * (double)l * ATTN_D * (causal ? 0.5 : 1.0);
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
    return bench_report_add(rep, &r);
}

static void print_memory(const mem_row *rows, int n)
{
    printf("\npeak extra device memory per call (MiB; inputs and outputs excluded;\n"
           "the CPU backend's tiled path also holds host scratch linear in L:\n"
           "K and V as f32 panels, 2*B*H*L*D*4 bytes, plus fixed per-thread tiles)\n");
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
    static const ts_dtype dtypes[] = {TS_F32, TS_F16};
    mem_row *mem = calloc((size_t)n * 4, sizeof *mem);
    if (!mem)
        return 1;
    int rows = 0, rc = 0;
    for (int di = 0; di < 2 && rc == 0; di++)
        for (int causal = 1; causal >= 0 && rc == 0; causal--)
            for (int i = 0; i < n && rc == 0; i++)
                rc = one_case(args, rep, dtypes[di], lengths[i], causal, &mem[rows++]);
    print_memory(mem, rc ? rows - 1 : rows);
    free(mem);
    return rc;
}
