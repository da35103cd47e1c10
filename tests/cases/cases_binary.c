/* Cases of ts_binary: six ops, every real dtype (add, sub, mul also c64),
 * numpy broadcasting, strided inputs and outputs. */
#include <math.h>

#include "family.h"
#include "ref.h"

/* clang-format off */
static const tsc_op_entry ops[] = {
    {"add", TS_ADD, TSC_ALL_DTYPES | TSC_C64}, {"sub", TS_SUB, TSC_ALL_DTYPES | TSC_C64},
    {"mul", TS_MUL, TSC_ALL_DTYPES | TSC_C64}, {"div", TS_DIV, TSC_ALL_DTYPES},
    {"max", TS_MAX, TSC_ALL_DTYPES}, {"min", TS_MIN, TSC_ALL_DTYPES},
};
/* clang-format on */

#define T TSC_TRANSPOSED
#define S TSC_SLICED
#define P TSC_PERMUTED
#define B TSC_BROADCAST

/* clang-format off */
static const tsc_spec specs[] = {
    {"1", 1, {1}, 1, {1}, {0}, {0}, 0, 0},
    {"7x13", 2, {7, 13}, 2, {7, 13}, {0}, {0}, 0, 0},
    {"5x7 + 7", 2, {5, 7}, 1, {7}, {0}, {0}, 0, 0},
    {"3x1x5 + 4x1", 3, {3, 1, 5}, 2, {4, 1}, {0}, {0}, 0, 0},
    {"2x3x4x5 T(a) + 1x3x1x5, S(out)", 4, {2, 3, 4, 5}, 4, {1, 3, 1, 5}, {0}, {0},
     TSC_LAY_IN0(T) | TSC_LAY_OUT(S), 0},
    {"31 S(a) B(b)", 1, {31}, 1, {31}, {0}, {0}, TSC_LAY_IN0(S) | TSC_LAY_IN1(B), 0},
    {"6x11 P(a) B(b), T(out)", 2, {6, 11}, 2, {6, 11}, {0}, {0},
     TSC_LAY_IN0(P) | TSC_LAY_IN1(B) | TSC_LAY_OUT(T), 0},
    {"3x257 + 1", 2, {3, 257}, 1, {1}, {0}, {0}, 0, 0},
    {"empty 0x5 + 5", 2, {0, 5}, 1, {5}, {0}, {0}, 0, 0},
    {"97x1031", 2, {97, 1031}, 2, {97, 1031}, {0}, {0}, 0, 1},
    {"64x4099 + 4099 S(a)", 2, {64, 4099}, 1, {4099}, {0}, {0}, TSC_LAY_IN0(S), 1},
    {"3x5x1x263 T(a) + 7x1", 4, {3, 5, 1, 263}, 2, {7, 1}, {0}, {0}, TSC_LAY_IN0(T), 1},
};
/* clang-format on */

static void run(tsc_ctx *x)
{
    const tsc_case *c = tsc_ctx_case(x);
    const tsc_spec *s = tsc_ctx_spec(x);
    ts_binary_op kind = (ts_binary_op)tsc_ctx_op(x)->kind;
    ts_dtype dt = c->dtype;
    int is_int = dt == TS_I32;
    int64_t a4[4], b4[4], o4[4];
    tsc_pad4(s->nd, s->shape, a4);
    tsc_pad4(s->nd2, s->shape2, b4);
    for (int i = 0; i < 4; i++)
        o4[i] = a4[i] == 1 ? b4[i] : a4[i];
    int ond = s->nd > s->nd2 ? s->nd : s->nd2;

    tsc_arg *a = tsc_input(x, dt, s->nd, s->shape, TSC_IN0_LAYOUT(s->flags), is_int ? -50 : -2,
                           is_int ? 50 : 2);
    /* Divisors stay away from zero for floats; i32 division by zero is
     * defined (0) and deliberately drawn. */
    int parts = tsc_parts(dt);
    int64_t nb = tsc_numel(s->nd2, s->shape2) * parts;
    double *bv = tsc_alloc(x, (size_t)nb);
    if (!a || !bv)
        return;
    for (int64_t i = 0; i < nb; i++) {
        if (is_int) {
            bv[i] = (double)(kind == TS_DIV ? tsc_rand_int(x, -7, 7) : tsc_rand_int(x, -50, 50));
        } else {
            double u = tsc_uniform(x, -2, 2);
            if (kind == TS_DIV && fabs(u) < 0.25)
                u += u < 0 ? -0.5 : 0.5;
            bv[i] = u;
        }
    }
    tsc_arg *b = tsc_input_values(x, dt, s->nd2, s->shape2, TSC_IN1_LAYOUT(s->flags), bv);
    tsc_arg *out = b ? tsc_output(x, dt, ond, o4 + 4 - ond, TSC_OUT_LAYOUT(s->flags)) : NULL;
    if (!out || tsc_op_status(x, ts_binary(kind, a->t, b->t, out->t), "ts_binary"))
        return;
    double *ref = tsc_alloc(x, (size_t)(out->numel * parts));
    double *mag = tsc_alloc(x, (size_t)out->numel);
    if (!ref || !mag)
        return;
    if (dt == TS_C64)
        ref_binary_c64(kind, a->v, a4, b->v, b4, o4, ref, mag);
    else
        ref_binary(kind, is_int, a->v, a4, b->v, b4, o4, ref, mag);
    tsc_check(x, out, ref, mag);
}

const tsc_family tsc_family_binary = {
    .name = "binary",
    .ops = ops,
    .n_ops = sizeof ops / sizeof ops[0],
    .specs = specs,
    .n_specs = sizeof specs / sizeof specs[0],
    .run = run,
};
