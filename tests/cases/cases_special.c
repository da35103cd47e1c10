/* The special-value family (docs/numerics.md): every op with NaN, +inf,
 * -inf, -0.0, +0.0, the dtype's largest finite value and subnormals placed
 * among random inputs, compared by class (NaN, +inf, -inf, finite; the
 * sign of a zero where IEEE fixes it) with tsc_check_class and by
 * tolerance otherwise. The references are the plain float64 loops of
 * ref.h, which follow the same policy; where f32 arithmetic in the op
 * decides the answer and float64 would not (a sum of squares of the
 * largest finite value, sin of 3e38), the value is left out, as
 * docs/numerics.md says. f16 subnormal inputs become +-2^-14 (tsc_input_values). */
#include <float.h>
#include <math.h>

#include "family.h"
#include "ref.h"
#include "ref_fft.h"

enum {
    K_BINARY = 0, /* + ts_binary_op */
    K_UNARY = 16, /* + ts_unary_op */
    K_SOFTMAX = 48,
    K_REDUCE, /* + ts_reduce_op via p */
    K_REDUCE_MEAN,
    K_REDUCE_MAX,
    K_ARGMAX,
    K_TOPK,
    K_GATHER,
    K_SCATTER,
    K_LAYER_NORM,
    K_RMS_NORM,
    K_CONV,
    K_MATMUL,
    K_GLU,
    K_ATTENTION,
    K_ATTENTION_NAIVE,
    K_SCALE_SHIFT,
    K_COPY,
    K_CAST_F32, /* + target dtype */
    K_CAST_F16,
    K_CAST_BF16,
    K_CAST_I32,
    K_FFT,
    K_LONGCONV,   /* ts_fftconv's direct path, specials in u */
    K_LONGCONV_K, /* the same, specials in the filter */
    K_GROUPED_MATMUL,
    K_RES_LAYER_NORM, /* the fused residual norms: s = alpha x + f, then the norm */
    K_RES_RMS_NORM,
    K_LONGCONV_FFT, /* ts_fftconv's FFT path: a special stays in its row */
    K_LONGCONV_MM,  /* the same, GEMM-DFT path */
};

#define F TSC_FLOATS
#define FI (TSC_FLOATS | TSC_DT(TS_I32))
#define FC (TSC_FLOATS | TSC_C64)
#define FIC (TSC_FLOATS | TSC_DT(TS_I32) | TSC_C64)

/* clang-format off */
static const tsc_op_entry ops[] = {
    {"add", K_BINARY + TS_ADD, FIC}, {"sub", K_BINARY + TS_SUB, FC},
    {"mul", K_BINARY + TS_MUL, FC},  {"div", K_BINARY + TS_DIV, F},
    {"max", K_BINARY + TS_MAX, FI},  {"min", K_BINARY + TS_MIN, FI},
    {"neg", K_UNARY + TS_NEG, FI},   {"abs", K_UNARY + TS_ABS, FI},
    {"exp", K_UNARY + TS_EXP, F},    {"log", K_UNARY + TS_LOG, F},
    {"sqrt", K_UNARY + TS_SQRT, F},  {"rsqrt", K_UNARY + TS_RSQRT, F},
    {"tanh", K_UNARY + TS_TANH, F},  {"sigmoid", K_UNARY + TS_SIGMOID, F},
    {"relu", K_UNARY + TS_RELU, FI}, {"relu2", K_UNARY + TS_RELU2, F},
    {"gelu_erf", K_UNARY + TS_GELU_ERF, F}, {"gelu_tanh", K_UNARY + TS_GELU_TANH, F},
    {"silu", K_UNARY + TS_SILU, F},  {"sin", K_UNARY + TS_SIN, F},
    {"cos", K_UNARY + TS_COS, F},
    {"softmax", K_SOFTMAX, F},
    {"reduce_sum", K_REDUCE, F}, {"reduce_mean", K_REDUCE_MEAN, F},
    {"reduce_max", K_REDUCE_MAX, FI}, {"argmax", K_ARGMAX, FI}, {"topk", K_TOPK, FI},
    {"gather_rows", K_GATHER, FI}, {"scatter_add_rows", K_SCATTER, F},
    {"layer_norm", K_LAYER_NORM, F}, {"rms_norm", K_RMS_NORM, F},
    {"residual_layer_norm", K_RES_LAYER_NORM, F}, {"residual_rms_norm", K_RES_RMS_NORM, F},
    {"conv1d_causal", K_CONV, F}, {"matmul", K_MATMUL, F},
    {"grouped_matmul", K_GROUPED_MATMUL, F}, {"swiglu", K_GLU, F},
    {"attention", K_ATTENTION, F}, {"attention_naive", K_ATTENTION_NAIVE, F},
    {"scale_shift", K_SCALE_SHIFT, F}, {"copy", K_COPY, FIC},
    {"cast_to_f32", K_CAST_F32, TSC_DT(TS_F16) | TSC_DT(TS_BF16)},
    {"cast_to_f16", K_CAST_F16, TSC_DT(TS_F32) | TSC_DT(TS_BF16)},
    {"cast_to_bf16", K_CAST_BF16, TSC_DT(TS_F32) | TSC_DT(TS_F16)},
    {"cast_to_i32", K_CAST_I32, F},
    {"fft", K_FFT, TSC_C64},
    {"fftconv_direct", K_LONGCONV, F}, {"fftconv_direct_taps", K_LONGCONV_K, F},
    {"fftconv_fft_rows", K_LONGCONV_FFT, F}, {"fftconv_matmul_rows", K_LONGCONV_MM, F},
};
/* clang-format on */

/* Specs for one kind of op only: the paths that start at larger sizes. */
#define SP_ATTENTION_ONLY (TSC_FLAG_FAMILY << 0)
#define SP_LONG_ROWS (TSC_FLAG_FAMILY << 1) /* the row ops and attention */
#define SP_GEMM_ONLY (TSC_FLAG_FAMILY << 2)
#define SP_SOFTCAP (TSC_FLAG_FAMILY << 3) /* attention with soft-capping at f[1] */

