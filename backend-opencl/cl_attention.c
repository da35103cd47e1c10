/* TSI_OP_ATTENTION on OpenCL: shaders/opencl/attention.cl, one work-group
 * per (batch, head, query tile), built per dtype x head dim x tile sizes
 * (the plan's q_tile / k_tile arrive in the op; the work-group width is
 * the device's row width). */
#include "backend-opencl/cl_internal.h"

/* Local memory the kernel declares for these tiles, in bytes. */
static size_t local_bytes(int64_t qt, int64_t kt, int64_t d)
{
    return sizeof(float) * (size_t)(qt * d + 2 * kt * d + qt * kt + 3 * qt);
}

static int work_group(const tsi_device *dev)
{
    int wg = dev->tune.row_wg;
    return wg > 0 ? wg : 1;
}

bool tsi_cl_attention_supported(tsi_device *dev, const tsi_op *op)
{
    ts_dtype dt = op->in[0].dtype;
    int64_t d = op->in[0].shape[3];
    int qt = op->p.attention.q_tile, kt = op->p.attention.k_tile;
    if ((dt != TS_F32 && dt != TS_F16 && dt != TS_BF16) || d < 1 || d > 256 || qt < 1 || kt < 1)
        return false;
    if (op->in[0].shape[2] > INT32_MAX || op->in[1].shape[2] > INT32_MAX)
        return false;
    return local_bytes(qt, kt, d) <= dev->caps->local_mem;
}

ts_status tsi_cl_record_attention(tsi_device *dev, const tsi_op *op)
{
    const tsi_view *q = &op->in[0], *k = &op->in[1];
    int64_t d = q->shape[3];
    int qt = op->p.attention.q_tile, kt = op->p.attention.k_tile, wg = work_group(dev);
    int opt = (int)((qt * d + wg - 1) / wg);
    char defs[TSI_CL_DEFINES_LEN];
    tsi_cl_dtype_defines(dev, defs, sizeof defs, q->dtype, q->dtype);
    tsi_cl_appendf(defs, sizeof defs, " -DHD=%d -DQT=%d -DKT=%d -DWG=%d -DOPT=%d", (int)d, qt, kt,
                   wg, opt);
    cl_kernel kern;
    TSI_CL_TRY(tsi_cl_get_kernel(dev, "attention.cl", defs, "attention_fwd", &kern));
    static const int64_t no_strides[4] = {0, 0, 0, 0};
    tsi_cl_args a = tsi_cl_args_begin(kern);
    tsi_cl_arg_view_base(&a, &op->in[0]);
    tsi_cl_arg_view_base(&a, &op->in[1]);
    tsi_cl_arg_view_base(&a, &op->in[2]);
    tsi_cl_arg_view_base(&a, &op->in[3]);
    tsi_cl_arg_long4(&a, op->in[3].buf ? op->in[3].stride : no_strides);
    tsi_cl_arg_view_base(&a, &op->in[4]);
    tsi_cl_arg_long4(&a, op->in[4].buf ? op->in[4].stride : no_strides);
    tsi_cl_arg_view_base(&a, &op->in[5]);
    tsi_cl_arg_view_base(&a, &op->out[0]);
    tsi_cl_arg_view_base(&a, &op->out[1]);
    tsi_cl_arg_int(&a, (int)q->shape[1]);
    tsi_cl_arg_int(&a, (int)k->shape[1]);
    tsi_cl_arg_int(&a, (int)q->shape[2]);
    tsi_cl_arg_int(&a, (int)k->shape[2]);
    tsi_cl_arg_float(&a, op->p.attention.scale);
    tsi_cl_arg_int(&a, op->p.attention.causal);
    int64_t nqt = (q->shape[2] + qt - 1) / qt;
    size_t local = (size_t)wg, global = (size_t)(q->shape[0] * q->shape[1] * nqt) * local;
    return tsi_cl_launch(dev, &a, 1, &global, &local, "attention");
}
