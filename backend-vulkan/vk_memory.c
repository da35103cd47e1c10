/* Device memory: large blocks (one VkDeviceMemory + one VkBuffer each)
 * sub-allocated with a first-fit free list, so a tensor never costs a
 * vkAllocateMemory (drivers cap the count at maxMemoryAllocationCount, 4096
 * on some). Blocks are host-mapped when their memory type is host-visible
 * and coherent (UMA, lavapipe, resizable BAR); only coherent memory is ever
 * mapped, so no flush/invalidate by nonCoherentAtomSize is needed.
 *
 * Test hooks: TESSEL_TEST_HOOK=vulkan_no_map never maps blocks, so UMA
 * devices test the staging path too; TESSEL_TEST_HOOK=vulkan_heap_limit caps this device's usable
 * memory at TSI_VK_TEST_HEAP_LIMIT so the OOM test exhausts it without
 * eating the host's RAM (lavapipe's "device memory" is host memory). */
#include <stdlib.h>
#include <string.h>

#include "vk_internal.h"

#define TSI_VK_BLOCK_BYTES (64ull << 20)
#define TSI_VK_TEST_HEAP_LIMIT (256ull << 20)

static VkDeviceSize align_up(VkDeviceSize v, VkDeviceSize a)
{
    return (v + a - 1) / a * a;
}

static int find_type(const VkPhysicalDeviceMemoryProperties *mp, uint32_t bits,
                     VkMemoryPropertyFlags want)
{
    for (uint32_t i = 0; i < mp->memoryTypeCount; i++)
        if ((bits & (1u << i)) && (mp->memoryTypes[i].propertyFlags & want) == want)
            return (int)i;
    return -1;
}

ts_status tsi_vk_memory_init(tsi_device *d)
{
    tsi_vk_memory *m = &d->memory;
    const VkPhysicalDeviceMemoryProperties *mp = &d->phys->mem;
    /* Probe the memory types a storage buffer may use. */
    VkBufferCreateInfo bi = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .size = 4096, .usage = TSI_VK_TENSOR_USAGE};
    VkBuffer probe;
    VkResult r = vkCreateBuffer(d->dev, &bi, NULL, &probe);
    if (r != VK_SUCCESS)
        return tsi_vk_result(r, "vkCreateBuffer");
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(d->dev, probe, &req);
    vkDestroyBuffer(d->dev, probe, NULL);

    const VkMemoryPropertyFlags local = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
    const VkMemoryPropertyFlags host =
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    int t = -1;
    if (d->phys->uma)
        t = find_type(mp, req.memoryTypeBits, local | host);
    m->mapped = t >= 0;
    /* Test only: exercise the staging path of discrete GPUs on UMA devices. */
    if (tsi_vk_host->test_hook("vulkan_no_map"))
        m->mapped = false;
    if (t < 0)
        t = find_type(mp, req.memoryTypeBits, local);
    if (t < 0) {
        t = find_type(mp, req.memoryTypeBits, host);
        m->mapped = t >= 0;
    }
    int st = find_type(mp, req.memoryTypeBits, host | VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
    if (st < 0)
        st = find_type(mp, req.memoryTypeBits, host);
    if (t < 0 || st < 0)
        return TSI_VK_FAIL(TS_ERR_BACKEND, "vulkan: no usable memory type for storage buffers");
    m->type_index = (uint32_t)t;
    m->staging_type = (uint32_t)st;
    m->align = req.alignment;
    if (d->limits.minStorageBufferOffsetAlignment > m->align)
        m->align = d->limits.minStorageBufferOffsetAlignment;
    if (m->align < 256)
        m->align = 256;
    VkDeviceSize heap = mp->memoryHeaps[mp->memoryTypes[t].heapIndex].size;
    m->limit = heap;
    if (tsi_vk_host->test_hook("vulkan_heap_limit") && m->limit > TSI_VK_TEST_HEAP_LIMIT)
        m->limit = TSI_VK_TEST_HEAP_LIMIT;
    m->block_size = TSI_VK_BLOCK_BYTES;
    if (d->phys->max_alloc && m->block_size > d->phys->max_alloc)
        m->block_size = d->phys->max_alloc / m->align * m->align;
    if (m->block_size > m->limit / 4)
        m->block_size = align_up(m->limit / 4 > m->align ? m->limit / 4 : m->align, m->align);
    return TS_OK;
}

static void block_destroy(tsi_device *d, tsi_vk_block *b)
{
    if (b->buf)
        vkDestroyBuffer(d->dev, b->buf, NULL);
    if (b->mem)
        vkFreeMemory(d->dev, b->mem, NULL);
    d->memory.in_use -= b->size;
    free(b->free);
    free(b);
}

