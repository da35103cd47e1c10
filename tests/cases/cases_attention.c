/* Cases of the attention layer: ts_attention (family "attention") and the
 * GAU / mixed-chunk FLASH layers (family "gau"), each against a float64
 * reference written as plain loops below.
 *
 * attention specs: shape = {B, Hq, Lq, D}; p[0] = Hkv, p[1] = Lk, p[2] =
 * softcap (0: none); shape2 = {Dv (0: D), window, causal offset}; f[0] =
 * the amplitude of q (30: huge logits), f[1] = scale (0: 1/sqrt(D)); the
 * family flags pick causal (and its alignment), key_len, bias, key mask,
 * gate and lse; TSC_LAY_IN0 / IN1 lay out q / k and v. Lengths are primes
 * or off by one from powers of two so no tile size divides them. With
 * key_len, batch b has a partial, zero or full key count (b % 3) and the
 * padding keys of k and v hold NaN: the kernels must never use them.
 * gau specs: shape = {B, n, d}; p[0] = e, p[1] = s, p[2] = chunk (flash). */
#include <math.h>

#include "family.h"

enum {
    F_CAUSAL = TSC_FLAG_FAMILY << 0,
    F_BIAS = TSC_FLAG_FAMILY << 1,     /* [Hq, Lq, Lk], broadcast over B */
    F_KEYBIAS = TSC_FLAG_FAMILY << 2,  /* [B, 1, 1, Lk] with -inf entries */
    F_MASK = TSC_FLAG_FAMILY << 3,     /* i32 [B, Lk], every 5th key hidden */
    F_MASKROW = TSC_FLAG_FAMILY << 4,  /* ... and all of batch 0 hidden */
    F_MASK1D = TSC_FLAG_FAMILY << 5,   /* mask [Lk], shared by the batch */
    F_GATE = TSC_FLAG_FAMILY << 6,
    F_LSE = TSC_FLAG_FAMILY << 7,
    F_TOPLEFT = TSC_FLAG_FAMILY << 8, /* causal_align TS_CAUSAL_TOP_LEFT */
    F_OFFSET = TSC_FLAG_FAMILY << 9,  /* TS_CAUSAL_OFFSET, shape2[2] */
    F_KEYLEN = TSC_FLAG_FAMILY << 10, /* key_len [B]: partial, 0, full (b % 3) */
    F_NAIVE = TSC_FLAG_FAMILY << 11,  /* a quick spec attention_naive runs too */
    F_SHORTKL = TSC_FLAG_FAMILY << 12, /* key_len: the partial one 1..5 keys */
};

/* shape2 of a spec: Dv, window, causal offset. */
#define X2(dv, w, off) 3, {dv, w, off, 0}

#define T_Q TSC_LAY_IN0(TSC_TRANSPOSED)
#define T_KV TSC_LAY_IN1(TSC_TRANSPOSED)

/* attention_naive (the O(L^2) baseline tessel-bench compares with, and
 * ts_attention's fallback on a device without its kernel) gets the --full
 * specs and the quick ones marked F_NAIVE (few: each builds matmul,
 * softmax and elementwise kernels on PoCL / lavapipe) in f32 (in f16 /
 * bf16 its materialized scores round too coarsely for the tiled kernel's
 * tolerance). */
static const tsc_op_entry attn_ops[] = {{"attention", 0, TSC_FLOATS},
                                        {"attention_naive", 1, TSC_DT(TS_F32)}};

/* Each Dv is another kernel variant to build (its own constant), so the
 * quick Dv specs run in f32 only; the --full ones in every dtype. The
 * naive baseline's key_len path (a slice per batch, shapes that differ by
 * batch) builds many matmul variants: --full only. */
static int attn_applies(const tsc_op_entry *op, ts_dtype dtype, const tsc_spec *s)
{
    if (op->kind == 0)
        return s->full_only || s->nd2 == 0 || s->shape2[0] == 0 || dtype == TS_F32;
    return s->full_only || (s->flags & F_NAIVE);
}

