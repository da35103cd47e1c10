/* Command recording and submission. Ops are recorded into the current
 * frame's command buffer; a barrier goes in only when a dispatch reads or
 * writes a range written since the last barrier, or writes a range read
 * since then (write-after-read needs an execution dependency too). A frame
 * is submitted on read-back, sync, or when it holds TSI_VK_BATCH dispatches
 * (bounded work per submission keeps driver watchdogs quiet) or runs out of
 * descriptor sets. TSI_VK_FRAMES frames rotate so the host records the next
 * batch while the device runs the previous one. */
#include <stdlib.h>
#include <string.h>

#include "vk_internal.h"

#define TSI_VK_BATCH 128u

ts_status tsi_vk_exec_init(tsi_device *d)
{
    d->no_barriers = tsi_vk_host->test_hook("vulkan_no_barriers");
    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                   .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                   .queueFamilyIndex = d->phys->queue_family};
    VkResult r = vkCreateCommandPool(d->dev, &pci, NULL, &d->cmd_pool);
    if (r != VK_SUCCESS)
        return tsi_vk_result(r, "vkCreateCommandPool");
    /* Each dispatch takes a set of storage buffers, and one of texel
     * buffers where its module reads them (tsi_vk_dispatch). */
    VkDescriptorPoolSize ps[2] = {
        {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, TSI_VK_SETS_PER_FRAME * d->n_bindings},
        {VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, TSI_VK_SETS_PER_FRAME * d->n_bindings}};
    for (int i = 0; i < TSI_VK_FRAMES; i++) {
        tsi_vk_frame *f = &d->frames[i];
        VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                          .commandPool = d->cmd_pool,
                                          .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                          .commandBufferCount = 1};
        r = vkAllocateCommandBuffers(d->dev, &ai, &f->cmd);
        if (r != VK_SUCCESS)
            return tsi_vk_result(r, "vkAllocateCommandBuffers");
        VkFenceCreateInfo fi = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
        r = vkCreateFence(d->dev, &fi, NULL, &f->fence);
        if (r != VK_SUCCESS)
            return tsi_vk_result(r, "vkCreateFence");
        VkDescriptorPoolCreateInfo dpi = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                          .maxSets = 2 * TSI_VK_SETS_PER_FRAME,
                                          .poolSizeCount = 2,
                                          .pPoolSizes = ps};
        r = vkCreateDescriptorPool(d->dev, &dpi, NULL, &f->pool);
        if (r != VK_SUCCESS)
            return tsi_vk_result(r, "vkCreateDescriptorPool");
    }
    d->next_serial = 1;
    return TS_OK;
}

/* The frame's texel views, once its work is done (or never submitted). */
static void destroy_views(tsi_device *d, tsi_vk_frame *f)
{
    for (uint32_t i = 0; i < f->n_views; i++)
        vkDestroyBufferView(d->dev, f->views[i], NULL);
    f->n_views = 0;
}

void tsi_vk_exec_destroy(tsi_device *d)
{
    for (int i = 0; i < TSI_VK_FRAMES; i++) {
        tsi_vk_frame *f = &d->frames[i];
        destroy_views(d, f);
        free(f->views);
        f->views = NULL;
        if (f->pool)
            vkDestroyDescriptorPool(d->dev, f->pool, NULL);
        if (f->fence)
            vkDestroyFence(d->dev, f->fence, NULL);
    }
    if (d->cmd_pool)
        vkDestroyCommandPool(d->dev, d->cmd_pool, NULL);
}

static void release_deferred(tsi_device *d)
{
    tsi_buffer **pp = &d->deferred;
    while (*pp) {
        tsi_buffer *b = *pp;
        if (b->last_use <= d->completed_serial) {
            *pp = b->next_deferred;
            tsi_vk_mem_release(d, b);
        } else {
            pp = &b->next_deferred;
        }
    }
}

