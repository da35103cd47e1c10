/* Cases of the ops over the last dim that shrink it: ts_reduce (sum, mean,
 * max), ts_argmax and ts_topk. Tie specs draw values from a few levels so
 * equal maxima are common: the lower index must win. p[0] = k. */
#include "family.h"
#include "ref.h"

enum { K_SUM, K_MEAN, K_MAX, K_ARGMAX, K_TOPK };

/* clang-format off */
static const tsc_op_entry ops[] = {
    {"reduce_sum", K_SUM, TSC_ALL_DTYPES}, {"reduce_mean", K_MEAN, TSC_FLOATS},
    {"reduce_max", K_MAX, TSC_ALL_DTYPES}, {"argmax", K_ARGMAX, TSC_ALL_DTYPES},
    {"topk", K_TOPK, TSC_ALL_DTYPES},
};
/* clang-format on */

#define TIES TSC_FLAG_FAMILY
#define EMPTY_ROWS (TSC_FLAG_FAMILY << 1) /* last dim 0: only sum is defined */

/* clang-format off */
static const tsc_spec specs[] = {
    {"1", 1, {1}, 0, {0}, {1}, {0}, 0, 0},
    {"7x13 k=3", 2, {7, 13}, 0, {0}, {3}, {0}, 0, 0},
    {"ties 6x17 k=5", 2, {6, 17}, 0, {0}, {5}, {0}, TIES, 0},
    {"3x4x9 T(x) k=9", 3, {3, 4, 9}, 0, {0}, {9}, {0}, TSC_LAY_IN0(TSC_TRANSPOSED), 0},
    {"5x33 S(x) k=2", 2, {5, 33}, 0, {0}, {2}, {0}, TSC_LAY_IN0(TSC_SLICED), 0},
    {"2x257 k=7", 2, {2, 257}, 0, {0}, {7}, {0}, 0, 0},
    {"ties 2x1031 k=4", 2, {2, 1031}, 0, {0}, {4}, {0}, TIES, 0},
    {"4x6 B(x) k=2", 2, {4, 6}, 0, {0}, {2}, {0}, TSC_LAY_IN0(TSC_BROADCAST), 0},
    {"empty 0x5 k=1", 2, {0, 5}, 0, {0}, {1}, {0}, 0, 0},
    {"empty rows 4x0", 2, {4, 0}, 0, {0}, {0}, {0}, EMPTY_ROWS, 0},
    {"64x4099 k=16", 2, {64, 4099}, 0, {0}, {16}, {0}, 0, 1},
    {"ties 32x1000 k=64", 2, {32, 1000}, 0, {0}, {64}, {0}, TIES, 1},
    {"3x5x7x263 P(x) k=1", 4, {3, 5, 7, 263}, 0, {0}, {1}, {0}, TSC_LAY_IN0(TSC_PERMUTED), 1},
};
/* clang-format on */

static int applies(const tsc_op_entry *op, ts_dtype dt, const tsc_spec *s)
{
    return !(s->flags & EMPTY_ROWS) || op->kind == K_SUM;
}

static void run(tsc_ctx *x)
{
    const tsc_case *c = tsc_ctx_case(x);
    const tsc_spec *s = tsc_ctx_spec(x);
    int kind = tsc_ctx_op(x)->kind;
    ts_dtype dt = c->dtype;
    int64_t n = s->shape[s->nd - 1], numel = tsc_numel(s->nd, s->shape);
    int64_t rows = n ? numel / n : tsc_numel(s->nd - 1, s->shape);
    int64_t k = kind == K_TOPK ? s->p[0] : 1;
    int64_t oshape[4];
    for (int i = 0; i < s->nd; i++)
        oshape[i] = s->shape[i];
    oshape[s->nd - 1] = k;

    double *v = tsc_alloc(x, (size_t)numel);
    if (!v)
        return;
    for (int64_t i = 0; i < numel; i++) {
        if (s->flags & TIES)
            v[i] = (double)tsc_rand_int(x, -3, 3) * (dt == TS_I32 ? 1.0 : 0.5);
        else
            v[i] = dt == TS_I32 ? (double)tsc_rand_int(x, -1000, 1000) : tsc_uniform(x, -2, 2);
    }
    tsc_arg *in = tsc_input_values(x, dt, s->nd, s->shape, TSC_IN0_LAYOUT(s->flags), v);
    if (!in)
        return;
    double *ref = tsc_alloc(x, (size_t)(rows * k)), *mag = tsc_alloc(x, (size_t)(rows * k));
    double *ref_idx = tsc_alloc(x, (size_t)(rows * k));
    if (!ref || !mag || !ref_idx)
        return;
    if (kind == K_TOPK) {
        tsc_arg *vals = tsc_output(x, dt, s->nd, oshape, TSC_CONTIG);
        tsc_arg *idx = vals ? tsc_output(x, TS_I32, s->nd, oshape, TSC_CONTIG) : NULL;
        if (!idx || tsc_op_status(x, ts_topk(in->t, (int)k, vals->t, idx->t), "ts_topk"))
            return;
        ref_topk(in->v, rows, n, k, ref, ref_idx);
        if (tsc_check(x, idx, ref_idx, NULL) == 0)
            tsc_check(x, vals, ref, NULL);
        return;
    }
    if (kind == K_ARGMAX) {
        tsc_arg *out = tsc_output(x, TS_I32, s->nd, oshape, TSC_CONTIG);
        if (!out || tsc_op_status(x, ts_argmax(in->t, out->t), "ts_argmax"))
            return;
        ref_argmax(in->v, rows, n, ref_idx);
        tsc_check(x, out, ref_idx, NULL);
        return;
    }
    static const ts_reduce_op rop[] = {TS_REDUCE_SUM, TS_REDUCE_MEAN, TS_REDUCE_MAX};
    tsc_arg *out = tsc_output(x, dt, s->nd, oshape, TSC_CONTIG);
    if (!out || tsc_op_status(x, ts_reduce(rop[kind], in->t, out->t), "ts_reduce"))
        return;
    ref_reduce(rop[kind], in->v, rows, n, ref, mag);
    tsc_check(x, out, ref, mag);
}

const tsc_family tsc_family_reduce = {
    .name = "reduce",
    .ops = ops,
    .n_ops = sizeof ops / sizeof ops[0],
    .specs = specs,
    .n_specs = sizeof specs / sizeof specs[0],
    .applies = applies,
    .run = run,
};
