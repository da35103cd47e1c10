/* TSI_OP_FFT on OpenCL: VkFFT (https://github.com/DTolm/VkFFT, MIT) where
 * it runs the op, the own kernels (backend-gpu/gpu_fft.c) elsewhere.
 *
 * The same scheme as backend-vulkan/vk_fft.c (the header's functions are
 * static, so each module includes it once; what both do alike with an
 * application is in backend-gpu/gpu_vkfft_app.h): one VkFFT application per
 * shape (kind, direction, n, batch), its programs built by the driver
 * (whose own cache keeps that cheap: see app_init), kept in the device's
 * cache (tsi_vkfft_apps, gpu_vkfft.h), each with its own buffer. An op is
 * enqueued on the device's in-order queue as
 *
 *     [fill work 0] - stage in - VkFFT - stage out
 *
 * so nothing waits and no barrier is needed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend-gpu/gpu_kernels.h"
#include "backend-gpu/gpu_vkfft.h"
#include "cl_internal.h"

#ifdef TESSEL_HAVE_VKFFT
#define VKFFT_BACKEND 3
/* VkFFT prints a failed program's source and build log to stdout; the
 * library never prints (the failure reaches the log callback from
 * app_init). */
#define printf(...) ((void)0)
#include <vkFFT.h>
#undef printf

#include "backend-gpu/gpu_vkfft_app.h"

typedef struct cl_fft_app {
    tsi_vkfft_shape shape;
    VkFFTApplication *app;
    uint64_t bytes; /* VkFFT keeps a pointer to it */
    tsi_buffer *work;
} cl_fft_app;

struct tsi_cl_fft {
    cl_platform_id platform; /* VkFFT takes pointers to these */
    cl_device_id device;
    tsi_vkfft_apps apps;
};

/* OpenCL keeps released buffers and kernels alive for the work queued on
 * them, so nothing here waits. */
static void app_destroy(tsi_device *dev, void *app)
{
    cl_fft_app *a = app;
    if (!a)
        return;
    tsi_vkfft_app_free(a->app);
    tsi_cl_buffer_free(dev, a->work);
    free(a);
}

void tsi_cl_fft_device_closed(tsi_device *dev)
{
    struct tsi_cl_fft *f = dev->fft;
    if (!f)
        return;
    for (int i = 0; i < f->apps.n; i++)
        app_destroy(dev, f->apps.slot[i].app);
    free(f);
    dev->fft = NULL;
}

static struct tsi_cl_fft *state_of(tsi_device *dev)
{
    if (!dev->fft) {
        dev->fft = calloc(1, sizeof *dev->fft);
        if (dev->fft) {
            dev->fft->platform = dev->caps->platform;
            dev->fft->device = dev->caps->device;
        }
    }
    return dev->fft;
}

/* initializeVkFFT for a's shape. */
static VkFFTResult app_init(tsi_device *dev, struct tsi_cl_fft *f, cl_fft_app *a)
{
    const tsi_vkfft_shape *s = &a->shape;
    VkFFTConfiguration c = tsi_vkfft_config(s, &a->bytes);
    c.platform = &f->platform;
    c.device = &f->device;
    c.context = &dev->ctx;

    /* No kernel cache of our own here: VkFFT 1.2.26 serializes OpenCL
     * program binaries with sprintf("%s"), so a binary format holding
     * zero bytes (PoCL's ELF) comes back cut short and every load fails
     * (VKFFT_ERROR_FAILED_TO_CREATE_PROGRAM). The driver's own cache keeps
     * the rebuild cheap (PoCL: $XDG_CACHE_HOME/pocl, keyed by source). */
    char key[1024];
    tsi_vkfft_key(key, sizeof key, "opencl", &dev->caps->info, VkFFTGetVersion(), s);
    VkFFTResult r = initializeVkFFT(a->app, c);
    if (r != VKFFT_SUCCESS)
        tsi_vkfft_log_declined(dev->host, key, r);
    return r;
}

static struct tsi_vkfft_apps *apps_of(tsi_device *dev)
{
    struct tsi_cl_fft *f = state_of(dev);
    return f ? &f->apps : NULL;
}

/* VkFFT sizes its work-groups for a GPU: up to CL_DEVICE_MAX_WORK_GROUP_SIZE
 * work-items, each with many registers. A CPU runtime runs a work-group as
 * one function that keeps every work-item's private values on its worker
 * thread's stack (PoCL 3.1: the process's default, 8 MiB here), and past
 * 2^16 points per transform that stack overflowed and the process died
 * (TESSEL_FFT=vkfft: n = 131072, and 32771, which VkFFT runs as Bluestein
 * over at least 2n - 1 points; 65536 and 4099 ran). Longer transforms are
 * declined there. */
#define CPU_DEVICE_MAX_POINTS 65536

