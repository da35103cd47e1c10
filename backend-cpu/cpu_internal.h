/* Shared structures of the CPU backend: the device, buffers, the SIMD
 * kernel table and the op kernels. Everything here is internal to
 * libtessel (hidden, tsi_cpu_ prefix). */
#ifndef TESSEL_BACKEND_CPU_INTERNAL_H
#define TESSEL_BACKEND_CPU_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/backend.h"
#include "backend-cpu/cpu_features.h"
#include "backend-cpu/cpu_kernels.h"
#include "backend-cpu/cpu_openblas.h"
#include "backend-cpu/cpu_threadpool.h"

/* Buffers are 64-byte aligned host memory: one cache line, and a full
 * AVX-512 vector. */
#define TSI_CPU_ALIGN 64

struct tsi_buffer {
    void *data;
    size_t bytes;
};

/* Freed huge buffers kept for reuse (cpu_spare_buffers.c), oldest first. */
#define TSI_CPU_SPARE_SLOTS 8
#define TSI_CPU_SPARE_MAX_BYTES ((size_t)256 << 20)
typedef struct tsi_cpu_spares {
    void *p[TSI_CPU_SPARE_SLOTS];
    size_t len[TSI_CPU_SPARE_SLOTS];
    int n;
    size_t bytes;
} tsi_cpu_spares;

/* A kept buffer of exactly len bytes, or NULL. */
void *tsi_cpu_spares_take(tsi_cpu_spares *s, size_t len);
/* Keeps p (len bytes) for reuse, evicting the oldest past the bounds;
 * false when p is too big to keep (the caller frees it). */
bool tsi_cpu_spares_keep(tsi_cpu_spares *s, void *p, size_t len);
/* Frees every kept buffer. */
void tsi_cpu_spares_clear(tsi_cpu_spares *s);

typedef struct tsi_cpu_state {
    const tsi_host *host;
    tsi_cpu_features feat;
    int threads; /* pool size incl. the calling thread */
    const tsi_cpu_blas *blas;
    ts_device_info info; /* what device_info reports: the tuning key */
} tsi_cpu_state;

struct tsi_device {
    tsi_cpu_state *state;
    const tsi_cpu_kernels *k;
    tsi_cpu_pool *pool;
    /* Packing panels of tessel's pool-wide GEMM (cpu_gemm.c), kept between
     * calls: apart from the op's workspace, which the matmul holding its
     * operands still uses. */
    void *gemm_pack;
    size_t gemm_pack_bytes;
    struct tsi_cpu_fft_tables *fft_tables; /* cpu_fft.c: made on first use of a length */
    tsi_cpu_spares spares; /* freed huge buffers (cpu_backend.c allocates) */
};

/* Round up to the buffer alignment, so regions carved out of a workspace
 * stay aligned (and workers' slices never share a cache line). */
static inline size_t tsi_cpu_align_up(size_t bytes)
{
    return (bytes + TSI_CPU_ALIGN - 1) & ~(size_t)(TSI_CPU_ALIGN - 1);
}

/* The group holding item v, given each group's first item in start[0..n)
 * (non-decreasing, start[0] <= v): the last g with start[g] <= v. */
static inline int64_t tsi_cpu_group_of(const int64_t *start, int64_t n, int64_t v)
{
    int64_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int64_t mid = (lo + hi + 1) / 2;
        if (start[mid] <= v)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* n floats rounded up the same way: the stride of aligned f32 rows. */
static inline size_t tsi_cpu_align_floats(size_t n)
{
    return tsi_cpu_align_up(n * sizeof(float)) / sizeof(float);
}

/* The op's workspace: the bytes its plan asked for (core allocates them,
 * 64-byte aligned), or NULL when the plan asked for none. */
static inline void *tsi_cpu_workspace(const tsi_op *op)
{
    return op->workspace ? op->workspace->data : NULL;
}

static inline void *tsi_cpu_view_ptr(const tsi_view *v)
{
    return (char *)v->buf->data + (size_t)v->offset * ts_dtype_size(v->dtype);
}

static inline int64_t tsi_cpu_view_numel(const tsi_view *v)
{
    return v->shape[0] * v->shape[1] * v->shape[2] * v->shape[3];
}

/* Strided rows to / from f32 (any dtype; i32 converts, float->i32 truncates
 * toward zero, saturates, NaN -> 0). Contiguous rows of f16/bf16 go through
 * the SIMD table. */
void tsi_cpu_load_f32(const tsi_cpu_kernels *k, ts_dtype dt, const void *src, int64_t stride,
                      float *dst, size_t n);
void tsi_cpu_store_f32(const tsi_cpu_kernels *k, ts_dtype dt, const float *src, void *dst,
                       int64_t stride, size_t n);
int32_t tsi_cpu_f32_to_i32(float f);

/* Op kernels (one file each), the rows of the kernel table (cpu_backend.c,
 * tsi_kernel in core/backend.h). Views are already validated and
 * normalized by core (see core/op.h). _plan sizes the op's workspace for
 * this device (its thread count, the SIMD table's tiles); _record runs the
 * op using op->workspace as that plan laid it out. */
ts_status tsi_cpu_elementwise_record(tsi_device *dev, const tsi_op *op);
ts_status tsi_cpu_matmul_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan);
ts_status tsi_cpu_matmul_record(tsi_device *dev, const tsi_op *op);
/* f16 / bf16 matmul (cpu_matmul16.c), which the two above hand over to. */
ts_status tsi_cpu_matmul16_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan);
ts_status tsi_cpu_matmul16_record(tsi_device *dev, const tsi_op *op);
/* What both matmuls ask of a batched op (cpu_matmul.c): whether every
 * batch multiplies the same b, and the step between a's rows when the
 * batches' rows, flattened, step evenly (-1 when not), so that the batches
 * run as one tall GEMM. */
