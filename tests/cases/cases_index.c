/* Cases of the indexing ops: ts_gather_rows (out-of-range indices give
 * zero rows, an empty table gives only zero rows), ts_scatter_add_rows
 * (repeated indices accumulate in order, out-of-range ones are skipped)
 * and ts_concat along every dim, with strided and empty inputs.
 *
 * Spec use: gather: shape = table [V, D], shape2 = idx shape.
 * scatter: shape = dst [V, D], p[0] = N. concat: shape = input 0, p[0] =
 * dim, shape2 = the sizes along dim of inputs 1.. (nd2 of them). */
#include "family.h"
#include "ref.h"

enum { K_GATHER, K_SCATTER, K_CONCAT };

/* clang-format off */
static const tsc_op_entry ops[] = {
    {"gather_rows", K_GATHER, TSC_ALL_DTYPES},
    {"scatter_add_rows", K_SCATTER, TSC_ALL_DTYPES},
    {"concat", K_CONCAT, TSC_ALL_DTYPES},
};
/* clang-format on */

#define GATHER TSC_FLAG_FAMILY
#define SCATTER (TSC_FLAG_FAMILY << 1)
#define CONCAT (TSC_FLAG_FAMILY << 2)
#define OOR (TSC_FLAG_FAMILY << 3) /* draw out-of-range indices too */
#define T TSC_TRANSPOSED
#define S TSC_SLICED
#define P TSC_PERMUTED

/* clang-format off */
static const tsc_spec specs[] = {
    {"V=10 D=7 idx 5", 2, {10, 7}, 1, {5}, {0}, {0}, GATHER, 0},
    {"V=1 D=1 idx 1", 2, {1, 1}, 1, {1}, {0}, {0}, GATHER, 0},
    {"V=13 D=33 idx 3x4 out-of-range", 2, {13, 33}, 2, {3, 4}, {0}, {0}, GATHER | OOR, 0},
    {"V=31 D=5 idx 2x3x2 T(table)", 2, {31, 5}, 3, {2, 3, 2}, {0}, {0},
     GATHER | TSC_LAY_IN0(T), 0},
    {"V=6 D=4 idx 7 S(idx)", 2, {6, 4}, 1, {7}, {0}, {0}, GATHER | TSC_LAY_IN1(S), 0},
    {"empty idx 0, V=5 D=3", 2, {5, 3}, 1, {0}, {0}, {0}, GATHER, 0},
    {"empty table V=0 D=4 idx 3", 2, {0, 4}, 1, {3}, {0}, {0}, GATHER | OOR, 0},
    {"V=1000 D=257 idx 2048", 2, {1000, 257}, 1, {2048}, {0}, {0}, GATHER | OOR, 1},

    {"V=5 D=7 N=12", 2, {5, 7}, 0, {0}, {12}, {0}, SCATTER, 0},
    {"V=1 D=1 N=3", 2, {1, 1}, 0, {0}, {3}, {0}, SCATTER, 0},
    {"V=9 D=33 N=20 out-of-range", 2, {9, 33}, 0, {0}, {20}, {0}, SCATTER | OOR, 0},
    {"V=4 D=3 N=0", 2, {4, 3}, 0, {0}, {0}, {0}, SCATTER, 0},
    {"V=100 D=513 N=1000", 2, {100, 513}, 0, {0}, {1000}, {0}, SCATTER | OOR, 1},

    {"1 + 1 dim 0", 1, {1}, 1, {1}, {0}, {0}, CONCAT, 0},
    {"3x5 +2 +4 dim 0", 2, {3, 5}, 2, {2, 4}, {0}, {0}, CONCAT, 0},
    {"4x3 +0 +5 dim 1", 2, {4, 3}, 2, {0, 5}, {1}, {0}, CONCAT, 0},
    {"2x3x4 T(in0) +1 dim 2", 3, {2, 3, 4}, 1, {1}, {2}, {0}, CONCAT | TSC_LAY_IN0(T), 0},
    {"2x3x4x5 +2 P(in1) dim 1", 4, {2, 3, 4, 5}, 1, {2}, {1}, {0}, CONCAT | TSC_LAY_IN1(P), 0},
    {"2x3x4x5 +3 +1 dim 3", 4, {2, 3, 4, 5}, 2, {3, 1}, {3}, {0}, CONCAT, 0},
    {"2x3x4x5 +1 dim 0", 4, {2, 3, 4, 5}, 1, {1}, {0}, {0}, CONCAT, 0},
    {"2x3x4x5 T(in0) +3 dim 2", 4, {2, 3, 4, 5}, 1, {3}, {2}, {0}, CONCAT | TSC_LAY_IN0(T), 0},
    {"5x7 S(in0) +3 dim 0", 2, {5, 7}, 1, {3}, {0}, {0}, CONCAT | TSC_LAY_IN0(S), 0},
    {"empty 0x4 +0 dim 0", 2, {0, 4}, 1, {0}, {0}, {0}, CONCAT, 0},
    {"64x1000 +999 +1 dim 1", 2, {64, 1000}, 2, {999, 1}, {1}, {0}, CONCAT, 1},
};
/* clang-format on */

static int applies(const tsc_op_entry *op, ts_dtype dt, const tsc_spec *s)
{
    static const unsigned want[] = {GATHER, SCATTER, CONCAT};
    return (s->flags & want[op->kind]) != 0;
}

static double draw_index(tsc_ctx *x, int64_t v, int oor)
{
    if (oor && (v == 0 || tsc_rand_int(x, 0, 3) == 0)) {
        static const int64_t bad[] = {-1, 0, 7, -1000};
        int64_t pick = bad[tsc_rand_int(x, 0, 3)];
        return (double)(pick >= 0 ? v + pick : pick);
    }
    return (double)tsc_rand_int(x, 0, v > 0 ? v - 1 : 0);
}