static ts_status frame_wait(tsi_device *d, tsi_vk_frame *f)
{
    if (!f->in_flight)
        return TS_OK;
    /* No timeout of our own: a long kernel is not a hang, and the spec
     * ("Lost Device") makes an unbounded fence wait return in finite time
     * on a hung GPU, with VK_ERROR_DEVICE_LOST, which ends up below. */
    VkResult r = vkWaitForFences(d->dev, 1, &f->fence, VK_TRUE, UINT64_MAX);
    if (r != VK_SUCCESS) {
        if (r == VK_ERROR_DEVICE_LOST)
            d->lost = true;
        return tsi_vk_result(r, "vkWaitForFences");
    }
    vkResetFences(d->dev, 1, &f->fence);
    f->in_flight = false;
    if (f->serial > d->completed_serial)
        d->completed_serial = f->serial;
    release_deferred(d);
    return TS_OK;
}

void tsi_vk_full_barrier(tsi_device *d, VkCommandBuffer cmd)
{
    VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                          .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                          .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                                           VK_ACCESS_TRANSFER_READ_BIT |
                                           VK_ACCESS_TRANSFER_WRITE_BIT};
    VkPipelineStageFlags st =
        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
    vkCmdPipelineBarrier(cmd, st, st, 0, 1, &mb, 0, NULL, 0, NULL);
    d->n_reads = d->n_writes = 0;
    d->barrier_since_wrap = true;
}

/* The next range of the dummy ring for an absent binding; *hazard is set
 * when the ring came round without a barrier since it last did. */
static VkDescriptorBufferInfo dummy_range(tsi_device *d, bool *hazard)
{
    if (d->dummy_next == TSI_VK_DUMMY_RANGES) {
        d->dummy_next = 0;
        if (!d->barrier_since_wrap)
            *hazard = true;
        d->barrier_since_wrap = false;
    }
    VkDeviceSize at = d->dummy->offset + (VkDeviceSize)d->dummy_next++ * TSI_VK_DUMMY_BYTES;
    return (VkDescriptorBufferInfo){d->dummy->block->buf, at, TSI_VK_DUMMY_BYTES};
}

ts_status tsi_vk_cmd(tsi_device *d, VkCommandBuffer *out)
{
    if (d->lost)
        return TSI_VK_FAIL(TS_ERR_DEVICE_LOST, "vulkan: device lost");
    tsi_vk_frame *f = &d->frames[d->cur];
    if (!f->recording) {
        TSI_VK_TRY(frame_wait(d, f));
        vkResetDescriptorPool(d->dev, f->pool, 0);
        destroy_views(d, f);
        VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                       .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
        VkResult r = vkBeginCommandBuffer(f->cmd, &bi);
        if (r != VK_SUCCESS)
            return tsi_vk_result(r, "vkBeginCommandBuffer");
        f->recording = true;
        f->sets = f->dispatches = 0;
        f->serial = d->next_serial++;
        /* Orders this frame after the previous submissions' writes. */
        tsi_vk_full_barrier(d, f->cmd);
    }
    *out = f->cmd;
    return TS_OK;
}

ts_status tsi_vk_submit(tsi_device *d)
{
    tsi_vk_frame *f = &d->frames[d->cur];
    if (!f->recording)
        return TS_OK;
    /* Make every write of the frame visible to host reads of mapped memory. */
    VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                          .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                          .dstAccessMask = VK_ACCESS_HOST_READ_BIT};
    vkCmdPipelineBarrier(f->cmd,
                         VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                         VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, NULL, 0, NULL);
    f->recording = false;
    VkResult r = vkEndCommandBuffer(f->cmd);
    if (r != VK_SUCCESS)
        return tsi_vk_result(r, "vkEndCommandBuffer");
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                       .commandBufferCount = 1,
                       .pCommandBuffers = &f->cmd};
    r = vkQueueSubmit(d->queue, 1, &si, f->fence);
    if (r != VK_SUCCESS) {
        if (r == VK_ERROR_DEVICE_LOST)
            d->lost = true;
        return tsi_vk_result(r, "vkQueueSubmit");
    }
    f->in_flight = true;
    d->cur = (d->cur + 1) % TSI_VK_FRAMES;
    d->n_reads = d->n_writes = 0;
    return TS_OK;
}

