/* Cases of ts_cast: every source x target dtype pair (but i32 with c64,
 * which ts_cast refuses), strided in and out. Exact: one rounding
 * (nearest even) from the source value, float -> i32 truncates toward
 * zero, c64 -> real keeps the real part, real -> c64 is (x, 0).
 * Magnitudes stay inside every dtype's normal range (0.01 .. 1000,
 * integers below 2^16) so the cases test conversion, not
 * overflow or subnormal policy. */
#include <math.h>

#include "family.h"

/* clang-format off */
static const tsc_op_entry ops[] = {{"cast", 0, TSC_ALL_DTYPES | TSC_C64}};

/* clang-format off */
static const tsc_spec specs[] = {
    {"1", 1, {1}, 0, {0}, {0}, {0}, 0, 0},
    {"7x13", 2, {7, 13}, 0, {0}, {0}, {0}, 0, 0},
    {"3x5x17 T(x)", 3, {3, 5, 17}, 0, {0}, {0}, {0}, TSC_LAY_IN0(TSC_TRANSPOSED), 0},
    {"31 S(x) S(out)", 1, {31}, 0, {0}, {0}, {0},
     TSC_LAY_IN0(TSC_SLICED) | TSC_LAY_OUT(TSC_SLICED), 0},
    {"empty 0x3", 2, {0, 3}, 0, {0}, {0}, {0}, 0, 0},
    {"257x1031", 2, {257, 1031}, 0, {0}, {0}, {0}, 0, 1},
};
/* clang-format on */
/* clang-format on */

static int pair_applies(ts_dtype src, ts_dtype dst)
{
    return !(src == TS_I32 && dst == TS_C64) && !(src == TS_C64 && dst == TS_I32);
}

static void run(tsc_ctx *x)
{
    const tsc_case *c = tsc_ctx_case(x);
    const tsc_spec *s = tsc_ctx_spec(x);
    int64_t n = tsc_numel(s->nd, s->shape), np = n * tsc_parts(c->dtype);
    double *v = tsc_alloc(x, (size_t)np);
    if (!v)
        return;
    for (int64_t i = 0; i < np; i++) {
        if (c->dtype == TS_I32) {
            v[i] = (double)tsc_rand_int(x, -60000, 60000);
        } else {
            double m = pow(10.0, tsc_uniform(x, -2, 3));
            v[i] = tsc_rand_u64(x) & 1u ? m : -m;
        }
    }
    tsc_arg *in = tsc_input_values(x, c->dtype, s->nd, s->shape, TSC_IN0_LAYOUT(s->flags), v);
    tsc_arg *out = in ? tsc_output(x, c->dtype2, s->nd, s->shape, TSC_OUT_LAYOUT(s->flags)) : NULL;
    if (!out || tsc_op_status(x, ts_cast(in->t, out->t), "ts_cast"))
        return;
    /* tsc_check rounds the reference to the target dtype (exact family). */
    const double *ref = in->v;
    if ((c->dtype == TS_C64) != (c->dtype2 == TS_C64)) {
        double *r = tsc_alloc(x, (size_t)(n * tsc_parts(c->dtype2)));
        if (!r)
            return;
        for (int64_t i = 0; i < n; i++) {
            if (c->dtype == TS_C64) {
                r[i] = in->v[2 * i]; /* the real part */
            } else {
                r[2 * i] = in->v[i];
                r[2 * i + 1] = 0.0;
            }
        }
        ref = r;
    }
    tsc_check(x, out, ref, NULL);
}

const tsc_family tsc_family_cast = {
    .name = "cast",
    .ops = ops,
    .n_ops = 1,
    .specs = specs,
    .n_specs = sizeof specs / sizeof specs[0],
    .targets = TSC_ALL_DTYPES | TSC_C64,
    .pair_applies = pair_applies,
    .run = run,
};
