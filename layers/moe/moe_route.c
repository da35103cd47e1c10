/* The MoE router (LAYERS.md "Mixture of experts"), composed of public ops
 * on x's device, in f32 whatever x's dtype:
 *   softmax router: h = x . W_r;
 *   X-MoE: r = x . W_red, h = (r/|r|) . (e/|e|)^T / max(tau, 1e-4), the
 *          norms clamped below at 1e-4 (as torch's F.normalize);
 *   p = softmax(h) (X-MoE may take sigmoid(h)); the k largest p (ts_topk:
 *   ties to the lower index); gates optionally renormalized;
 *   placement by tsi_moe_place (choice-major claim order, capacity C).
 * Every step is O(T E) or O(T d E) device work; the host only computes C. */
#include <stdio.h>
#include <string.h>

#include "layers/moe/moe_internal.h"
#include "layers/moe/moe_ops.h"

ts_status tsi_moe_keep(moe_ctx *c, ts_status st, ts_tensor **tp)
{
    if (st != TS_OK)
        return st;
    if (c->n_tmp == MOE_MAX_TEMPS) {
        ts_tensor_destroy(*tp);
        *tp = NULL;
        return tsi_fail(TS_ERR_INTERNAL, "%s: too many temporaries", c->fn);
    }
    c->tmp[c->n_tmp++] = *tp;
    return TS_OK;
}

ts_status tsi_moe_tensor(moe_ctx *c, ts_dtype dt, int nd, const int64_t *shape, ts_tensor **out)
{
    *out = NULL;
    return tsi_moe_keep(c, ts_tensor_create(c->dev, dt, nd, shape, out), out);
}

ts_status tsi_moe_named(const moe_ctx *c, ts_status st)
{
    if (st == TS_OK)
        return st;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", ts_last_error(NULL));
    return tsi_fail(st, "%s: %s", c->fn, msg);
}

void tsi_moe_release(moe_ctx *c)
{
    for (int i = c->n_tmp - 1; i >= 0; i--)
        ts_tensor_destroy(c->tmp[i]);
    c->n_tmp = 0;
}

/* t itself when it is f32, else an f32 copy. */
static ts_status as_f32(moe_ctx *c, const ts_tensor *t, const ts_tensor **out)
{
    if (t->dtype == TS_F32) {
        *out = t;
        return TS_OK;
    }
    ts_tensor *f;
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, TS_F32, t->ndim, t->shape, &f));
    *out = f;
    return ts_cast(t, f);
}

/* v [n, m] f32 -> v / max(|v_row|, eps) with eps [1] f32. */
static ts_status l2_normalize(moe_ctx *c, const ts_tensor *v, const ts_tensor *eps, ts_tensor **out)
{
    int64_t n = v->shape[0], m = v->shape[1], vs[2] = {n, m}, ns[2] = {n, 1};
    ts_tensor *sq, *ss, *nr, *nm;
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, TS_F32, 2, vs, &sq));
    TSI_RETURN_IF_ERROR(ts_binary(TS_MUL, v, v, sq));
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, TS_F32, 2, ns, &ss));
    TSI_RETURN_IF_ERROR(ts_reduce(TS_REDUCE_SUM, sq, ss));
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, TS_F32, 2, ns, &nr));
    TSI_RETURN_IF_ERROR(ts_unary(TS_SQRT, ss, nr));
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, TS_F32, 2, ns, &nm));
    TSI_RETURN_IF_ERROR(ts_binary(TS_MAX, nr, eps, nm));
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, TS_F32, 2, vs, out));
    return ts_binary(TS_DIV, v, nm, *out);
}

static ts_status xmoe_logits(moe_ctx *c, const ts_tensor *xf, ts_tensor *logits)
{
    const ts_moe_params *p = c->p;
    const ts_tensor *wred, *emb;
    TSI_RETURN_IF_ERROR(as_f32(c, c->w->xmoe_reduce, &wred));
    TSI_RETURN_IF_ERROR(as_f32(c, c->w->xmoe_experts, &emb));
    int64_t one = 1, rs[2] = {c->t, c->dr};
    const float eps_host = 1e-4f;
    ts_tensor *eps, *r, *rn, *en, *ent, *cosm;
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, TS_F32, 1, &one, &eps));
    TSI_RETURN_IF_ERROR(ts_tensor_write(eps, &eps_host, sizeof eps_host));
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, TS_F32, 2, rs, &r));
    TSI_RETURN_IF_ERROR(ts_matmul(xf, wred, r));
    rn = r;
    if (!p->xmoe_skip_token_norm)
        TSI_RETURN_IF_ERROR(l2_normalize(c, r, eps, &rn));
    TSI_RETURN_IF_ERROR(l2_normalize(c, emb, eps, &en));
    TSI_RETURN_IF_ERROR(tsi_moe_keep(c, ts_tensor_transpose(en, 0, 1, &ent), &ent));
    int64_t hs[2] = {c->t, c->e};
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, TS_F32, 2, hs, &cosm));
    TSI_RETURN_IF_ERROR(ts_matmul(rn, ent, cosm));
    float tau = p->xmoe_temperature > 1e-4f ? p->xmoe_temperature : 1e-4f;
    return ts_scale_shift(cosm, 1.0f / tau, 0.0f, logits);
}

/* The plan tensor the caller gave, or a new temporary. */
static ts_status plan_tensor(moe_ctx *c, ts_tensor *given, ts_dtype dt, int nd,
                             const int64_t *shape, ts_tensor **out)
{
    if (given) {
        *out = given;
        return TS_OK;
    }
    return tsi_moe_tensor(c, dt, nd, shape, out);
}

