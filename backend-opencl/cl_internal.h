/* Internals of the OpenCL backend module (libtessel-opencl.so).
 *
 * Layout: cl_backend.c (entry table, platforms/devices, capabilities),
 * cl_device.c (context, queue, buffers, errors), cl_launch.c (kernel
 * arguments, launches, flush policy), cl_program_cache.c
 * (programs built from the embedded shaders/opencl sources, kept in memory
 * and as binaries on disk), cl_tuning.c (per-vendor tunables), cl_ops.c
 * (supports/record routing), and one file per op family (cl_elementwise.c,
 * cl_matmul.c, cl_rowwise.c, cl_index.c).
 *
 * Adding an op (e.g. cl_attention.c + shaders/opencl/attention.cl):
 *
 *     cl_kernel k;
 *     char defs[TSI_CL_DEFINES_LEN];
 *     tsi_cl_dtype_defines(dev, defs, sizeof defs, x->dtype, x->dtype); // -DDT -DODT
 *     // append op tunables: tsi_cl_appendf(defs, sizeof defs, " -DBLOCK=%d", 64);
 *     TSI_CL_TRY(tsi_cl_get_kernel(dev, "attention.cl", defs, "attention_fwd", &k));
 *     tsi_cl_args a = tsi_cl_args_begin(k);
 *     tsi_cl_arg_view(&a, x);          // cl_mem, long offset, long4 strides
 *     tsi_cl_arg_int(&a, n);
 *     size_t global[1] = {...}, local[1] = {...};
 *     return tsi_cl_launch(dev, &a, 1, global, local, "attention");
 *
 * Then one row in the recorders table of cl_ops.c (and a case in
 * tsi_cl_supports when the op has limits). Scratch memory for one op:
 * clCreateBuffer, enqueue, clReleaseMemObject right away (the runtime
 * keeps it until the kernels have run; see cl_index.c scatter_add_rows).
 *
 * Every .cl file gets shaders/opencl/dtype.cl prepended (storage vs
 * arithmetic macros LD/ST/T_S/T_A), is built once per distinct defines
 * string, and is cached in memory (per device) and on disk (binaries).
 * Kernel objects are cached too: core serializes calls per device, so a
 * cached cl_kernel can have its arguments set and be enqueued safely. */
#ifndef TESSEL_BACKEND_OPENCL_CL_INTERNAL_H
#define TESSEL_BACKEND_OPENCL_CL_INTERNAL_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/backend.h"

#define TSI_CL_DEFINES_LEN 512

/* Tunables handed to kernels as -D defines (cl_tuning.c). */
typedef struct tsi_cl_tuning {
    const char *vendor; /* table row that matched, for logs */
    int ew_wg;          /* elementwise work-group width */
    int row_wg;         /* work-group size of the row ops (power of two) */
    int gemm_tsm, gemm_tsn, gemm_tsk, gemm_wptm, gemm_wptn;
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
    bool is_pocl;
} tsi_cl_caps;

typedef struct tsi_cl_program tsi_cl_program; /* cl_program_cache.c */

struct tsi_device {
    const tsi_host *host;
    const tsi_cl_caps *caps;
    tsi_cl_tuning tune;
    cl_context ctx;
    cl_command_queue queue;
    tsi_cl_program *programs; /* linked list, newest first */
    unsigned pending;         /* enqueues since the last clFlush */
    bool use_clblast;         /* TESSEL_OPENCL_GEMM != own and CLBlast built in */
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
void tsi_cl_tuning_pick(const tsi_cl_caps *caps, tsi_cl_tuning *out);

/* ---- programs and kernels (cl_program_cache.c) ------------------------- */

/* The kernel `name` of shaders/opencl/<file> built with `defines`. */
ts_status tsi_cl_get_kernel(tsi_device *dev, const char *file, const char *defines,
                            const char *name, cl_kernel *out);
void tsi_cl_programs_release(tsi_device *dev);
/* Programs compiled from source in this process (not loaded from the disk
 * cache); also logged at debug level, one line per program. */
int tsi_cl_programs_compiled(void);

/* "-DDT=<a> -DODT=<b>" plus device-wide defines (TS_HAS_FP16). */
void tsi_cl_dtype_defines(const tsi_device *dev, char *buf, size_t len, ts_dtype dt, ts_dtype odt);
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
void tsi_cl_arg_int(tsi_cl_args *a, int v);
void tsi_cl_arg_long(tsi_cl_args *a, int64_t v);
void tsi_cl_arg_float(tsi_cl_args *a, float v);
void tsi_cl_arg_long4(tsi_cl_args *a, const int64_t v[4]);
/* cl_mem, long offset (elements), long4 strides (elements). */
void tsi_cl_arg_view(tsi_cl_args *a, const tsi_view *v);
/* cl_mem, long offset; for contiguous views. NULL v (or v->buf): NULL, 0. */
void tsi_cl_arg_view_base(tsi_cl_args *a, const tsi_view *v);
/* Checks the arguments, then clEnqueueNDRangeKernel; local may be NULL. */
ts_status tsi_cl_launch(tsi_device *dev, const tsi_cl_args *a, cl_uint dims, const size_t *global,
                        const size_t *local, const char *what);
/* The largest work-group this kernel runs on this device (register use
 * can make it smaller than the device's maximum). */
size_t tsi_cl_kernel_max_wg(const tsi_device *dev, cl_kernel k);
/* Count an enqueue made outside tsi_cl_launch (CLBlast) for the flush policy. */
void tsi_cl_note_enqueue(tsi_device *dev);

static inline size_t tsi_cl_round_up(size_t v, size_t m)
{
    return (v + m - 1) / m * m;
}

/* ---- ops (cl_ops.c and one file per family) ---------------------------- */

bool tsi_cl_supports(tsi_device *dev, const tsi_op *op);
ts_status tsi_cl_record(tsi_device *dev, const tsi_op *op);

ts_status tsi_cl_record_unary(tsi_device *dev, const tsi_op *op);
ts_status tsi_cl_record_binary(tsi_device *dev, const tsi_op *op);
ts_status tsi_cl_record_matmul(tsi_device *dev, const tsi_op *op);
void tsi_cl_matmul_device_closed(tsi_device *dev); /* drops CLBlast's cache */
ts_status tsi_cl_record_softmax(tsi_device *dev, const tsi_op *op);
ts_status tsi_cl_record_reduce(tsi_device *dev, const tsi_op *op);
ts_status tsi_cl_record_topk(tsi_device *dev, const tsi_op *op);
ts_status tsi_cl_record_norm(tsi_device *dev, const tsi_op *op);
ts_status tsi_cl_record_gather_rows(tsi_device *dev, const tsi_op *op);
ts_status tsi_cl_record_scatter_add_rows(tsi_device *dev, const tsi_op *op);
ts_status tsi_cl_record_conv1d(tsi_device *dev, const tsi_op *op);
/* cl_attention.c (built when present; defines TESSEL_OPENCL_ATTENTION). */
bool tsi_cl_attention_supported(tsi_device *dev, const tsi_op *op);
ts_status tsi_cl_record_attention(tsi_device *dev, const tsi_op *op);

/* Rows of a contiguous [.., .., .., n] view. */
static inline int64_t tsi_cl_rows(const tsi_view *v)
{
    return v->shape[0] * v->shape[1] * v->shape[2];
}

#endif
