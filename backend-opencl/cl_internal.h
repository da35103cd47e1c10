/* Internals of the OpenCL backend module (libtessel-opencl.so).
 *
 * Layout: cl_backend.c (entry table, platforms/devices, capabilities),
 * cl_device.c (context, queue, buffers, errors), cl_launch.c (kernel
 * arguments, launches, flush policy), cl_program_cache.c (programs built
 * from the kernels generated from shaders/<family>.kern, kept in memory
 * and as binaries on disk), cl_tuning.c (the device's tuning values),
 * cl_gpu.c (launches for the GPU host code shared with Vulkan,
 * backend-gpu/gpu.h), cl_kernels.c (the kernel table), cl_matmul.c
 * (CLBlast GEMM).
 *
 * Ops are not written here: each kernel family is one shaders/<family>.kern
 * plus its host file in backend-gpu/, shared with Vulkan. A program is
 * built once per distinct set of launch constants (-DNAME=<value>u) and
 * cached in memory (per device) and on disk (binaries). Kernel objects are
 * cached too: core serializes calls per device, so a cached cl_kernel can
 * have its arguments set and be enqueued safely. */
#ifndef TESSEL_BACKEND_OPENCL_CL_INTERNAL_H
#define TESSEL_BACKEND_OPENCL_CL_INTERNAL_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend-gpu/gpu.h"
#include "core/backend.h"

#define TSI_CL_DEFINES_LEN 512

/* The device's workgroup widths (cl_tuning.c), seen by the shared GPU
 * host code through tsi_gpu_caps. */
typedef struct tsi_cl_tuning {
    const char *vendor; /* where the values came from, for logs */
    int ew_wg;          /* elementwise work-group width */
    int row_wg;         /* work-group size of the row ops (power of two) */
} tsi_cl_tuning;

/* Capabilities of one device, queried once in init. */
typedef struct tsi_cl_caps {
    cl_platform_id platform;
    cl_device_id device;
    ts_device_info info;
    char platform_name[128];
    char device_version[128];
    size_t max_wg;
    cl_ulong local_mem;
    cl_ulong max_alloc;
    bool fp16;
    bool own_binaries;  /* programs kept as binaries under the cache folder (cl_program_cache.c) */
    tsi_gpu_limits cut; /* TESSEL_GPU_LIMITS, applied to the fields above */
} tsi_cl_caps;

typedef struct tsi_cl_program tsi_cl_program; /* cl_program_cache.c */

/* A small write's host copy, kept until its transfer completes. */
typedef struct tsi_cl_staged {
    cl_event ev;
    size_t bytes;
    struct tsi_cl_staged *next; /* the copy follows the struct */
} tsi_cl_staged;

struct tsi_device {
    const tsi_host *host;
    const tsi_cl_caps *caps;
    tsi_cl_tuning tune;
    cl_context ctx;
    cl_command_queue queue;
    tsi_cl_program *programs; /* linked list, newest first */
    unsigned pending;         /* enqueues since the last clFlush */
    /* Host copies of small writes still being transferred (cl_device.c),
     * newest first, and their bytes: freed by this module's own calls
     * once their events complete, never from an event callback, which a
     * driver may run on its thread after the module is unloaded. */
    tsi_cl_staged *staged;
    size_t staged_bytes, n_staged;
    bool use_clblast;         /* TESSEL_OPENCL_GEMM != own and CLBlast built in */
    struct tsi_cl_fft *fft;   /* VkFFT's applications (cl_fft.c), NULL until the first FFT */
    tsi_gpu_caps gpu;         /* what the shared GPU host code sees */
    tsi_gpu_family_caps families; /* lower widths some kernel families learned */
};

struct tsi_buffer {
    cl_mem mem;
    size_t bytes;
};

typedef struct tsi_cl_state {
    const tsi_host *host;
    int count;
    tsi_cl_caps *devices;
} tsi_cl_state;

/* ---- errors (cl_device.c) ---------------------------------------------- */

/* Sets host->set_error("opencl: <what>: <CL name> (<code>)") and maps the
 * code: allocation failures to TS_ERR_OUT_OF_MEMORY, the rest to
 * TS_ERR_BACKEND. */
ts_status tsi_cl_error(const tsi_host *host, cl_int err, const char *what);
const char *tsi_cl_err_name(cl_int err);

#define TSI_CL_TRY(expr)                                                                           \
    do {                                                                                           \
        ts_status tsi_cl_st_ = (expr);                                                             \
        if (tsi_cl_st_ != TS_OK)                                                                   \
            return tsi_cl_st_;                                                                     \
    } while (0)

/* ---- devices (cl_backend.c / cl_device.c / cl_tuning.c) ---------------- */

ts_status tsi_cl_query_caps(const tsi_host *host, cl_platform_id p, cl_device_id d,
                            tsi_cl_caps *out);