static double lo_of(ts_dtype dt)
{
    return dt == TS_I32 ? -1000 : -2;
}
static double hi_of(ts_dtype dt)
{
    return dt == TS_I32 ? 1000 : 2;
}

static void run_gather(tsc_ctx *x, const tsc_spec *s, ts_dtype dt)
{
    int64_t v = s->shape[0], d = s->shape[1], n = tsc_numel(s->nd2, s->shape2);
    double *iv = tsc_alloc(x, (size_t)n);
    if (!iv)
        return;
    for (int64_t i = 0; i < n; i++)
        iv[i] = draw_index(x, v, (s->flags & OOR) != 0);
    tsc_arg *table = tsc_input(x, dt, 2, s->shape, TSC_IN0_LAYOUT(s->flags), lo_of(dt), hi_of(dt));
    tsc_arg *idx =
        table ? tsc_input_values(x, TS_I32, s->nd2, s->shape2, TSC_IN1_LAYOUT(s->flags), iv) : NULL;
    int64_t oshape[4];
    for (int i = 0; i < s->nd2; i++)
        oshape[i] = s->shape2[i];
    oshape[s->nd2] = d;
    tsc_arg *out = idx ? tsc_output(x, dt, s->nd2 + 1, oshape, TSC_CONTIG) : NULL;
    if (!out || tsc_op_status(x, ts_gather_rows(table->t, idx->t, out->t), "ts_gather_rows"))
        return;
    double *ref = tsc_alloc(x, (size_t)out->numel);
    if (!ref)
        return;
    ref_gather_rows(table->v, v, d, idx->v, n, ref);
    tsc_check(x, out, ref, NULL);
}

static void run_scatter(tsc_ctx *x, const tsc_spec *s, ts_dtype dt)
{
    int64_t v = s->shape[0], d = s->shape[1], n = s->p[0];
    int64_t ishape[1] = {n}, sshape[2] = {n, d};
    double *iv = tsc_alloc(x, (size_t)n);
    if (!iv)
        return;
    /* N > V makes repeats certain; the first index repeats on purpose. */
    for (int64_t i = 0; i < n; i++)
        iv[i] = i == n - 1 && n > 1 ? iv[0] : draw_index(x, v, (s->flags & OOR) != 0);
    tsc_arg *dst = tsc_input(x, dt, 2, s->shape, TSC_CONTIG, lo_of(dt), hi_of(dt));
    tsc_arg *idx = dst ? tsc_input_values(x, TS_I32, 1, ishape, TSC_CONTIG, iv) : NULL;
    tsc_arg *src =
        idx ? tsc_input(x, dt, 2, sshape, TSC_IN1_LAYOUT(s->flags), lo_of(dt), hi_of(dt)) : NULL;
    if (!src)
        return;
    double *ref = tsc_alloc(x, (size_t)dst->numel), *mag = tsc_alloc(x, (size_t)dst->numel);
    if (!ref || !mag)
        return;
    ref_scatter_add_rows(dst->v, v, d, idx->v, src->v, n, ref, mag);
    if (tsc_op_status(x, ts_scatter_add_rows(dst->t, idx->t, src->t), "ts_scatter_add_rows"))
        return;
    tsc_check(x, dst, ref, mag);
}

static void run_concat(tsc_ctx *x, const tsc_spec *s, ts_dtype dt)
{
    int dim = (int)s->p[0], count = 1 + s->nd2, nd = s->nd;
    tsc_arg *in[5];
    const ts_tensor *handles[5];
    const double *vals[5];
    int64_t shapes4[5][4], oshape[4];
    for (int i = 0; i < nd; i++)
        oshape[i] = s->shape[i];
    for (int i = 0; i < count; i++) {
        int64_t shape[4];
        for (int q = 0; q < nd; q++)
            shape[q] = s->shape[q];
        if (i > 0) {
            shape[dim] = s->shape2[i - 1];
            oshape[dim] += shape[dim];
        }
        tsc_layout lay = i == 0   ? TSC_IN0_LAYOUT(s->flags)
                         : i == 1 ? TSC_IN1_LAYOUT(s->flags)
                                  : TSC_CONTIG;
        in[i] = tsc_input(x, dt, nd, shape, lay, lo_of(dt), hi_of(dt));
        if (!in[i])
            return;
        handles[i] = in[i]->t;
        vals[i] = in[i]->v;
        tsc_pad4(nd, shape, shapes4[i]);
    }
    tsc_arg *out = tsc_output(x, dt, nd, oshape, TSC_CONTIG);
    if (!out || tsc_op_status(x, ts_concat(handles, count, dim, out->t), "ts_concat"))
        return;
    double *ref = tsc_alloc(x, (size_t)out->numel);
    if (!ref)
        return;
    ref_concat(vals, (const int64_t(*)[4])shapes4, count, dim + 4 - nd, ref);
    tsc_check(x, out, ref, NULL);
}

static void run(tsc_ctx *x)
{
    const tsc_spec *s = tsc_ctx_spec(x);
    ts_dtype dt = tsc_ctx_case(x)->dtype;
    switch (tsc_ctx_op(x)->kind) {
    case K_GATHER:
        run_gather(x, s, dt);
        break;
    case K_SCATTER:
        run_scatter(x, s, dt);
        break;
    default:
        run_concat(x, s, dt);
        break;
    }
}

const tsc_family tsc_family_index = {
    .name = "index",
    .ops = ops,
    .n_ops = sizeof ops / sizeof ops[0],
    .specs = specs,
    .n_specs = sizeof specs / sizeof specs[0],
    .applies = applies,
    .run = run,
};
