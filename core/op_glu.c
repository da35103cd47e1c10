/* ts_glu: gated linear units, out = act(a) * b (GLU, ReGLU, GEGLU,
 * SwiGLU). A fused op that no backend has a kernel for yet: it is validated
 * and dispatched as TSI_OP_GLU like any other op, so a backend that adds a
 * kernel is used with no change here, and until then its fallback (core/
 * fallback.c) runs the composition below on every device. */
#include "core/dispatch.h"

/* ts_glu_kind -> the activation applied to a. */
static const ts_unary_op activation[TS_GLU_COUNT] = {
    [TS_GLU_SIGMOID] = TS_SIGMOID,
    [TS_GLU_RELU] = TS_RELU,
    [TS_GLU_GELU] = TS_GELU_ERF,
    [TS_GLU_SILU] = TS_SILU,
};
static const char *const glu_names[TS_GLU_COUNT] = {"glu", "reglu", "geglu", "swiglu"};

const char *tsi_glu_name(int kind)
{
    return kind >= 0 && kind < TS_GLU_COUNT ? glu_names[kind] : "?";
}

typedef struct glu_call {
    ts_glu_kind kind;
    const ts_tensor *a, *b;
    ts_tensor *out;
} glu_call;

/* act(a) into a contiguous temporary of the op's dtype, then act * b into
 * out. Holding act(a) in f16/bf16 rounds twice where a fused kernel would
 * round once. Measured on the full glu cases (cpu:0), worst relative
 * error: f16 9.6e-4, bf16 7.6e-3, against the tolerances 1.5e-3 and 1e-2
 * (tests/cases/registry.c); an f32 temporary (cast a, act, cast b, mul,
 * cast out) gets 4.9e-4 and 3.9e-3 but takes five ops and three f32
 * temporaries (six times out's bytes for f16) instead of two ops and one.
 * The temporary is freed at once: the backend keeps its memory until the
 * recorded mul has read it. */
static ts_status glu_compose(void *arg)
{
    const glu_call *g = arg;
    ts_tensor *act = NULL;
    ts_status st =
        ts_tensor_create(g->a->st->dev, g->out->dtype, g->out->ndim, g->out->shape, &act);
    if (st == TS_OK)
        st = ts_unary(activation[g->kind], g->a, act);
    if (st == TS_OK)
        st = ts_binary(TS_MUL, act, g->b, g->out);
    ts_tensor_destroy(act);
    return st;
}

static ts_status check_glu(const char *fn, const ts_tensor *a, const ts_tensor *b,
                           const ts_tensor *out)
{
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "a", a));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "b", b));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "out", out));
    TSI_RETURN_IF_ERROR(tsi_check_float(fn, "a", a));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "a", a, "b", b));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "a", a, "out", out));
    /* No broadcasting: the gate and the value are two projections of the
     * same tokens, so a shape mismatch is a caller's bug, not a broadcast. */
    TSI_RETURN_IF_ERROR(tsi_check_same_shape(fn, "a", a, "b", b));
    TSI_RETURN_IF_ERROR(tsi_check_same_shape(fn, "a", a, "out", out));
    const ts_tensor *all[] = {a, b, out};
    TSI_RETURN_IF_ERROR(tsi_check_devices(fn, all, 3));
    return tsi_check_output(fn, "out", out, all, 2);
}

TS_API ts_status ts_glu(ts_glu_kind kind, const ts_tensor *a, const ts_tensor *b, ts_tensor *out)
{
    static const char fn[] = "ts_glu";
    TSI_CHECK((unsigned)kind < TS_GLU_COUNT, TS_ERR_INVALID_ARGUMENT,
              "%s: invalid kind %d (TS_GLU_SIGMOID, TS_GLU_RELU, TS_GLU_GELU or TS_GLU_SILU)", fn,
              (int)kind);
    TSI_RETURN_IF_ERROR(check_glu(fn, a, b, out));
    if (tsi_numel(out->shape, out->ndim) == 0)
        return TS_OK;
    glu_call call = {.kind = kind, .a = a, .b = b, .out = out};
    tsi_dispatch d = {.fn = fn,
                      .hook = "glu",
                      .hook_op = glu_names[kind],
                      .dev = a->st->dev,
                      .fallback = glu_compose,
                      .fallback_ctx = &call};
    d.op.code = TSI_OP_GLU;
    d.op.n_in = 2;
    d.op.n_out = 1;
    d.op.p.glu.kind = (int)kind;
    tsi_view_of(out, &d.op.out[0]);
    tsi_view_broadcast(a, d.op.out[0].shape, &d.op.in[0]);
    tsi_view_broadcast(b, d.op.out[0].shape, &d.op.in[1]);
    return tsi_dispatch_run(&d);
}
