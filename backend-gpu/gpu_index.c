/* TSI_OP_GATHER_ROWS and TSI_OP_SCATTER_ADD_ROWS on the GPU backends:
 * shaders/index.kern. gather_rows is one launch, LPR lanes per output row.
 * scatter_add_rows builds a CSR plan of the rows by destination in the
 * workspace (one workgroup: counts and offsets, then the fill in bounded
 * launches), then adds each destination's rows in index order, LPR lanes
 * per dst row: deterministic without float atomics. */
#include "backend-gpu/gpu.h"
#include "shaders/index.h"

/* The kernel family: its launches and the limits its plans read. */
#define FAMILY "index"

TSG_PARAMS(gather_params, GATHER_PARAMS);
TSG_PARAMS(scatter_params, SCATTER_PARAMS);

enum { PLAN_WG, PLAN_CHUNKS_PER_LAUNCH, PLAN_SERIAL, PLAN_LPR };

/* The elementwise width, at most what the device can run. */
static uint32_t work_group(const tsi_gpu_caps *c)
{
    uint32_t wg = c->elem_wg ? c->elem_wg : 64;
    return c->max_wg && wg > c->max_wg ? c->max_wg : wg;
}

static uint64_t pow2_ceil(uint64_t n)
{
    uint64_t p = 1;
    while (p < n)
        p *= 2;
    return p;
}

/* Lanes per row of the row kernels (shaders/index.kern, LPR): the row
 * width rounded up to a power of two, at most a workgroup (which then
 * walks longer rows); one column per lane when one_column. */
static uint32_t lanes_per_row(uint64_t d, uint32_t wg, bool one_column)
{
    uint64_t lpr = pow2_ceil(d);
    return (uint32_t)(one_column || lpr < wg ? lpr : wg);
}

/* Workgroups for rows x lpr lanes; false when the lane index or the grid
 * would not fit (lane indices stay below 2^31 plus a grid row's spare). */
static bool row_grid(const tsi_gpu_caps *c, uint64_t rows, uint32_t lpr, uint32_t wg,
                     uint32_t out[3])
{
    return rows * lpr <= (1ull << 31) && tsi_gpu_grid(c, tsi_gpu_ceil_div(rows * lpr, wg), out);
}

/* ---- gather_rows ----------------------------------------------------------- */

bool tsi_gpu_gather_rows_supports(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    const tsi_view *out = &op->out[0];
    uint64_t d = (uint64_t)out->shape[3];
    uint32_t wg = work_group(c), lpr = lanes_per_row(d, wg, false), grid[3];
    if (c->loop_cap && tsi_gpu_ceil_div(d, lpr) + 8 > c->loop_cap)
        return false;
    return tsi_gpu_views_fit(c, op) && row_grid(c, (uint64_t)out->shape[2], lpr, wg, grid);
}

ts_status tsi_gpu_gather_rows_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    const tsi_view *table = &op->in[0], *idx = &op->in[1], *out = &op->out[0];
    uint32_t wg = work_group(c), lpr = lanes_per_row((uint64_t)out->shape[3], wg, false);
    uint32_t consts[] = {wg, (uint32_t)table->dtype, lpr};
    tsi_buffer *bufs[] = {table->buf, idx->buf, out->buf};
    gather_params pc = {
        .v = (uint32_t)table->shape[2],
        .d = (uint32_t)out->shape[3],
        .n = (uint32_t)out->shape[2],
        .t_off = (uint32_t)table->offset,
        .i_off = (uint32_t)idx->offset,
        .o_off = (uint32_t)out->offset,
    };
    TSG_LAUNCH(l, FAMILY, gather_rows, INDEX_CONSTS, consts, GATHER_BUFS, bufs, &pc);
    if (!row_grid(c, pc.n, lpr, wg, l.groups))
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "gather_rows: too many elements");
    return tsi_gpu_launch_record(dev, &l);
}

/* ---- scatter_add_rows --------------------------------------------------------- */

/* Loop iterations of the plan's SCATTER_COUNT per invocation: zeroing 2V + 1
 * words, counting N rows, the two passes of the scan and its lane sum. */
static uint64_t count_loops(uint64_t v, uint64_t n, uint32_t wg)
{
    return tsi_gpu_ceil_div(2 * v + 1, wg) + tsi_gpu_ceil_div(n, wg) +
           2 * tsi_gpu_ceil_div(v + 1, wg) + wg + 16;
}

static void make_plan(const tsi_gpu_caps *c, const tsi_op *op, tsi_plan *plan)
{
    uint64_t v = (uint64_t)op->out[0].shape[2], n = (uint64_t)op->in[1].shape[2];
    uint64_t d = (uint64_t)op->out[0].shape[3];
    uint32_t wg = work_group(c);
    /* A fill chunk costs each invocation WG + 1 iterations (the rank
     * search, or invocation 0's serial walk); half the loop limit each. */
    uint64_t per = c->loop_cap ? c->loop_cap / 2u / (wg + 1u) : 0;
    /* Under a loop limit each add lane takes one column: its loop is then
     * its destination's rows, at most N. */
    uint64_t lpr = lanes_per_row(d, wg, c->loop_cap != 0);
    *plan = (tsi_plan){
        .tile = {(int32_t)wg, (int32_t)(per < INT32_MAX ? per : INT32_MAX), c->cpu_driver ? 1 : 0,
                 (int32_t)(lpr < INT32_MAX ? lpr : INT32_MAX)},
        .workspace_bytes = SCATTER_WS_WORDS(v, n) * sizeof(uint32_t),
    };
}

