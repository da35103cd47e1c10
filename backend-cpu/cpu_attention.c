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
 * bf16 inputs, where the CPU has AVX512_BF16 and the 16-bit GEMM chose its
 * vdpbf16ps micro-kernel (same 14 x 32 tile as the table's), run both
 * products on that kernel instead: Q, K and V packed as bf16 k-pairs
 * (their own bits, no conversion; half the bytes of f32 panels), S from
 * unscaled Q then scaled in f32, P rounded to bf16 pairs for P.V (the
 * row sums l stay f32); accumulation is f32 throughout (DESIGN.md).
 * Where the 16-bit GEMM runs on AMX tiles (cpu_gemm16_amx.c), f16 and bf16
 * run both products on its 32 x 32 tile kernel the same way: bf16 as is,
 * f16 as bf16 hi + lo parts (hi.hi + hi.lo + lo.hi: each product to
 * 2^-16), P split the same way, so that f16's precision is kept.
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
    tsi_g16_micro_fn dp;                 /* bf16 k-pair micro-kernel, or NULL: f32 panels */
    tsi_cpu_gemm16_kernel amx;           /* AMX tiles (amx.micro set), else unused */
    int terms;                           /* AMX: 1 (bf16), 3 (f16 as hi + lo) */
    int64_t dpad;                        /* AMX: d rounded up to a tile's 32 */
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
    uint16_t *parts;    /* AMX: a row's hi, hf and lo parts */
} attn_work;

static bool use_amx(const attn_job *j)
{
    return j->amx.micro != NULL;
}

/* Floats of one packed Q, K, V and P tile: f32 panels, or bf16 on the AMX
 * path (terms sections of the depth each). */
static size_t q_floats(const attn_job *j)
{
    return (size_t)(use_amx(j) ? j->qtp * j->terms * j->dpad / 2 : j->qtp * j->d);
}

static size_t k_floats(const attn_job *j)
{
    return (size_t)(use_amx(j) ? j->ktp * j->terms * j->dpad / 2 : j->ktp * j->d);
}

static size_t v_floats(const attn_job *j)
{
    return (size_t)(use_amx(j) ? j->dvp * j->terms * j->ktp / 2 : j->dvp * j->ktp);
}

