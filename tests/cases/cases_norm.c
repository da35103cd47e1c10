/* Cases of ts_layer_norm and ts_rms_norm: weight and bias optional, a row
 * with mean 1e4 and small variance (catches E[x^2] - mean^2 statistics), a
 * constant row (variance 0: only eps keeps it finite), strided inputs.
 * f[0] = eps. */
#include "family.h"
#include "ref.h"

enum { K_LAYER, K_RMS };

/* clang-format off */
static const tsc_op_entry ops[] = {
    {"layer_norm", K_LAYER, TSC_FLOATS},
    {"rms_norm", K_RMS, TSC_FLOATS},
};
/* clang-format on */

#define W TSC_FLAG_FAMILY
#define BIAS (TSC_FLAG_FAMILY << 1)
#define HARD_ROWS (TSC_FLAG_FAMILY << 2) /* row 0: mean 1e4; row 1: constant */

/* clang-format off */
static const tsc_spec specs[] = {
    {"1x1 w b", 2, {1, 1}, 0, {0}, {0}, {1e-5}, W | BIAS, 0},
    {"7x13 w b", 2, {7, 13}, 0, {0}, {0}, {1e-5}, W | BIAS, 0},
    {"5x64", 2, {5, 64}, 0, {0}, {0}, {1e-5}, 0, 0},
    {"4x33 w", 2, {4, 33}, 0, {0}, {0}, {1e-6}, W, 0},
    {"6x64 mean-1e4 and constant rows, w b", 2, {6, 64}, 0, {0}, {0}, {1e-5}, W | BIAS | HARD_ROWS,
     0},
    {"3x4x17 T(x) b", 3, {3, 4, 17}, 0, {0}, {0}, {1e-5}, BIAS | TSC_LAY_IN0(TSC_TRANSPOSED), 0},
    {"31 w", 1, {31}, 0, {0}, {0}, {1e-5}, W, 0},
    {"2x1031 w b (row past a workgroup)", 2, {2, 1031}, 0, {0}, {0}, {1e-5}, W | BIAS, 0},
    {"empty 0x8 w b", 2, {0, 8}, 0, {0}, {0}, {1e-5}, W | BIAS, 0},
    {"64x4099 w b", 2, {64, 4099}, 0, {0}, {0}, {1e-5}, W | BIAS, 1},
    {"16x4099 mean-1e4 and constant rows", 2, {16, 4099}, 0, {0}, {0}, {1e-5}, HARD_ROWS, 1},
};
/* clang-format on */

static void run(tsc_ctx *x)
{
    const tsc_case *c = tsc_ctx_case(x);
    const tsc_spec *s = tsc_ctx_spec(x);
    int kind = tsc_ctx_op(x)->kind;
    ts_dtype dt = c->dtype;
    int64_t n = s->shape[s->nd - 1], numel = tsc_numel(s->nd, s->shape);
    int64_t rows = n ? numel / n : 0;
    float eps = (float)s->f[0];
    double *v = tsc_alloc(x, (size_t)numel);
    if (!v)
        return;
    for (int64_t i = 0; i < numel; i++)
        v[i] = tsc_uniform(x, -2, 2);
    if ((s->flags & HARD_ROWS) && rows >= 2) {
        for (int64_t j = 0; j < n; j++) {
            v[j] = 1e4 + tsc_uniform(x, -4, 4);
            v[n + j] = 0.7;
        }
    }
    tsc_arg *in = tsc_input_values(x, dt, s->nd, s->shape, TSC_IN0_LAYOUT(s->flags), v);
    int64_t pshape[1] = {n};
    tsc_arg *w = in && (s->flags & W) ? tsc_input(x, dt, 1, pshape, TSC_CONTIG, 0.5, 1.5) : NULL;
    tsc_arg *b = in && kind == K_LAYER && (s->flags & BIAS)
                     ? tsc_input(x, dt, 1, pshape, TSC_CONTIG, -1, 1)
                     : NULL;
    tsc_arg *out = in ? tsc_output(x, dt, s->nd, s->shape, TSC_CONTIG) : NULL;
    if (!out)
        return;
    ts_status st = kind == K_LAYER
                       ? ts_layer_norm(in->t, w ? w->t : NULL, b ? b->t : NULL, eps, out->t)
                       : ts_rms_norm(in->t, w ? w->t : NULL, eps, out->t);
    if (tsc_op_status(x, st, kind == K_LAYER ? "ts_layer_norm" : "ts_rms_norm"))
        return;
    double *ref = tsc_alloc(x, (size_t)numel), *mag = tsc_alloc(x, (size_t)numel);
    if (!ref || !mag)
        return;
    /* The f32 statistics may be off by an absolute 3e-6 (|x| + |mean|) rstd
     * whatever the storage dtype (about 50 f32 ulps: sqrt(n) roundings in
     * the mean). That still fails the naive E[x^2] - mean^2 variance on the
     * mean-1e4 row by ~40x, and a corrupted constant row too. */
    double tol, floor;
    tsc_tolerance(c->family, dt, &tol, &floor);
    if (kind == K_LAYER)
        ref_layer_norm(in->v, rows, n, w ? w->v : NULL, b ? b->v : NULL, eps, 3e-6 / tol, ref, mag);
    else
        ref_rms_norm(in->v, rows, n, w ? w->v : NULL, eps, ref, mag);
    tsc_check(x, out, ref, mag);
}

const tsc_family tsc_family_norm = {
    .name = "norm",
    .ops = ops,
    .n_ops = sizeof ops / sizeof ops[0],
    .specs = specs,
    .n_specs = sizeof specs / sizeof specs[0],
    .run = run,
};
