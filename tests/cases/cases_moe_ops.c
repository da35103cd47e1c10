/* Cases of the MoE building blocks: ts_grouped_matmul (E in {1, 2, 3, 8,
 * 64}; empty groups, one group holding every row, rows past the last
 * group, bias or none, a transposed x), ts_moe_place (exact integers;
 * capacity unlimited, tiny, 0; skewed experts that overflow it, experts
 * out of range, T = 0) and ts_moe_combine (dropped and out-of-range rows,
 * every row dropped).
 *
 * Spec use: grouped_matmul: shape = {R, K, N}, p[0] = E. place: shape =
 * {T, k}, p[0] = E, p[1] = capacity (-1 unlimited), p[2] = rows past the
 * most a placement keeps. combine: shape = {T, k}, shape2 = h {R, D}. */
#include "family.h"
#include "ref.h"

enum { K_GROUPED, K_PLACE, K_COMBINE };

/* clang-format off */
static const tsc_op_entry ops[] = {
    {"grouped_matmul", K_GROUPED, TSC_FLOATS},
    {"moe_place", K_PLACE, TSC_DT(TS_I32)},
    {"moe_combine", K_COMBINE, TSC_FLOATS},
};

#define GROUPED TSC_FLAG_FAMILY
#define PLACE (TSC_FLAG_FAMILY << 1)
#define COMBINE (TSC_FLAG_FAMILY << 2)
#define BIAS (TSC_FLAG_FAMILY << 3)   /* grouped: with a bias */
#define EMPTY (TSC_FLAG_FAMILY << 4)  /* grouped: about half the groups empty */
#define ONE (TSC_FLAG_FAMILY << 5)    /* grouped: every row in one group */
#define TAIL (TSC_FLAG_FAMILY << 6)   /* grouped: rows left past offsets[E] */
#define SKEW (TSC_FLAG_FAMILY << 7)   /* place: most choices on experts 0, 1 */
#define OOR (TSC_FLAG_FAMILY << 8)    /* place, combine: indices out of range */
#define T TSC_TRANSPOSED

static const tsc_spec specs[] = {
    {"E=1 R=5 K=3 N=4", 3, {5, 3, 4}, 0, {0}, {1}, {0}, GROUPED, 0},
    {"E=2 R=37 K=19 N=23 bias", 3, {37, 19, 23}, 0, {0}, {2}, {0}, GROUPED | BIAS, 0},
    {"E=8 R=100 K=33 N=17 empty groups bias", 3, {100, 33, 17}, 0, {0}, {8}, {0},
     GROUPED | BIAS | EMPTY, 0},
    {"E=8 R=150 K=64 N=40 one group", 3, {150, 64, 40}, 0, {0}, {8}, {0}, GROUPED | ONE, 0},
    {"E=64 R=203 K=24 N=9 tail bias", 3, {203, 24, 9}, 0, {0}, {64}, {0},
     GROUPED | TAIL | BIAS, 0},
    {"E=3 R=29 K=13 N=130 T(x)", 3, {29, 13, 130}, 0, {0}, {3}, {0},
     GROUPED | TSC_LAY_IN0(T), 0},
    /* Groups of about 125 rows: whole GEMMs on the CPU, over three column
     * blocks side by side (the last one partial). */
    {"E=8 R=1000 K=37 N=2100 bias", 3, {1000, 37, 2100}, 0, {0}, {8}, {0}, GROUPED | BIAS, 0},
    /* One 1024-column block per group: on 2 threads the side-by-side
     * tasks halve to 512 columns (two per group, the last partial; f32 and
     * f16 here, bf16's random groups are too uneven to go side by side). */
    {"E=8 R=1200 K=37 N=700", 3, {1200, 37, 700}, 0, {0}, {8}, {0}, GROUPED, 0},
    {"E=8 R=1031 K=257 N=300 bias", 3, {1031, 257, 300}, 0, {0}, {8}, {0}, GROUPED | BIAS, 1},
    {"E=64 R=2000 K=128 N=96 empty groups tail", 3, {2000, 128, 96}, 0, {0}, {64}, {0},
     GROUPED | EMPTY | TAIL, 1},

    {"T=1 k=1 E=1 unlimited", 2, {1, 1}, 0, {0}, {1, -1, 0}, {0}, PLACE, 0},
    {"T=13 k=2 E=2 cap=4 skew", 2, {13, 2}, 0, {0}, {2, 4, 0}, {0}, PLACE | SKEW, 0},
    {"T=300 k=2 E=8 unlimited +5 rows", 2, {300, 2}, 0, {0}, {8, -1, 5}, {0}, PLACE, 0},
    {"T=37 k=3 E=64 cap=1", 2, {37, 3}, 0, {0}, {64, 1, 0}, {0}, PLACE, 0},
    {"T=20 k=2 E=8 cap=0", 2, {20, 2}, 0, {0}, {8, 0, 0}, {0}, PLACE, 0},
    {"T=40 k=2 E=8 cap=3 out-of-range", 2, {40, 2}, 0, {0}, {8, 3, 2}, {0}, PLACE | OOR, 0},
    {"T=0 k=2 E=4 +3 rows", 2, {0, 2}, 0, {0}, {4, -1, 3}, {0}, PLACE, 0},
    {"T=65536 k=2 E=64 cap=2560 skew", 2, {65536, 2}, 0, {0}, {64, 2560, 0}, {0},
     PLACE | SKEW, 1},
    {"T=4099 k=4 E=7 unlimited", 2, {4099, 4}, 0, {0}, {7, -1, 0}, {0}, PLACE, 1},

    {"T=1 k=1 R=1 D=1", 2, {1, 1}, 2, {1, 1}, {0}, {0}, COMBINE, 0},
    {"T=7 k=2 R=14 D=33", 2, {7, 2}, 2, {14, 33}, {0}, {0}, COMBINE, 0},
    {"T=50 k=4 R=120 D=65 out-of-range", 2, {50, 4}, 2, {120, 65}, {0}, {0}, COMBINE | OOR, 0},
    {"T=9 k=2 R=5 D=300", 2, {9, 2}, 2, {5, 300}, {0}, {0}, COMBINE, 0},
    {"T=6 k=3 R=0 D=8 all dropped", 2, {6, 3}, 2, {0, 8}, {0}, {0}, COMBINE, 0},
    {"T=2048 k=2 R=4096 D=1024", 2, {2048, 2}, 2, {4096, 1024}, {0}, {0}, COMBINE | OOR, 1},
};
/* clang-format on */

