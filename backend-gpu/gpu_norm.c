/* TSI_OP_NORM on the GPU backends: shaders/norm.kern, one workgroup per
 * row; the residual, weight, bias and the second output s are optional. */
#include "backend-gpu/gpu_rows.h"
#include "shaders/norm.h"

/* The kernel family: its launches and the limits its plans read. */
#define FAMILY "norm"

TSG_PARAMS(norm_params, NORM_PARAMS);

/* The kernel's passes over a row: LayerNorm the mean, the variance and the
 * write; RMSNorm the mean of squares and the write. */
static uint64_t norm_passes(const tsi_op *op)
{
    return op->p.norm.kind == TSI_NORM_RMS ? 2 : 3;
}

bool tsi_gpu_norm_supports(tsi_device *dev, const tsi_op *op)
{
    ts_dtype dt = op->in[0].dtype;
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    if ((dt != TS_F32 && dt != TS_F16 && dt != TS_BF16) || c->max_buffers < TSG_BUF_COUNT(NORM_BUFS))
        return false;
    return tsi_gpu_rows_fit(c, op, norm_passes(op));
}

/* The view in[i] / out[i] when the op has it and it is present. */
static const tsi_view *optional_in(const tsi_op *op, int i)
{
    return i < op->n_in && op->in[i].buf ? &op->in[i] : NULL;
}

ts_status tsi_gpu_norm_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    const tsi_view *x = &op->in[0], *y = &op->out[0];
    const tsi_view *f = optional_in(op, 1), *w = optional_in(op, 2), *b = optional_in(op, 3);
    const tsi_view *s = op->n_out > 1 && op->out[1].buf ? &op->out[1] : NULL;
    norm_params pc = {
        .rows = (uint32_t)tsi_gpu_rows(x),
        .n = (uint32_t)x->shape[3],
        .x_off = (uint32_t)x->offset,
        .f_off = f ? (uint32_t)f->offset : 0u,
        .w_off = w ? (uint32_t)w->offset : 0u,
        .b_off = b ? (uint32_t)b->offset : 0u,
        .y_off = (uint32_t)y->offset,
        .s_off = s ? (uint32_t)s->offset : 0u,
        .eps = op->p.norm.eps,
        .alpha = op->p.norm.alpha,
    };
    uint32_t flags = (f ? NORM_HAS_F : 0u) | (w ? NORM_HAS_W : 0u) | (b ? NORM_HAS_B : 0u) |
                     (s ? NORM_HAS_S : 0u);
    uint32_t consts[] = {tsi_gpu_row_wg(c), (uint32_t)x->dtype,
                         op->p.norm.kind == TSI_NORM_RMS ? 1u : 0u, flags};
    tsi_buffer *bufs[] = {x->buf, f ? f->buf : NULL, w ? w->buf : NULL, b ? b->buf : NULL,
                          y->buf, s ? s->buf : NULL};
    TSG_LAUNCH(l, FAMILY, norm, NORM_CONSTS, consts, NORM_BUFS, bufs, &pc);
    l.entry = tsi_gpu_subgroup_entry(c, consts[0], "norm", "norm_sg");
    if (!tsi_gpu_row_grid(c, pc.rows, l.groups))
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "norm: too many rows");
    return tsi_gpu_launch_record(dev, &l);
}
