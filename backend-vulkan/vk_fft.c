/* TSI_OP_FFT on Vulkan: VkFFT (https://github.com/DTolm/VkFFT, MIT) where
 * it runs the op, the own kernels (backend-gpu/gpu_fft.c) elsewhere.
 *
 * VkFFT is header-only and static: this is the one file of the module
 * that includes it (with backend-gpu/gpu_vkfft_app.h, what it does alike
 * with cl_fft.c). One VkFFT application per shape (kind, direction, n,
 * batch) is made on first use, with its kernels compiled through glslang
 * or loaded from the cache folder (backend-gpu/gpu_vkfft.c), and kept in
 * the device's cache (tsi_vkfft_apps, gpu_vkfft.h). Each owns its buffer
 * (gpu_vkfft.h says why); an op is recorded as
 *
 *     [fill work 0] - stage in - barrier - VkFFT - barrier - stage out
 *
 * into the device's open command buffer, so it batches with every other
 * op. The barriers are full ones: VkFFT's dispatches bypass the hazard
 * tracking of tsi_vk_dispatch. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend-gpu/gpu_kernels.h"
#include "backend-gpu/gpu_vkfft.h"
#include "vk_internal.h"

#ifdef TESSEL_HAVE_VKFFT
#define VKFFT_BACKEND 0
/* VkFFT prints a failed kernel's source and log to stdout; the library
 * never prints (the failure reaches the log callback from app_init). */
#define printf(...) ((void)0)
#include <vkFFT.h>
#undef printf

#include "backend-gpu/gpu_vkfft_app.h"

/* What one VkFFT append counts as toward the submission batch. */
#define VK_FFT_DISPATCH_WEIGHT 4u

typedef struct vk_fft_app {
    tsi_vkfft_shape shape;
    VkFFTApplication *app;
    uint64_t bytes;     /* VkFFT keeps pointers to this and to block.buf */
    tsi_vk_block block; /* the work buffer: a VkBuffer + memory of its own */
    tsi_buffer work;
} vk_fft_app;

struct tsi_vk_fft {
    VkPhysicalDevice pd; /* VkFFT takes pointers to these */
    VkFence fence;       /* VkFFT's uploads while it makes an application */
    tsi_vkfft_apps apps;
};

/* glslang's process-wide state is set up and torn down by each
 * initializeVkFFT: devices opened on several threads take turns. */
static pthread_mutex_t compile_lock = PTHREAD_MUTEX_INITIALIZER;

static void app_destroy(tsi_device *d, void *app)
{
    vk_fft_app *a = app;
    if (!a)
        return;
    tsi_vkfft_app_free(a->app);
    if (a->block.buf)
        vkDestroyBuffer(d->dev, a->block.buf, NULL);
    if (a->block.mem)
        vkFreeMemory(d->dev, a->block.mem, NULL);
    free(a);
}

void tsi_vk_fft_device_closed(tsi_device *d)
{
    struct tsi_vk_fft *f = d->fft;
    if (!f)
        return;
    for (int i = 0; i < f->apps.n; i++)
        app_destroy(d, f->apps.slot[i].app);
    if (f->fence)
        vkDestroyFence(d->dev, f->fence, NULL);
    free(f);
    d->fft = NULL;
}

static struct tsi_vk_fft *state_of(tsi_device *d)
{
    if (d->fft)
        return d->fft;
    struct tsi_vk_fft *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    VkFenceCreateInfo fi = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    if (vkCreateFence(d->dev, &fi, NULL, &f->fence) != VK_SUCCESS) {
        free(f);
        return NULL;
    }
    f->pd = d->phys->pd;
    d->fft = f;
    return f;
}

/* The work buffer: storage for VkFFT, transfer for the zero fill. Its
 * tsi_buffer lets the staging ops bind it like any tensor. */
