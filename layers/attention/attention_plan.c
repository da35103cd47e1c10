/* Per-device tile sizes for the fused attention kernel. The defaults are
 * data, one row per device family, first match wins; the limits a device
 * reports (shared memory, workgroup size) and the shape then clamp them.
 * docs/attention.md gives the reasoning behind each row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layers/attention/attention_plan.h"

enum { ANY_KIND = -1 };

typedef struct tile_entry {
    const char *backend; /* NULL: any */
    uint32_t vendor_id;  /* PCI vendor id; 0: any */
    int kind;            /* ts_device_kind; ANY_KIND: any */
    int q_tile, k_tile;
    /* CPU rows: bytes of per-thread working set the tiles must fit (about
     * half an L2); the tiles shrink for large D. 0 on GPU rows, where the
     * device's shared memory is the limit. */
    uint32_t cache_budget;
    /* 1: the kernel tiles the query heads sharing a kv head together (GQA
     * rows = group * Lq), so the clamp to the problem uses that count. */
    int group_rows;
} tile_entry;

static const tile_entry tile_table[] = {
    /* Q, O, K, V panels and the score tile stay in L2 at D = 64. */
    {"cpu", 0, ANY_KIND, 96, 128, 256u << 10, 1},
    /* Software GPU drivers run a workgroup on one CPU thread, and every
     * barrier costs a pass over the work-items: mid-sized tiles (Q, K, V
     * and scores ~40 KiB at D = 64) amortize the barriers and stay in L2.
     * PoCL, L = 512 f32: 16x32 1.2 s, 16x64 0.23 s, 32x64 0.17 s, 64x64
     * 0.29 s, 32x128 0.64 s. */
    {NULL, 0, TS_DEVICE_SOFTWARE, 32, 64, 0, 0},
    {NULL, 0x10de, ANY_KIND, 64, 64, 0, 0}, /* NVIDIA: 48 KiB+ shared, warp 32 */
    {NULL, 0x1002, ANY_KIND, 64, 64, 0, 0}, /* AMD: 64 KiB LDS, wave 32/64 */
    {NULL, 0x8086, ANY_KIND, 32, 32, 0, 0}, /* Intel: SIMD8-32, smaller SLM share */
    {NULL, 0x13b5, ANY_KIND, 32, 32, 0, 0}, /* ARM Mali: shared memory is plain RAM */
    {NULL, 0x5143, ANY_KIND, 32, 32, 0, 0}, /* Qualcomm Adreno */
    {NULL, 0, ANY_KIND, 32, 32, 0, 0},      /* anything else */
};

static const tile_entry *lookup(const ts_device_info *info)
{
    size_t n = sizeof tile_table / sizeof tile_table[0];
    for (size_t i = 0; i < n; i++) {
        const tile_entry *e = &tile_table[i];
        if (e->backend && strcmp(e->backend, info->backend) != 0)
            continue;
        if (e->vendor_id && e->vendor_id != info->vendor_id)
            continue;
        if (e->kind != ANY_KIND && e->kind != (int)info->kind)
            continue;
        return e;
    }
    return &tile_table[n - 1];
}

static uint64_t cpu_working_set(int64_t q, int64_t k, int64_t d)
{
    /* f32: packed Q and the O accumulator (q x d each), packed K and V
     * (k x d each), the score tile and its packed copy (q x k each). */
    return 4u * (uint64_t)(2 * q * d + 2 * k * d + 2 * q * k);
}

static uint64_t gpu_shared_bytes(int64_t q, int64_t k, int64_t d)
{
    /* f32: the Q tile, the K and V tiles, the q x k score tile and three
     * per-row statistics. */
    return 4u * (uint64_t)(q * d + 2 * k * d + q * k + 3 * q);
}

static void clamp_to_device(const tile_entry *e, const ts_device_info *info, int64_t d,
                            tsi_attention_tiles *t)
{
    if (e->cache_budget) {
        while (cpu_working_set(t->q_tile, t->k_tile, d) > e->cache_budget && t->k_tile > 32)
            t->k_tile /= 2;
        while (cpu_working_set(t->q_tile, t->k_tile, d) > e->cache_budget && t->q_tile > 12)
            t->q_tile /= 2;
        return;
    }
    if (info->max_workgroup_size && (uint32_t)t->q_tile > info->max_workgroup_size)
        t->q_tile = (int)info->max_workgroup_size;
    if (!info->shared_memory_bytes)
        return;
    while (gpu_shared_bytes(t->q_tile, t->k_tile, d) > info->shared_memory_bytes && t->k_tile > 8)
        t->k_tile /= 2;
    while (gpu_shared_bytes(t->q_tile, t->k_tile, d) > info->shared_memory_bytes && t->q_tile > 1)
        t->q_tile /= 2;
}

static int64_t pow2_ceil(int64_t n)
{
    int64_t p = 1;
    while (p < n)
        p *= 2;
    return p;
}

static int env_override(tsi_attention_tiles *t)
{
    const char *s = getenv("TESSEL_ATTENTION_TILES");
    int q, k;
    if (!s || sscanf(s, "%d,%d", &q, &k) != 2 || q < 1 || k < 1 || q > 4096 || k > 4096)
        return 0;
    t->q_tile = q;
    t->k_tile = k;
    return 1;
}

void tsi_attention_plan(const ts_device_info *info, ts_dtype dtype, int64_t d, int64_t lq,
                        int64_t lk, int64_t group, tsi_attention_tiles *out)
{
    (void)dtype; /* every dtype computes in f32 tiles */
    const tile_entry *e = lookup(info);
    if (e->group_rows)
        lq *= group;
    out->q_tile = e->q_tile;
    out->k_tile = e->k_tile;
    if (!env_override(out))
        clamp_to_device(e, info, d, out);
    /* A tile much larger than the problem only wastes scratch and idle
     * GPU lanes (Lq = 1 decoding gets one-row query tiles). Rounding the
     * clamp to a power of two keeps the number of distinct kernel builds
     * (one per tile size on GPUs) small. */
    if (lq >= 1 && out->q_tile > pow2_ceil(lq))
        out->q_tile = (int)pow2_ceil(lq);
    if (lk >= 1 && out->k_tile > pow2_ceil(lk))
        out->k_tile = (int)pow2_ceil(lk);
}