ts_status tsi_cl_device_open(tsi_cl_state *st, int index, tsi_device **out);
void tsi_cl_device_close(tsi_device *dev);
ts_status tsi_cl_buffer_alloc(tsi_device *dev, size_t bytes, tsi_buffer **out);
void tsi_cl_buffer_free(tsi_device *dev, tsi_buffer *buf);
ts_status tsi_cl_buffer_write(tsi_device *dev, tsi_buffer *buf, size_t offset, const void *src,
                              size_t bytes);
ts_status tsi_cl_buffer_read(tsi_device *dev, tsi_buffer *buf, size_t offset, void *dst,
                             size_t bytes);
ts_status tsi_cl_sync(tsi_device *dev);
/* The values of the tuning database (host->tuning) for the device, then
 * TESSEL_OPENCL_TUNE, clamped to the device's limits. */
void tsi_cl_tuning_pick(const tsi_host *host, const tsi_cl_caps *caps, tsi_cl_tuning *out);
/* Hand CLBlast tuned Xgemm parameters where the database has a complete
 * set for the device (cl_clblast_tune.c); otherwise leave CLBlast's own. */
void tsi_cl_clblast_tune(const tsi_host *host, const tsi_cl_caps *caps);

/* ---- programs and kernels (cl_program_cache.c) ------------------------- */

/* The kernel `name` of the embedded program <file> (generated from
 * shaders/<family>.kern) built with `defines`. */
ts_status tsi_cl_get_kernel(tsi_device *dev, const char *file, const char *defines,
                            const char *name, cl_kernel *out);
void tsi_cl_programs_release(tsi_device *dev);
/* Programs compiled from source in this process (not loaded from the disk
 * cache); also logged at debug level, one line per program. */
int tsi_cl_programs_compiled(void);
/* Whether tessel keeps this device's programs as binaries on disk, or
 * leaves that to the driver's own cache (TESSEL_OPENCL_BINARIES). */
bool tsi_cl_own_binaries(const tsi_cl_caps *caps);

/* Append printf-style text to a defines buffer (truncation is caught by
 * tsi_cl_get_kernel, which rejects a buffer filled to the brim). */
void tsi_cl_appendf(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- kernel arguments and launch -------------------------------------- */

typedef struct tsi_cl_args {
    cl_kernel k;
    cl_uint n;
    cl_int err; /* first failure, CL_SUCCESS otherwise */
    cl_uint failed_at;
} tsi_cl_args;

tsi_cl_args tsi_cl_args_begin(cl_kernel k);
void tsi_cl_arg(tsi_cl_args *a, size_t size, const void *value);
void tsi_cl_arg_mem(tsi_cl_args *a, const tsi_buffer *buf); /* NULL buf: a NULL cl_mem */
/* Checks the arguments, then clEnqueueNDRangeKernel; local may be NULL. */
ts_status tsi_cl_launch(tsi_device *dev, const tsi_cl_args *a, cl_uint dims, const size_t *global,
                        const size_t *local, const char *what);
/* The largest work-group this kernel of family runs on this device
 * (register use can make it smaller than the device's maximum; so can
 * TESSEL_GPU_LIMITS=kernel_wg). */
size_t tsi_cl_kernel_max_wg(const tsi_device *dev, cl_kernel k, const char *family);
/* Count an enqueue made outside tsi_cl_launch (CLBlast) for the flush policy. */
void tsi_cl_note_enqueue(tsi_device *dev);

/* ---- ops (cl_ops.c and one file per family) ---------------------------- */

/* The kernel table, indexed by tsi_op_code (cl_kernels.c). */
extern const tsi_kernel tsi_cl_kernels_table[TSI_OP_COUNT];
void tsi_cl_gpu_caps_init(tsi_device *dev);
bool tsi_cl_supports(tsi_device *dev, const tsi_op *op);

bool tsi_cl_matmul_supports(tsi_device *dev, const tsi_op *op); /* CLBlast, else gpu_matmul.c */
ts_status tsi_cl_matmul_plan(tsi_device *dev, const tsi_op *op, tsi_plan *out);
ts_status tsi_cl_matmul_record(tsi_device *dev, const tsi_op *op);
void tsi_cl_matmul_device_closed(tsi_device *dev); /* drops CLBlast's cache */

/* FFT (cl_fft.c): VkFFT's applications (backend-gpu/gpu_vkfft.h). */
void tsi_cl_fft_device_closed(tsi_device *dev);
/* "vkfft 1.2.26" or "own kernels (why)", for the device's features. */
/* The FFT path line of tessel-info; cpu_device: an OpenCL CPU runtime. */
void tsi_cl_fft_describe(bool cpu_device, char *buf, size_t len);

#endif
