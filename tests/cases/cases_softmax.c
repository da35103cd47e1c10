/* Cases of ts_softmax: scale, the bottom-right causal mask with M = N,
 * M < N (decoding) and M > N (fully masked rows give zeros), strided
 * inputs, rows of one element and empty tensors. p[0] = causal, f[0] =
 * scale. */
#include "family.h"
#include "ref.h"

/* clang-format off */
static const tsc_op_entry ops[] = {{"softmax", 0, TSC_FLOATS}};

/* clang-format off */
static const tsc_spec specs[] = {
    {"1", 1, {1}, 0, {0}, {0}, {1.0}, 0, 0},
    {"7x13", 2, {7, 13}, 0, {0}, {0}, {1.0}, 0, 0},
    {"5x1 scale 3", 2, {5, 1}, 0, {0}, {0}, {3.0}, 0, 0},
    {"causal 5x5", 2, {5, 5}, 0, {0}, {1}, {1.0}, 0, 0},
    {"causal 2x4x7 (M<N) scale 0.5", 3, {2, 4, 7}, 0, {0}, {1}, {0.5}, 0, 0},
    {"causal 7x4 (M>N)", 2, {7, 4}, 0, {0}, {1}, {1.0}, 0, 0},
    {"causal 1x9 (decode)", 2, {1, 9}, 0, {0}, {1}, {1.0}, 0, 0},
    {"2x1031 (row past a workgroup)", 2, {2, 1031}, 0, {0}, {0}, {1.0}, 0, 0},
    {"2x3x31 T(x) scale 2", 3, {2, 3, 31}, 0, {0}, {0}, {2.0}, TSC_LAY_IN0(TSC_TRANSPOSED), 0},
    {"3x257 S(x) scale -1", 2, {3, 257}, 0, {0}, {0}, {-1.0}, TSC_LAY_IN0(TSC_SLICED), 0},
    {"empty 0x5", 2, {0, 5}, 0, {0}, {0}, {1.0}, 0, 0},
    {"64x4099", 2, {64, 4099}, 0, {0}, {0}, {1.0}, 0, 1},
    {"causal 2x128x129 scale 0.125", 3, {2, 128, 129}, 0, {0}, {1}, {0.125}, 0, 1},
};
/* clang-format on */
/* clang-format on */

static void run(tsc_ctx *x)
{
    const tsc_case *c = tsc_ctx_case(x);
    const tsc_spec *s = tsc_ctx_spec(x);
    float scale = (float)s->f[0];
    int causal = (int)s->p[0];
    tsc_arg *in = tsc_input(x, c->dtype, s->nd, s->shape, TSC_IN0_LAYOUT(s->flags), -4, 4);
    tsc_arg *out = in ? tsc_output(x, c->dtype, s->nd, s->shape, TSC_CONTIG) : NULL;
    if (!out || tsc_op_status(x, ts_softmax(in->t, scale, causal, out->t), "ts_softmax"))
        return;
    int64_t n = s->shape[s->nd - 1], m_rows = s->nd >= 2 ? s->shape[s->nd - 2] : 1;
    int64_t rows = n ? out->numel / n : 0;
    double *ref = tsc_alloc(x, (size_t)out->numel), *mag = tsc_alloc(x, (size_t)out->numel);
    if (!ref || !mag)
        return;
    ref_softmax(in->v, rows, m_rows, n, scale, causal, ref, mag);
    tsc_check(x, out, ref, mag);
}

const tsc_family tsc_family_softmax = {
    .name = "softmax",
    .ops = ops,
    .n_ops = 1,
    .specs = specs,
    .n_specs = sizeof specs / sizeof specs[0],
    .run = run,
};
