/* Cases of the MoE layer (family "moe"): ts_moe_route (op "moe_route",
 * every plan output) and ts_moe_ffn (op "moe_ffn", the layer's output and
 * the integer plan), against the float64 reference in ref_moe_layer.c.
 *
 * specs: shape = {T, d, ff, E}; p[0] = k, p[1] = a fixed capacity (-1:
 * from the factor), p[2] = min_capacity, p[3] = d_r (X-MoE); f[0] =
 * capacity_factor, f[1] = tau (X-MoE). Token counts are primes or odd so
 * no tile divides them.
 *
 * Exact placement: the softmax router's inputs are multiples of 1/4 or 1/8
 * (x in [-2, 2], W_r in [-1, 1]), so every logit is a multiple of 1/64
 * computed exactly in f32 whatever the summation order; distinct logits
 * are at least 1/64 apart (probabilities 1.6 % apart: no f32 error
 * reorders them) and equal logits are bitwise equal, so ties are real ties
 * the device must break to the lower index. Logit spreads stay well below
 * 87, where f32 probabilities would underflow to equal zeros. X-MoE's cosines cannot be made exact:
 * there a token whose top-k ranking is not clearly apart (probabilities
 * within 1e-5 relative) takes the device's ranking if it is an equally
 * good one, and the placement is then checked exactly from it.
 *
 * F_SPECIAL: tokens 0-3 hold NaN, +inf, -inf, and both infinities
 * (docs/numerics.md): their logits are NaN or infinities of both signs,
 * so their probabilities are NaN, they take experts 0 .. k-1 (NaN ranks
 * first, ties to the lower index), their gates and outputs are NaN and so
 * are the losses; every other token is routed and computed as usual,
 * after them in the capacity order. Values are then judged by class
 * first (tsc_check_class). */
#include <math.h>
#include <string.h>

#include "family.h"
#include "ref_moe_layer.h"

enum {
    F_XMOE = TSC_FLAG_FAMILY << 0,
    F_NONORM = TSC_FLAG_FAMILY << 1,  /* X-MoE: r left unnormalized */
    F_SIGMOID = TSC_FLAG_FAMILY << 2, /* X-MoE: sigmoid gates */
    F_RENORM = TSC_FLAG_FAMILY << 3,
    F_ONE = TSC_FLAG_FAMILY << 4,     /* every token's first choice is expert E-1 */
    F_TIES = TSC_FLAG_FAMILY << 5,    /* experts 2j and 2j+1 have equal logits */
    F_SPECIAL = TSC_FLAG_FAMILY << 6, /* NaN and +-inf in tokens 0-3 (special_tokens) */
};
#define ACT_SHIFT 16
#define F_ACT(a) ((unsigned)(a) << ACT_SHIFT)
#define ACT_OF(f) ((ts_moe_activation)(((f) >> ACT_SHIFT) & 7u))

#define T_X TSC_LAY_IN0(TSC_TRANSPOSED)

static const tsc_op_entry moe_ops[] = {{"moe_route", 0, TSC_FLOATS}, {"moe_ffn", 1, TSC_FLOATS}};

