/* The module's entry point and backend table: device open/close and host
 * transfers. Host transfers map the buffer's block directly when it is
 * host-visible (UMA, lavapipe) and otherwise go through a staging buffer
 * with a copy command. Every device call first reports a pending
 * validation message (TESSEL_VULKAN_VALIDATION=1) as TS_ERR_BACKEND. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vk_internal.h"

#define TSI_VK_STAGING_BYTES (16u << 20)

const tsi_host *tsi_vk_host;

ts_status tsi_vk_check_validation(void)
{
    char *m = tsi_vk_take_validation_message();
    if (!m)
        return TS_OK;
    tsi_vk_host->set_error("%s", m);
    free(m);
    return TS_ERR_BACKEND;
}

static ts_status vk_init(const tsi_host *host, void **state)
{
    tsi_vk_host = host;
    tsi_vk_state *s;
    TSI_VK_TRY(tsi_vk_state_create(&s));
    *state = s;
    return TS_OK;
}

static void vk_shutdown(void *state)
{
    tsi_vk_state_destroy(state);
}

static int vk_device_count(void *state)
{
    return ((tsi_vk_state *)state)->count;
}

static ts_status vk_device_info(void *state, int index, ts_device_info *out)
{
    tsi_vk_state *s = state;
    if (index < 0 || index >= s->count)
        return TSI_VK_FAIL(TS_ERR_NOT_FOUND, "vulkan: no device %d", index);
    tsi_vk_fill_info(&s->phys[index], out);
    return TS_OK;
}

static void vk_device_close(tsi_device *d)
{
    if (!d)
        return;
    if (d->dev) {
        tsi_vk_wait_idle(d);
        vkDeviceWaitIdle(d->dev);
        while (d->deferred) { /* device idle: nothing uses them any more */
            tsi_buffer *b = d->deferred;
            d->deferred = b->next_deferred;
            tsi_vk_mem_release(d, b);
        }
        if (d->dummy)
            tsi_vk_mem_release(d, d->dummy);
        tsi_vk_staging_destroy(d, d->staging_buf, d->staging_mem);
        tsi_vk_fft_device_closed(d);
        tsi_vk_pipelines_destroy(d);
        tsi_vk_exec_destroy(d);
        tsi_vk_memory_destroy(d);
        vkDestroyDevice(d->dev, NULL);
    }
    free(tsi_vk_take_validation_message());
    free(d);
}