ts_status tsi_vk_wait_idle(tsi_device *d)
{
    TSI_VK_TRY(tsi_vk_submit(d));
    ts_status st = TS_OK;
    for (int i = 0; i < TSI_VK_FRAMES; i++) {
        ts_status s = frame_wait(d, &d->frames[i]);
        if (st == TS_OK)
            st = s;
    }
    return st;
}

bool tsi_vk_buffer_busy(const tsi_device *d, const tsi_buffer *b)
{
    return b->last_use > d->completed_serial;
}

void tsi_vk_mark_used(tsi_device *d, tsi_buffer *b)
{
    b->last_use = d->frames[d->cur].serial;
}

void tsi_vk_defer_free(tsi_device *d, tsi_buffer *b)
{
    if (!tsi_vk_buffer_busy(d, b)) {
        tsi_vk_mem_release(d, b);
        return;
    }
    b->next_deferred = d->deferred;
    d->deferred = b;
}

static bool overlaps(const tsi_vk_hazard *set, int n, const tsi_buffer *b)
{
    for (int i = 0; i < n; i++)
        if (set[i].block == b->block && set[i].off < b->offset + b->size &&
            b->offset < set[i].off + set[i].size)
            return true;
    return false;
}

static void note(tsi_vk_hazard *set, int *n, const tsi_buffer *b)
{
    if (overlaps(set, *n, b))
        return;
    set[(*n)++] = (tsi_vk_hazard){b->block, b->offset, b->size};
}

void tsi_vk_grid_1d(const tsi_device *d, uint64_t groups, uint32_t *gx, uint32_t *gy)
{
    uint64_t maxx = d->limits.maxComputeWorkGroupCount[0];
    if (groups == 0)
        groups = 1;
    *gx = (uint32_t)(groups < maxx ? groups : maxx);
    *gy = (uint32_t)((groups + *gx - 1) / *gx);
}

/* An R32_UINT view of buf, kept until the frame's work is done. */
static ts_status texel_view(tsi_device *d, tsi_vk_frame *f, const tsi_buffer *buf,
                            VkBufferView *out)
{
    if (f->n_views == f->cap_views) {
        uint32_t cap = f->cap_views ? 2 * f->cap_views : 64;
        VkBufferView *v = realloc(f->views, cap * sizeof *v);
        if (!v)
            return TSI_VK_FAIL(TS_ERR_OUT_OF_MEMORY, "vulkan: out of host memory for texel views");
        f->views = v;
        f->cap_views = cap;
    }
    /* The caller (tsi_gpu_launch's texel_mask) checked the offset's
     * alignment; the range is clamped to whole words within the limit. */
    VkDeviceSize words = buf->size / 4;
    if (words > d->limits.maxTexelBufferElements)
        words = d->limits.maxTexelBufferElements;
    VkBufferViewCreateInfo vi = {.sType = VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO,
                                 .buffer = buf->block->buf,
                                 .format = VK_FORMAT_R32_UINT,
                                 .offset = buf->offset,
                                 .range = words * 4};
    VkResult r = vkCreateBufferView(d->dev, &vi, NULL, out);
    if (r != VK_SUCCESS)
        return tsi_vk_result(r, "vkCreateBufferView");
    f->views[f->n_views++] = *out;
    return TS_OK;
}

/* Set 1 for the bindings marked texel: their texel views. */
static ts_status bind_texels(tsi_device *d, tsi_vk_frame *f, VkCommandBuffer cmd,
                             const tsi_vk_binding *b, int nb)
{
    VkDescriptorSet set;
    VkDescriptorSetAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                      .descriptorPool = f->pool,
                                      .descriptorSetCount = 1,
                                      .pSetLayouts = &d->texel_layout};
    VkResult r = vkAllocateDescriptorSets(d->dev, &ai, &set);
    if (r != VK_SUCCESS)
        return tsi_vk_result(r, "vkAllocateDescriptorSets");
    VkBufferView views[TSI_VK_MAX_BINDINGS];
    VkWriteDescriptorSet writes[TSI_VK_MAX_BINDINGS];
    uint32_t n = 0;
    for (int i = 0; i < nb; i++) {
        if (!b[i].texel || !b[i].buf)
            continue;
        TSI_VK_TRY(texel_view(d, f, b[i].buf, &views[n]));
        writes[n] =
            (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                   .dstSet = set,
                                   .dstBinding = (uint32_t)i,
                                   .descriptorCount = 1,
                                   .descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER,
                                   .pTexelBufferView = &views[n]};
        n++;
    }
    vkUpdateDescriptorSets(d->dev, n, writes, 0, NULL);
    vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, d->pipe_layout, 1, 1, &set, 0,
                            NULL);
    return TS_OK;
}

