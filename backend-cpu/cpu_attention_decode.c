/* Flash-decoding for TSI_OP_ATTENTION (core/op.h) when a kv head has at
 * most DEC_MAX_ROWS query rows (Lq * Hq/Hkv: a decode step, or a few
 * speculative tokens). Such a call is a read of K and V and little else,
 * so the main kernel's plan (query tiles, K and V packed as f32 panels)
 * would spend its time converting: here
 *   - the query rows that share a kv head are one group of rows, so each
 *     K and V byte is read once per call;
 *   - the visible keys of each (batch, kv head) are split into nch ranges
 *     (split-K), one task each, so a single kv head still uses every
 *     thread; each task keeps its own (m, l, O) per row;
 *   - K and V are read where they are, in their dtype, and widened in
 *     registers by the SIMD table's attn_qk / attn_pv (never converted up
 *     front);
 *   - a second pass merges the ranges' partials with the log-sum-exp
 *     rule: M = max m_i, L = sum e^(m_i - M) l_i, O = sum e^(m_i - M) O_i,
 *     o = O / L, lse = M + ln L.
 * Every part of the op contract is honoured: scale, softcap, bias, key
 * mask, key_len (keys past it are never read), causal with either
 * alignment, window, gate, lse, GQA / MQA and Dv != D. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend-cpu/cpu_attention.h"

#define DEC_MAX_ROWS 16
#define DEC_KB 64          /* keys per block: the S tile is rows x DEC_KB */
#define DEC_MIN_SPLIT 512  /* keys per split-K range, at least */
#define DEC_MAX_SPLITS 64
#define DEC_ROWBUF 512     /* floats: a bias row (DEC_KB) or o and gate (2 Dv) */

typedef struct dec_job {
    const tsi_cpu_kernels *k;
    const tsi_op *op;
    ts_dtype dt;
    int fmt; /* TSI_KV_* */
    int64_t b, hq, hkv, lq, lk, d, dv;
    int64_t group, rows, rows4; /* rows = group * Lq query rows per kv head, rows4 padded to 4 */
    int64_t nch;                /* split-K ranges per (batch, kv head) */
    float scale;
    size_t ldo; /* floats between partial O rows */
    size_t per_worker;
    char *scratch;
    float *part_m, *part_l, *part_o; /* [B * Hkv * nch][rows4] (O: x ldo) */
} dec_job;

static int64_t round_up(int64_t x, int64_t m)
{
    return (x + m - 1) / m * m;
}

/* The decode path takes float K / V with unit-stride rows and few rows per
 * kv head; everything else stays with the main kernel (and everything
 * does with TESSEL_ATTENTION_DECODE=0, for comparisons). */
static int eligible(const tsi_op *op)
{
    const char *env = getenv("TESSEL_ATTENTION_DECODE"); /* "0": main kernel only */
    if (env && strcmp(env, "0") == 0)
        return 0;
    const tsi_view *q = &op->in[0], *k = &op->in[1], *v = &op->in[2];
    ts_dtype dt = q->dtype;
    if (dt != TS_F32 && dt != TS_F16 && dt != TS_BF16)
        return 0;
    if (k->dtype != dt || v->dtype != dt || k->stride[3] != 1 || v->stride[3] != 1)
        return 0;
    if (k->shape[1] < 1 || q->shape[1] % k->shape[1] != 0)
        return 0;
    int64_t rows = q->shape[2] * (q->shape[1] / k->shape[1]);
    return rows >= 1 && rows <= DEC_MAX_ROWS && q->shape[3] <= 256 && v->shape[3] <= 256;
}

static int64_t split_count(int threads, const tsi_op *op)
{
    int64_t bh = op->in[0].shape[0] * op->in[1].shape[1], lk = op->in[1].shape[2];
    /* About eight tasks per thread (the pool balances them), but never a
     * range so short that loading Q and merging would dominate. */
    int64_t n = (8 * (int64_t)threads + bh - 1) / bh;
    int64_t most = lk / DEC_MIN_SPLIT;
    if (n > most)
        n = most;
    if (n > DEC_MAX_SPLITS)
        n = DEC_MAX_SPLITS;
    return n < 1 ? 1 : n;
}

