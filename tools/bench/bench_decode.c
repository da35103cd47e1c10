/* tessel-bench attention --decode: one decode step, Lq = 1 against a long
 * KV cache (B = 1, Hq = 32, Hkv = 8, D = 128, Lk = 32768; --quick 4096;
 * --sizes sets Lk), f16, f32 and bf16, plus an f16 row whose key_len
 * (3/4 of Lk) leaves the rest of the cache as padding. A decode step is a
 * read of K and V: it is reported as GB/s of K/V read, bytes = 2 * B *
 * Hkv * kl * D * size with kl the valid keys, against a host memcpy of
 * the same byte count timed interleaved in the same process (GB/s =
 * bytes / time; memcpy reads and writes them). ratio = decode GB/s /
 * memcpy GB/s; issue 12 asks >= 0.5 on the CPU.
 *
 * Caches: on cpu devices K/V and the memcpy source rotate through `sets`
 * copies, enough that both sides' footprint passes twice the last-level
 * cache (its size from sysconf), so each call streams from memory rather
 * than from a cache the previous call warmed; GPU devices use one copy
 * (the memcpy then reads the same bytes each time, as the GPU does). On cpu devices the row also
 * carries the main tiled kernel's time (TESSEL_ATTENTION_DECODE=0, JSON
 * main_kernel_s) for the speedup of the split-K path. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_common.h"

#define DEC_B 1
#define DEC_HQ 32
#define DEC_HKV 8
#define DEC_D 128
#define DEC_MAX_SETS 8

int bench_attention_decode(const bench_args *args, bench_report *rep);

static const int64_t default_lengths[] = {32768};
static const int64_t quick_lengths[] = {4096};

typedef struct dec_bench {
    ts_device *dev;
    ts_tensor *q, *out, *klen;
    ts_tensor *k[DEC_MAX_SETS], *v[DEC_MAX_SETS];
    int sets, next;
    ts_attention_params p;
    unsigned char *src, *dst; /* memcpy: sets regions of `bytes`, one destination */
    size_t bytes;
    int copy_next;
} dec_bench;

static int run_decode(void *ctx)
{
    dec_bench *b = ctx;
    int s = b->next;
    b->next = (b->next + 1) % b->sets;
    if (ts_attention(b->q, b->k[s], b->v[s], &b->p, b->out) != TS_OK)
        return 1;
    return ts_device_sync(b->dev) != TS_OK;
}

static int run_memcpy(void *ctx)
{
    dec_bench *b = ctx;
    const unsigned char *src = b->src + (size_t)b->copy_next * b->bytes;
    b->copy_next = (b->copy_next + 1) % b->sets;
    memcpy(b->dst, src, b->bytes);
    /* Keep the copy observable so it cannot be dropped. */
    volatile unsigned char sink = b->dst[b->bytes - 1];
    (void)sink;
    return 0;
}

static size_t llc_bytes(void)
{
    long v = -1;
#ifdef _SC_LEVEL3_CACHE_SIZE
    v = sysconf(_SC_LEVEL3_CACHE_SIZE);
    if (v <= 0)
        v = sysconf(_SC_LEVEL2_CACHE_SIZE);
#endif
    return v > 0 ? (size_t)v : (size_t)64 << 20;
}

static void release(dec_bench *b)
{
    ts_tensor_destroy(b->q);
    ts_tensor_destroy(b->out);
    ts_tensor_destroy(b->klen);
    for (int s = 0; s < DEC_MAX_SETS; s++) {
        ts_tensor_destroy(b->k[s]);
        ts_tensor_destroy(b->v[s]);
    }
    free(b->src);
    free(b->dst);
    memset(b, 0, sizeof *b);
}

static int setup(dec_bench *b, ts_device *dev, ts_dtype dt, int64_t lk, int64_t kl, int sets)
{
    memset(b, 0, sizeof *b);
    b->dev = dev;
    b->sets = sets;
    ts_attention_params_init(&b->p);
    int64_t qs[4] = {DEC_B, DEC_HQ, 1, DEC_D}, ks[4] = {DEC_B, DEC_HKV, lk, DEC_D};
    if (bench_random_tensor(dev, dt, qs, 1, &b->q) || ts_tensor_create(dev, dt, 4, qs, &b->out) != TS_OK)
        return 1;
    for (int s = 0; s < sets; s++)
        if (bench_random_tensor(dev, dt, ks, 2 + 2 * (uint64_t)s, &b->k[s]) ||
            bench_random_tensor(dev, dt, ks, 3 + 2 * (uint64_t)s, &b->v[s]))
            return 1;
    if (kl < lk) {
        int64_t one = DEC_B;
        int32_t lens[DEC_B];
        for (int i = 0; i < DEC_B; i++)
            lens[i] = (int32_t)kl;
        if (ts_tensor_create(dev, TS_I32, 1, &one, &b->klen) != TS_OK ||
            ts_tensor_write(b->klen, lens, sizeof lens) != TS_OK)
            return 1;
        b->p.key_len = b->klen;
    }
    b->bytes = (size_t)(2 * DEC_B * DEC_HKV * kl * DEC_D) * ts_dtype_size(dt);
    b->src = malloc(b->bytes * (size_t)sets);
    b->dst = malloc(b->bytes);
    if (!b->src || !b->dst)
        return 1;
    /* Touch every page so the copy times no page faults. */
    memset(b->src, 1, b->bytes * (size_t)sets);
    memset(b->dst, 0, b->bytes);
    return ts_device_sync(dev) != TS_OK;
}

