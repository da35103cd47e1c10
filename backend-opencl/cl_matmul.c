/* Matmul on OpenCL: CLBlast first, when it was found at build time and the
 * views fit a BLAS call (each operand row- or column-major with a leading
 * dimension, batches at one uniform stride or few enough to loop); else
 * the tiled kernel written once for both GPU backends (shaders/matmul.kern,
 * backend-gpu/gpu_matmul.c), which takes any strides.
 *
 * f16 and bf16 never use CLBlastHgemm by default: it accumulates in half,
 * which overflows on real models (a device with cl_khr_fp16 may opt in
 * with TESSEL_OPENCL_HGEMM=1). From moderate sizes on they are widened to
 * f32 in the op's workspace and go through CLBlastSgemm; small ones use the
 * shared kernel, which reads f16/bf16 directly and accumulates in f32.
 * TESSEL_OPENCL_GEMM=own forces the shared kernel (tests run both paths).
 *
 * supports, plan and record all take the same route (route_of), so what
 * supports() promised is what record() runs. */
#include <stdlib.h>
#include <string.h>

#include "backend-gpu/gpu_kernels.h"
#include "backend-opencl/cl_internal.h"
#include "core/half.h"

#ifdef TESSEL_HAVE_CLBLAST
#include <clblast_c.h>
#endif

typedef enum mm_route { ROUTE_OWN, ROUTE_CLBLAST, ROUTE_WIDENED } mm_route;

#ifdef TESSEL_HAVE_CLBLAST

/* One CLBlast GEMM call (or a loop of them) for the views of an op. */
typedef struct blas_call {
    bool half;
    CLBlastTranspose ta, tb;
    size_t m, n, k, lda, ldb, sa, sb;
    bool strided; /* one strided-batched call over every batch */
} blas_call;

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

/* Whether CLBlast takes the op's views as they are; fills the call. */
static bool blas_plan(const tsi_device *dev, const tsi_op *op, blas_call *call)
{
    const tsi_view *a = &op->in[0], *b = &op->in[1], *c = &op->out[0];
    call->half = c->dtype == TS_F16;
    if (c->dtype == TS_BF16 || (call->half && !dev->caps->fp16))
        return false;
    if (call->half) {
        const char *opt = getenv("TESSEL_OPENCL_HGEMM");
        if (!opt || strcmp(opt, "1") != 0)
            return false;
    }
    call->m = (size_t)c->shape[2];
    call->n = (size_t)c->shape[3];
    call->k = (size_t)a->shape[3];
    if (!blas_layout(a->shape[2], a->shape[3], a->stride[2], a->stride[3], &call->ta, &call->lda) ||
        !blas_layout(b->shape[2], b->shape[3], b->stride[2], b->stride[3], &call->tb, &call->ldb))
        return false;
    int64_t b0 = c->shape[0], b1 = c->shape[1], batches = b0 * b1;
    call->sa = call->sb = 0;
    call->strided =
        batches > 1 && batch_stride(a, b0, b1, &call->sa) && batch_stride(b, b0, b1, &call->sb);
    return batches == 1 || call->strided || batches <= TSI_CL_BLAS_LOOP_MAX;
}

static ts_status blas_status(tsi_device *dev, CLBlastStatusCode s)
{
    tsi_cl_note_enqueue(dev);
    if (s == CLBlastSuccess)
        return TS_OK;
    if (s < 0 && s > -1000)
        return tsi_cl_error(dev->host, (cl_int)s, "CLBlast gemm");
    dev->host->set_error("opencl: CLBlast gemm failed with status %d", (int)s);
    return TS_ERR_BACKEND;
}

/* One GEMM (or one strided-batched GEMM of `batches`) at element offsets. */
static ts_status blas_gemm(tsi_device *dev, const blas_call *p, cl_mem am, size_t ao, cl_mem bm,
                           size_t bo, cl_mem cm, size_t co, size_t batches)
{
    CLBlastStatusCode s;
    size_t mn = p->m * p->n;
    if (p->half) {
        cl_half one = tsi_f32_to_f16(1.0f), zero = 0;
        s = batches == 1
                ? CLBlastHgemm(CLBlastLayoutRowMajor, p->ta, p->tb, p->m, p->n, p->k, one, am, ao,
                               p->lda, bm, bo, p->ldb, zero, cm, co, p->n, &dev->queue, NULL)
                : CLBlastHgemmStridedBatched(CLBlastLayoutRowMajor, p->ta, p->tb, p->m, p->n, p->k,
                                             one, am, ao, p->lda, p->sa, bm, bo, p->ldb, p->sb,
                                             zero, cm, co, p->n, mn, batches, &dev->queue, NULL);
    } else {
        s = batches == 1
                ? CLBlastSgemm(CLBlastLayoutRowMajor, p->ta, p->tb, p->m, p->n, p->k, 1.0f, am, ao,
                               p->lda, bm, bo, p->ldb, 0.0f, cm, co, p->n, &dev->queue, NULL)
                : CLBlastSgemmStridedBatched(CLBlastLayoutRowMajor, p->ta, p->tb, p->m, p->n, p->k,
                                             1.0f, am, ao, p->lda, p->sa, bm, bo, p->ldb, p->sb,
                                             0.0f, cm, co, p->n, mn, batches, &dev->queue, NULL);
    }
    return blas_status(dev, s);
}

