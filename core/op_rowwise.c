/* Validation and dispatch of the ops over the last dim (softmax, reduce,
 * argmax, topk). Their inputs reach the backend contiguous (a strided
 * input is first copied into a temporary by dispatch.c), their outputs
 * must be contiguous. */
#include <math.h>

#include "core/dispatch.h"

/* out must be x's shape with the last dim replaced by `last`. */
static ts_status check_row_output(const char *fn, const char *what, const ts_tensor *x,
                                  const ts_tensor *out, int64_t last)
{
    int64_t want[TS_MAX_DIMS];
    for (int i = 0; i < x->ndim; i++)
        want[i] = x->shape[i];
    want[x->ndim - 1] = last;
    bool same = out->ndim == x->ndim;
    for (int i = 0; same && i < x->ndim; i++)
        same = out->shape[i] == want[i];
    char so[TSI_SHAPE_STR_LEN], sw[TSI_SHAPE_STR_LEN], sx[TSI_SHAPE_STR_LEN];
    TSI_CHECK(same, TS_ERR_SHAPE, "%s: %s is %s, expected %s for x %s", fn, what,
              tsi_shape_str(out->shape, out->ndim, so), tsi_shape_str(want, x->ndim, sw),
              tsi_shape_str(x->shape, x->ndim, sx));
    return tsi_check_contiguous_output(fn, what, out);
}

static void row_dispatch(tsi_dispatch *d, const char *fn, const char *hook, tsi_op_code code,
                         const ts_tensor *x, ts_tensor *out0, ts_tensor *out1)
{
    *d = (tsi_dispatch){.fn = fn, .hook = hook, .dev = x->st->dev};
    d->op.code = code;
    d->op.n_in = 1;
    d->op.n_out = out1 ? 2 : 1;
    d->contiguous_in[0] = true;
    tsi_view_of(x, &d->op.in[0]);
    tsi_view_of(out0, &d->op.out[0]);
    if (out1)
        tsi_view_of(out1, &d->op.out[1]);
}

TS_API ts_status ts_softmax(const ts_tensor *x, float scale, int causal, ts_tensor *out)
{
    static const char fn[] = "ts_softmax";
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "x", x));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "out", out));
    TSI_RETURN_IF_ERROR(tsi_check_float(fn, "x", x));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "x", x, "out", out));
    TSI_RETURN_IF_ERROR(tsi_check_same_shape(fn, "x", x, "out", out));
    TSI_RETURN_IF_ERROR(tsi_check_finite(fn, "scale", scale));
    const ts_tensor *all[] = {x, out};
    TSI_RETURN_IF_ERROR(tsi_check_devices(fn, all, 2));
    TSI_RETURN_IF_ERROR(tsi_check_output(fn, "out", out, all, 1));
    TSI_RETURN_IF_ERROR(tsi_check_contiguous_output(fn, "out", out));
    if (tsi_numel(out->shape, out->ndim) == 0)
        return TS_OK;
    tsi_dispatch d;
    row_dispatch(&d, fn, "softmax", TSI_OP_SOFTMAX, x, out, NULL);
    d.op.p.softmax.scale = scale;
    d.op.p.softmax.causal = causal != 0;
    return tsi_dispatch_run(&d);
}

/* Shared by reduce and argmax: TSI_OP_REDUCE with kind. */
static ts_status run_reduce(const char *fn, const char *hook, const char *hook_op, int kind,
                            const ts_tensor *x, ts_tensor *out)
{
    TSI_RETURN_IF_ERROR(check_row_output(fn, "out", x, out, 1));
    const ts_tensor *all[] = {x, out};
    TSI_RETURN_IF_ERROR(tsi_check_devices(fn, all, 2));
    TSI_RETURN_IF_ERROR(tsi_check_output(fn, "out", out, all, 1));
    if (tsi_numel(out->shape, out->ndim) == 0)
        return TS_OK;
    int64_t n = x->shape[x->ndim - 1];
    TSI_CHECK(n > 0 || kind == TSI_REDUCE_SUM, TS_ERR_SHAPE,
              "%s: rows are empty (last dim is 0); only a sum of an empty row is defined", fn);
    tsi_dispatch d;
    row_dispatch(&d, fn, hook, TSI_OP_REDUCE, x, out, NULL);
    d.hook_op = hook_op;
    d.op.p.reduce.kind = kind;
    if (n > 0)
        return tsi_dispatch_run(&d);
    return tsi_dispatch_zero(&d);
}

TS_API ts_status ts_reduce(ts_reduce_op op, const ts_tensor *x, ts_tensor *out)
{
    static const char fn[] = "ts_reduce";
    static const int kinds[] = {TSI_REDUCE_SUM, TSI_REDUCE_MEAN, TSI_REDUCE_MAX};
    TSI_CHECK((unsigned)op < sizeof kinds / sizeof kinds[0], TS_ERR_INVALID_ARGUMENT,
              "%s: invalid op %d", fn, (int)op);
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "x", x));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "out", out));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "x", x, "out", out));
    TSI_RETURN_IF_ERROR(tsi_check_real(fn, "x", x));
    if (op == TS_REDUCE_MEAN)
        TSI_RETURN_IF_ERROR(tsi_check_float(fn, "x (mean)", x));
    static const char *const names[] = {"reduce_sum", "reduce_mean", "reduce_max"};
    return run_reduce(fn, "reduce", names[op], kinds[op], x, out);
}

TS_API ts_status ts_argmax(const ts_tensor *x, ts_tensor *out)
{
    static const char fn[] = "ts_argmax";
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "x", x));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "out", out));
    TSI_RETURN_IF_ERROR(tsi_check_dtype(fn, "out", out, TS_I32));
    TSI_RETURN_IF_ERROR(tsi_check_real(fn, "x", x));
    return run_reduce(fn, "argmax", NULL, TSI_REDUCE_ARGMAX, x, out);
}

TS_API ts_status ts_topk(const ts_tensor *x, int k, ts_tensor *values, ts_tensor *indices)
{
    static const char fn[] = "ts_topk";
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "x", x));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "values", values));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "indices", indices));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "x", x, "values", values));
    TSI_RETURN_IF_ERROR(tsi_check_dtype(fn, "indices", indices, TS_I32));
    TSI_RETURN_IF_ERROR(tsi_check_real(fn, "x", x));
    int64_t n = x->shape[x->ndim - 1];
    TSI_CHECK(k >= 1 && k <= n, TS_ERR_INVALID_ARGUMENT, "%s: k is %d, must be in 1..%lld", fn, k,
              (long long)n);
    TSI_RETURN_IF_ERROR(check_row_output(fn, "values", x, values, k));
    TSI_RETURN_IF_ERROR(check_row_output(fn, "indices", x, indices, k));
    const ts_tensor *all[] = {x, values, indices};
    TSI_RETURN_IF_ERROR(tsi_check_devices(fn, all, 3));
    TSI_RETURN_IF_ERROR(tsi_check_output(fn, "values", values, all, 1));
    TSI_RETURN_IF_ERROR(tsi_check_output(fn, "indices", indices, all, 2));
    if (tsi_numel(values->shape, values->ndim) == 0)
        return TS_OK;
    tsi_dispatch d;
    row_dispatch(&d, fn, "topk", TSI_OP_TOPK, x, values, indices);
    d.op.p.topk.k = k;
    return tsi_dispatch_run(&d);
}
