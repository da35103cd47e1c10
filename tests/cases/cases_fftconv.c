/* Cases of ts_fftconv against the direct O(L * K) sum in float64
 * (cases_fftconv_ref.c): odd, prime and power-of-two L, each path forced
 * through the params (op "fftconv": FFT, matmul and the device's own
 * choice; op "conv1d_long": the direct path alone, the fused
 * TSI_OP_CONV1D_LONG, so a backend's kernel is checked by itself), k
 * shared and per batch, longer and shorter than L, with and without D,
 * [C, L] and [B, C, L], strided u, empty and length-1 sequences, and
 * causality (u changed after t0 leaves y up to t0 as it was).
 *
 * Tolerance: FFT rounding grows like log2(n) and spreads over the row, so
 * each element's error scale (ref_fftconv's mag) is log2(n) times the
 * local sum |k||u| plus the row norms |k|_2 |u|_2 / sqrt(L); the
 * registry's tolerance multiplies that.
 *
 * specs: shape = {B, C, L} ({C, L} with F_2D); p[0] = Lk, p[1] = path,
 * p[2] = t0 for F_CAUSAL. */
#include <math.h>
#include <string.h>

#include "cases_fftconv_ref.h"
#include "family.h"

enum {
    F_D = TSC_FLAG_FAMILY << 0,      /* D [C] */
    F_KB = TSC_FLAG_FAMILY << 1,     /* k [B, C, Lk] */
    F_2D = TSC_FLAG_FAMILY << 2,     /* u [C, L] */
    F_CAUSAL = TSC_FLAG_FAMILY << 3, /* second run with u changed after t0 */
    F_HALF = TSC_FLAG_FAMILY << 4,   /* also f16 / bf16 */
};

#define DIR TS_FFTCONV_DIRECT
#define FFT TS_FFTCONV_FFT
#define MM TS_FFTCONV_MATMUL
#define AUTO TS_FFTCONV_AUTO
#define T_U TSC_LAY_IN0(TSC_TRANSPOSED)

static const tsc_op_entry ops[] = {{"fftconv", 0, TSC_FLOATS}, {"conv1d_long", 1, TSC_FLOATS}};

/* clang-format off */
static const tsc_spec specs[] = {
    /* Quick: each path on odd, prime and power-of-two L. */
    {"direct 2x3x7 Lk7 D", 3, {2, 3, 7}, 0, {0}, {7, DIR}, {0}, F_D | F_HALF, 0},
    {"direct 2x2x13 Lk20 kB", 3, {2, 2, 13}, 0, {0}, {20, DIR}, {0}, F_KB, 0},
    {"direct 3x64 Lk5 D", 2, {3, 64}, 0, {0}, {5, DIR}, {0}, F_2D | F_D, 0},
    {"fft 2x3x7 Lk7 D", 3, {2, 3, 7}, 0, {0}, {7, FFT}, {0}, F_D | F_HALF, 0},
    {"fft 2x2x13 Lk20 kB", 3, {2, 2, 13}, 0, {0}, {20, FFT}, {0}, F_KB, 0},
    {"fft 3x64 Lk64 D", 2, {3, 64}, 0, {0}, {64, FFT}, {0}, F_2D | F_D, 0},
    {"fft 1x2x31 Lk9 T(u) causal t0=11", 3, {1, 2, 31}, 0, {0}, {9, FFT, 11}, {0},
     T_U | F_CAUSAL, 0},
    /* Long enough for the widest SIMD FFT rows; B = 2 rows share k. */
    {"fft 2x3x512 Lk300 D", 3, {2, 3, 512}, 0, {0}, {300, FFT}, {0}, F_D | F_HALF, 0},
    {"matmul 2x3x7 Lk7 D", 3, {2, 3, 7}, 0, {0}, {7, MM}, {0}, F_D | F_HALF, 0},
    {"matmul 2x2x13 Lk20 kB", 3, {2, 2, 13}, 0, {0}, {20, MM}, {0}, F_KB, 0},
    {"matmul 3x64 Lk64 D", 2, {3, 64}, 0, {0}, {64, MM}, {0}, F_2D | F_D, 0},
    {"matmul 1x2x31 Lk9 T(u) causal t0=11", 3, {1, 2, 31}, 0, {0}, {9, MM, 11}, {0},
     T_U | F_CAUSAL, 0},
    {"auto 2x2x1 Lk1 D", 3, {2, 2, 1}, 0, {0}, {1, AUTO}, {0}, F_D, 0},
    {"auto 2x3x0 Lk4", 3, {2, 3, 0}, 0, {0}, {4, AUTO}, {0}, 0, 0},
    /* Full: longer rows, prime and smooth, every path. */
    {"direct 2x4x997 Lk997 D", 3, {2, 4, 997}, 0, {0}, {997, DIR}, {0}, F_D | F_HALF, 1},
    {"fft 2x4x997 Lk997 D", 3, {2, 4, 997}, 0, {0}, {997, FFT}, {0}, F_D | F_HALF, 1},
    {"matmul 2x4x997 Lk997 D", 3, {2, 4, 997}, 0, {0}, {997, MM}, {0}, F_D | F_HALF, 1},
    {"fft 1x3x4096 Lk4096 kB", 3, {1, 3, 4096}, 0, {0}, {4096, FFT}, {0}, F_KB, 1},
    {"matmul 1x3x4096 Lk4096 kB", 3, {1, 3, 4096}, 0, {0}, {4096, MM}, {0}, F_KB, 1},
    {"fft 2x2x3000 Lk100 causal t0=1500", 3, {2, 2, 3000}, 0, {0}, {100, FFT, 1500}, {0},
     F_CAUSAL | F_D, 1},
    {"matmul 2x2x3000 Lk5000 causal t0=1500", 3, {2, 2, 3000}, 0, {0}, {5000, MM, 1500}, {0},
     F_CAUSAL, 1},
    {"auto 1x8x2048 Lk2048 D", 3, {1, 8, 2048}, 0, {0}, {2048, AUTO}, {0}, F_D, 1},
};
/* clang-format on */

