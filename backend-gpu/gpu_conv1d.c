/* TSI_OP_CONV1D_CAUSAL on the GPU backends: shaders/conv1d.kern, one
 * invocation per output element of the contiguous [B, L, C] output, on a
 * (channels, steps) grid when the channels fill most of a workgroup, else
 * on a flat one. */
#include "backend-gpu/gpu.h"
#include "shaders/conv1d.h"

/* The kernel family: its launches and the limits its plans read. */
#define FAMILY "conv1d"

TSG_PARAMS(conv1d_params, CONV1D_PARAMS);

/* Core allows K <= 8; the kernel's tap loop is fine far beyond that, and
 * under a loop limit (llvmpipe) each invocation takes K back-edges. */
enum { MAX_TAPS = 64 };

static uint32_t work_group(const tsi_gpu_caps *c)
{
    return c->elem_wg ? c->elem_wg : 64;
}

static uint64_t numel(const tsi_view *v)
{
    return (uint64_t)v->shape[0] * (uint64_t)v->shape[1] * (uint64_t)v->shape[2] *
           (uint64_t)v->shape[3];
}

/* The grid: (channel chunks, steps in y * z) when the last chunk leaves at
 * most a fifth of the channels' invocations idle (ROWS = 1), else flat.
 * False when neither fits the device. */
static bool plan_grid(const tsi_gpu_caps *c, const tsi_view *y, uint32_t wg, uint32_t *rows,
                      uint32_t groups[3])
{
    uint64_t ch = (uint64_t)y->shape[3], steps = (uint64_t)(y->shape[1] * y->shape[2]);
    uint64_t chunks = tsi_gpu_ceil_div(ch, wg);
    uint64_t mx = c->max_groups[0] ? c->max_groups[0] : 65535u;
    uint64_t my = c->max_groups[1] ? c->max_groups[1] : 65535u;
    uint64_t mz = c->max_groups[2] ? c->max_groups[2] : 65535u;
    *rows = chunks * wg * 4 <= ch * 5 && chunks <= mx && steps <= my * mz;
    if (!*rows)
        return tsi_gpu_grid(c, tsi_gpu_ceil_div(numel(y), wg), groups);
    groups[0] = (uint32_t)chunks;
    groups[1] = (uint32_t)(steps < my ? steps : my);
    groups[2] = (uint32_t)tsi_gpu_ceil_div(steps, groups[1]);
    return true;
}

bool tsi_gpu_conv1d_supports(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    ts_dtype dt = op->out[0].dtype;
    int64_t k = op->in[1].shape[3];
    if ((dt != TS_F32 && dt != TS_F16 && dt != TS_BF16) || k < 1 || k > MAX_TAPS)
        return false;
    if (c->loop_cap && (uint64_t)k + 64 > c->loop_cap)
        return false;
    if (!tsi_gpu_views_fit(c, op) || numel(&op->out[0]) >= INT32_MAX)
        return false;
    uint32_t rows, grid[3];
    return plan_grid(c, &op->out[0], work_group(c), &rows, grid);
}

ts_status tsi_gpu_conv1d_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    const tsi_view *x = &op->in[0], *w = &op->in[1], *bias = &op->in[2], *y = &op->out[0];
    conv1d_params pc = {
        .l = (uint32_t)x->shape[2],
        .ch = (uint32_t)x->shape[3],
        .k = (uint32_t)w->shape[3],
        .steps = (uint32_t)(y->shape[1] * y->shape[2]),
        .total = (uint32_t)numel(y),
        .flags = bias->buf ? CONV1D_BIAS : 0u,
        .x_off = (uint32_t)x->offset,
        .w_off = (uint32_t)w->offset,
        .b_off = bias->buf ? (uint32_t)bias->offset : 0u,
        .y_off = (uint32_t)y->offset,
    };
    uint32_t wg = work_group(c), rows, groups[3];
    if (!plan_grid(c, y, wg, &rows, groups))
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "conv1d_causal: too many elements");
    uint32_t consts[] = {wg, (uint32_t)y->dtype, rows};
    tsi_buffer *bufs[] = {x->buf, w->buf, bias->buf, y->buf};
    TSG_LAUNCH(l, FAMILY, conv1d_causal, CONV1D_CONSTS, consts, CONV1D_BUFS, bufs, &pc);
    for (int i = 0; i < 3; i++)
        l.groups[i] = groups[i];
    return tsi_gpu_launch_record(dev, &l);
}
