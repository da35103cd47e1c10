/* ts_moe_ffn: the whole MoE layer as one call.
 *   route (moe_route.c)         expert, gate, rows, row_token, offsets
 *   ts_gather_rows(x, row_token) xs [R, d], tokens in expert order; rows
 *                                past the kept ones (capacity) are zeros
 *   ts_grouped_matmul(xs, w1)    h [R, ff], one launch for all experts
 *   activation (SwiGLU: a second grouped GEMM with w_gate, then ts_glu)
 *   ts_grouped_matmul(a, w2)     o [R, d]
 *   tsi_moe_combine(o, rows, gate) out [T, d] = sum of gate * o in token
 *                                order; dropped choices add nothing.
 * Expert activations stay in x's dtype (f32 accumulation inside each op).
 * Nothing is read back: the group offsets stay on the device. */
#include "layers/moe/moe_internal.h"
#include "layers/moe/moe_ops.h"

static const ts_unary_op activation_op[TS_MOE_ACTIVATION_COUNT] = {
    [TS_MOE_RELU] = TS_RELU,
    [TS_MOE_RELU2] = TS_RELU2,
    [TS_MOE_GELU] = TS_GELU_ERF,
    [TS_MOE_SILU] = TS_SILU,
};

static ts_status experts(moe_ctx *c, const ts_tensor *x, const moe_route *r, ts_tensor *out)
{
    const ts_moe_weights *w = c->w;
    int64_t xs_shape[2] = {c->n_rows, c->d}, hs[2] = {c->n_rows, c->ff};
    ts_tensor *xs, *h, *a, *o;
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, c->dt, 2, xs_shape, &xs));
    TSI_RETURN_IF_ERROR(ts_gather_rows(x, r->row_token, xs));
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, c->dt, 2, hs, &h));
    TSI_RETURN_IF_ERROR(ts_grouped_matmul(xs, w->w1, r->offsets, NULL, h));
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, c->dt, 2, hs, &a));
    if (c->p->activation == TS_MOE_SWIGLU) {
        ts_tensor *g;
        TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, c->dt, 2, hs, &g));
        TSI_RETURN_IF_ERROR(ts_grouped_matmul(xs, w->w_gate, r->offsets, NULL, g));
        TSI_RETURN_IF_ERROR(ts_glu(TS_GLU_SILU, g, h, a));
    } else {
        TSI_RETURN_IF_ERROR(ts_unary(activation_op[c->p->activation], h, a));
    }
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, c->dt, 2, xs_shape, &o));
    TSI_RETURN_IF_ERROR(ts_grouped_matmul(a, w->w2, r->offsets, NULL, o));
    return tsi_moe_combine(o, r->rows, r->gate, out);
}

TS_API ts_status ts_moe_ffn(const ts_tensor *x, const ts_moe_weights *w, const ts_moe_params *p,
                            ts_tensor *out)
{
    moe_ctx c = {.fn = "ts_moe_ffn"};
    TSI_RETURN_IF_ERROR(tsi_moe_check(&c, x, w, p, out, 1));
    if (c.t == 0)
        return tsi_moe_empty_plan(&c);
    moe_route r;
    ts_status st = tsi_moe_run_router(&c, x, &r);
    if (st == TS_OK)
        st = experts(&c, x, &r, out);
    st = tsi_moe_named(&c, st);
    tsi_moe_release(&c);
    return st;
}