/* clang-format off */
static const tsc_spec moe_specs[] = {
    /* Quick: small widths (software GPUs), every router, capacity rule and
     * activation once. */
    {"T37 d16 ff24 E8 top2 cf1.25 relu", 4, {37, 16, 24, 8}, 0, {0}, {2, -1, 4, 0}, {1.25, 0},
     F_ACT(TS_MOE_RELU), 0},
    {"T29 d8 ff20 E1 top1 unlimited silu T(x)", 4, {29, 8, 20, 1}, 0, {0}, {1, -1, 4, 0}, {0, 0},
     F_ACT(TS_MOE_SILU) | T_X, 0},
    {"T23 d8 ff16 E2 top2=E renorm gelu", 4, {23, 8, 16, 2}, 0, {0}, {2, -1, 4, 0}, {1, 0},
     F_ACT(TS_MOE_GELU) | F_RENORM, 0},
    {"T33 d16 ff12 E8 switch tiny capacity relu2", 4, {33, 16, 12, 8}, 0, {0}, {1, -1, 1, 0},
     {0.1, 0}, F_ACT(TS_MOE_RELU2), 0},
    {"T19 d8 ff12 E4 top2 capacity 0", 4, {19, 8, 12, 4}, 0, {0}, {2, 0, 4, 0}, {1, 0},
     F_ACT(TS_MOE_RELU), 0},
    {"T40 d16 ff16 E8 top2 one expert cf1 swiglu", 4, {40, 16, 16, 8}, 0, {0}, {2, -1, 4, 0},
     {1, 0}, F_ACT(TS_MOE_SWIGLU) | F_ONE, 0},
    {"T30 d8 ff8 E4 switch all to one expert unlimited gelu", 4, {30, 8, 8, 4}, 0, {0},
     {1, -1, 4, 0}, {0, 0}, F_ACT(TS_MOE_GELU) | F_ONE, 0},
    {"T31 d16 ff16 E8 top8=E ties renorm relu", 4, {31, 16, 16, 8}, 0, {0}, {8, -1, 4, 0},
     {1.5, 0}, F_ACT(TS_MOE_RELU) | F_TIES | F_RENORM, 0},
    {"T21 d16 ff16 E8 switch ties unlimited silu", 4, {21, 16, 16, 8}, 0, {0}, {1, -1, 4, 0},
     {0, 0}, F_ACT(TS_MOE_SILU) | F_TIES, 0},
    {"T45 d16 ff16 E64 top2 cf2 silu", 4, {45, 16, 16, 64}, 0, {0}, {2, -1, 4, 0}, {2, 0},
     F_ACT(TS_MOE_SILU), 0},
    {"T27 d24 ff16 E8 xmoe dr16 tau0.5 top2 gelu", 4, {27, 24, 16, 8}, 0, {0}, {2, -1, 4, 16},
     {1.25, 0.5}, F_ACT(TS_MOE_GELU) | F_XMOE, 0},
    {"T25 d24 ff16 E8 xmoe unnormed sigmoid top1 relu", 4, {25, 24, 16, 8}, 0, {0},
     {1, -1, 4, 16}, {1, 0.3}, F_ACT(TS_MOE_RELU) | F_XMOE | F_NONORM | F_SIGMOID, 0},
    {"T0 d8 ff8 E4 top2", 4, {0, 8, 8, 4}, 0, {0}, {2, -1, 4, 0}, {1.25, 0}, F_ACT(TS_MOE_RELU),
     0},
    {"T13 d8 ff8 E4 top2 cf1.25 special tokens", 4, {13, 8, 8, 4}, 0, {0}, {2, -1, 4, 0},
     {1.25, 0}, F_ACT(TS_MOE_RELU) | F_SPECIAL, 0},
    /* Full: realistic widths, more tokens, every activation at E 64. */
    {"T301 d64 ff96 E8 top2 cf1.25 swiglu", 4, {301, 64, 96, 8}, 0, {0}, {2, -1, 4, 0},
     {1.25, 0}, F_ACT(TS_MOE_SWIGLU), 1},
    {"T513 d32 ff64 E64 top2 cf1 gelu", 4, {513, 32, 64, 64}, 0, {0}, {2, -1, 4, 0}, {1, 0},
     F_ACT(TS_MOE_GELU), 1},
    {"T257 d32 ff48 E64 switch cf1.5 relu2", 4, {257, 32, 48, 64}, 0, {0}, {1, -1, 4, 0},
     {1.5, 0}, F_ACT(TS_MOE_RELU2), 1},
    {"T199 d48 ff64 E16 xmoe dr16 tau0.07 top2 silu renorm", 4, {199, 48, 64, 16}, 0, {0},
     {2, -1, 4, 16}, {1.25, 0.07}, F_ACT(TS_MOE_SILU) | F_XMOE | F_RENORM, 1},
    {"T211 d32 ff32 E8 top2 one expert cf2 relu", 4, {211, 32, 32, 8}, 0, {0}, {2, -1, 4, 0},
     {2, 0}, F_ACT(TS_MOE_RELU) | F_ONE, 1},
    {"T127 d32 ff40 E2 top2=E ties unlimited gelu", 4, {127, 32, 40, 2}, 0, {0}, {2, -1, 4, 0},
     {0, 0}, F_ACT(TS_MOE_GELU) | F_TIES, 1},
};
/* clang-format on */

typedef struct moe_case {
    tsc_ctx *x;
    const tsc_spec *sp;
    ts_dtype dt;
    int64_t t, d, ff, e, k, dr;
    ts_moe_params p;
    ts_moe_weights w;
    ref_moe_in in;
} moe_case;

static double quarter(tsc_ctx *x, int64_t lo, int64_t hi)
{
    return (double)tsc_rand_int(x, lo, hi) / 4.0;
}

/* F_SPECIAL: NaN in token 0, +inf in token 1, -inf in token 2, both in
 * token 3, in columns whose router weights alternate in sign (never 0),
 * so that no such token has only -inf logits (a softmax of zeros). */
