/* Shared structures of the CPU backend: the device, buffers, the per-device
 * scratch arena, the SIMD kernel table and the op entry points. Everything
 * here is internal to libtessel (hidden, tsi_cpu_ prefix). */
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

typedef struct tsi_cpu_state {
    const tsi_host *host;
    tsi_cpu_features feat;
    int threads; /* pool size incl. the calling thread */
    const tsi_cpu_blas *blas;
} tsi_cpu_state;

struct tsi_device {
    tsi_cpu_state *state;
    const tsi_cpu_kernels *k;
    tsi_cpu_pool *pool;
    /* Scratch reused by every op of this device (core serializes calls per
     * device, so one arena suffices); grows, never shrinks until close. */
    void *scratch;
    size_t scratch_bytes;
    /* Packing panels of tessel's pool-wide GEMM (cpu_gemm.c): apart from
     * scratch, which the matmul holding its operands still uses. */
    void *gemm_pack;
    size_t gemm_pack_bytes;
};

/* At least `bytes` of 64-byte aligned scratch, valid until the next call.
 * TS_ERR_OUT_OF_MEMORY (message set) on failure. */
ts_status tsi_cpu_scratch(tsi_device *dev, size_t bytes, void **out);

/* Round up to the arena alignment, so carved sub-regions stay aligned. */
static inline size_t tsi_cpu_align_up(size_t bytes)
{
    return (bytes + TSI_CPU_ALIGN - 1) & ~(size_t)(TSI_CPU_ALIGN - 1);
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

/* Op families (one file each). Views are already validated and normalized
 * by core (see core/op.h). */
ts_status tsi_cpu_elementwise(tsi_device *dev, const tsi_op *op);
ts_status tsi_cpu_matmul(tsi_device *dev, const tsi_op *op);
ts_status tsi_cpu_softmax(tsi_device *dev, const tsi_op *op);
ts_status tsi_cpu_reduce(tsi_device *dev, const tsi_op *op);
ts_status tsi_cpu_topk(tsi_device *dev, const tsi_op *op);
ts_status tsi_cpu_norm(tsi_device *dev, const tsi_op *op);
ts_status tsi_cpu_gather_rows(tsi_device *dev, const tsi_op *op);
ts_status tsi_cpu_scatter_add_rows(tsi_device *dev, const tsi_op *op);
ts_status tsi_cpu_conv1d(tsi_device *dev, const tsi_op *op);
ts_status tsi_cpu_attention(tsi_device *dev, const tsi_op *op);

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

#endif
