/* Cases for the Sub-LN (Magneto) placement helpers:
 *   subln_attention_output  out = LN(attn) w_ln + b_ln, then . w_out + b_out
 *   subln_ffn               out = LN(gelu(x . w1 + b1)) w_ln + b_ln, . w2 + b2
 * The layer stores its intermediates in the case's dtype, so the reference
 * carries error scales through every step (cases_layernorm_ref.h); its
 * f16/bf16 tolerances in registry.c are twice the single-op ones for the
 * same reason (each stored intermediate adds up to half an ulp). */
#include <math.h>

#include "cases_layernorm_ref.h"
#include "family.h"

enum { OP_ATTN_OUT, OP_FFN };

#define F_B1 (TSC_FLAG_FAMILY << 0)
#define F_B2 (TSC_FLAG_FAMILY << 1)
#define F_LNW (TSC_FLAG_FAMILY << 2)
#define F_LNB (TSC_FLAG_FAMILY << 3)
#define ALL_P (F_B1 | F_B2 | F_LNW | F_LNB)

static const tsc_op_entry ops[] = {
    {"subln_attention_output", OP_ATTN_OUT, TSC_FLOATS},
    {"subln_ffn", OP_FFN, TSC_FLOATS},
};

/* x is [.., D]; p[0] = H (the FFN's hidden width), p[1] = D_out. */
static const tsc_spec specs[] = {
    {"5x7 H=33 Dout=7", 2, {5, 7}, 0, {0}, {33, 7}, {0}, ALL_P, 0},
    {"2x3x33 H=17 Dout=9 S(x) no-bias",
     3,
     {2, 3, 33},
     0,
     {0},
     {17, 9},
     {0},
     F_LNW | TSC_LAY_IN0(TSC_SLICED),
     0},
    {"4x1x257 H=64 Dout=1", 3, {4, 1, 257}, 0, {0}, {64, 1}, {0}, ALL_P, 0},
    {"2x64x256 H=1024 Dout=256", 3, {2, 64, 256}, 0, {0}, {1024, 256}, {0}, ALL_P, 1},
};

static tsc_arg *maybe(tsc_ctx *x, int on, ts_dtype dt, int64_t n, double lo, double hi)
{
    return on ? tsc_input(x, dt, 1, &n, TSC_CONTIG, lo, hi) : NULL;
}

static void run(tsc_ctx *x)
{
    const tsc_case *c = tsc_ctx_case(x);
    const tsc_spec *s = tsc_ctx_spec(x);
    int kind = tsc_ctx_op(x)->kind, nd = s->nd;
    unsigned fl = s->flags;
    ts_dtype dt = c->dtype;
    const float eps = 1e-5f;
    int64_t d = s->shape[nd - 1], h = kind == OP_FFN ? s->p[0] : d, dout = s->p[1];
    int64_t rows = tsc_numel(nd - 1, s->shape);
    int64_t oshape[4] = {s->shape[0], s->shape[1], s->shape[2], s->shape[3]};
    oshape[nd - 1] = dout;

    tsc_arg *xa = tsc_input(x, dt, nd, s->shape, TSC_IN0_LAYOUT(fl), -1.0, 1.0);
    int64_t w1s[2] = {d, h}, w2s[2] = {h, dout};
    tsc_arg *w1 = kind == OP_FFN ? tsc_input(x, dt, 2, w1s, TSC_CONTIG, -0.5, 0.5) : NULL;
    tsc_arg *b1 = maybe(x, kind == OP_FFN && (fl & F_B1), dt, h, -0.5, 0.5);
    tsc_arg *lnw = maybe(x, (fl & F_LNW) != 0, dt, h, 0.5, 1.5);
    tsc_arg *lnb = maybe(x, (fl & F_LNB) != 0, dt, h, -0.5, 0.5);
    tsc_arg *w2 = tsc_input(x, dt, 2, w2s, TSC_CONTIG, -0.5, 0.5);
    tsc_arg *b2 = maybe(x, (fl & F_B2) != 0, dt, dout, -0.5, 0.5);
    tsc_arg *out = tsc_output(x, dt, nd, oshape, TSC_CONTIG);
    if (!xa || !w2 || !out || (kind == OP_FFN && !w1) || tsc_failed(x))
        return;

    ts_status st;
    if (kind == OP_ATTN_OUT)
        st = ts_subln_attention_output(xa->t, lnw ? lnw->t : NULL, lnb ? lnb->t : NULL, eps, w2->t,
                                       b2 ? b2->t : NULL, out->t);
    else
        st = ts_subln_ffn(xa->t, w1->t, b1 ? b1->t : NULL, TS_GELU_ERF, lnw ? lnw->t : NULL,
                          lnb ? lnb->t : NULL, eps, w2->t, b2 ? b2->t : NULL, out->t);
    if (tsc_op_status(x, st, tsc_ctx_op(x)->name))
        return;

    double *hv = tsc_alloc(x, (size_t)(rows * h)), *ha = tsc_alloc(x, (size_t)(rows * h));
    double *av = tsc_alloc(x, (size_t)(rows * h)), *aa = tsc_alloc(x, (size_t)(rows * h));
    double *ref = tsc_alloc(x, (size_t)(rows * dout)), *mag = tsc_alloc(x, (size_t)(rows * dout));
    if (!hv || !ha || !av || !aa || !ref || !mag)
        return;
    if (kind == OP_FFN) {
        tsc_ln_linear(rows, d, h, xa->v, NULL, w1->v, b1 ? b1->v : NULL, hv, ha);
        tsc_ln_activation(TS_GELU_ERF, rows * h, hv, ha, av, aa);
    } else {
        for (int64_t i = 0; i < rows * h; i++) {
            av[i] = xa->v[i];
            aa[i] = fabs(xa->v[i]);
        }
    }
    tsc_ln_norm_rows(0, rows, h, av, aa, lnw ? lnw->v : NULL, lnb ? lnb->v : NULL, eps, hv, ha);
    tsc_ln_linear(rows, h, dout, hv, ha, w2->v, b2 ? b2->v : NULL, ref, mag);
    tsc_check(x, out, ref, mag);
}

const tsc_family tsc_family_subln = {
    .name = "subln",
    .ops = ops,
    .n_ops = (int)(sizeof ops / sizeof ops[0]),
    .specs = specs,
    .n_specs = (int)(sizeof specs / sizeof specs[0]),
    .run = run,
};