/* Points of VkFFT's transform for length n, at least: n when its radices
 * (2 to 13) factor it, else Bluestein's padded 2n - 1. */
static int64_t vkfft_points(int64_t n)
{
    int64_t m = n;
    for (int64_t p = 2; p <= 13; p++)
        while (m % p == 0)
            m /= p;
    return m == 1 ? n : 2 * n - 1;
}

static void *app_make(tsi_device *dev, const tsi_vkfft_shape *s)
{
    if (dev->caps->info.kind == TS_DEVICE_SOFTWARE && vkfft_points(s->n) > CPU_DEVICE_MAX_POINTS) {
        dev->host->log(TS_LOG_INFO,
                       "vkfft: length %lld declined on a CPU device (its work-groups would "
                       "overflow the runtime's thread stacks)",
                       (long long)s->n);
        return NULL;
    }
    cl_fft_app *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->shape = *s;
    a->bytes = s->bytes;
    a->app = calloc(1, sizeof *a->app);
    if (!a->app || tsi_cl_buffer_alloc(dev, (size_t)a->bytes, &a->work) != TS_OK ||
        app_init(dev, dev->fft, a) != VKFFT_SUCCESS) {
        app_destroy(dev, a); /* deleteVkFFT is safe on a half-made application */
        return NULL;
    }
    return a;
}

/* On an OpenCL CPU device (PoCL) VkFFT compiles one program per shape at
 * about 10-20 s each, cold: the quick FFT cases took 1920 s there against
 * 188 s with the own kernels (one program per kernel family), and the own
 * kernels run within 1.3-3x of VkFFT on it (docs/tuning.md). So AUTO uses
 * VkFFT on GPUs and accelerators only; TESSEL_FFT=vkfft still forces it. */
static uint64_t work_limit(tsi_device *dev)
{
    if (tsi_vkfft_mode_get() != TSI_VKFFT_ONLY && dev->caps->info.kind == TS_DEVICE_SOFTWARE)
        return 0;
    uint64_t limit = dev->caps->max_alloc;
    return limit < TSI_VKFFT_MAX_BYTES ? limit : TSI_VKFFT_MAX_BYTES;
}

static ts_status vkfft_record(tsi_device *dev, const tsi_op *op, void *app)
{
    cl_fft_app *a = app;
    if (tsi_vkfft_needs_zero(op, &a->shape)) {
        cl_float zero = 0.0f;
        cl_int err = clEnqueueFillBuffer(dev->queue, a->work->mem, &zero, sizeof zero, 0,
                                         (size_t)a->bytes, 0, NULL, NULL);
        if (err != CL_SUCCESS)
            return tsi_cl_error(dev->host, err, "clEnqueueFillBuffer");
        tsi_cl_note_enqueue(dev);
    }
    TSI_CL_TRY(tsi_vkfft_record_stage(dev, op, &a->shape, a->work, false));
    VkFFTLaunchParams lp = {.commandQueue = &dev->queue, .buffer = &a->work->mem};
    /* TESSEL_TEST_HOOK=vkfft_launch_fails: as a driver that cannot run a
     * kernel VkFFT built at its local size. */
    VkFFTResult r = dev->host->test_hook("vkfft_launch_fails")
                        ? VKFFT_ERROR_FAILED_TO_LAUNCH_KERNEL
                        : VkFFTAppend(a->app, a->shape.inverse ? 1 : -1, &lp);
    tsi_cl_note_enqueue(dev);
    if (r == VKFFT_ERROR_FAILED_TO_LAUNCH_KERNEL)
        return tsi_vkfft_launch_failed(dev, &a->shape, (int)r);
    if (r != VKFFT_SUCCESS) {
        dev->host->set_error("opencl: VkFFT could not enqueue an FFT of length %lld: VkFFT "
                             "error %d",
                             (long long)a->shape.n, (int)r);
        return TS_ERR_BACKEND;
    }
    return tsi_vkfft_record_stage(dev, op, &a->shape, a->work, true);
}

/* No ';' in the text: tessel-info reads the path up to the next one. */
void tsi_cl_fft_describe(bool cpu_device, char *buf, size_t len)
{
    tsi_vkfft_describe(cpu_device ? "a CPU device: VkFFT's per-shape compiles cost more than "
                                    "they gain, TESSEL_FFT=vkfft forces it"
                                  : NULL,
                       buf, len);
}

/* No retire: OpenCL keeps a released buffer alive for the work queued on it. */
static const tsi_vkfft_driver driver = {
    .work_limit = work_limit,
    .apps = apps_of,
    .make = app_make,
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

void tsi_cl_fft_device_closed(tsi_device *dev)
{
    (void)dev;
}

void tsi_cl_fft_describe(bool cpu_device, char *buf, size_t len)
{
    (void)cpu_device;
    snprintf(buf, len, "own kernels (built without VkFFT)");
}

#endif
