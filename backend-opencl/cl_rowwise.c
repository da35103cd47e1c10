/* Row ops over the last dim of contiguous views: softmax, reduce/argmax,
 * topk and norm. Each runs one work-group of (at most) tune.row_wg items per row
 * (shaders/opencl/{softmax,reduce,topk,norm}.cl, built with -DRWG). */
#include "backend-opencl/cl_internal.h"

/* The kernel built for the tuned row width, or for the widest power of two
 * the compiled kernel can actually run when that is less (a register-heavy
 * kernel on some GPUs); *wg gets the width it was built for. */
static ts_status row_kernel(tsi_device *dev, const char *file, const char *name, ts_dtype dt,
                            cl_kernel *k, size_t *wg)
{
    size_t width = (size_t)dev->tune.row_wg;
    for (;;) {
        char defs[TSI_CL_DEFINES_LEN];
        tsi_cl_dtype_defines(dev, defs, sizeof defs, dt, dt);
        tsi_cl_appendf(defs, sizeof defs, " -DRWG=%zu", width);
        TSI_CL_TRY(tsi_cl_get_kernel(dev, file, defs, name, k));
        size_t kmax = tsi_cl_kernel_max_wg(dev, *k);
        if (kmax >= width || width == 1) {
            *wg = width;
            return TS_OK;
        }
        while (width > kmax && width > 1)
            width /= 2;
    }
}

/* One group per row, at most 64Ki groups (the kernels stride over rows). */
static ts_status row_launch(tsi_device *dev, const tsi_cl_args *a, size_t wg, int64_t rows,
                            const char *what)
{
    size_t groups = (size_t)(rows < 65536 ? rows : 65536);
    size_t global = groups * wg;
    return tsi_cl_launch(dev, a, 1, &global, &wg, what);
}

ts_status tsi_cl_record_softmax(tsi_device *dev, const tsi_op *op)
{
    const tsi_view *x = &op->in[0], *y = &op->out[0];
    cl_kernel k;
    size_t wg;
    TSI_CL_TRY(row_kernel(dev, "softmax.cl", "softmax", x->dtype, &k, &wg));
    int64_t rows = tsi_cl_rows(x);
    tsi_cl_args a = tsi_cl_args_begin(k);
    tsi_cl_arg_view_base(&a, x);
    tsi_cl_arg_view_base(&a, y);
    tsi_cl_arg_long(&a, rows);
    tsi_cl_arg_int(&a, (int)x->shape[3]);
    tsi_cl_arg_int(&a, (int)x->shape[2]);
    tsi_cl_arg_float(&a, op->p.softmax.scale);
    tsi_cl_arg_int(&a, op->p.softmax.causal);
    return row_launch(dev, &a, wg, rows, "softmax");
}

ts_status tsi_cl_record_reduce(tsi_device *dev, const tsi_op *op)
{
    const tsi_view *x = &op->in[0], *y = &op->out[0];
    bool argmax = op->p.reduce.kind == TSI_REDUCE_ARGMAX;
    cl_kernel k;
    size_t wg;
    TSI_CL_TRY(row_kernel(dev, "reduce.cl", argmax ? "argmax" : "reduce", x->dtype, &k, &wg));
    int64_t rows = tsi_cl_rows(x);
    tsi_cl_args a = tsi_cl_args_begin(k);
    tsi_cl_arg_view_base(&a, x);
    tsi_cl_arg_view_base(&a, y);
    tsi_cl_arg_long(&a, rows);
    tsi_cl_arg_int(&a, (int)x->shape[3]);
    if (!argmax)
        tsi_cl_arg_int(&a, op->p.reduce.kind);
    return row_launch(dev, &a, wg, rows, argmax ? "argmax" : "reduce");
}

ts_status tsi_cl_record_topk(tsi_device *dev, const tsi_op *op)
{
    const tsi_view *x = &op->in[0];
    cl_kernel k;
    size_t wg;
    TSI_CL_TRY(row_kernel(dev, "topk.cl", "topk", x->dtype, &k, &wg));
    int64_t rows = tsi_cl_rows(x);
    tsi_cl_args a = tsi_cl_args_begin(k);
    tsi_cl_arg_view_base(&a, x);
    tsi_cl_arg_view_base(&a, &op->out[0]);
    tsi_cl_arg_view_base(&a, &op->out[1]);
    tsi_cl_arg_long(&a, rows);
    tsi_cl_arg_int(&a, (int)x->shape[3]);
    tsi_cl_arg_int(&a, op->p.topk.k);
    return row_launch(dev, &a, wg, rows, "topk");
}

ts_status tsi_cl_record_norm(tsi_device *dev, const tsi_op *op)
{
    const tsi_view *x = &op->in[0];
    cl_kernel k;
    size_t wg;
    TSI_CL_TRY(row_kernel(dev, "norm.cl", "norm", x->dtype, &k, &wg));
    int64_t rows = tsi_cl_rows(x);
    const tsi_view *f = &op->in[1], *w = &op->in[2], *b = &op->in[3], *s = &op->out[1];
    tsi_cl_args a = tsi_cl_args_begin(k);
    tsi_cl_arg_view_base(&a, x);
    tsi_cl_arg_view_base(&a, f);
    tsi_cl_arg_view_base(&a, w);
    tsi_cl_arg_view_base(&a, b);
    tsi_cl_arg_view_base(&a, &op->out[0]);
    tsi_cl_arg_view_base(&a, op->n_out > 1 ? s : NULL);
    tsi_cl_arg_long(&a, rows);
    tsi_cl_arg_int(&a, (int)x->shape[3]);
    tsi_cl_arg_int(&a, op->p.norm.kind);
    tsi_cl_arg_float(&a, op->p.norm.eps);
    tsi_cl_arg_float(&a, op->p.norm.alpha);
    tsi_cl_arg_int(&a, op->n_in > 1 && f->buf != NULL);
    tsi_cl_arg_int(&a, op->n_in > 2 && w->buf != NULL);
    tsi_cl_arg_int(&a, op->n_in > 3 && b->buf != NULL);
    tsi_cl_arg_int(&a, op->n_out > 1 && s->buf != NULL);
    return row_launch(dev, &a, wg, rows, "norm");
}
