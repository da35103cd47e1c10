/* The backend interface: the only door between core and a device.
 *
 * A backend is a table of functions. The CPU backend is compiled into the
 * core library; Vulkan and OpenCL are modules (libtessel-vulkan.so,
 * libtessel-opencl.so) that core dlopens and asks for their table through
 * the exported symbol TSI_BACKEND_ENTRY_SYMBOL. A module never calls core
 * symbols (they are hidden); what it needs from core comes in tsi_host.
 *
 * Core validates every op before a backend sees it, so backends never
 * re-check user input. Core also serializes all calls on one device with a
 * per-device lock: a backend needs no locking of its own except for state
 * shared between devices (e.g. an on-disk cache). */
#ifndef TESSEL_CORE_BACKEND_H
#define TESSEL_CORE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/op.h"
#include "tessel/context.h"

/* Version 2: kernel tables with plan hooks, and the op size check.
 * Version 3: the checked cache files (tsi_host's cache_load / store).
 * Version 4: record may return TSI_REPLAN. */
#define TSI_BACKEND_ABI_VERSION 4u
#define TSI_BACKEND_ENTRY_SYMBOL "tessel_backend_entry_v2"

/* Services core lends to a backend. */
typedef struct tsi_host {
    uint32_t abi_version;
    /* Set the calling thread's detailed error message (printf format). The
     * backend sets it right before returning a non-OK status. */
    void (*set_error)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
    /* Route a message to the user's log callback (silent by default). */
    void (*log)(ts_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
    /* Directory for caches ($XDG_CACHE_HOME/tessel or ~/.cache/tessel),
     * created on first call; NULL when none is usable. */
    const char *(*cache_dir)(void);
    /* A checked file in that folder (core/cache_file.c), name relative to
     * it ("opencl/<hash>.bin"; store makes its folder): load returns its
     * payload (malloc'd, *size bytes) only when the file's magic (8
     * bytes) and key are the caller's, its payload is at most max_size
     * bytes and its checksum holds, else NULL (a damaged or stale file is
     * logged). store writes atomically (temporary file and rename);
     * failures are logged only. */
    void *(*cache_load)(const char *name, const char *magic, const void *key, size_t key_len,
                        size_t max_size, size_t *size);
    void (*cache_store)(const char *name, const char *magic, const void *key, size_t key_len,
                        const void *data, size_t size);
    /* Test-only fault injection: returns a nonzero value when the named
     * hook is armed (TESSEL_TEST_HOOK=name in the environment). */
    int (*test_hook)(const char *name);
    /* The device's tuning value for `key` ("attention.q_tile"), or
     * fallback when no tuning row defines it. */
    int64_t (*tuning)(const ts_device_info *dev, const char *key, int64_t fallback);
} tsi_host;

typedef struct tsi_device tsi_device; /* backend-defined */
typedef struct tsi_buffer tsi_buffer; /* backend-defined */

/* One row of a backend's kernel table, indexed by tsi_op_code: the same
 * shape in every backend, so registering an op is one line per backend.
 * A row without record is an op the backend has no kernel for. */
typedef struct tsi_kernel {
    /* true when record(op) would run this op (dtypes, parameters, sizes
     * within the device's limits). NULL with a record: every op core can
     * hand over runs. Core turns false into a fallback, if the op has one
     * (core/fallback.c), or TS_ERR_UNSUPPORTED. */
    bool (*supports)(tsi_device *dev, const tsi_op *op);
    /* The kernel's plan for this op on this device: tile sizes, workgroup
     * shape and the workspace it needs, decided from the device's limits
     * and tuning entry by the backend that owns the kernel. Called after
     * supports() said yes; core allocates plan->workspace_bytes and hands
     * the buffer to record() as op->workspace. NULL: no plan, no workspace. */
    ts_status (*plan)(tsi_device *dev, const tsi_op *op, tsi_plan *out);
    /* Record the op; it runs in order after everything recorded before.
     * May return TSI_REPLAN (below). */
    ts_status (*record)(tsi_device *dev, const tsi_op *op);
} tsi_kernel;

/* What record returns when the plan relied on something the backend
 * learns only while recording: an OpenCL driver may build a kernel that
 * runs fewer work-items than the device's maximum, the width the plan
 * chose (CL_KERNEL_WORK_GROUP_SIZE, register pressure), or refuse to
 * launch a kernel VkFFT built. The backend has lowered that kernel
 * family's limit, or declined VkFFT for the shape, before returning it,
 * and sets an error message; core plans and records the op again, or runs
 * its fallback when supports() now says no (core/dispatch.c). Never
 * reaches the caller. Any launch of the op recorded before it runs, and
 * the next attempt writes the op's outputs and workspace again from its
 * inputs, which no output aliases. */
#define TSI_REPLAN ((ts_status)64)

typedef struct tsi_backend {
    uint32_t abi_version;
    const char *name; /* "cpu", "vulkan", "opencl" */

    /* Load the driver and enumerate devices. TS_ERR_NOT_FOUND when the
     * driver stack is absent (core then skips the backend quietly). */
    ts_status (*init)(const tsi_host *host, void **state);
    void (*shutdown)(void *state);

    int (*device_count)(void *state);
    /* Fill everything but id (core numbers devices per backend). */
    ts_status (*device_info)(void *state, int index, ts_device_info *out);
    /* Called lazily, once, on first use of the device. */
    ts_status (*device_open)(void *state, int index, tsi_device **out);
    /* Waits for outstanding work, then frees everything of the device. */
    void (*device_close)(tsi_device *dev);

    /* bytes > 0. TS_ERR_OUT_OF_MEMORY / TS_ERR_OVERFLOW on failure, leaving
     * the device usable. */
    ts_status (*buffer_alloc)(tsi_device *dev, size_t bytes, tsi_buffer **out);
    /* May be called while recorded work still uses the buffer: the backend
     * keeps the memory alive until that work has completed. */
    void (*buffer_free)(tsi_device *dev, tsi_buffer *buf);
    /* Host transfers in bytes. write is ordered after previously recorded
     * work; read waits for the recorded work first. */
    ts_status (*buffer_write)(tsi_device *dev, tsi_buffer *buf, size_t offset,
                              const void *src, size_t bytes);
    ts_status (*buffer_read)(tsi_device *dev, tsi_buffer *buf, size_t offset, void *dst,
                             size_t bytes);

    /* The kernel table, kernels[code] for code < n_kernels (the
     * TSI_OP_COUNT the backend was built with: a newer core's op codes
     * beyond it are simply unsupported). op_size is the sizeof(tsi_op)
     * it was built with; core refuses a module whose size differs. */
    const tsi_kernel *kernels;
    uint32_t n_kernels;
    uint32_t op_size;
    /* Submit everything recorded and wait for it. */
    ts_status (*sync)(tsi_device *dev);
} tsi_backend;

/* A module's entry gets core's ABI version and sizeof(tsi_op) and returns
 * NULL when they are not what it was built with. */
typedef const tsi_backend *(*tsi_backend_entry_fn)(uint32_t abi_version, uint32_t op_size);

/* The entry's check, shared by every module. */
static inline bool tsi_backend_abi_ok(uint32_t abi_version, uint32_t op_size)
{
    return abi_version == TSI_BACKEND_ABI_VERSION && op_size == (uint32_t)sizeof(tsi_op);
}

#endif
