/* The CPU fused attention kernel (TSI_OP_ATTENTION, core/op.h): one task
 * per (batch, kv head, query tile over the query heads reading that kv
 * head), an online softmax over key tiles, and both products (Q.K^T and
 * P.V) run on the SIMD table's GEMM micro-kernel.
 * K and V become f32 micro-kernel panels: when several query tiles share
 * them, once per round of (batch, kv head) pairs whose panels fit
 * ATTN_PACK_BUDGET (a copy linear in Lk), else tile by tile inside the
 * task. Each task packs its Q tile and holds a few tiles per thread
 * (about the L2 budget the plan sized them for). Nothing of size Lq x Lk
 * exists.
 *
 * Per query row: m (running max), l (running sum), O (unnormalized
 * output, f32, Dv wide). For each key tile: S = scale*q.k^T, soft-capped,
 * + bias, hidden keys -inf; m' = max(m, max S); P = exp(S - m'); l = e^(m-m')*l + sum P;
 * O = e^(m-m')*O + P.V. While m' is -inf the exponent uses 0, so a row
 * that has seen only hidden keys never computes (-inf) - (-inf).
 *
 * f16 and bf16 inputs, where the 16-bit GEMM chose a micro-kernel on
 * 16-bit panels (cpu_gemm16.h: k-pairs for vdpbf16ps or BFDOT, bf16 only;
 * AMX tiles, 32 x 32, both), run both products on that kernel instead, Q,
 * K, V and P packed as its panels: bf16 as its own bits (half the bytes of
 * f32 panels), S from unscaled Q then scaled in f32, P rounded to bf16
 * (the row sums l stay f32); f16 on tiles as bf16 hi + lo parts (hi.hi +
 * hi.lo + lo.hi: each product to 2^-16), Q scaled and P split the same
 * way, so that f16's precision is kept. Accumulation is f32 throughout
 * (DESIGN.md).
 *
 * Query i of batch b sees keys [lo_i, hi_i) (key_len, causal offset and
 * window, core/op.h); a query tile reads only the key tiles that meet the
 * union of its rows' ranges, and masks per row inside them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend-cpu/cpu_attention.h"
#include "backend-cpu/cpu_gemm16.h"
#include "backend-cpu/cpu_internal.h"
#include "core/plan_util.h"

/* Packed K / V panels held at once: the core returns a workspace past
 * 8 MiB after each op (core/workspace.c), and fresh pages cost page
 * faults on every call (measured 2-15 % of an L = 4096 call when all
 * heads were packed at once); a few heads' panels also stay in L2/L3. */
#define ATTN_PACK_BUDGET ((size_t)4 << 20)

typedef struct attn_job {
    const tsi_cpu_kernels *k;
    const tsi_op *op;
    ts_dtype dt;
    int64_t b, hq, hkv, lq, lk, d, dv;
    int64_t qt, kt;    /* tile sizes */
    int64_t qtp, ktp;  /* rounded up to the micro-kernel's mr / nr */
    int64_t dvp;       /* dv rounded up to nr */
    int64_t group;    /* Hq / Hkv: query heads sharing one kv head */
    int64_t n_qtiles; /* per (batch, kv head): over its group * Lq rows */
    int mr, nr;
    float scale;
    int64_t n_ktiles;
    tsi_cpu_gemm16_kernel g16;           /* 16-bit panels (g16.micro set), else f32 */
    int terms;                           /* 16-bit: 1 (bf16), 3 (f16 as hi + lo) */
    int64_t dpad;                        /* 16-bit: d rounded up to the kernel's kpad */
    size_t k_tile_floats, v_tile_floats; /* one packed K / V tile */
    float *packed_k, *packed_v;          /* [heads * n_ktiles] tiles each */
    int64_t heads;                       /* (batch, kv head) pairs packed per round */
    int64_t bg0;                         /* this round's first pair, b * Hkv + g */
    char *scratch;
    size_t per_worker; /* bytes */
} attn_job;

typedef struct attn_work {
    float *qp, *kp, *vp, *s, *pp, *o, *m, *l, *row;
    float *kbuf, *vbuf; /* this worker's K / V tile when K and V are not prepacked */
    uint16_t *parts;    /* 16-bit: a row's hi, hf and lo parts */
} attn_work;

