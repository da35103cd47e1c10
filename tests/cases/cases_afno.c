/* Cases of ts_afno2d against cases_afno_ref.c: even and odd H and W,
 * one and several blocks, hidden factors 1 and 2, with and without mode
 * truncation. specs: shape = {B, H, W, C}; p[0] = blocks, p[1] = hidden
 * factor, p[2] = keep_h, p[3] = keep_w; f[0] = lambda. */
#include <math.h>

#include "cases_fftconv_ref.h"
#include "family.h"

enum { F_HALF = TSC_FLAG_FAMILY << 0 };

static const tsc_op_entry ops[] = {{"afno2d", 0, TSC_FLOATS}};

/* clang-format off */
static const tsc_spec specs[] = {
    {"1x4x6x4 blocks2 f1", 4, {1, 4, 6, 4}, 0, {0}, {2, 1, 0, 0}, {0.01}, F_HALF, 0},
    {"2x5x7x6 blocks3 f2 keep2x3", 4, {2, 5, 7, 6}, 0, {0}, {3, 2, 2, 3}, {0.05}, 0, 0},
    {"1x3x1x2 blocks1 f1", 4, {1, 3, 1, 2}, 0, {0}, {1, 1, 0, 0}, {0.01}, 0, 0},
    {"2x16x32x16 blocks4 f1", 4, {2, 16, 32, 16}, 0, {0}, {4, 1, 0, 0}, {0.01}, F_HALF, 1},
    {"1x9x12x8 blocks2 f2 keep3x4", 4, {1, 9, 12, 8}, 0, {0}, {2, 2, 3, 4}, {0.01}, 0, 1},
    /* even H, rows only; keep_h past H/2 (every row), columns only */
    {"1x8x6x4 blocks2 f1 keep4x0", 4, {1, 8, 6, 4}, 0, {0}, {2, 1, 4, 0}, {0.01}, 0, 0},
    {"1x7x6x4 blocks1 f1 keep5x2", 4, {1, 7, 6, 4}, 0, {0}, {1, 1, 5, 2}, {0.01}, 0, 0},
};
/* clang-format on */

static int applies(const tsc_op_entry *op, ts_dtype dt, const tsc_spec *s)
{
    (void)op;
    return dt == TS_F32 || (s->flags & F_HALF);
}

static void run(tsc_ctx *x)
{
    const tsc_spec *s = tsc_ctx_spec(x);
    ts_dtype dt = tsc_ctx_case(x)->dtype;
    int64_t b = s->shape[0], h = s->shape[1], w = s->shape[2], c = s->shape[3];
    int64_t nb = s->p[0], bs = c / nb, hid = bs * s->p[1];
    int64_t s1[4] = {2, nb, bs, hid}, sb1[3] = {2, nb, hid}, s2[4] = {2, nb, hid, bs};
    int64_t sb2[3] = {2, nb, bs};
    double a1 = 1.0 / sqrt((double)bs), a2 = 1.0 / sqrt((double)hid);
    tsc_arg *xa = tsc_input(x, dt, 4, s->shape, TSC_CONTIG, -1, 1);
    tsc_arg *w1 = xa ? tsc_input(x, dt, 4, s1, TSC_CONTIG, -a1, a1) : NULL;
    tsc_arg *b1 = w1 ? tsc_input(x, dt, 3, sb1, TSC_CONTIG, -0.2, 0.2) : NULL;
    tsc_arg *w2 = b1 ? tsc_input(x, dt, 4, s2, TSC_CONTIG, -a2, a2) : NULL;
    tsc_arg *b2 = w2 ? tsc_input(x, dt, 3, sb2, TSC_CONTIG, -0.2, 0.2) : NULL;
    if (!b2)
        return;
    ts_afno2d_params p = {.blocks = nb,
                          .w1 = w1->t,
                          .b1 = b1->t,
                          .w2 = w2->t,
                          .b2 = b2->t,
                          .lambda = (float)s->f[0],
                          .keep_h = s->p[2],
                          .keep_w = s->p[3]};
    tsc_arg *out = tsc_output(x, dt, 4, s->shape, TSC_CONTIG);
    if (!out || tsc_op_status(x, ts_afno2d(xa->t, &p, out->t), "ts_afno2d"))
        return;
    double *ref = tsc_alloc(x, (size_t)out->numel + 1), *mag = tsc_alloc(x, (size_t)out->numel + 1);
    if (!ref || !mag)
        return;
    ref_afno_w rw = {nb, hid, s->p[2], s->p[3], (double)(float)s->f[0], w1->v, b1->v, w2->v, b2->v};
    ref_afno2d(xa->v, b, h, w, c, &rw, log2((double)(h * w)) + 1.0, ref, mag);
    tsc_check(x, out, ref, mag);
}

const tsc_family tsc_family_afno = {
    .name = "afno",
    .ops = ops,
    .n_ops = 1,
    .specs = specs,
    .n_specs = sizeof specs / sizeof specs[0],
    .applies = applies,
    .run = run,
};
