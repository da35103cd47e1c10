/* Cases for the fused residual norms and the DeepNorm step:
 *   residual_layer_norm  y = LN(alpha x + f) w + b, optional s = alpha x + f
 *   residual_rms_norm    y = RMS(alpha x + f) w,    optional s
 *   deepnorm_residual    y = LN(alpha x + G(x)) w + b
 * Specs marked "rows" put a constant row first (variance 0: y = bias) and a
 * row with mean ~1e4 and small spread second (E[x^2] - mean^2 falls apart
 * there; two-pass statistics do not). Widths 1, 7, 33, 257 and 4099 are
 * multiples of no vector width. */
#include <math.h>

#include "cases_layernorm_ref.h"
#include "family.h"

enum { OP_LAYER, OP_RMS, OP_DEEP };

#define F_WEIGHT (TSC_FLAG_FAMILY << 0)
#define F_BIAS (TSC_FLAG_FAMILY << 1)
#define F_SUM (TSC_FLAG_FAMILY << 2)
#define F_ROWS (TSC_FLAG_FAMILY << 3) /* constant row + mean-1e4 row */

static const tsc_op_entry ops[] = {
    {"residual_layer_norm", OP_LAYER, TSC_FLOATS},
    {"residual_rms_norm", OP_RMS, TSC_FLOATS},
    {"deepnorm_residual", OP_DEEP, TSC_FLOATS},
};

#define WB (F_WEIGHT | F_BIAS)
#define WBS (WB | F_SUM)
/* x a strided slice, f a transpose view. */
#define VIEWS (TSC_LAY_IN0(TSC_SLICED) | TSC_LAY_IN1(TSC_TRANSPOSED))

/* f[0] = alpha, f[1] = eps (0: the norm's default). */
#define A6 1.8612097 /* DeepNorm's alpha for a 6-layer encoder, (2*6)^(1/4) */
static const tsc_spec specs[] = {
    {"7x33 w b rows", 2, {7, 33}, 0, {0}, {0}, {1.0, 0.0}, WB | F_ROWS, 0},
    {"6x257 a6 w b rows", 2, {6, 257}, 0, {0}, {0}, {A6, 0.0}, WB | F_ROWS, 0},
    {"5x257 a6 w s rows", 2, {5, 257}, 0, {0}, {0}, {A6, 0.0}, F_WEIGHT | F_SUM | F_ROWS, 0},
    {"3x7 a0.5 b s eps1e-3", 2, {3, 7}, 0, {0}, {0}, {0.5, 1e-3}, F_BIAS | F_SUM, 0},
    {"2x3x33 a0.7 w b s S(x) T(f)", 3, {2, 3, 33}, 0, {0}, {0}, {0.7, 0.0}, WBS | VIEWS, 0},
    {"4x1 w b s", 2, {4, 1}, 0, {0}, {0}, {1.0, 0.0}, WB | F_SUM, 0},
    {"31 a1.5 w b s", 1, {31}, 0, {0}, {0}, {1.5, 0.0}, WB | F_SUM, 0},
    {"3x1024 a2 w s rows", 2, {3, 1024}, 0, {0}, {0}, {2.0, 0.0}, F_WEIGHT | F_SUM | F_ROWS, 0},
    {"64x4099 a6 w b s rows", 2, {64, 4099}, 0, {0}, {0}, {A6, 0.0}, WB | F_SUM | F_ROWS, 1},
    {"4x8x513 a0.9 w b s", 3, {4, 8, 513}, 0, {0}, {0}, {0.9, 0.0}, WB | F_SUM, 1},
};

/* DeepNorm's step writes no s; everything else runs every spec. */
static int applies(const tsc_op_entry *op, ts_dtype dt, const tsc_spec *s)
{
    (void)dt;
    return op->kind != OP_DEEP || !(s->flags & F_SUM);
}

/* Values of x (which 0) or f (which 1): uniform, with the special rows.
 * The mean-1e4 row keeps x at 1e4 (which every dtype stores near enough)
 * and puts a spread of +-8 in f, which every dtype stores finely: the f32
 * sum alpha*x + f then has mean ~1e4 and a standard deviation ~4.6, where
 * E[s^2] - mean^2 in f32 is off by far more than the variance itself. */
static double *row_values(tsc_ctx *x, int64_t rows, int64_t d, int special, int which)
{
    double *v = tsc_alloc(x, (size_t)(rows * d));
    if (!v)
        return NULL;
    for (int64_t r = 0; r < rows; r++) {
        double c = tsc_uniform(x, 0.25, 1.0) * (which ? -1.0 : 1.0);
        for (int64_t i = 0; i < d; i++) {
            double *e = &v[r * d + i];
            if (special && r == 0)
                *e = c;
            else if (special && r == 1)
                *e = which ? tsc_uniform(x, -8.0, 8.0) : 1e4;
            else
                *e = tsc_uniform(x, -2.0, 2.0);
        }
    }
    return v;
}