static bool on_g16(const attn_job *j)
{
    return j->g16.micro != NULL;
}

/* Floats of one packed Q, K, V and P tile: f32 panels, or 16-bit ones
 * (terms sections of the depth each). */
static size_t q_floats(const attn_job *j)
{
    return (size_t)(on_g16(j) ? j->qtp * j->terms * j->dpad / 2 : j->qtp * j->d);
}

static size_t k_floats(const attn_job *j)
{
    return (size_t)(on_g16(j) ? j->ktp * j->terms * j->dpad / 2 : j->ktp * j->d);
}

static size_t v_floats(const attn_job *j)
{
    return (size_t)(on_g16(j) ? j->dvp * j->terms * j->ktp / 2 : j->dvp * j->ktp);
}

/* Bf16 k-pairs: P's rows are rounded to bf16 first, then moved into the
 * panels a 32-bit pair at a time (pack_p). */
static bool p_by_words(const attn_job *j)
{
    return j->terms == 1 && j->g16.a_panel == TSI_G16_PAIRS;
}

/* P's panels, and on k-pairs its rounded rows after them. */
static size_t p_floats(const attn_job *j)
{
    if (!on_g16(j))
        return 0;
    return (size_t)(j->qtp * j->terms * j->ktp / 2) * (p_by_words(j) ? 2 : 1);
}

static int64_t round_up(int64_t x, int64_t m)
{
    return (x + m - 1) / m * m;
}

/* Carve one worker's slice of scratch; returns its size. */
static size_t carve(const attn_job *j, char *base, attn_work *w)
{
    int64_t row = j->dvp > j->ktp ? j->dvp : j->ktp;
    row = row > j->d ? row : j->d;
    row = row > j->dpad ? row : j->dpad;
    /* pp: P as 16-bit panels (f32 P.V reads the score tile in place). */
    size_t sizes[] = {
        q_floats(j),    (size_t)(j->qtp * j->ktp),
        p_floats(j),    (size_t)(j->qtp * j->dvp),
        (size_t)j->qtp, (size_t)j->qtp,
        (size_t)row,    k_floats(j),
        v_floats(j),    on_g16(j) ? (size_t)(3 * row + 1) / 2 : 0,
    };
    float *parts = NULL;
    float **slots[] = {&w->qp, &w->s,   &w->pp,   &w->o,    &w->m,
                       &w->l,  &w->row, &w->kbuf, &w->vbuf, &parts};
    size_t off = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (base)
            *slots[i] = (float *)(base + off);
        off += tsi_cpu_align_up(sizes[i] * sizeof(float));
    }
    w->parts = (uint16_t *)(void *)parts;
    return off;
}

static float *packed_tile(const attn_job *j, float *base, size_t tile_floats, int64_t b,
                          int64_t g, int64_t j0)
{
    return base + (size_t)((b * j->hkv + g - j->bg0) * j->n_ktiles + j0 / j->kt) * tile_floats;
}

/* A query tile covers rows [r0, r0+nq) of one kv head's group: the
 * group's query heads one after another (row R is query R % Lq of head
 * g*group + R / Lq), so with GQA / MQA the heads that read the same K and
 * V share its tiles, and decoding (Lq = 1) still fills micro-kernel rows. */
static int64_t row_head(const attn_job *j, int64_t g, int64_t row)
{
    return g * j->group + row / j->lq;
}

/* Q rows of the tile, scaled, as mr-row panels qp[panel][d][r]. Padding
 * rows are zero. */
static void pack_q_f32(const attn_job *j, attn_work *w, int64_t b, int64_t g, int64_t r0,
                       int64_t nq)
{
    const tsi_view *q = &j->op->in[0];
    int64_t rows = round_up(nq, j->mr);
    for (int64_t r = 0; r < rows; r++) {
        float *dst = w->qp + (r / j->mr) * j->d * j->mr + r % j->mr;
        if (r >= nq) {
            for (int64_t x = 0; x < j->d; x++)
                dst[x * j->mr] = 0.0f;
            continue;
        }
        int64_t row = r0 + r, h = row_head(j, g, row), i = row % j->lq;
        tsi_cpu_load_f32(j->k, j->dt, tsi_cpu_attn_at(q, b, h, i, 0), 1, w->row, (size_t)j->d);
        for (int64_t x = 0; x < j->d; x++)
            dst[x * j->mr] = w->row[x] * j->scale;
    }
}

