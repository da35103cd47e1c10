/* MoE parameters: defaults, the capacity rule, and the validation every
 * MoE entry point runs before it records anything. */
#include <math.h>

#include "layers/moe/moe_internal.h"

/* Row indices and counts travel as i32 (tsi_moe_place, the grouped GEMM). */
#define MOE_I32_MAX 2147483647LL

TS_API void ts_moe_params_init(ts_moe_params *p)
{
    if (!p)
        return;
    *p = (ts_moe_params){
        .n_experts = 0,
        .k = 2,
        .capacity_factor = 1.25f,
        .min_capacity = 4,
        .capacity = -1,
        .router = TS_MOE_ROUTER_SOFTMAX,
        .activation = TS_MOE_RELU,
        .xmoe_temperature = 0.07f,
        .aux_loss_weight = 0.01f,
    };
}

void tsi_moe_capacity_of(const ts_moe_params *p, int64_t t, int64_t *capacity, int64_t *rows)
{
    int64_t e = p->n_experts, k = p->k, cap = -1;
    if (p->capacity >= 0) {
        cap = p->capacity;
    } else if (p->capacity_factor > 0.0f) {
        /* LAYERS.md: C = ceil(k T / E * capacity_factor), >= min_capacity.
         * tests/cases/ref_moe_layer.c evaluates the same expression. */
        double want = ceil((double)k * (double)t / (double)e * (double)p->capacity_factor);
        cap = want > (double)MOE_I32_MAX ? MOE_I32_MAX : (int64_t)want;
        if (cap < p->min_capacity)
            cap = p->min_capacity;
    }
    /* tsi_moe_place's bound: every choice, or E full groups if fewer. */
    int64_t r = t * k;
    if (cap >= 0 && cap <= r / e)
        r = cap * e;
    *capacity = cap;
    *rows = r;
}

static ts_status check_params(const char *fn, const ts_moe_params *p)
{
    TSI_CHECK(p, TS_ERR_INVALID_ARGUMENT,
              "%s: params is NULL (ts_moe_params_init, then set n_experts)", fn);
    TSI_CHECK(p->n_experts >= 1 && p->n_experts <= 65536, TS_ERR_INVALID_ARGUMENT,
              "%s: n_experts is %d, expected 1 .. 65536", fn, p->n_experts);
    TSI_CHECK(p->k >= 1 && p->k <= p->n_experts, TS_ERR_INVALID_ARGUMENT,
              "%s: k is %d, expected 1 .. n_experts = %d", fn, p->k, p->n_experts);
    TSI_CHECK(isfinite(p->capacity_factor), TS_ERR_INVALID_ARGUMENT,
              "%s: capacity_factor is %g, must be finite", fn, (double)p->capacity_factor);
    TSI_CHECK(p->capacity_factor >= 0.0f, TS_ERR_INVALID_ARGUMENT,
              "%s: capacity_factor is %g; it must be >= 0 (0 means unlimited capacity)", fn,
              (double)p->capacity_factor);
    TSI_CHECK(p->min_capacity >= 0 && p->min_capacity <= MOE_I32_MAX, TS_ERR_INVALID_ARGUMENT,
              "%s: min_capacity is %lld, expected 0 .. 2^31-1", fn, (long long)p->min_capacity);
    TSI_CHECK(p->capacity >= -1 && p->capacity <= MOE_I32_MAX, TS_ERR_INVALID_ARGUMENT,
              "%s: capacity is %lld, expected -1 (from capacity_factor) or 0 .. 2^31-1", fn,
              (long long)p->capacity);
    TSI_CHECK((unsigned)p->router < TS_MOE_ROUTER_COUNT, TS_ERR_INVALID_ARGUMENT,
              "%s: invalid router %d (TS_MOE_ROUTER_SOFTMAX or TS_MOE_ROUTER_XMOE)", fn,
              (int)p->router);
    TSI_CHECK((unsigned)p->activation < TS_MOE_ACTIVATION_COUNT, TS_ERR_INVALID_ARGUMENT,
              "%s: invalid activation %d", fn, (int)p->activation);
    TSI_CHECK(isfinite(p->xmoe_temperature), TS_ERR_INVALID_ARGUMENT,
              "%s: xmoe_temperature is %g, must be finite", fn, (double)p->xmoe_temperature);
    TSI_CHECK(isfinite(p->aux_loss_weight), TS_ERR_INVALID_ARGUMENT,
              "%s: aux_loss_weight is %g, must be finite", fn, (double)p->aux_loss_weight);
    return TS_OK;
}

TS_API ts_status ts_moe_capacity(const ts_moe_params *p, int64_t tokens, int64_t *capacity,
                                 int64_t *rows)
{
    static const char fn[] = "ts_moe_capacity";
    TSI_RETURN_IF_ERROR(check_params(fn, p));
    TSI_CHECK(capacity && rows, TS_ERR_INVALID_ARGUMENT, "%s: capacity or rows is NULL", fn);
    TSI_CHECK(tokens >= 0 && tokens <= MOE_I32_MAX / p->k, TS_ERR_INVALID_ARGUMENT,
              "%s: %lld tokens x k = %d do not fit i32 row indices", fn, (long long)tokens, p->k);
    tsi_moe_capacity_of(p, tokens, capacity, rows);
    return TS_OK;
}