static const tsc_spec attn_specs[] = {
    /* Quick: D 32 and 64 only, so PoCL and lavapipe build few variants. */
    {"1x2x17x32 Lk23 causal", 4, {1, 2, 17, 32}, 0, {0}, {2, 23}, {1, 0}, F_CAUSAL, 0},
    {"2x4x1x64 GQA Lk70 decode lse", 4, {2, 4, 1, 64}, 0, {0}, {2, 70}, {1, 0},
     F_CAUSAL | F_LSE, 0},
    {"1x2x40x64 Lk23 causal Lq>Lk lse", 4, {1, 2, 40, 64}, 0, {0}, {2, 23}, {1, 0},
     F_CAUSAL | F_LSE, 0},
    {"2x2x19x64 MQA Lk31 bias gate mask lse", 4, {2, 2, 19, 64}, 0, {0}, {1, 31}, {1, 0},
     F_BIAS | F_GATE | F_MASK | F_LSE, 0},
    {"2x1x19x32 Lk23 masked batch lse", 4, {2, 1, 19, 32}, 0, {0}, {1, 23}, {1, 0},
     F_MASK | F_MASKROW | F_LSE | F_NAIVE, 0},
    {"1x2x33x64 Lk33 causal logits x30", 4, {1, 2, 33, 64}, 0, {0}, {2, 33}, {30, 0},
     F_CAUSAL, 0},
    {"1x1x5x32 Lk9 key bias scale 0.3", 4, {1, 1, 5, 32}, 0, {0}, {1, 9}, {1, 0.3},
     F_KEYBIAS | F_LSE, 0},
    {"1x2x7x64 Lk11 T(q) T(k,v) causal", 4, {1, 2, 7, 64}, 0, {0}, {2, 11}, {1, 0},
     F_CAUSAL | T_Q | T_KV, 0},
    {"2x2x17x32 Lk23 B(k,v) causal", 4, {2, 2, 17, 32}, 0, {0}, {2, 23}, {1, 0},
     F_CAUSAL | TSC_LAY_IN1(TSC_BROADCAST), 0},
    {"1x2x3x32 Lk0 lse", 4, {1, 2, 3, 32}, 0, {0}, {2, 0}, {1, 0}, F_LSE, 0},
    {"1x2x0x32 Lk5", 4, {1, 2, 0, 32}, 0, {0}, {2, 5}, {1, 0}, 0, 0},
    /* The features of issue 12: key_len, alignment, window, softcap, Dv.
     * Lengths 17..63 keep the GPU tiles at 32 x 32, so PoCL and lavapipe
     * build few kernel variants (--full varies them). */
    {"3x2x17x32 Lk21 key_len lse", 4, {3, 2, 17, 32}, 0, {0}, {2, 21}, {1, 0}, F_KEYLEN | F_LSE,
     0},
    {"3x4x1x64 GQA Lk70 decode key_len causal lse", 4, {3, 4, 1, 64}, 0, {0}, {2, 70}, {1, 0},
     F_KEYLEN | F_CAUSAL | F_LSE, 0},
    {"3x2x19x32 Lk29 key_len causal lse", 4, {3, 2, 19, 32}, 0, {0}, {2, 29}, {1, 0},
     F_KEYLEN | F_CAUSAL | F_LSE, 0},
    {"1x2x17x32 Lk23 causal top-left lse", 4, {1, 2, 17, 32}, 0, {0}, {2, 23}, {1, 0},
     F_CAUSAL | F_TOPLEFT | F_LSE, 0},
    {"1x2x17x32 Lk23 causal offset +9", 4, {1, 2, 17, 32}, X2(0, 0, 9), {2, 23}, {1, 0},
     F_CAUSAL | F_OFFSET, 0},
    {"1x2x17x32 Lk23 causal offset -5 lse", 4, {1, 2, 17, 32}, X2(0, 0, -5), {2, 23}, {1, 0},
     F_CAUSAL | F_OFFSET | F_LSE | F_NAIVE, 0},
    {"1x2x40x32 Lk45 window 1 lse", 4, {1, 2, 40, 32}, X2(0, 1, 0), {2, 45}, {1, 0}, F_LSE, 0},
    {"1x2x37x64 Lk45 window 7", 4, {1, 2, 37, 64}, X2(0, 7, 0), {2, 45}, {1, 0}, F_NAIVE, 0},
    {"3x2x19x32 Lk23 window 100 key_len lse", 4, {3, 2, 19, 32}, X2(0, 100, 0), {2, 23}, {1, 0},
     F_KEYLEN | F_LSE, 0},
    {"3x2x33x64 Lk40 window 9 top-left key_len mask lse", 4, {3, 2, 33, 64}, X2(0, 9, 0),
     {2, 40}, {1, 0}, F_TOPLEFT | F_KEYLEN | F_MASK | F_LSE, 0},
    {"1x2x33x32 Lk33 softcap 5 logits x30 lse", 4, {1, 2, 33, 32}, 0, {0}, {2, 33, 5}, {30, 0},
     F_LSE, 0},
    {"2x4x19x64 GQA Lk31 softcap 20 causal bias gate", 4, {2, 4, 19, 64}, 0, {0}, {2, 31, 20},
     {30, 0}, F_CAUSAL | F_BIAS | F_GATE | F_NAIVE, 0},
    {"1x2x19x64 Dv32 Lk31 causal gate lse", 4, {1, 2, 19, 64}, X2(32, 0, 0), {2, 31}, {1, 0},
     F_CAUSAL | F_GATE | F_LSE | F_NAIVE, 0},
    {"3x2x17x32 Dv64 Lk23 key_len window 4 offset 2", 4, {3, 2, 17, 32}, X2(64, 4, 2), {1, 23},
     {1, 0}, F_KEYLEN | F_OFFSET | F_LSE, 0},
    /* Full: every head dim of the issue (80, 96, 128, 256 too), longer. */
    {"1x2x29x80 Lk13 causal Lq>Lk lse", 4, {1, 2, 29, 80}, 0, {0}, {2, 13}, {1, 0},
     F_CAUSAL | F_LSE, 1},
    {"2x1x9x96 Lk12 masked batch lse", 4, {2, 1, 9, 96}, 0, {0}, {1, 12}, {1, 0},
     F_MASK | F_MASKROW | F_LSE, 1},
    {"1x2x33x128 Lk33 causal logits x30", 4, {1, 2, 33, 128}, 0, {0}, {2, 33}, {30, 0},
     F_CAUSAL, 1},
    {"1x1x5x256 Lk9 key bias scale 0.3", 4, {1, 1, 5, 256}, 0, {0}, {1, 9}, {1, 0.3},
     F_KEYBIAS | F_LSE, 1},
    {"1x2x100x256 Lk77 causal", 4, {1, 2, 100, 256}, 0, {0}, {2, 77}, {1, 0}, F_CAUSAL, 1},
    {"2x8x130x64 GQA Lk130 causal T(q)", 4, {2, 8, 130, 64}, 0, {0}, {2, 130}, {1, 0},
     F_CAUSAL | T_Q, 1},
    {"1x4x257x32 Lk513 causal bias lse", 4, {1, 4, 257, 32}, 0, {0}, {4, 513}, {1, 0},
     F_CAUSAL | F_BIAS | F_LSE, 1},
    {"1x2x300x128 Lk200 mask gate lse x30", 4, {1, 2, 300, 128}, 0, {0}, {2, 200}, {30, 0},
     F_MASK | F_GATE | F_LSE, 1},
    {"1x3x97x96 Lk1000 causal", 4, {1, 3, 97, 96}, 0, {0}, {3, 1000}, {1, 0}, F_CAUSAL, 1},
    {"1x2x1x80 Lk4099 decode bias", 4, {1, 2, 1, 80}, 0, {0}, {1, 4099}, {1, 0}, F_BIAS, 1},
    {"2x2x200x48 Lk200 causal mask1d", 4, {2, 2, 200, 48}, 0, {0}, {2, 200}, {1, 0},
     F_CAUSAL | F_MASK | F_MASK1D, 1},
    {"1x2x65x64 Dv128 Lk130 causal lse", 4, {1, 2, 65, 64}, X2(128, 0, 0), {2, 130}, {1, 0},
     F_CAUSAL | F_LSE, 1},
    {"1x2x45x80 Dv32 Lk77 window 16", 4, {1, 2, 45, 80}, X2(32, 16, 0), {2, 77}, {1, 0}, 0, 1},
    {"3x8x1x128 GQA decode Lk1000 key_len softcap 50 lse", 4, {3, 8, 1, 128}, 0, {0},
     {2, 1000, 50}, {30, 0}, F_KEYLEN | F_CAUSAL | F_LSE, 1},
    {"3x2x200x64 Lk300 key_len offset -20 window 50 lse", 4, {3, 2, 200, 64}, X2(0, 50, -20),
     {2, 300}, {1, 0}, F_KEYLEN | F_OFFSET | F_LSE, 1},
    {"1x2x100x256 Dv64 Lk150 top-left causal softcap 30 x30", 4, {1, 2, 100, 256}, X2(64, 0, 0),
     {2, 150, 30}, {30, 0}, F_CAUSAL | F_TOPLEFT, 1},
    {"2x4x130x96 GQA Dv40 Lk97 window 33 offset 40 key_len gate", 4, {2, 4, 130, 96},
     X2(40, 33, 40), {2, 97}, {1, 0}, F_KEYLEN | F_OFFSET | F_GATE | F_LSE, 1},
};