/* p[0]: topk's k; p[1]: the GEMMs' N (0: 5). */
/* clang-format off */
static const tsc_spec specs[] = {
    /* 9 x 37: 111 special slots, every (a, b) pair of the 10 specials. */
    {"special 9x37", 2, {9, 37}, 0, {0}, {3}, {1.0}, 0, 0},
    {"special 2x9x37 S(x)", 3, {2, 9, 37}, 0, {0}, {5}, {0.5}, TSC_LAY_IN0(TSC_SLICED), 1},
    /* More than 16 query rows: the tiled kernels, not split-K decoding. */
    {"special 37x37", 2, {37, 37}, 0, {0}, {3}, {1.0}, SP_ATTENTION_ONLY, 0},
    /* Soft-capping maps an infinite logit to +-cap: rows 3 and 8 get an
     * infinity in q, so their logits are +-inf (NaN rows uncapped) and
     * finite after the cap. Both paths: split-K decoding and tiled. */
    {"special 9x37 softcap", 2, {9, 37}, 0, {0}, {3}, {1.0, 5.0}, SP_ATTENTION_ONLY | SP_SOFTCAP, 0},
    {"special 37x37 softcap", 2, {37, 37}, 0, {0}, {3}, {1.0, 5.0}, SP_ATTENTION_ONLY | SP_SOFTCAP,
     0},
    /* Rows longer than a row workgroup (up to 1024 lanes): each GPU lane
     * folds several elements before the tree, and the CPU's unrolled SIMD
     * loops run many times. Attention: 1100 keys, so split-K decoding
     * cuts them into several ranges and merges them. */
    {"special 9x1100", 2, {9, 1100}, 0, {0}, {3}, {1.0}, SP_LONG_ROWS, 0},
    /* K and N multiples of 4 with M ragged: the GPU tiles' vector loads,
     * OpenCL's widened f16 / bf16 path through CLBlast (M N K >= 32^3). */
    {"special 45x68 N36", 2, {45, 68}, 0, {0}, {3, 36}, {1.0}, SP_GEMM_ONLY, 0},
    /* Groups of 800 rows x 64 x 64: the CPU's big-group paths (OpenBLAS
     * from 384 rows a thread: up to 2 threads). */
    {"special 2400x64 N64", 2, {2400, 64}, 0, {0}, {3, 64}, {1.0}, SP_GEMM_ONLY, 0},
};
/* clang-format on */

static int is_norm(int kind)
{
    return kind == K_LAYER_NORM || kind == K_RMS_NORM || kind == K_RES_LAYER_NORM ||
           kind == K_RES_RMS_NORM;
}

static int applies(const tsc_op_entry *op, ts_dtype dt, const tsc_spec *s)
{
    (void)dt;
    int kind = op->kind;
    int attention = kind == K_ATTENTION || kind == K_ATTENTION_NAIVE;
    if (s->flags & SP_ATTENTION_ONLY)
        return attention;
    if (s->flags & SP_LONG_ROWS)
        return (kind >= K_SOFTMAX && kind <= K_TOPK) || is_norm(kind) || attention;
    if (s->flags & SP_GEMM_ONLY)
        return kind == K_MATMUL || kind == K_GROUPED_MATMUL;
    return 1;
}

/* The GEMMs' N. */
static int64_t gemm_n(const tsc_spec *s)
{
    return s->p[1] ? s->p[1] : 5;
}

/* ---- the special values of a dtype ---------------------------------------- */

enum { SP_NAN, SP_PINF, SP_NINF, SP_NZERO, SP_PZERO, SP_MAX, SP_NMAX, SP_SUB, SP_NSUB, SP_COUNT };

static double largest(ts_dtype dt)
{
    switch (dt) {
    case TS_F16:
        return 65504.0;
    case TS_BF16:
        return 0x1.fep127;
    case TS_I32:
        return 2147483647.0;
    default:
        return FLT_MAX;
    }
}

static double special(ts_dtype dt, int which)
{
    double sub = dt == TS_BF16 ? 0x1p-133 : 0x1p-149;
    if (dt == TS_I32) { /* no NaN, inf or -0: the extremes and zeros */
        static const double iv[SP_COUNT] = {
            -2147483648.0, 2147483647.0, -2147483648.0, 0, 0, 2147483647.0, -2147483647.0, 1, -1};
        return iv[which];
    }
    switch (which) {
    case SP_NAN:
        return NAN;
    case SP_PINF:
        return INFINITY;
    case SP_NINF:
        return -INFINITY;
    case SP_NZERO:
        return -0.0;
    case SP_PZERO:
        return 0.0;
    case SP_MAX:
        return largest(dt);
    case SP_NMAX:
        return -largest(dt);
    case SP_SUB:
        return sub;
    default:
        return -sub;
    }
}

/* Specials whose answer f32 arithmetic inside the op decides (docs/numerics.md). */
static int excluded(int kind, int which)
{
    int big = which == SP_MAX || which == SP_NMAX;
    if (kind == K_UNARY + TS_SIN || kind == K_UNARY + TS_COS)
        return big; /* accurate only for |x| < 1e5 (ops.h) */
    if (is_norm(kind) || kind == K_CONV || kind == K_LONGCONV || kind == K_LONGCONV_K ||
        kind == K_MATMUL || kind == K_REDUCE || kind == K_REDUCE_MEAN || kind == K_ATTENTION ||
        kind == K_ATTENTION_NAIVE)
        return big; /* f32 sums of squares / products overflow where float64 does not */
    return 0;
}

/* Random values in [-2, 2] with every third slot a special value: slot j
 * (element 3j) gets special (j / stride) % SP_COUNT, so a with stride 1
 * and b with stride SP_COUNT meet in every pair. c64: both parts. */
static double *special_values(tsc_ctx *x, ts_dtype dt, int kind, int64_t n, int stride)
{
    int parts = tsc_parts(dt);
    double *v = tsc_alloc(x, (size_t)(n * parts));
    if (!v)
        return NULL;
    ts_dtype sdt = dt == TS_C64 ? TS_F32 : dt;
    for (int64_t i = 0; i < n * parts; i++) {
        v[i] = dt == TS_I32 ? (double)tsc_rand_int(x, -100, 100) : tsc_uniform(x, -2, 2);
        int64_t e = i / parts;
        if (e % 3 == 0 && (parts == 1 || (i % 2) == (e / 3) % 2)) {
            int which = (int)((e / 3 / stride) % SP_COUNT);
            /* A c64 product's f32 parts overflow where float64's do not. */
            int big = which == SP_MAX || which == SP_NMAX;
            if (!excluded(kind, which) && !(dt == TS_C64 && big))
                v[i] = special(sdt, which);
        }
    }
    return v;
}