void tsi_vk_memory_destroy(tsi_device *d)
{
    tsi_vk_block *b = d->memory.blocks;
    while (b) {
        tsi_vk_block *n = b->next;
        block_destroy(d, b);
        b = n;
    }
    d->memory.blocks = NULL;
}

static ts_status block_create(tsi_device *d, VkDeviceSize size, tsi_vk_block **out)
{
    tsi_vk_memory *m = &d->memory;
    if (size > m->limit - (m->in_use < m->limit ? m->in_use : m->limit) || m->in_use >= m->limit)
        return TSI_VK_FAIL(TS_ERR_OUT_OF_MEMORY,
                           "vulkan: out of device memory (%llu bytes asked, %llu of %llu in use)",
                           (unsigned long long)size, (unsigned long long)m->in_use,
                           (unsigned long long)m->limit);
    tsi_vk_block *b = calloc(1, sizeof *b);
    if (!b || !(b->free = malloc(8 * sizeof *b->free))) {
        free(b);
        return TSI_VK_FAIL(TS_ERR_OUT_OF_MEMORY, "vulkan: out of host memory");
    }
    b->cap_free = 8;
    b->size = size;
    m->in_use += size;
    ts_status st = TS_OK;
    VkBufferCreateInfo bi = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .size = size, .usage = TSI_VK_TENSOR_USAGE};
    VkResult r = vkCreateBuffer(d->dev, &bi, NULL, &b->buf);
    if (r != VK_SUCCESS) {
        st = tsi_vk_result(r, "vkCreateBuffer");
        goto fail;
    }
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(d->dev, b->buf, &req);
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = req.size,
                               .memoryTypeIndex = m->type_index};
    r = vkAllocateMemory(d->dev, &ai, NULL, &b->mem);
    if (r != VK_SUCCESS) {
        st = tsi_vk_result(r, "vkAllocateMemory");
        goto fail;
    }
    r = vkBindBufferMemory(d->dev, b->buf, b->mem, 0);
    if (r == VK_SUCCESS && m->mapped)
        r = vkMapMemory(d->dev, b->mem, 0, VK_WHOLE_SIZE, 0, &b->map);
    if (r != VK_SUCCESS) {
        st = tsi_vk_result(r, "vkBindBufferMemory/vkMapMemory");
        goto fail;
    }
    b->free[0] = (tsi_vk_range){0, size};
    b->n_free = 1;
    b->next = m->blocks;
    m->blocks = b;
    *out = b;
    return TS_OK;
fail:
    block_destroy(d, b);
    return st;
}

static bool block_take(tsi_vk_block *b, VkDeviceSize size, VkDeviceSize *off)
{
    for (int i = 0; i < b->n_free; i++) {
        if (b->free[i].size < size)
            continue;
        *off = b->free[i].off;
        b->free[i].off += size;
        b->free[i].size -= size;
        if (b->free[i].size == 0) {
            memmove(&b->free[i], &b->free[i + 1], (size_t)(b->n_free - i - 1) * sizeof *b->free);
            b->n_free--;
        }
        b->live++;
        return true;
    }
    return false;
}

/* size bytes at *off in a block with room, else in a new block. */
static ts_status place(tsi_device *d, VkDeviceSize size, tsi_vk_block **out, VkDeviceSize *off)
{
    tsi_vk_memory *m = &d->memory;
    for (tsi_vk_block *b = m->blocks; b; b = b->next)
        if (block_take(b, size, off)) {
            *out = b;
            return TS_OK;
        }
    VkDeviceSize bs = size > m->block_size ? size : m->block_size;
    ts_status st = block_create(d, bs, out);
    if (st == TS_ERR_OUT_OF_MEMORY && bs > size)
        st = block_create(d, size, out); /* a block just big enough may still fit */
    if (st == TS_OK)
        block_take(*out, size, off);
    return st;
}