static void job_init(tsi_device *dev, const tsi_op *op, dec_job *j)
{
    const tsi_view *q = &op->in[0], *k = &op->in[1], *v = &op->in[2];
    *j = (dec_job){
        .k = dev->k,
        .op = op,
        .dt = q->dtype,
        .fmt = q->dtype == TS_F16    ? TSI_KV_F16
               : q->dtype == TS_BF16 ? TSI_KV_BF16
                                     : TSI_KV_F32,
        .b = q->shape[0],
        .hq = q->shape[1],
        .hkv = k->shape[1],
        .lq = q->shape[2],
        .lk = k->shape[2],
        .d = q->shape[3],
        .dv = v->shape[3],
        .scale = op->p.attention.scale,
    };
    j->group = j->hq / j->hkv;
    j->rows = j->group * j->lq;
    j->rows4 = round_up(j->rows, 4);
    j->nch = split_count(tsi_cpu_pool_threads(dev->pool), op);
    j->ldo = tsi_cpu_align_floats((size_t)j->dv);
    j->per_worker = tsi_cpu_align_up((size_t)(j->rows4 * j->d) * sizeof(float)) +
                    tsi_cpu_align_up((size_t)(j->rows4 * DEC_KB) * sizeof(float)) +
                    tsi_cpu_align_up(DEC_ROWBUF * sizeof(float));
}

static size_t partial_floats(const dec_job *j)
{
    return (size_t)(j->b * j->hkv * j->nch * j->rows4) * (j->ldo + 2);
}

typedef struct dec_work {
    float *q, *s, *row;
} dec_work;

static void carve(const dec_job *j, int worker, dec_work *w)
{
    char *base = j->scratch + (size_t)worker * j->per_worker;
    w->q = (float *)base;
    base += tsi_cpu_align_up((size_t)(j->rows4 * j->d) * sizeof(float));
    w->s = (float *)base;
    base += tsi_cpu_align_up((size_t)(j->rows4 * DEC_KB) * sizeof(float));
    w->row = (float *)base;
}

/* One split-K range of one (batch, kv head): its partial (m, l, O). */
static void run_range(const dec_job *j, dec_work *w, int64_t u)
{
    int64_t ch = u % j->nch, bg = u / j->nch, b = bg / j->hkv, g = bg % j->hkv;
    float *pm = j->part_m + u * j->rows4, *pl = j->part_l + u * j->rows4;
    float *po = j->part_o + (size_t)(u * j->rows4) * j->ldo;
    for (int64_t r = 0; r < j->rows4; r++) {
        pm[r] = -INFINITY;
        pl[r] = 0.0f;
        memset(po + (size_t)r * j->ldo, 0, (size_t)j->dv * sizeof(float));
    }
    /* Rows' visible ranges grow with the query index, so query 0's start
     * and query Lq-1's end bound them all. */
    tsi_cpu_attn_keys kr = tsi_cpu_attn_keys_of(j->op, b);
    int64_t lo, hi, unused;
    tsi_cpu_attn_range(j->op, &kr, 0, &lo, &unused);
    tsi_cpu_attn_range(j->op, &kr, j->lq - 1, &unused, &hi);
    hi = hi > lo ? hi : lo;
    int64_t span = (hi - lo + j->nch - 1) / j->nch;
    int64_t c0 = lo + ch * span, c1 = c0 + span < hi ? c0 + span : hi;
    if (c1 <= c0)
        return;

    const tsi_view *q = &j->op->in[0], *kv = &j->op->in[1], *vv = &j->op->in[2];
    for (int64_t r = 0; r < j->rows4; r++) {
        float *qr = w->q + r * j->d;
        if (r >= j->rows) {
            memset(qr, 0, (size_t)j->d * sizeof(float));
            continue;
        }
        tsi_cpu_load_f32(j->k, j->dt, tsi_cpu_attn_at(q, b, g * j->group + r / j->lq, r % j->lq, 0),
                         q->stride[3], qr, (size_t)j->d);
        for (int64_t x = 0; x < j->d; x++)
            qr[x] *= j->scale;
    }
    size_t esz = ts_dtype_size(j->dt);
    const char *kbase = tsi_cpu_attn_at(kv, b, g, 0, 0), *vbase = tsi_cpu_attn_at(vv, b, g, 0, 0);
    size_t ks = (size_t)kv->stride[2], vs = (size_t)vv->stride[2];
    for (int64_t j0 = c0; j0 < c1; j0 += DEC_KB) {
        int64_t nk = c1 - j0 < DEC_KB ? c1 - j0 : DEC_KB;
        j->k->attn_qk(j->fmt, kbase + (size_t)j0 * ks * esz, ks, (size_t)nk, w->q,
                      (size_t)j->rows4, (size_t)j->d, w->s, DEC_KB);
        for (int64_t r = 0; r < j->rows4; r++) {
            float *srow = w->s + r * DEC_KB;
            if (r >= j->rows) { /* padding rows: finite zeros for attn_pv */
                memset(srow, 0, (size_t)nk * sizeof(float));
                continue;
            }
            int64_t vis = tsi_cpu_attn_scores(j->k, j->op, &kr, srow, b, g * j->group + r / j->lq,
                                              r % j->lq, j0, nk, w->row);
            j->k->softmax_step(srow, (size_t)vis, (size_t)nk, &pm[r], &pl[r],
                               po + (size_t)r * j->ldo, (size_t)j->dv);
        }
        j->k->attn_pv(j->fmt, vbase + (size_t)j0 * vs * esz, vs, (size_t)nk, w->s, DEC_KB,
                      (size_t)j->rows4, (size_t)j->dv, po, j->ldo);
    }
}