static void special_tokens(const moe_case *m, double *xv, double *wv)
{
    int64_t d = m->d;
    xv[0 * d + 1] = NAN;
    xv[1 * d + 2] = INFINITY;
    xv[2 * d + 3] = -INFINITY;
    xv[3 * d + 2] = INFINITY;
    xv[3 * d + 3] = -INFINITY;
    for (int64_t l = 2; l <= 3; l++)
        for (int64_t j = 0; j < m->e; j++)
            wv[l * m->e + j] = j % 2 ? -0.5 : 0.5;
}

/* Router inputs: exact multiples of 1/4 (see the top of the file). */
static tsc_arg *router_inputs(moe_case *m, tsc_arg **router)
{
    unsigned f = m->sp->flags;
    int64_t xs[2] = {m->t, m->d}, ws[2] = {m->d, m->e};
    double *xv = tsc_alloc(m->x, (size_t)(m->t * m->d));
    double *wv = tsc_alloc(m->x, (size_t)(m->d * m->e));
    if (!xv || !wv)
        return NULL;
    /* F_ONE: x in (0, 1] and W_r's last column 1/2, the others in
     * [-1/4, 1/4], so the last expert leads every token by at least
     * sum(x) / 4, while no logit trails the top by more than 3/4 d: the
     * other probabilities stay far above f32's underflow (exp(-87)),
     * where they would all become equal zeros. */
    for (int64_t i = 0; i < m->t * m->d; i++)
        xv[i] = (f & F_ONE) ? quarter(m->x, 1, 8) / 2 : quarter(m->x, -8, 8);
    for (int64_t l = 0; l < m->d; l++)
        for (int64_t j = 0; j < m->e; j++) {
            double *v = &wv[l * m->e + j];
            if ((f & F_ONE) && j == m->e - 1)
                *v = 0.5;
            else if ((f & F_TIES) && (j & 1))
                *v = v[-1];
            else
                *v = (f & F_ONE) ? quarter(m->x, -2, 2) / 2 : quarter(m->x, -4, 4);
        }
    if (f & F_SPECIAL)
        special_tokens(m, xv, wv);
    tsc_arg *xa = tsc_input_values(m->x, m->dt, 2, xs, TSC_IN0_LAYOUT(f), xv);
    /* The router weights in x's dtype: they are exact in every dtype, and
     * the layer's cast to f32 is then exercised too. */
    *router = xa ? tsc_input_values(m->x, m->dt, 2, ws, TSC_CONTIG, wv) : NULL;
    return *router ? xa : NULL;
}

static tsc_arg *inputs(moe_case *m)
{
    tsc_ctx *x = m->x;
    unsigned f = m->sp->flags;
    tsc_arg *xa;
    if (f & F_XMOE) {
        int64_t xs[2] = {m->t, m->d}, rs[2] = {m->d, m->dr}, es[2] = {m->e, m->dr};
        xa = tsc_input(x, m->dt, 2, xs, TSC_IN0_LAYOUT(f), -1, 1);
        tsc_arg *wr = xa ? tsc_input(x, TS_F32, 2, rs, TSC_CONTIG, -1, 1) : NULL;
        tsc_arg *em = wr ? tsc_input(x, TS_F32, 2, es, TSC_CONTIG, -1, 1) : NULL;
        if (!em)
            return NULL;
        m->w.xmoe_reduce = wr->t;
        m->w.xmoe_experts = em->t;
        m->in.wred = wr->v;
        m->in.emb = em->v;
    } else {
        tsc_arg *r;
        xa = router_inputs(m, &r);
        if (!xa)
            return NULL;
        m->w.router = r->t;
        m->in.router = r->v;
    }
    m->in.x = xa->v;
    if (tsc_ctx_op(x)->kind == 0)
        return xa;
    int64_t w1s[3] = {m->e, m->d, m->ff}, w2s[3] = {m->e, m->ff, m->d};
    tsc_arg *w1 = tsc_input(x, m->dt, 3, w1s, TSC_CONTIG, -0.5, 0.5);
    tsc_arg *w2 = w1 ? tsc_input(x, m->dt, 3, w2s, TSC_CONTIG, -0.5, 0.5) : NULL;
    if (!w2)
        return NULL;
    m->w.w1 = w1->t;
    m->w.w2 = w2->t;
    m->in.w1 = w1->v;
    m->in.w2 = w2->v;
    if (m->p.activation == TS_MOE_SWIGLU) {
        tsc_arg *wg = tsc_input(x, m->dt, 3, w1s, TSC_CONTIG, -0.5, 0.5);
        if (!wg)
            return NULL;
        m->w.w_gate = wg->t;
        m->in.wg = wg->v;
    }
    return xa;
}

