/* TSI_OP_SOFTMAX over contiguous rows: y = softmax(scale * x), with the
 * bottom-right-aligned causal mask of core/op.h. Max-subtracted in f32, the
 * sum of exponentials accumulated in f64 blocks (exp_sum), one reciprocal
 * multiply per element. Rows spread over the pool. */
#include <math.h>
#include <string.h>

#include "backend-cpu/cpu_internal.h"

typedef struct softmax_job {
    const tsi_cpu_kernels *k;
    const tsi_op *op;
    const char *x;
    char *y;
    size_t es;
    int64_t n, m;      /* row length, rows per trailing matrix */
    float *buf;        /* workspace: buf_floats per worker */
    size_t buf_floats; /* x and y rows as f32 */
} softmax_job;

static void softmax_finish(const tsi_cpu_kernels *k, const float *x, float *y, size_t n,
                           float scale, float top)
{
    float sum = k->exp_sum(x, y, n, scale, top);
    k->unary(TSI_UNARY_SCALE_SHIFT, y, y, n, 1.0f / sum, 0.0f);
}

static void softmax_rows(void *ctx, int64_t begin, int64_t end, int worker)
{
    const softmax_job *j = ctx;
    const tsi_cpu_kernels *k = j->k;
    ts_dtype dt = j->op->in[0].dtype;
    float scale = j->op->p.softmax.scale;
    float *xf = j->buf + (size_t)worker * j->buf_floats, *yf = xf + j->n;
    for (int64_t row = begin; row < end; row++) {
        int64_t valid = j->n;
        if (j->op->p.softmax.causal) {
            int64_t r = row % j->m;
            valid = r + (j->n - j->m) + 1;
            valid = valid < 0 ? 0 : valid > j->n ? j->n : valid;
        }
        tsi_cpu_load_f32(k, dt, j->x + row * j->n * (int64_t)j->es, 1, xf, (size_t)j->n);
        if (valid > 0) {
            /* max(scale*x) is scale*max(x) or, for a negative scale, scale*min(x). */
            float top = scale >= 0.0f ? scale * k->max(xf, (size_t)valid)
                                      : scale * k->min(xf, (size_t)valid);
            /* Every logit -inf (masked by the caller): zeros, like a row the
             * causal mask hides, instead of exp(-inf - -inf) = NaN. */
            if (top == -INFINITY)
                valid = 0;
            else
                softmax_finish(k, xf, yf, (size_t)valid, scale, top);
        }
        memset(yf + valid, 0, (size_t)(j->n - valid) * sizeof(float));
        tsi_cpu_store_f32(k, dt, yf, j->y + row * j->n * (int64_t)j->es, 1, (size_t)j->n);
    }
}

/* Each worker's f32 copies of one row and its result. */
static size_t worker_floats(const tsi_op *op)
{
    return tsi_cpu_align_floats(2 * (size_t)op->in[0].shape[3]);
}

ts_status tsi_cpu_softmax_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan)
{
    plan->workspace_bytes =
        (uint64_t)tsi_cpu_pool_threads(dev->pool) * worker_floats(op) * sizeof(float);
    return TS_OK;
}

ts_status tsi_cpu_softmax_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_view *x = &op->in[0];
    int64_t n = x->shape[3], rows = tsi_cpu_view_numel(x) / n;
    softmax_job j = {.k = dev->k,
                     .op = op,
                     .x = tsi_cpu_view_ptr(x),
                     .y = tsi_cpu_view_ptr(&op->out[0]),
                     .es = ts_dtype_size(x->dtype),
                     .n = n,
                     .m = x->shape[2],
                     .buf = tsi_cpu_workspace(op),
                     .buf_floats = worker_floats(op)};
    tsi_cpu_pool_for(dev->pool, rows, n * 24, softmax_rows, &j);
    return TS_OK;
}