/* Row ops: each of the first rows holds one pattern, the rest random. */
static double *row_values(tsc_ctx *x, ts_dtype dt, int kind, int64_t rows, int64_t n)
{
    double *v = tsc_alloc(x, (size_t)(rows * n));
    if (!v)
        return NULL;
    for (int64_t i = 0; i < rows * n; i++)
        v[i] = dt == TS_I32 ? (double)tsc_rand_int(x, -100, 100) : tsc_uniform(x, -2, 2);
    for (int64_t r = 0; r < rows; r++) {
        double *row = v + r * n;
        int64_t c1 = n / 3, c2 = 2 * n / 3;
        int a = SP_NAN, b = -1;
        switch (r % 9) {
        case 0: /* one NaN */
            break;
        case 1: /* +inf */
            a = SP_PINF;
            break;
        case 2: /* +inf and -inf */
            a = SP_PINF;
            b = SP_NINF;
            break;
        case 3: /* every element -inf: softmax zeros, max -inf */
            for (int64_t c = 0; c < n; c++)
                row[c] = special(dt, SP_NINF);
            continue;
        case 4:
            a = SP_MAX;
            b = SP_NMAX;
            break;
        case 5:
            a = SP_SUB;
            b = SP_NSUB;
            break;
        case 6: /* signed zeros and two NaNs (ties among NaNs) */
            a = SP_NAN;
            b = SP_NAN;
            row[0] = special(dt, SP_NZERO);
            row[n - 1] = special(dt, SP_PZERO);
            break;
        case 7: /* some -inf: masked logits */
            a = SP_NINF;
            b = SP_NINF;
            break;
        default: /* all NaN */
            for (int64_t c = 0; c < n; c++)
                row[c] = special(dt, SP_NAN);
            continue;
        }
        if (!excluded(kind, a))
            row[c1] = special(dt, a);
        if (b >= 0 && !excluded(kind, b))
            row[c2] = special(dt, b);
    }
    return v;
}

/* ---- runs ------------------------------------------------------------------ */

/* Ops whose zero results have a sign IEEE fixes. */
static unsigned zero_flags(int kind)
{
    if (kind == K_BINARY + TS_ADD || kind == K_BINARY + TS_SUB || kind == K_BINARY + TS_MUL ||
        kind == K_BINARY + TS_DIV || kind == K_UNARY + TS_NEG || kind == K_UNARY + TS_ABS ||
        kind == K_UNARY + TS_SQRT || kind == K_UNARY + TS_RELU || kind == K_GATHER)
        return TSC_CLASS_SIGNED_ZERO;
    return 0;
}

/* i32 results wrap like two's complement (ops.h). */
static void wrap_i32(ts_dtype dt, double *ref, int64_t n)
{
    for (int64_t i = 0; dt == TS_I32 && i < n; i++)
        ref[i] = (double)(int32_t)(uint32_t)(int64_t)ref[i];
}

static void run_elementwise(tsc_ctx *x, int kind, ts_dtype dt, const tsc_spec *s)
{
    int64_t n = tsc_numel(s->nd, s->shape), s4[4];
    tsc_pad4(s->nd, s->shape, s4);
    double *va = special_values(x, dt, kind, n, 1);
    tsc_arg *a = va ? tsc_input_values(x, dt, s->nd, s->shape, TSC_IN0_LAYOUT(s->flags), va) : NULL;
    tsc_arg *out = a ? tsc_output(x, dt, s->nd, s->shape, TSC_CONTIG) : NULL;
    double *ref = tsc_alloc(x, (size_t)(n * tsc_parts(dt))), *mag = tsc_alloc(x, (size_t)n);
    if (!out || !ref || !mag)
        return;
    if (kind >= K_UNARY) {
        if (tsc_op_status(x, ts_unary((ts_unary_op)(kind - K_UNARY), a->t, out->t), "ts_unary"))
            return;
        ref_unary((ts_unary_op)(kind - K_UNARY), a->v, n, 1e-7, ref, mag);
        wrap_i32(dt, ref, n);
        tsc_check_class(x, out, ref, mag, zero_flags(kind));
        return;
    }
    double *vb = special_values(x, dt, kind, n, SP_COUNT);
    tsc_arg *b = vb ? tsc_input_values(x, dt, s->nd, s->shape, TSC_CONTIG, vb) : NULL;
    if (!b || tsc_op_status(x, ts_binary((ts_binary_op)kind, a->t, b->t, out->t), "ts_binary"))
        return;
    if (dt == TS_C64)
        ref_binary_c64((ts_binary_op)kind, a->v, s4, b->v, s4, s4, ref, mag);
    else
        ref_binary((ts_binary_op)kind, dt == TS_I32, a->v, s4, b->v, s4, s4, ref, mag);
    wrap_i32(dt, ref, n);
    /* A device that flushes divides as a * (1 / b) (NVIDIA does): for
     * |b| > 2^126 the reciprocal is subnormal and flushes, so a / b is a
     * signed zero, and NaN for a = +-inf. Vulkan's OpFDiv precision covers
     * only |b| in [2^-126, 2^126]; docs/numerics.md lists the deviation. */
    for (int64_t i = 0; tsc_ctx_ftz(x) && kind == K_BINARY + TS_DIV && i < n; i++)
        if (isfinite(b->v[i]) && fabs(b->v[i]) > 0x1p126)
            ref[i] = a->v[i] * copysign(0.0, b->v[i]);
    tsc_check_class(x, out, ref, mag, dt == TS_C64 ? 0 : zero_flags(kind));
}