static ts_status vk_device_open(void *state, int index, tsi_device **out)
{
    tsi_vk_state *s = state;
    *out = NULL;
    if (index < 0 || index >= s->count)
        return TSI_VK_FAIL(TS_ERR_NOT_FOUND, "vulkan: no device %d", index);
    tsi_device *d = calloc(1, sizeof *d);
    if (!d)
        return TSI_VK_FAIL(TS_ERR_OUT_OF_MEMORY, "vulkan: out of host memory");
    d->state = s;
    d->phys = &s->phys[index];
    d->limits = d->phys->props.limits;
    tsi_vk_tuning_pick(d->phys, &d->tuning);
    tsi_vk_fill_info(d->phys, &d->info);
    snprintf(d->info.backend, sizeof d->info.backend, "vulkan");
    d->n_bindings = TSI_VK_MAX_BINDINGS;
    if (d->limits.maxPerStageDescriptorStorageBuffers < d->n_bindings)
        d->n_bindings = d->limits.maxPerStageDescriptorStorageBuffers;
    if (d->limits.maxDescriptorSetStorageBuffers < d->n_bindings)
        d->n_bindings = d->limits.maxDescriptorSetStorageBuffers;
    tsi_vk_gpu_caps_init(d);

    float prio = 1.0f;
    VkDeviceQueueCreateInfo qi = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                  .queueFamilyIndex = d->phys->queue_family,
                                  .queueCount = 1,
                                  .pQueuePriorities = &prio};
    /* The shaders need core Vulkan 1.1 only (16-bit data is handled as
     * packed 32-bit words). The extensions: float controls, for the
     * denormal mode every module gets (SPV_KHR_float_controls in SPIR-V
     * 1.3 needs it on a 1.1 device), subgroup size control with its
     * computeFullSubgroups feature where vk_device.c found it, for the
     * modules that need full subgroups (vk_pipeline.c), and a portability
     * driver's VK_KHR_portability_subset. */
    d->denorms = tsi_vk_denorm_mode(d->phys);
    const char *ext[7] = {VK_KHR_SHADER_FLOAT_CONTROLS_EXTENSION_NAME};
    VkDeviceCreateInfo di = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                             .queueCreateInfoCount = 1,
                             .pQueueCreateInfos = &qi,
                             .enabledExtensionCount = d->denorms != TSI_VK_DENORMS_DRIVER,
                             .ppEnabledExtensionNames = ext};
    VkPhysicalDeviceSubgroupSizeControlFeaturesEXT ssc = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES_EXT,
        .computeFullSubgroups = VK_TRUE};
    if (d->phys->full_subgroups) {
        ext[di.enabledExtensionCount++] = VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME;
        di.pNext = &ssc;
    }
    /* The spec requires it wherever the device offers it. */
    if (d->phys->portability_subset)
        ext[di.enabledExtensionCount++] = "VK_KHR_portability_subset";
    /* The cooperative-matrix GEMM tile (shaders/vulkan/matmul_coop.comp)
     * is the exception: where vk_device.c found it usable, its module's
     * capabilities are enabled too, and a device that refuses them is
     * opened again without (the tile is then off, with a log line). */
    VkPhysicalDeviceCooperativeMatrixFeaturesNV cm = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV,
        .cooperativeMatrix = VK_TRUE};
    VkPhysicalDeviceVulkanMemoryModelFeaturesKHR mm = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_MEMORY_MODEL_FEATURES_KHR,
        .pNext = &cm,
        .vulkanMemoryModel = VK_TRUE};
    VkPhysicalDeviceShaderFloat16Int8FeaturesKHR f16 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES_KHR,
        .pNext = &mm,
        .shaderFloat16 = VK_TRUE};
    VkPhysicalDevice16BitStorageFeatures s16 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES,
        .pNext = &f16,
        .storageBuffer16BitAccess = VK_TRUE};
    uint32_t base_ext = di.enabledExtensionCount;
    if (d->gpu.coop_f16) {
        ext[base_ext] = "VK_NV_cooperative_matrix";
        ext[base_ext + 1] = VK_KHR_VULKAN_MEMORY_MODEL_EXTENSION_NAME;
        ext[base_ext + 2] = VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME;
        di.enabledExtensionCount = base_ext + 3;
        ssc.pNext = &s16;
        di.pNext = d->phys->full_subgroups ? (const void *)&ssc : (const void *)&s16;
    }
    VkResult r = vkCreateDevice(d->phys->pd, &di, NULL, &d->dev);
    if (r != VK_SUCCESS && d->gpu.coop_f16) {
        tsi_vk_host->log(TS_LOG_WARN, "vulkan: %s: device creation with cooperative matrices "
                         "failed (%d); the f16 GEMM uses the shared kernel",
                         d->info.name, (int)r);
        d->gpu.coop_f16 = 0;
        di.enabledExtensionCount = base_ext;
        ssc.pNext = NULL;
        di.pNext = d->phys->full_subgroups ? &ssc : NULL;
        r = vkCreateDevice(d->phys->pd, &di, NULL, &d->dev);
    }
    ts_status st;
    if (r != VK_SUCCESS) {
        st = tsi_vk_result(r, "vkCreateDevice");
        goto fail;
    }
    vkGetDeviceQueue(d->dev, d->phys->queue_family, 0, &d->queue);
    if ((st = tsi_vk_memory_init(d)) != TS_OK || (st = tsi_vk_exec_init(d)) != TS_OK ||
        (st = tsi_vk_pipelines_init(d)) != TS_OK ||
        (st = tsi_vk_mem_alloc(d, (uint64_t)TSI_VK_DUMMY_RANGES * TSI_VK_DUMMY_BYTES, &d->dummy)) !=
            TS_OK)
        goto fail;
    if (d->gpu.coop_f16) {
        /* Built now with the launch's constants (backend-gpu/gpu_matmul.c),
         * so a driver that cannot take the module turns the tile off here
         * instead of failing a matmul later. */
        uint32_t consts[2] = {4u * d->gpu.subgroup, (uint32_t)TS_F16};
        VkPipeline pipe;
        if (4u * d->gpu.subgroup > d->gpu.max_wg ||
            tsi_vk_pipeline(d, "matmul_coop.spv", consts, 2, &pipe) != TS_OK) {
            tsi_vk_host->log(TS_LOG_WARN, "vulkan: %s: the cooperative-matrix GEMM tile did not "
                             "build; the f16 GEMM uses the shared kernel", d->info.name);
            d->gpu.coop_f16 = 0;
        }
    }
    if ((st = tsi_vk_check_validation()) != TS_OK)
        goto fail;
    *out = d;
    return TS_OK;
fail:
    vk_device_close(d);
    return st;
}

static ts_status vk_buffer_alloc(tsi_device *d, size_t bytes, tsi_buffer **out)
{
    TSI_VK_TRY(tsi_vk_check_validation());
    return tsi_vk_mem_alloc(d, bytes, out);
}

static void vk_buffer_free(tsi_device *d, tsi_buffer *b)
{
    if (b)
        tsi_vk_defer_free(d, b);
}

