/* Cases of ts_hyena (orders 2 and 3, with and without the optional
 * biases and skips, filters longer and shorter than L, each long-conv
 * path) and ts_hyena_filter, against cases_hyena_ref.c.
 *
 * hyena specs: shape = {B, L, d}; p[0] = order, p[1] = filter taps,
 * p[2] = path. hyena_filter specs (F_FILTER): shape = {C, L}; p[0] = emb,
 * p[1] = hidden width, p[2] = l_max; f[0] = omega. */
#include <math.h>

#include "cases_fftconv_ref.h"
#include "family.h"

enum {
    F_FILTER = TSC_FLAG_FAMILY << 0,
    F_BIAS = TSC_FLAG_FAMILY << 1, /* in_b, short_b, out_b */
    F_SKIP = TSC_FLAG_FAMILY << 2, /* d_skip */
    F_HALF = TSC_FLAG_FAMILY << 3, /* also f16 / bf16 */
};

static const tsc_op_entry ops[] = {{"hyena", 0, TSC_FLOATS}, {"hyena_filter", 1, TSC_FLOATS}};

/* clang-format off */
static const tsc_spec specs[] = {
    {"N=2 2x13x4 Lh13 matmul bias skip", 3, {2, 13, 4}, 0, {0}, {2, 13, TS_FFTCONV_MATMUL}, {0},
     F_BIAS | F_SKIP | F_HALF, 0},
    {"N=3 1x16x3 Lh20 auto", 3, {1, 16, 3}, 0, {0}, {3, 20, TS_FFTCONV_AUTO}, {0}, F_SKIP, 0},
    {"N=3 2x11x2 Lh5 fft bias", 3, {2, 11, 2}, 0, {0}, {3, 5, TS_FFTCONV_FFT}, {0}, F_BIAS, 0},
    {"N=2 2x300x16 Lh300 auto bias skip", 3, {2, 300, 16}, 0, {0}, {2, 300, TS_FFTCONV_AUTO},
     {0}, F_BIAS | F_SKIP | F_HALF, 1},
    {"N=3 1x1000x8 Lh1024 fft skip", 3, {1, 1000, 8}, 0, {0}, {3, 1024, TS_FFTCONV_FFT}, {0},
     F_SKIP, 1},
    {"emb5 H8 6x10 lmax12", 2, {6, 10}, 0, {0}, {5, 8, 12}, {1.0}, F_FILTER | F_HALF, 0},
    {"emb3 H16 4x7 lmax7 omega3", 2, {4, 7}, 0, {0}, {3, 16, 7}, {3.0}, F_FILTER, 0},
    {"emb33 H64 32x1000 lmax1024", 2, {32, 1000}, 0, {0}, {33, 64, 1024}, {1.0},
     F_FILTER | F_HALF, 1},
};
/* clang-format on */

static int applies(const tsc_op_entry *op, ts_dtype dt, const tsc_spec *s)
{
    if ((op->kind == 1) != ((s->flags & F_FILTER) != 0))
        return 0;
    return dt == TS_F32 || (s->flags & F_HALF);
}

static int64_t fft_len(int64_t l)
{
    int64_t n = l > 1 ? 2 * l - 1 : 1;
    for (;; n++) {
        int64_t m = n;
        static const int primes[] = {2, 3, 5, 7};
        for (int i = 0; i < 4; i++)
            while (m % primes[i] == 0)
                m /= primes[i];
        if (m == 1)
            return n;
    }
}

static tsc_arg *weight(tsc_ctx *x, int nd, const int64_t *shape, double amp)
{
    return tsc_input(x, tsc_ctx_case(x)->dtype, nd, shape, TSC_CONTIG, -amp, amp);
}