/* Keys [j0, j0+nk) of kv head g as nr-key panels w->kp[panel][d][c]
 * (k^T), values as nr-column panels w->vp[panel][c][x]. Padding is zero. */
static void pack_kv_f32(const attn_job *j, attn_work *w, int64_t b, int64_t g, int64_t j0,
                        int64_t nk)
{
    const tsi_view *kv = &j->op->in[1], *vv = &j->op->in[2];
    int64_t keys = round_up(nk, j->nr);
    for (int64_t c = 0; c < keys; c++) {
        float *kd = w->kp + (c / j->nr) * j->d * j->nr + c % j->nr;
        if (c >= nk) {
            for (int64_t x = 0; x < j->d; x++)
                kd[x * j->nr] = 0.0f;
            continue;
        }
        tsi_cpu_load_f32(j->k, j->dt, tsi_cpu_attn_at(kv, b, g, j0 + c, 0), 1, w->row,
                         (size_t)j->d);
        for (int64_t x = 0; x < j->d; x++)
            kd[x * j->nr] = w->row[x];
    }
    for (int64_t c = 0; c < nk; c++) {
        tsi_cpu_load_f32(j->k, j->dt, tsi_cpu_attn_at(vv, b, g, j0 + c, 0), 1, w->row,
                         (size_t)j->dv);
        for (int64_t x = j->dv; x < j->dvp; x++)
            w->row[x] = 0.0f;
        for (int64_t p = 0; p < j->dvp / j->nr; p++)
            memcpy(w->vp + (p * j->ktp + c) * j->nr, w->row + p * j->nr,
                   (size_t)j->nr * sizeof(float));
    }
}

/* 16-bit panels. A row's parts (hi, hf, lo; bf16: the bits as hi) at
 * w->parts, n values then zeros up to npad: from a 16-bit input row src,
 * or from f32 values x (P). Term t of an A line (Q, P) or a B line (K, V)
 * reads part tsi_g16_term_part(is_b, t), as in cpu_gemm16.c. */

static void g16_parts(const attn_job *j, attn_work *w, const void *src, const float *x, int64_t n,
                      int64_t npad)
{
    uint16_t *p[3] = {w->parts, w->parts + npad, w->parts + 2 * npad};
    if (j->terms > 1) {
        if (src)
            j->g16.split_f16(src, (size_t)n, p[0], p[1], p[2]);
        else
            j->g16.split(x, (size_t)n, p[0], p[1], p[2]);
        for (int t = 0; t < 3; t++)
            memset(p[t] + n, 0, (size_t)(npad - n) * sizeof(uint16_t));
        return;
    }
    if (src)
        memcpy(p[0], src, (size_t)n * sizeof(uint16_t));
    else
        j->k->f32_to_bf16(x, p[0], (size_t)n);
    memset(p[0] + n, 0, (size_t)(npad - n) * sizeof(uint16_t));
}

/* Row r of an A operand (mr-row panels in the kernel's A format) from
 * w->parts: term t's npad values at depth t*npad. */
static void g16_put_a(const attn_job *j, const attn_work *w, uint16_t *dst, int64_t r, int64_t npad)
{
    dst += (r / j->mr) * j->terms * npad * j->mr;
    for (int t = 0; t < j->terms; t++)
        tsi_g16_put_line(j->g16.a_panel, j->mr, r % j->mr, t * npad,
                         w->parts + tsi_g16_term_part(false, t) * npad, npad, dst);
}

/* Key c's row of K into B panels ([kx/2][nr][2] per nr keys, depth d). */
static void g16_put_k(const attn_job *j, const attn_work *w, uint16_t *dst, int64_t c)
{
    dst += (c / j->nr) * j->terms * j->dpad * j->nr;
    for (int t = 0; t < j->terms; t++)
        tsi_g16_put_line(TSI_G16_PAIRS, j->nr, c % j->nr, t * j->dpad,
                         w->parts + tsi_g16_term_part(true, t) * j->dpad, j->dpad, dst);
}