/* Copy between a buffer and a staging buffer, chunk by chunk, waiting for
 * each copy (transfers through staging are for non-mapped memory only). */
static ts_status staged(tsi_device *d, tsi_buffer *b, size_t offset, void *host, size_t bytes,
                        bool upload)
{
    VkDeviceSize chunk = bytes < TSI_VK_STAGING_BYTES ? bytes : TSI_VK_STAGING_BYTES;
    if (d->staging_size < chunk) {
        tsi_vk_staging_destroy(d, d->staging_buf, d->staging_mem);
        d->staging_buf = VK_NULL_HANDLE;
        d->staging_mem = VK_NULL_HANDLE;
        d->staging_size = 0;
        VkDeviceSize want = chunk < (1u << 20) ? (1u << 20) : chunk;
        TSI_VK_TRY(tsi_vk_staging_create(d, want, &d->staging_buf, &d->staging_mem,
                                         &d->staging_map));
        d->staging_size = want;
    }
    VkBuffer sb = d->staging_buf;
    void *map = d->staging_map;
    ts_status st = TS_OK;
    for (size_t done = 0; done < bytes && st == TS_OK; done += chunk) {
        size_t n = bytes - done < chunk ? bytes - done : chunk;
        if (upload)
            memcpy(map, (char *)host + done, n);
        VkCommandBuffer cmd;
        if ((st = tsi_vk_cmd(d, &cmd)) != TS_OK)
            break;
        VkBufferCopy region = {0, b->offset + offset + done, n};
        if (upload) {
            vkCmdCopyBuffer(cmd, sb, b->block->buf, 1, &region);
        } else {
            region.srcOffset = region.dstOffset;
            region.dstOffset = 0;
            vkCmdCopyBuffer(cmd, b->block->buf, sb, 1, &region);
        }
        tsi_vk_mark_used(d, b);
        tsi_vk_full_barrier(d, cmd);
        if ((st = tsi_vk_wait_idle(d)) != TS_OK)
            break;
        if (!upload)
            memcpy((char *)host + done, map, n);
    }
    return st;
}

static ts_status vk_buffer_write(tsi_device *d, tsi_buffer *b, size_t offset, const void *src,
                                 size_t bytes)
{
    TSI_VK_TRY(tsi_vk_check_validation());
    /* Ordered after recorded work: wait only if that work touches b. */
    if (tsi_vk_buffer_busy(d, b))
        TSI_VK_TRY(tsi_vk_wait_idle(d));
    if (b->block->map) {
        memcpy((char *)b->block->map + b->offset + offset, src, bytes);
        return TS_OK;
    }
    TSI_VK_TRY(tsi_vk_wait_idle(d));
    return staged(d, b, offset, (void *)src, bytes, true);
}

static ts_status vk_buffer_read(tsi_device *d, tsi_buffer *b, size_t offset, void *dst,
                                size_t bytes)
{
    TSI_VK_TRY(tsi_vk_check_validation());
    if (tsi_vk_buffer_busy(d, b))
        TSI_VK_TRY(tsi_vk_wait_idle(d));
    TSI_VK_TRY(tsi_vk_check_validation());
    if (b->block->map) {
        memcpy(dst, (const char *)b->block->map + b->offset + offset, bytes);
        return TS_OK;
    }
    TSI_VK_TRY(tsi_vk_wait_idle(d));
    return staged(d, b, offset, dst, bytes, false);
}

static ts_status vk_sync(tsi_device *d)
{
    TSI_VK_TRY(tsi_vk_check_validation());
    TSI_VK_TRY(tsi_vk_wait_idle(d));
    return tsi_vk_check_validation();
}

static const tsi_backend k_backend = {
    .abi_version = TSI_BACKEND_ABI_VERSION,
    .name = "vulkan",
    .init = vk_init,
    .shutdown = vk_shutdown,
    .device_count = vk_device_count,
    .device_info = vk_device_info,
    .device_open = vk_device_open,
    .device_close = vk_device_close,
    .buffer_alloc = vk_buffer_alloc,
    .buffer_free = vk_buffer_free,
    .buffer_write = vk_buffer_write,
    .buffer_read = vk_buffer_read,
    .kernels = tsi_vk_kernels,
    .n_kernels = TSI_OP_COUNT,
    .op_size = sizeof(tsi_op),
    .sync = vk_sync,
};

__attribute__((visibility("default"))) const tsi_backend *
tessel_backend_entry_v2(uint32_t abi_version, uint32_t op_size);

__attribute__((visibility("default"))) const tsi_backend *
tessel_backend_entry_v2(uint32_t abi_version, uint32_t op_size)
{
    return tsi_backend_abi_ok(abi_version, op_size) ? &k_backend : NULL;
}
