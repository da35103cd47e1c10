/* The MoE dispatch ops around the grouped GEMM (contracts in core/op.h):
 *  - TSI_OP_MOE_PLACE: a stable counting sort of the T*k choices by
 *    expert, in claim order (choice-major), in two O(T*k + E) passes on
 *    one thread: cheaper than waking the pool for a loop of integer adds;
 *  - TSI_OP_MOE_COMBINE: y[t] = sum_c gates[t,c] * h[rows[t,c]] in
 *    ascending c, an f32 accumulator row per worker, tokens over the pool. */
#include <string.h>

#include "backend-cpu/cpu_internal.h"

/* ---- placement ------------------------------------------------------------ */

ts_status tsi_cpu_moe_place_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan)
{
    plan->workspace_bytes = (uint64_t)op->p.moe_place.n_experts * sizeof(int32_t);
    return TS_OK;
}

ts_status tsi_cpu_moe_place_record(tsi_device *dev, const tsi_op *op)
{
    const int32_t *expert = tsi_cpu_view_ptr(&op->in[0]);
    int32_t *rows = tsi_cpu_view_ptr(&op->out[0]), *stats = tsi_cpu_view_ptr(&op->out[1]);
    int32_t *row_token = op->out[2].buf ? tsi_cpu_view_ptr(&op->out[2]) : NULL;
    int64_t t_count = op->in[0].shape[2], k = op->p.moe_place.k, cap = op->p.moe_place.capacity;
    int32_t e_count = op->p.moe_place.n_experts, *count = tsi_cpu_workspace(op);
    int32_t *offsets = stats, *first = stats + e_count + 1, *dropped = stats + 2 * e_count + 1;
    memset(count, 0, (size_t)e_count * sizeof *count);
    memset(first, 0, (size_t)e_count * sizeof *first);
    *dropped = 0;
    /* Pass 1, claim order: rows[] holds each choice's position in its
     * expert (-1: dropped) until the offsets are known. */
    for (int64_t c = 0; c < k; c++) {
        for (int64_t t = 0; t < t_count; t++) {
            int32_t e = expert[t * k + c], pos = -1;
            if (e >= 0 && e < e_count) {
                pos = count[e]++;
                first[e] += c == 0;
                if (cap >= 0 && pos >= cap)
                    pos = -1;
            }
            *dropped += pos < 0;
            rows[t * k + c] = pos;
        }
    }
    offsets[0] = 0;
    for (int32_t e = 0; e < e_count; e++) {
        int32_t kept = cap >= 0 && count[e] > cap ? (int32_t)cap : count[e];
        offsets[e + 1] = offsets[e] + kept;
    }
    /* Pass 2: positions become rows, and rows learn their token. */
    for (int64_t i = 0; i < t_count * k; i++) {
        if (rows[i] < 0)
            continue;
        rows[i] += offsets[expert[i]];
        if (row_token)
            row_token[rows[i]] = (int32_t)(i / k);
    }
    if (row_token)
        for (int64_t r = offsets[e_count]; r < op->out[2].shape[3]; r++)
            row_token[r] = -1;
    return TS_OK;
}

/* ---- combine -------------------------------------------------------------- */

typedef struct combine_job {
    const tsi_cpu_kernels *k;
    ts_dtype dt;
    size_t es;
    const char *h;
    const int32_t *rows;
    const float *gates;
    char *y;
    int64_t r, kk, d;
    float *buf; /* per worker: accumulator row, widened h row */
    size_t buf_floats;
} combine_job;

static size_t combine_row_floats(const tsi_op *op)
{
    size_t vec = tsi_cpu_align_floats((size_t)op->in[0].shape[3]);
    return (op->in[0].dtype == TS_F32 ? 1 : 2) * vec;
}

ts_status tsi_cpu_moe_combine_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan)
{
    plan->workspace_bytes = (uint64_t)combine_row_floats(op) *
                            (uint64_t)tsi_cpu_pool_threads(dev->pool) * sizeof(float);
    return TS_OK;
}

static void combine_tokens(void *ctx, int64_t begin, int64_t end, int worker)
{
    const combine_job *j = ctx;
    size_t d = (size_t)j->d;
    float *acc = j->buf + (size_t)worker * j->buf_floats;
    float *hr = acc + tsi_cpu_align_floats(d);
    for (int64_t t = begin; t < end; t++) {
        memset(acc, 0, d * sizeof *acc);
        for (int64_t c = 0; c < j->kk; c++) {
            int64_t row = j->rows[t * j->kk + c];
            if (row < 0 || row >= j->r)
                continue;
            const char *src = j->h + row * j->d * (int64_t)j->es;
            const float *hv = (const float *)src;
            if (j->dt != TS_F32) {
                tsi_cpu_load_f32(j->k, j->dt, src, 1, hr, d);
                hv = hr;
            }
            j->k->axpy(j->gates[t * j->kk + c], hv, acc, acc, d);
        }
        tsi_cpu_store_f32(j->k, j->dt, acc, j->y + t * j->d * (int64_t)j->es, 1, d);
    }
}

ts_status tsi_cpu_moe_combine_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_view *h = &op->in[0];
    combine_job j = {.k = dev->k,
                     .dt = h->dtype,
                     .es = ts_dtype_size(h->dtype),
                     .h = tsi_cpu_view_ptr(h),
                     .rows = tsi_cpu_view_ptr(&op->in[1]),
                     .gates = tsi_cpu_view_ptr(&op->in[2]),
                     .y = tsi_cpu_view_ptr(&op->out[0]),
                     .r = h->shape[2],
                     .kk = op->in[1].shape[3],
                     .d = h->shape[3],
                     .buf = tsi_cpu_workspace(op),
                     .buf_floats = combine_row_floats(op)};
    tsi_cpu_pool_for(dev->pool, op->out[0].shape[2], j.kk * j.d * 2, combine_tokens, &j);
    return TS_OK;
}
