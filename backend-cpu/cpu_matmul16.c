/* TSI_OP_MATMUL for f16 / bf16 operands (cpu_matmul.c hands them here):
 * every batch is one call of the 16-bit GEMM (cpu_gemm16.c), which reads
 * the operands through their strides (transposes, broadcasts and other
 * views need no copy), accumulates in f32 and rounds once into c. As for
 * f32: a broadcast b with evenly spaced rows of a (a linear layer on
 * [B, L, K]) is one tall GEMM, and many small batches run one whole GEMM
 * per pool task. */
#include "backend-cpu/cpu_gemm16.h"
#include "backend-cpu/cpu_internal.h"

/* As cpu_matmul.c: per-batch GEMMs below this run whole, one per task. */
#define MM16_SMALL_MACS (64 * 64 * 64)

typedef struct mm16_job {
    tsi_device *dev;
    const tsi_op *op;
    tsi_cpu_gemm16_kernel kn;
    int64_t m, n, k, nb1, batches;
    bool tall;      /* all batches as one GEMM: a's rows a_step apart */
    int64_t a_step;
    bool serial;
    size_t per_worker;
    char *work;
} mm16_job;

static void mm16_init(tsi_device *dev, const tsi_op *op, mm16_job *j)
{
    const tsi_view *a = &op->in[0], *b = &op->in[1], *c = &op->out[0];
    *j = (mm16_job){.dev = dev,
                    .op = op,
                    .m = c->shape[2],
                    .n = c->shape[3],
                    .k = a->shape[3],
                    .nb1 = c->shape[1],
                    .batches = c->shape[0] * c->shape[1]};
    tsi_cpu_gemm16_kernel_for(&dev->state->feat, dev->k, c->dtype, &j->kn);
    if (dev->state->host->test_hook("cpu_gemm16_chunks"))
        j->kn.acc_bytes = TSI_G16_TEST_ACC_BYTES;
    int threads = tsi_cpu_pool_threads(dev->pool);
    if (j->batches > 1 && tsi_cpu_matmul_b_shared(b)) {
        int64_t step = tsi_cpu_matmul_row_step(a);
        if (step >= 0) {
            j->tall = true;
            j->a_step = step;
            j->per_worker =
                tsi_cpu_gemm16_work_bytes(&j->kn, dev->k, j->batches * j->m, j->n, j->k, threads);
            return;
        }
    }
    j->serial = j->batches > 1 && threads > 1 && j->m * j->n * j->k <= MM16_SMALL_MACS;
    j->per_worker =
        tsi_cpu_gemm16_work_bytes(&j->kn, dev->k, j->m, j->n, j->k, j->serial ? 1 : threads);
    j->per_worker = tsi_cpu_align_up(j->per_worker);
}

static uint64_t mm16_copies(const mm16_job *j)
{
    return j->serial ? (uint64_t)tsi_cpu_pool_threads(j->dev->pool) : 1;
}

ts_status tsi_cpu_matmul16_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan)
{
    mm16_job j;
    mm16_init(dev, op, &j);
    plan->workspace_bytes = (uint64_t)j.per_worker * mm16_copies(&j);
    return TS_OK;
}

/* Batch t = i0 * nb1 + i1 as one GEMM; pool NULL: on this thread. */
static void mm16_one(const mm16_job *j, int64_t t, tsi_cpu_pool *pool, char *work)
{
    const tsi_view *a = &j->op->in[0], *b = &j->op->in[1], *c = &j->op->out[0];
    int64_t i0 = t / j->nb1, i1 = t % j->nb1;
    size_t es = ts_dtype_size(c->dtype);
    tsi_gemm16 g = {
        .dt = c->dtype,
        .m = j->m,
        .n = j->n,
        .k = j->k,
        .a = (const char *)tsi_cpu_view_ptr(a) +
             (size_t)(i0 * a->stride[0] + i1 * a->stride[1]) * es,
        .a_rs = a->stride[2],
        .a_cs = a->stride[3],
        .b = (const char *)tsi_cpu_view_ptr(b) +
             (size_t)(i0 * b->stride[0] + i1 * b->stride[1]) * es,
        .b_rs = b->stride[2],
        .b_cs = b->stride[3],
        .c = (char *)tsi_cpu_view_ptr(c) + (size_t)(t * j->m * j->n) * es,
        .c_dt = c->dtype,
        .ldc = j->n,
    };
    tsi_cpu_gemm16(pool, j->dev->k, &j->kn, &g, work);
}

static void mm16_batches(void *ctx, int64_t begin, int64_t end, int worker)
{
    const mm16_job *j = ctx;
    for (int64_t t = begin; t < end; t++)
        mm16_one(j, t, NULL, j->work + (size_t)worker * j->per_worker);
}

ts_status tsi_cpu_matmul16_record(tsi_device *dev, const tsi_op *op)
{
    mm16_job j;
    mm16_init(dev, op, &j);
    j.work = tsi_cpu_workspace(op);
    if (j.tall) {
        const tsi_view *a = &op->in[0], *b = &op->in[1], *c = &op->out[0];
        tsi_gemm16 g = {.dt = c->dtype,
                        .m = j.batches * j.m,
                        .n = j.n,
                        .k = j.k,
                        .a = tsi_cpu_view_ptr(a),
                        .a_rs = j.a_step,
                        .a_cs = a->stride[3],
                        .b = tsi_cpu_view_ptr(b),
                        .b_rs = b->stride[2],
                        .b_cs = b->stride[3],
                        .c = tsi_cpu_view_ptr(c),
                        .c_dt = c->dtype,
                        .ldc = j.n};
        tsi_cpu_gemm16(dev->pool, dev->k, &j.kn, &g, j.work);
        return TS_OK;
    }
    if (j.serial) {
        tsi_cpu_pool_for(dev->pool, j.batches, j.m * j.n * j.k, mm16_batches, &j);
        return TS_OK;
    }
    for (int64_t t = 0; t < j.batches; t++)
        mm16_one(&j, t, dev->pool, j.work);
    return TS_OK;
}