static size_t p_floats(const attn_job *j)
{
    if (use_amx(j))
        return (size_t)(j->qtp * j->terms * j->ktp / 2);
    return (size_t)(j->dp ? j->qtp * j->ktp : 0);
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
    /* pp: P as bf16 panels, on the vdpbf16ps and AMX paths only (f32 P.V
     * reads the score tile in place). */
    size_t sizes[] = {
        q_floats(j),    (size_t)(j->qtp * j->ktp),
        p_floats(j),    (size_t)(j->qtp * j->dvp),
        (size_t)j->qtp, (size_t)j->qtp,
        (size_t)row,    k_floats(j),
        v_floats(j),    use_amx(j) ? (size_t)(3 * row + 1) / 2 : 0,
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
static void pack_q(const attn_job *j, attn_work *w, int64_t b, int64_t g, int64_t r0, int64_t nq)
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
static void pack_kv(const attn_job *j, attn_work *w, int64_t b, int64_t g, int64_t j0, int64_t nk)
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

/* The 32-bit word p (elements 2p, 2p+1) of a 16-bit row. */
static uint32_t pair_at(const char *row, int64_t p)
{
    uint32_t w;
    memcpy(&w, row + 4 * p, sizeof w);
    return w;
}

/* bf16 path: Q rows (unscaled) as mr-row k-pair panels, words
 * qp[panel][d/2][r]; padding rows zero. */
static void pack_q_pairs(const attn_job *j, attn_work *w, int64_t b, int64_t g, int64_t r0,
                         int64_t nq)
{
    const tsi_view *q = &j->op->in[0];
    int64_t rows = round_up(nq, j->mr), half = j->d / 2;
    uint32_t *qp = (uint32_t *)w->qp;
    for (int64_t r = 0; r < rows; r++) {
        uint32_t *dst = qp + (r / j->mr) * half * j->mr + r % j->mr;
        const char *src = NULL;
        if (r < nq) {
            int64_t row = r0 + r;
            src = tsi_cpu_attn_at(q, b, row_head(j, g, row), row % j->lq, 0);
        }
        for (int64_t p = 0; p < half; p++)
            dst[p * j->mr] = src ? pair_at(src, p) : 0u;
    }
}

/* bf16 path: keys as nr-key k-pair panels, words kp[panel][d/2][c];
 * values as nr-column panels of key pairs, vp[panel][c/2][x][2]. */
static void pack_kv_pairs(const attn_job *j, attn_work *w, int64_t b, int64_t g, int64_t j0,
                          int64_t nk)
{
    const tsi_view *kv = &j->op->in[1], *vv = &j->op->in[2];
    int64_t keys = round_up(nk, j->nr), half = j->d / 2;
    uint32_t *kp = (uint32_t *)w->kp;
    for (int64_t c = 0; c < keys; c++) {
        uint32_t *dst = kp + (c / j->nr) * half * j->nr + c % j->nr;
        const char *src = c < nk ? tsi_cpu_attn_at(kv, b, g, j0 + c, 0) : NULL;
        for (int64_t p = 0; p < half; p++)
            dst[p * j->nr] = src ? pair_at(src, p) : 0u;
    }
    /* P.V reads keys in pairs: with an odd count the partner of the last
     * is read with P = 0, so only keys below the batch's key_len are
     * copied (past it V may hold anything, NaN included: 0 * NaN). */
    int64_t valid = tsi_cpu_attn_keys_of(j->op, b).kl - j0;
    valid = valid < nk ? (valid > 0 ? valid : 0) : nk;
    uint16_t *vp = (uint16_t *)w->vp;
    memset(vp, 0, (size_t)(j->dvp * j->ktp) * sizeof(uint16_t));
    for (int64_t c = 0; c < valid; c++) {
        const uint16_t *src = (const uint16_t *)(const void *)tsi_cpu_attn_at(vv, b, g, j0 + c, 0);
        uint16_t *dst = vp + (c / 2) * 2 * j->nr + (c & 1);
        for (int64_t x = 0; x < j->dv; x++) {
            uint16_t e;
            memcpy(&e, src + x, sizeof e);
            dst[(x / j->nr) * j->ktp * j->nr + (x % j->nr) * 2] = e;
        }
    }
}

/* AMX path. A row's parts (hi, hf, lo; bf16: the bits as hi) at
 * w->parts, n values then zeros up to npad: from a 16-bit input row src,
 * or from f32 values x (P). Term t of an A line (Q, P) or a B line (K, V)
 * reads part tsi_g16_term_part(is_b, t), as in cpu_gemm16.c. */

static void amx_parts(const attn_job *j, attn_work *w, const void *src, const float *x, int64_t n,
                      int64_t npad)
{
    uint16_t *p[3] = {w->parts, w->parts + npad, w->parts + 2 * npad};
    if (j->terms > 1) {
        if (src)
            j->amx.split_f16(src, (size_t)n, p[0], p[1], p[2]);
        else
            j->amx.split(x, (size_t)n, p[0], p[1], p[2]);
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

/* Row r of an A operand (32-row panels of [kx/32][32][32] runs, as the
 * AMX kernel reads A) from w->parts: term t's npad values at depth t*npad. */
static void amx_put_a(const attn_job *j, const attn_work *w, uint16_t *dst, int64_t r, int64_t npad)
{
    dst += (r / 32) * j->terms * npad * 32;
    for (int t = 0; t < j->terms; t++)
        tsi_g16_put_line(TSI_G16_TILES, 32, r % 32, t * npad,
                         w->parts + tsi_g16_term_part(false, t) * npad, npad, dst);
}

/* Key c's row of K into B panels ([kx/2][32][2] per 32 keys, depth d). */
static void amx_put_k(const attn_job *j, const attn_work *w, uint16_t *dst, int64_t c)
{
    dst += (c / 32) * j->terms * j->dpad * 32;
    for (int t = 0; t < j->terms; t++)
        tsi_g16_put_line(TSI_G16_PAIRS, 32, c % 32, t * j->dpad,
                         w->parts + tsi_g16_term_part(true, t) * j->dpad, j->dpad, dst);
}

/* Key c's row of V into B panels ([kx/2][32][2] per 32 columns of Dv,
 * depth the tile's keys). */
static void amx_put_v(const attn_job *j, const attn_work *w, uint16_t *dst, int64_t c)
{
    int64_t kx = j->terms * j->ktp;
    for (int t = 0; t < j->terms; t++) {
        const uint16_t *v = w->parts + tsi_g16_term_part(true, t) * j->dvp;
        int64_t p = t * j->ktp + c;
        uint16_t *d = dst + (p >> 1) * 64 + (p & 1);
        for (int64_t x = 0; x < j->dvp; x++)
            d[(x / 32) * kx * 32 + x % 32 * 2] = v[x];
    }
}

static void pack_q_amx(const attn_job *j, attn_work *w, int64_t b, int64_t g, int64_t r0,
                       int64_t nq)
{
    const tsi_view *q = &j->op->in[0];
    for (int64_t r = 0; r < round_up(nq, 32); r++) {
        int64_t row = r0 + r;
        const char *src =
            r < nq ? tsi_cpu_attn_at(q, b, row_head(j, g, row), row % j->lq, 0) : NULL;
        if (src && j->terms > 1) {
            /* Scaled before the split: q.scale is one f32 rounding, far
             * below the 2^-16 of the split, and S needs no scaling pass. */
            tsi_cpu_load_f32(j->k, j->dt, src, 1, w->row, (size_t)j->d);
            for (int64_t x = 0; x < j->d; x++)
                w->row[x] *= j->scale;
            amx_parts(j, w, NULL, w->row, j->d, j->dpad);
        } else {
            amx_parts(j, w, src, NULL, src ? j->d : 0, j->dpad);
        }
        amx_put_a(j, w, (uint16_t *)w->qp, r, j->dpad);
    }
}

/* Keys past the batch's key_len are packed as zeros in V (P is 0 there, and
 * V may hold anything, NaN included). */
static void pack_kv_amx(const attn_job *j, attn_work *w, int64_t b, int64_t g, int64_t j0,
                        int64_t nk)
{
    const tsi_view *kv = &j->op->in[1], *vv = &j->op->in[2];
    int64_t valid = tsi_cpu_attn_keys_of(j->op, b).kl - j0;
    valid = valid < nk ? (valid > 0 ? valid : 0) : nk;
    for (int64_t c = 0; c < j->ktp; c++) {
        const char *k = c < nk ? tsi_cpu_attn_at(kv, b, g, j0 + c, 0) : NULL;
        amx_parts(j, w, k, NULL, k ? j->d : 0, j->dpad);
        amx_put_k(j, w, (uint16_t *)w->kp, c);
        const char *v = c < valid ? tsi_cpu_attn_at(vv, b, g, j0 + c, 0) : NULL;
        amx_parts(j, w, v, NULL, v ? j->dv : 0, j->dvp);
        amx_put_v(j, w, (uint16_t *)w->vp, c);
    }
}

static void scores_amx(const attn_job *j, attn_work *w, int64_t nq, int64_t nk)
{
    int64_t kx = j->terms * j->dpad;
    const uint16_t *qp = (const uint16_t *)w->qp, *kp = (const uint16_t *)w->kp;
    for (int64_t pi = 0; pi < round_up(nq, 32) / 32; pi++)
        for (int64_t pj = 0; pj < round_up(nk, 32) / 32; pj++)
            j->amx.micro((size_t)kx, qp + pi * kx * 32, kp + pj * kx * 32,
                         w->s + pi * 32 * j->ktp + pj * 32, (size_t)j->ktp, 0);
}

/* O += P.V: P's rows (zeros past nk) into A panels, then the tiles. */
static void accumulate_pv_amx(const attn_job *j, attn_work *w, int64_t nq, int64_t nk)
{
    int64_t kx = j->terms * j->ktp;
    uint16_t *pp = (uint16_t *)w->pp;
    for (int64_t r = 0; r < round_up(nq, 32); r++) {
        amx_parts(j, w, NULL, w->s + r * j->ktp, r < nq ? nk : 0, j->ktp);
        amx_put_a(j, w, pp, r, j->ktp);
    }
    const uint16_t *vp = (const uint16_t *)w->vp;
    for (int64_t pi = 0; pi < round_up(nq, 32) / 32; pi++)
        for (int64_t pd = 0; pd < j->dvp / 32; pd++)
            j->amx.micro((size_t)kx, pp + pi * kx * 32, vp + pd * kx * 32,
                         w->o + pi * 32 * j->dvp + pd * 32, (size_t)j->dvp, 1);
}

/* S tile = qp . kp over nq x nk (whole micro tiles; padding is harmless). */
static void scores(const attn_job *j, attn_work *w, int64_t nq, int64_t nk)
{
    if (use_amx(j)) {
        scores_amx(j, w, nq, nk);
        return;
    }
    if (j->dp) {
        int64_t half = j->d / 2;
        for (int64_t pi = 0; pi < (nq + j->mr - 1) / j->mr; pi++)
            for (int64_t pj = 0; pj < (nk + j->nr - 1) / j->nr; pj++)
                j->dp((size_t)j->d, (const uint32_t *)w->qp + pi * half * j->mr,
                      (const uint32_t *)w->kp + pj * half * j->nr,
                      w->s + pi * j->mr * j->ktp + pj * j->nr, (size_t)j->ktp, 0);
        return;
    }
    for (int64_t pi = 0; pi < (nq + j->mr - 1) / j->mr; pi++)
        for (int64_t pj = 0; pj < (nk + j->nr - 1) / j->nr; pj++)
            j->k->gemm_micro((size_t)j->d, w->qp + pi * j->d * j->mr, w->kp + pj * j->d * j->nr,
                             w->s + pi * j->mr * j->ktp + pj * j->nr, (size_t)j->ktp, 0);
}

/* Online-softmax update of row r with this tile's scores (the table's
 * fused step: max, exp and sum in two passes over the row, and O's
 * rescaling); leaves P in srow (zeros past the visible keys, up to nk). */
static void softmax_step(const attn_job *j, attn_work *w, int64_t r, float *srow, int64_t vis,
                         int64_t nk)
{
    j->k->softmax_step(srow, (size_t)(vis > 0 ? vis : 0), (size_t)nk, &w->m[r], &w->l[r],
                       w->o + r * j->dvp, (size_t)j->dvp);
}

/* O += P.V. f32: the table's P.V tile reads P's rows in place (no
 * transposed copy: the GEMM's A operand is only ever broadcast). */
static void accumulate_pv(const attn_job *j, attn_work *w, int64_t nq, int64_t nk)
{
    int64_t rows = round_up(nq, j->mr);
    if (use_amx(j)) {
        accumulate_pv_amx(j, w, nq, nk);
        return;
    }
    if (j->dp) {
        /* P rows rounded to bf16 (the second half of pp), then their
         * 32-bit key pairs transposed into mr-row panels by the same
         * packing, moved as raw bits: pp[panel][nk2/2][r]. */
        int64_t nk2 = round_up(nk, 2), half = nk2 / 2;
        uint16_t *tmp = (uint16_t *)(void *)(w->pp + j->qtp * j->ktp / 2);
        for (int64_t r = 0; r < nq; r++)
            j->k->f32_to_bf16(w->s + r * j->ktp, tmp + r * j->ktp, (size_t)nk2);
        uint32_t *pp = (uint32_t *)w->pp;
        for (int64_t pi = 0; pi < rows / j->mr; pi++) {
            int64_t r0 = pi * j->mr, n = nq - r0 < j->mr ? nq - r0 : j->mr;
            j->k->gemm_pack((const float *)(const void *)(tmp + r0 * j->ktp), (size_t)j->ktp / 2, 1,
                            (size_t)n, (size_t)half, (size_t)j->mr,
                            (float *)(void *)(pp + pi * half * j->mr));
        }
        for (int64_t pi = 0; pi < rows / j->mr; pi++)
            for (int64_t pd = 0; pd < j->dvp / j->nr; pd++)
                j->dp((size_t)nk2, pp + pi * half * j->mr,
                      (const uint16_t *)w->vp + pd * j->ktp * j->nr,
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
    for (int64_t r = 0; r < nq; r++) {
        float l = w->l[r], lse = l > 0.0f ? w->m[r] + logf(l) : -INFINITY;
        tsi_cpu_attn_store(j->k, j->op, w->o + r * j->dvp, l > 0.0f ? 1.0f / l : 0.0f, lse, b,
                           row_head(j, kvh, r0 + r), (r0 + r) % j->lq, w->row);
    }
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

    if (use_amx(j))
        pack_q_amx(j, w, b, g, r0, nq);
    else if (j->dp)
        pack_q_pairs(j, w, b, g, r0, nq);
    else
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
            if (use_amx(j))
                pack_kv_amx(j, w, b, g, j0, nk);
            else if (j->dp)
                pack_kv_pairs(j, w, b, g, j0, nk);
            else
                pack_kv(j, w, b, g, j0, nk);
        }
        scores(j, w, nq, nk);
        /* P.V on k-pairs reads an even number of keys: the pad key is 0. */
        int64_t np = j->dp ? round_up(nk, 2) : nk;
        for (int64_t r = 0; r < nq; r++) {
            float *srow = w->s + r * j->ktp;
            int64_t i = (r0 + r) % j->lq;
            if (j->dp || (use_amx(j) && j->terms == 1)) /* bf16: Q unscaled */
                j->k->unary(TSI_UNARY_SCALE_SHIFT, srow, srow, (size_t)nk, j->scale, 0.0f);
            /* Row i sees tile columns [a, e). */
            int64_t a, e;
            tsi_cpu_attn_range(j->op, &kr, i, &a, &e);
            a = tsi_cpu_attn_clamp(a - j0, 0, nk);
            e = tsi_cpu_attn_clamp(e - j0, 0, nk);
            if (e > a) {
                for (int64_t c = 0; c < a; c++)
                    srow[c] = -INFINITY;
                tsi_cpu_attn_adjust(j->k, j->op, srow + a, b, row_head(j, g, r0 + r), i, j0 + a,
                                    e - a, w->row);
            }
            softmax_step(j, w, r, srow, e > a ? e : 0, np);
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
        if (use_amx(j))
            pack_kv_amx(j, &w, bg / j->hkv, bg % j->hkv, j0, nk);
        else if (j->dp)
            pack_kv_pairs(j, &w, bg / j->hkv, bg % j->hkv, j0, nk);
        else
            pack_kv(j, &w, bg / j->hkv, bg % j->hkv, j0, nk);
    }
}

static void attn_task(void *ctx, int64_t begin, int64_t end, int worker)
{
    const attn_job *j = ctx;
    attn_work w;
    carve(j, j->scratch + (size_t)worker * j->per_worker, &w);
    if (j->amx.begin)
        j->amx.begin();
    for (int64_t u = begin; u < end; u++)
        run_tile(j, &w, u);
    if (j->amx.end)
        j->amx.end();
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
        if (kn.micro && kn.a_panel == TSI_G16_TILES && kn.mr == 32 && kn.nr == 32) {
            j->amx = kn;
            /* f16: the GEMM's three terms (hi.hi + hi.lo + lo.hi). */
            j->terms = kn.terms > 1 ? kn.terms : 1;
            j->mr = j->nr = 32;
            j->dpad = round_up(j->d, 32);
        } else if (j->dt == TS_BF16 && j->d % 2 == 0 && kn.micro && kn.a_panel == TSI_G16_PAIRS &&
                   kn.b_panel == TSI_G16_PAIRS && kn.mr == j->mr && kn.nr == j->nr) {
            j->dp = kn.micro;
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

/* With several query tiles per kv head, K and V are packed once as f32
 * panels, `heads` (batch, kv head) pairs at a time: a copy linear in Lk
 * (never Lq x Lk), held only for this call. With one (short queries,
 * decoding) every key tile is used once, so each task packs its own tiles
 * as it goes. */
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
