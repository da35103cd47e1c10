/* Cases of ts_conv1d_causal: every kernel width 1..8, with and without
 * bias, [L, C] and [B, L, C], sequences shorter than the kernel, strided
 * inputs, empty L. p[0] = K. */
#include "family.h"
#include "ref.h"

/* clang-format off */
static const tsc_op_entry ops[] = {{"conv1d_causal", 0, TSC_FLOATS}};

#define BIAS TSC_FLAG_FAMILY

/* clang-format off */
static const tsc_spec specs[] = {
    {"K=1 1x1", 2, {1, 1}, 0, {0}, {1}, {0}, 0, 0},
    {"K=2 5x3", 2, {5, 3}, 0, {0}, {2}, {0}, 0, 0},
    {"K=3 2x7x5 bias", 3, {2, 7, 5}, 0, {0}, {3}, {0}, BIAS, 0},
    {"K=4 3x11x17 bias T(x)", 3, {3, 11, 17}, 0, {0}, {4}, {0},
     BIAS | TSC_LAY_IN0(TSC_TRANSPOSED), 0},
    {"K=5 L<K 2x3x4", 3, {2, 3, 4}, 0, {0}, {5}, {0}, 0, 0},
    {"K=6 13x9 bias", 2, {13, 9}, 0, {0}, {6}, {0}, BIAS, 0},
    {"K=7 1x9x13", 3, {1, 9, 13}, 0, {0}, {7}, {0}, 0, 0},
    {"K=8 2x31x8 bias S(x)", 3, {2, 31, 8}, 0, {0}, {8}, {0}, BIAS | TSC_LAY_IN0(TSC_SLICED), 0},
    {"K=3 empty L=0 2x0x4", 3, {2, 0, 4}, 0, {0}, {3}, {0}, BIAS, 0},
    {"K=4 4x1031x257 bias", 3, {4, 1031, 257}, 0, {0}, {4}, {0}, BIAS, 1},
    {"K=8 2x4099x33", 3, {2, 4099, 33}, 0, {0}, {8}, {0}, 0, 1},
};
/* clang-format on */
/* clang-format on */

static void run(tsc_ctx *x)
{
    const tsc_case *c = tsc_ctx_case(x);
    const tsc_spec *s = tsc_ctx_spec(x);
    ts_dtype dt = c->dtype;
    int64_t k = s->p[0], ch = s->shape[s->nd - 1], len = s->shape[s->nd - 2];
    int64_t batch = s->nd == 3 ? s->shape[0] : 1;
    int64_t wshape[2] = {ch, k}, bshape[1] = {ch};
    tsc_arg *in = tsc_input(x, dt, s->nd, s->shape, TSC_IN0_LAYOUT(s->flags), -2, 2);
    tsc_arg *w = in ? tsc_input(x, dt, 2, wshape, TSC_CONTIG, -1, 1) : NULL;
    tsc_arg *b = w && (s->flags & BIAS) ? tsc_input(x, dt, 1, bshape, TSC_CONTIG, -1, 1) : NULL;
    tsc_arg *out = w ? tsc_output(x, dt, s->nd, s->shape, TSC_CONTIG) : NULL;
    if (!out || tsc_op_status(x, ts_conv1d_causal(in->t, w->t, b ? b->t : NULL, out->t),
                              "ts_conv1d_causal"))
        return;
    double *ref = tsc_alloc(x, (size_t)out->numel), *mag = tsc_alloc(x, (size_t)out->numel);
    if (!ref || !mag)
        return;
    ref_conv1d_causal(in->v, batch, len, ch, w->v, k, b ? b->v : NULL, ref, mag);
    tsc_check(x, out, ref, mag);
}

const tsc_family tsc_family_conv = {
    .name = "conv",
    .ops = ops,
    .n_ops = 1,
    .specs = specs,
    .n_specs = sizeof specs / sizeof specs[0],
    .run = run,
};