typedef struct attn_shape {
    int64_t b, hq, hkv, lq, lk, d, dv;
} attn_shape;

typedef struct attn_in {
    const double *q, *k, *v, *bias, *gate, *mask;
    const double *key_len; /* [B] or NULL */
    int64_t bias_stride[4]; /* element strides of bias over [B, Hq, Lq, Lk], 0 = broadcast */
    int64_t mask_bstride;
    double scale, softcap;
    int causal, align;
    int64_t offset, window;
} attn_in;

/* Whether query i of batch b sees key c (include/tessel/attention.h),
 * written from the public header's words, not from core/op.h. */
static int ref_visible(const attn_shape *s, const attn_in *in, int64_t b, int64_t i, int64_t c)
{
    int64_t kl = in->key_len ? (int64_t)in->key_len[b] : s->lk;
    if (c >= kl)
        return 0;
    int64_t off = in->align == TS_CAUSAL_BOTTOM_RIGHT ? kl - s->lq
                  : in->align == TS_CAUSAL_TOP_LEFT   ? 0
                                                      : in->offset;
    if ((in->causal || in->window > 0) && c > i + off)
        return 0;
    if (in->window > 0 && c <= i + off - in->window)
        return 0;
    return !in->mask || in->mask[b * in->mask_bstride + c] != 0;
}

/* Row (b, h, i): o[d], mag[d] (the error scale: probability-weighted |v|
 * and |o|, each key weighted by 1 + the size of its logit's terms, which
 * is what the f32 rounding of a score grows with), and lse. */
