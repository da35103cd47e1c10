/* Which ops the OpenCL backend runs, and where each one is recorded. */
#include <limits.h>

#include "backend-opencl/cl_internal.h"

typedef ts_status (*record_fn)(tsi_device *dev, const tsi_op *op);

static const record_fn recorders[TSI_OP_COUNT] = {
    [TSI_OP_UNARY] = tsi_cl_record_unary,
    [TSI_OP_BINARY] = tsi_cl_record_binary,
    [TSI_OP_MATMUL] = tsi_cl_record_matmul,
    [TSI_OP_SOFTMAX] = tsi_cl_record_softmax,
    [TSI_OP_REDUCE] = tsi_cl_record_reduce,
    [TSI_OP_TOPK] = tsi_cl_record_topk,
    [TSI_OP_GATHER_ROWS] = tsi_cl_record_gather_rows,
    [TSI_OP_SCATTER_ADD_ROWS] = tsi_cl_record_scatter_add_rows,
    [TSI_OP_NORM] = tsi_cl_record_norm,
    [TSI_OP_CONV1D_CAUSAL] = tsi_cl_record_conv1d,
#ifdef TESSEL_OPENCL_ATTENTION
    [TSI_OP_ATTENTION] = tsi_cl_record_attention,
#endif
};

static bool is_float(ts_dtype t)
{
    return t == TS_F32 || t == TS_F16 || t == TS_BF16;
}

static bool valid_dtype(ts_dtype t)
{
    return is_float(t) || t == TS_I32;
}

/* Every dtype and kind core can hand us runs; the limits are int-typed
 * kernel arguments (row lengths, GEMM dims) and the CLBlast-free paths'
 * 32-bit tile indices. */
bool tsi_cl_supports(tsi_device *dev, const tsi_op *op)
{
    if ((unsigned)op->code >= TSI_OP_COUNT || !recorders[op->code])
        return false;
    for (int i = 0; i < op->n_in; i++)
        if (op->in[i].buf && !valid_dtype(op->in[i].dtype))
            return false;
    for (int i = 0; i < op->n_out; i++)
        if (op->out[i].buf && !valid_dtype(op->out[i].dtype))
            return false;
    const tsi_view *y = &op->out[0];
    switch (op->code) {
    case TSI_OP_UNARY:
        return (unsigned)op->p.unary.kind < TSI_UNARY_KIND_COUNT;
    case TSI_OP_BINARY:
        return (unsigned)op->p.binary.kind < TS_BINARY_COUNT;
    case TSI_OP_MATMUL:
        return is_float(y->dtype) && y->shape[2] <= INT_MAX && y->shape[3] <= INT_MAX &&
               op->in[0].shape[3] <= INT_MAX;
    case TSI_OP_SOFTMAX:
    case TSI_OP_NORM:
        return is_float(y->dtype) && op->in[0].shape[3] <= INT_MAX && y->shape[2] <= INT_MAX;
    case TSI_OP_REDUCE:
        return (unsigned)op->p.reduce.kind <= TSI_REDUCE_ARGMAX && op->in[0].shape[3] <= INT_MAX;
    case TSI_OP_SCATTER_ADD_ROWS: /* the plan stores row numbers as int */
        return op->in[1].shape[2] <= INT_MAX && op->out[0].shape[2] < INT_MAX;
    case TSI_OP_TOPK:
        return op->in[0].shape[3] <= INT_MAX && op->p.topk.k >= 1;
    case TSI_OP_CONV1D_CAUSAL:
        return is_float(y->dtype) && op->in[1].shape[3] >= 1 && op->in[1].shape[3] <= 64;
#ifdef TESSEL_OPENCL_ATTENTION
    case TSI_OP_ATTENTION:
        return tsi_cl_attention_supported(dev, op);
#endif
    default:
        return true;
    }
}

ts_status tsi_cl_record(tsi_device *dev, const tsi_op *op)
{
    return recorders[op->code](dev, op);
}
