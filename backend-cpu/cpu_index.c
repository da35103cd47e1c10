/* Row indexing: gather_rows (embedding lookup; an index outside [0, V)
 * yields a zero row) and scatter_add_rows (dst[idx[i]] += src[i] in
 * order of i). Scatter is made deterministic without atomics by giving
 * each pool task a band of columns and walking every index in order
 * inside it; 16-bit dst rows accumulate in f32 and round once at the end,
 * so a row hit many times does not pile up rounding error. */
#include <string.h>

#include "backend-cpu/cpu_internal.h"

typedef struct gather_job {
    const char *table;
    const int32_t *idx;
    char *out;
    int64_t v;
    size_t row_bytes;
} gather_job;

static void gather_rows(void *ctx, int64_t begin, int64_t end, int worker)
{
    const gather_job *j = ctx;
    for (int64_t i = begin; i < end; i++) {
        int64_t r = j->idx[i];
        char *dst = j->out + i * (int64_t)j->row_bytes;
        if (r >= 0 && r < j->v)
            memcpy(dst, j->table + r * (int64_t)j->row_bytes, j->row_bytes);
        else
            memset(dst, 0, j->row_bytes); /* all-zero bits are 0 in every dtype */
    }
}

ts_status tsi_cpu_gather_rows_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_view *t = &op->in[0];
    int64_t d = t->shape[3];
    gather_job j = {.table = tsi_cpu_view_ptr(t),
                    .idx = tsi_cpu_view_ptr(&op->in[1]),
                    .out = tsi_cpu_view_ptr(&op->out[0]),
                    .v = t->shape[2],
                    .row_bytes = (size_t)d * ts_dtype_size(t->dtype)};
    tsi_cpu_pool_for(dev->pool, op->in[1].shape[3], d, gather_rows, &j);
    return TS_OK;
}

/* ---- scatter-add ---------------------------------------------------------- */

#define SCATTER_BAND 256 /* columns per task */

typedef struct scatter_job {
    const tsi_cpu_kernels *k;
    const int32_t *idx;
    const char *src;
    char *dst;
    ts_dtype dt;
    size_t es;
    int64_t n, v, d;
    float *acc; /* V x D f32 accumulator for 16-bit dst, else NULL */
} scatter_job;

static void add_i32(int32_t *y, const int32_t *x, int64_t len)
{
    for (int64_t c = 0; c < len; c++)
        y[c] = (int32_t)((uint32_t)y[c] + (uint32_t)x[c]);
}

static void scatter_band(void *ctx, int64_t begin, int64_t end, int worker)
{
    const scatter_job *j = ctx;
    float xs[SCATTER_BAND];
    for (int64_t band = begin; band < end; band++) {
        int64_t c0 = band * SCATTER_BAND;
        int64_t len = j->d - c0 < SCATTER_BAND ? j->d - c0 : SCATTER_BAND;
        if (j->acc) {
            for (int64_t r = 0; r < j->v; r++)
                tsi_cpu_load_f32(j->k, j->dt, j->dst + (r * j->d + c0) * (int64_t)j->es, 1,
                                 j->acc + r * j->d + c0, (size_t)len);
        }
        for (int64_t i = 0; i < j->n; i++) {
            int64_t r = j->idx[i];
            if (r < 0 || r >= j->v)
                continue;
            const char *s = j->src + (i * j->d + c0) * (int64_t)j->es;
            if (j->dt == TS_I32) {
                add_i32((int32_t *)j->dst + r * j->d + c0, (const int32_t *)s, len);
                continue;
            }
            float *y = j->acc ? j->acc + r * j->d + c0 : (float *)j->dst + r * j->d + c0;
            const float *x = (const float *)s;
            if (j->dt != TS_F32) {
                tsi_cpu_load_f32(j->k, j->dt, s, 1, xs, (size_t)len);
                x = xs;
            }
            j->k->binary(TS_ADD, y, x, y, (size_t)len);
        }
        if (j->acc) {
            for (int64_t r = 0; r < j->v; r++)
                tsi_cpu_store_f32(j->k, j->dt, j->acc + r * j->d + c0,
                                  j->dst + (r * j->d + c0) * (int64_t)j->es, 1, (size_t)len);
        }
    }
}

static bool is_16bit(ts_dtype dt)
{
    return dt == TS_F16 || dt == TS_BF16;
}

/* 16-bit dst: the whole V x D f32 accumulator. */
ts_status tsi_cpu_scatter_add_rows_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan)
{
    const tsi_view *dst = &op->out[0];
    plan->workspace_bytes =
        is_16bit(dst->dtype) ? (uint64_t)(dst->shape[2] * dst->shape[3]) * sizeof(float) : 0;
    return TS_OK;
}

ts_status tsi_cpu_scatter_add_rows_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_view *dst = &op->out[0];
    scatter_job j = {.k = dev->k,
                     .idx = tsi_cpu_view_ptr(&op->in[0]),
                     .src = tsi_cpu_view_ptr(&op->in[1]),
                     .dst = tsi_cpu_view_ptr(dst),
                     .dt = dst->dtype,
                     .es = ts_dtype_size(dst->dtype),
                     .n = op->in[0].shape[3],
                     .v = dst->shape[2],
                     .d = dst->shape[3],
                     .acc = is_16bit(dst->dtype) ? tsi_cpu_workspace(op) : NULL};
    int64_t bands = (j.d + SCATTER_BAND - 1) / SCATTER_BAND;
    int64_t per = j.d < SCATTER_BAND ? j.d : SCATTER_BAND;
    tsi_cpu_pool_for(dev->pool, bands, per * (j.n + j.v), scatter_band, &j);
    return TS_OK;
}
