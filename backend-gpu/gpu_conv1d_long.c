/* TSI_OP_CONV1D_LONG on the GPU backends: shaders/conv1d_long.kern, one
 * workgroup per (row, tile of WG * OPT steps), taps and the matching u
 * window staged through shared memory KT taps at a time. A declined op
 * runs its FFT composition (layers/longconv), which is also what long
 * kernels should use: this path costs O(L K). */
#include "backend-gpu/gpu_kernels.h"
#include "shaders/conv1d_long.h"

/* The kernel family: its launches and the limits its plans read. */
#define FAMILY "conv1d_long"

TSG_PARAMS(conv1d_long_params, CONV1D_LONG_PARAMS);

/* WG is 64 invocations, or the largest power of two the device allows
 * below that (the kernel's loops stride by WG, any width works). */
enum { MAX_WG = 64, MAX_OPT = 4, KT = 64 };

typedef struct cl_plan {
    uint32_t wg, opt, tiles;
    uint32_t groups[3];
} cl_plan;

static bool float_dtype(ts_dtype t)
{
    return t == TS_F32 || t == TS_F16 || t == TS_BF16;
}

/* Outputs per invocation: up to MAX_OPT while the row fills the tile, and
 * fewer under a loop limit (llvmpipe), where each invocation takes about
 * (OPT + 1) back-edges per tap. False when nothing fits. */
static bool plan_conv(const tsi_gpu_caps *c, const tsi_op *op, cl_plan *p)
{
    const tsi_view *u = &op->in[0], *k = &op->in[1];
    uint64_t l = (uint64_t)u->shape[3], klen = (uint64_t)k->shape[3];
    uint64_t rows = (uint64_t)u->shape[1] * (uint64_t)u->shape[2];
    uint32_t wg = MAX_WG;
    while (wg > 1 && wg > c->max_wg)
        wg /= 2;
    if ((uint64_t)(KT + wg * MAX_OPT + KT) * 4u > c->max_shared)
        return false;
    uint32_t opt = MAX_OPT;
    while (opt > 1 && (uint64_t)wg * (opt / 2) >= l)
        opt /= 2;
    uint64_t taps = klen < l ? klen : l;
    for (;;) {
        uint64_t tile = (uint64_t)wg * opt;
        uint64_t chunks = tsi_gpu_ceil_div(taps, KT);
        uint64_t edges =
            chunks * ((uint64_t)KT * (opt + 1) + (tile + 2 * KT) / wg + 4) + 2 * opt + 8;
        if (!c->loop_cap || edges <= c->loop_cap)
            break;
        if (opt == 1)
            return false;
        opt /= 2;
    }
    p->wg = wg;
    p->opt = opt;
    p->tiles = (uint32_t)tsi_gpu_ceil_div(l, (uint64_t)wg * opt);
    return rows * l < INT32_MAX && tsi_gpu_grid(c, rows * p->tiles, p->groups);
}

bool tsi_gpu_conv1d_long_supports(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    ts_dtype dt = op->out[0].dtype;
    if (!float_dtype(dt) || op->in[0].dtype != dt || op->in[1].dtype != dt ||
        (op->in[2].buf && op->in[2].dtype != dt))
        return false;
    if (!tsi_gpu_views_fit(c, op))
        return false;
    cl_plan p;
    return plan_conv(c, op, &p);
}

ts_status tsi_gpu_conv1d_long_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    const tsi_view *u = &op->in[0], *k = &op->in[1], *d = &op->in[2], *y = &op->out[0];
    cl_plan p;
    if (!plan_conv(c, op, &p))
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "conv1d_long: too long for this device");
    conv1d_long_params pc = {
        .l = (uint32_t)u->shape[3],
        .k = (uint32_t)k->shape[3],
        .ch = (uint32_t)u->shape[2],
        .rows = (uint32_t)(u->shape[1] * u->shape[2]),
        .tiles = p.tiles,
        .kw_rows = (uint32_t)(k->shape[1] * k->shape[2]),
        .flags = d->buf ? CONV1D_LONG_D : 0u,
        .u_off = (uint32_t)u->offset,
        .k_off = (uint32_t)k->offset,
        .d_off = d->buf ? (uint32_t)d->offset : 0u,
        .y_off = (uint32_t)y->offset,
    };
    uint32_t consts[] = {p.wg, (uint32_t)y->dtype, p.opt, KT};
    tsi_buffer *bufs[] = {u->buf, k->buf, d->buf, y->buf};
    TSG_LAUNCH(l, FAMILY, conv1d_long, CONV1D_LONG_CONSTS, consts, CONV1D_LONG_BUFS, bufs, &pc);
    for (int i = 0; i < 3; i++)
        l.groups[i] = p.groups[i];
    return tsi_gpu_launch_record(dev, &l);
}
