/* Matmul: CLBlast when it was found at build time and the views fit a
 * BLAS call (each operand row- or column-major with a leading dimension,
 * batches at one uniform stride or few enough to loop), else the own
 * tiled kernel in shaders/opencl/gemm.cl, which takes any strides.
 *
 * f16 and bf16 never use CLBlastHgemm by default: it accumulates in half,
 * which overflows on real models (a device with cl_khr_fp16 may opt in
 * with TESSEL_OPENCL_HGEMM=1). From moderate sizes on they are widened to
 * f32 scratch and go through CLBlastSgemm; small ones use the own kernel,
 * which reads f16/bf16 directly and accumulates in f32.
 * TESSEL_OPENCL_GEMM=own forces the own kernel (tests run both paths). */
#include <stdlib.h>
#include <string.h>

#include "backend-opencl/cl_internal.h"
#include "core/half.h"

#ifdef TESSEL_HAVE_CLBLAST
#include <clblast_c.h>
#endif

static ts_status own_gemm(tsi_device *dev, const tsi_op *op)
{
    const tsi_view *a = &op->in[0], *b = &op->in[1], *c = &op->out[0];
    const tsi_cl_tuning *t = &dev->tune;
    char defs[TSI_CL_DEFINES_LEN];
    tsi_cl_dtype_defines(dev, defs, sizeof defs, c->dtype, c->dtype);
    tsi_cl_appendf(defs, sizeof defs, " -DTSM=%d -DTSN=%d -DTSK=%d -DWPTM=%d -DWPTN=%d",
                   t->gemm_tsm, t->gemm_tsn, t->gemm_tsk, t->gemm_wptm, t->gemm_wptn);
    cl_kernel k;
    TSI_CL_TRY(tsi_cl_get_kernel(dev, "gemm.cl", defs, "gemm_tiled", &k));
    size_t rtsm = (size_t)(t->gemm_tsm / t->gemm_wptm), rtsn = (size_t)(t->gemm_tsn / t->gemm_wptn);
    size_t kwg = 0;
    if (clGetKernelWorkGroupInfo(k, dev->caps->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof kwg, &kwg,
                                 NULL) == CL_SUCCESS &&
        kwg < rtsm * rtsn) {
        dev->host->set_error("opencl: matmul: gemm_tiled runs at most %zu work-items on %s, the "
                             "tile needs %zu; set TESSEL_OPENCL_TUNE to a smaller tile",
                             kwg, dev->caps->info.name, rtsm * rtsn);
        return TS_ERR_BACKEND;
    }
    int64_t M = c->shape[2], N = c->shape[3], K = a->shape[3];
    int64_t batches = c->shape[0] * c->shape[1];
    tsi_cl_args args = tsi_cl_args_begin(k);
    tsi_cl_arg_view(&args, a);
    tsi_cl_arg_view(&args, b);
    tsi_cl_arg_view_base(&args, c);
    tsi_cl_arg_int(&args, (int)M);
    tsi_cl_arg_int(&args, (int)N);
    tsi_cl_arg_int(&args, (int)K);
    tsi_cl_arg_long(&args, c->shape[0]);
    tsi_cl_arg_long(&args, c->shape[1]);
    size_t global[3] = {(size_t)((N + t->gemm_tsn - 1) / t->gemm_tsn) * rtsn,
                        (size_t)((M + t->gemm_tsm - 1) / t->gemm_tsm) * rtsm,
                        (size_t)(batches < 65535 ? batches : 65535)};
    size_t local[3] = {rtsn, rtsm, 1};
    return tsi_cl_launch(dev, &args, 3, global, local, "matmul");
}

#ifdef TESSEL_HAVE_CLBLAST

/* A [rows, cols] operand as a row-major BLAS matrix, maybe transposed. */
static bool blas_layout(int64_t rows, int64_t cols, int64_t sr, int64_t sc, CLBlastTranspose *tr,
                        size_t *ld)
{
    if ((cols == 1 || sc == 1) && (rows == 1 || sr >= cols)) {
        *tr = CLBlastTransposeNo;
        *ld = (size_t)(rows == 1 ? cols : sr);
        return true;
    }
    if ((rows == 1 || sr == 1) && (cols == 1 || sc >= rows)) {
        *tr = CLBlastTransposeYes;
        *ld = (size_t)(cols == 1 ? rows : sc);
        return true;
    }
    return false;
}

/* One stride that walks all B0*B1 batches of a view in order, if any. */
static bool batch_stride(const tsi_view *v, int64_t b0, int64_t b1, size_t *stride)
{
    if (b0 == 1 || (b1 > 1 && v->stride[0] == b1 * v->stride[1])) {
        *stride = (size_t)v->stride[1];
        return true;
    }
    if (b1 == 1) {
        *stride = (size_t)v->stride[0];
        return true;
    }
    return false;
}

#define TSI_CL_BLAS_LOOP_MAX 64

