/* Cases of ts_copy: any view (transposed, sliced, permuted, broadcast)
 * into a contiguous or strided output of the same dtype, c64 included.
 * Exact. */
#include "family.h"

/* clang-format off */
static const tsc_op_entry ops[] = {{"copy", 0, TSC_ALL_DTYPES | TSC_C64}};

#define T TSC_TRANSPOSED
#define S TSC_SLICED
#define P TSC_PERMUTED
#define B TSC_BROADCAST

/* clang-format off */
static const tsc_spec specs[] = {
    {"1", 1, {1}, 0, {0}, {0}, {0}, 0, 0},
    {"7x13 T(x)", 2, {7, 13}, 0, {0}, {0}, {0}, TSC_LAY_IN0(T), 0},
    {"3x5x17 P(x)", 3, {3, 5, 17}, 0, {0}, {0}, {0}, TSC_LAY_IN0(P), 0},
    {"31x9 S(x)", 2, {31, 9}, 0, {0}, {0}, {0}, TSC_LAY_IN0(S), 0},
    {"4x6 B(x)", 2, {4, 6}, 0, {0}, {0}, {0}, TSC_LAY_IN0(B), 0},
    {"2x3x4x5 T(x), S(out)", 4, {2, 3, 4, 5}, 0, {0}, {0}, {0},
     TSC_LAY_IN0(T) | TSC_LAY_OUT(S), 0},
    {"empty 5x0 T(x)", 2, {5, 0}, 0, {0}, {0}, {0}, TSC_LAY_IN0(T), 0},
    {"empty 0x4, S(out) keeps its poison", 2, {0, 4}, 0, {0}, {0}, {0}, TSC_LAY_OUT(S), 0},
    {"257x1031 T(x)", 2, {257, 1031}, 0, {0}, {0}, {0}, TSC_LAY_IN0(T), 1},
    {"7x31x5x67 P(x)", 4, {7, 31, 5, 67}, 0, {0}, {0}, {0}, TSC_LAY_IN0(P), 1},
};
/* clang-format on */
/* clang-format on */

static void run(tsc_ctx *x)
{
    const tsc_case *c = tsc_ctx_case(x);
    const tsc_spec *s = tsc_ctx_spec(x);
    int is_int = c->dtype == TS_I32;
    tsc_arg *in = tsc_input(x, c->dtype, s->nd, s->shape, TSC_IN0_LAYOUT(s->flags),
                            is_int ? -100000 : -4, is_int ? 100000 : 4);
    tsc_arg *out = in ? tsc_output(x, c->dtype, s->nd, s->shape, TSC_OUT_LAYOUT(s->flags)) : NULL;
    if (!out || tsc_op_status(x, ts_copy(in->t, out->t), "ts_copy"))
        return;
    tsc_check(x, out, in->v, NULL);
}

const tsc_family tsc_family_copy = {
    .name = "copy",
    .ops = ops,
    .n_ops = 1,
    .specs = specs,
    .n_specs = sizeof specs / sizeof specs[0],
    .run = run,
};