static void ref_attention_row(const attn_shape *s, const attn_in *in, int64_t b, int64_t h,
                              int64_t i, double *sc, double *amp, double *o, double *mag,
                              double *lse)
{
    int64_t g = h / (s->hq / s->hkv), d = s->d, dv = s->dv;
    const double *qr = in->q + ((b * s->hq + h) * s->lq + i) * d;
    double m = -INFINITY;
    for (int64_t c = 0; c < s->lk; c++) {
        /* Hidden keys are never read: past key_len they hold NaN. */
        sc[c] = -INFINITY;
        amp[c] = 0;
        if (!ref_visible(s, in, b, i, c))
            continue;
        const double *kr = in->k + ((b * s->hkv + g) * s->lk + c) * d;
        double dot = 0, a = 0;
        for (int64_t x = 0; x < d; x++) {
            dot += qr[x] * kr[x];
            a += fabs(qr[x] * kr[x]);
        }
        dot *= in->scale;
        a *= fabs(in->scale);
        if (in->softcap > 0) {
            /* An error in the argument shrinks by tanh's slope 1 - t^2;
             * tanh's own rounding is relative to the cap. */
            double t = tanh(dot / in->softcap);
            dot = in->softcap * t;
            a = a * (1 - t * t) + in->softcap;
        }
        if (in->bias) {
            const int64_t *bs = in->bias_stride;
            double bv = in->bias[b * bs[0] + h * bs[1] + i * bs[2] + c * bs[3]];
            dot += bv;
            a += fabs(bv);
        }
        sc[c] = dot;
        amp[c] = a;
        if (sc[c] > m)
            m = sc[c];
    }
    double l = 0;
    for (int64_t c = 0; c < s->lk; c++) {
        sc[c] = m == -INFINITY ? 0 : exp(sc[c] - m);
        l += sc[c];
    }
    *lse = l > 0 ? m + log(l) : -INFINITY;
    for (int64_t x = 0; x < dv; x++) {
        double acc = 0, mg = 0;
        for (int64_t c = 0; c < s->lk; c++)
            if (sc[c] != 0)
                acc += sc[c] * in->v[((b * s->hkv + g) * s->lk + c) * dv + x];
        o[x] = l > 0 ? acc / l : 0;
        for (int64_t c = 0; c < s->lk; c++) {
            if (sc[c] == 0)
                continue;
            double vv = fabs(in->v[((b * s->hkv + g) * s->lk + c) * dv + x]);
            mg += sc[c] / l * (vv + fabs(o[x])) * (1 + amp[c]);
        }
        mag[x] = mg;
        if (in->gate) {
            double gs = 1 / (1 + exp(-in->gate[((b * s->hq + h) * s->lq + i) * dv + x]));
            o[x] *= gs;
            mag[x] *= gs;
        }
    }
}

static double *mask_values(tsc_ctx *x, const attn_shape *s, unsigned flags, int64_t *n)
{
    int64_t rows = (flags & F_MASK1D) ? 1 : s->b;
    *n = rows * s->lk;
    double *m = tsc_alloc(x, (size_t)(*n > 0 ? *n : 1));
    if (!m)
        return NULL;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < s->lk; c++)
            m[r * s->lk + c] = ((r * s->lk + c) % 5 == 3 || ((flags & F_MASKROW) && r == 0)) ? 0 : 1;
    return m;
}

/* Every 7th key of each batch gets -inf, the rest small values. */
static double *key_bias_values(tsc_ctx *x, const attn_shape *s)
{
    double *v = tsc_alloc(x, (size_t)(s->b * s->lk > 0 ? s->b * s->lk : 1));
    if (!v)
        return NULL;
    for (int64_t i = 0; i < s->b * s->lk; i++)
        v[i] = i % 7 == 2 ? -INFINITY : tsc_uniform(x, -2, 2);
    return v;
}

/* key_len per batch: partial (1..Lk-1, or 1..5 with F_SHORTKL), 0, full,
 * by b % 3. */
static double *key_len_values(tsc_ctx *x, const attn_shape *s, unsigned flags)
{
    double *kl = tsc_alloc(x, (size_t)s->b + 1);
    if (!kl)
        return NULL;
    int64_t most = (flags & F_SHORTKL) && s->lk > 6 ? 5 : s->lk - 1;
    for (int64_t b = 0; b < s->b; b++)
        kl[b] = b % 3 == 1 ? 0 : b % 3 == 2 || s->lk < 2 ? (double)s->lk
                                                         : (double)tsc_rand_int(x, 1, most);
    return kl;
}

/* k or v [B, Hkv, Lk, D]: uniform in [-1, 1), and with key_len NaN in
 * every key at and past key_len[b] (a padded cache's unused slots). */
static tsc_arg *kv_input(tsc_ctx *x, ts_dtype dt, const int64_t *shape, tsc_layout lay,
                         const double *kl)
{
    if (!kl)
        return tsc_input(x, dt, 4, shape, lay, -1, 1);
    int64_t n = tsc_numel(4, shape), per_b = n / shape[0], row = shape[3];
    double *v = tsc_alloc(x, (size_t)n + 1);
    if (!v)
        return NULL;
    for (int64_t e = 0; e < n; e++) {
        int64_t b = e / per_b, key = e / row % shape[2];
        v[e] = key >= (int64_t)kl[b] ? NAN : tsc_uniform(x, -1, 1);
    }
    return tsc_input_values(x, dt, 4, shape, lay, v);
}

