/* TSI_OP_SOFTMAX on the GPU backends: shaders/softmax.kern, one workgroup
 * per row. */
#include "backend-gpu/gpu_rows.h"
#include "shaders/softmax.h"

/* The kernel family: its launches and the limits its plans read. */
#define FAMILY "softmax"

TSG_PARAMS(softmax_params, SOFTMAX_PARAMS);

/* The kernel's passes over a row: the max, the sum, the write. */
#define SOFTMAX_PASSES 3

bool tsi_gpu_softmax_supports(tsi_device *dev, const tsi_op *op)
{
    ts_dtype dt = op->in[0].dtype;
    if (dt != TS_F32 && dt != TS_F16 && dt != TS_BF16)
        return false;
    return tsi_gpu_rows_fit(tsi_gpu_caps_for(dev, FAMILY), op, SOFTMAX_PASSES);
}

ts_status tsi_gpu_softmax_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    const tsi_view *x = &op->in[0], *y = &op->out[0];
    softmax_params pc = {
        .rows = (uint32_t)tsi_gpu_rows(x),
        .n = (uint32_t)x->shape[3],
        .m = (uint32_t)x->shape[2],
        .causal = op->p.softmax.causal ? 1u : 0u,
        .x_off = (uint32_t)x->offset,
        .y_off = (uint32_t)y->offset,
        .scale = op->p.softmax.scale,
    };
    uint32_t consts[] = {tsi_gpu_row_wg(c), (uint32_t)x->dtype};
    tsi_buffer *bufs[] = {x->buf, y->buf};
    TSG_LAUNCH(l, FAMILY, softmax, SOFTMAX_CONSTS, consts, SOFTMAX_BUFS, bufs, &pc);
    l.entry = tsi_gpu_subgroup_entry(c, consts[0], "softmax", "softmax_sg");
    if (!tsi_gpu_row_grid(c, pc.rows, l.groups))
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "softmax: too many rows");
    return tsi_gpu_launch_record(dev, &l);
}