/* Key c's row of V into B panels ([kx/2][nr][2] per nr columns of Dv,
 * depth the tile's keys). */
static void g16_put_v(const attn_job *j, const attn_work *w, uint16_t *dst, int64_t c)
{
    int64_t kx = j->terms * j->ktp;
    for (int t = 0; t < j->terms; t++) {
        const uint16_t *v = w->parts + tsi_g16_term_part(true, t) * j->dvp;
        int64_t p = t * j->ktp + c;
        uint16_t *d = dst + (p >> 1) * 2 * j->nr + (p & 1);
        for (int64_t x = 0; x < j->dvp; x++)
            d[(x / j->nr) * kx * j->nr + x % j->nr * 2] = v[x];
    }
}

static void pack_q_g16(const attn_job *j, attn_work *w, int64_t b, int64_t g, int64_t r0,
                       int64_t nq)
{
    const tsi_view *q = &j->op->in[0];
    for (int64_t r = 0; r < round_up(nq, j->mr); r++) {
        int64_t row = r0 + r;
        const char *src =
            r < nq ? tsi_cpu_attn_at(q, b, row_head(j, g, row), row % j->lq, 0) : NULL;
        if (src && j->terms > 1) {
            /* Scaled before the split: q.scale is one f32 rounding, far
             * below the 2^-16 of the split, and S needs no scaling pass. */
            tsi_cpu_load_f32(j->k, j->dt, src, 1, w->row, (size_t)j->d);
            for (int64_t x = 0; x < j->d; x++)
                w->row[x] *= j->scale;
            g16_parts(j, w, NULL, w->row, j->d, j->dpad);
        } else {
            g16_parts(j, w, src, NULL, src ? j->d : 0, j->dpad);
        }
        g16_put_a(j, w, (uint16_t *)w->qp, r, j->dpad);
    }
}

/* Keys past the batch's key_len are packed as zeros in V (P is 0 there, and
 * V may hold anything, NaN included). */
static void pack_kv_g16(const attn_job *j, attn_work *w, int64_t b, int64_t g, int64_t j0,
                        int64_t nk)
{
    const tsi_view *kv = &j->op->in[1], *vv = &j->op->in[2];
    int64_t valid = tsi_cpu_attn_keys_of(j->op, b).kl - j0;
    valid = valid < nk ? (valid > 0 ? valid : 0) : nk;
    for (int64_t c = 0; c < j->ktp; c++) {
        const char *k = c < nk ? tsi_cpu_attn_at(kv, b, g, j0 + c, 0) : NULL;
        g16_parts(j, w, k, NULL, k ? j->d : 0, j->dpad);
        g16_put_k(j, w, (uint16_t *)w->kp, c);
        const char *v = c < valid ? tsi_cpu_attn_at(vv, b, g, j0 + c, 0) : NULL;
        g16_parts(j, w, v, NULL, v ? j->dv : 0, j->dvp);
        g16_put_v(j, w, (uint16_t *)w->vp, c);
    }
}

static void pack_q(const attn_job *j, attn_work *w, int64_t b, int64_t g, int64_t r0, int64_t nq)
{
    if (on_g16(j))
        pack_q_g16(j, w, b, g, r0, nq);
    else
        pack_q_f32(j, w, b, g, r0, nq);
}

static void pack_kv(const attn_job *j, attn_work *w, int64_t b, int64_t g, int64_t j0, int64_t nk)
{
    if (on_g16(j))
        pack_kv_g16(j, w, b, g, j0, nk);
    else
        pack_kv_f32(j, w, b, g, j0, nk);
}