static int check_lse(tsc_ctx *x, tsc_arg *lse, const double *ref, const double *amp)
{
    double tol, floor;
    tsc_tolerance("attention", TS_F32, &tol, &floor);
    size_t bytes = (size_t)lse->numel * sizeof(float);
    float *got = (float *)tsc_alloc(x, (size_t)lse->numel / 2 + 1);
    if (!got)
        return 1;
    if (tsc_op_status(x, ts_tensor_read(lse->t, got, bytes), "ts_tensor_read"))
        return 1;
    for (int64_t i = 0; i < lse->numel; i++) {
        double g = got[i], want = ref[i];
        int ok = isinf(want) ? g == want : fabs(g - want) <= tol * (1 + fabs(want) + amp[i]);
        if (!ok) {
            tsc_fail(x, 1, "lse[%lld] is %.9g, expected %.9g", (long long)i, g, want);
            return 1;
        }
    }
    return 0;
}

static void attn_reference(tsc_ctx *x, const attn_shape *s, const attn_in *in, double *o,
                           double *mag, double *lse, double *lse_amp)
{
    double *sc = tsc_alloc(x, (size_t)(s->lk + 1)), *amp = tsc_alloc(x, (size_t)(s->lk + 1));
    if (!sc || !amp)
        return;
    for (int64_t b = 0; b < s->b; b++)
        for (int64_t h = 0; h < s->hq; h++)
            for (int64_t i = 0; i < s->lq; i++) {
                int64_t row = (b * s->hq + h) * s->lq + i;
                ref_attention_row(s, in, b, h, i, sc, amp, o + row * s->dv, mag + row * s->dv,
                                  &lse[row]);
                double am = 0;
                for (int64_t c = 0; c < s->lk; c++)
                    am = sc[c] > 0 && amp[c] > am ? amp[c] : am;
                lse_amp[row] = am;
            }
}

static void run_attention(tsc_ctx *x)
{
    const tsc_case *c = tsc_ctx_case(x);
    const tsc_spec *sp = tsc_ctx_spec(x);
    ts_dtype dt = c->dtype;
    unsigned f = sp->flags;
    int naive = tsc_ctx_op(x)->kind == 1;
    attn_shape s = {sp->shape[0], sp->shape[1], sp->p[0], sp->shape[2],
                    sp->p[1], sp->shape[3], sp->shape2[0] ? sp->shape2[0] : sp->shape[3]};
    int64_t qs[4] = {s.b, s.hq, s.lq, s.d}, ks[4] = {s.b, s.hkv, s.lk, s.d};
    int64_t vs[4] = {s.b, s.hkv, s.lk, s.dv}, os[4] = {s.b, s.hq, s.lq, s.dv};
    double amp = sp->f[0];
    double *kl = (f & F_KEYLEN) ? key_len_values(x, &s, f) : NULL;
    if ((f & F_KEYLEN) && !kl)
        return;
    tsc_arg *q = tsc_input(x, dt, 4, qs, TSC_IN0_LAYOUT(f), -amp, amp);
    tsc_arg *k = q ? kv_input(x, dt, ks, TSC_IN1_LAYOUT(f), kl) : NULL;
    tsc_arg *v = k ? kv_input(x, dt, vs, TSC_IN1_LAYOUT(f), kl) : NULL;
    tsc_arg *out = v ? tsc_output(x, dt, 4, os, TSC_CONTIG) : NULL;
    if (!out)
        return;
    ts_attention_params p;
    ts_attention_params_init(&p);
    p.scale = (float)sp->f[1];
    p.causal = (f & F_CAUSAL) != 0;
    p.causal_align = (f & F_TOPLEFT)  ? TS_CAUSAL_TOP_LEFT
                     : (f & F_OFFSET) ? TS_CAUSAL_OFFSET
                                      : TS_CAUSAL_BOTTOM_RIGHT;
    p.causal_offset = sp->shape2[2];
    p.window = sp->shape2[1];
    p.softcap = (float)sp->p[2];
    attn_in in = {.q = q->v, .k = k->v, .v = v->v, .causal = p.causal, .align = p.causal_align,
                  .offset = p.causal_offset, .window = p.window, .softcap = p.softcap};
    in.scale = p.scale != 0.0f ? (double)p.scale : 1.0 / sqrt((double)s.d);
    if (kl) {
        int64_t bs[1] = {s.b};
        tsc_arg *kla = tsc_input_values(x, TS_I32, 1, bs, TSC_CONTIG, kl);
        if (!kla)
            return;
        p.key_len = kla->t;
        in.key_len = kla->v;
    }
    if (f & F_BIAS) {
        int64_t bs[3] = {s.hq, s.lq, s.lk};
        tsc_arg *bias = tsc_input(x, dt, 3, bs, TSC_CONTIG, -2, 2);
        if (!bias)
            return;
        p.bias = bias->t;
        in.bias = bias->v;
        in.bias_stride[1] = s.lq * s.lk;
        in.bias_stride[2] = s.lk;
        in.bias_stride[3] = 1;
    } else if (f & F_KEYBIAS) {
        int64_t bs[4] = {s.b, 1, 1, s.lk};
        double *vals = key_bias_values(x, &s);
        tsc_arg *bias = vals ? tsc_input_values(x, dt, 4, bs, TSC_CONTIG, vals) : NULL;
        if (!bias)
            return;
        p.bias = bias->t;
        in.bias = bias->v;
        in.bias_stride[0] = s.lk;
        in.bias_stride[3] = 1;
    }
    if (f & F_MASK) {
        int64_t n, ms[2] = {s.b, s.lk};
        double *vals = mask_values(x, &s, f, &n);
        int nd = (f & F_MASK1D) ? 1 : 2;
        tsc_arg *mask = vals ? tsc_input_values(x, TS_I32, nd, nd == 1 ? ms + 1 : ms, TSC_CONTIG,
                                                vals)
                             : NULL;
        if (!mask)
            return;
        p.key_mask = mask->t;
        in.mask = mask->v;
        in.mask_bstride = nd == 1 ? 0 : s.lk;
    }
    if (f & F_GATE) {
        tsc_arg *gate = tsc_input(x, dt, 4, os, TSC_CONTIG, -3, 3);
        if (!gate)
            return;
        p.gate = gate->t;
        in.gate = gate->v;
    }
    tsc_arg *lse = NULL;
    if (f & F_LSE) {
        lse = tsc_output(x, TS_F32, 3, qs, TSC_CONTIG);
        if (!lse)
            return;
        p.lse = lse->t;
    }
    ts_status st = naive ? ts_attention_naive(q->t, k->t, v->t, &p, out->t)
                         : ts_attention(q->t, k->t, v->t, &p, out->t);
    if (tsc_op_status(x, st, naive ? "ts_attention_naive" : "ts_attention"))
        return;
    int64_t rows = s.b * s.hq * s.lq;
    double *ref = tsc_alloc(x, (size_t)out->numel + 1), *mag = tsc_alloc(x, (size_t)out->numel + 1);
    double *lref = tsc_alloc(x, (size_t)rows + 1), *lamp = tsc_alloc(x, (size_t)rows + 1);
    if (!ref || !mag || !lref || !lamp)
        return;
    attn_reference(x, &s, &in, ref, mag, lref, lamp);
    if (tsc_check(x, out, ref, mag) == 0 && lse)
        check_lse(x, lse, lref, lamp);
}