static void run_hyena(tsc_ctx *x)
{
    const tsc_spec *s = tsc_ctx_spec(x);
    ts_dtype dt = tsc_ctx_case(x)->dtype;
    int n = (int)s->p[0];
    int64_t b = s->shape[0], l = s->shape[1], d = s->shape[2], wd = (n + 1) * d, lh = s->p[1];
    int64_t iw[2] = {d, wd}, sw[2] = {wd, 3}, fl[3] = {n - 1, d, lh}, ds[2] = {n - 1, d};
    int64_t ow[2] = {d, d};
    int bias = (s->flags & F_BIAS) != 0;
    double wa = 1.0 / sqrt((double)d);
    tsc_arg *xa = tsc_input(x, dt, 3, s->shape, TSC_CONTIG, -1, 1);
    tsc_arg *in_w = xa ? weight(x, 2, iw, wa) : NULL;
    tsc_arg *in_b = in_w && bias ? weight(x, 1, &wd, 0.5) : NULL;
    tsc_arg *short_w = in_w ? weight(x, 2, sw, 0.7) : NULL;
    tsc_arg *short_b = short_w && bias ? weight(x, 1, &wd, 0.5) : NULL;
    tsc_arg *flt = short_w ? weight(x, 3, fl, 1.0 / sqrt((double)lh)) : NULL;
    tsc_arg *skip = flt && (s->flags & F_SKIP) ? weight(x, 2, ds, 1.0) : NULL;
    tsc_arg *out_w = flt ? weight(x, 2, ow, wa) : NULL;
    tsc_arg *out_b = out_w && bias ? weight(x, 1, &d, 0.5) : NULL;
    if (!out_w || (bias && (!in_b || !short_b || !out_b)) || ((s->flags & F_SKIP) && !skip))
        return;
    ts_hyena_params p = {.order = n,
                         .in_w = in_w->t,
                         .in_b = in_b ? in_b->t : NULL,
                         .short_w = short_w->t,
                         .short_b = short_b ? short_b->t : NULL,
                         .filters = flt->t,
                         .d_skip = skip ? skip->t : NULL,
                         .out_w = out_w->t,
                         .out_b = out_b ? out_b->t : NULL,
                         .path = (ts_fftconv_path)s->p[2]};
    tsc_arg *out = tsc_output(x, dt, 3, s->shape, TSC_CONTIG);
    if (!out || tsc_op_status(x, ts_hyena(xa->t, &p, out->t), "ts_hyena"))
        return;
    double *ref = tsc_alloc(x, (size_t)out->numel + 1), *mag = tsc_alloc(x, (size_t)out->numel + 1);
    if (!ref || !mag)
        return;
    ref_hyena_w w = {n,
                     lh,
                     in_w->v,
                     in_b ? in_b->v : NULL,
                     short_w->v,
                     short_b ? short_b->v : NULL,
                     flt->v,
                     skip ? skip->v : NULL,
                     out_w->v,
                     out_b ? out_b->v : NULL};
    ref_hyena(xa->v, b, l, d, &w, log2((double)fft_len(l)) + 1.0, ref, mag);
    tsc_check(x, out, ref, mag);
}

static void run_filter(tsc_ctx *x)
{
    const tsc_spec *s = tsc_ctx_spec(x);
    ts_dtype dt = tsc_ctx_case(x)->dtype;
    int64_t c = s->shape[0], l = s->shape[1], emb = s->p[0], hid = s->p[1];
    int64_t s1[2] = {emb, hid}, sh[2] = {hid, hid}, s4[2] = {hid, c};
    double a1 = sqrt(3.0 / (double)emb), ah = sqrt(3.0 / (double)hid);
    tsc_arg *w1 = weight(x, 2, s1, a1), *b1 = w1 ? weight(x, 1, &hid, 0.5) : NULL;
    tsc_arg *w2 = b1 ? weight(x, 2, sh, ah) : NULL, *b2 = w2 ? weight(x, 1, &hid, 0.5) : NULL;
    tsc_arg *w3 = b2 ? weight(x, 2, sh, ah) : NULL, *b3 = w3 ? weight(x, 1, &hid, 0.5) : NULL;
    tsc_arg *w4 = b3 ? weight(x, 2, s4, ah) : NULL;
    double om = s->f[0];
    tsc_arg *omega = w4 ? tsc_input(x, dt, 1, &hid, TSC_CONTIG, 0.8 * om, 1.2 * om) : NULL;
    if (!omega)
        return;
    ts_hyena_filter_params p = {.emb = emb,
                                .l_max = s->p[2],
                                .w1 = w1->t,
                                .b1 = b1->t,
                                .w2 = w2->t,
                                .b2 = b2->t,
                                .w3 = w3->t,
                                .b3 = b3->t,
                                .w4 = w4->t,
                                .omega = omega->t};
    tsc_arg *h = tsc_output(x, dt, 2, s->shape, TSC_CONTIG);
    if (!h || tsc_op_status(x, ts_hyena_filter(&p, h->t), "ts_hyena_filter"))
        return;
    double *ref = tsc_alloc(x, (size_t)h->numel + 1), *mag = tsc_alloc(x, (size_t)h->numel + 1);
    if (!ref || !mag)
        return;
    ref_hyena_filter_w w = {emb,   hid,   s->p[2], w1->v, b1->v, w2->v,
                            b2->v, w3->v, b3->v,   w4->v, omega->v};
    ref_hyena_filter(&w, c, l, ref, mag);
    tsc_check(x, h, ref, mag);
}

static void run(tsc_ctx *x)
{
    if (tsc_ctx_op(x)->kind == 1)
        run_filter(x);
    else
        run_hyena(x);
}

const tsc_family tsc_family_hyena = {
    .name = "hyena",
    .ops = ops,
    .n_ops = 2,
    .specs = specs,
    .n_specs = sizeof specs / sizeof specs[0],
    .applies = applies,
    .run = run,
};
