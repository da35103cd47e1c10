/* The device-wide tunables of one device (workgroup widths, the loop
 * limit workaround): the values of the tuning database
 * (core/tuning_defaults.txt, the user's tuning file; read through
 * tsi_host.tuning), then TESSEL_VULKAN_WG, then clamped to what the device
 * reports. Tile sizes of the kernels are their plans' business
 * (backend-gpu/). The reasoning behind each row lives next to it in the
 * defaults file. */
#include <stdio.h>
#include <stdlib.h>

#include "core/plan_util.h"
#include "vk_internal.h"

/* What a device no row matches gets, and what replaces a value out of its
 * range (the defaults file's "anything else" row: fits every device). */
static const tsi_vk_tuning k_fallback = {64, 64, 0};

/* The database's value of key, or fallback when it is outside [lo, hi]
 * (a user file's typo must not reach a shader: logged, then ignored). */
static uint32_t value_of(const ts_device_info *info, const char *key, uint32_t fallback, int64_t lo,
                         int64_t hi)
{
    int64_t v = tsi_vk_host->tuning(info, key, fallback);
    if (v >= lo && v <= hi)
        return (uint32_t)v;
    tsi_vk_host->log(TS_LOG_WARN, "vulkan: %s: tuning %s=%lld is outside %lld..%lld; using %u",
                     info->name, key, (long long)v, (long long)lo, (long long)hi, fallback);
    return fallback;
}

static void from_database(const ts_device_info *info, tsi_vk_tuning *out)
{
    const tsi_vk_tuning *f = &k_fallback;
    out->row_wg = value_of(info, "row_wg", f->row_wg, 1, 65536);
    out->elem_wg = value_of(info, "elem_wg", f->elem_wg, 1, 65536);
    out->loop_cap = value_of(info, "loop_cap", f->loop_cap, 0, UINT32_MAX);
}

/* Hand tuning: TESSEL_VULKAN_WG=row,elem; clamped below like the rows. */
static void from_environment(tsi_vk_tuning *out)
{
    uint32_t rw, ew;
    const char *env = getenv("TESSEL_VULKAN_WG");
    if (env && sscanf(env, "%u,%u", &rw, &ew) == 2 && rw && ew) {
        out->row_wg = rw;
        out->elem_wg = ew;
    }
}

static void clamp_to_device(const VkPhysicalDeviceLimits *l, tsi_vk_tuning *out)
{
    uint32_t max_wg = l->maxComputeWorkGroupInvocations;
    if (max_wg > l->maxComputeWorkGroupSize[0])
        max_wg = l->maxComputeWorkGroupSize[0];
    out->row_wg = tsi_pow2_floor(out->row_wg < max_wg ? out->row_wg : max_wg);
    out->elem_wg = tsi_pow2_floor(out->elem_wg < max_wg ? out->elem_wg : max_wg);
}

void tsi_vk_tuning_pick(const tsi_vk_physical *p, tsi_vk_tuning *out)
{
    /* The database matches rows on the device as tessel-info shows it. */
    ts_device_info info;
    tsi_vk_fill_info(p, &info);
    from_database(&info, out);
    from_environment(out);
    clamp_to_device(&p->props.limits, out);
    tsi_vk_host->log(TS_LOG_DEBUG,
                     "vulkan: %s: tuning row_wg=%u elem_wg=%u loop_cap=%u", info.name,
                     out->row_wg, out->elem_wg, out->loop_cap);
}
