/* Cases for the Primer blocks:
 *   primer_ffn               out = relu(x . w1 + b1)^2 . w2 + b2
 *   primer_dconv_projection  out = dconv3(x . w)  (causal, per channel)
 *   primer_mdha_qkv          q, k, v = dconv3(x . w{q,k,v}) with own filters
 * Intermediates are stored in the case's dtype by the layer, so the
 * reference carries error scales through each step; the f16/bf16
 * tolerances in registry.c are twice the single-op ones for that reason. */
#include <math.h>

#include "cases_layernorm_ref.h"
#include "family.h"

enum { OP_FFN, OP_DCONV, OP_QKV };

#define F_B1 (TSC_FLAG_FAMILY << 0)
#define F_B2 (TSC_FLAG_FAMILY << 1)
#define DCONV_K 3

static const tsc_op_entry ops[] = {
    {"primer_ffn", OP_FFN, TSC_FLOATS},
    {"primer_dconv_projection", OP_DCONV, TSC_FLOATS},
    {"primer_mdha_qkv", OP_QKV, TSC_FLOATS},
};

/* x is [B, L, D] or [L, D]; p[0] = H (FFN hidden width; channels C of a
 * projection), p[1] = D_out of the FFN. */
static const tsc_spec specs[] = {
    {"2x5x7 H=33 Dout=7", 3, {2, 5, 7}, 0, {0}, {33, 7}, {0}, F_B1 | F_B2, 0},
    {"9x16 H=12 Dout=5 S(x) no-bias", 2, {9, 16}, 0, {0}, {12, 5}, {0}, TSC_LAY_IN0(TSC_SLICED), 0},
    {"1x2x33 H=257 Dout=3", 3, {1, 2, 33}, 0, {0}, {257, 3}, {0}, F_B1, 0},
    {"2x128x256 H=1024 Dout=256", 3, {2, 128, 256}, 0, {0}, {1024, 256}, {0}, F_B1 | F_B2, 1},
};

static tsc_arg *maybe(tsc_ctx *x, int on, ts_dtype dt, int64_t n)
{
    return on ? tsc_input(x, dt, 1, &n, TSC_CONTIG, -0.5, 0.5) : NULL;
}

static void run_ffn(tsc_ctx *x, const tsc_spec *s, ts_dtype dt, tsc_arg *xa)
{
    int nd = s->nd;
    int64_t d = s->shape[nd - 1], h = s->p[0], dout = s->p[1];
    int64_t rows = tsc_numel(nd - 1, s->shape), w1s[2] = {d, h}, w2s[2] = {h, dout};
    int64_t oshape[4] = {s->shape[0], s->shape[1], s->shape[2], s->shape[3]};
    oshape[nd - 1] = dout;
    tsc_arg *w1 = tsc_input(x, dt, 2, w1s, TSC_CONTIG, -0.5, 0.5);
    tsc_arg *b1 = maybe(x, (s->flags & F_B1) != 0, dt, h);
    tsc_arg *w2 = tsc_input(x, dt, 2, w2s, TSC_CONTIG, -0.5, 0.5);
    tsc_arg *b2 = maybe(x, (s->flags & F_B2) != 0, dt, dout);
    tsc_arg *out = tsc_output(x, dt, nd, oshape, TSC_CONTIG);
    if (!w1 || !w2 || !out || tsc_failed(x))
        return;
    ts_status st = ts_primer_ffn(xa->t, w1->t, b1 ? b1->t : NULL, w2->t, b2 ? b2->t : NULL, out->t);
    if (tsc_op_status(x, st, "ts_primer_ffn"))
        return;
    double *hv = tsc_alloc(x, (size_t)(rows * h)), *ha = tsc_alloc(x, (size_t)(rows * h));
    double *av = tsc_alloc(x, (size_t)(rows * h)), *aa = tsc_alloc(x, (size_t)(rows * h));
    double *ref = tsc_alloc(x, (size_t)(rows * dout)), *mag = tsc_alloc(x, (size_t)(rows * dout));
    if (!hv || !ha || !av || !aa || !ref || !mag)
        return;
    tsc_ln_linear(rows, d, h, xa->v, NULL, w1->v, b1 ? b1->v : NULL, hv, ha);
    tsc_ln_activation(TS_RELU2, rows * h, hv, ha, av, aa);
    tsc_ln_linear(rows, h, dout, av, aa, w2->v, b2 ? b2->v : NULL, ref, mag);
    tsc_check(x, out, ref, mag);
}