static ts_status clblast_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_view *a = &op->in[0], *b = &op->in[1], *c = &op->out[0];
    blas_call p;
    blas_plan(dev, op, &p);
    cl_mem am = a->buf->mem, bm = b->buf->mem, cm = c->buf->mem;
    int64_t b0 = c->shape[0], b1 = c->shape[1];
    if (b0 * b1 == 1 || p.strided)
        return blas_gemm(dev, &p, am, (size_t)a->offset, bm, (size_t)b->offset, cm,
                         (size_t)c->offset, (size_t)(b0 * b1));
    /* Few batches at irregular strides: one call each. */
    for (int64_t i0 = 0; i0 < b0; i0++) {
        for (int64_t i1 = 0; i1 < b1; i1++) {
            size_t ao = (size_t)(a->offset + i0 * a->stride[0] + i1 * a->stride[1]);
            size_t bo = (size_t)(b->offset + i0 * b->stride[0] + i1 * b->stride[1]);
            size_t co = (size_t)c->offset + (size_t)(i0 * b1 + i1) * p.m * p.n;
            TSI_CL_TRY(blas_gemm(dev, &p, am, ao, bm, bo, cm, co, 1));
        }
    }
    return TS_OK;
}

/* f16 / bf16 through CLBlastSgemm with f32 accumulation: the operands are
 * widened into contiguous f32 parts of the workspace (batch broadcasts
 * materialized), one strided-batched Sgemm runs, and the product is
 * rounded back into c. The extra traffic is O(MK + KN + MN) against
 * O(MNK) work, so this pays from moderate sizes on; smaller products stay
 * on the shared kernel. */
#define TSI_CL_WIDEN_MIN_MNK ((int64_t)32 * 32 * 32)

/* The three f32 parts of the workspace: a [B, M, K], b [B, K, N], c. */
typedef struct widened {
    tsi_view a, b, c;
    uint64_t bytes;
} widened;

static tsi_view f32_part(tsi_buffer *ws, int64_t offset, int64_t b0, int64_t b1, int64_t rows,
                         int64_t cols)
{
    tsi_view v = {.buf = ws, .offset = offset, .dtype = TS_F32};
    int64_t shape[4] = {b0, b1, rows, cols};
    int64_t stride[4] = {b1 * rows * cols, rows * cols, cols, 1};
    memcpy(v.shape, shape, sizeof shape);
    memcpy(v.stride, stride, sizeof stride);
    return v;
}

static widened widened_parts(const tsi_op *op, tsi_buffer *ws)
{
    const tsi_view *c = &op->out[0];
    int64_t b0 = c->shape[0], b1 = c->shape[1];
    int64_t m = c->shape[2], n = c->shape[3], k = op->in[0].shape[3];
    widened w = {.a = f32_part(ws, 0, b0, b1, m, k),
                 .b = f32_part(ws, b0 * b1 * m * k, b0, b1, k, n),
                 .c = f32_part(ws, b0 * b1 * (m * k + k * n), b0, b1, m, n)};
    w.bytes = (uint64_t)(b0 * b1 * (m * k + k * n + m * n)) * sizeof(float);
    return w;
}

/* A cast (a TSI_OP_UNARY copy) through the backend's own unary row,
 * whichever kernel that is. */
static tsi_op cast_op(const tsi_view *from, const tsi_view *to)
{
    tsi_op cast = {.size = (uint32_t)sizeof(tsi_op), .code = TSI_OP_UNARY, .n_in = 1, .n_out = 1};
    cast.in[0] = *from;
    cast.out[0] = *to;
    cast.p.unary.kind = TSI_UNARY_COPY;
    cast.p.unary.alpha = 1.0f;
    return cast;
}

