/* TSI_OP_NORM: LayerNorm and RMSNorm over contiguous rows, optionally
 * fused with the residual sum s = alpha*x + f (written out when asked).
 * Statistics in f32 vectors with f64 block sums; LayerNorm takes the
 * two-pass variance (mean first, then squared deviations), which does not
 * cancel when |mean| >> std the way E[x^2] - E[x]^2 does. */
#include <math.h>
#include <string.h>

#include "backend-cpu/cpu_internal.h"

typedef struct norm_job {
    const tsi_cpu_kernels *k;
    const tsi_op *op;
    int64_t n;
    const float *w, *b; /* f32 copies of weight / bias, or NULL */
    float *rows;        /* workspace: rows_floats per worker */
    size_t rows_floats;
} norm_job;

/* Where the workspace puts what (in floats, each part 64-byte aligned):
 * the f32 weight and bias when the op has them, then each worker's rows:
 * one for f32 (a residual sum that is not written out), x, f and y for
 * 16-bit dtypes. */
typedef struct norm_space {
    size_t w, b, rows, rows_floats, total;
} norm_space;

static norm_space space_of(const tsi_device *dev, const tsi_op *op)
{
    size_t vec = tsi_cpu_align_floats((size_t)op->in[0].shape[3]);
    bool has_b = op->in[3].buf && op->p.norm.kind == TSI_NORM_LAYER;
    norm_space sp = {.w = 0};
    sp.b = sp.w + (op->in[2].buf ? vec : 0);
    sp.rows = sp.b + (has_b ? vec : 0);
    sp.rows_floats = (op->in[0].dtype == TS_F32 ? 1 : 3) * vec;
    sp.total = sp.rows + (size_t)tsi_cpu_pool_threads(dev->pool) * sp.rows_floats;
    return sp;
}

static const char *row_ptr(const tsi_view *v, int64_t row, int64_t n)
{
    return (const char *)tsi_cpu_view_ptr(v) + row * n * (int64_t)ts_dtype_size(v->dtype);
}

static void norm_row_stats(const norm_job *j, const float *s, float *mean, float *rstd)
{
    const tsi_cpu_kernels *k = j->k;
    size_t n = (size_t)j->n;
    *mean = 0.0f;
    if (j->op->p.norm.kind == TSI_NORM_LAYER)
        *mean = (float)((double)k->sum(s, n) / (double)n);
    float var = (float)((double)k->sumsq(s, n, *mean) / (double)n);
    *rstd = 1.0f / sqrtf(var + j->op->p.norm.eps);
}

/* f32 needs no conversion, so the row is touched in place: s = alpha*x + f
 * goes straight to its output (or one scratch row), the statistics read it
 * while it is cache-hot and y is written once. Memory sees each byte once. */
static void norm_rows_f32(const norm_job *j, int64_t begin, int64_t end, float *tmp)
{
    const tsi_op *op = j->op;
    const tsi_cpu_kernels *k = j->k;
    size_t n = (size_t)j->n;
    for (int64_t row = begin; row < end; row++) {
        const float *s = (const float *)row_ptr(&op->in[0], row, j->n);
        float *s_out = op->out[1].buf ? (float *)row_ptr(&op->out[1], row, j->n) : NULL;
        if (op->in[1].buf) {
            float *dst = s_out ? s_out : tmp;
            k->axpy(op->p.norm.alpha, s, (const float *)row_ptr(&op->in[1], row, j->n), dst, n);
            s = dst;
        } else if (s_out) {
            memcpy(s_out, s, n * sizeof(float));
        }
        float mean, rstd;
        norm_row_stats(j, s, &mean, &rstd);
        k->norm_apply(s, j->w, j->b, (float *)row_ptr(&op->out[0], row, j->n), n, mean, rstd);
    }
}

static void norm_rows(void *ctx, int64_t begin, int64_t end, int worker)
{
    const norm_job *j = ctx;
    const tsi_op *op = j->op;
    const tsi_cpu_kernels *k = j->k;
    size_t n = (size_t)j->n;
    ts_dtype dt = op->in[0].dtype;
    float *x = j->rows + (size_t)worker * j->rows_floats;
    if (dt == TS_F32) {
        norm_rows_f32(j, begin, end, x);
        return;
    }
    float *f = x + n, *y = f + n;
    for (int64_t row = begin; row < end; row++) {
        tsi_cpu_load_f32(k, dt, row_ptr(&op->in[0], row, j->n), 1, x, n);
        if (op->in[1].buf) {
            tsi_cpu_load_f32(k, dt, row_ptr(&op->in[1], row, j->n), 1, f, n);
            k->axpy(op->p.norm.alpha, x, f, x, n);
            if (op->out[1].buf)
                tsi_cpu_store_f32(k, dt, x, (char *)row_ptr(&op->out[1], row, j->n), 1, n);
        } else if (op->out[1].buf) {
            tsi_cpu_store_f32(k, dt, x, (char *)row_ptr(&op->out[1], row, j->n), 1, n);
        }
        float mean = 0.0f;
        if (op->p.norm.kind == TSI_NORM_LAYER)
            mean = (float)((double)k->sum(x, n) / (double)n);
        float var = (float)((double)k->sumsq(x, n, mean) / (double)n);
        float rstd = 1.0f / sqrtf(var + op->p.norm.eps);
        k->norm_apply(x, j->w, j->b, y, n, mean, rstd);
        tsi_cpu_store_f32(k, dt, y, (char *)row_ptr(&op->out[0], row, j->n), 1, n);
    }
}

ts_status tsi_cpu_norm_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan)
{
    plan->workspace_bytes = (uint64_t)space_of(dev, op).total * sizeof(float);
    return TS_OK;
}

ts_status tsi_cpu_norm_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_view *x = &op->in[0];
    int64_t n = x->shape[3], rows = tsi_cpu_view_numel(x) / n;
    norm_space sp = space_of(dev, op);
    float *ws = tsi_cpu_workspace(op);
    float *w = NULL, *b = NULL;
    if (op->in[2].buf) {
        w = ws + sp.w;
        tsi_cpu_load_f32(dev->k, op->in[2].dtype, tsi_cpu_view_ptr(&op->in[2]), 1, w, (size_t)n);
    }
    if (op->in[3].buf && op->p.norm.kind == TSI_NORM_LAYER) {
        b = ws + sp.b;
        tsi_cpu_load_f32(dev->k, op->in[3].dtype, tsi_cpu_view_ptr(&op->in[3]), 1, b, (size_t)n);
    }
    norm_job j = {.k = dev->k,
                  .op = op,
                  .n = n,
                  .w = w,
                  .b = b,
                  .rows = ws + sp.rows,
                  .rows_floats = sp.rows_floats};
    tsi_cpu_pool_for(dev->pool, rows, n * 8, norm_rows, &j);
    return TS_OK;
}
