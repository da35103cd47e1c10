/* TSI_OP_MATMUL: batched c[B0,B1,M,N] = a[B0,B1,M,K] * b[B0,B1,K,N] over
 * strided (transposed, broadcast) operands. Each batch becomes one
 * row-major f32 GEMM (tsi_cpu_sgemm): an operand whose strides already
 * describe a BLAS matrix (plain or transposed, leading dimension big
 * enough) is passed as is, anything else is packed first. A broadcast b
 * with a whose batch rows are evenly spaced (a linear layer on [B, L, K])
 * becomes a single tall GEMM. Many small batches run in parallel, one
 * whole GEMM per pool task on tessel's kernel. f16 / bf16 matmuls are
 * handed to cpu_matmul16.c (tessel's 16-bit GEMM, f32 accumulation). */
#include <string.h>

#include "backend-cpu/cpu_internal.h"

typedef struct mat_layout {
    bool trans; /* stored as its transpose (column-major) */
    int64_t ld;
    bool pack; /* neither: must be copied first */
} mat_layout;

/* How a rows x cols matrix with element strides (sr, sc) maps to BLAS. */
static mat_layout layout_of(int64_t rows, int64_t cols, int64_t sr, int64_t sc)
{
    mat_layout l = {.pack = false};
    if ((cols == 1 || sc == 1) && (rows == 1 || sr >= cols)) {
        l.ld = rows == 1 ? cols : sr;
        return l;
    }
    if ((rows == 1 || sr == 1) && (cols == 1 || sc >= rows)) {
        l.trans = true;
        l.ld = cols == 1 ? rows : sc;
        return l;
    }
    l.pack = true;
    return l;
}

/* Per-batch GEMMs below this many multiply-adds run whole, one per pool
 * task, on tessel's kernel: OpenBLAS would run them on one thread anyway,
 * and it must not be called from several pool workers at once. */
#define MM_SMALL_MACS (64 * 64 * 64)

typedef struct mm_job {
    tsi_device *dev;
    const tsi_op *op;
    int64_t m, n, k, nb1, batches;
    size_t es;
    /* direct: all batches as one tall GEMM on the operands as they lie,
     * a's rows a_step elements apart, b as lb says (no workspace). */
    bool direct;
    int64_t a_step;
    mat_layout la, lb; /* as passed to the GEMM (after packing) */
    bool serial;       /* one whole GEMM per pool task, on tessel's kernel */
    /* Workspace: one region per worker (serial batches) or just one. */
    char *work;
    size_t per_worker, copies, a_off, b_off, ga_off, gb_off;
} mm_job;

/* Strided rows x cols f32 matrix -> contiguous. */
static void pack_f32(const tsi_cpu_kernels *k, const char *src, int64_t rows, int64_t cols,
                     int64_t sr, int64_t sc, float *dst)
{
    for (int64_t r = 0; r < rows; r++)
        tsi_cpu_load_f32(k, TS_F32, src + r * sr * (int64_t)sizeof(float), sc, dst + r * cols,
                         (size_t)cols);
}

/* A part of the workspace; NULL when the plan asked for none (NULL + 0 is
 * undefined behaviour in C, and UBSan says so). */
static float *work_at(char *work, size_t off)
{
    return work ? (float *)(work + off) : NULL;
}

/* One batch t = i0 * nb1 + i1; serial: on tessel's kernel in this thread. */
static ts_status mm_one(const mm_job *j, int64_t t, char *work, bool serial)
{
    const tsi_view *a = &j->op->in[0], *b = &j->op->in[1], *c = &j->op->out[0];
    const tsi_cpu_kernels *k = j->dev->k;
    int64_t i0 = t / j->nb1, i1 = t % j->nb1, es = (int64_t)j->es;
    const char *ap =
        (const char *)tsi_cpu_view_ptr(a) + (i0 * a->stride[0] + i1 * a->stride[1]) * es;
    const char *bp =
        (const char *)tsi_cpu_view_ptr(b) + (i0 * b->stride[0] + i1 * b->stride[1]) * es;
    char *cp = (char *)tsi_cpu_view_ptr(c) + t * j->m * j->n * es;
    float *apack = work_at(work, j->a_off), *bpack = work_at(work, j->b_off);
    float *cf = (float *)cp;
    if (j->la.pack)
        pack_f32(k, ap, j->m, j->k, a->stride[2], a->stride[3], apack);
    if (j->lb.pack)
        pack_f32(k, bp, j->k, j->n, b->stride[2], b->stride[3], bpack);
    const float *af = j->la.pack ? apack : (const float *)ap;
    const float *bf = j->lb.pack ? bpack : (const float *)bp;
    if (serial) {
        tsi_cpu_gemm_serial(k, j->la.trans, j->lb.trans, j->m, j->n, j->k, af, j->la.ld, bf,
                            j->lb.ld, cf, j->n, work_at(work, j->ga_off),
                            work_at(work, j->gb_off));
    } else {
        ts_status st = tsi_cpu_sgemm(j->dev, j->la.trans, j->lb.trans, j->m, j->n, j->k, af,
                                     j->la.ld, bf, j->lb.ld, cf, j->n);
        if (st != TS_OK)
            return st;
    }
    return TS_OK;
}

static void mm_batches(void *ctx, int64_t begin, int64_t end, int worker)
{
    const mm_job *j = ctx;
    char *work = j->work ? j->work + (size_t)worker * j->per_worker : NULL;
    for (int64_t t = begin; t < end; t++)
        mm_one(j, t, work, true); /* the serial kernel cannot fail */
}