bool tsi_cpu_matmul_b_shared(const tsi_view *b);
int64_t tsi_cpu_matmul_row_step(const tsi_view *a);
ts_status tsi_cpu_softmax_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan);
ts_status tsi_cpu_softmax_record(tsi_device *dev, const tsi_op *op);
ts_status tsi_cpu_reduce_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan);
ts_status tsi_cpu_reduce_record(tsi_device *dev, const tsi_op *op);
ts_status tsi_cpu_topk_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan);
ts_status tsi_cpu_topk_record(tsi_device *dev, const tsi_op *op);
ts_status tsi_cpu_norm_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan);
ts_status tsi_cpu_norm_record(tsi_device *dev, const tsi_op *op);
ts_status tsi_cpu_gather_rows_record(tsi_device *dev, const tsi_op *op);
ts_status tsi_cpu_scatter_add_rows_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan);
ts_status tsi_cpu_scatter_add_rows_record(tsi_device *dev, const tsi_op *op);
ts_status tsi_cpu_conv1d_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan);
ts_status tsi_cpu_conv1d_record(tsi_device *dev, const tsi_op *op);
ts_status tsi_cpu_attention_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan);
ts_status tsi_cpu_attention_record(tsi_device *dev, const tsi_op *op);
bool tsi_cpu_fft_supports(tsi_device *dev, const tsi_op *op);
ts_status tsi_cpu_fft_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan);
ts_status tsi_cpu_fft_record(tsi_device *dev, const tsi_op *op);
void tsi_cpu_fft_tables_free(struct tsi_cpu_fft_tables *list);
bool tsi_cpu_fftconv_supports(tsi_device *dev, const tsi_op *op);
ts_status tsi_cpu_fftconv_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan);
ts_status tsi_cpu_fftconv_record(tsi_device *dev, const tsi_op *op);
ts_status tsi_cpu_conv1d_long_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan);
ts_status tsi_cpu_conv1d_long_record(tsi_device *dev, const tsi_op *op);
ts_status tsi_cpu_grouped_matmul_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan);
ts_status tsi_cpu_grouped_matmul_record(tsi_device *dev, const tsi_op *op);
ts_status tsi_cpu_moe_place_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan);
ts_status tsi_cpu_moe_place_record(tsi_device *dev, const tsi_op *op);
ts_status tsi_cpu_moe_combine_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan);
ts_status tsi_cpu_moe_combine_record(tsi_device *dev, const tsi_op *op);

/* f32 GEMM, row-major: c[m x n] = a[m x k] * b[k x n] with leading
 * dimensions lda, ldb, ldc (elements); trans_a / trans_b say a / b are
 * stored transposed (a as k x m with lda, b as n x k with ldb). Runs on
 * OpenBLAS when loaded (from the calling thread only, never inside a pool
 * task), else on tessel's packed kernel (cpu_gemm.c). */
ts_status tsi_cpu_sgemm(tsi_device *dev, bool trans_a, bool trans_b, int64_t m, int64_t n,
                        int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,
                        float *c, int64_t ldc);
/* Floats of packing buffer tessel's GEMM needs for n columns: returned for
 * B, *a_floats for one worker's block of A. */
size_t tsi_cpu_gemm_pack_floats(const tsi_cpu_kernels *k, int64_t n, size_t *a_floats);
/* tessel's GEMM on the calling thread only, with caller-provided packing
 * buffers (sizes from tsi_cpu_gemm_pack_floats): for pool tasks that each
 * run a whole small GEMM. */
void tsi_cpu_gemm_serial(const tsi_cpu_kernels *k, bool trans_a, bool trans_b, int64_t m, int64_t n,
                         int64_t kk, const float *a, int64_t lda, const float *b, int64_t ldb,
                         float *c, int64_t ldc, float *apack, float *bpack);
/* tessel's own multithreaded packed GEMM (same contract). */
ts_status tsi_cpu_gemm_packed(tsi_device *dev, bool trans_a, bool trans_b, int64_t m, int64_t n,
                              int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,
                              float *c, int64_t ldc);
/* Rows [row, row + rows) of A and C that multiply their own B (k x n,
 * not transposed); rows > 0. */
typedef struct tsi_cpu_gemm_group {
    int64_t row, rows;
    const float *b;
} tsi_cpu_gemm_group;
/* tessel's packed GEMM over several row groups at once, in one pool job
 * per (column, depth) block: the threads share every group's tasks, and
 * each group's B panels are packed once per block. A and C row-major,
 * not transposed; every B has leading dimension ldb. */
ts_status tsi_cpu_gemm_grouped(tsi_device *dev, int64_t ngroups, const tsi_cpu_gemm_group *groups,
                               int64_t n, int64_t k, const float *a, int64_t lda, int64_t ldb,
                               float *c, int64_t ldc);

#endif