static ts_status work_create(tsi_device *d, vk_fft_app *a)
{
    VkBufferCreateInfo bi = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .size = a->bytes,
                             .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
                                      VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                      VK_BUFFER_USAGE_TRANSFER_DST_BIT};
    VkResult r = vkCreateBuffer(d->dev, &bi, NULL, &a->block.buf);
    if (r != VK_SUCCESS)
        return tsi_vk_result(r, "vkCreateBuffer");
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(d->dev, a->block.buf, &req);
    if (!(req.memoryTypeBits & (1u << d->memory.type_index)))
        return TSI_VK_FAIL(TS_ERR_BACKEND, "vulkan: VkFFT's buffer cannot use tensor memory");
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = req.size,
                               .memoryTypeIndex = d->memory.type_index};
    r = vkAllocateMemory(d->dev, &ai, NULL, &a->block.mem);
    if (r != VK_SUCCESS)
        return tsi_vk_result(r, "vkAllocateMemory");
    r = vkBindBufferMemory(d->dev, a->block.buf, a->block.mem, 0);
    if (r != VK_SUCCESS)
        return tsi_vk_result(r, "vkBindBufferMemory");
    a->block.size = a->bytes;
    a->work = (tsi_buffer){.block = &a->block, .offset = 0, .size = a->bytes, .bytes = a->bytes};
    return TS_OK;
}

/* initializeVkFFT with the kernels from the cache when they are there. */
static VkFFTResult app_init(tsi_device *d, struct tsi_vk_fft *f, vk_fft_app *a)
{
    const tsi_vkfft_shape *s = &a->shape;
    VkFFTConfiguration c = tsi_vkfft_config(s, &a->bytes);
    c.physicalDevice = &f->pd;
    c.device = &d->dev;
    c.queue = &d->queue;
    c.commandPool = &d->cmd_pool;
    c.fence = &f->fence;

    char key[1024];
    tsi_vkfft_key(key, sizeof key, "vulkan", &d->info, VkFFTGetVersion(), s);
    size_t size = 0;
    void *bin = tsi_vkfft_cache_load(tsi_vk_host, key, &size);
    VkFFTResult r = VKFFT_ERROR_FAILED_TO_INITIALIZE;
    pthread_mutex_lock(&compile_lock);
    if (bin) {
        c.loadApplicationFromString = 1;
        c.loadApplicationString = bin;
        r = initializeVkFFT(a->app, c);
        if (r != VKFFT_SUCCESS) {
            tsi_vk_host->log(TS_LOG_INFO, "vkfft: cached kernels for %s failed to load (%d)", key,
                             (int)r);
            tsi_vkfft_app_delete(a->app);
            memset(a->app, 0, sizeof *a->app);
        }
        c.loadApplicationFromString = 0;
        c.loadApplicationString = NULL;
    }
    if (r != VKFFT_SUCCESS) {
        c.saveApplicationToString = 1;
        r = initializeVkFFT(a->app, c);
        if (r == VKFFT_SUCCESS)
            tsi_vkfft_cache_store(tsi_vk_host, key, a->app->saveApplicationString,
                                  (size_t)a->app->applicationStringSize);
    }
    pthread_mutex_unlock(&compile_lock);
    free(bin);
    if (r == VKFFT_SUCCESS && a->app->saveApplicationString) {
        /* Written to disk: no need to hold a second copy of the kernels. */
        free(a->app->saveApplicationString);
        a->app->saveApplicationString = NULL;
    }
    if (r != VKFFT_SUCCESS)
        tsi_vkfft_log_declined(tsi_vk_host, key, r);
    return r;
}

/* Before the cache drops an application, wait for work still using its
 * buffer (rare: only past TSI_VKFFT_APPS shapes). */
static bool retire(tsi_device *d, void *app)
{
    vk_fft_app *a = app;
    return !tsi_vk_buffer_busy(d, &a->work) || tsi_vk_wait_idle(d) == TS_OK;
}

static struct tsi_vkfft_apps *apps_of(tsi_device *d)
{
    struct tsi_vk_fft *f = state_of(d);
    return f ? &f->apps : NULL;
}