int64_t tsi_cpu_matmul_row_step(const tsi_view *a)
{
    int64_t step = -1, span = 1;
    for (int d = 2; d >= 0; d--) {
        if (a->shape[d] == 1)
            continue;
        if (step < 0)
            step = a->stride[d];
        else if (a->stride[d] != step * span)
            return -1;
        span *= a->shape[d];
    }
    return step < 0 ? a->shape[3] : step;
}

bool tsi_cpu_matmul_b_shared(const tsi_view *b)
{
    return (b->shape[0] == 1 || b->stride[0] == 0) && (b->shape[1] == 1 || b->stride[1] == 0);
}

static size_t floats_bytes(int64_t count)
{
    return tsi_cpu_align_up((size_t)count * sizeof(float));
}

/* Everything about the job that follows from the op and the device: the
 * GEMM layouts, whether batches run one per pool task, and where the
 * workspace puts the packed operands and panels. The plan and the record
 * both start here, so they cannot disagree on the workspace. */
static void mm_job_init(tsi_device *dev, const tsi_op *op, mm_job *j)
{
    const tsi_view *a = &op->in[0], *b = &op->in[1], *c = &op->out[0];
    *j = (mm_job){.dev = dev,
                  .op = op,
                  .m = c->shape[2],
                  .n = c->shape[3],
                  .k = a->shape[3],
                  .nb1 = c->shape[1],
                  .batches = c->shape[0] * c->shape[1],
                  .es = ts_dtype_size(c->dtype)};

    if (tsi_cpu_matmul_b_shared(b) && a->stride[3] == 1 && j->batches > 1) {
        j->a_step = tsi_cpu_matmul_row_step(a);
        j->lb = layout_of(j->k, j->n, b->stride[2], b->stride[3]);
        j->direct = j->a_step >= j->k && !j->lb.pack;
        if (j->direct)
            return;
    }

    j->la = layout_of(j->m, j->k, a->stride[2], a->stride[3]);
    j->lb = layout_of(j->k, j->n, b->stride[2], b->stride[3]);
    if (j->la.pack)
        j->la = (mat_layout){.trans = false, .ld = j->k, .pack = true};
    if (j->lb.pack)
        j->lb = (mat_layout){.trans = false, .ld = j->n, .pack = true};
    int threads = tsi_cpu_pool_threads(dev->pool);
    j->serial = j->batches > 1 && threads > 1 && j->m * j->n * j->k <= MM_SMALL_MACS;

    j->a_off = 0;
    j->b_off = j->a_off + (j->la.pack ? floats_bytes(j->m * j->k) : 0);
    j->ga_off = j->b_off + (j->lb.pack ? floats_bytes(j->k * j->n) : 0);
    j->per_worker = j->ga_off;
    if (j->serial) {
        size_t ga, gb = tsi_cpu_gemm_pack_floats(dev->k, j->n, &ga);
        j->gb_off = j->ga_off + floats_bytes((int64_t)ga);
        j->per_worker = j->gb_off + floats_bytes((int64_t)gb);
    }
    j->copies = j->serial ? (size_t)threads : 1;
}

ts_status tsi_cpu_matmul_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan)
{
    if (op->out[0].dtype != TS_F32)
        return tsi_cpu_matmul16_plan(dev, op, plan);
    mm_job j;
    mm_job_init(dev, op, &j);
    plan->workspace_bytes = (uint64_t)j.per_worker * j.copies;
    return TS_OK;
}

ts_status tsi_cpu_matmul_record(tsi_device *dev, const tsi_op *op)
{
    if (op->out[0].dtype != TS_F32)
        return tsi_cpu_matmul16_record(dev, op);
    mm_job j;
    mm_job_init(dev, op, &j);
    if (j.direct)
        return tsi_cpu_sgemm(dev, false, j.lb.trans, j.batches * j.m, j.n, j.k,
                             tsi_cpu_view_ptr(&op->in[0]), j.a_step, tsi_cpu_view_ptr(&op->in[1]),
                             j.lb.ld, tsi_cpu_view_ptr(&op->out[0]), j.n);
    j.work = tsi_cpu_workspace(op);
    if (j.serial) {
        tsi_cpu_pool_for(dev->pool, j.batches, j.m * j.n * j.k, mm_batches, &j);
        return TS_OK;
    }
    for (int64_t t = 0; t < j.batches; t++) {
        ts_status st = mm_one(&j, t, j.work, false);
        if (st != TS_OK)
            return st;
    }
    return TS_OK;
}

ts_status tsi_cpu_sgemm(tsi_device *dev, bool trans_a, bool trans_b, int64_t m, int64_t n,
                        int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,
                        float *c, int64_t ldc)
{
    tsi_cblas_sgemm_fn sgemm = dev->state->blas->sgemm;
    const int64_t int_max = 0x7fffffff;
    bool fits = m <= int_max && n <= int_max && k <= int_max && lda <= int_max && ldb <= int_max &&
                ldc <= int_max;
    /* TESSEL_TEST_HOOK=cpu_own_gemm: the own GEMM as with TESSEL_OPENBLAS=off,
     * read per call so tessel-bench gemm --own can compare both in one run. */
    if (!sgemm || !fits || dev->state->host->test_hook("cpu_own_gemm"))
        return tsi_cpu_gemm_packed(dev, trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc);
    sgemm(TSI_CBLAS_ROW_MAJOR, trans_a ? TSI_CBLAS_TRANS : TSI_CBLAS_NO_TRANS,
          trans_b ? TSI_CBLAS_TRANS : TSI_CBLAS_NO_TRANS, (int)m, (int)n, (int)k, 1.0f, a, (int)lda,
          b, (int)ldb, 0.0f, c, (int)ldc);
    return TS_OK;
}
