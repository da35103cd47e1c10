/* What the two VkFFT paths (backend-vulkan/vk_fft.c, backend-opencl/
 * cl_fft.c) share, with no VkFFT include: the choice of path, the layout
 * of the buffer VkFFT transforms in place, the elementwise ops that move
 * an op's input into that buffer and its result out, and the on-disk
 * cache of VkFFT's compiled kernels (used on Vulkan; OpenCL relies on the
 * driver's cache, backend-opencl/cl_fft.c says why).
 *
 * Each VkFFT application owns one buffer ("work") laid out as VkFFT's
 * in-place transforms want it: `batch` rows of `row` complex numbers
 * (C2C: n; R2C / C2R: n/2 + 1, the real signal padded to 2(n/2 + 1)
 * floats). An op then runs as
 *
 *     [zero work when the input is shorter than the transform]
 *     stage in:  x -> work   (a copy, or a cast of f16/bf16 to f32)
 *     VkFFT in place on work (unnormalized)
 *     stage out: work -> y   (a copy, or y = scale * work; C2R's first m)
 *
 * through the shared elementwise kernels. Owning the buffer keeps VkFFT's
 * descriptor sets and compiled buffer sizes fixed for the application's
 * lifetime, so one application serves every tensor and the kernels it
 * compiled can be cached on disk by shape alone. */
#ifndef TESSEL_BACKEND_GPU_VKFFT_H
#define TESSEL_BACKEND_GPU_VKFFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend-gpu/gpu.h"

/* TESSEL_FFT: "own" forces the own kernels (backend-gpu/gpu_fft.c),
 * "vkfft" forces VkFFT (shapes it cannot run are declined instead of
 * handed to the own kernels); unset or anything else: VkFFT where it
 * works, the own kernels elsewhere. */
typedef enum tsi_vkfft_mode { TSI_VKFFT_AUTO = 0, TSI_VKFFT_OWN, TSI_VKFFT_ONLY } tsi_vkfft_mode;
tsi_vkfft_mode tsi_vkfft_mode_get(void);

/* One VkFFT application's shape: everything its kernels depend on. */
typedef struct tsi_vkfft_shape {
    int kind;         /* TSI_FFT_C2C / R2C / C2R */
    int inverse;      /* the exponent's sign is + (C2C inverse, C2R) */
    int64_t n, batch; /* transform length, rows */
    int64_t row;      /* complex numbers per row of work */
    uint64_t bytes;   /* of work */
} tsi_vkfft_shape;

/* The shape of op (a TSI_OP_FFT as core/op.h fixes it). */
void tsi_vkfft_shape_of(const tsi_op *op, tsi_vkfft_shape *out);
bool tsi_vkfft_same_shape(const tsi_vkfft_shape *a, const tsi_vkfft_shape *b);
/* Does the input leave part of each row of work to be zeroed first? */
bool tsi_vkfft_needs_zero(const tsi_op *op, const tsi_vkfft_shape *s);

/* The elementwise ops (TSI_OP_UNARY) that stage op's input into work and
 * work into op's output. clear_imag fills the ops that zero the imaginary
 * parts of C2R's bin 0 and (even n) bin n/2, which VkFFT does not ignore;
 * it returns how many (0 to 2). */
void tsi_vkfft_stage_in(const tsi_op *op, const tsi_vkfft_shape *s, tsi_buffer *work, tsi_op *out);
void tsi_vkfft_stage_out(const tsi_op *op, const tsi_vkfft_shape *s, tsi_buffer *work, tsi_op *out);
int tsi_vkfft_clear_imag(const tsi_op *op, const tsi_vkfft_shape *s, tsi_buffer *work,
                         tsi_op out[2]);
/* Can the shared elementwise kernels run every staging op of op? */
bool tsi_vkfft_stages_supported(tsi_device *dev, const tsi_op *op, const tsi_vkfft_shape *s);
/* Record every staging op before (after = false) or after VkFFT. */
ts_status tsi_vkfft_record_stage(tsi_device *dev, const tsi_op *op, const tsi_vkfft_shape *s,
                                 tsi_buffer *work, bool after);

