/* TSI_OP_REDUCE on the GPU backends: shaders/reduce.kern, one workgroup
 * per row: sum, mean, max and argmax of floats, and sum, max and argmax of
 * i32 rows (core asks no i32 mean). */
#include "backend-gpu/gpu_rows.h"
#include "shaders/reduce.h"

/* The kernel family: its launches and the limits its plans read. */
#define FAMILY "reduce"

TSG_PARAMS(reduce_params, REDUCE_PARAMS);

_Static_assert(RED_SUM == TSI_REDUCE_SUM && RED_MEAN == TSI_REDUCE_MEAN &&
                   RED_MAX == TSI_REDUCE_MAX && RED_ARGMAX == TSI_REDUCE_ARGMAX,
               "reduce.h kinds are core's");

bool tsi_gpu_reduce_supports(tsi_device *dev, const tsi_op *op)
{
    ts_dtype dt = op->in[0].dtype;
    int kind = op->p.reduce.kind;
    if (kind < TSI_REDUCE_SUM || kind > TSI_REDUCE_ARGMAX)
        return false;
    if (dt == TS_I32 ? kind == TSI_REDUCE_MEAN : dt != TS_F32 && dt != TS_F16 && dt != TS_BF16)
        return false;
    return tsi_gpu_rows_fit(tsi_gpu_caps_for(dev, FAMILY), op, 1);
}

ts_status tsi_gpu_reduce_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    const tsi_view *x = &op->in[0], *y = &op->out[0];
    reduce_params pc = {
        .rows = (uint32_t)tsi_gpu_rows(x),
        .n = (uint32_t)x->shape[3],
        .x_off = (uint32_t)x->offset,
        .y_off = (uint32_t)y->offset,
    };
    uint32_t consts[] = {tsi_gpu_row_wg(c), (uint32_t)x->dtype, (uint32_t)op->p.reduce.kind};
    tsi_buffer *bufs[] = {x->buf, y->buf};
    TSG_LAUNCH(l, FAMILY, reduce, REDUCE_CONSTS, consts, REDUCE_BUFS, bufs, &pc);
    l.entry = tsi_gpu_subgroup_entry(c, consts[0], "reduce", "reduce_sg");
    if (!tsi_gpu_row_grid(c, pc.rows, l.groups))
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "reduce: too many rows");
    return tsi_gpu_launch_record(dev, &l);
}
