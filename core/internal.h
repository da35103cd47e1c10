/* Core-internal structures and the error convention shared by every core
 * file. Exists so the public handles (ts_context, ts_device, ts_tensor) have
 * one definition, and so every check in core fails the same way: set the
 * thread's message, return the status (TSI_CHECK / TSI_RETURN_IF_ERROR).
 * Nothing here is visible outside libtessel. */
#ifndef TESSEL_CORE_INTERNAL_H
#define TESSEL_CORE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessel/tessel.h"
#include "core/backend.h"

/* ---- errors and logging (error.c, log.c) ------------------------------- */

/* Set the calling thread's message; also the tsi_host.set_error service. */
void tsi_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Set the message and return status, so a check is one line. */
ts_status tsi_fail(ts_status status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tsi_log(ts_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define TSI_CHECK(cond, status, ...)                                                               \
    do {                                                                                           \
        if (!(cond))                                                                               \
            return tsi_fail((status), __VA_ARGS__);                                                \
    } while (0)

#define TSI_RETURN_IF_ERROR(expr)                                                                  \
    do {                                                                                           \
        ts_status tsi_st_ = (expr);                                                                \
        if (tsi_st_ != TS_OK)                                                                      \
            return tsi_st_;                                                                        \
    } while (0)

/* ---- host services (cache_dir.c, host.c) --------------------------------- */

const char *tsi_cache_dir(void);
/* The cache folder's path without creating it (the tuning file is only
 * read); false when HOME and XDG_CACHE_HOME give none. */
bool tsi_cache_path(char *buf, size_t len);
int tsi_test_hook(const char *name);
const tsi_host *tsi_host_services(void);
/* cache_file.c: tsi_host's cache_load / cache_store. */
void *tsi_cache_load(const char *name, const char *magic, const void *key, size_t key_len,
                     size_t max_size, size_t *size);
void tsi_cache_store(const char *name, const char *magic, const void *key, size_t key_len,
                     const void *data, size_t size);

/* ---- allocation-failure injection (alloc_hook.c), test only --------------
 * Core's host allocations go through tsi_malloc / tsi_calloc / tsi_realloc
 * and device buffers through tsi_buffer_alloc_locked, so a test can fail
 * the N-th one (TESSEL_TEST_HOOK=fail_alloc:N). Disarmed: one relaxed load. */
extern atomic_int tsi_alloc_hook_armed;
bool tsi_alloc_hook_hit(void);
static inline bool tsi_alloc_should_fail(void)
{
    return __builtin_expect(atomic_load_explicit(&tsi_alloc_hook_armed, memory_order_relaxed), 0) &&
           tsi_alloc_hook_hit();
}
void *tsi_malloc(size_t bytes);
void *tsi_calloc(size_t count, size_t size);
void *tsi_realloc(void *p, size_t bytes);
/* Fail the n-th allocation from now (n <= 0: disarm); how many were
 * counted since, and whether the n-th came. */
void tsi_alloc_hook_arm(long long n);
long long tsi_alloc_hook_seen(void);
bool tsi_alloc_hook_fired(void);

/* ---- dtypes and shapes (dtype.c) ------------------------------------------ */

bool tsi_dtype_valid(ts_dtype dtype);
bool tsi_dtype_is_float(ts_dtype dtype);
/* "4x7" (or "scalar" for ndim 0) into buf; returns buf. */
#define TSI_SHAPE_STR_LEN 96
const char *tsi_shape_str(const int64_t *shape, int ndim, char buf[TSI_SHAPE_STR_LEN]);
/* *out = a * b; false on overflow or negative operands. */
bool tsi_mul_checked(int64_t a, int64_t b, int64_t *out);
/* The product of the shape's dims, zeros counted as 1, fits int64 (so do
 * the strides and offsets of every view of it, even an empty one). */
bool tsi_extent_fits(const int64_t *shape, int ndim);

/* ---- context, devices ---------------------------------------------------- */

typedef struct tsi_backend_slot {
    const tsi_backend *vt;
    void *state;
    void *module; /* dlopen handle; NULL for the built-in CPU backend */
} tsi_backend_slot;

struct ts_device {
    ts_context *ctx;
    tsi_backend_slot *slot;
    int index; /* within the backend */
    ts_device_info info;
    pthread_mutex_t lock;          /* held around every backend call for this device */
    tsi_device *bdev;              /* NULL until opened */
    uint64_t mem_in_use, mem_peak; /* under lock */
    tsi_buffer *ws;                /* workspace.c, under lock */
    size_t ws_bytes;
    /* Under lock (fallback.c): ops run as a fallback, and which op codes
     * (one bit each) have already been logged at info level. */
    uint64_t fallbacks, fallback_logged;
};

struct ts_context {
    tsi_backend_slot *slots;
    int slot_count;
    ts_device *devices;
    int device_count;
    char corrupt_op[64]; /* TESSEL_TEST_HOOK=corrupt:<op>, read once; "" when off */
    char decline_op[64]; /* TESSEL_TEST_HOOK=decline:<op> (fallback.c); "" when off */
};

/* The per-device workspace of planned ops (workspace.c), lock held: get
 * at least `bytes`; trim after an op; release before the device closes. */
ts_status tsi_workspace_get(ts_device *dev, size_t bytes, tsi_buffer **out);
void tsi_workspace_trim(ts_device *dev);
void tsi_workspace_release(ts_device *dev);

/* Lock the device and open it on first use. On failure the lock is not
 * held. Every backend call for a device sits between these two. */
ts_status tsi_device_lock(ts_device *dev);
void tsi_device_unlock(ts_device *dev);
/* A label for messages: "vulkan:0 (llvmpipe)". */
const char *tsi_device_label(const ts_device *dev, char *buf, size_t len);

/* Buffer allocation with memory accounting; device lock held. */
ts_status tsi_buffer_alloc_locked(ts_device *dev, size_t bytes, tsi_buffer **out);
void tsi_buffer_free_locked(ts_device *dev, tsi_buffer *buf, size_t bytes);

/* ---- tensors ------------------------------------------------------------- */

typedef struct tsi_storage {
    atomic_long refs;
    ts_device *dev;
    tsi_buffer *buf; /* NULL for zero bytes */
    size_t bytes;
} tsi_storage;

struct ts_tensor {
    tsi_storage *st;
    int64_t offset; /* elements */
    ts_dtype dtype;
    int ndim;
    int64_t shape[TS_MAX_DIMS];
    int64_t stride[TS_MAX_DIMS]; /* elements */
    bool read_only;              /* a broadcast view (or a view of one) */
};

int64_t tsi_numel(const int64_t *shape, int ndim);
bool tsi_strides_contiguous(const int64_t *shape, const int64_t *stride, int ndim);
void tsi_contiguous_strides(const int64_t *shape, int ndim, int64_t *stride);
/* Validate dtype/ndim/shape and the byte size; *bytes = numel * elsize. */
ts_status tsi_check_new_tensor(const char *fn, const ts_device *dev, ts_dtype dtype, int ndim,
                               const int64_t *shape, size_t *bytes);
/* A new tensor header sharing t's storage (refcount taken). */
ts_status tsi_tensor_view_of(const ts_tensor *t, ts_tensor **out);
/* Normalize a dim index (negative counts from the end); -1 if out of range. */
int tsi_norm_dim(int dim, int ndim);

#endif
