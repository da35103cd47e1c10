/* TESSEL_GPU_LIMITS: run a GPU device under smaller limits than its own,
 * so that conformance on a big GPU or a software driver also covers the
 * plans a small GPU gets (tile shrinking, row ops without subgroup
 * shuffles, launches split over the workgroup count).
 *
 *   min                Vulkan 1.1's required minimums (below)
 *   wg=N,shared=BYTES  only those (also groups=, buffers=, binding=,
 *                      subgroups=0)
 *   min,wg=64          the minimums, then the rest
 *   kernel_wg=N        OpenCL: every kernel build runs at most N
 *                      work-items (CL_KERNEL_WORK_GROUP_SIZE), found only
 *                      at launch, as drivers report for kernels with many
 *                      registers; kernel_wg:FAMILY=N for one kernel
 *                      family (kernel_wg:attention=32). Vulkan pipelines
 *                      have no such limit and ignore it.
 *
 * Each backend applies the limits where it reads the device's own, so the
 * tuning clamps, the plans and the launch checks all see the same device. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend-gpu/gpu.h"

/* VkPhysicalDeviceLimits' required minimums (Vulkan 1.1, table "Required
 * Limits"): maxComputeWorkGroupInvocations and maxComputeWorkGroupSize[0]
 * 128, maxComputeSharedMemorySize 16384, maxComputeWorkGroupCount 65535,
 * maxPerStageDescriptorStorageBuffers 4, maxStorageBufferRange 2^27. */
static const tsi_gpu_limits k_min = {
    .set = true,
    .wg = 128,
    .shared = 16384,
    .groups = 65535,
    .buffers = 4,
    .binding = (uint64_t)1 << 27,
    .no_subgroups = true,
};

static bool parse_value(const char *s, size_t len, uint64_t *out)
{
    char num[24];
    if (len == 0 || len >= sizeof num)
        return false;
    memcpy(num, s, len);
    num[len] = '\0';
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(num, &end, 10);
    if (errno || *end || num[0] == '-')
        return false;
    *out = v;
    return true;
}

/* One "key=value" (or "min") of the list into out; false when unknown. */
static bool apply_item(const char *s, size_t len, tsi_gpu_limits *out)
{
    if (len == 3 && strncmp(s, "min", 3) == 0) {
        *out = k_min;
        return true;
    }
    const char *eq = memchr(s, '=', len);
    uint64_t v;
    if (!eq || !parse_value(eq + 1, len - (size_t)(eq + 1 - s), &v))
        return false;
    size_t klen = (size_t)(eq - s);
    static const char *const k_names[] = {"wg", "shared", "groups", "buffers"};
    uint32_t *fields[] = {&out->wg, &out->shared, &out->groups, &out->buffers};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (klen == strlen(k_names[i]) && strncmp(s, k_names[i], klen) == 0) {
            if (v == 0 || v > UINT32_MAX)
                return false;
            *fields[i] = (uint32_t)v;
            return true;
        }
    if (klen == 7 && strncmp(s, "binding", 7) == 0 && v > 0) {
        out->binding = v;
        return true;
    }
    if (klen == 9 && strncmp(s, "subgroups", 9) == 0 && v <= 1) {
        out->no_subgroups = v == 0;
        return true;
    }
    if (klen >= 9 && strncmp(s, "kernel_wg", 9) == 0 && v > 0 && v <= UINT32_MAX) {
        size_t flen = klen > 9 ? klen - 10 : 0; /* after "kernel_wg:" */
        if ((klen > 9 && (s[9] != ':' || flen == 0)) || flen >= sizeof out->kernel_wg_family)
            return false;
        memcpy(out->kernel_wg_family, s + 10, flen);
        out->kernel_wg_family[flen] = '\0';
        out->kernel_wg = (uint32_t)v;
        return true;
    }
    return false;
}

bool tsi_gpu_limits_from_env(const tsi_host *host, const char *backend, tsi_gpu_limits *out)
{
    *out = (tsi_gpu_limits){0};
    const char *env = getenv("TESSEL_GPU_LIMITS");
    if (!env || !env[0])
        return false;
    tsi_gpu_limits l = {0};
    for (const char *s = env; *s;) {
        size_t len = strcspn(s, ",");
        if (!apply_item(s, len, &l)) {
            host->log(
                TS_LOG_WARN,
                "%s: TESSEL_GPU_LIMITS=%s not understood (want min or "
                "wg=N,shared=N,groups=N,buffers=N,binding=N,subgroups=0,kernel_wg[:FAMILY]=N); "
                "ignored",
                backend, env);
            return false;
        }
        s += len + (s[len] == ',');
    }
    l.set = true;
    *out = l;
    host->log(TS_LOG_INFO, "%s: running under TESSEL_GPU_LIMITS=%s", backend, env);
    return true;
}

void tsi_gpu_limit_u32(uint32_t *value, uint32_t limit)
{
    if (limit && *value > limit)
        *value = limit;
}

void tsi_gpu_limit_u64(uint64_t *value, uint64_t limit)
{
    if (limit && *value > limit)
        *value = limit;
}