/* One projection + dconv: inputs made, reference computed after the op. */
typedef struct projection {
    tsc_arg *w, *dconv, *out;
} projection;

static int make_projection(tsc_ctx *x, const tsc_spec *s, ts_dtype dt, projection *p)
{
    int nd = s->nd;
    int64_t d = s->shape[nd - 1], ch = s->p[0], ws[2] = {d, ch}, ds[2] = {ch, DCONV_K};
    int64_t oshape[4] = {s->shape[0], s->shape[1], s->shape[2], s->shape[3]};
    oshape[nd - 1] = ch;
    p->w = tsc_input(x, dt, 2, ws, TSC_CONTIG, -0.5, 0.5);
    p->dconv = tsc_input(x, dt, 2, ds, TSC_CONTIG, -1.0, 1.0);
    p->out = tsc_output(x, dt, nd, oshape, TSC_CONTIG);
    return p->w && p->dconv && p->out ? 0 : 1;
}

static void check_projection(tsc_ctx *x, const tsc_spec *s, const tsc_arg *xa, const projection *p)
{
    int nd = s->nd;
    int64_t d = s->shape[nd - 1], ch = s->p[0], len = s->shape[nd - 2];
    int64_t batch = nd == 3 ? s->shape[0] : 1, rows = batch * len;
    double *pv = tsc_alloc(x, (size_t)(rows * ch)), *pa = tsc_alloc(x, (size_t)(rows * ch));
    double *ref = tsc_alloc(x, (size_t)(rows * ch)), *mag = tsc_alloc(x, (size_t)(rows * ch));
    if (!pv || !pa || !ref || !mag)
        return;
    tsc_ln_linear(rows, d, ch, xa->v, NULL, p->w->v, NULL, pv, pa);
    tsc_ln_dconv(batch, len, ch, DCONV_K, pv, pa, p->dconv->v, ref, mag);
    tsc_check(x, p->out, ref, mag);
}

static void run(tsc_ctx *x)
{
    const tsc_spec *s = tsc_ctx_spec(x);
    ts_dtype dt = tsc_ctx_case(x)->dtype;
    int kind = tsc_ctx_op(x)->kind;
    tsc_arg *xa = tsc_input(x, dt, s->nd, s->shape, TSC_IN0_LAYOUT(s->flags), -1.0, 1.0);
    if (!xa)
        return;
    if (kind == OP_FFN) {
        run_ffn(x, s, dt, xa);
        return;
    }
    projection p[3] = {{0}};
    int n = kind == OP_QKV ? 3 : 1;
    for (int i = 0; i < n; i++)
        if (make_projection(x, s, dt, &p[i]))
            return;
    ts_status st;
    if (kind == OP_DCONV)
        st = ts_primer_dconv_projection(xa->t, p[0].w->t, p[0].dconv->t, p[0].out->t);
    else
        st =
            ts_primer_mdha_qkv(xa->t, p[0].w->t, p[1].w->t, p[2].w->t, p[0].dconv->t, p[1].dconv->t,
                               p[2].dconv->t, p[0].out->t, p[1].out->t, p[2].out->t);
    if (tsc_op_status(x, st, tsc_ctx_op(x)->name))
        return;
    for (int i = 0; i < n && !tsc_failed(x); i++)
        check_projection(x, s, xa, &p[i]);
}

const tsc_family tsc_family_primer = {
    .name = "primer",
    .ops = ops,
    .n_ops = (int)(sizeof ops / sizeof ops[0]),
    .specs = specs,
    .n_specs = (int)(sizeof specs / sizeof specs[0]),
    .run = run,
};