static ts_status gates(moe_ctx *c, moe_route *r)
{
    const ts_moe_plan *pl = &c->p->plan;
    int64_t tk[2] = {c->t, c->k}, t1[2] = {c->t, 1};
    TSI_RETURN_IF_ERROR(plan_tensor(c, pl->expert, TS_I32, 2, tk, &r->expert));
    TSI_RETURN_IF_ERROR(plan_tensor(c, pl->gate, TS_F32, 2, tk, &r->gate));
    if (!c->p->renormalize)
        return ts_topk(r->probs, (int)c->k, r->gate, r->expert);
    ts_tensor *v, *sum, *den;
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, TS_F32, 2, tk, &v));
    TSI_RETURN_IF_ERROR(ts_topk(r->probs, (int)c->k, v, r->expert));
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, TS_F32, 2, t1, &sum));
    TSI_RETURN_IF_ERROR(ts_reduce(TS_REDUCE_SUM, v, sum));
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, TS_F32, 2, t1, &den));
    TSI_RETURN_IF_ERROR(ts_scale_shift(sum, 1.0f, 1e-9f, den));
    return ts_binary(TS_DIV, v, den, r->gate);
}

static ts_status place(moe_ctx *c, moe_route *r)
{
    const ts_moe_plan *pl = &c->p->plan;
    int64_t tk[2] = {c->t, c->k}, ns = 2 * c->e + 2;
    TSI_RETURN_IF_ERROR(plan_tensor(c, pl->rows, TS_I32, 2, tk, &r->rows));
    TSI_RETURN_IF_ERROR(plan_tensor(c, pl->row_token, TS_I32, 1, &c->n_rows, &r->row_token));
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, TS_I32, 1, &ns, &r->stats));
    TSI_RETURN_IF_ERROR(
        tsi_moe_place(r->expert, (int)c->e, c->capacity, r->rows, r->stats, r->row_token));
    return tsi_moe_keep(c, ts_tensor_slice(r->stats, 0, 0, c->e + 1, 1, &r->offsets), &r->offsets);
}

/* counts, offsets, dropped, the losses: whichever the caller asked for. */
static ts_status plan_outputs(moe_ctx *c, moe_route *r)
{
    const ts_moe_plan *pl = &c->p->plan;
    if (pl->counts) {
        ts_tensor *hi, *lo;
        TSI_RETURN_IF_ERROR(
            tsi_moe_keep(c, ts_tensor_slice(r->stats, 0, 1, c->e + 1, 1, &hi), &hi));
        TSI_RETURN_IF_ERROR(tsi_moe_keep(c, ts_tensor_slice(r->stats, 0, 0, c->e, 1, &lo), &lo));
        TSI_RETURN_IF_ERROR(ts_binary(TS_SUB, hi, lo, pl->counts));
    }
    if (pl->offsets)
        TSI_RETURN_IF_ERROR(ts_copy(r->offsets, pl->offsets));
    if (pl->dropped) {
        ts_tensor *dr;
        TSI_RETURN_IF_ERROR(
            tsi_moe_keep(c, ts_tensor_slice(r->stats, 0, 2 * c->e + 1, 2 * c->e + 2, 1, &dr), &dr));
        TSI_RETURN_IF_ERROR(ts_copy(dr, pl->dropped));
    }
    if (pl->aux_loss)
        TSI_RETURN_IF_ERROR(tsi_moe_aux_loss(c, r, pl->aux_loss));
    if (pl->z_loss)
        TSI_RETURN_IF_ERROR(tsi_moe_z_loss(c, r, pl->z_loss));
    return TS_OK;
}

ts_status tsi_moe_run_router(moe_ctx *c, const ts_tensor *x, moe_route *r)
{
    const ts_moe_params *p = c->p;
    const ts_moe_plan *pl = &p->plan;
    *r = (moe_route){0};
    int64_t te[2] = {c->t, c->e};
    const ts_tensor *xf;
    TSI_RETURN_IF_ERROR(as_f32(c, x, &xf));
    TSI_RETURN_IF_ERROR(plan_tensor(c, pl->logits, TS_F32, 2, te, &r->logits));
    if (p->router == TS_MOE_ROUTER_SOFTMAX) {
        const ts_tensor *wr;
        TSI_RETURN_IF_ERROR(as_f32(c, c->w->router, &wr));
        TSI_RETURN_IF_ERROR(ts_matmul(xf, wr, r->logits));
    } else {
        TSI_RETURN_IF_ERROR(xmoe_logits(c, xf, r->logits));
    }
    TSI_RETURN_IF_ERROR(plan_tensor(c, pl->probs, TS_F32, 2, te, &r->probs));
    if (p->router == TS_MOE_ROUTER_XMOE && p->xmoe_sigmoid)
        TSI_RETURN_IF_ERROR(ts_unary(TS_SIGMOID, r->logits, r->probs));
    else
        TSI_RETURN_IF_ERROR(ts_softmax(r->logits, 1.0f, 0, r->probs));
    TSI_RETURN_IF_ERROR(gates(c, r));
    TSI_RETURN_IF_ERROR(place(c, r));
    return plan_outputs(c, r);
}

TS_API ts_status ts_moe_route(const ts_tensor *x, const ts_moe_weights *w, const ts_moe_params *p)
{
    moe_ctx c = {.fn = "ts_moe_route"};
    TSI_RETURN_IF_ERROR(tsi_moe_check(&c, x, w, p, NULL, 0));
    static const ts_moe_plan none = {0};
    if (memcmp(&p->plan, &none, sizeof none) == 0)
        return TS_OK; /* nothing asked for */
    if (c.t == 0)
        return tsi_moe_empty_plan(&c);
    moe_route r;
    ts_status st = tsi_moe_named(&c, tsi_moe_run_router(&c, x, &r));
    tsi_moe_release(&c);
    return st;
}