/* S tile = qp . kp over nq x nk (whole micro tiles; padding is harmless). */
static void scores(const attn_job *j, attn_work *w, int64_t nq, int64_t nk)
{
    int64_t kx = j->terms * j->dpad;
    for (int64_t pi = 0; pi < (nq + j->mr - 1) / j->mr; pi++)
        for (int64_t pj = 0; pj < (nk + j->nr - 1) / j->nr; pj++) {
            float *s = w->s + pi * j->mr * j->ktp + pj * j->nr;
            if (on_g16(j))
                j->g16.micro((size_t)kx, (const uint16_t *)w->qp + pi * kx * j->mr,
                             (const uint16_t *)w->kp + pj * kx * j->nr, s, (size_t)j->ktp, 0);
            else
                j->k->gemm_micro((size_t)j->d, w->qp + pi * j->d * j->mr, w->kp + pj * j->d * j->nr,
                                 s, (size_t)j->ktp, 0);
        }
}

/* P's rows (zeros from nk on) as 16-bit A panels, `depth` keys deep.
 * Bf16 k-pairs: the rows rounded to bf16 past the panels, then their
 * 32-bit pairs moved into the panels as raw bits by the table's vector
 * packing, not a value at a time: P is packed as often as the product
 * runs. */
static void pack_p(const attn_job *j, attn_work *w, int64_t nq, int64_t nk, int64_t depth)
{
    int64_t rows = round_up(nq, j->mr);
    uint16_t *pp = (uint16_t *)w->pp;
    if (!p_by_words(j)) {
        for (int64_t r = 0; r < rows; r++) {
            g16_parts(j, w, NULL, w->s + r * j->ktp, r < nq ? nk : 0, j->ktp);
            g16_put_a(j, w, pp, r, j->ktp);
        }
        return;
    }
    uint16_t *tmp = pp + j->qtp * j->ktp;
    for (int64_t r = 0; r < nq; r++)
        j->k->f32_to_bf16(w->s + r * j->ktp, tmp + r * j->ktp, (size_t)depth);
    for (int64_t r0 = 0; r0 < rows; r0 += j->mr)
        j->k->gemm_pack((const float *)(const void *)(tmp + r0 * j->ktp), (size_t)j->ktp / 2, 1,
                        (size_t)(nq - r0 < j->mr ? nq - r0 : j->mr), (size_t)depth / 2,
                        (size_t)j->mr, (float *)(void *)(pp + r0 * j->ktp));
}

/* O += P.V. f32: the table's P.V tile reads P's rows in place (no
 * transposed copy: the GEMM's A operand is only ever broadcast). 16-bit:
 * P into A panels, then the kernel's tiles; with one term they read only
 * P's first nk keys, rounded up to the kernel's depth step, where run_tile
 * left P zero (and V past key_len is packed as zeros). */
static void accumulate_pv(const attn_job *j, attn_work *w, int64_t nq, int64_t nk)
{
    int64_t rows = round_up(nq, j->mr);
    if (on_g16(j)) {
        int64_t kx = j->terms * j->ktp, depth = j->terms > 1 ? kx : round_up(nk, j->g16.kpad);
        pack_p(j, w, nq, nk, depth);
        const uint16_t *pp = (const uint16_t *)w->pp, *vp = (const uint16_t *)w->vp;
        for (int64_t pi = 0; pi < rows / j->mr; pi++)
            for (int64_t pd = 0; pd < j->dvp / j->nr; pd++)
                j->g16.micro((size_t)depth, pp + pi * kx * j->mr, vp + pd * kx * j->nr,
                             w->o + pi * j->mr * j->dvp + pd * j->nr, (size_t)j->dvp, 1);
        return;
    }
    for (int64_t pi = 0; pi < rows / j->mr; pi++)
        for (int64_t pd = 0; pd < j->dvp / j->nr; pd++)
            j->k->attn_pv_tile((size_t)nk, w->s + pi * j->mr * j->ktp, (size_t)j->ktp,
                               w->vp + pd * j->ktp * j->nr, w->o + pi * j->mr * j->dvp + pd * j->nr,
                               (size_t)j->dvp);
}

/* Normalize, gate and store the tile's rows; write lse. */
static void finish(const attn_job *j, attn_work *w, int64_t b, int64_t kvh, int64_t r0, int64_t nq)
{
    for (int64_t r = 0; r < nq; r++)
        tsi_cpu_attn_store(j->k, j->op, w->o + r * j->dvp, w->m[r], w->l[r], b,
                           row_head(j, kvh, r0 + r), (r0 + r) % j->lq, w->row);
}