static void run_rows(tsc_ctx *x, int kind, ts_dtype dt, const tsc_spec *s)
{
    int64_t n = s->shape[s->nd - 1], numel = tsc_numel(s->nd, s->shape), rows = numel / n;
    int64_t k = kind == K_TOPK ? s->p[0] : kind == K_SOFTMAX ? n : 1;
    int64_t oshape[4];
    for (int i = 0; i < s->nd; i++)
        oshape[i] = s->shape[i];
    oshape[s->nd - 1] = k;
    double *v = row_values(x, dt, kind, rows, n);
    tsc_arg *in = v ? tsc_input_values(x, dt, s->nd, s->shape, TSC_IN0_LAYOUT(s->flags), v) : NULL;
    double *ref = tsc_alloc(x, (size_t)(rows * k)), *mag = tsc_alloc(x, (size_t)(rows * k));
    double *ridx = tsc_alloc(x, (size_t)(rows * k));
    if (!in || !ref || !mag || !ridx)
        return;
    ts_dtype odt = kind == K_ARGMAX ? TS_I32 : dt;
    tsc_arg *out = tsc_output(x, odt, s->nd, oshape, TSC_CONTIG);
    if (!out)
        return;
    ts_status st;
    switch (kind) {
    case K_SOFTMAX:
        st = ts_softmax(in->t, (float)s->f[0], 0, out->t);
        if (tsc_op_status(x, st, "ts_softmax"))
            return;
        ref_softmax(in->v, rows, s->shape[s->nd - 2], n, s->f[0], 0, ref, mag);
        tsc_check_class(x, out, ref, mag, 0);
        return;
    case K_ARGMAX:
        if (tsc_op_status(x, ts_argmax(in->t, out->t), "ts_argmax"))
            return;
        ref_argmax(in->v, rows, n, ridx);
        tsc_check(x, out, ridx, NULL);
        return;
    case K_TOPK: {
        tsc_arg *idx = tsc_output(x, TS_I32, s->nd, oshape, TSC_CONTIG);
        if (!idx || tsc_op_status(x, ts_topk(in->t, (int)k, out->t, idx->t), "ts_topk"))
            return;
        ref_topk(in->v, rows, n, k, ref, ridx);
        if (tsc_check(x, idx, ridx, NULL) == 0)
            tsc_check_class(x, out, ref, NULL, 0);
        return;
    }
    default: {
        ts_reduce_op op = kind == K_REDUCE        ? TS_REDUCE_SUM
                          : kind == K_REDUCE_MEAN ? TS_REDUCE_MEAN
                                                  : TS_REDUCE_MAX;
        if (tsc_op_status(x, ts_reduce(op, in->t, out->t), "ts_reduce"))
            return;
        ref_reduce(op, in->v, rows, n, ref, mag);
        tsc_check_class(x, out, ref, mag, 0);
        return;
    }
    }
}

/* The norms over rows of specials. The fused residual forms take them in
 * x, with f uniform except where it meets x's infinities: -inf against
 * row 1's +inf, +inf against row 7's -inf, so s = x / 2 + f is NaN there
 * (both s and y are checked). */
static void run_norm(tsc_ctx *x, int kind, ts_dtype dt, const tsc_spec *s)
{
    int64_t n = s->shape[s->nd - 1], rows = tsc_numel(s->nd, s->shape) / n, numel = rows * n;
    int residual = kind == K_RES_LAYER_NORM || kind == K_RES_RMS_NORM;
    int layer = kind == K_LAYER_NORM || kind == K_RES_LAYER_NORM;
    const double eps = 1e-5, alpha = 0.5;
    double *v = row_values(x, dt, kind, rows, n);
    double *fv = residual ? tsc_alloc(x, (size_t)numel) : NULL;
    if (!v || (residual && !fv))
        return;
    for (int64_t i = 0; residual && i < numel; i++)
        fv[i] = tsc_uniform(x, -2, 2);
    for (int64_t r = 1; residual && r < rows; r += 6)
        fv[r * n + n / 3] = r % 9 == 1 ? -INFINITY : INFINITY;
    tsc_arg *in = tsc_input_values(x, dt, s->nd, s->shape, TSC_IN0_LAYOUT(s->flags), v);
    tsc_arg *f = in && residual ? tsc_input_values(x, dt, s->nd, s->shape, TSC_CONTIG, fv) : NULL;
    tsc_arg *out = in ? tsc_output(x, dt, s->nd, s->shape, TSC_CONTIG) : NULL;
    tsc_arg *sum = out && residual ? tsc_output(x, dt, s->nd, s->shape, TSC_CONTIG) : NULL;
    double *ref = tsc_alloc(x, (size_t)numel), *mag = tsc_alloc(x, (size_t)numel);
    double *sref = tsc_alloc(x, (size_t)numel), *smag = tsc_alloc(x, (size_t)numel);
    if (!out || (residual && !sum) || !ref || !mag || !sref || !smag)
        return;
    ts_status st;
    if (kind == K_LAYER_NORM)
        st = ts_layer_norm(in->t, NULL, NULL, (float)eps, out->t);
    else if (kind == K_RMS_NORM)
        st = ts_rms_norm(in->t, NULL, (float)eps, out->t);
    else if (kind == K_RES_LAYER_NORM)
        st = ts_residual_layer_norm(in->t, f->t, (float)alpha, NULL, NULL, (float)eps, out->t,
                                    sum->t);
    else
        st = ts_residual_rms_norm(in->t, f->t, (float)alpha, NULL, (float)eps, out->t, sum->t);
    if (tsc_op_status(x, st, tsc_ctx_op(x)->name))
        return;
    for (int64_t i = 0; i < numel; i++) {
        sref[i] = residual ? alpha * in->v[i] + f->v[i] : in->v[i];
        smag[i] = residual ? fabs(alpha * in->v[i]) + fabs(f->v[i]) : fabs(in->v[i]);
    }
    if (layer)
        ref_layer_norm(sref, rows, n, NULL, NULL, eps, 1e-6, ref, mag);
    else
        ref_rms_norm(sref, rows, n, NULL, eps, ref, mag);
    /* A row of -inf has var NaN in float64 and f32 alike; a subnormal row
     * is judged by the floor. */
    if (!tsc_check_class(x, out, ref, mag, 0) && residual)
        tsc_check_class(x, sum, sref, smag, 0);
}

static void run_index(tsc_ctx *x, int kind, ts_dtype dt, const tsc_spec *s)
{
    int64_t v_rows = s->shape[s->nd - 2], d = s->shape[s->nd - 1], nidx = 2 * v_rows + 1;
    int64_t tshape[2] = {v_rows, d}, ishape[1] = {nidx}, oshape[2] = {nidx, d};
    double *tv = special_values(x, dt, kind, v_rows * d, 1);
    double *iv = tsc_alloc(x, (size_t)nidx);
    if (!tv || !iv)
        return;
    for (int64_t i = 0; i < nidx; i++)
        iv[i] = (double)tsc_rand_int(x, 0, v_rows - 1);
    tsc_arg *table = tsc_input_values(x, dt, 2, tshape, TSC_CONTIG, tv);
    tsc_arg *idx = table ? tsc_input_values(x, TS_I32, 1, ishape, TSC_CONTIG, iv) : NULL;
    if (!idx)
        return;
    if (kind == K_GATHER) {
        tsc_arg *out = tsc_output(x, dt, 2, oshape, TSC_CONTIG);
        double *ref = tsc_alloc(x, (size_t)(nidx * d));
        if (!out || !ref ||
            tsc_op_status(x, ts_gather_rows(table->t, idx->t, out->t), "ts_gather_rows"))
            return;
        ref_gather_rows(table->v, v_rows, d, iv, nidx, ref);
        tsc_check_class(x, out, ref, NULL, zero_flags(kind));
        return;
    }
    /* scatter_add: dst (the table) += rows of src holding specials. */
    double *sv = special_values(x, dt, kind, nidx * d, SP_COUNT);
    tsc_arg *src = sv ? tsc_input_values(x, dt, 2, oshape, TSC_CONTIG, sv) : NULL;
    double *ref = tsc_alloc(x, (size_t)(v_rows * d)), *mag = tsc_alloc(x, (size_t)(v_rows * d));
    if (!src || !ref || !mag ||
        tsc_op_status(x, ts_scatter_add_rows(table->t, idx->t, src->t), "ts_scatter_add_rows"))
        return;
    ref_scatter_add_rows(table->v, v_rows, d, iv, src->v, nidx, ref, mag);
    /* table was written in place: compare it as the output. */
    table->is_output = 1;
    tsc_check_class(x, table, ref, mag, 0);
}

