/* Per-vendor defaults for the shaders' tunables (specialization constants),
 * then clamped to what the device reports: shared memory, workgroup size.
 * GEMM tiles (4x4 micro tile per invocation): discrete GPUs want 64x64
 * tiles (256 invocations, 8 KiB shared); Intel integrated and mobile GPUs
 * (ARM Mali, Qualcomm Adreno: small register files, shared memory often
 * emulated in global memory) smaller ones; llvmpipe/lavapipe runs a
 * workgroup on one CPU thread where shared memory is plain cached memory
 * and every barrier is a coroutine switch, so it reads operands directly
 * (measured ~1.5x faster there). Vendor workarounds are columns:
 * loop_cap: llvmpipe ends any loop of a shader invocation after 65535
 * iterations in all (its guard against endless loops, counted over every
 * loop the invocation runs) and the results are silently wrong, so the row
 * ops refuse rows that would need more (vk_ops.c) and top-k / scatter split
 * their work over dispatches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vk_internal.h"

typedef struct vendor_tuning {
    uint32_t vendor_id; /* 0: the default row */
    VkPhysicalDeviceType type; /* VK_PHYSICAL_DEVICE_TYPE_MAX_ENUM: any */
    tsi_vk_tuning t;
} vendor_tuning;

static const vendor_tuning k_table[] = {
    /* vendor  type                               bm  bn  bk shared  row  elem  loop_cap */
    {0x10de, VK_PHYSICAL_DEVICE_TYPE_MAX_ENUM, {{64, 64, 16, 1}, 256, 256, 0}}, /* NVIDIA */
    {0x1002, VK_PHYSICAL_DEVICE_TYPE_MAX_ENUM, {{64, 64, 16, 1}, 256, 256, 0}}, /* AMD */
    {0x8086, VK_PHYSICAL_DEVICE_TYPE_MAX_ENUM, {{32, 64, 16, 1}, 128, 128, 0}}, /* Intel */
    {0x13b5, VK_PHYSICAL_DEVICE_TYPE_MAX_ENUM, {{32, 32, 8, 1}, 64, 64, 0}},    /* ARM Mali */
    {0x5143, VK_PHYSICAL_DEVICE_TYPE_MAX_ENUM, {{32, 32, 8, 1}, 64, 128, 0}},   /* Qualcomm */
    {0x10005, VK_PHYSICAL_DEVICE_TYPE_CPU, {{64, 64, 16, 0}, 64, 256, 65535}},  /* llvmpipe */
    {0, VK_PHYSICAL_DEVICE_TYPE_MAX_ENUM, {{32, 32, 16, 1}, 64, 64, 0}},        /* unknown */
};

static uint32_t pow2_floor(uint32_t v)
{
    uint32_t p = 1;
    while (p * 2 <= v)
        p *= 2;
    return p;
}

void tsi_vk_tuning_pick(const tsi_vk_physical *p, tsi_vk_tuning *out)
{
    const vendor_tuning *row = &k_table[sizeof k_table / sizeof k_table[0] - 1];
    for (size_t i = 0; i + 1 < sizeof k_table / sizeof k_table[0]; i++) {
        const vendor_tuning *e = &k_table[i];
        bool type_ok = e->type == VK_PHYSICAL_DEVICE_TYPE_MAX_ENUM || e->type == p->props.deviceType;
        if (e->vendor_id == p->props.vendorID && type_ok) {
            row = e;
            break;
        }
        /* lavapipe reports vendor 0x10005 (Mesa) but match any CPU device. */
        if (e->type == VK_PHYSICAL_DEVICE_TYPE_CPU && p->props.deviceType == e->type) {
            row = e;
            break;
        }
    }
    *out = row->t;
    /* User override, for tuning by hand: TESSEL_VULKAN_GEMM_TILES=bm,bn,bk,shared
     * (bm, bn multiples of 4); clamped below like the defaults. */
    const char *env = getenv("TESSEL_VULKAN_GEMM_TILES");
    tsi_vk_gemm_tiles o;
    if (env && sscanf(env, "%u,%u,%u,%u", &o.bm, &o.bn, &o.bk, &o.use_shared) == 4 && o.bk &&
        o.bm >= 4 && o.bn >= 4 && o.bm % 4 == 0 && o.bn % 4 == 0)
        out->gemm = o;
    /* TESSEL_VULKAN_WG=row,elem: workgroup sizes of the row and elementwise
     * ops (rounded down to powers of two below). */
    uint32_t rw, ew;
    env = getenv("TESSEL_VULKAN_WG");
    if (env && sscanf(env, "%u,%u", &rw, &ew) == 2 && rw && ew) {
        out->row_wg = rw;
        out->elem_wg = ew;
    }
    const VkPhysicalDeviceLimits *l = &p->props.limits;
    uint32_t max_wg = l->maxComputeWorkGroupInvocations;
    if (max_wg > l->maxComputeWorkGroupSize[0])
        max_wg = l->maxComputeWorkGroupSize[0];
    out->row_wg = pow2_floor(out->row_wg < max_wg ? out->row_wg : max_wg);
    out->elem_wg = pow2_floor(out->elem_wg < max_wg ? out->elem_wg : max_wg);
    /* Shrink the GEMM tile until its workgroup and shared memory fit. */
    tsi_vk_gemm_tiles *g = &out->gemm;
    for (;;) {
        uint32_t wg = (g->bm / 4) * (g->bn / 4);
        uint32_t smem = (g->bm + g->bn) * g->bk * 4; /* declared even when unused */
        if (wg <= max_wg && smem <= l->maxComputeSharedMemorySize)
            break;
        if (g->bk > 4)
            g->bk /= 2;
        else if (g->bm >= g->bn && g->bm > 4)
            g->bm /= 2;
        else if (g->bn > 4)
            g->bn /= 2;
        else
            break; /* 1 invocation, 4-deep: fits every Vulkan device */
    }
}
