/* Cases of the FFTs (include/tessel/fft.h) against direct O(n^2) DFTs in
 * float64: lengths 1, 2, 3, 7, 16, 60, 97 (prime: Bluestein), 1000, 4096
 * (65537 and 30030 = 2*3*5*7*11*13 in --full), zero-padded and cropped
 * inputs, irfft keeping only the first m samples, every norm, strided
 * inputs, rows of very different scales, 2D transforms, and round trips.
 *
 * Spec fields, 1D: shape is the signal [.., L] (irfft's input is its
 * L/2 + 1 bins); p[0] = n, the transform length (0: L); p[1] = ts_fft_norm;
 * p[2] = m, the samples irfft keeps (0: n). 2D: shape [.., H, W], no
 * padding. The error of an FFT grows like log2(n) times the row's 2-norm,
 * so mag = |scale| * ||row||_2 * (1 + log2 n) for every output of a row. */
#include <math.h>

#include "family.h"
#include "ref_fft.h"

enum { OP_FFT, OP_IFFT, OP_RFFT, OP_IRFFT, OP_FFT2, OP_IFFT2, OP_RFFT2, OP_IRFFT2, OP_RT, OP_RRT };

/* clang-format off */
static const tsc_op_entry ops[] = {
    {"fft", OP_FFT, TSC_C64},           {"ifft", OP_IFFT, TSC_C64},
    {"rfft", OP_RFFT, TSC_FLOATS},  {"irfft", OP_IRFFT, TSC_C64},
    {"fft2", OP_FFT2, TSC_C64},         {"ifft2", OP_IFFT2, TSC_C64},
    {"rfft2", OP_RFFT2, TSC_FLOATS}, {"irfft2", OP_IRFFT2, TSC_C64},
    {"fft_roundtrip", OP_RT, TSC_C64},  {"rfft_roundtrip", OP_RRT, TSC_FLOATS},
};

#define TWO_D TSC_FLAG_FAMILY
/* Rows alternate in scale: 1, then 1e15 (f16: 1e4; signal()). Each row's
 * error is judged against its own norm, so a transform that lets rows
 * meet (two real rows run as one complex one) fails. */
#define SCALES (TSC_FLAG_FAMILY << 1)
#define ORTHO TS_FFT_ORTHO
#define FWD TS_FFT_FORWARD

