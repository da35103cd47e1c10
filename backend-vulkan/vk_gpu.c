/* The Vulkan side of the shared GPU host code (backend-gpu/gpu.h): the
 * device's capabilities, and a launch as a pipeline (one per entry point
 * and constants, <entry>.spv), descriptor bindings and push constants. */
#include <stdio.h>

#include "vk_internal.h"

void tsi_vk_gpu_caps_init(tsi_device *d)
{
    const VkPhysicalDeviceLimits *l = &d->limits;
    uint32_t max_wg = l->maxComputeWorkGroupInvocations;
    if (max_wg > l->maxComputeWorkGroupSize[0])
        max_wg = l->maxComputeWorkGroupSize[0];
    d->gpu = (tsi_gpu_caps){
        .backend = "vulkan",
        .info = &d->info,
        .host = tsi_vk_host,
        .max_wg = max_wg,
        .max_shared = l->maxComputeSharedMemorySize,
        .max_groups = {l->maxComputeWorkGroupCount[0], l->maxComputeWorkGroupCount[1],
                       l->maxComputeWorkGroupCount[2]},
        .max_binding = l->maxStorageBufferRange,
        .max_buffers = d->n_bindings,
        .subgroup = d->phys->subgroup_size,
        .cpu_driver = d->phys->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU,
        .loop_cap = d->tuning.loop_cap,
        .row_wg = d->tuning.row_wg,
        .elem_wg = d->tuning.elem_wg,
        .coop_f16 = d->phys->coop_mnk == 16,
        .subgroup_shuffle = d->phys->subgroup_shuffle,
    };
    /* R32_UINT uniform texel buffers are required by the spec; asked anyway. */
    VkFormatProperties fp;
    vkGetPhysicalDeviceFormatProperties(d->phys->pd, VK_FORMAT_R32_UINT, &fp);
    if (fp.bufferFeatures & VK_FORMAT_FEATURE_UNIFORM_TEXEL_BUFFER_BIT) {
        d->gpu.texel_words = l->maxTexelBufferElements;
        d->gpu.texel_align = (uint32_t)l->minTexelBufferOffsetAlignment;
    }
}

const tsi_gpu_caps *tsi_gpu_caps_of(tsi_device *d)
{
    return &d->gpu;
}

/* A Vulkan pipeline runs any workgroup within the device's limits (the
 * compiler spills rather than refuse), so no family learns a lower one. */
const tsi_gpu_caps *tsi_gpu_caps_for(tsi_device *d, const char *family)
{
    (void)family;
    return &d->gpu;
}

bool tsi_gpu_texel_ok(tsi_device *d, const tsi_buffer *buf)
{
    return buf && d->gpu.texel_words && d->gpu.texel_align &&
           buf->offset % d->gpu.texel_align == 0 && buf->size / 4 <= d->gpu.texel_words;
}

ts_status tsi_gpu_launch_record(tsi_device *d, const tsi_gpu_launch *l)
{
    if (l->n_bufs > (int)d->n_bindings || l->params_bytes > TSI_VK_PUSH_BYTES ||
        l->n_consts > 12)
        return TSI_VK_FAIL(TS_ERR_UNSUPPORTED,
                           "vulkan: %s needs %d bindings and %u bytes of push constants; this "
                           "device's layout has %u and %d",
                           l->entry, l->n_bufs, l->params_bytes, d->n_bindings, TSI_VK_PUSH_BYTES);
    char spv[64];
    snprintf(spv, sizeof spv, "%s.spv", l->entry);
    VkPipeline p;
    TSI_VK_TRY(tsi_vk_pipeline(d, spv, l->consts, l->n_consts, &p));
    tsi_vk_binding b[TSI_VK_MAX_BINDINGS];
    for (int i = 0; i < l->n_bufs; i++)
        b[i] = (tsi_vk_binding){l->bufs[i], l->writes[i], (int)(l->texel_mask >> i & 1u)};
    return tsi_vk_dispatch(d, p, b, l->n_bufs, l->params, l->params_bytes, l->groups[0],
                           l->groups[1], l->groups[2]);
}