static int applies(const tsc_op_entry *op, ts_dtype dt, const tsc_spec *s)
{
    static const unsigned want[] = {GROUPED, PLACE, COMBINE};
    return (s->flags & want[op->kind]) != 0;
}

/* Group sizes drawn to the spec's pattern, as offsets [E + 1]. */
static double *draw_offsets(tsc_ctx *x, const tsc_spec *s, int64_t r, int64_t e)
{
    double *off = tsc_alloc(x, (size_t)(e + 1));
    if (!off)
        return NULL;
    int64_t total = s->flags & TAIL ? r - tsc_rand_int(x, 1, r / 4 + 1) : r;
    int64_t one = tsc_rand_int(x, 0, e - 1);
    for (int64_t g = 1; g < e; g++) {
        int64_t v = (int64_t)off[g - 1];
        if (s->flags & ONE)
            v = g <= one ? 0 : total;
        else if (!(s->flags & EMPTY) || tsc_rand_int(x, 0, 1))
            v = tsc_rand_int(x, v, v + 2 * (total - v) / (e - g + 1));
        off[g] = (double)(v > total ? total : v);
    }
    off[e] = (double)total;
    return off;
}

static void run_grouped(tsc_ctx *x, const tsc_spec *s, ts_dtype dt)
{
    int64_t r = s->shape[0], k = s->shape[1], n = s->shape[2], e = s->p[0];
    int64_t xs[2] = {r, k}, ws[3] = {e, k, n}, os[1] = {e + 1}, bs[2] = {e, n}, ys[2] = {r, n};
    double *ov = draw_offsets(x, s, r, e);
    tsc_arg *xa = ov ? tsc_input(x, dt, 2, xs, TSC_IN0_LAYOUT(s->flags), -1, 1) : NULL;
    tsc_arg *w = xa ? tsc_input(x, dt, 3, ws, TSC_CONTIG, -1, 1) : NULL;
    tsc_arg *off = w ? tsc_input_values(x, TS_I32, 1, os, TSC_CONTIG, ov) : NULL;
    tsc_arg *b = off && (s->flags & BIAS) ? tsc_input(x, dt, 2, bs, TSC_CONTIG, -1, 1) : NULL;
    tsc_arg *out = off ? tsc_output(x, dt, 2, ys, TSC_CONTIG) : NULL;
    if (!out || tsc_op_status(x, ts_grouped_matmul(xa->t, w->t, off->t, b ? b->t : NULL, out->t),
                              "ts_grouped_matmul"))
        return;
    double *ref = tsc_alloc(x, (size_t)out->numel), *mag = tsc_alloc(x, (size_t)out->numel);
    if (!ref || !mag)
        return;
    ref_grouped_matmul(xa->v, r, k, w->v, e, n, off->v, b ? b->v : NULL, ref, mag);
    tsc_check(x, out, ref, mag);
}