static void setup(moe_case *m, tsc_ctx *x)
{
    const tsc_spec *sp = tsc_ctx_spec(x);
    unsigned f = sp->flags;
    *m = (moe_case){.x = x, .sp = sp, .dt = tsc_ctx_case(x)->dtype};
    m->t = sp->shape[0];
    m->d = sp->shape[1];
    m->ff = sp->shape[2];
    m->e = sp->shape[3];
    m->k = sp->p[0];
    m->dr = sp->p[3];
    ts_moe_params_init(&m->p);
    m->p.n_experts = (int)m->e;
    m->p.k = (int)m->k;
    m->p.capacity = sp->p[1];
    m->p.min_capacity = sp->p[2];
    m->p.capacity_factor = (float)sp->f[0];
    m->p.renormalize = (f & F_RENORM) != 0;
    m->p.router = (f & F_XMOE) ? TS_MOE_ROUTER_XMOE : TS_MOE_ROUTER_SOFTMAX;
    m->p.activation = ACT_OF(f);
    m->p.xmoe_temperature = (float)sp->f[1];
    m->p.xmoe_skip_token_norm = (f & F_NONORM) != 0;
    m->p.xmoe_sigmoid = (f & F_SIGMOID) != 0;
    m->in = (ref_moe_in){.t = m->t,
                         .d = m->d,
                         .ff = m->ff,
                         .e = m->e,
                         .k = m->k,
                         .dr = m->dr,
                         .xmoe = (f & F_XMOE) != 0,
                         .skip_token_norm = m->p.xmoe_skip_token_norm,
                         .sigmoid = m->p.xmoe_sigmoid,
                         .renormalize = m->p.renormalize,
                         .act = m->p.activation,
                         .temperature = (double)m->p.xmoe_temperature,
                         .aux_weight = (double)m->p.aux_loss_weight,
                         .ambiguity = (f & F_XMOE) ? 1e-5 : 0};
    double tol32, tol, floor;
    tsc_tolerance("moe", TS_F32, &tol32, &floor);
    tsc_tolerance("moe", m->dt, &tol, &floor);
    m->in.gate_weight = tol32 / tol;
}

typedef struct moe_outs {
    tsc_arg *logits, *probs, *expert, *gate, *rows, *row_token, *counts, *offsets, *dropped, *aux,
        *z, *y;
} moe_outs;

static tsc_arg *plan_out(moe_case *m, int want, ts_dtype dt, int nd, int64_t a, int64_t b,
                         ts_tensor **slot)
{
    if (!want)
        return NULL;
    int64_t s[2] = {a, b};
    tsc_arg *o = tsc_output(m->x, dt, nd, s, TSC_CONTIG);
    if (o)
        *slot = o->t;
    return o;
}

/* The route op asks for every output; the layer for the integer plan and
 * the gates (the rest is the same code). Returns 1 when a failed. */
static int outputs(moe_case *m, int64_t rows, moe_outs *o)
{
    int all = tsc_ctx_op(m->x)->kind == 0;
    ts_moe_plan *pl = &m->p.plan;
    int64_t t = m->t, e = m->e, k = m->k;
    o->logits = plan_out(m, all, TS_F32, 2, t, e, &pl->logits);
    o->probs = plan_out(m, all, TS_F32, 2, t, e, &pl->probs);
    o->expert = plan_out(m, 1, TS_I32, 2, t, k, &pl->expert);
    o->gate = plan_out(m, 1, TS_F32, 2, t, k, &pl->gate);
    o->rows = plan_out(m, 1, TS_I32, 2, t, k, &pl->rows);
    o->row_token = plan_out(m, all, TS_I32, 1, rows, 0, &pl->row_token);
    o->counts = plan_out(m, 1, TS_I32, 1, e, 0, &pl->counts);
    o->offsets = plan_out(m, all, TS_I32, 1, e + 1, 0, &pl->offsets);
    o->dropped = plan_out(m, 1, TS_I32, 1, 1, 0, &pl->dropped);
    o->aux = plan_out(m, all, TS_F32, 1, 1, 0, &pl->aux_loss);
    o->z = plan_out(m, all, TS_F32, 1, 1, 0, &pl->z_loss);
    if (!all) {
        int64_t ys[2] = {t, m->d};
        o->y = tsc_output(m->x, m->dt, 2, ys, TSC_CONTIG);
        if (!o->y)
            return 1;
    }
    return !o->expert || !o->gate || !o->rows || !o->counts || !o->dropped ||
           (all && (!o->logits || !o->probs || !o->row_token || !o->offsets || !o->aux || !o->z));
}

/* Scratch for int32 values, freed with the case (tsc_alloc hands out
 * doubles, which are at least as aligned). */
