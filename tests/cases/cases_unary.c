/* Cases of ts_unary: all 15 functions on floats, the four that make
 * sense on i32, over strided inputs and outputs. */
#include "family.h"
#include "ref.h"

#define INT_TOO (TSC_FLOATS | TSC_DT(TS_I32))

/* clang-format off */
static const tsc_op_entry ops[] = {
    {"neg", TS_NEG, INT_TOO},          {"abs", TS_ABS, INT_TOO},
    {"exp", TS_EXP, TSC_FLOATS},       {"log", TS_LOG, TSC_FLOATS},
    {"sqrt", TS_SQRT, TSC_FLOATS},     {"rsqrt", TS_RSQRT, TSC_FLOATS},
    {"tanh", TS_TANH, TSC_FLOATS},     {"sigmoid", TS_SIGMOID, TSC_FLOATS},
    {"relu", TS_RELU, INT_TOO},        {"relu2", TS_RELU2, INT_TOO},
    {"gelu_erf", TS_GELU_ERF, TSC_FLOATS}, {"gelu_tanh", TS_GELU_TANH, TSC_FLOATS},
    {"silu", TS_SILU, TSC_FLOATS},
    {"sin", TS_SIN, TSC_FLOATS},       {"cos", TS_COS, TSC_FLOATS},
};
/* clang-format on */

#define T TSC_TRANSPOSED
#define S TSC_SLICED
#define P TSC_PERMUTED
#define B TSC_BROADCAST

/* clang-format off */
static const tsc_spec specs[] = {
    {"1", 1, {1}, 0, {0}, {0}, {0}, 0, 0},
    {"7x13", 2, {7, 13}, 0, {0}, {0}, {0}, 0, 0},
    {"3x5x17 T(x)", 3, {3, 5, 17}, 0, {0}, {0}, {0}, TSC_LAY_IN0(T), 0},
    {"257 S(x) S(out)", 1, {257}, 0, {0}, {0}, {0}, TSC_LAY_IN0(S) | TSC_LAY_OUT(S), 0},
    {"2x3x4x5 B(x), T(out)", 4, {2, 3, 4, 5}, 0, {0}, {0}, {0},
     TSC_LAY_IN0(B) | TSC_LAY_OUT(T), 0},
    {"3x4x5 P(x)", 3, {3, 4, 5}, 0, {0}, {0}, {0}, TSC_LAY_IN0(P), 0},
    {"empty 4x0", 2, {4, 0}, 0, {0}, {0}, {0}, 0, 0},
    {"empty 0x3, S(out) keeps its poison", 2, {0, 3}, 0, {0}, {0}, {0}, TSC_LAY_OUT(S), 0},
    {"129x4099", 2, {129, 4099}, 0, {0}, {0}, {0}, 0, 1},
    {"31x37x41 P(x)", 3, {31, 37, 41}, 0, {0}, {0}, {0}, TSC_LAY_IN0(P), 1},
};
/* clang-format on */

/* Inputs where the function is defined and well conditioned. */
static void input_range(ts_unary_op op, ts_dtype dt, double *lo, double *hi)
{
    *lo = -4;
    *hi = 4;
    if (dt == TS_I32) {
        *lo = -100;
        *hi = 100;
    } else if (op == TS_LOG || op == TS_SQRT || op == TS_RSQRT) {
        *lo = 0.05;
    } else if (op == TS_EXP) {
        *lo = -3;
        *hi = 3;
    } else if (op == TS_SIN || op == TS_COS) {
        /* Several periods, so every quadrant's reduction is exercised. */
        *lo = -20;
        *hi = 20;
    }
}

static void run(tsc_ctx *x)
{
    const tsc_case *c = tsc_ctx_case(x);
    const tsc_spec *s = tsc_ctx_spec(x);
    ts_unary_op kind = (ts_unary_op)tsc_ctx_op(x)->kind;
    double lo, hi;
    input_range(kind, c->dtype, &lo, &hi);
    tsc_arg *in = tsc_input(x, c->dtype, s->nd, s->shape, TSC_IN0_LAYOUT(s->flags), lo, hi);
    tsc_arg *out = in ? tsc_output(x, c->dtype, s->nd, s->shape, TSC_OUT_LAYOUT(s->flags)) : NULL;
    if (!out || tsc_op_status(x, ts_unary(kind, in->t, out->t), "ts_unary"))
        return;
    double *ref = tsc_alloc(x, (size_t)out->numel), *mag = tsc_alloc(x, (size_t)out->numel);
    if (!ref || !mag)
        return;
    /* f32 transcendentals may be off by an absolute ~1e-6 near their
     * cancellation points whatever the storage dtype; see ref_unary. */
    double tol, floor;
    tsc_tolerance(c->family, c->dtype, &tol, &floor);
    ref_unary(kind, in->v, in->numel, tol > 0.0 ? 1e-6 / tol : 0.0, ref, mag);
    tsc_check(x, out, ref, mag);
}

const tsc_family tsc_family_unary = {
    .name = "unary",
    .ops = ops,
    .n_ops = sizeof ops / sizeof ops[0],
    .specs = specs,
    .n_specs = sizeof specs / sizeof specs[0],
    .run = run,
};