bool tsi_gpu_scatter_add_rows_supports(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    const tsi_view *dst = &op->out[0];
    uint64_t v = (uint64_t)dst->shape[2], n = (uint64_t)op->in[1].shape[2];
    if (!tsi_gpu_views_fit(c, op))
        return false;
    tsi_plan plan;
    make_plan(c, op, &plan);
    /* The workspace is indexed in 32 bits within one binding too. */
    if (plan.workspace_bytes / sizeof(uint32_t) >= INT32_MAX ||
        plan.workspace_bytes > c->max_binding)
        return false;
    uint32_t wg = (uint32_t)plan.tile[PLAN_WG];
    /* Under a loop limit: one dst element may add all N rows in one loop,
     * and the plan's counts run in one launch. */
    if (c->loop_cap && (n + 64 > c->loop_cap || count_loops(v, n, wg) > c->loop_cap ||
                        plan.tile[PLAN_CHUNKS_PER_LAUNCH] < 1))
        return false;
    uint32_t grid[3];
    return row_grid(c, v, (uint32_t)plan.tile[PLAN_LPR], wg, grid);
}

ts_status tsi_gpu_scatter_add_rows_plan(tsi_device *dev, const tsi_op *op, tsi_plan *out)
{
    make_plan(tsi_gpu_caps_for(dev, FAMILY), op, out);
    return TS_OK;
}

/* One workgroup: the counts and offsets, then the fill. Without a loop
 * limit one launch does both; under one, the fill follows in launches of
 * at most the plan's chunks each. */
static ts_status record_plan(tsi_device *dev, const tsi_op *op, scatter_params *pc)
{
    const tsi_plan *plan = &op->plan;
    uint32_t wg = (uint32_t)plan->tile[PLAN_WG];
    /* LPR as for the adds: one program of the family serves both. */
    uint32_t consts[] = {wg, (uint32_t)op->out[0].dtype, (uint32_t)plan->tile[PLAN_LPR]};
    tsi_buffer *bufs[] = {op->in[0].buf, op->workspace};
    TSG_LAUNCH(l, FAMILY, scatter_plan, INDEX_CONSTS, consts, SCATTER_PLAN_BUFS, bufs, pc);
    l.groups[0] = l.groups[1] = l.groups[2] = 1;
    uint32_t chunks = (uint32_t)tsi_gpu_ceil_div(pc->n, wg);
    uint32_t per = (uint32_t)plan->tile[PLAN_CHUNKS_PER_LAUNCH];
    pc->serial = (uint32_t)plan->tile[PLAN_SERIAL];
    if (!per) {
        pc->phase = SCATTER_COUNT | SCATTER_FILL;
        pc->c1 = chunks;
        return tsi_gpu_launch_record(dev, &l);
    }
    pc->phase = SCATTER_COUNT;
    ts_status st = tsi_gpu_launch_record(dev, &l);
    pc->phase = SCATTER_FILL;
    for (uint32_t ch = 0; st == TS_OK && ch < chunks; ch = pc->c1) {
        pc->c0 = ch;
        pc->c1 = chunks - ch <= per ? chunks : ch + per;
        st = tsi_gpu_launch_record(dev, &l);
    }
    return st;
}

ts_status tsi_gpu_scatter_add_rows_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    const tsi_view *idx = &op->in[0], *src = &op->in[1], *dst = &op->out[0];
    scatter_params pc = {
        .v = (uint32_t)dst->shape[2],
        .d = (uint32_t)dst->shape[3],
        .n = (uint32_t)src->shape[2],
        .i_off = (uint32_t)idx->offset,
        .s_off = (uint32_t)src->offset,
        .d_off = (uint32_t)dst->offset,
    };
    ts_status st = record_plan(dev, op, &pc);
    if (st != TS_OK)
        return st;
    uint32_t wg = (uint32_t)op->plan.tile[PLAN_WG], lpr = (uint32_t)op->plan.tile[PLAN_LPR];
    uint32_t consts[] = {wg, (uint32_t)dst->dtype, lpr};
    tsi_buffer *bufs[] = {src->buf, dst->buf, op->workspace};
    TSG_LAUNCH(l, FAMILY, scatter_add, INDEX_CONSTS, consts, SCATTER_ADD_BUFS, bufs, &pc);
    if (!row_grid(c, pc.v, lpr, wg, l.groups))
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "scatter_add_rows: too many elements");
    return tsi_gpu_launch_record(dev, &l);
}
