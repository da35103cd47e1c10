/* TSI_OP_CONV1D_CAUSAL: short depthwise causal convolution,
 * y[b,t,c] = bias[c] + sum_{j<K} w[c,j] * x[b,t-j,c]. Each output step is
 * a contiguous row of C channels: K fused multiply-adds of a weight row
 * (w transposed once to [K][C] in f32) into an f32 accumulator. Steps
 * spread over the pool. */
#include <string.h>

#include "backend-cpu/cpu_internal.h"

typedef struct conv_job {
    const tsi_cpu_kernels *k;
    ts_dtype dt;
    size_t es;
    const char *x;
    char *y;
    int64_t l, c, kw;
    const float *wt; /* [K][C], rows wld floats apart */
    int64_t wld;
    const float *bias; /* [C] or NULL */
    float *buf;        /* workspace: buf_floats per worker */
    size_t buf_floats;
} conv_job;

/* Where the workspace puts what (in floats, each part 64-byte aligned):
 * w transposed to [K][C] f32 rows, the f32 bias when there is one, then
 * each worker's rows: the accumulator, and for 16-bit dtypes one input
 * row widened to f32. */
typedef struct conv_space {
    size_t vec; /* one row of C floats, rounded up */
    size_t bias, rows, rows_floats, total;
} conv_space;

static conv_space space_of(const tsi_device *dev, const tsi_op *op)
{
    const tsi_view *x = &op->in[0];
    conv_space sp = {.vec = tsi_cpu_align_floats((size_t)x->shape[3])};
    sp.bias = (size_t)op->p.conv1d.k * sp.vec;
    sp.rows = sp.bias + (op->in[2].buf ? sp.vec : 0);
    sp.rows_floats = (x->dtype == TS_F32 ? 1 : 2) * sp.vec;
    sp.total = sp.rows + (size_t)tsi_cpu_pool_threads(dev->pool) * sp.rows_floats;
    return sp;
}

static void conv_steps(void *ctx, int64_t begin, int64_t end, int worker)
{
    const conv_job *j = ctx;
    size_t c = (size_t)j->c;
    float *acc = j->buf + (size_t)worker * j->buf_floats, *xr = acc + c;
    for (int64_t s = begin; s < end; s++) {
        int64_t t = s % j->l;
        if (j->bias)
            memcpy(acc, j->bias, c * sizeof *acc);
        else
            memset(acc, 0, c * sizeof *acc);
        for (int64_t q = 0; q < j->kw && q <= t; q++) {
            const char *row = j->x + (s - q) * j->c * (int64_t)j->es;
            const float *xv = (const float *)row;
            if (j->dt != TS_F32) {
                tsi_cpu_load_f32(j->k, j->dt, row, 1, xr, c);
                xv = xr;
            }
            j->k->mul_acc(j->wt + q * j->wld, xv, acc, c);
        }
        tsi_cpu_store_f32(j->k, j->dt, acc, j->y + s * j->c * (int64_t)j->es, 1, c);
    }
}

ts_status tsi_cpu_conv1d_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan)
{
    plan->workspace_bytes = (uint64_t)space_of(dev, op).total * sizeof(float);
    return TS_OK;
}

ts_status tsi_cpu_conv1d_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_view *x = &op->in[0];
    int64_t steps = x->shape[1] * x->shape[2], c = x->shape[3], kw = op->p.conv1d.k;
    conv_space sp = space_of(dev, op);
    float *ws = tsi_cpu_workspace(op), *wt = ws, *bias = NULL;
    size_t ld = sp.vec;
    /* w is [C][K]: read column q of it as row q of wt. */
    for (int64_t q = 0; q < kw; q++)
        tsi_cpu_load_f32(dev->k, x->dtype,
                         (const char *)tsi_cpu_view_ptr(&op->in[1]) +
                             q * (int64_t)ts_dtype_size(x->dtype),
                         kw, wt + (size_t)q * ld, (size_t)c);
    if (op->in[2].buf) {
        bias = ws + sp.bias;
        tsi_cpu_load_f32(dev->k, x->dtype, tsi_cpu_view_ptr(&op->in[2]), 1, bias, (size_t)c);
    }
    conv_job j = {.k = dev->k,
                  .dt = x->dtype,
                  .es = ts_dtype_size(x->dtype),
                  .x = tsi_cpu_view_ptr(x),
                  .y = tsi_cpu_view_ptr(&op->out[0]),
                  .l = x->shape[2],
                  .c = c,
                  .kw = kw,
                  .wt = wt,
                  .wld = (int64_t)ld,
                  .bias = bias,
                  .buf = ws + sp.rows,
                  .buf_floats = sp.rows_floats};
    tsi_cpu_pool_for(dev->pool, steps, c * kw * 2, conv_steps, &j);
    return TS_OK;
}