static void run_conv(tsc_ctx *x, int kind, ts_dtype dt, const tsc_spec *s)
{
    int64_t len = s->shape[s->nd - 2], ch = s->shape[s->nd - 1], kw = 4;
    int64_t xs[2] = {len, ch}, ws[2] = {ch, kw};
    double *xv = special_values(x, dt, kind, len * ch, 1);
    tsc_arg *in = xv ? tsc_input_values(x, dt, 2, xs, TSC_CONTIG, xv) : NULL;
    tsc_arg *w = in ? tsc_input(x, dt, 2, ws, TSC_CONTIG, 0.25, 1) : NULL;
    tsc_arg *out = w ? tsc_output(x, dt, 2, xs, TSC_CONTIG) : NULL;
    double *ref = tsc_alloc(x, (size_t)(len * ch)), *mag = tsc_alloc(x, (size_t)(len * ch));
    if (!out || !ref || !mag ||
        tsc_op_status(x, ts_conv1d_causal(in->t, w->t, NULL, out->t), "ts_conv1d_causal"))
        return;
    ref_conv1d_causal(in->v, 1, len, ch, w->v, kw, NULL, ref, mag);
    tsc_check_class(x, out, ref, mag, 0);
}

/* The causal conv's direct sums: rows of u [rows, l] (row r on channel
 * r % c), taps k [c, kn], only the pairs of the definition (j <= t). */
static void conv_sums(const double *u, const double *k, int64_t rows, int64_t c, int64_t l,
                      int64_t kn, double *ref, double *mag)
{
    for (int64_t r = 0; r < rows; r++)
        for (int64_t t = 0; t < l; t++) {
            double sum = 0.0, m = 0.0;
            for (int64_t j = 0; j <= t && j < kn; j++) {
                double term = k[(r % c) * kn + j] * u[r * l + t - j];
                sum += term;
                m += fabs(term);
            }
            ref[r * l + t] = sum;
            mag[r * l + t] = m;
        }
}

/* ts_fftconv's direct path (the fused long convolution): a sum over the
 * taps j <= min(t, K - 1) only, so a special value reaches exactly the
 * outputs whose window holds it. One special in every 11 values (of u, or
 * of the filter, against a positive u), so most windows hold none; a tap
 * past K, or a filter tap before the row starts, must not turn a finite
 * output into NaN (0 * inf). The FFT paths spread a special over the whole
 * row (docs/numerics.md); run_longconv_rows checks that it stays there. */
static void run_longconv(tsc_ctx *x, int kind, ts_dtype dt, const tsc_spec *s)
{
    int64_t l = s->shape[s->nd - 1], c = s->shape[s->nd - 2], b = s->nd > 2 ? s->shape[0] : 1;
    int64_t kn = 5, n = b * c * l, us[3] = {b, c, l}, ks[2] = {c, kn};
    int taps = kind == K_LONGCONV_K;
    int64_t nv = taps ? c * kn : n;
    double *v = tsc_alloc(x, (size_t)nv);
    if (!v)
        return;
    for (int64_t i = 0; i < nv; i++) {
        v[i] = tsc_uniform(x, -2, 2);
        int which = (int)((i / 11) % SP_COUNT);
        if (i % 11 == 3 && !excluded(kind, which))
            v[i] = special(dt, which);
    }
    tsc_arg *u = taps ? tsc_input(x, dt, 3, us, TSC_CONTIG, 0.25, 1)
                      : tsc_input_values(x, dt, 3, us, TSC_CONTIG, v);
    tsc_arg *k = !u     ? NULL
                 : taps ? tsc_input_values(x, dt, 2, ks, TSC_CONTIG, v)
                        : tsc_input(x, dt, 2, ks, TSC_CONTIG, 0.25, 1);
    tsc_arg *out = k ? tsc_output(x, dt, 3, us, TSC_CONTIG) : NULL;
    double *ref = tsc_alloc(x, (size_t)n), *mag = tsc_alloc(x, (size_t)n);
    ts_fftconv_params p;
    ts_fftconv_params_init(&p);
    p.path = TS_FFTCONV_DIRECT;
    if (!out || !ref || !mag || tsc_op_status(x, ts_fftconv(u->t, k->t, &p, out->t), "ts_fftconv"))
        return;
    conv_sums(u->v, k->v, b * c, c, l, kn, ref, mag);
    tsc_check_class(x, out, ref, mag, 0);
}

/* The left operand of a GEMM: uniform in [-2, 2), and one special per row
 * (NaN, +inf, -inf or a subnormal, in turn; -0 too beside the subnormal). */
static void row_specials(tsc_ctx *x, ts_dtype dt, double *v, int64_t rows, int64_t cols)
{
    for (int64_t i = 0; i < rows * cols; i++)
        v[i] = tsc_uniform(x, -2, 2);
    for (int64_t r = 0; r < rows; r++) {
        int which = r % 4 == 0 ? SP_NAN : r % 4 == 1 ? SP_PINF : r % 4 == 2 ? SP_NINF : SP_SUB;
        v[r * cols + (r * 7) % cols] = special(dt, which);
        if (r % 4 == 3)
            v[r * cols] = special(dt, SP_NZERO);
    }
}

/* matmul: IEEE leaves the order of the K-sum open (OpenBLAS, CLBlast and
 * the GPU tiles all differ), so the rule tested is the one every order
 * shares: a NaN in a[i, :] makes out[i, :] NaN, and a single +-inf in
 * a[i, :] against a strictly positive b makes out[i, :] that inf. */