/* t has nd dims of the sizes in want (-1: any size); else TS_ERR_SHAPE. */
static ts_status check_shape(moe_ctx *c, const char *what, const ts_tensor *t, int nd,
                             const int64_t *want)
{
    int ok = t->ndim == nd;
    for (int i = 0; ok && i < nd; i++)
        ok = want[i] < 0 || t->shape[i] == want[i];
    if (ok)
        return TS_OK;
    char s[TSI_SHAPE_STR_LEN], ws[TSI_SHAPE_STR_LEN];
    return tsi_fail(TS_ERR_SHAPE, "%s: %s is %s, expected %s (-1: any)", c->fn, what,
                    tsi_shape_str(t->shape, t->ndim, s), tsi_shape_str(want, nd, ws));
}

/* A weight: present, of shape want, in a float dtype (want_dt < 0: any). */
static ts_status check_mat(moe_ctx *c, const char *what, const ts_tensor *t, int nd,
                           const int64_t *want, int want_dt)
{
    TSI_CHECK(t, TS_ERR_INVALID_ARGUMENT, "%s: weight %s is NULL", c->fn, what);
    if (want_dt < 0)
        TSI_RETURN_IF_ERROR(tsi_check_float(c->fn, what, t));
    else
        TSI_RETURN_IF_ERROR(tsi_check_dtype(c->fn, what, t, (ts_dtype)want_dt));
    return check_shape(c, what, t, nd, want);
}

static ts_status check_router(moe_ctx *c, const ts_moe_weights *w, const ts_moe_params *p)
{
    if (p->router == TS_MOE_ROUTER_SOFTMAX) {
        int64_t ws[2] = {c->d, c->e};
        return check_mat(c, "router", w->router, 2, ws, -1);
    }
    int64_t rs[2] = {c->d, -1};
    TSI_RETURN_IF_ERROR(check_mat(c, "xmoe_reduce", w->xmoe_reduce, 2, rs, -1));
    c->dr = w->xmoe_reduce->shape[1];
    TSI_CHECK(c->dr >= 1, TS_ERR_SHAPE, "%s: xmoe_reduce has 0 columns (the routing dim d_r)",
              c->fn);
    int64_t es[2] = {c->e, c->dr};
    return check_mat(c, "xmoe_experts", w->xmoe_experts, 2, es, -1);
}

static ts_status check_experts(moe_ctx *c, const ts_moe_weights *w, const ts_moe_params *p)
{
    int64_t w1s[3] = {c->e, c->d, -1};
    TSI_RETURN_IF_ERROR(check_mat(c, "w1", w->w1, 3, w1s, (int)c->dt));
    c->ff = w->w1->shape[2];
    int64_t w2s[3] = {c->e, c->ff, c->d};
    TSI_RETURN_IF_ERROR(check_mat(c, "w2", w->w2, 3, w2s, (int)c->dt));
    if (p->activation == TS_MOE_SWIGLU) {
        int64_t wgs[3] = {c->e, c->d, c->ff};
        return check_mat(c, "w_gate", w->w_gate, 3, wgs, (int)c->dt);
    }
    TSI_CHECK(!w->w_gate, TS_ERR_INVALID_ARGUMENT,
              "%s: w_gate is set but only TS_MOE_SWIGLU uses it (activation is %d)", c->fn,
              (int)p->activation);
    return TS_OK;
}

/* One plan output: its dtype and exact shape, contiguous, writable. */
static ts_status check_output(moe_ctx *c, const char *what, const ts_tensor *t, ts_dtype dt, int nd,
                              const int64_t *shape)
{
    if (!t)
        return TS_OK;
    TSI_RETURN_IF_ERROR(tsi_check_dtype(c->fn, what, t, dt));
    TSI_RETURN_IF_ERROR(check_shape(c, what, t, nd, shape));
    return tsi_check_contiguous_output(c->fn, what, t);
}

enum { N_PLAN = 11, N_IN = 7 };

