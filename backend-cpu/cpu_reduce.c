/* Reductions over the last dim of contiguous rows: sum, mean, max (any
 * dtype core allows; i32 sums wrap like two's complement; NaN propagates),
 * argmax, and top-k (descending, ties to the lower index, NaN largest). Float rows go through f32
 * (exact for f16/bf16); i32 rows stay integer so large values keep every
 * bit. Rows spread over the pool. */
#include <stdlib.h>
#include <string.h>

#include "backend-cpu/cpu_internal.h"

typedef struct row_job {
    const tsi_cpu_kernels *k;
    const tsi_op *op;
    const char *x;
    ts_dtype dt;
    size_t es;
    int64_t n;
    void *buf; /* workspace: buf_bytes per worker */
    size_t buf_bytes;
} row_job;

static int32_t wrap_i32(int64_t v)
{
    uint32_t u = (uint32_t)v;
    int32_t r;
    memcpy(&r, &u, sizeof r);
    return r;
}

static void reduce_i32(const row_job *j, const int32_t *x, int64_t row)
{
    int kind = j->op->p.reduce.kind;
    int32_t *out = (int32_t *)tsi_cpu_view_ptr(&j->op->out[0]);
    if (kind == TSI_REDUCE_SUM) {
        uint64_t s = 0;
        for (int64_t i = 0; i < j->n; i++)
            s += (uint64_t)(int64_t)x[i];
        out[row] = wrap_i32((int64_t)s);
        return;
    }
    int64_t best = 0;
    for (int64_t i = 1; i < j->n; i++)
        if (x[i] > x[best])
            best = i;
    out[row] = kind == TSI_REDUCE_ARGMAX ? (int32_t)best : x[best];
}

static void reduce_float(const row_job *j, const float *x, int64_t row)
{
    int kind = j->op->p.reduce.kind;
    const tsi_view *y = &j->op->out[0];
    size_t n = (size_t)j->n;
    float r;
    switch (kind) {
    case TSI_REDUCE_SUM:
        r = j->k->sum(x, n);
        break;
    case TSI_REDUCE_MEAN:
        r = (float)((double)j->k->sum(x, n) / (double)n);
        break;
    case TSI_REDUCE_MAX:
        r = j->k->max(x, n);
        break;
    default: {
        /* NaN ranks above every number, the first NaN wins (docs/numerics.md). */
        size_t best = 0;
        for (size_t i = 1; i < n && x[best] == x[best]; i++)
            if (x[i] > x[best] || x[i] != x[i])
                best = i;
        ((int32_t *)tsi_cpu_view_ptr(y))[row] = (int32_t)best;
        return;
    }
    }
    tsi_cpu_store_f32(j->k, y->dtype, &r, (char *)tsi_cpu_view_ptr(y) + row * (int64_t)j->es, 1, 1);
}

static void reduce_rows(void *ctx, int64_t begin, int64_t end, int worker)
{
    const row_job *j = ctx;
    for (int64_t row = begin; row < end; row++) {
        const char *src = j->x + row * j->n * (int64_t)j->es;
        if (j->dt == TS_I32) {
            reduce_i32(j, (const int32_t *)src, row);
        } else if (j->dt == TS_F32) {
            reduce_float(j, (const float *)src, row);
        } else {
            float *xf = (float *)((char *)j->buf + (size_t)worker * j->buf_bytes);
            tsi_cpu_load_f32(j->k, j->dt, src, 1, xf, (size_t)j->n);
            reduce_float(j, xf, row);
        }
    }
}

/* Row ops take row_bytes of workspace per worker (rounded up, so workers
 * never share a cache line). */
static void plan_rows(tsi_device *dev, size_t row_bytes, tsi_plan *plan)
{
    plan->workspace_bytes = (uint64_t)tsi_cpu_pool_threads(dev->pool) * tsi_cpu_align_up(row_bytes);
}

static ts_status run_rows(tsi_device *dev, const tsi_op *op, size_t row_bytes, tsi_cpu_task_fn fn,
                          int64_t cost)
{
    const tsi_view *x = &op->in[0];
    int64_t n = x->shape[3], rows = tsi_cpu_view_numel(x) / n;
    row_job j = {.k = dev->k,
                 .op = op,
                 .x = tsi_cpu_view_ptr(x),
                 .dt = x->dtype,
                 .es = ts_dtype_size(x->dtype),
                 .n = n,
                 .buf = tsi_cpu_workspace(op),
                 .buf_bytes = tsi_cpu_align_up(row_bytes)};
    tsi_cpu_pool_for(dev->pool, rows, n * cost, fn, &j);
    return TS_OK;
}