const tsc_family tsc_family_attention = {
    .name = "attention",
    .ops = attn_ops,
    .n_ops = 2,
    .specs = attn_specs,
    .n_specs = sizeof attn_specs / sizeof attn_specs[0],
    .applies = attn_applies,
    .run = run_attention,
};

/* ---- decode-shaped attention (family "attention_decode") --------------------
 * Few query rows per kv head (Lq = 1 or a few speculative tokens, times
 * Hq/Hkv) against long keys, so the CPU backend takes its split-K
 * flash-decoding path (backend-cpu/cpu_attention_decode.c, up to 16 rows
 * per kv head) and the GPU backends theirs (backend-gpu/gpu_attention.c).
 * Lengths are primes or odd so no split, block or tile divides them; the
 * short-key_len cases leave most split ranges with nothing to see; one case
 * has 18 rows (the main kernel) for the boundary. Same spec layout, runner and reference as
 * the attention family above; f[0] is q's amplitude. */
static const tsc_op_entry dec_ops[] = {{"attention", 0, TSC_FLOATS}};

static const tsc_spec dec_specs[] = {
    /* Quick: D 32 and 64 (few GPU variants). */
    {"decode 1x32x1x64 GQA8 Lk1531 lse", 4, {1, 32, 1, 64}, 0, {0}, {8, 1531}, {1}, F_LSE, 0},
    {"decode 2x32x2x64 GQA8 Lk1109 key_len causal lse", 4, {2, 32, 2, 64}, 0, {0}, {8, 1109},
     {1}, F_KEYLEN | F_CAUSAL | F_LSE, 0},
    {"decode 3x8x2x32 GQA2 Lk777 key_len bias mask gate softcap 30 lse", 4, {3, 8, 2, 32}, 0,
     {0}, {2, 777, 30}, {8}, F_KEYLEN | F_BIAS | F_MASK | F_GATE | F_LSE, 0},
    {"decode 3x8x1x64 GQA8 Lk2000 short key_len lse", 4, {3, 8, 1, 64}, 0, {0}, {1, 2000}, {1},
     F_KEYLEN | F_SHORTKL | F_LSE, 0},
    {"decode 1x4x4x64 MQA Lk1000 offset 990 window 300 lse", 4, {1, 4, 4, 64}, X2(0, 300, 990),
     {1, 1000}, {1}, F_CAUSAL | F_OFFSET | F_LSE, 0},
    {"decode 2x4x2x32 Dv64 Lk600 key_len top-left causal gate", 4, {2, 4, 2, 32}, X2(64, 0, 0),
     {2, 600}, {1}, F_KEYLEN | F_TOPLEFT | F_CAUSAL | F_GATE, 0},
    /* GPU split-K: a 12-row block of 4 heads x 3 queries, whose window
     * leaves most key chunks with nothing to see. */
    {"decode 2x8x3x32 GQA4 Lk517 window 40 key_len causal lse", 4, {2, 8, 3, 32},
     X2(0, 40, 0), {2, 517}, {1}, F_KEYLEN | F_CAUSAL | F_LSE, 0},
    /* Full: the bench's head size, the largest D, the 16 / 18 row edge. */
    {"decode 1x32x1x128 GQA8 Lk4099 lse", 4, {1, 32, 1, 128}, 0, {0}, {8, 4099}, {1}, F_LSE, 1},
    {"decode 3x32x2x128 GQA8 Lk3001 key_len causal bias lse x8", 4, {3, 32, 2, 128}, 0, {0},
     {8, 3001}, {8}, F_KEYLEN | F_CAUSAL | F_BIAS | F_LSE, 1},
    {"decode 1x16x1x256 Dv256 MQA Lk2049 window 1000 lse", 4, {1, 16, 1, 256}, X2(256, 1000, 0),
     {1, 2049}, {1}, F_CAUSAL | F_LSE, 1},
    {"decode 2x8x2x80 GQA8 Dv48 Lk1537 key_len mask gate softcap 20", 4, {2, 8, 2, 80},
     X2(48, 0, 0), {1, 1537, 20}, {8}, F_KEYLEN | F_MASK | F_GATE, 1},
    {"decode 1x2x9x64 18 rows Lk1301 causal lse", 4, {1, 2, 9, 64}, 0, {0}, {1, 1301}, {1},
     F_CAUSAL | F_LSE, 1},
};