static ts_status check_plan(moe_ctx *c, const ts_moe_plan *pl, const ts_tensor *out,
                            const ts_tensor *const *ins)
{
    int64_t te[2] = {c->t, c->e}, tk[2] = {c->t, c->k}, r[1] = {c->n_rows}, e[1] = {c->e},
            e1[1] = {c->e + 1}, one[1] = {1};
    TSI_RETURN_IF_ERROR(check_output(c, "plan.logits", pl->logits, TS_F32, 2, te));
    TSI_RETURN_IF_ERROR(check_output(c, "plan.probs", pl->probs, TS_F32, 2, te));
    TSI_RETURN_IF_ERROR(check_output(c, "plan.expert", pl->expert, TS_I32, 2, tk));
    TSI_RETURN_IF_ERROR(check_output(c, "plan.gate", pl->gate, TS_F32, 2, tk));
    TSI_RETURN_IF_ERROR(check_output(c, "plan.rows", pl->rows, TS_I32, 2, tk));
    TSI_RETURN_IF_ERROR(check_output(c, "plan.row_token", pl->row_token, TS_I32, 1, r));
    TSI_RETURN_IF_ERROR(check_output(c, "plan.counts", pl->counts, TS_I32, 1, e));
    TSI_RETURN_IF_ERROR(check_output(c, "plan.offsets", pl->offsets, TS_I32, 1, e1));
    TSI_RETURN_IF_ERROR(check_output(c, "plan.dropped", pl->dropped, TS_I32, 1, one));
    TSI_RETURN_IF_ERROR(check_output(c, "plan.aux_loss", pl->aux_loss, TS_F32, 1, one));
    TSI_RETURN_IF_ERROR(check_output(c, "plan.z_loss", pl->z_loss, TS_F32, 1, one));
    const ts_tensor *outs[N_PLAN + 1] = {pl->logits,  pl->probs,     pl->expert, pl->gate,
                                         pl->rows,    pl->row_token, pl->counts, pl->offsets,
                                         pl->dropped, pl->aux_loss,  pl->z_loss, out};
    static const char *const names[N_PLAN + 1] = {"plan.logits",   "plan.probs",   "plan.expert",
                                                  "plan.gate",     "plan.rows",    "plan.row_token",
                                                  "plan.counts",   "plan.offsets", "plan.dropped",
                                                  "plan.aux_loss", "plan.z_loss",  "out"};
    for (int i = 0; i <= N_PLAN; i++) {
        if (!outs[i])
            continue;
        TSI_RETURN_IF_ERROR(tsi_check_output(c->fn, names[i], outs[i], ins, N_IN));
        for (int j = i + 1; j <= N_PLAN; j++)
            TSI_CHECK(!outs[j] || !tsi_tensors_overlap(outs[i], outs[j]), TS_ERR_ALIASING,
                      "%s: outputs %s and %s overlap", c->fn, names[i], names[j]);
    }
    const ts_tensor *all[N_IN + N_PLAN + 1];
    for (int i = 0; i < N_IN; i++)
        all[i] = ins[i];
    for (int i = 0; i <= N_PLAN; i++)
        all[N_IN + i] = outs[i];
    return tsi_check_devices(c->fn, all, N_IN + N_PLAN + 1);
}

ts_status tsi_moe_check(moe_ctx *c, const ts_tensor *x, const ts_moe_weights *w,
                        const ts_moe_params *p, const ts_tensor *out, int with_ffn)
{
    char s[TSI_SHAPE_STR_LEN];
    TSI_RETURN_IF_ERROR(check_params(c->fn, p));
    TSI_CHECK(w, TS_ERR_INVALID_ARGUMENT, "%s: weights is NULL", c->fn);
    TSI_RETURN_IF_ERROR(tsi_check_tensor(c->fn, "x", x));
    TSI_RETURN_IF_ERROR(tsi_check_float(c->fn, "x", x));
    TSI_CHECK(x->ndim == 2, TS_ERR_SHAPE, "%s: x is %s, expected [T, d]", c->fn,
              tsi_shape_str(x->shape, x->ndim, s));
    c->p = p;
    c->w = w;
    c->dt = x->dtype;
    c->t = x->shape[0];
    c->d = x->shape[1];
    c->e = p->n_experts;
    c->k = p->k;
    TSI_CHECK(c->t <= MOE_I32_MAX / c->k, TS_ERR_OVERFLOW,
              "%s: %lld tokens x k = %lld choices do not fit i32 row indices", c->fn,
              (long long)c->t, (long long)c->k);
    TSI_RETURN_IF_ERROR(check_router(c, w, p));
    if (with_ffn) {
        TSI_RETURN_IF_ERROR(tsi_check_tensor(c->fn, "out", out));
        TSI_RETURN_IF_ERROR(tsi_check_same_dtype(c->fn, "x", x, "out", out));
        TSI_RETURN_IF_ERROR(tsi_check_same_shape(c->fn, "x", x, "out", out));
        TSI_RETURN_IF_ERROR(tsi_check_contiguous_output(c->fn, "out", out));
        TSI_RETURN_IF_ERROR(check_experts(c, w, p));
    }
    tsi_moe_capacity_of(p, c->t, &c->capacity, &c->n_rows);
    const ts_tensor *ins[N_IN] = {x, w->router, w->xmoe_reduce, w->xmoe_experts, NULL, NULL, NULL};
    if (p->router == TS_MOE_ROUTER_SOFTMAX)
        ins[2] = ins[3] = NULL; /* unused: their devices do not matter */
    else
        ins[1] = NULL;
    if (with_ffn) {
        ins[4] = w->w1;
        ins[5] = w->w_gate;
        ins[6] = w->w2;
    }
    TSI_RETURN_IF_ERROR(check_plan(c, &p->plan, with_ffn ? out : NULL, ins));
    c->dev = x->st->dev;
    return TS_OK;
}