static ts_status blas_status(tsi_device *dev, CLBlastStatusCode s)
{
    if (s == CLBlastSuccess)
        return TS_OK;
    if (s < 0 && s > -1000)
        return tsi_cl_error(dev->host, (cl_int)s, "CLBlast gemm");
    dev->host->set_error("opencl: CLBlast gemm failed with status %d", (int)s);
    return TS_ERR_BACKEND;
}

/* TS_ERR_UNSUPPORTED (no message) when CLBlast does not take these views. */
static ts_status clblast_gemm(tsi_device *dev, const tsi_op *op)
{
    const tsi_view *a = &op->in[0], *b = &op->in[1], *c = &op->out[0];
    bool half = c->dtype == TS_F16;
    if (c->dtype == TS_BF16 || (half && !dev->caps->fp16))
        return TS_ERR_UNSUPPORTED;
    if (half) {
        const char *opt = getenv("TESSEL_OPENCL_HGEMM");
        if (!opt || strcmp(opt, "1") != 0)
            return TS_ERR_UNSUPPORTED;
    }
    size_t M = (size_t)c->shape[2], N = (size_t)c->shape[3], K = (size_t)a->shape[3];
    CLBlastTranspose ta, tb;
    size_t lda, ldb, sa = 0, sb = 0;
    if (!blas_layout(a->shape[2], a->shape[3], a->stride[2], a->stride[3], &ta, &lda) ||
        !blas_layout(b->shape[2], b->shape[3], b->stride[2], b->stride[3], &tb, &ldb))
        return TS_ERR_UNSUPPORTED;
    int64_t b0 = c->shape[0], b1 = c->shape[1], batches = b0 * b1;
    bool strided = batches > 1 && batch_stride(a, b0, b1, &sa) && batch_stride(b, b0, b1, &sb);
    if (batches > 1 && !strided && batches > TSI_CL_BLAS_LOOP_MAX)
        return TS_ERR_UNSUPPORTED;
    cl_mem am = a->buf->mem, bm = b->buf->mem, cm = c->buf->mem;
    CLBlastStatusCode s;
    if (batches == 1 || strided) {
        if (half) {
            cl_half one = tsi_f32_to_f16(1.0f), zero = 0;
            s = batches == 1
                    ? CLBlastHgemm(CLBlastLayoutRowMajor, ta, tb, M, N, K, one, am,
                                   (size_t)a->offset, lda, bm, (size_t)b->offset, ldb, zero, cm,
                                   (size_t)c->offset, N, &dev->queue, NULL)
                    : CLBlastHgemmStridedBatched(CLBlastLayoutRowMajor, ta, tb, M, N, K, one, am,
                                                 (size_t)a->offset, lda, sa, bm, (size_t)b->offset,
                                                 ldb, sb, zero, cm, (size_t)c->offset, N, M * N,
                                                 (size_t)batches, &dev->queue, NULL);
        } else {
            s = batches == 1
                    ? CLBlastSgemm(CLBlastLayoutRowMajor, ta, tb, M, N, K, 1.0f, am,
                                   (size_t)a->offset, lda, bm, (size_t)b->offset, ldb, 0.0f, cm,
                                   (size_t)c->offset, N, &dev->queue, NULL)
                    : CLBlastSgemmStridedBatched(CLBlastLayoutRowMajor, ta, tb, M, N, K, 1.0f, am,
                                                 (size_t)a->offset, lda, sa, bm, (size_t)b->offset,
                                                 ldb, sb, 0.0f, cm, (size_t)c->offset, N, M * N,
                                                 (size_t)batches, &dev->queue, NULL);
        }
        tsi_cl_note_enqueue(dev);
        return blas_status(dev, s);
    }
    /* Few batches at irregular strides: one call each. */
    for (int64_t i0 = 0; i0 < b0; i0++) {
        for (int64_t i1 = 0; i1 < b1; i1++) {
            size_t ao = (size_t)(a->offset + i0 * a->stride[0] + i1 * a->stride[1]);
            size_t bo = (size_t)(b->offset + i0 * b->stride[0] + i1 * b->stride[1]);
            size_t co = (size_t)c->offset + (size_t)(i0 * b1 + i1) * M * N;
            if (half) {
                cl_half one = tsi_f32_to_f16(1.0f), zero = 0;
                s = CLBlastHgemm(CLBlastLayoutRowMajor, ta, tb, M, N, K, one, am, ao, lda, bm, bo,
                                 ldb, zero, cm, co, N, &dev->queue, NULL);
            } else {
                s = CLBlastSgemm(CLBlastLayoutRowMajor, ta, tb, M, N, K, 1.0f, am, ao, lda, bm, bo,
                                 ldb, 0.0f, cm, co, N, &dev->queue, NULL);
            }
            tsi_cl_note_enqueue(dev);
            TSI_CL_TRY(blas_status(dev, s));
        }
    }
    return TS_OK;
}

/* f16 / bf16 through CLBlastSgemm with f32 accumulation: the operands are
 * widened into contiguous f32 scratch (batch broadcasts materialized), one
 * strided-batched Sgemm runs, and the product is rounded back into c. The
 * extra traffic is O(MK + KN + MN) against O(MNK) work, so this pays from
 * moderate sizes on; smaller products stay on the own kernel. */