static int applies(const tsc_op_entry *op, ts_dtype dt, const tsc_spec *s)
{
    if ((op->kind == 1) != (s->p[1] == DIR))
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

typedef struct conv_args {
    tsc_arg *u, *k, *d;
    int64_t b, c, l, lk;
} conv_args;

static tsc_arg *run_once(tsc_ctx *x, const conv_args *a, const ts_tensor *u)
{
    const tsc_spec *s = tsc_ctx_spec(x);
    ts_fftconv_params p;
    ts_fftconv_params_init(&p);
    p.path = (ts_fftconv_path)s->p[1];
    p.d = a->d ? a->d->t : NULL;
    tsc_arg *out = tsc_output(x, tsc_ctx_case(x)->dtype, a->u->nd, a->u->shape, TSC_CONTIG);
    if (!out || tsc_op_status(x, ts_fftconv(u, a->k->t, &p, out->t), "ts_fftconv"))
        return NULL;
    return out;
}

static int check(tsc_ctx *x, const conv_args *a, const double *u, tsc_arg *out)
{
    double *ref = tsc_alloc(x, (size_t)out->numel + 1), *mag = tsc_alloc(x, (size_t)out->numel + 1);
    if (!ref || !mag)
        return 1;
    double lg = log2((double)fft_len(a->l)) + 1.0;
    ref_fftconv(u, a->b, a->c, a->l, a->k->v, a->k->shape[a->k->nd - 1], a->lk,
                tsc_ctx_spec(x)->flags & F_KB ? 1 : 0, a->d ? a->d->v : NULL, lg, ref, mag);
    return tsc_check(x, out, ref, mag);
}

/* Causality: u' = u up to t0, fresh values after; y' up to t0 must be
 * the convolution of the original u, and after t0 that of u'. */
static void run_causal(tsc_ctx *x, const conv_args *a, tsc_arg *out1)
{
    const tsc_spec *s = tsc_ctx_spec(x);
    const tsc_case *c = tsc_ctx_case(x);
    int64_t t0 = s->p[2], n = a->u->numel;
    double *v2 = tsc_alloc(x, (size_t)n + 1), *ref1 = tsc_alloc(x, (size_t)n + 1);
    double *ref2 = tsc_alloc(x, (size_t)n + 1), *mag = tsc_alloc(x, (size_t)n + 1);
    if (!v2 || !ref1 || !ref2 || !mag)
        return;
    for (int64_t i = 0; i < n; i++)
        v2[i] = i % a->l > t0 ? tsc_uniform(x, -4, 4) : a->u->v[i];
    tsc_arg *u2 = tsc_input_values(x, c->dtype, a->u->nd, a->u->shape, TSC_IN0_LAYOUT(s->flags),
                                   v2);
    if (!u2)
        return;
    tsc_arg *out2 = run_once(x, a, u2->t);
    if (!out2)
        return;
    double lg = log2((double)fft_len(a->l)) + 1.0;
    int kb = s->flags & F_KB ? 1 : 0;
    const double *d = a->d ? a->d->v : NULL;
    int64_t ks = a->k->shape[a->k->nd - 1];
    ref_fftconv(a->u->v, a->b, a->c, a->l, a->k->v, ks, a->lk, kb, d, lg, ref1, NULL);
    ref_fftconv(u2->v, a->b, a->c, a->l, a->k->v, ks, a->lk, kb, d, lg, ref2, mag);
    for (int64_t i = 0; i < n; i++)
        if (i % a->l <= t0)
            ref2[i] = ref1[i];
    (void)out1;
    tsc_check(x, out2, ref2, mag);
}

static void run(tsc_ctx *x)
{
    const tsc_case *c = tsc_ctx_case(x);
    const tsc_spec *s = tsc_ctx_spec(x);
    ts_dtype dt = c->dtype;
    int two = (s->flags & F_2D) != 0;
    conv_args a = {.b = two ? 1 : s->shape[0], .c = s->shape[s->nd - 2], .l = s->shape[s->nd - 1]};
    a.lk = s->p[0] < a.l ? s->p[0] : a.l;
    int64_t ks[3] = {a.b, a.c, s->p[0]};
    int knd = (s->flags & F_KB) ? 3 : 2;
    a.u = tsc_input(x, dt, s->nd, s->shape, TSC_IN0_LAYOUT(s->flags), -1, 1);
    a.k = a.u ? tsc_input(x, dt, knd, ks + 3 - knd, TSC_CONTIG, -1, 1) : NULL;
    if (!a.k)
        return;
    if (s->flags & F_D) {
        a.d = tsc_input(x, dt, 1, &a.c, TSC_CONTIG, -1, 1);
        if (!a.d)
            return;
    }
    tsc_arg *out = run_once(x, &a, a.u->t);
    if (!out || check(x, &a, a.u->v, out))
        return;
    if (s->flags & F_CAUSAL)
        run_causal(x, &a, out);
}

const tsc_family tsc_family_fftconv = {
    .name = "fftconv",
    .ops = ops,
    .n_ops = 2,
    .specs = specs,
    .n_specs = sizeof specs / sizeof specs[0],
    .applies = applies,
    .run = run,
};