static const tsc_spec specs[] = {
    {"L=1 3x1", 2, {3, 1}, 0, {0}, {0}, {0}, 0, 0},
    {"L=2 2x2 ortho", 2, {2, 2}, 0, {0}, {0, ORTHO}, {0}, 0, 0},
    {"L=3 4x3 forward", 2, {4, 3}, 0, {0}, {0, FWD}, {0}, 0, 0},
    {"L=7 3x7", 2, {3, 7}, 0, {0}, {0}, {0}, 0, 0},
    {"L=16 2x3x16", 3, {2, 3, 16}, 0, {0}, {0}, {0}, 0, 0},
    {"L=60 5x60 ortho", 2, {5, 60}, 0, {0}, {0, ORTHO}, {0}, 0, 0},
    {"L=97 prime 3x97", 2, {3, 97}, 0, {0}, {0}, {0}, 0, 0},
    {"L=1000 2x1000 forward", 2, {2, 1000}, 0, {0}, {0, FWD}, {0}, 0, 0},
    {"L=4096 2x4096", 2, {2, 4096}, 0, {0}, {0}, {0}, 0, 0},
    {"L=12 padded n=20 3x12", 2, {3, 12}, 0, {0}, {20}, {0}, 0, 0},
    {"L=21 cropped n=15 2x21", 2, {2, 21}, 0, {0}, {15}, {0}, 0, 0},
    {"L=30 keep m=7 2x30", 2, {2, 30}, 0, {0}, {0, 0, 7}, {0}, 0, 0},
    {"L=128 4x128 S(x)", 2, {4, 128}, 0, {0}, {0}, {0}, TSC_LAY_IN0(TSC_SLICED), 0},
    {"L=45 3x2x45 P(x) ortho", 3, {3, 2, 45}, 0, {0}, {0, ORTHO}, {0},
     TSC_LAY_IN0(TSC_PERMUTED), 0},
    {"L=101 prime padded n=202 2x101", 2, {2, 101}, 0, {0}, {202}, {0}, 0, 0},
    {"L=64 6x64 rows of scale 1 and big", 2, {6, 64}, 0, {0}, {0}, {0}, SCALES, 0},
    {"L=40 padded n=80 4x40 rows of scale 1 and big", 2, {4, 40}, 0, {0}, {80}, {0}, SCALES, 0},
    {"L=65537 prime 1x65537", 2, {1, 65537}, 0, {0}, {0}, {0}, 0, 1},
    {"L=30030 1x30030", 2, {1, 30030}, 0, {0}, {0}, {0}, 0, 1},
    {"L=8192 keep m=4096 2x8192", 2, {2, 8192}, 0, {0}, {0, 0, 4096}, {0}, 0, 1},
    {"2D 3x5", 2, {3, 5}, 0, {0}, {0}, {0}, TWO_D, 0},
    {"2D 2x8x6 ortho", 3, {2, 8, 6}, 0, {0}, {0, ORTHO}, {0}, TWO_D, 0},
    {"2D 2x7x9 forward", 3, {2, 7, 9}, 0, {0}, {0, FWD}, {0}, TWO_D, 0},
    /* A side of 1: VkFFT declines some, and the own kernels then plan a
     * row of no passes. */
    {"2D 1x6", 2, {1, 6}, 0, {0}, {0}, {0}, TWO_D, 0},
    {"2D 2x5x1 ortho", 3, {2, 5, 1}, 0, {0}, {0, ORTHO}, {0}, TWO_D, 0},
    {"2D 16x11 T(x)", 2, {16, 11}, 0, {0}, {0}, {0}, TWO_D | TSC_LAY_IN0(TSC_TRANSPOSED), 0},
    {"2D 2x3x32x40", 4, {2, 3, 32, 40}, 0, {0}, {0, ORTHO}, {0}, TWO_D, 1},
};
/* clang-format on */

static int is_2d_op(int kind)
{
    return kind >= OP_FFT2 && kind <= OP_IRFFT2;
}

static int applies(const tsc_op_entry *op, ts_dtype dt, const tsc_spec *s)
{
    (void)dt;
    int two_d = (s->flags & TWO_D) != 0;
    if (two_d != is_2d_op(op->kind))
        return 0;
    /* Strided layouts reach every op through the same copy: test them on
     * the transforms that read a complex or real signal directly. */
    return !(TSC_IN0_LAYOUT(s->flags) != TSC_CONTIG && (op->kind == OP_IRFFT || op->kind >= OP_RT));
}

/* numpy's factor for a transform of `count` points in one direction. */
static double norm_factor(int norm, int inverse, double count)
{
    if (norm == TS_FFT_ORTHO)
        return 1.0 / sqrt(count);
    int scaled = inverse ? norm == TS_FFT_BACKWARD : norm == TS_FFT_FORWARD;
    return scaled ? 1.0 / count : 1.0;
}

/* mag of every output of each row (one per element, complex or not):
 * |scale| ||row||_2 (1 + log2 n). */
static void fill_mag(const double *x, int64_t rows, int64_t in_len, int cplx, int64_t out_vals,
                     double scale, int64_t n, double *mag)
{
    for (int64_t r = 0; r < rows; r++) {
        double m = fabs(scale) * ref_fft_row_norm(x + r * in_len * (cplx ? 2 : 1), in_len, cplx) *
                   (1.0 + log2((double)n));
        for (int64_t i = 0; i < out_vals; i++)
            mag[r * out_vals + i] = m;
    }
}

static int64_t rows_of(const tsc_spec *s, int tail)
{
    int64_t r = 1;
    for (int i = 0; i < s->nd - tail; i++)
        r *= s->shape[i];
    return r;
}

/* A signal uniform in [-1, 1); with SCALES the odd rows times 1e15 (f16:
 * 1e4, within its range). */