static void run_matmul(tsc_ctx *x, ts_dtype dt, const tsc_spec *s)
{
    int64_t m = s->shape[s->nd - 2], kk = s->shape[s->nd - 1], nn = gemm_n(s);
    int64_t as[2] = {m, kk}, bs[2] = {kk, nn}, os[2] = {m, nn}, a4[4], b4[4];
    tsc_pad4(2, as, a4);
    tsc_pad4(2, bs, b4);
    double *av = tsc_alloc(x, (size_t)(m * kk));
    if (!av)
        return;
    row_specials(x, dt, av, m, kk);
    tsc_arg *a = tsc_input_values(x, dt, 2, as, TSC_IN0_LAYOUT(s->flags), av);
    tsc_arg *b = a ? tsc_input(x, dt, 2, bs, TSC_CONTIG, 0.5, 2) : NULL;
    tsc_arg *out = b ? tsc_output(x, dt, 2, os, TSC_CONTIG) : NULL;
    double *ref = tsc_alloc(x, (size_t)(m * nn)), *mag = tsc_alloc(x, (size_t)(m * nn));
    if (!out || !ref || !mag || tsc_op_status(x, ts_matmul(a->t, b->t, out->t), "ts_matmul"))
        return;
    ref_matmul(a->v, a4, b->v, b4, ref, mag);
    tsc_check_class(x, out, ref, mag, 0);
}

/* The grouped GEMM under the matmul rule, row by row: x [R, K] with row
 * r's specials placed as in run_matmul (row_specials), w [3, K, N] and bias [3, N]
 * positive and finite, groups of R/3 rows, an empty one, then R/3 rows
 * past offsets[3], which must be 0 whatever x holds there. */
static void run_grouped_matmul(tsc_ctx *x, ts_dtype dt, const tsc_spec *s)
{
    enum { E = 3 };
    int64_t kk = s->shape[s->nd - 1], rows = tsc_numel(s->nd, s->shape) / kk, g = rows / 3;
    int64_t nn = gemm_n(s);
    int64_t xs[2] = {rows, kk}, ws[3] = {E, kk, nn}, bs[2] = {E, nn}, os[2] = {rows, nn},
            es[1] = {E + 1};
    double offs[E + 1] = {0, (double)g, (double)g, (double)(2 * g)};
    double *xv = tsc_alloc(x, (size_t)(rows * kk));
    if (!xv)
        return;
    row_specials(x, dt, xv, rows, kk);
    tsc_arg *a = tsc_input_values(x, dt, 2, xs, TSC_CONTIG, xv);
    tsc_arg *w = a ? tsc_input(x, dt, 3, ws, TSC_CONTIG, 0.5, 2) : NULL;
    tsc_arg *bias = w ? tsc_input(x, dt, 2, bs, TSC_CONTIG, 0.5, 2) : NULL;
    tsc_arg *off = bias ? tsc_input_values(x, TS_I32, 1, es, TSC_CONTIG, offs) : NULL;
    tsc_arg *out = off ? tsc_output(x, dt, 2, os, TSC_CONTIG) : NULL;
    double *ref = tsc_alloc(x, (size_t)(rows * nn)), *mag = tsc_alloc(x, (size_t)(rows * nn));
    if (!out || !ref || !mag ||
        tsc_op_status(x, ts_grouped_matmul(a->t, w->t, off->t, bias->t, out->t),
                      "ts_grouped_matmul"))
        return;
    for (int64_t r = 0; r < rows; r++) {
        int e = r < g ? 0 : r < 2 * g ? 2 : -1; /* group 1 is empty */
        for (int64_t n = 0; n < nn; n++) {
            double acc = 0.0, m = 1e-3;
            for (int64_t k = 0; e >= 0 && k < kk; k++) {
                acc += a->v[r * kk + k] * w->v[(e * kk + k) * nn + n];
                m += fabs(a->v[r * kk + k] * w->v[(e * kk + k) * nn + n]);
            }
            ref[r * nn + n] = e >= 0 ? acc + bias->v[e * nn + n] : 0.0;
            mag[r * nn + n] = e >= 0 ? m + bias->v[e * nn + n] : m;
        }
    }
    tsc_check_class(x, out, ref, mag, 0);
}

static void run_glu(tsc_ctx *x, ts_dtype dt, const tsc_spec *s)
{
    int64_t n = tsc_numel(s->nd, s->shape);
    double *av = special_values(x, dt, K_GLU, n, 1);
    tsc_arg *a = av ? tsc_input_values(x, dt, s->nd, s->shape, TSC_IN0_LAYOUT(s->flags), av) : NULL;
    tsc_arg *b = a ? tsc_input(x, dt, s->nd, s->shape, TSC_CONTIG, -2, 2) : NULL;
    tsc_arg *out = b ? tsc_output(x, dt, s->nd, s->shape, TSC_CONTIG) : NULL;
    double *ref = tsc_alloc(x, (size_t)n), *mag = tsc_alloc(x, (size_t)n);
    if (!out || !ref || !mag || tsc_op_status(x, ts_glu(TS_GLU_SILU, a->t, b->t, out->t), "ts_glu"))
        return;
    ref_glu(TS_GLU_SILU, a->v, b->v, n, 1e-7, ref, mag);
    tsc_check_class(x, out, ref, mag, 0);
}

/* Attention: a query whose bias row is all -inf sees no key and gives
 * zeros and lse -inf (tiled and naive alike); a NaN in q, or one NaN
 * bias, makes its row and its lse NaN; an ordinary row is
 * softmax(q k^T / sqrt D + bias) v. B = H = 1, the spec's [Lq, Lk]: 9
 * query rows (at most 16: every backend's split-K decode path, in several
 * key ranges at 1100 keys) or 37 (the tiled kernels). With several ranges
 * some rows see keys in only some of them: row 5 none in the first half,
 * row 6 a NaN in the last sixth. With a soft cap (SP_SOFTCAP) rows 3 and
 * 8 get an infinity in q: infinite logits, finite after the cap. */
