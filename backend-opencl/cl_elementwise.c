/* Unary (incl. copy, cast, scale_shift) and binary ops over strided 4-d
 * views: shaders/opencl/elementwise.cl, one program per dtype pair. */
#include "backend-opencl/cl_internal.h"

#define EW_FILE "elementwise.cl"

/* Grid for EW_LOOP: (dim 3, dim 2, dims 0*1), each axis capped because the
 * kernel strides by the global size; work-groups span dim 3 when it is
 * wide enough, otherwise the runtime picks. */
static void ew_grid(const tsi_device *dev, cl_kernel k, const int64_t shape[4], size_t global[3],
                    size_t local[3], bool *use_local)
{
    const int64_t cap = 1 << 16;
    size_t wg = (size_t)dev->tune.ew_wg, kmax = tsi_cl_kernel_max_wg(dev, k);
    if (wg > kmax)
        wg = kmax;
    int64_t n01 = shape[0] * shape[1];
    global[0] = (size_t)(shape[3] < cap ? shape[3] : cap);
    global[1] = (size_t)(shape[2] < cap ? shape[2] : cap);
    global[2] = (size_t)(n01 < cap ? n01 : cap);
    /* Keep the whole grid within ~16M work-items. */
    while (global[0] * global[1] * global[2] > ((size_t)1 << 24) && global[2] > 1)
        global[2] = (global[2] + 1) / 2;
    while (global[0] * global[1] * global[2] > ((size_t)1 << 24) && global[1] > 1)
        global[1] = (global[1] + 1) / 2;
    *use_local = global[0] >= wg;
    if (*use_local) {
        global[0] = tsi_cl_round_up(global[0], wg);
        local[0] = wg;
        local[1] = local[2] = 1;
    }
}

static ts_status launch_ew(tsi_device *dev, tsi_cl_args *a, const int64_t shape[4],
                           const char *what)
{
    size_t global[3], local[3];
    bool use_local;
    ew_grid(dev, a->k, shape, global, local, &use_local);
    return tsi_cl_launch(dev, a, 3, global, use_local ? local : NULL, what);
}

ts_status tsi_cl_record_unary(tsi_device *dev, const tsi_op *op)
{
    const tsi_view *x = &op->in[0], *y = &op->out[0];
    int kind = op->p.unary.kind;
    bool raw = kind == TSI_UNARY_COPY && x->dtype == y->dtype;
    char defs[TSI_CL_DEFINES_LEN];
    /* Casts compile per (source, target) pair; everything else per dtype. */
    tsi_cl_dtype_defines(dev, defs, sizeof defs, x->dtype, y->dtype);
    cl_kernel k;
    TSI_CL_TRY(tsi_cl_get_kernel(dev, EW_FILE, defs, raw ? "copy_raw" : "unary", &k));
    tsi_cl_args a = tsi_cl_args_begin(k);
    tsi_cl_arg_view(&a, x);
    tsi_cl_arg_view(&a, y);
    tsi_cl_arg_long4(&a, y->shape);
    if (!raw) {
        tsi_cl_arg_int(&a, kind);
        tsi_cl_arg_float(&a, op->p.unary.alpha);
        tsi_cl_arg_float(&a, op->p.unary.beta);
    }
    return launch_ew(dev, &a, y->shape, raw ? "copy" : "unary");
}

ts_status tsi_cl_record_binary(tsi_device *dev, const tsi_op *op)
{
    const tsi_view *y = &op->out[0];
    char defs[TSI_CL_DEFINES_LEN];
    tsi_cl_dtype_defines(dev, defs, sizeof defs, y->dtype, y->dtype);
    cl_kernel k;
    TSI_CL_TRY(tsi_cl_get_kernel(dev, EW_FILE, defs, "binary", &k));
    tsi_cl_args a = tsi_cl_args_begin(k);
    tsi_cl_arg_view(&a, &op->in[0]);
    tsi_cl_arg_view(&a, &op->in[1]);
    tsi_cl_arg_view(&a, y);
    tsi_cl_arg_long4(&a, y->shape);
    tsi_cl_arg_int(&a, op->p.binary.kind);
    return launch_ew(dev, &a, y->shape, "binary");
}