static tsc_arg *signal(tsc_ctx *x, ts_dtype dt, int nd, const int64_t *shape, const tsc_spec *s)
{
    tsc_layout lay = TSC_IN0_LAYOUT(s->flags);
    if (!(s->flags & SCALES))
        return tsc_input(x, dt, nd, shape, lay, -1, 1);
    int64_t len = shape[nd - 1] * tsc_parts(dt), n = tsc_numel(nd, shape) * tsc_parts(dt);
    double big = dt == TS_F16 ? 1e4 : 1e15;
    double *v = tsc_alloc(x, (size_t)n);
    if (!v)
        return NULL;
    for (int64_t i = 0; i < n; i++)
        v[i] = tsc_uniform(x, -1, 1) * ((i / len) % 2 ? big : 1.0);
    return tsc_input_values(x, dt, nd, shape, lay, v);
}

static void run_1d(tsc_ctx *x, int kind, ts_dtype dt, const tsc_spec *s)
{
    int nd = s->nd;
    int64_t len = s->shape[nd - 1], rows = rows_of(s, 1);
    int64_t n = s->p[0] ? s->p[0] : len;
    int norm = (int)s->p[1];
    int64_t shape[4];
    for (int i = 0; i < nd; i++)
        shape[i] = s->shape[i];

    if (kind == OP_FFT || kind == OP_IFFT) {
        int inv = kind == OP_IFFT;
        tsc_arg *in = signal(x, TS_C64, nd, shape, s);
        shape[nd - 1] = n;
        tsc_arg *out = in ? tsc_output(x, TS_C64, nd, shape, TSC_CONTIG) : NULL;
        if (!out || tsc_op_status(x, (inv ? ts_ifft : ts_fft)(in->t, (ts_fft_norm)norm, out->t),
                                  inv ? "ts_ifft" : "ts_fft"))
            return;
        double scale = norm_factor(norm, inv, (double)n);
        double *ref = tsc_alloc(x, (size_t)(2 * rows * n)), *mag = tsc_alloc(x, (size_t)(rows * n));
        if (!ref || !mag)
            return;
        ref_dft(in->v, rows, len, n, inv ? 1 : -1, scale, ref);
        fill_mag(in->v, rows, len, 1, n, scale, n, mag);
        tsc_check(x, out, ref, mag);
    } else if (kind == OP_RFFT) {
        tsc_arg *in = signal(x, dt, nd, shape, s);
        int64_t bins = n / 2 + 1;
        shape[nd - 1] = bins;
        tsc_arg *out = in ? tsc_output(x, TS_C64, nd, shape, TSC_CONTIG) : NULL;
        if (!out || tsc_op_status(x, ts_rfft(in->t, s->p[0], (ts_fft_norm)norm, out->t), "ts_rfft"))
            return;
        double scale = norm_factor(norm, 0, (double)n);
        double *ref = tsc_alloc(x, (size_t)(2 * rows * bins)),
               *mag = tsc_alloc(x, (size_t)(rows * bins));
        if (!ref || !mag)
            return;
        ref_rdft(in->v, rows, len, n, scale, ref);
        fill_mag(in->v, rows, len, 0, bins, scale, n, mag);
        tsc_check(x, out, ref, mag);
    } else if (kind == OP_IRFFT) {
        int64_t bins = len / 2 + 1, m = s->p[2] ? s->p[2] : n;
        shape[nd - 1] = bins;
        tsc_arg *in = signal(x, TS_C64, nd, shape, s);
        shape[nd - 1] = m;
        tsc_arg *out = in ? tsc_output(x, TS_F32, nd, shape, TSC_CONTIG) : NULL;
        if (!out || tsc_op_status(x, ts_irfft(in->t, n, (ts_fft_norm)norm, out->t), "ts_irfft"))
            return;
        double scale = norm_factor(norm, 1, (double)n);
        double *ref = tsc_alloc(x, (size_t)(rows * m)), *mag = tsc_alloc(x, (size_t)(rows * m));
        if (!ref || !mag)
            return;
        ref_irdft(in->v, rows, bins, n, m, scale, ref);
        /* The Hermitian half counts twice in the sum. */
        fill_mag(in->v, rows, bins, 1, m, 2.0 * scale, n, mag);
        tsc_check(x, out, ref, mag);
    } else if (kind == OP_RT) {
        tsc_arg *in = signal(x, TS_C64, nd, shape, s);
        tsc_arg *mid = in ? tsc_output(x, TS_C64, nd, shape, TSC_CONTIG) : NULL;
        tsc_arg *out = mid ? tsc_output(x, TS_C64, nd, shape, TSC_CONTIG) : NULL;
        if (!out || tsc_op_status(x, ts_fft(in->t, (ts_fft_norm)norm, mid->t), "ts_fft") ||
            tsc_op_status(x, ts_ifft(mid->t, (ts_fft_norm)norm, out->t), "ts_ifft"))
            return;
        double *mag = tsc_alloc(x, (size_t)(rows * len));
        if (!mag)
            return;
        fill_mag(in->v, rows, len, 1, len, 1.0 / sqrt((double)len), len, mag);
        tsc_check(x, out, in->v, mag);
    } else { /* OP_RRT */
        tsc_arg *in = signal(x, dt, nd, shape, s);
        shape[nd - 1] = len / 2 + 1;
        tsc_arg *mid = in ? tsc_output(x, TS_C64, nd, shape, TSC_CONTIG) : NULL;
        shape[nd - 1] = len;
        tsc_arg *out = mid ? tsc_output(x, TS_F32, nd, shape, TSC_CONTIG) : NULL;
        if (!out || tsc_op_status(x, ts_rfft(in->t, 0, (ts_fft_norm)norm, mid->t), "ts_rfft") ||
            tsc_op_status(x, ts_irfft(mid->t, len, (ts_fft_norm)norm, out->t), "ts_irfft"))
            return;
        double *mag = tsc_alloc(x, (size_t)(rows * len));
        if (!mag)
            return;
        fill_mag(in->v, rows, len, 0, len, 2.0 / sqrt((double)len), len, mag);
        tsc_check(x, out, in->v, mag);
    }
}