const tsc_family tsc_family_attention_decode = {
    .name = "attention_decode",
    .ops = dec_ops,
    .n_ops = 1,
    .specs = dec_specs,
    .n_specs = sizeof dec_specs / sizeof dec_specs[0],
    .run = run_attention,
};

/* ---- GAU and FLASH ----------------------------------------------------------- */

static const tsc_op_entry gau_ops[] = {{"gau", 0, TSC_FLOATS}, {"flash", 1, TSC_FLOATS}};

static const tsc_spec gau_specs[] = {
    {"2x13x16 e32 s8 causal", 3, {2, 13, 16}, 0, {0}, {32, 8, 0}, {0}, F_CAUSAL, 0},
    {"1x20x8 e16 s4 bias", 3, {1, 20, 8}, 0, {0}, {16, 4, 0}, {0}, F_BIAS, 0},
    {"2x37x16 e32 s8 C8 causal", 3, {2, 37, 16}, 0, {0}, {32, 8, 8}, {0}, F_CAUSAL, 0},
    {"1x24x8 e16 s8 C6", 3, {1, 24, 8}, 0, {0}, {16, 8, 6}, {0}, 0, 0},
    {"2x300x32 e64 s16 C64 causal", 3, {2, 300, 32}, 0, {0}, {64, 16, 64}, {0}, F_CAUSAL, 1},
    {"1x129x24 e48 s16 C32", 3, {1, 129, 24}, 0, {0}, {48, 16, 32}, {0}, 0, 1},
};

static int gau_applies(const tsc_op_entry *op, ts_dtype dtype, const tsc_spec *s)
{
    /* gau: the specs without a chunk; flash: those with one (no bias). */
    return op->kind == 0 ? s->p[2] == 0 : s->p[2] > 0 && !(s->flags & F_BIAS);
}

typedef struct gau_ref {
    int64_t b, n, d, e, s, chunk;
    int causal, flash;
    const double *x, *w_in, *w_out, *gamma, *beta, *bias; /* bias [n, n] or NULL */
} gau_ref;

/* relu^2 kernel weight of key j for query i, or 0 when it does not apply;
 * *lin the linear weight. */
static void gau_weights(const gau_ref *r, const double *qk4, int64_t i, int64_t j, double *quad,
                        double *lin)
{
    int64_t s = r->s, n = r->n;
    const double *qi = qk4 + i * 4 * s, *kj = qk4 + j * 4 * s;
    *quad = *lin = 0;
    int64_t ci = r->flash ? i / r->chunk : 0, cj = r->flash ? j / r->chunk : 0;
    if (ci == cj && (!r->causal || j <= i)) {
        double dot = 0;
        for (int64_t t = 0; t < s; t++)
            dot += qi[t] * kj[s + t];
        dot /= r->flash ? (double)r->chunk : (double)n;
        if (r->bias)
            dot += r->bias[i * n + j];
        *quad = dot > 0 ? dot * dot : 0;
    }
    if (r->flash && (r->causal ? cj < ci : 1)) {
        double dot = 0;
        for (int64_t t = 0; t < s; t++)
            dot += qi[2 * s + t] * kj[3 * s + t];
        *lin = dot / (double)n;
    }
}

/* One batch: out[n, d], mag[n, d]. Scratch: h[n, 2e+s], qk4[n, 4, s],
 * av[n, e], avm[n, e]. */