static void run_tile(const attn_job *j, attn_work *w, int64_t unit)
{
    /* Units run heaviest first: with causal, the last query tiles see the
     * most keys, and starting them early keeps the pool's tail short. */
    int64_t qtile = j->n_qtiles - 1 - unit % j->n_qtiles;
    int64_t bg = j->bg0 + unit / j->n_qtiles, g = bg % j->hkv, b = bg / j->hkv;
    int64_t rows = j->group * j->lq;
    int64_t r0 = qtile * j->qt, nq = rows - r0 < j->qt ? rows - r0 : j->qt;
    tsi_cpu_attn_keys kr = tsi_cpu_attn_keys_of(j->op, b);
    /* The tile's earliest and latest queries: its first and last rows, or
     * 0 and Lq - 1 when the tile crosses into the next head of the group. */
    bool crosses = (r0 + nq - 1) / j->lq > r0 / j->lq;
    int64_t first = crosses ? 0 : r0 % j->lq, last = crosses ? j->lq - 1 : (r0 + nq - 1) % j->lq;
    /* Key tiles wholly outside the rows' ranges are skipped. */
    int64_t kv_beg, kv_end, unused;
    tsi_cpu_attn_range(j->op, &kr, first, &kv_beg, &unused);
    tsi_cpu_attn_range(j->op, &kr, last, &unused, &kv_end);
    kv_beg = kv_beg / j->kt * j->kt;

    pack_q(j, w, b, g, r0, nq);
    memset(w->o, 0, (size_t)(round_up(nq, j->mr) * j->dvp) * sizeof(float));
    for (int64_t r = 0; r < nq; r++) {
        w->m[r] = -INFINITY;
        w->l[r] = 0.0f;
    }
    for (int64_t j0 = kv_beg; j0 < kv_end; j0 += j->kt) {
        int64_t nk = kv_end - j0 < j->kt ? kv_end - j0 : j->kt;
        if (j->packed_k) {
            w->kp = packed_tile(j, j->packed_k, j->k_tile_floats, b, g, j0);
            w->vp = packed_tile(j, j->packed_v, j->v_tile_floats, b, g, j0);
        } else {
            w->kp = w->kbuf;
            w->vp = w->vbuf;
            pack_kv(j, w, b, g, j0, nk);
        }
        scores(j, w, nq, nk);
        /* 16-bit P.V reads keys to the kernel's depth step: P is 0 there. */
        int64_t np = on_g16(j) ? round_up(nk, j->g16.kpad) : nk;
        for (int64_t r = 0; r < nq; r++) {
            float *srow = w->s + r * j->ktp;
            int64_t i = (r0 + r) % j->lq;
            if (on_g16(j) && j->terms == 1) /* bf16: Q unscaled */
                j->k->unary(TSI_UNARY_SCALE_SHIFT, srow, srow, (size_t)nk, j->scale, 0.0f);
            int64_t vis = tsi_cpu_attn_scores(j->k, j->op, &kr, srow, b, row_head(j, g, r0 + r), i,
                                              j0, nk, w->row);
            /* The online-softmax update of the row (the table's fused
             * step); P is left in srow, zeros past the visible keys. */
            j->k->softmax_step(srow, (size_t)vis, (size_t)np, &w->m[r], &w->l[r], w->o + r * j->dvp,
                               (size_t)j->dvp);
        }
        accumulate_pv(j, w, nq, nk);
    }
    finish(j, w, b, g, r0, nq);
}

/* K and V are packed once per round (every query tile of a head reads the
 * same panels), one task per (batch, kv head, key tile) of the round. */
static void pack_task(void *ctx, int64_t begin, int64_t end, int worker)
{
    const attn_job *j = ctx;
    attn_work w;
    carve(j, j->scratch + (size_t)worker * j->per_worker, &w);
    for (int64_t u = begin; u < end; u++) {
        int64_t t = u % j->n_ktiles, bg = j->bg0 + u / j->n_ktiles;
        int64_t j0 = t * j->kt, nk = j->lk - j0 < j->kt ? j->lk - j0 : j->kt;
        w.kp = packed_tile(j, j->packed_k, j->k_tile_floats, bg / j->hkv, bg % j->hkv, j0);
        w.vp = packed_tile(j, j->packed_v, j->v_tile_floats, bg / j->hkv, bg % j->hkv, j0);
        pack_kv(j, &w, bg / j->hkv, bg % j->hkv, j0, nk);
    }
}