ts_status tsi_vk_dispatch(tsi_device *d, VkPipeline pipeline, const tsi_vk_binding *b, int nb,
                          const void *push, uint32_t push_bytes, uint32_t gx, uint32_t gy,
                          uint32_t gz)
{
    TSI_VK_TRY(tsi_vk_check_validation());
    tsi_vk_frame *f = &d->frames[d->cur];
    if (f->recording && (f->sets >= TSI_VK_SETS_PER_FRAME || f->dispatches >= TSI_VK_BATCH))
        TSI_VK_TRY(tsi_vk_submit(d));
    VkCommandBuffer cmd;
    TSI_VK_TRY(tsi_vk_cmd(d, &cmd));
    f = &d->frames[d->cur];

    VkDescriptorSet set;
    VkDescriptorSetAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                      .descriptorPool = f->pool,
                                      .descriptorSetCount = 1,
                                      .pSetLayouts = &d->set_layout};
    VkResult r = vkAllocateDescriptorSets(d->dev, &ai, &set);
    if (r != VK_SUCCESS)
        return tsi_vk_result(r, "vkAllocateDescriptorSets");
    f->sets++;

    VkDescriptorBufferInfo infos[TSI_VK_MAX_BINDINGS];
    VkWriteDescriptorSet writes[TSI_VK_MAX_BINDINGS];
    bool hazard = d->n_reads + nb > TSI_VK_HAZARD_SLOTS || d->n_writes + nb > TSI_VK_HAZARD_SLOTS;
    for (int i = 0; i < (int)d->n_bindings; i++) {
        tsi_buffer *buf = i < nb ? b[i].buf : NULL;
        if (buf) {
            /* size is rounded up to the alignment: clamp to the binding limit. */
            VkDeviceSize range = buf->size < d->limits.maxStorageBufferRange
                                     ? buf->size
                                     : d->limits.maxStorageBufferRange;
            infos[i] = (VkDescriptorBufferInfo){buf->block->buf, buf->offset, range};
        } else {
            infos[i] = dummy_range(d, &hazard);
        }
        writes[i] = (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                           .dstSet = set,
                                           .dstBinding = (uint32_t)i,
                                           .descriptorCount = 1,
                                           .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                           .pBufferInfo = &infos[i]};
        if (buf) {
            if (overlaps(d->writes, d->n_writes, buf) ||
                (b[i].write && overlaps(d->reads, d->n_reads, buf)))
                hazard = true;
            tsi_vk_mark_used(d, buf);
        }
    }
    vkUpdateDescriptorSets(d->dev, d->n_bindings, writes, 0, NULL);
    if (hazard && !d->no_barriers)
        tsi_vk_full_barrier(d, cmd);
    for (int i = 0; i < nb; i++)
        if (b[i].buf)
            note(b[i].write ? d->writes : d->reads, b[i].write ? &d->n_writes : &d->n_reads,
                 b[i].buf);

    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
    vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, d->pipe_layout, 0, 1, &set, 0,
                            NULL);
    bool texels = false;
    for (int i = 0; i < nb; i++)
        texels |= b[i].texel && b[i].buf;
    if (texels)
        TSI_VK_TRY(bind_texels(d, f, cmd, b, nb));
    if (push_bytes)
        vkCmdPushConstants(cmd, d->pipe_layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes, push);
    vkCmdDispatch(cmd, gx, gy, gz);
    f->dispatches++;
    return TS_OK;
}
