/* Cases of ts_glu: the four gated linear units on floats, over strided and
 * broadcast input views and strided outputs. No backend has a kernel for
 * it, so on every device these cases check the core fallback (unary into a
 * temporary, then mul) and report `fallback` when they pass. */
#include "family.h"
#include "ref.h"

/* clang-format off */
static const tsc_op_entry ops[] = {
    {"glu", TS_GLU_SIGMOID, TSC_FLOATS}, {"reglu", TS_GLU_RELU, TSC_FLOATS},
    {"geglu", TS_GLU_GELU, TSC_FLOATS},  {"swiglu", TS_GLU_SILU, TSC_FLOATS},
};
/* clang-format on */

#define T TSC_TRANSPOSED
#define S TSC_SLICED
#define P TSC_PERMUTED
#define B TSC_BROADCAST

/* a is IN0, b is IN1; both always have the first shape. */
/* clang-format off */
static const tsc_spec specs[] = {
    {"1", 1, {1}, 0, {0}, {0}, {0}, 0, 0},
    {"7x13", 2, {7, 13}, 0, {0}, {0}, {0}, 0, 0},
    {"3x5x17 T(a)", 3, {3, 5, 17}, 0, {0}, {0}, {0}, TSC_LAY_IN0(T), 0},
    {"257 S(a) S(b) S(out)", 1, {257}, 0, {0}, {0}, {0},
     TSC_LAY_IN0(S) | TSC_LAY_IN1(S) | TSC_LAY_OUT(S), 0},
    {"2x3x4x5 P(b), T(out)", 4, {2, 3, 4, 5}, 0, {0}, {0}, {0},
     TSC_LAY_IN1(P) | TSC_LAY_OUT(T), 0},
    {"6x11 B(a)", 2, {6, 11}, 0, {0}, {0}, {0}, TSC_LAY_IN0(B), 0},
    {"empty 4x0", 2, {4, 0}, 0, {0}, {0}, {0}, 0, 0},
    {"129x4099", 2, {129, 4099}, 0, {0}, {0}, {0}, 0, 1},
    {"31x37x41 P(a) T(b)", 3, {31, 37, 41}, 0, {0}, {0}, {0}, TSC_LAY_IN0(P) | TSC_LAY_IN1(T), 1},
};
/* clang-format on */

static void run(tsc_ctx *x)
{
    const tsc_case *c = tsc_ctx_case(x);
    const tsc_spec *s = tsc_ctx_spec(x);
    ts_glu_kind kind = (ts_glu_kind)tsc_ctx_op(x)->kind;
    /* The gate spans both sides of the activations' bends; the value
     * keeps products away from f16's subnormal range most of the time. */
    tsc_arg *a = tsc_input(x, c->dtype, s->nd, s->shape, TSC_IN0_LAYOUT(s->flags), -4, 4);
    tsc_arg *b =
        a ? tsc_input(x, c->dtype, s->nd, s->shape, TSC_IN1_LAYOUT(s->flags), -2, 2) : NULL;
    tsc_arg *out = b ? tsc_output(x, c->dtype, s->nd, s->shape, TSC_OUT_LAYOUT(s->flags)) : NULL;
    if (!out || tsc_op_status(x, ts_glu(kind, a->t, b->t, out->t), "ts_glu"))
        return;
    double *ref = tsc_alloc(x, (size_t)out->numel), *mag = tsc_alloc(x, (size_t)out->numel);
    if (!ref || !mag)
        return;
    /* As for ts_unary: f32 erf / exp may be off by an absolute ~1e-6 near
     * the activations' cancellation points, whatever the storage dtype. */
    double tol, floor;
    tsc_tolerance(c->family, c->dtype, &tol, &floor);
    ref_glu(kind, a->v, b->v, a->numel, tol > 0.0 ? 1e-6 / tol : 0.0, ref, mag);
    tsc_check(x, out, ref, mag);
}

const tsc_family tsc_family_glu = {
    .name = "glu",
    .ops = ops,
    .n_ops = sizeof ops / sizeof ops[0],
    .specs = specs,
    .n_specs = sizeof specs / sizeof specs[0],
    .run = run,
};