/* A 2D DFT in float64 as two passes of ref_dft: along rows of W, then
 * along columns of H (through a transpose). x complex [slabs, H, W]. */
static void ref_dft2(tsc_ctx *x, const double *in, int64_t slabs, int64_t h, int64_t w, int sign,
                     double scale, double *out)
{
    double *mid = tsc_alloc(x, (size_t)(2 * h * w)), *tr = tsc_alloc(x, (size_t)(2 * h * w)),
           *tr2 = tsc_alloc(x, (size_t)(2 * h * w));
    if (!mid || !tr || !tr2)
        return;
    for (int64_t b = 0; b < slabs; b++) {
        ref_dft(in + 2 * b * h * w, h, w, w, sign, 1.0, mid);
        for (int64_t i = 0; i < h; i++)
            for (int64_t j = 0; j < w; j++)
                for (int c = 0; c < 2; c++)
                    tr[2 * (j * h + i) + c] = mid[2 * (i * w + j) + c];
        ref_dft(tr, w, h, h, sign, scale, tr2);
        for (int64_t i = 0; i < h; i++)
            for (int64_t j = 0; j < w; j++)
                for (int c = 0; c < 2; c++)
                    out[2 * (b * h * w + i * w + j) + c] = tr2[2 * (j * h + i) + c];
    }
}