static void ref_gau_batch(const gau_ref *r, const double *x, double *h, double *qk4, double *av,
                          double *avm, double *out, double *mag)
{
    int64_t n = r->n, d = r->d, e = r->e, s = r->s, w = 2 * e + s;
    for (int64_t i = 0; i < n; i++) {
        const double *xr = x + i * d;
        double mean = 0, var = 0;
        for (int64_t t = 0; t < d; t++)
            mean += xr[t];
        mean /= (double)d;
        for (int64_t t = 0; t < d; t++)
            var += (xr[t] - mean) * (xr[t] - mean);
        double rstd = 1 / sqrt(var / (double)d + 1e-5);
        for (int64_t col = 0; col < w; col++) {
            double acc = 0;
            for (int64_t t = 0; t < d; t++)
                acc += (xr[t] - mean) * rstd * r->w_in[t * w + col];
            h[i * w + col] = acc / (1 + exp(-acc));
        }
        for (int64_t row = 0; row < 4; row++)
            for (int64_t t = 0; t < s; t++)
                qk4[(i * 4 + row) * s + t] = row < (r->flash ? 4 : 2)
                                                 ? h[i * w + 2 * e + t] * r->gamma[row * s + t] +
                                                       r->beta[row * s + t]
                                                 : 0;
    }
    for (int64_t i = 0; i < n; i++) {
        for (int64_t t = 0; t < e; t++)
            av[i * e + t] = avm[i * e + t] = 0;
        for (int64_t j = 0; j < n; j++) {
            double qd, ln;
            gau_weights(r, qk4, i, j, &qd, &ln);
            for (int64_t t = 0; t < e; t++) {
                double vj = h[j * w + e + t];
                av[i * e + t] += (qd + ln) * vj;
                avm[i * e + t] += (fabs(qd) + fabs(ln)) * fabs(vj);
            }
        }
        for (int64_t col = 0; col < d; col++) {
            double acc = 0, mg = 0;
            for (int64_t t = 0; t < e; t++) {
                double u = h[i * w + t];
                acc += u * av[i * e + t] * r->w_out[t * d + col];
                mg += fabs(u) * (avm[i * e + t] + 1e-3) * fabs(r->w_out[t * d + col]);
            }
            out[i * d + col] = acc + x[i * d + col];
            mag[i * d + col] = mg + fabs(x[i * d + col]);
        }
    }
}

static void run_gau(tsc_ctx *x)
{
    const tsc_case *c = tsc_ctx_case(x);
    const tsc_spec *sp = tsc_ctx_spec(x);
    const tsc_op_entry *op = tsc_ctx_op(x);
    ts_dtype dt = c->dtype;
    gau_ref r = {.b = sp->shape[0], .n = sp->shape[1], .d = sp->shape[2], .e = sp->p[0],
                 .s = sp->p[1], .causal = (sp->flags & F_CAUSAL) != 0, .flash = op->kind == 1};
    r.chunk = sp->p[2] < r.n ? sp->p[2] : r.n;
    int rows = r.flash ? 4 : 2;
    int64_t xs[3] = {r.b, r.n, r.d}, wi[2] = {r.d, 2 * r.e + r.s}, wo[2] = {r.e, r.d};
    int64_t gs[2] = {rows, r.s}, bs[2] = {r.n, r.n};
    double win_amp = 1.5 / sqrt((double)r.d), wout_amp = 1.5 / sqrt((double)r.e);
    tsc_arg *xa = tsc_input(x, dt, 3, xs, TSC_CONTIG, -1, 1);
    tsc_arg *wia = xa ? tsc_input(x, dt, 2, wi, TSC_CONTIG, -win_amp, win_amp) : NULL;
    tsc_arg *woa = wia ? tsc_input(x, dt, 2, wo, TSC_CONTIG, -wout_amp, wout_amp) : NULL;
    tsc_arg *ga = woa ? tsc_input(x, dt, 2, gs, TSC_CONTIG, 0.5, 1.5) : NULL;
    tsc_arg *ba = ga ? tsc_input(x, dt, 2, gs, TSC_CONTIG, -0.5, 0.5) : NULL;
    tsc_arg *bias = ba && (sp->flags & F_BIAS) ? tsc_input(x, dt, 2, bs, TSC_CONTIG, -0.5, 0.5)
                                               : NULL;
    tsc_arg *out = ba ? tsc_output(x, dt, 3, xs, TSC_CONTIG) : NULL;
    if (!out || ((sp->flags & F_BIAS) && !bias))
        return;
    ts_gau_weights w = {.w_in = wia->t, .w_out = woa->t, .gamma = ga->t, .beta = ba->t};
    ts_gau_params p = {.causal = r.causal, .chunk = sp->p[2], .bias = bias ? bias->t : NULL};
    ts_status st = r.flash ? ts_flash(xa->t, &w, &p, out->t) : ts_gau(xa->t, &w, &p, out->t);
    if (tsc_op_status(x, st, r.flash ? "ts_flash" : "ts_gau"))
        return;
    r.w_in = wia->v;
    r.w_out = woa->v;
    r.gamma = ga->v;
    r.beta = ba->v;
    r.bias = bias ? bias->v : NULL;
    int64_t w_cols = 2 * r.e + r.s;
    double *ref = tsc_alloc(x, (size_t)out->numel), *mag = tsc_alloc(x, (size_t)out->numel);
    double *h = tsc_alloc(x, (size_t)(r.n * w_cols)), *qk4 = tsc_alloc(x, (size_t)(r.n * 4 * r.s));
    double *av = tsc_alloc(x, (size_t)(r.n * r.e)), *avm = tsc_alloc(x, (size_t)(r.n * r.e));
    if (!ref || !mag || !h || !qk4 || !av || !avm)
        return;
    for (int64_t b = 0; b < r.b; b++)
        ref_gau_batch(&r, xa->v + b * r.n * r.d, h, qk4, av, avm, ref + b * r.n * r.d,
                      mag + b * r.n * r.d);
    tsc_check(x, out, ref, mag);
}

const tsc_family tsc_family_gau = {
    .name = "gau",
    .ops = gau_ops,
    .n_ops = 2,
    .specs = gau_specs,
    .n_specs = sizeof gau_specs / sizeof gau_specs[0],
    .applies = gau_applies,
    .run = run_gau,
};