static int32_t *int_scratch(tsc_ctx *x, size_t n)
{
    void *p = tsc_alloc(x, n / 2 + 1);
    return p;
}

static int check_ints(moe_case *m, tsc_arg *a, const int32_t *v)
{
    if (!a)
        return 0;
    double *r = tsc_alloc(m->x, (size_t)a->numel);
    if (!r)
        return 1;
    for (int64_t i = 0; i < a->numel; i++)
        r[i] = v[i];
    return tsc_check(m->x, a, r, NULL);
}

static int check_reals(moe_case *m, tsc_arg *a, const double *v, const double *mag)
{
    if (!a)
        return 0;
    return (m->sp->flags & F_SPECIAL) ? tsc_check_class(m->x, a, v, mag, 0)
                                      : tsc_check(m->x, a, v, mag);
}

static int read_experts(moe_case *m, tsc_arg *expert, int32_t **dev)
{
    size_t n = (size_t)expert->numel;
    *dev = int_scratch(m->x, n);
    if (!*dev)
        return 1;
    return tsc_op_status(m->x, ts_tensor_read(expert->t, *dev, n * sizeof **dev), "ts_tensor_read");
}

static void run_moe(tsc_ctx *x)
{
    moe_case m;
    setup(&m, x);
    int64_t cap, rows;
    ref_moe_capacity(&m.p, m.t, &cap, &rows);
    m.in.capacity = cap;
    moe_outs o = {0};
    tsc_arg *xa = inputs(&m);
    if (!xa || outputs(&m, rows, &o))
        return;
    int ffn = tsc_ctx_op(x)->kind == 1;
    ts_status st = ffn ? ts_moe_ffn(xa->t, &m.w, &m.p, o.y->t) : ts_moe_route(xa->t, &m.w, &m.p);
    if (tsc_op_status(x, st, ffn ? "ts_moe_ffn" : "ts_moe_route"))
        return;
    int32_t *dev;
    if (read_experts(&m, o.expert, &dev))
        return;
    m.in.device_expert = dev;
    int64_t t = m.t, e = m.e, k = m.k, te = t * e + 1, tk = t * k + 1;
    ref_moe_out r = {.logits = tsc_alloc(x, (size_t)te),
                     .logit_mag = tsc_alloc(x, (size_t)te),
                     .probs = tsc_alloc(x, (size_t)te),
                     .prob_mag = tsc_alloc(x, (size_t)te),
                     .expert = int_scratch(x, (size_t)tk),
                     .gate = tsc_alloc(x, (size_t)tk),
                     .gate_mag = tsc_alloc(x, (size_t)tk),
                     .rows = int_scratch(x, (size_t)tk),
                     .row_token = int_scratch(x, (size_t)rows + 1),
                     .counts = int_scratch(x, (size_t)e),
                     .offsets = int_scratch(x, (size_t)e + 1),
                     .y = ffn ? tsc_alloc(x, (size_t)(t * m.d + 1)) : NULL,
                     .y_mag = ffn ? tsc_alloc(x, (size_t)(t * m.d + 1)) : NULL};
    if (!r.logits || !r.logit_mag || !r.probs || !r.prob_mag || !r.expert || !r.gate ||
        !r.gate_mag || !r.rows || !r.row_token || !r.counts || !r.offsets || (ffn && !r.y_mag))
        return;
    ref_moe_layer(&m.in, &r);
    double dropped = r.dropped;
    /* Integers first: a wrong ranking or placement explains any later
     * difference in values. */
    if (check_ints(&m, o.expert, r.expert) || check_ints(&m, o.rows, r.rows) ||
        check_ints(&m, o.row_token, r.row_token) || check_ints(&m, o.counts, r.counts) ||
        check_ints(&m, o.offsets, r.offsets) ||
        (o.dropped && tsc_check(x, o.dropped, &dropped, NULL)))
        return;
    if (check_reals(&m, o.logits, r.logits, r.logit_mag) ||
        check_reals(&m, o.probs, r.probs, r.prob_mag) ||
        check_reals(&m, o.gate, r.gate, r.gate_mag) || check_reals(&m, o.aux, &r.aux, &r.aux_mag) ||
        check_reals(&m, o.z, &r.z, &r.z_mag))
        return;
    if (ffn)
        check_reals(&m, o.y, r.y, r.y_mag);
}

const tsc_family tsc_family_moe = {
    .name = "moe",
    .ops = moe_ops,
    .n_ops = 2,
    .specs = moe_specs,
    .n_specs = sizeof moe_specs / sizeof moe_specs[0],
    .run = run_moe,
};