static void range_task(void *ctx, int64_t begin, int64_t end, int worker)
{
    const dec_job *j = ctx;
    dec_work w;
    carve(j, worker, &w);
    for (int64_t u = begin; u < end; u++)
        run_range(j, &w, u);
}

/* One query row: merge its nch partials, normalize, gate, store. */
static void merge_row(const dec_job *j, dec_work *w, int64_t unit)
{
    int64_t r = unit % j->rows, bg = unit / j->rows, b = bg / j->hkv, g = bg % j->hkv;
    int64_t h = g * j->group + r / j->lq, i = r % j->lq;
    int64_t u0 = bg * j->nch;
    float mx = -INFINITY;
    for (int64_t c = 0; c < j->nch; c++) {
        float m = j->part_m[(u0 + c) * j->rows4 + r];
        mx = m > mx ? m : mx;
    }
    float *o = w->row, *gv = w->row + 256;
    memset(o, 0, (size_t)j->dv * sizeof(float));
    float sum = 0.0f;
    for (int64_t c = 0; c < j->nch; c++) {
        int64_t u = u0 + c;
        float m = j->part_m[u * j->rows4 + r], l = j->part_l[u * j->rows4 + r];
        if (l == 0.0f)
            continue; /* an empty range, or one whose keys were all hidden */
        /* A NaN l (a NaN score) makes sum NaN, whatever e is. */
        float e = expf(m - mx);
        sum += e * l;
        j->k->axpy(e, j->part_o + (size_t)(u * j->rows4 + r) * j->ldo, o, o, (size_t)j->dv);
    }
    tsi_cpu_attn_store(j->k, j->op, o, mx, sum, b, h, i, gv);
}

static void merge_task(void *ctx, int64_t begin, int64_t end, int worker)
{
    const dec_job *j = ctx;
    dec_work w;
    carve(j, worker, &w);
    for (int64_t u = begin; u < end; u++)
        merge_row(j, &w, u);
}

int tsi_cpu_attention_decode_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan)
{
    if (!eligible(op))
        return 0;
    dec_job j;
    job_init(dev, op, &j);
    plan->tile[0] = DEC_KB;
    plan->tile[1] = (int)j.nch;
    plan->workspace_bytes =
        tsi_cpu_align_up(j.per_worker * (size_t)tsi_cpu_pool_threads(dev->pool)) +
        partial_floats(&j) * sizeof(float);
    return 1;
}

int tsi_cpu_attention_decode_record(tsi_device *dev, const tsi_op *op)
{
    if (!eligible(op))
        return 0;
    dec_job j;
    job_init(dev, op, &j);
    char *ws = tsi_cpu_workspace(op);
    j.scratch = ws;
    size_t parts = (size_t)(j.b * j.hkv * j.nch * j.rows4);
    j.part_m = (float *)(ws + tsi_cpu_align_up(j.per_worker * (size_t)tsi_cpu_pool_threads(dev->pool)));
    j.part_l = j.part_m + parts;
    j.part_o = j.part_l + parts;
    int64_t keys = (j.lk + j.nch - 1) / j.nch;
    tsi_cpu_pool_for(dev->pool, j.b * j.hkv * j.nch, 2 * keys * j.rows4 * (j.d + j.dv), range_task,
                     &j);
    tsi_cpu_pool_for(dev->pool, j.b * j.hkv * j.rows, j.nch * j.dv + j.dv, merge_task, &j);
    return 1;
}