/* The main tiled kernel on the same problem (cpu only): the decode path
 * off for the duration. */
static int time_main_kernel(dec_bench *b, int repeats, double *s)
{
    const char *old = getenv("TESSEL_ATTENTION_DECODE");
    char saved[16] = "";
    if (old)
        snprintf(saved, sizeof saved, "%s", old);
    setenv("TESSEL_ATTENTION_DECODE", "0", 1);
    int rc = bench_measure(run_decode, b, repeats, s);
    if (old)
        setenv("TESSEL_ATTENTION_DECODE", saved, 1);
    else
        unsetenv("TESSEL_ATTENTION_DECODE");
    return rc;
}

static int one_case(const bench_args *args, bench_report *rep, ts_dtype dt, int64_t lk,
                    int64_t kl)
{
    size_t bytes = (size_t)(2 * DEC_B * DEC_HKV * kl * DEC_D) * ts_dtype_size(dt);
    /* Rotating copies on cpu devices only: a GPU's K/V lives in its own
     * memory, not behind the host's cache (and lavapipe's heap is small). */
    int cpu = strncmp(args->info.id, "cpu", 3) == 0;
    size_t want = 2 * llc_bytes();
    int sets = cpu ? (int)((want + bytes - 1) / bytes) : 1;
    sets = sets < 1 ? 1 : sets > DEC_MAX_SETS ? DEC_MAX_SETS : sets;
    dec_bench b;
    if (setup(&b, args->dev, dt, lk, kl, sets)) {
        fprintf(stderr, "tessel-bench attention --decode: setup Lk=%lld: %s\n", (long long)lk,
                ts_last_error(args->ctx));
        release(&b);
        return 1;
    }
    bench_result r;
    memset(&r, 0, sizeof r);
    snprintf(r.suite, sizeof r.suite, "attention");
    if (kl < lk)
        snprintf(r.name, sizeof r.name, "decode Lk%lld kl%lld %s", (long long)lk, (long long)kl,
                 ts_dtype_name(dt));
    else
        snprintf(r.name, sizeof r.name, "decode Lk%lld %s", (long long)lk, ts_dtype_name(dt));
    snprintf(r.device, sizeof r.device, "%s", args->info.id);
    snprintf(r.baseline, sizeof r.baseline, "host memcpy, same bytes");
    int rc = bench_compare(run_decode, &b, run_memcpy, &b, args->repeats, bench_settle_for(args),
                           &r);
    double main_s = 0;
    if (rc == 0 && cpu)
        rc = time_main_kernel(&b, args->repeats < 3 ? args->repeats : 3, &main_s);
    if (rc) {
        fprintf(stderr, "tessel-bench attention --decode: %s: %s\n", r.name,
                ts_last_error(args->ctx));
        release(&b);
        return 1;
    }
    r.gbps = r.median_s > 0 ? (double)bytes / r.median_s * 1e-9 : 0;
    r.baseline_gbps = r.baseline_median_s > 0 ? (double)bytes / r.baseline_median_s * 1e-9 : 0;
    int n = snprintf(r.extra_json, sizeof r.extra_json,
                     "\"kv_bytes\":%zu,\"lk\":%lld,\"key_len\":%lld,\"sets\":%d,"
                     "\"memcpy_gbps\":%.6g",
                     bytes, (long long)lk, (long long)kl, sets, r.baseline_gbps);
    if (cpu && n > 0 && (size_t)n < sizeof r.extra_json)
        snprintf(r.extra_json + n, sizeof r.extra_json - (size_t)n, ",\"main_kernel_s\":%.9g",
                 main_s);
    rc = bench_report_add(rep, &r);
    printf("  %s: %.1f MiB K/V, decode %.2f GB/s, memcpy %.2f GB/s, decode/memcpy %.2f",
           r.name, (double)bytes / 1048576.0, r.gbps, r.baseline_gbps,
           r.baseline_gbps > 0 ? r.gbps / r.baseline_gbps : 0.0);
    if (cpu)
        printf("; main tiled kernel %.3f ms (%.1fx slower)", main_s * 1e3,
               r.median_s > 0 ? main_s / r.median_s : 0.0);
    printf(" [%d rotating copies]\n", sets);
    release(&b);
    bench_settle();
    return rc;
}

int bench_attention_decode(const bench_args *args, bench_report *rep)
{
    const int64_t *lengths = args->quick ? quick_lengths : default_lengths;
    int n = 1;
    if (args->n_sizes) {
        lengths = args->sizes;
        n = args->n_sizes;
    }
    printf("decode step: B=%d Hq=%d Hkv=%d D=%d Lq=1; GB/s of K/V read vs host memcpy\n", DEC_B,
           DEC_HQ, DEC_HKV, DEC_D);
    static const ts_dtype dtypes[] = {TS_F16, TS_F32, TS_BF16};
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        for (int di = 0; di < 3 && rc == 0; di++)
            rc = one_case(args, rep, dtypes[di], lengths[i], lengths[i]);
        /* A padded cache: 3/4 of it valid, minus one so nothing divides. */
        if (rc == 0 && lengths[i] >= 4)
            rc = one_case(args, rep, TS_F16, lengths[i], lengths[i] * 3 / 4 - 1);
    }
    return rc;
}