static void run_attention(tsc_ctx *x, int kind, ts_dtype dt, const tsc_spec *s)
{
    int64_t lq = s->shape[s->nd - 2], lk = s->shape[s->nd - 1], d = 8;
    int64_t qs[4] = {1, 1, lq, d}, ks[4] = {1, 1, lk, d}, bs[4] = {1, 1, lq, lk},
            ls[3] = {1, 1, lq};
    double *qv = tsc_alloc(x, (size_t)(lq * d)), *bv = tsc_alloc(x, (size_t)(lq * lk));
    if (!qv || !bv)
        return;
    for (int64_t i = 0; i < lq * d; i++)
        qv[i] = tsc_uniform(x, -1, 1);
    for (int64_t i = 0; i < lq * lk; i++)
        bv[i] = tsc_uniform(x, -1, 1);
    for (int64_t r = 0; r < lq; r++) {
        double *row = bv + r * lk;
        if (r % 3 == 1)
            for (int64_t c = 0; c < lk; c++)
                row[c] = -INFINITY;
        if (r % 3 == 2)
            row[r % lk] = -INFINITY; /* one key hidden */
        if (r % 6 == 5)
            for (int64_t c = 0; c < lk / 2; c++)
                row[c] = -INFINITY;
        if (r % 6 == 0 && r > 0)
            row[lk - 1 - lk / 6] = NAN;
    }
    qv[0] = NAN; /* row 0: NaN */
    double cap = (s->flags & SP_SOFTCAP) ? s->f[1] : 0.0;
    if (cap > 0 && lq > 8) {
        qv[3 * d + 1] = INFINITY;
        qv[8 * d + 2] = -INFINITY;
    }
    tsc_arg *q = tsc_input_values(x, dt, 4, qs, TSC_CONTIG, qv);
    tsc_arg *k = q ? tsc_input(x, dt, 4, ks, TSC_CONTIG, -1, 1) : NULL;
    tsc_arg *v = k ? tsc_input(x, dt, 4, ks, TSC_CONTIG, -1, 1) : NULL;
    tsc_arg *bias = v ? tsc_input_values(x, dt, 4, bs, TSC_CONTIG, bv) : NULL;
    tsc_arg *out = bias ? tsc_output(x, dt, 4, qs, TSC_CONTIG) : NULL;
    tsc_arg *lse = out ? tsc_output(x, TS_F32, 3, ls, TSC_CONTIG) : NULL;
    double *ref = tsc_alloc(x, (size_t)(lq * d)), *mag = tsc_alloc(x, (size_t)(lq * d));
    double *lse_ref = tsc_alloc(x, (size_t)lq), *lse_mag = tsc_alloc(x, (size_t)lq);
    double *p = tsc_alloc(x, (size_t)lk);
    if (!lse || !ref || !mag || !lse_ref || !lse_mag || !p)
        return;
    ts_attention_params prm;
    ts_attention_params_init(&prm);
    prm.bias = bias->t;
    prm.lse = lse->t;
    prm.softcap = (float)cap;
    ts_status st = kind == K_ATTENTION ? ts_attention(q->t, k->t, v->t, &prm, out->t)
                                       : ts_attention_naive(q->t, k->t, v->t, &prm, out->t);
    if (tsc_op_status(x, st, kind == K_ATTENTION ? "ts_attention" : "ts_attention_naive"))
        return;
    double scale = 1.0 / sqrt((double)d);
    for (int64_t r = 0; r < lq; r++) {
        for (int64_t c = 0; c < lk; c++) {
            double dot = 0.0;
            for (int64_t j = 0; j < d; j++)
                dot += q->v[r * d + j] * k->v[c * d + j];
            double sc = cap > 0 ? cap * tanh(scale * dot / cap) : scale * dot;
            p[c] = sc + bias->v[r * lk + c];
        }
        /* NaN from a NaN score (fmax would skip it), -inf when no key is seen. */
        double mx = -INFINITY, sum = 0.0;
        for (int64_t c = 0; c < lk; c++)
            mx = p[c] != p[c] || mx != mx ? NAN : fmax(mx, p[c]);
        for (int64_t c = 0; c < lk && isfinite(mx); c++)
            sum += exp(p[c] - mx);
        lse_ref[r] = isfinite(mx) ? mx + log(sum) : mx;
        lse_mag[r] = 1 + (isfinite(mx) ? fabs(lse_ref[r]) + fabs(mx) : 0); /* scores' rounding */
        ref_softmax(p, 1, 1, lk, 1.0, 0, p, NULL);
        for (int64_t j = 0; j < d; j++) {
            double o = 0.0, m = 0.0;
            for (int64_t c = 0; c < lk; c++) {
                o += p[c] * v->v[c * d + j];
                m += fabs(p[c] * v->v[c * d + j]);
            }
            ref[r * d + j] = o;
            mag[r * d + j] = m + 1e-3; /* the score error is absolute */
        }
    }
    if (!tsc_check_class(x, out, ref, mag, 0))
        tsc_check_class(x, lse, lse_ref, lse_mag, 0);
}

/* ts_fftconv's FFT and GEMM-DFT paths mix a whole row, so a special in u
 * may turn its row into NaN (docs/numerics.md); what they must not do is
 * let it reach another row. Rows 2, 5 and 7 of each batch get NaN, +inf
 * and -inf at t0 = 10, 20, 30; every other row must match the direct
 * sums, and a special row must be non-finite from t0 on for K taps (its
 * value is not judged elsewhere: those positions take the device's
 * value as the reference). */
static void run_longconv_rows(tsc_ctx *x, int kind, ts_dtype dt, const tsc_spec *s)
{
    /* Two batches at least: an even count of rows, which is where a
     * transform might pair them. */
    int64_t l = s->shape[s->nd - 1], c = s->shape[s->nd - 2], b = s->nd > 2 ? s->shape[0] : 2;
    int64_t kn = 5, n = b * c * l, us[3] = {b, c, l}, ks[2] = {c, kn};
    double *v = tsc_alloc(x, (size_t)n);
    if (!v)
        return;
    for (int64_t i = 0; i < n; i++)
        v[i] = tsc_uniform(x, -2, 2);
    for (int64_t r = 0; r < b * c; r++) {
        int64_t t0 = r % 9 == 2 ? 10 : r % 9 == 5 ? 20 : r % 9 == 7 ? 30 : -1;
        if (t0 >= 0 && t0 < l)
            v[r * l + t0] = r % 9 == 2 ? NAN : r % 9 == 5 ? INFINITY : -INFINITY;
    }
    tsc_arg *u = tsc_input_values(x, dt, 3, us, TSC_CONTIG, v);
    tsc_arg *k = u ? tsc_input(x, dt, 2, ks, TSC_CONTIG, 0.25, 1) : NULL;
    tsc_arg *out = k ? tsc_output(x, dt, 3, us, TSC_CONTIG) : NULL;
    double *ref = tsc_alloc(x, (size_t)n), *mag = tsc_alloc(x, (size_t)n);
    ts_fftconv_params p;
    ts_fftconv_params_init(&p);
    p.path = kind == K_LONGCONV_FFT ? TS_FFTCONV_FFT : TS_FFTCONV_MATMUL;
    if (!out || !ref || !mag ||
        tsc_op_status(x, ts_fftconv(u->t, k->t, &p, out->t), "ts_fftconv") || tsc_read(x, out))
        return;
    const double *got = out->v;
    conv_sums(u->v, k->v, b * c, c, l, kn, ref, mag);
    for (int64_t r = 0; r < b * c; r++) {
        int64_t t0 = -1;
        for (int64_t t = 0; t < l; t++)
            if (!isfinite(u->v[r * l + t]))
                t0 = t;
        for (int64_t t = 0; t < l && t0 >= 0; t++) {
            ref[r * l + t] = got[r * l + t];
            if (t >= t0 && t < t0 + kn && isfinite(got[r * l + t])) {
                tsc_fail(x, 1, "row %lld: finite output at t %lld, %lld after its special",
                         (long long)r, (long long)t, (long long)(t - t0));
                return;
            }
        }
    }
    tsc_check_class(x, out, ref, mag, 0);
}

