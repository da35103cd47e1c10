/* Cases of ts_scale_shift (y = a*x + b) on the float dtypes. */
#include "family.h"
#include "ref.h"

/* clang-format off */
static const tsc_op_entry ops[] = {{"scale_shift", 0, TSC_FLOATS}};

/* clang-format off */
static const tsc_spec specs[] = {
    {"1 a=2 b=0.5", 1, {1}, 0, {0}, {0}, {2.0, 0.5}, 0, 0},
    {"7x13 a=-1.5 b=3", 2, {7, 13}, 0, {0}, {0}, {-1.5, 3.0}, 0, 0},
    {"3x5x17 T(x) a=0.1 b=-1", 3, {3, 5, 17}, 0, {0}, {0}, {0.1, -1.0},
     TSC_LAY_IN0(TSC_TRANSPOSED), 0},
    {"257 S(x) S(out) a=3 b=0", 1, {257}, 0, {0}, {0}, {3.0, 0.0},
     TSC_LAY_IN0(TSC_SLICED) | TSC_LAY_OUT(TSC_SLICED), 0},
    {"empty 0x3 a=1 b=1", 2, {0, 3}, 0, {0}, {0}, {1.0, 1.0}, 0, 0},
    {"129x4099 a=0.7 b=0.2", 2, {129, 4099}, 0, {0}, {0}, {0.7, 0.2}, 0, 1},
};
/* clang-format on */
/* clang-format on */

static void run(tsc_ctx *x)
{
    const tsc_case *c = tsc_ctx_case(x);
    const tsc_spec *s = tsc_ctx_spec(x);
    float a = (float)s->f[0], b = (float)s->f[1];
    tsc_arg *in = tsc_input(x, c->dtype, s->nd, s->shape, TSC_IN0_LAYOUT(s->flags), -4, 4);
    tsc_arg *out = in ? tsc_output(x, c->dtype, s->nd, s->shape, TSC_OUT_LAYOUT(s->flags)) : NULL;
    if (!out || tsc_op_status(x, ts_scale_shift(in->t, a, b, out->t), "ts_scale_shift"))
        return;
    double *ref = tsc_alloc(x, (size_t)out->numel), *mag = tsc_alloc(x, (size_t)out->numel);
    if (!ref || !mag)
        return;
    ref_scale_shift(in->v, in->numel, a, b, ref, mag);
    tsc_check(x, out, ref, mag);
}

const tsc_family tsc_family_scale_shift = {
    .name = "scale_shift",
    .ops = ops,
    .n_ops = 1,
    .specs = specs,
    .n_specs = sizeof specs / sizeof specs[0],
    .run = run,
};