static void run_2d(tsc_ctx *x, int kind, ts_dtype dt, const tsc_spec *s)
{
    int nd = s->nd, norm = (int)s->p[1];
    int64_t h = s->shape[nd - 2], w = s->shape[nd - 1], slabs = rows_of(s, 2);
    int64_t shape[4];
    for (int i = 0; i < nd; i++)
        shape[i] = s->shape[i];
    int inv = kind == OP_IFFT2 || kind == OP_IRFFT2;
    double scale = norm_factor(norm, inv, (double)(h * w));
    int64_t total = slabs * h * w, bins = w / 2 + 1;
    /* Every case goes through a full complex [slabs, H, W] reference. */
    double *full_in = tsc_alloc(x, (size_t)(2 * total)), *full = tsc_alloc(x, (size_t)(2 * total));
    if (!full_in || !full)
        return;
    tsc_arg *in, *out;
    double *ref, *mag;
    if (kind == OP_FFT2 || kind == OP_IFFT2) {
        in = signal(x, TS_C64, nd, shape, s);
        out = in ? tsc_output(x, TS_C64, nd, shape, TSC_CONTIG) : NULL;
        if (!out || tsc_op_status(x, (inv ? ts_ifft2 : ts_fft2)(in->t, (ts_fft_norm)norm, out->t),
                                  inv ? "ts_ifft2" : "ts_fft2"))
            return;
        ref = tsc_alloc(x, (size_t)(2 * total));
        mag = tsc_alloc(x, (size_t)total);
        if (!ref || !mag)
            return;
        ref_dft2(x, in->v, slabs, h, w, inv ? 1 : -1, scale, ref);
        fill_mag(in->v, slabs, h * w, 1, h * w, scale, h * w, mag);
    } else if (kind == OP_RFFT2) {
        in = signal(x, dt, nd, shape, s);
        shape[nd - 1] = bins;
        out = in ? tsc_output(x, TS_C64, nd, shape, TSC_CONTIG) : NULL;
        if (!out || tsc_op_status(x, ts_rfft2(in->t, (ts_fft_norm)norm, out->t), "ts_rfft2"))
            return;
        for (int64_t i = 0; i < total; i++) {
            full_in[2 * i] = in->v[i];
            full_in[2 * i + 1] = 0.0;
        }
        ref_dft2(x, full_in, slabs, h, w, -1, scale, full);
        ref = tsc_alloc(x, (size_t)(2 * slabs * h * bins));
        mag = tsc_alloc(x, (size_t)(slabs * h * bins));
        if (!ref || !mag)
            return;
        for (int64_t r = 0; r < slabs * h; r++)
            for (int64_t k = 0; k < 2 * bins; k++)
                ref[r * 2 * bins + k] = full[r * 2 * w + k];
        fill_mag(in->v, slabs, h * w, 0, h * bins, scale, h * w, mag);
    } else { /* OP_IRFFT2: the spectrum of a real signal, so the result is real */
        shape[nd - 1] = bins;
        in = signal(x, TS_C64, nd, shape, s);
        shape[nd - 1] = w;
        out = in ? tsc_output(x, TS_F32, nd, shape, TSC_CONTIG) : NULL;
        if (!out || tsc_op_status(x, ts_irfft2(in->t, w, (ts_fft_norm)norm, out->t), "ts_irfft2"))
            return;
        /* numpy: inverse along H over the kept bins, then irfft along W. */
        double *colt = tsc_alloc(x, (size_t)(2 * total));
        ref = tsc_alloc(x, (size_t)total);
        mag = tsc_alloc(x, (size_t)total);
        double *tr = tsc_alloc(x, (size_t)(2 * h * bins)), *tr2 = tsc_alloc(x, (size_t)(2 * h * bins));
        if (!colt || !ref || !mag || !tr || !tr2)
            return;
        for (int64_t b = 0; b < slabs; b++) {
            const double *src = in->v + 2 * b * h * bins;
            for (int64_t i = 0; i < h; i++)
                for (int64_t j = 0; j < bins; j++)
                    for (int c = 0; c < 2; c++)
                        tr[2 * (j * h + i) + c] = src[2 * (i * bins + j) + c];
            ref_dft(tr, bins, h, h, 1, 1.0, tr2);
            for (int64_t i = 0; i < h; i++)
                for (int64_t j = 0; j < bins; j++)
                    for (int c = 0; c < 2; c++)
                        colt[2 * (i * bins + j) + c] = tr2[2 * (j * h + i) + c];
            ref_irdft(colt, h, bins, w, w, scale, ref + b * h * w);
        }
        fill_mag(in->v, slabs, h * bins, 1, h * w, 2.0 * scale, h * w, mag);
    }
    tsc_check(x, out, ref, mag);
}

static void run(tsc_ctx *x)
{
    const tsc_case *c = tsc_ctx_case(x);
    const tsc_spec *s = tsc_ctx_spec(x);
    int kind = tsc_ctx_op(x)->kind;
    if (is_2d_op(kind))
        run_2d(x, kind, c->dtype, s);
    else
        run_1d(x, kind, c->dtype, s);
}

const tsc_family tsc_family_fft = {
    .name = "fft",
    .ops = ops,
    .n_ops = sizeof ops / sizeof ops[0],
    .specs = specs,
    .n_specs = sizeof specs / sizeof specs[0],
    .applies = applies,
    .run = run,
};
