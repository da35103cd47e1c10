/* gather_rows, scatter_add_rows (shaders/opencl/index.cl) and the causal
 * depthwise conv1d (shaders/opencl/conv1d.cl). */
#include "backend-opencl/cl_internal.h"

static ts_status kernel_for(tsi_device *dev, const char *file, const char *name, ts_dtype dt,
                            cl_kernel *k)
{
    char defs[TSI_CL_DEFINES_LEN];
    tsi_cl_dtype_defines(dev, defs, sizeof defs, dt, dt);
    return tsi_cl_get_kernel(dev, file, defs, name, k);
}

static size_t capped(int64_t v, int64_t cap)
{
    return (size_t)(v < cap ? v : cap);
}

ts_status tsi_cl_record_gather_rows(tsi_device *dev, const tsi_op *op)
{
    const tsi_view *table = &op->in[0], *idx = &op->in[1], *out = &op->out[0];
    cl_kernel k;
    TSI_CL_TRY(kernel_for(dev, "index.cl", "gather_rows", table->dtype, &k));
    int64_t n = out->shape[2], d = out->shape[3];
    tsi_cl_args a = tsi_cl_args_begin(k);
    tsi_cl_arg_view_base(&a, table);
    tsi_cl_arg_long(&a, table->shape[2]);
    tsi_cl_arg_view_base(&a, idx);
    tsi_cl_arg_view_base(&a, out);
    tsi_cl_arg_long(&a, n);
    tsi_cl_arg_long(&a, d);
    size_t global[2] = {capped(d, 1 << 16), capped(n, 1 << 14)};
    return tsi_cl_launch(dev, &a, 2, global, NULL, "gather_rows");
}

/* A device scratch buffer for one op: released right after the enqueue,
 * the runtime keeps it until the kernels using it have run. */
static ts_status scratch(tsi_device *dev, size_t bytes, cl_mem *out)
{
    cl_int err;
    *out = clCreateBuffer(dev->ctx, CL_MEM_READ_WRITE, bytes, NULL, &err);
    return *out ? TS_OK : tsi_cl_error(dev->host, err, "scatter_add_rows scratch");
}

ts_status tsi_cl_record_scatter_add_rows(tsi_device *dev, const tsi_op *op)
{
    const tsi_view *idx = &op->in[0], *src = &op->in[1], *dst = &op->out[0];
    int64_t V = dst->shape[2], N = src->shape[2], D = dst->shape[3];
    cl_kernel plan, add;
    TSI_CL_TRY(kernel_for(dev, "index.cl", "scatter_plan", dst->dtype, &plan));
    TSI_CL_TRY(kernel_for(dev, "index.cl", "scatter_add_rows", dst->dtype, &add));
    cl_mem start = NULL, order = NULL;
    ts_status s = scratch(dev, (size_t)(V + 1) * sizeof(cl_int), &start);
    if (s == TS_OK)
        s = scratch(dev, (size_t)N * sizeof(cl_int), &order);
    if (s == TS_OK) {
        tsi_cl_args a = tsi_cl_args_begin(plan);
        tsi_cl_arg_view_base(&a, idx);
        tsi_cl_arg_long(&a, V);
        tsi_cl_arg_long(&a, N);
        tsi_cl_arg(&a, sizeof start, &start);
        tsi_cl_arg(&a, sizeof order, &order);
        size_t one = 1;
        s = tsi_cl_launch(dev, &a, 1, &one, &one, "scatter_add_rows plan");
    }
    if (s == TS_OK) {
        tsi_cl_args a = tsi_cl_args_begin(add);
        tsi_cl_arg(&a, sizeof start, &start);
        tsi_cl_arg(&a, sizeof order, &order);
        tsi_cl_arg_view_base(&a, src);
        tsi_cl_arg_view_base(&a, dst);
        tsi_cl_arg_long(&a, V);
        tsi_cl_arg_long(&a, D);
        size_t global[2] = {capped(D, 1 << 14), capped(V, 1 << 14)};
        s = tsi_cl_launch(dev, &a, 2, global, NULL, "scatter_add_rows");
    }
    if (start)
        clReleaseMemObject(start);
    if (order)
        clReleaseMemObject(order);
    return s;
}

ts_status tsi_cl_record_conv1d(tsi_device *dev, const tsi_op *op)
{
    const tsi_view *x = &op->in[0], *w = &op->in[1], *y = &op->out[0];
    const tsi_view *bias = op->n_in > 2 ? &op->in[2] : NULL;
    bool has_bias = bias && bias->buf;
    cl_kernel k;
    TSI_CL_TRY(kernel_for(dev, "conv1d.cl", "conv1d_causal", x->dtype, &k));
    int64_t B = x->shape[1], L = x->shape[2], C = x->shape[3];
    tsi_cl_args a = tsi_cl_args_begin(k);
    tsi_cl_arg_view_base(&a, x);
    tsi_cl_arg_view_base(&a, w);
    tsi_cl_arg_view_base(&a, has_bias ? bias : NULL);
    tsi_cl_arg_int(&a, has_bias);
    tsi_cl_arg_view_base(&a, y);
    tsi_cl_arg_long(&a, B);
    tsi_cl_arg_long(&a, L);
    tsi_cl_arg_long(&a, C);
    tsi_cl_arg_int(&a, (int)w->shape[3]);
    size_t global[3] = {capped(C, 1 << 12), capped(L, 1 << 12), capped(B, 1 << 8)};
    return tsi_cl_launch(dev, &a, 3, global, NULL, "conv1d_causal");
}