/* f32 and i32 rows are reduced where they lie; 16-bit ones are widened to
 * one f32 row per worker first. */
static size_t reduce_row_bytes(const tsi_op *op)
{
    ts_dtype dt = op->in[0].dtype;
    return dt == TS_F32 || dt == TS_I32 ? 0 : (size_t)op->in[0].shape[3] * sizeof(float);
}

ts_status tsi_cpu_reduce_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan)
{
    plan_rows(dev, reduce_row_bytes(op), plan);
    return TS_OK;
}

ts_status tsi_cpu_reduce_record(tsi_device *dev, const tsi_op *op)
{
    return run_rows(dev, op, reduce_row_bytes(op), reduce_rows, 2);
}

/* ---- top-k ---------------------------------------------------------------- */

typedef struct topk_item {
    double v; /* exact for every dtype: f32 and i32 both fit a double */
    int64_t i;
} topk_item;

/* a before b: larger value first, then the lower index; NaN ranks above
 * every number (docs/numerics.md), NaNs among themselves by index. */
static bool topk_before(const topk_item *a, const topk_item *b)
{
    bool an = a->v != a->v, bn = b->v != b->v;
    if (an || bn)
        return an && (!bn || a->i < b->i);
    return a->v > b->v || (a->v == b->v && a->i < b->i);
}

static int topk_cmp(const void *pa, const void *pb)
{
    const topk_item *a = pa, *b = pb;
    return topk_before(a, b) ? -1 : topk_before(b, a) ? 1 : 0;
}

/* Small k: keep the best k sorted by insertion, O(n k) but no full sort. */
#define TOPK_INSERTION_MAX 32

static void topk_rows(void *ctx, int64_t begin, int64_t end, int worker)
{
    const row_job *j = ctx;
    const tsi_op *op = j->op;
    int64_t n = j->n, k = op->p.topk.k;
    topk_item *items = (topk_item *)((char *)j->buf + (size_t)worker * j->buf_bytes);
    float *xf = (float *)(items + n);
    ts_dtype vdt = op->out[0].dtype;
    char *vals = tsi_cpu_view_ptr(&op->out[0]);
    int32_t *idx = (int32_t *)tsi_cpu_view_ptr(&op->out[1]);
    for (int64_t row = begin; row < end; row++) {
        const char *src = j->x + row * n * (int64_t)j->es;
        if (j->dt != TS_I32)
            tsi_cpu_load_f32(j->k, j->dt, src, 1, xf, (size_t)n);
        int64_t have = 0;
        for (int64_t i = 0; i < n; i++) {
            topk_item it = {j->dt == TS_I32 ? (double)((const int32_t *)src)[i] : (double)xf[i], i};
            if (k > TOPK_INSERTION_MAX) {
                items[have++] = it;
                continue;
            }
            if (have == k && !topk_before(&it, &items[k - 1]))
                continue;
            int64_t p = have < k ? have++ : k - 1;
            while (p > 0 && topk_before(&it, &items[p - 1])) {
                items[p] = items[p - 1];
                p--;
            }
            items[p] = it;
        }
        if (k > TOPK_INSERTION_MAX)
            qsort(items, (size_t)n, sizeof *items, topk_cmp);
        for (int64_t q = 0; q < k; q++) {
            int64_t o = row * k + q;
            idx[o] = (int32_t)items[q].i;
            if (vdt == TS_I32) {
                ((int32_t *)vals)[o] = (int32_t)items[q].v;
            } else {
                float v = (float)items[q].v;
                tsi_cpu_store_f32(j->k, vdt, &v, vals + o * (int64_t)j->es, 1, 1);
            }
        }
    }
}

/* Per worker: the row as (value, index) items, and the row widened to f32. */
static size_t topk_row_bytes(const tsi_op *op)
{
    return (size_t)op->in[0].shape[3] * (sizeof(topk_item) + sizeof(float));
}

ts_status tsi_cpu_topk_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan)
{
    plan_rows(dev, topk_row_bytes(op), plan);
    return TS_OK;
}

ts_status tsi_cpu_topk_record(tsi_device *dev, const tsi_op *op)
{
    return run_rows(dev, op, topk_row_bytes(op), topk_rows, 8);
}