ts_status tsi_vk_mem_alloc(tsi_device *d, size_t bytes, tsi_buffer **out)
{
    tsi_vk_memory *m = &d->memory;
    *out = NULL;
    if ((VkDeviceSize)bytes > d->limits.maxStorageBufferRange)
        return TSI_VK_FAIL(TS_ERR_OVERFLOW,
                           "vulkan: %zu bytes exceed maxStorageBufferRange (%u) of this device",
                           bytes, d->limits.maxStorageBufferRange);
    if (d->phys->max_alloc && (VkDeviceSize)bytes > d->phys->max_alloc)
        return TSI_VK_FAIL(TS_ERR_OVERFLOW,
                           "vulkan: %zu bytes exceed maxMemoryAllocationSize (%llu) of this device",
                           bytes, (unsigned long long)d->phys->max_alloc);
    VkDeviceSize size = align_up(bytes, m->align);
    tsi_buffer *buf = calloc(1, sizeof *buf);
    if (!buf)
        return TSI_VK_FAIL(TS_ERR_OUT_OF_MEMORY, "vulkan: out of host memory");
    /* Buffers freed while recorded work still uses them wait for it
     * (tsi_vk_defer_free), so a layer's temporaries pile up within one
     * stretch of recording (ts_fftconv's matmul path: 1.4 GiB held for 450
     * MiB live). Out of memory, finish that work, which gives them back,
     * and look once more. */
    tsi_vk_block *b = NULL;
    ts_status st = place(d, size, &b, &buf->offset);
    if (st == TS_ERR_OUT_OF_MEMORY && d->deferred && (st = tsi_vk_wait_idle(d)) == TS_OK)
        st = place(d, size, &b, &buf->offset);
    if (st != TS_OK) {
        free(buf);
        return st;
    }
    buf->block = b;
    buf->size = size;
    buf->bytes = bytes;
    *out = buf;
    return TS_OK;
}

static bool free_insert(tsi_vk_block *b, VkDeviceSize off, VkDeviceSize size)
{
    int i = 0;
    while (i < b->n_free && b->free[i].off < off)
        i++;
    bool merge_prev = i > 0 && b->free[i - 1].off + b->free[i - 1].size == off;
    bool merge_next = i < b->n_free && off + size == b->free[i].off;
    if (merge_prev && merge_next) {
        b->free[i - 1].size += size + b->free[i].size;
        memmove(&b->free[i], &b->free[i + 1], (size_t)(b->n_free - i - 1) * sizeof *b->free);
        b->n_free--;
    } else if (merge_prev) {
        b->free[i - 1].size += size;
    } else if (merge_next) {
        b->free[i].off = off;
        b->free[i].size += size;
    } else {
        if (b->n_free == b->cap_free) {
            tsi_vk_range *n = realloc(b->free, (size_t)b->cap_free * 2 * sizeof *n);
            if (!n)
                return false; /* the range leaks until the block dies */
            b->free = n;
            b->cap_free *= 2;
        }
        memmove(&b->free[i + 1], &b->free[i], (size_t)(b->n_free - i) * sizeof *b->free);
        b->free[i] = (tsi_vk_range){off, size};
        b->n_free++;
    }
    return true;
}

void tsi_vk_mem_release(tsi_device *d, tsi_buffer *buf)
{
    tsi_vk_block *b = buf->block;
    free_insert(b, buf->offset, buf->size);
    b->live--;
    free(buf);
    if (b->live > 0)
        return;
    /* Keep one empty block of the default size for reuse; give back others
     * so freeing after an OOM really returns the memory. */
    tsi_vk_memory *m = &d->memory;
    int empty = 0;
    for (tsi_vk_block *o = m->blocks; o; o = o->next)
        if (o->live == 0)
            empty++;
    if (empty <= 1 && b->size == m->block_size)
        return;
    tsi_vk_block **pp = &m->blocks;
    while (*pp != b)
        pp = &(*pp)->next;
    *pp = b->next;
    block_destroy(d, b);
}

ts_status tsi_vk_staging_create(tsi_device *d, VkDeviceSize size, VkBuffer *buf,
                                VkDeviceMemory *mem, void **map)
{
    *buf = VK_NULL_HANDLE;
    *mem = VK_NULL_HANDLE;
    VkBufferCreateInfo bi = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .size = size,
                             .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                      VK_BUFFER_USAGE_TRANSFER_DST_BIT};
    VkResult r = vkCreateBuffer(d->dev, &bi, NULL, buf);
    if (r != VK_SUCCESS)
        return tsi_vk_result(r, "vkCreateBuffer(staging)");
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(d->dev, *buf, &req);
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = req.size,
                               .memoryTypeIndex = d->memory.staging_type};
    r = vkAllocateMemory(d->dev, &ai, NULL, mem);
    if (r == VK_SUCCESS)
        r = vkBindBufferMemory(d->dev, *buf, *mem, 0);
    if (r == VK_SUCCESS)
        r = vkMapMemory(d->dev, *mem, 0, VK_WHOLE_SIZE, 0, map);
    if (r != VK_SUCCESS) {
        tsi_vk_staging_destroy(d, *buf, *mem);
        *buf = VK_NULL_HANDLE;
        *mem = VK_NULL_HANDLE;
        return tsi_vk_result(r, "staging memory");
    }
    return TS_OK;
}

void tsi_vk_staging_destroy(tsi_device *d, VkBuffer buf, VkDeviceMemory mem)
{
    if (buf)
        vkDestroyBuffer(d->dev, buf, NULL);
    if (mem)
        vkFreeMemory(d->dev, mem, NULL);
}
