/* tessel — context, devices, logging.
 *
 * A ts_context loads the backends (CPU always; Vulkan and OpenCL as run-time
 * modules when their driver stack is present) and owns every ts_device it
 * offers. Devices are borrowed handles: valid until ts_context_destroy.
 *
 * Thread safety (tests/test_threads.c, run under TSan by scripts/test.sh):
 * - Every function may be called from several threads at once: each thread
 *   with a context of its own, or all sharing one context and its devices.
 * - Calls that touch one device are serialized by that device's lock; the
 *   work they record runs in the order the calls took it. Two threads'
 *   calls interleave in an order tessel does not choose.
 * - A tensor may be an input (or the source of a view, a copy or a read) in
 *   several threads at once. A tensor written (an op output,
 *   ts_tensor_write) in one thread while another uses it ends with
 *   unspecified contents: order such calls yourself.
 * - ts_tensor_destroy must not race with another call using that handle
 *   (other views of the same storage are independent handles);
 *   ts_context_destroy must not race with any call on that context, its
 *   devices or its tensors.
 * - ts_last_error is per thread. The log callback may be swapped at any
 *   time and is called from any thread, from several at once. */
#ifndef TESSEL_CONTEXT_H
#define TESSEL_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "tessel/export.h"
#include "tessel/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ts_context ts_context;
typedef struct ts_device ts_device;

/* Create a context. Honors the environment:
 *   TESSEL_BACKENDS=cpu,vulkan   load only these backends (default: all)
 *   TESSEL_DEVICE=vulkan:0       what ts_device_default returns
 *   TESSEL_MODULE_PATH=dir       where backend modules are looked for first
 * A backend whose driver is missing is skipped (logged), never an error. */
TS_API ts_status ts_context_create(ts_context **out);
TS_API void ts_context_destroy(ts_context *ctx);

/* Detailed message of the last failing call on this thread ("matmul: inner
 * dims differ: a is 4x7, b is 8x3"). Never NULL; "" when none. The message
 * is per thread, so ctx may be NULL (e.g. after ts_context_create failed). */
TS_API const char *ts_last_error(const ts_context *ctx);

typedef enum ts_device_kind {
    TS_DEVICE_DISCRETE_GPU = 0,
    TS_DEVICE_INTEGRATED_GPU = 1,
    TS_DEVICE_CPU = 2,          /* the tessel CPU backend */
    TS_DEVICE_SOFTWARE = 3,     /* a software GPU driver: lavapipe, PoCL, SwiftShader */
    TS_DEVICE_OTHER = 4
} ts_device_kind;

/* What a device does with f32 subnormals (docs/numerics.md): kept, as
 * IEEE says and the CPU backend does; flushed to a zero of the same sign;
 * or unknown, where the driver cannot promise either and uses its own
 * default (which may flush). bf16 and c64 compute in f32 and follow it. */
typedef enum ts_denormals {
    TS_DENORMALS_UNKNOWN = 0,
    TS_DENORMALS_PRESERVED = 1,
    TS_DENORMALS_FLUSHED = 2
} ts_denormals;

typedef struct ts_device_info {
    char id[32];          /* "cpu:0", "vulkan:1", "opencl:0" (index within backend) */
    char backend[16];     /* "cpu", "vulkan", "opencl" */
    char name[256];
    char vendor[128];
    char driver[128];     /* driver name and version */
    ts_device_kind kind;
    uint32_t vendor_id;   /* PCI vendor id where known, else 0 */
    uint32_t device_id;
    uint64_t memory_bytes;        /* device-local memory (host RAM for CPU) */
    uint64_t max_alloc_bytes;     /* largest single buffer */
    uint32_t compute_units;       /* cores / CUs / SMs; 0 when the driver does not say */
    uint32_t max_workgroup_size;  /* 0 on CPU */
    uint32_t shared_memory_bytes; /* per workgroup; 0 on CPU */
    uint32_t subgroup_size;       /* 0 when unknown / not applicable */
    int fp16_arithmetic;          /* native half math */
    int fp16_storage;             /* 16-bit storage loads/stores */
    int bf16_native;              /* bf16 arithmetic in hardware */
    int unified_memory;
    int cooperative_matrix;
    char features[256];   /* backend specific: SIMD level, OpenBLAS core, extensions */
    ts_denormals denormals; /* f32 subnormals in this device's kernels */
} ts_device_info;

TS_API ts_status ts_device_count(ts_context *ctx, int *count);
TS_API ts_status ts_device_get(ts_context *ctx, int index, ts_device **out);
/* Find by id ("vulkan:0"); TS_ERR_NOT_FOUND when absent. */
TS_API ts_status ts_device_find(ts_context *ctx, const char *id, ts_device **out);
/* The device a desktop app wants: TESSEL_DEVICE if set, else a discrete GPU,
 * then an integrated GPU, then the CPU backend (software GPUs rank below
 * the CPU backend). */
TS_API ts_status ts_device_default(ts_context *ctx, ts_device **out);
TS_API ts_status ts_device_info_get(const ts_device *dev, ts_device_info *out);
/* The tuning values tessel's tuning database (docs/tuning.md) gives this
 * device, as one line for people: "key=value ..." with a "*" after each
 * value taken from the user tuning file, then where the values came from,
 * e.g. "gemm.bm=64 row_wg=128* ... (*: user file /x/tuning.txt; others
 * built-in)". These are the database's values; a backend still clamps
 * them to the device's limits. Truncated to len bytes, NUL-terminated. */
TS_API ts_status ts_device_tuning_summary(const ts_device *dev, char *buf, size_t len);
/* Wait until all work recorded on the device has finished. */
TS_API ts_status ts_device_sync(ts_device *dev);

/* Bytes of device memory held by tensors and internal temporaries of this
 * device right now, and the peak since the last reset (for measuring what
 * an op or layer allocates). Not counted: what a GPU device keeps for
 * VkFFT per transform shape, up to 24 shapes until the device closes (a
 * work buffer as large as the transform's data, and its kernels). */
TS_API ts_status ts_device_memory_stats(const ts_device *dev, uint64_t *in_use, uint64_t *peak);
TS_API ts_status ts_device_memory_reset_peak(ts_device *dev);

/* Op calls on this device that ran as a fallback since the context was
 * created: the backend had no kernel for a fused op (ts_glu today) or
 * declined it for that shape, so tessel ran the op as a composition of
 * simpler ops on the same device (logged at TS_LOG_INFO the first time per
 * op). Read it before and after a call to learn whether that call fell
 * back; other threads' calls on the device count too. */
TS_API ts_status ts_device_fallback_count(const ts_device *dev, uint64_t *count);

typedef enum ts_log_level {
    TS_LOG_DEBUG = 0,
    TS_LOG_INFO = 1,
    TS_LOG_WARN = 2,
    TS_LOG_ERROR = 3
} ts_log_level;

typedef void (*ts_log_fn)(ts_log_level level, const char *message, void *user);

/* Process-wide log sink; NULL (the default) discards everything. Messages
 * below min_level are not formatted at all. */
TS_API void ts_set_log_callback(ts_log_fn fn, void *user, ts_log_level min_level);

#ifdef __cplusplus
}
#endif
#endif