/* A device's VkFFT applications (each holds compiled kernels and its work
 * buffer), made on first use; past TSI_VKFFT_APPS shapes the least
 * recently used is dropped. A shape VkFFT cannot run is remembered with
 * app NULL, so it is tried once. */
#define TSI_VKFFT_APPS 24
typedef struct tsi_vkfft_apps {
    struct {
        tsi_vkfft_shape shape;
        uint64_t used; /* LRU tick */
        void *app;     /* NULL: VkFFT declined this shape */
    } slot[TSI_VKFFT_APPS];
    int n;
    uint64_t tick;
} tsi_vkfft_apps;

/* VkFFT built s's kernels but could not launch them on dev
 * (VKFFT_ERROR_FAILED_TO_LAUNCH_KERNEL): on OpenCL, a driver that runs
 * fewer work-items of a kernel than the local size VkFFT chose from the
 * device's maximum (CL_INVALID_WORK_GROUP_SIZE, register pressure). The
 * Vulkan module takes the same way should VkFFT report it. Drops s's application
 * and declines VkFFT for s from now on (one info line in the log), and
 * returns TSI_REPLAN: core plans the op again, and the own kernels take
 * it (TESSEL_FFT=vkfft: unsupported). */
ts_status tsi_vkfft_launch_failed(tsi_device *dev, const tsi_vkfft_shape *s, int vkfft_error);

/* The parts of a GPU module's VkFFT that include vkFFT.h (vk_fft.c,
 * cl_fft.c); the routing between VkFFT and the own kernels and the
 * applications' cache are shared (gpu_vkfft.c). */
typedef struct tsi_vkfft_driver {
    /* Bytes of the largest work buffer VkFFT may use on dev (at most
     * TSI_VKFFT_MAX_BYTES); 0: VkFFT does not run there. */
    uint64_t (*work_limit)(tsi_device *dev);
    /* dev's applications; NULL when its VkFFT state cannot be made. */
    tsi_vkfft_apps *(*apps)(tsi_device *dev);
    /* A new application for s; NULL when VkFFT cannot run it here. */
    void *(*make)(tsi_device *dev, const tsi_vkfft_shape *s);
    /* Before a full cache drops app: wait for work still using its buffer;
     * false when that fails (app is then kept). NULL: nothing to wait for. */
    bool (*retire)(tsi_device *dev, void *app);
    void (*destroy)(tsi_device *dev, void *app);
    /* Record op on app: stage in, VkFFT, stage out. */
    ts_status (*record)(tsi_device *dev, const tsi_op *op, void *app);
} tsi_vkfft_driver;

/* The module's driver, or NULL when it was built without VkFFT. */
const tsi_vkfft_driver *tsi_gpu_vkfft_driver(void);

/* Work buffers above this go to the own kernels rather than grow a second
 * copy of the data. */
#define TSI_VKFFT_MAX_BYTES (1ull << 30)

/* Part of the cache key: bump it when the VkFFTConfiguration that
 * vk_fft.c / cl_fft.c fill changes, so no binary of an older one loads. */
#define TSI_VKFFT_CONFIG_VERSION 2 /* 2: disableMergeSequencesR2C */

/* The cache key of an application: VkFFT's version, the backend, the
 * device and driver (they decide VkFFT's kernels and the binary format),
 * and the shape. */
void tsi_vkfft_key(char *buf, size_t len, const char *backend, const ts_device_info *info,
                   int vkfft_version, const tsi_vkfft_shape *s);
/* The compiled kernels stored under key in host->cache_dir()/vkfft, or
 * NULL (malloc'd; *size bytes). A file that is unreadable, truncated,
 * fails its checksum or holds another key is ignored with a log line. */
void *tsi_vkfft_cache_load(const tsi_host *host, const char *key, size_t *size);
/* Store them, atomically (temp file + rename); failures are logged only. */
void tsi_vkfft_cache_store(const tsi_host *host, const char *key, const void *data, size_t size);

#endif