#define TSI_CL_WIDEN_MIN_MNK ((int64_t)32 * 32 * 32)

static tsi_view f32_scratch_view(tsi_buffer *buf, const int64_t shape[4])
{
    tsi_view v = {.buf = buf, .offset = 0, .dtype = TS_F32};
    for (int i = 0; i < 4; i++)
        v.shape[i] = shape[i];
    v.stride[3] = 1;
    v.stride[2] = shape[3];
    v.stride[1] = shape[2] * shape[3];
    v.stride[0] = shape[1] * v.stride[1];
    return v;
}

static ts_status cast_into(tsi_device *dev, const tsi_view *from, const tsi_view *to)
{
    tsi_op cast = {.code = TSI_OP_UNARY, .n_in = 1, .n_out = 1};
    cast.in[0] = *from;
    cast.out[0] = *to;
    cast.p.unary.kind = TSI_UNARY_COPY;
    return tsi_cl_record_unary(dev, &cast);
}

/* TS_ERR_UNSUPPORTED (no message) when the widened path does not apply. */
static ts_status widened_gemm(tsi_device *dev, const tsi_op *op)
{
    const tsi_view *a = &op->in[0], *b = &op->in[1], *c = &op->out[0];
    int64_t M = c->shape[2], N = c->shape[3], K = a->shape[3];
    int64_t batches = c->shape[0] * c->shape[1];
    if (c->dtype == TS_F32 || M * N * K < TSI_CL_WIDEN_MIN_MNK)
        return TS_ERR_UNSUPPORTED;
    size_t bytes[3] = {(size_t)(batches * M * K) * 4u, (size_t)(batches * K * N) * 4u,
                       (size_t)(batches * M * N) * 4u};
    for (int i = 0; i < 3; i++)
        if (bytes[i] > dev->caps->max_alloc)
            return TS_ERR_UNSUPPORTED;
    tsi_buffer tmp[3] = {{NULL, 0}, {NULL, 0}, {NULL, 0}};
    ts_status s = TS_OK;
    for (int i = 0; i < 3 && s == TS_OK; i++) {
        cl_int err;
        tmp[i].mem = clCreateBuffer(dev->ctx, CL_MEM_READ_WRITE, bytes[i], NULL, &err);
        tmp[i].bytes = bytes[i];
        if (!tmp[i].mem)
            s = tsi_cl_error(dev->host, err, "matmul f32 scratch");
    }
    int64_t sa[4] = {c->shape[0], c->shape[1], M, K}, sb[4] = {c->shape[0], c->shape[1], K, N};
    tsi_view wa = f32_scratch_view(&tmp[0], sa), wb = f32_scratch_view(&tmp[1], sb);
    tsi_view wc = f32_scratch_view(&tmp[2], c->shape);
    if (s == TS_OK)
        s = cast_into(dev, a, &wa);
    if (s == TS_OK)
        s = cast_into(dev, b, &wb);
    if (s == TS_OK) {
        CLBlastStatusCode st = CLBlastSgemmStridedBatched(
            CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeNo, (size_t)M, (size_t)N,
            (size_t)K, 1.0f, tmp[0].mem, 0, (size_t)K, (size_t)(M * K), tmp[1].mem, 0, (size_t)N,
            (size_t)(K * N), 0.0f, tmp[2].mem, 0, (size_t)N, (size_t)(M * N), (size_t)batches,
            &dev->queue, NULL);
        tsi_cl_note_enqueue(dev);
        s = blas_status(dev, st);
    }
    if (s == TS_OK)
        s = cast_into(dev, &wc, c);
    for (int i = 0; i < 3; i++)
        if (tmp[i].mem)
            clReleaseMemObject(tmp[i].mem); /* deferred until the kernels ran */
    return s;
}
#endif

void tsi_cl_matmul_device_closed(tsi_device *dev)
{
#ifdef TESSEL_HAVE_CLBLAST
    /* CLBlast keeps its programs (and through them our context) alive in a
     * process-wide cache; drop it so a closed device frees its memory. The
     * other open devices merely rebuild on their next call. */
    if (dev->use_clblast)
        CLBlastClearCache();
#else
    (void)dev;
#endif
}

ts_status tsi_cl_record_matmul(tsi_device *dev, const tsi_op *op)
{
#ifdef TESSEL_HAVE_CLBLAST
    if (dev->use_clblast) {
        ts_status s = clblast_gemm(dev, op);
        if (s == TS_ERR_UNSUPPORTED)
            s = widened_gemm(dev, op);
        if (s != TS_ERR_UNSUPPORTED)
            return s;
        dev->host->log(TS_LOG_DEBUG,
                       "opencl: matmul %s %lldx%lldx%lld: own kernel (small, or views "
                       "CLBlast cannot take)",
                       op->out[0].dtype == TS_F32 ? "f32" : "f16/bf16",
                       (long long)op->out[0].shape[2], (long long)op->out[0].shape[3],
                       (long long)op->in[0].shape[3]);
    }
#endif
    return own_gemm(dev, op);
}