static void *app_make(tsi_device *d, const tsi_vkfft_shape *s)
{
    vk_fft_app *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->shape = *s;
    a->bytes = s->bytes;
    a->app = calloc(1, sizeof *a->app);
    if (!a->app || work_create(d, a) != TS_OK || app_init(d, d->fft, a) != VKFFT_SUCCESS) {
        app_destroy(d, a); /* deleteVkFFT is safe on a half-made application */
        return NULL;
    }
    return a;
}

/* VkFFT binds its work buffer whole: within the storage-buffer range and
 * the largest allocation. */
static uint64_t work_limit(tsi_device *d)
{
    uint64_t limit = d->limits.maxStorageBufferRange;
    if (d->phys->max_alloc && d->phys->max_alloc < limit)
        limit = d->phys->max_alloc;
    return limit < TSI_VKFFT_MAX_BYTES ? limit : TSI_VKFFT_MAX_BYTES;
}

static ts_status vkfft_record(tsi_device *d, const tsi_op *op, void *app)
{
    vk_fft_app *a = app;
    VkCommandBuffer cmd;
    if (tsi_vkfft_needs_zero(op, &a->shape)) {
        TSI_VK_TRY(tsi_vk_check_validation());
        TSI_VK_TRY(tsi_vk_cmd(d, &cmd));
        tsi_vk_full_barrier(d, cmd); /* after earlier readers of work */
        vkCmdFillBuffer(cmd, a->block.buf, 0, VK_WHOLE_SIZE, 0);
        tsi_vk_full_barrier(d, cmd);
        tsi_vk_mark_used(d, &a->work);
    }
    TSI_VK_TRY(tsi_vkfft_record_stage(d, op, &a->shape, &a->work, false));
    TSI_VK_TRY(tsi_vk_check_validation());
    TSI_VK_TRY(tsi_vk_cmd(d, &cmd));
    tsi_vk_full_barrier(d, cmd);
    VkFFTLaunchParams lp = {.commandBuffer = &cmd, .buffer = &a->block.buf};
    /* TESSEL_TEST_HOOK=vkfft_launch_fails: as an OpenCL driver that cannot
     * run a kernel VkFFT built at its local size (cl_fft.c). */
    VkFFTResult r = tsi_vk_host->test_hook("vkfft_launch_fails")
                        ? VKFFT_ERROR_FAILED_TO_LAUNCH_KERNEL
                        : VkFFTAppend(a->app, a->shape.inverse ? 1 : -1, &lp);
    tsi_vk_full_barrier(d, cmd);
    tsi_vk_mark_used(d, &a->work);
    d->frames[d->cur].dispatches += VK_FFT_DISPATCH_WEIGHT;
    if (r == VKFFT_ERROR_FAILED_TO_LAUNCH_KERNEL)
        return tsi_vkfft_launch_failed(d, &a->shape, (int)r);
    if (r != VKFFT_SUCCESS)
        return TSI_VK_FAIL(TS_ERR_BACKEND,
                           "vulkan: VkFFT could not record an FFT of length %lld: "
                           "VkFFT error %d",
                           (long long)a->shape.n, (int)r);
    return tsi_vkfft_record_stage(d, op, &a->shape, &a->work, true);
}

void tsi_vk_fft_describe(char *buf, size_t len)
{
    tsi_vkfft_describe(NULL, buf, len);
}

static const tsi_vkfft_driver driver = {
    .work_limit = work_limit,
    .apps = apps_of,
    .make = app_make,
    .retire = retire,
    .destroy = app_destroy,
    .record = vkfft_record,
};

const tsi_vkfft_driver *tsi_gpu_vkfft_driver(void)
{
    return &driver;
}

#else /* !TESSEL_HAVE_VKFFT */

const tsi_vkfft_driver *tsi_gpu_vkfft_driver(void)
{
    return NULL;
}

void tsi_vk_fft_device_closed(tsi_device *d)
{
    (void)d;
}

void tsi_vk_fft_describe(char *buf, size_t len)
{
    snprintf(buf, len, "own kernels (built without VkFFT)");
}

#endif
