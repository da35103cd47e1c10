/* Validation and dispatch of the elementwise ops (binary, unary,
 * scale_shift, cast, copy). These accept any input view and any writable
 * output view; inputs reach the backend broadcast to the output's 4-d
 * shape with stride 0. c64 takes copy, cast (not to or from i32) and
 * add, sub, mul only. */
#include "core/dispatch.h"

/* i32 unary kinds that make sense on integers (see ops.h). */
static const bool unary_int_ok[TS_UNARY_COUNT] = {
    [TS_NEG] = true,
    [TS_ABS] = true,
    [TS_RELU] = true,
    [TS_RELU2] = true,
};

static bool output_empty(const ts_tensor *out)
{
    return tsi_numel(out->shape, out->ndim) == 0;
}

/* One input, one output, same shape: unary, scale_shift, cast, copy. */
static ts_status run_unary(const char *fn, const char *hook, const char *hook_op, int kind,
                           float alpha, float beta, const ts_tensor *x, ts_tensor *out)
{
    tsi_dispatch d = {.fn = fn, .hook = hook, .hook_op = hook_op, .dev = x->st->dev};
    d.op.code = TSI_OP_UNARY;
    d.op.n_in = 1;
    d.op.n_out = 1;
    d.op.p.unary.kind = kind;
    d.op.p.unary.alpha = alpha;
    d.op.p.unary.beta = beta;
    tsi_view_of(out, &d.op.out[0]);
    tsi_view_broadcast(x, d.op.out[0].shape, &d.op.in[0]);
    return tsi_dispatch_run(&d);
}

static ts_status check_unary_common(const char *fn, const ts_tensor *x, const ts_tensor *out)
{
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "x", x));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "out", out));
    TSI_RETURN_IF_ERROR(tsi_check_same_shape(fn, "x", x, "out", out));
    const ts_tensor *all[] = {x, out};
    TSI_RETURN_IF_ERROR(tsi_check_devices(fn, all, 2));
    return tsi_check_output(fn, "out", out, all, 1);
}

TS_API ts_status ts_binary(ts_binary_op op, const ts_tensor *a, const ts_tensor *b, ts_tensor *out)
{
    static const char fn[] = "ts_binary";
    TSI_CHECK((unsigned)op < TS_BINARY_COUNT, TS_ERR_INVALID_ARGUMENT, "%s: invalid op %d", fn,
              (int)op);
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "a", a));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "b", b));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "out", out));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "a", a, "b", b));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "a", a, "out", out));
    static const char *const names[TS_BINARY_COUNT] = {"add", "sub", "mul", "div", "max", "min"};
    /* Complex max / min have no order; complex division is left out until
     * a user needs it (its overflow-safe form is not a one-liner). */
    TSI_CHECK(a->dtype != TS_C64 || op == TS_ADD || op == TS_SUB || op == TS_MUL, TS_ERR_DTYPE,
              "%s: %s is not defined on c64 (c64 allows add, sub, mul)", fn, names[op]);
    int64_t shape[4];
    int ndim;
    TSI_RETURN_IF_ERROR(tsi_broadcast_shapes(fn, a, b, shape, &ndim));
    int64_t pout[4];
    tsi_pad_shape(out->shape, out->ndim, pout);
    char sa[TSI_SHAPE_STR_LEN], sb[TSI_SHAPE_STR_LEN], so[TSI_SHAPE_STR_LEN], sc[TSI_SHAPE_STR_LEN];
    for (int i = 0; i < 4; i++)
        TSI_CHECK(pout[i] == shape[i] && out->ndim == ndim, TS_ERR_SHAPE,
                  "%s: out is %s but %s (op) %s broadcasts to %s", fn,
                  tsi_shape_str(out->shape, out->ndim, so), tsi_shape_str(a->shape, a->ndim, sa),
                  tsi_shape_str(b->shape, b->ndim, sb), tsi_shape_str(shape + 4 - ndim, ndim, sc));
    const ts_tensor *all[] = {a, b, out};
    TSI_RETURN_IF_ERROR(tsi_check_devices(fn, all, 3));
    TSI_RETURN_IF_ERROR(tsi_check_output(fn, "out", out, all, 2));
    if (output_empty(out))
        return TS_OK;
    tsi_dispatch d = {.fn = fn, .hook = "binary", .hook_op = names[op], .dev = a->st->dev};
    d.op.code = TSI_OP_BINARY;
    d.op.n_in = 2;
    d.op.n_out = 1;
    d.op.p.binary.kind = (int)op;
    tsi_view_of(out, &d.op.out[0]);
    tsi_view_broadcast(a, shape, &d.op.in[0]);
    tsi_view_broadcast(b, shape, &d.op.in[1]);
    return tsi_dispatch_run(&d);
}

