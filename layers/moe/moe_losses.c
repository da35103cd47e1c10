/* The router's training losses (LAYERS.md "Mixture of experts"), on the
 * device from the plan, computed only when the caller asks for them:
 *   aux = alpha E sum_i f_i P_i   f_i = first_i / T (tsi_moe_place counts
 *         first choices before dropping), P_i = mean_t p[t, i]; with
 *         perfect balance f_i = P_i = 1/E and aux = alpha;
 *   z   = mean_t (logsumexp_i h[t, i])^2, lse as max + log sum exp(h - max)
 *         so large logits do not overflow. */
#include <stdlib.h>

#include "layers/moe/moe_internal.h"

ts_status tsi_moe_aux_loss(moe_ctx *c, const moe_route *r, ts_tensor *out)
{
    int64_t e = c->e, e1[2] = {e, 1}, one = 1;
    ts_tensor *pt, *pm, *pmf, *first, *firstf, *prod, *sum;
    TSI_RETURN_IF_ERROR(tsi_moe_keep(c, ts_tensor_transpose(r->probs, 0, 1, &pt), &pt));
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, TS_F32, 2, e1, &pm));
    TSI_RETURN_IF_ERROR(ts_reduce(TS_REDUCE_MEAN, pt, pm));
    TSI_RETURN_IF_ERROR(tsi_moe_keep(c, ts_tensor_reshape(pm, 1, &e, &pmf), &pmf));
    TSI_RETURN_IF_ERROR(
        tsi_moe_keep(c, ts_tensor_slice(r->stats, 0, e + 1, 2 * e + 1, 1, &first), &first));
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, TS_F32, 1, &e, &firstf));
    TSI_RETURN_IF_ERROR(ts_cast(first, firstf));
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, TS_F32, 1, &e, &prod));
    TSI_RETURN_IF_ERROR(ts_binary(TS_MUL, pmf, firstf, prod));
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, TS_F32, 1, &one, &sum));
    TSI_RETURN_IF_ERROR(ts_reduce(TS_REDUCE_SUM, prod, sum));
    double scale = (double)c->p->aux_loss_weight * (double)e / (double)c->t;
    return ts_scale_shift(sum, (float)scale, 0.0f, out);
}

ts_status tsi_moe_z_loss(moe_ctx *c, const moe_route *r, ts_tensor *out)
{
    int64_t te[2] = {c->t, c->e}, t1[2] = {c->t, 1};
    ts_tensor *m, *sh, *ex, *se, *l, *lse, *sq, *sqf;
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, TS_F32, 2, t1, &m));
    TSI_RETURN_IF_ERROR(ts_reduce(TS_REDUCE_MAX, r->logits, m));
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, TS_F32, 2, te, &sh));
    TSI_RETURN_IF_ERROR(ts_binary(TS_SUB, r->logits, m, sh));
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, TS_F32, 2, te, &ex));
    TSI_RETURN_IF_ERROR(ts_unary(TS_EXP, sh, ex));
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, TS_F32, 2, t1, &se));
    TSI_RETURN_IF_ERROR(ts_reduce(TS_REDUCE_SUM, ex, se));
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, TS_F32, 2, t1, &l));
    TSI_RETURN_IF_ERROR(ts_unary(TS_LOG, se, l));
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, TS_F32, 2, t1, &lse));
    TSI_RETURN_IF_ERROR(ts_binary(TS_ADD, l, m, lse));
    TSI_RETURN_IF_ERROR(tsi_moe_tensor(c, TS_F32, 2, t1, &sq));
    TSI_RETURN_IF_ERROR(ts_binary(TS_MUL, lse, lse, sq));
    TSI_RETURN_IF_ERROR(tsi_moe_keep(c, ts_tensor_reshape(sq, 1, &c->t, &sqf), &sqf));
    return ts_reduce(TS_REDUCE_MEAN, sqf, out);
}

static ts_status write_zeros(ts_tensor *t, void *zeros)
{
    if (!t)
        return TS_OK;
    return ts_tensor_write(t, zeros, (size_t)ts_tensor_numel(t) * 4u);
}

/* T = 0: no token was routed; counts, offsets, dropped and the losses are
 * zeros (the other outputs are empty). */
ts_status tsi_moe_empty_plan(moe_ctx *c)
{
    const ts_moe_plan *pl = &c->p->plan;
    void *zeros = calloc((size_t)c->e + 1, 4u);
    TSI_CHECK(zeros, TS_ERR_OUT_OF_MEMORY, "%s: out of host memory", c->fn);
    ts_tensor *const outs[] = {pl->counts, pl->offsets, pl->dropped, pl->aux_loss, pl->z_loss};
    ts_status st = TS_OK;
    for (size_t i = 0; st == TS_OK && i < sizeof outs / sizeof outs[0]; i++)
        st = write_zeros(outs[i], zeros);
    free(zeros);
    return st;
}
