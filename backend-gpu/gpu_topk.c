/* TSI_OP_TOPK on the GPU backends: shaders/topk.kern, one workgroup per
 * row running k selection rounds. On drivers with a loop limit (llvmpipe
 * stops an invocation after 65535 loop iterations in all, silently) the
 * rounds are split over launches, each restarting from the pick the
 * previous one stored in the index output. */
#include "backend-gpu/gpu_rows.h"
#include "shaders/topk.h"

/* The kernel family: its launches and the limits its plans read. */
#define FAMILY "topk"

TSG_PARAMS(topk_params, TOPK_PARAMS);

/* Rounds one launch may run: all of them without a loop limit, else as
 * many as fit half the limit, one round costing each invocation its
 * strided scan, the log2(WG) tree (counted twice for margin) and the round
 * loop; at least one (supports() checked that one round fits). */
static uint64_t rounds_per_launch(const tsi_gpu_caps *c, uint64_t n, uint32_t wg)
{
    if (!c->loop_cap)
        return UINT64_MAX;
    uint32_t lg = 0;
    while ((1u << lg) < wg)
        lg++;
    uint64_t per = c->loop_cap / 2u / (tsi_gpu_ceil_div(n, wg) + 2u * lg + 2u);
    return per ? per : 1u;
}

bool tsi_gpu_topk_supports(tsi_device *dev, const tsi_op *op)
{
    return op->p.topk.k >= 1 && tsi_gpu_rows_fit(tsi_gpu_caps_for(dev, FAMILY), op, 1);
}

ts_status tsi_gpu_topk_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    const tsi_view *x = &op->in[0], *vals = &op->out[0], *idxs = &op->out[1];
    uint32_t wg = tsi_gpu_row_wg(c);
    uint32_t consts[] = {wg, (uint32_t)x->dtype};
    tsi_buffer *bufs[] = {x->buf, vals->buf, idxs->buf};
    topk_params pc = {
        .rows = (uint32_t)tsi_gpu_rows(x),
        .n = (uint32_t)x->shape[3],
        .k = (uint32_t)op->p.topk.k,
        .x_off = (uint32_t)x->offset,
        .v_off = (uint32_t)vals->offset,
        .i_off = (uint32_t)idxs->offset,
    };
    TSG_LAUNCH(l, FAMILY, topk, TOPK_CONSTS, consts, TOPK_BUFS, bufs, &pc);
    if (!tsi_gpu_grid(c, pc.rows, l.groups))
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "topk: too many rows");
    uint64_t per = rounds_per_launch(c, pc.n, wg);
    for (uint32_t j = 0; j < pc.k; j = pc.j1) {
        pc.j0 = j;
        pc.j1 = pc.k - j <= per ? pc.k : j + (uint32_t)per;
        ts_status st = tsi_gpu_launch_record(dev, &l);
        if (st != TS_OK)
            return st;
    }
    return TS_OK;
}