TS_API ts_status ts_unary(ts_unary_op op, const ts_tensor *x, ts_tensor *out)
{
    static const char fn[] = "ts_unary";
    TSI_CHECK((unsigned)op < TS_UNARY_COUNT, TS_ERR_INVALID_ARGUMENT, "%s: invalid op %d", fn,
              (int)op);
    TSI_RETURN_IF_ERROR(check_unary_common(fn, x, out));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "x", x, "out", out));
    TSI_CHECK(x->dtype != TS_C64, TS_ERR_DTYPE,
              "%s: %s is not defined on c64 (c64 allows copy, cast, add, sub, mul)", fn,
              tsi_unary_name((int)op));
    TSI_CHECK(x->dtype != TS_I32 || unary_int_ok[op], TS_ERR_DTYPE,
              "%s: %s is float-only; i32 allows neg, abs, relu, relu2", fn,
              tsi_unary_name((int)op));
    if (output_empty(out))
        return TS_OK;
    return run_unary(fn, "unary", tsi_unary_name((int)op), (int)op, 1.0f, 0.0f, x, out);
}

TS_API ts_status ts_scale_shift(const ts_tensor *x, float a, float b, ts_tensor *out)
{
    static const char fn[] = "ts_scale_shift";
    TSI_RETURN_IF_ERROR(check_unary_common(fn, x, out));
    TSI_RETURN_IF_ERROR(tsi_check_float(fn, "x", x));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "x", x, "out", out));
    TSI_RETURN_IF_ERROR(tsi_check_finite(fn, "a", a));
    TSI_RETURN_IF_ERROR(tsi_check_finite(fn, "b", b));
    if (output_empty(out))
        return TS_OK;
    return run_unary(fn, "scale_shift", NULL, TSI_UNARY_SCALE_SHIFT, a, b, x, out);
}

TS_API ts_status ts_cast(const ts_tensor *x, ts_tensor *out)
{
    static const char fn[] = "ts_cast";
    TSI_RETURN_IF_ERROR(check_unary_common(fn, x, out));
    /* Which integer a complex value becomes (or the reverse) is a choice
     * better left to the caller: cast through f32. */
    TSI_CHECK(!(x->dtype == TS_I32 && out->dtype == TS_C64) &&
                  !(x->dtype == TS_C64 && out->dtype == TS_I32),
              TS_ERR_DTYPE, "%s: no cast between %s and %s; cast through f32", fn,
              ts_dtype_name(x->dtype), ts_dtype_name(out->dtype));
    if (output_empty(out))
        return TS_OK;
    return run_unary(fn, "cast", NULL, TSI_UNARY_COPY, 1.0f, 0.0f, x, out);
}

TS_API ts_status ts_copy(const ts_tensor *x, ts_tensor *out)
{
    static const char fn[] = "ts_copy";
    TSI_RETURN_IF_ERROR(check_unary_common(fn, x, out));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "x", x, "out", out));
    if (output_empty(out))
        return TS_OK;
    return run_unary(fn, "copy", NULL, TSI_UNARY_COPY, 1.0f, 0.0f, x, out);
}
