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

#include "tessel/tessel.h"
#include "core/op.h"

#define TSI_BACKEND_ABI_VERSION 1u
#define TSI_BACKEND_ENTRY_SYMBOL "tessel_backend_entry_v1"

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
    /* Test-only fault injection: returns a nonzero value when the named
     * hook is armed (TESSEL_TEST_HOOK=name in the environment). */
    int (*test_hook)(const char *name);
} tsi_host;

typedef struct tsi_device tsi_device; /* backend-defined */
typedef struct tsi_buffer tsi_buffer; /* backend-defined */

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

    /* true when record(op) would run this op (code, dtypes, parameters,
     * sizes within device limits). Core calls it before record and turns
     * false into TS_ERR_UNSUPPORTED. */
    bool (*supports)(tsi_device *dev, const tsi_op *op);
    /* Record the op; it runs in order after everything recorded before. */
    ts_status (*record)(tsi_device *dev, const tsi_op *op);
    /* Submit everything recorded and wait for it. */
    ts_status (*sync)(tsi_device *dev);
} tsi_backend;

typedef const tsi_backend *(*tsi_backend_entry_fn)(void);

#endif