/* scale_shift (2x - 1), copy and casts: one input with specials. Casts
 * round through f32 to nearest even (f32 -> f16 beyond 65520 is inf);
 * to i32 they truncate toward zero and saturate, NaN giving 0 (ops.h). */
static void run_convert(tsc_ctx *x, int kind, ts_dtype dt, const tsc_spec *s)
{
    static const ts_dtype target[] = {TS_F32, TS_F16, TS_BF16, TS_I32};
    ts_dtype odt = kind >= K_CAST_F32 ? target[kind - K_CAST_F32] : dt;
    int64_t n = tsc_numel(s->nd, s->shape);
    int parts = tsc_parts(dt);
    double *va = special_values(x, dt, kind, n, 1);
    tsc_arg *a = va ? tsc_input_values(x, dt, s->nd, s->shape, TSC_IN0_LAYOUT(s->flags), va) : NULL;
    tsc_arg *out = a ? tsc_output(x, odt, s->nd, s->shape, TSC_CONTIG) : NULL;
    double *ref = tsc_alloc(x, (size_t)(n * parts)), *mag = tsc_alloc(x, (size_t)n);
    if (!out || !ref || !mag)
        return;
    ts_status st = kind == K_SCALE_SHIFT ? ts_scale_shift(a->t, 2.0f, -1.0f, out->t)
                   : kind == K_COPY      ? ts_copy(a->t, out->t)
                                         : ts_cast(a->t, out->t);
    if (tsc_op_status(x, st, tsc_ctx_op(x)->name))
        return;
    if (kind == K_SCALE_SHIFT) {
        ref_scale_shift(a->v, n, 2.0, -1.0, ref, mag);
        tsc_check_class(x, out, ref, mag, 0);
        return;
    }
    for (int64_t i = 0; i < n * parts; i++) {
        double v = a->v[i];
        if (odt == TS_I32 && dt != TS_I32)
            v = isnan(v) ? 0.0 : fmax(-2147483648.0, fmin(2147483647.0, trunc(v)));
        ref[i] = v;
    }
    tsc_check_class(x, out, ref, NULL, dt == TS_C64 ? 0 : TSC_CLASS_SIGNED_ZERO);
}

/* fft of c64 rows: a NaN anywhere in a row makes every bin of it NaN
 * (inf is left out: inf * a twiddle's zero part is NaN or not by the
 * twiddle's rounding). */
static void run_fft(tsc_ctx *x, const tsc_spec *s)
{
    int64_t n = s->shape[s->nd - 1], rows = tsc_numel(s->nd, s->shape) / n;
    double *v = tsc_alloc(x, (size_t)(2 * rows * n));
    double *ref = tsc_alloc(x, (size_t)(2 * rows * n)), *mag = tsc_alloc(x, (size_t)(rows * n));
    if (!v || !ref || !mag)
        return;
    for (int64_t i = 0; i < 2 * rows * n; i++)
        v[i] = tsc_uniform(x, -1, 1);
    for (int64_t r = 0; r < rows; r += 2)
        v[2 * (r * n + (r * 5) % n) + (r / 2) % 2] = NAN;
    tsc_arg *in = tsc_input_values(x, TS_C64, s->nd, s->shape, TSC_IN0_LAYOUT(s->flags), v);
    tsc_arg *out = in ? tsc_output(x, TS_C64, s->nd, s->shape, TSC_CONTIG) : NULL;
    if (!out || tsc_op_status(x, ts_fft(in->t, TS_FFT_BACKWARD, out->t), "ts_fft"))
        return;
    ref_dft(in->v, rows, n, n, -1, 1.0, ref);
    for (int64_t r = 0; r < rows; r++) {
        double m = ref_fft_row_norm(in->v + 2 * r * n, n, 1) * (1.0 + log2((double)n));
        for (int64_t k = 0; k < n; k++)
            mag[r * n + k] = m;
    }
    tsc_check_class(x, out, ref, mag, 0);
}

static void run(tsc_ctx *x)
{
    int kind = tsc_ctx_op(x)->kind;
    ts_dtype dt = tsc_ctx_case(x)->dtype;
    const tsc_spec *s = tsc_ctx_spec(x);
    if (kind < K_SOFTMAX)
        run_elementwise(x, kind, dt, s);
    else if (kind <= K_TOPK)
        run_rows(x, kind, dt, s);
    else if (kind == K_GATHER || kind == K_SCATTER)
        run_index(x, kind, dt, s);
    else if (is_norm(kind))
        run_norm(x, kind, dt, s);
    else if (kind == K_CONV)
        run_conv(x, kind, dt, s);
    else if (kind == K_MATMUL)
        run_matmul(x, dt, s);
    else if (kind == K_GROUPED_MATMUL)
        run_grouped_matmul(x, dt, s);
    else if (kind == K_GLU)
        run_glu(x, dt, s);
    else if (kind == K_ATTENTION || kind == K_ATTENTION_NAIVE)
        run_attention(x, kind, dt, s);
    else if (kind == K_FFT)
        run_fft(x, s);
    else if (kind == K_LONGCONV || kind == K_LONGCONV_K)
        run_longconv(x, kind, dt, s);
    else if (kind == K_LONGCONV_FFT || kind == K_LONGCONV_MM)
        run_longconv_rows(x, kind, dt, s);
    else
        run_convert(x, kind, dt, s);
}

const tsc_family tsc_family_special = {
    .name = "special",
    .ops = ops,
    .n_ops = sizeof ops / sizeof ops[0],
    .specs = specs,
    .n_specs = sizeof specs / sizeof specs[0],
    .applies = applies,
    .run = run,
    .places_subnormals = 1,
};