static void attn_task(void *ctx, int64_t begin, int64_t end, int worker)
{
    const attn_job *j = ctx;
    attn_work w;
    carve(j, j->scratch + (size_t)worker * j->per_worker, &w);
    if (j->g16.begin)
        j->g16.begin();
    for (int64_t u = begin; u < end; u++)
        run_tile(j, &w, u);
    if (j->g16.end)
        j->g16.end();
}

/* f32 working set of one task: packed Q and the O accumulator (q x d
 * each), packed K and V (k x d each), the score tile and its packed copy
 * (q x k each). */
static uint64_t working_set(int64_t q, int64_t k, int64_t d)
{
    return 4u * (uint64_t)(2 * q * d + 2 * k * d + 2 * q * k);
}

/* Everything about the job that follows from the op and the tiles. */
static void job_init(tsi_device *dev, const tsi_op *op, int64_t qt, int64_t kt, attn_job *j)
{
    const tsi_view *q = &op->in[0], *k = &op->in[1];
    *j = (attn_job){
        .k = dev->k,
        .op = op,
        .dt = q->dtype,
        .b = q->shape[0],
        .hq = q->shape[1],
        .hkv = k->shape[1],
        .lq = q->shape[2],
        .lk = k->shape[2],
        .d = q->shape[3],
        .dv = op->in[2].shape[3],
        .qt = qt,
        .kt = kt,
        .mr = dev->k->gemm_mr,
        .nr = dev->k->gemm_nr,
        .scale = op->p.attention.scale,
    };
    if (j->dt == TS_BF16 || j->dt == TS_F16) {
        tsi_cpu_gemm16_kernel kn;
        tsi_cpu_gemm16_kernel_for(&dev->state->feat, dev->k, j->dt, &kn);
        /* f16 only as the GEMM's three terms (hi.hi + hi.lo + lo.hi). */
        bool terms_ok = kn.terms > 1 ? kn.split && kn.split_f16 : j->dt == TS_BF16;
        if (kn.micro && kn.a_panel != TSI_G16_F32 && kn.b_panel == TSI_G16_PAIRS && terms_ok) {
            j->g16 = kn;
            j->terms = kn.terms > 1 ? kn.terms : 1;
            j->mr = kn.mr;
            j->nr = kn.nr;
            j->dpad = round_up(j->d, kn.kpad);
        }
    }
    j->qtp = round_up(j->qt, j->mr);
    j->ktp = round_up(j->kt, j->nr);
    j->dvp = round_up(j->dv, j->nr);
    j->group = j->hq / j->hkv;
    j->n_qtiles = (j->group * j->lq + j->qt - 1) / j->qt;
    attn_work unused;
    j->per_worker = carve(j, NULL, &unused);
    j->n_ktiles = (j->lk + j->kt - 1) / j->kt;
    j->k_tile_floats = tsi_cpu_align_up(k_floats(j) * sizeof(float)) / sizeof(float);
    j->v_tile_floats = tsi_cpu_align_up(v_floats(j) * sizeof(float)) / sizeof(float);
    size_t head = (size_t)j->n_ktiles * (j->k_tile_floats + j->v_tile_floats) * sizeof(float);
    int64_t pairs = j->b * j->hkv, fit = (int64_t)(ATTN_PACK_BUDGET / head);
    j->heads = fit < 1 ? 1 : fit > pairs ? pairs : fit;
}

/* With several query tiles per kv head, K and V are packed once, `heads`
 * (batch, kv head) pairs at a time: a copy linear in Lk (never Lq x Lk),
 * held only for this call. With one (short queries, decoding) every key
 * tile is used once, so each task packs its own tiles as it goes. */