static double draw_expert(tsc_ctx *x, const tsc_spec *s, int64_t e)
{
    if ((s->flags & OOR) && tsc_rand_int(x, 0, 4) == 0)
        return tsc_rand_int(x, 0, 1) ? -1.0 : (double)(e + tsc_rand_int(x, 0, 3));
    if ((s->flags & SKEW) && tsc_rand_int(x, 0, 3) != 0)
        return (double)tsc_rand_int(x, 0, e > 1 ? 1 : 0);
    return (double)tsc_rand_int(x, 0, e - 1);
}

static void run_place(tsc_ctx *x, const tsc_spec *s)
{
    int64_t t = s->shape[0], k = s->shape[1], e = s->p[0], cap = s->p[1];
    int64_t most = t * k;
    if (cap >= 0 && cap * e < most)
        most = cap * e;
    int64_t r = most + s->p[2], sts[1] = {2 * e + 2}, rts[1] = {r};
    double *ev = tsc_alloc(x, (size_t)(t * k + 1));
    if (!ev)
        return;
    for (int64_t i = 0; i < t * k; i++)
        ev[i] = draw_expert(x, s, e);
    tsc_arg *ex = tsc_input_values(x, TS_I32, 2, s->shape, TSC_CONTIG, ev);
    tsc_arg *rows = ex ? tsc_output(x, TS_I32, 2, s->shape, TSC_CONTIG) : NULL;
    tsc_arg *stats = rows ? tsc_output(x, TS_I32, 1, sts, TSC_CONTIG) : NULL;
    tsc_arg *rt = stats ? tsc_output(x, TS_I32, 1, rts, TSC_CONTIG) : NULL;
    if (!rt || tsc_op_status(x, ts_moe_place(ex->t, (int)e, cap, rows->t, stats->t, rt->t),
                             "ts_moe_place"))
        return;
    double *rref = tsc_alloc(x, (size_t)(t * k + 1)), *sref = tsc_alloc(x, (size_t)(2 * e + 2));
    double *tref = tsc_alloc(x, (size_t)(r + 1));
    if (!rref || !sref || !tref)
        return;
    ref_moe_place(ex->v, t, k, e, cap, r, rref, sref, tref);
    if (tsc_check(x, rows, rref, NULL) == 0 && tsc_check(x, stats, sref, NULL) == 0)
        tsc_check(x, rt, tref, NULL);
}

static void run_combine(tsc_ctx *x, const tsc_spec *s, ts_dtype dt)
{
    int64_t t = s->shape[0], k = s->shape[1], r = s->shape2[0], d = s->shape2[1];
    int64_t ys[2] = {t, d};
    double *rv = tsc_alloc(x, (size_t)(t * k + 1));
    if (!rv)
        return;
    for (int64_t i = 0; i < t * k; i++) {
        int64_t v = r > 0 && tsc_rand_int(x, 0, 3) != 0 ? tsc_rand_int(x, 0, r - 1) : -1;
        if ((s->flags & OOR) && tsc_rand_int(x, 0, 5) == 0)
            v = tsc_rand_int(x, 0, 1) ? r + tsc_rand_int(x, 0, 9) : -tsc_rand_int(x, 2, 9);
        rv[i] = (double)v;
    }
    tsc_arg *h = tsc_input(x, dt, 2, s->shape2, TSC_CONTIG, -2, 2);
    tsc_arg *rows = h ? tsc_input_values(x, TS_I32, 2, s->shape, TSC_CONTIG, rv) : NULL;
    tsc_arg *g = rows ? tsc_input(x, TS_F32, 2, s->shape, TSC_CONTIG, 0, 1) : NULL;
    tsc_arg *out = g ? tsc_output(x, dt, 2, ys, TSC_CONTIG) : NULL;
    if (!out ||
        tsc_op_status(x, ts_moe_combine(h->t, rows->t, g->t, out->t), "ts_moe_combine"))
        return;
    double *ref = tsc_alloc(x, (size_t)out->numel), *mag = tsc_alloc(x, (size_t)out->numel);
    if (!ref || !mag)
        return;
    ref_moe_combine(h->v, r, d, rows->v, g->v, t, k, ref, mag);
    tsc_check(x, out, ref, mag);
}

static void run(tsc_ctx *x)
{
    const tsc_spec *s = tsc_ctx_spec(x);
    ts_dtype dt = tsc_ctx_case(x)->dtype;
    switch (tsc_ctx_op(x)->kind) {
    case K_GROUPED:
        run_grouped(x, s, dt);
        break;
    case K_PLACE:
        run_place(x, s);
        break;
    default:
        run_combine(x, s, dt);
        break;
    }
}

const tsc_family tsc_family_moe_ops = {
    .name = "moe_ops",
    .ops = ops,
    .n_ops = sizeof ops / sizeof ops[0],
    .specs = specs,
    .n_specs = sizeof specs / sizeof specs[0],
    .applies = applies,
    .run = run,
};