/* The kernel computes s and the statistics in f32 and rounds only on store,
 * so an element may be off by the dtype's tol times |value| (the store) plus
 * the f32 tol times the computation's error scale. As one scale for
 * tsc_check: |value| + (tol_f32 / tol_dtype) * comp. */
static void store_plus_f32(tsc_ctx *x, ts_dtype dt, int64_t n, const double *ref, double *comp)
{
    double tol_dt, tol32, floor;
    tsc_tolerance(tsc_ctx_case(x)->family, dt, &tol_dt, &floor);
    tsc_tolerance(tsc_ctx_case(x)->family, TS_F32, &tol32, &floor);
    double k = tol_dt > 0.0 ? tol32 / tol_dt : 1.0;
    for (int64_t i = 0; i < n; i++)
        comp[i] = fabs(ref[i]) + k * comp[i];
}

static void run(tsc_ctx *x)
{
    const tsc_case *c = tsc_ctx_case(x);
    const tsc_spec *s = tsc_ctx_spec(x);
    int kind = tsc_ctx_op(x)->kind, nd = s->nd;
    ts_dtype dt = c->dtype;
    int64_t d = s->shape[nd - 1], n = tsc_numel(nd, s->shape), rows = d ? n / d : 0;
    int special = (s->flags & F_ROWS) != 0 && rows >= 2;
    float alpha = (float)s->f[0];
    float eps = s->f[1] > 0.0 ? (float)s->f[1] : kind == OP_RMS ? 1e-6f : 1e-5f;
    int with_bias = (s->flags & F_BIAS) && kind != OP_RMS, with_sum = (s->flags & F_SUM) != 0;

    double *xv = row_values(x, rows, d, special, 0);
    double *fv = row_values(x, rows, d, special, 1);
    if (!xv || !fv)
        return;
    tsc_arg *xa = tsc_input_values(x, dt, nd, s->shape, TSC_IN0_LAYOUT(s->flags), xv);
    tsc_arg *fa = tsc_input_values(x, dt, nd, s->shape, TSC_IN1_LAYOUT(s->flags), fv);
    tsc_arg *w = NULL, *b = NULL, *sum = NULL;
    if (s->flags & F_WEIGHT)
        w = tsc_input(x, dt, 1, &d, TSC_CONTIG, 0.5, 1.5);
    if (with_bias)
        b = tsc_input(x, dt, 1, &d, TSC_CONTIG, -0.5, 0.5);
    tsc_arg *y = tsc_output(x, dt, nd, s->shape, TSC_CONTIG);
    if (with_sum)
        sum = tsc_output(x, dt, nd, s->shape, TSC_CONTIG);
    if (!xa || !fa || !y || ((s->flags & F_WEIGHT) && !w) || (with_bias && !b) ||
        (with_sum && !sum))
        return;

    ts_tensor *wt = w ? w->t : NULL, *bt = b ? b->t : NULL, *st = sum ? sum->t : NULL;
    ts_status status;
    if (kind == OP_LAYER)
        status = ts_residual_layer_norm(xa->t, fa->t, alpha, wt, bt, eps, y->t, st);
    else if (kind == OP_RMS)
        status = ts_residual_rms_norm(xa->t, fa->t, alpha, wt, eps, y->t, st);
    else
        status = ts_deepnorm_residual(xa->t, fa->t, alpha, wt, bt, eps, y->t);
    if (tsc_op_status(x, status, tsc_ctx_op(x)->name))
        return;

    double *sv = tsc_alloc(x, (size_t)n), *sa = tsc_alloc(x, (size_t)n);
    double *ref = tsc_alloc(x, (size_t)n), *mag = tsc_alloc(x, (size_t)n);
    if (!sv || !sa || !ref || !mag)
        return;
    for (int64_t i = 0; i < n; i++) {
        sv[i] = (double)alpha * xa->v[i] + fa->v[i];
        sa[i] = fabs((double)alpha * xa->v[i]) + fabs(fa->v[i]);
    }
    tsc_ln_norm_rows(kind == OP_RMS, rows, d, sv, sa, w ? w->v : NULL, b ? b->v : NULL, eps, ref,
                     mag);
    store_plus_f32(x, dt, n, ref, mag);
    if (tsc_check(x, y, ref, mag) || !sum)
        return;
    store_plus_f32(x, dt, n, sv, sa);
    tsc_check(x, sum, sv, sa);
}

const tsc_family tsc_family_residual_norm = {
    .name = "residual_norm",
    .ops = ops,
    .n_ops = (int)(sizeof ops / sizeof ops[0]),
    .specs = specs,
    .n_specs = (int)(sizeof specs / sizeof specs[0]),
    .applies = applies,
    .run = run,
};