static size_t packed_bytes(const attn_job *j)
{
    if (j->n_qtiles <= 1)
        return 0;
    int64_t kv_tiles = j->heads * j->n_ktiles;
    return (size_t)kv_tiles * (j->k_tile_floats + j->v_tile_floats) * sizeof(float);
}

/* qt in whole micro-kernel row panels (14 rows on the f32 AVX-512 kernel,
 * 32 on AMX tiles), the nearest multiple: 56 runs four full 14-row panels
 * on the one and two 32-row tiles on the other, where 64 would pad a
 * fifth panel to 70 rows. */
static int whole_panels(tsi_device *dev, const tsi_op *op, int qt, int kt)
{
    attn_job j;
    job_init(dev, op, qt, kt, &j);
    int64_t n = (qt + j.mr / 2) / j.mr;
    return (int)((n < 1 ? 1 : n) * j.mr);
}

/* Tiles: the tuning entry's defaults (about a quarter of an L2 at
 * D = 64), shrunk until a task's working set fits the cache budget, in
 * whole row panels, then fitted to the problem (query rows counted over
 * the kv head's whole group). */
ts_status tsi_cpu_attention_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan)
{
    if (tsi_cpu_attention_decode_plan(dev, op, plan)) /* few query rows: split-K */
        return TS_OK;
    const tsi_host *host = dev->state->host;
    const ts_device_info *info = &dev->state->info;
    /* K and V tiles are sized alike here; the wider head dim bounds both. */
    int64_t d = op->in[0].shape[3] > op->in[2].shape[3] ? op->in[0].shape[3] : op->in[2].shape[3];
    int qt = (int)host->tuning(info, "attention.q_tile", 96);
    int kt = (int)host->tuning(info, "attention.k_tile", 128);
    uint64_t budget = (uint64_t)host->tuning(info, "attention.cache_budget", 256 << 10);
    if (!tsi_env_tile_pair("TESSEL_ATTENTION_TILES", &qt, &kt)) {
        while (working_set(qt, kt, d) > budget && kt > 32)
            kt /= 2;
        while (working_set(qt, kt, d) > budget && qt > 12)
            qt /= 2;
        qt = whole_panels(dev, op, qt, kt);
    }
    int64_t rows = op->in[0].shape[2] * (op->in[0].shape[1] / op->in[1].shape[1]);
    qt = tsi_tile_fit(qt, rows);
    kt = tsi_tile_fit(kt, op->in[1].shape[2]);
    attn_job j;
    job_init(dev, op, qt, kt, &j);
    plan->tile[0] = qt;
    plan->tile[1] = kt;
    size_t workers = tsi_cpu_align_up(j.per_worker * (size_t)tsi_cpu_pool_threads(dev->pool));
    plan->workspace_bytes = workers + packed_bytes(&j);
    return TS_OK;
}

ts_status tsi_cpu_attention_record(tsi_device *dev, const tsi_op *op)
{
    if (tsi_cpu_attention_decode_record(dev, op))
        return TS_OK;
    attn_job j;
    job_init(dev, op, op->plan.tile[0], op->plan.tile[1], &j);
    char *ws = tsi_cpu_workspace(op);
    size_t workers = tsi_cpu_align_up(j.per_worker * (size_t)tsi_cpu_pool_threads(dev->pool));
    j.scratch = ws;
    int64_t cost = 2 * j.qt * j.lk * (j.d + j.dv), pairs = j.b * j.hkv;
    if (j.n_qtiles <= 1) {
        tsi_cpu_pool_for(dev->pool, pairs * j.n_qtiles, cost, attn_task, &j);
        return TS_OK;
    }
    j.packed_k = (float *)(ws + workers);
    j.packed_v = j.packed_k + (size_t)(j.heads * j.n_ktiles) * j.k_tile_floats;
    for (j.bg0 = 0; j.bg0 < pairs; j.bg0 += j.heads) {
        int64_t n = pairs - j.bg0 < j.heads ? pairs - j.bg0 : j.heads;
        tsi_cpu_pool_for(dev->pool, n * j.n_ktiles, j.kt * (j.d + j.dv), pack_task, &j);
        tsi_cpu_pool_for(dev->pool, n * j.n_qtiles, cost, attn_task, &j);
    }
    return TS_OK;
}