static bool cast_supported(tsi_device *dev, const tsi_view *from, const tsi_view *to)
{
    const tsi_kernel *k = &tsi_cl_kernels_table[TSI_OP_UNARY];
    tsi_op cast = cast_op(from, to);
    if (!k->record || (k->supports && !k->supports(dev, &cast)))
        return false;
    if (!k->plan)
        return true;
    tsi_plan plan; /* the casts get no workspace of their own */
    return k->plan(dev, &cast, &plan) == TS_OK && plan.workspace_bytes == 0;
}

static ts_status cast_record(tsi_device *dev, const tsi_view *from, const tsi_view *to)
{
    const tsi_kernel *k = &tsi_cl_kernels_table[TSI_OP_UNARY];
    tsi_op cast = cast_op(from, to);
    if (k->plan)
        TSI_CL_TRY(k->plan(dev, &cast, &cast.plan));
    return k->record(dev, &cast);
}

static bool widened_takes(tsi_device *dev, const tsi_op *op)
{
    const tsi_view *a = &op->in[0], *b = &op->in[1], *c = &op->out[0];
    if (c->dtype == TS_F32 || c->shape[2] * c->shape[3] * a->shape[3] < TSI_CL_WIDEN_MIN_MNK)
        return false;
    tsi_buffer probe = {NULL, 0}; /* stands for the workspace */
    widened w = widened_parts(op, &probe);
    probe.bytes = (size_t)w.bytes;
    return w.bytes <= dev->caps->max_alloc && cast_supported(dev, a, &w.a) &&
           cast_supported(dev, b, &w.b) && cast_supported(dev, &w.c, c);
}

static ts_status widened_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_view *c = &op->out[0];
    widened w = widened_parts(op, op->workspace);
    TSI_CL_TRY(cast_record(dev, &op->in[0], &w.a));
    TSI_CL_TRY(cast_record(dev, &op->in[1], &w.b));
    blas_call p = {.ta = CLBlastTransposeNo,
                   .tb = CLBlastTransposeNo,
                   .m = (size_t)c->shape[2],
                   .n = (size_t)c->shape[3],
                   .k = (size_t)op->in[0].shape[3]};
    p.lda = p.k;
    p.ldb = p.n;
    p.sa = p.m * p.k;
    p.sb = p.k * p.n;
    cl_mem ws = op->workspace->mem;
    TSI_CL_TRY(blas_gemm(dev, &p, ws, (size_t)w.a.offset, ws, (size_t)w.b.offset, ws,
                         (size_t)w.c.offset, (size_t)(c->shape[0] * c->shape[1])));
    return cast_record(dev, &w.c, c);
}
#endif

static mm_route route_of(tsi_device *dev, const tsi_op *op)
{
#ifdef TESSEL_HAVE_CLBLAST
    blas_call call;
    if (dev->use_clblast && blas_plan(dev, op, &call))
        return ROUTE_CLBLAST;
    if (dev->use_clblast && widened_takes(dev, op))
        return ROUTE_WIDENED;
#else
    (void)dev;
    (void)op;
#endif
    return ROUTE_OWN;
}

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

bool tsi_cl_matmul_supports(tsi_device *dev, const tsi_op *op)
{
    ts_dtype dt = op->out[0].dtype;
    if (dt != TS_F32 && dt != TS_F16 && dt != TS_BF16)
        return false;
    return route_of(dev, op) != ROUTE_OWN || tsi_gpu_matmul_supports(dev, op);
}

ts_status tsi_cl_matmul_plan(tsi_device *dev, const tsi_op *op, tsi_plan *out)
{
    switch (route_of(dev, op)) {
#ifdef TESSEL_HAVE_CLBLAST
    case ROUTE_CLBLAST:
        *out = (tsi_plan){.workspace_bytes = 0};
        return TS_OK;
    case ROUTE_WIDENED:
        *out = (tsi_plan){.workspace_bytes = widened_parts(op, NULL).bytes};
        return TS_OK;
#endif
    default:
        return tsi_gpu_matmul_plan(dev, op, out);
    }
}

ts_status tsi_cl_matmul_record(tsi_device *dev, const tsi_op *op)
{
    switch (route_of(dev, op)) {
#ifdef TESSEL_HAVE_CLBLAST
    case ROUTE_CLBLAST:
        return clblast_record(dev, op);
    case ROUTE_WIDENED:
        return widened_record(dev, op);
#endif
    default:
        if (dev->use_clblast)
            dev->host->log(TS_LOG_DEBUG,
                           "opencl: matmul %s %lldx%lldx%lld: shared kernel (small, or views "
                           "CLBlast cannot take)",
                           op->out[0].dtype == TS_F32 ? "f32" : "f16/bf16",
                           (long long)op->out[0].shape[2], (long long)op->out[0].shape[3],
                           (long long)op->in[0].shape[3]);
        return tsi_gpu_matmul_record(dev, op);
    }
}
