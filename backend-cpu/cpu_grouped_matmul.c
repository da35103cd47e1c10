/* TSI_OP_GROUPED_MATMUL: y[r] = x[r] . w[e] + bias[e] for the rows r of
 * group e, zeros past the last group. Runs at record time, so the offsets
 * are read straight from host memory (clamped as core/op.h says).
 *
 * Groups big enough to keep a GEMM busy run one by one as full GEMMs
 * (tsi_cpu_sgemm: OpenBLAS, which spreads one GEMM over its threads, else
 * tessel's pool GEMM): that is the dense GEMM's own speed. f32 operands
 * are passed as they lie; 16-bit ones (with OpenBLAS only) are widened in
 * panels of PB_M rows of x and PB_N columns of w by the pool, one GEMM per
 * panel pair. Everything else (small groups, 16-bit without OpenBLAS) runs
 * as (group, row tile, column tile) tasks spread over the pool, each a
 * whole GEMM on tessel's serial kernel widening its own tiles. The 16-bit
 * weights are never widened up front: at most one K x PB_N panel at a
 * time (PB_N columns: few enough GEMM calls that OpenBLAS's spinning
 * threads and the pool's widening do not take turns too often). */
#include <string.h>

#include "backend-cpu/cpu_internal.h"

#define GM_MT 96  /* rows per task: tessel's GEMM block height */
#define GM_NT 256 /* columns per task */
/* A group of at least this many multiply-adds runs as one GEMM (as in
 * cpu_matmul.c: below it, threading one GEMM costs more than it gains). */
#define GM_BIG_MACS (64 * 64 * 64)
/* 16-bit panels of a big group: x rows and w columns widened per GEMM. */
#define PB_M 512
#define PB_N 2048

typedef struct gm_job {
    const tsi_cpu_kernels *k;
    ts_dtype dt;
    size_t es;
    const char *x, *w, *bias;
    char *y;
    int64_t kk, n, e;
    int64_t ntn;          /* column tiles */
    const int64_t *o;     /* [E+1] clamped offsets */
    const int64_t *first; /* [E+1] first pooled row tile of each group */
    char *work;           /* per-worker regions */
    size_t per_worker, ga_off, gb_off, xa_off, wb_off, ct_off, bt_off;
    float *panels;        /* 16-bit big groups: x, w and y panels, or NULL */
    bool blas;            /* OpenBLAS loaded: 16-bit big groups use it */
    int64_t pm, pn;       /* panel rows and columns */
} gm_job;

static size_t floats_bytes(int64_t count)
{
    return tsi_cpu_align_up((size_t)count * sizeof(float));
}

/* The panels shrink to the op: PB_M rows at most R, PB_N columns at most N. */
static size_t panel_floats(const gm_job *j)
{
    return (size_t)(j->pm * j->kk + j->kk * j->pn + j->pm * j->pn + j->pn);
}

/* Workspace: the clamped offsets and tile starts, for 16-bit dtypes with
 * OpenBLAS the panels of big groups (x, w, f32 result, bias), then one
 * region per worker: tessel's GEMM packing panels and, for 16-bit dtypes,
 * the widened x tile, w tile, f32 result tile and bias slice. Plan and
 * record both lay it out here. */
static size_t layout(tsi_device *dev, const tsi_op *op, gm_job *j)
{
    j->e = op->in[1].shape[1];
    j->blas = dev->state->blas->sgemm != NULL;
    j->kk = op->in[0].shape[3];
    j->n = op->out[0].shape[3];
    j->pm = op->in[0].shape[2] < PB_M ? op->in[0].shape[2] : PB_M;
    j->pn = j->n < PB_N ? j->n : PB_N;
    size_t shared = tsi_cpu_align_up(2 * (size_t)(j->e + 1) * sizeof(int64_t));
    if (op->in[0].dtype != TS_F32 && j->blas)
        shared += floats_bytes((int64_t)panel_floats(j));
    size_t ga, gb = tsi_cpu_gemm_pack_floats(dev->k, GM_NT, &ga);
    int64_t kk = op->in[0].shape[3];
    j->ga_off = 0;
    j->gb_off = j->ga_off + floats_bytes((int64_t)ga);
    j->xa_off = j->gb_off + floats_bytes((int64_t)gb);
    j->per_worker = j->xa_off;
    if (op->in[0].dtype != TS_F32) {
        j->wb_off = j->xa_off + floats_bytes(GM_MT * kk);
        j->ct_off = j->wb_off + floats_bytes(kk * GM_NT);
        j->bt_off = j->ct_off + floats_bytes(GM_MT * GM_NT);
        j->per_worker = j->bt_off + floats_bytes(GM_NT);
    }
    return shared;
}

ts_status tsi_cpu_grouped_matmul_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan)
{
    gm_job j;
    size_t shared = layout(dev, op, &j);
    plan->workspace_bytes =
        (uint64_t)shared + (uint64_t)j.per_worker * (uint64_t)tsi_cpu_pool_threads(dev->pool);
    return TS_OK;
}

/* rows [r0, r0+m) of y += bias[e] (f32 rows, ld n). */
static void add_bias_f32(const gm_job *j, float *c, int64_t ldc, int64_t m, int64_t nt,
                         const float *b)
{
    for (int64_t i = 0; i < m; i++)
        j->k->binary(TS_ADD, c + i * ldc, b, c + i * ldc, (size_t)nt);
}

/* One task: rows [r0, r0+m) of group e, columns [c0, c0+nt). */
static void gm_tile(const gm_job *j, int64_t e, int64_t r0, int64_t m, int64_t c0, int64_t nt,
                    char *work)
{
    const tsi_cpu_kernels *k = j->k;
    int64_t kk = j->kk, n = j->n, es = (int64_t)j->es;
    float *ga = (float *)(work + j->ga_off), *gb = (float *)(work + j->gb_off);
    const char *wp = j->w + (e * kk * n + c0) * es;
    if (j->dt == TS_F32) {
        float *c = (float *)j->y + r0 * n + c0;
        tsi_cpu_gemm_serial(k, false, false, m, nt, kk, (const float *)j->x + r0 * kk, kk,
                            (const float *)wp, n, c, n, ga, gb);
        if (j->bias)
            add_bias_f32(j, c, n, m, nt, (const float *)j->bias + e * n + c0);
        return;
    }
    float *xa = (float *)(work + j->xa_off), *wb = (float *)(work + j->wb_off);
    float *ct = (float *)(work + j->ct_off), *bt = (float *)(work + j->bt_off);
    for (int64_t i = 0; i < m; i++)
        tsi_cpu_load_f32(k, j->dt, j->x + (r0 + i) * kk * es, 1, xa + i * kk, (size_t)kk);
    for (int64_t p = 0; p < kk; p++)
        tsi_cpu_load_f32(k, j->dt, wp + p * n * es, 1, wb + p * nt, (size_t)nt);
    tsi_cpu_gemm_serial(k, false, false, m, nt, kk, xa, kk, wb, nt, ct, nt, ga, gb);
    if (j->bias) {
        tsi_cpu_load_f32(k, j->dt, j->bias + (e * n + c0) * es, 1, bt, (size_t)nt);
        add_bias_f32(j, ct, nt, m, nt, bt);
    }
    for (int64_t i = 0; i < m; i++)
        tsi_cpu_store_f32(k, j->dt, ct + i * nt, j->y + ((r0 + i) * n + c0) * es, 1, (size_t)nt);
}

static void gm_tasks(void *ctx, int64_t begin, int64_t end, int worker)
{
    const gm_job *j = ctx;
    char *work = j->work + (size_t)worker * j->per_worker;
    for (int64_t t = begin; t < end; t++) {
        int64_t rt = t / j->ntn, c0 = (t % j->ntn) * GM_NT;
        /* The group holding row tile rt: the last e with first[e] <= rt. */
        int64_t lo = 0, hi = j->e - 1;
        while (lo < hi) {
            int64_t mid = (lo + hi + 1) / 2;
            if (j->first[mid] <= rt)
                lo = mid;
            else
                hi = mid - 1;
        }
        int64_t r0 = j->o[lo] + (rt - j->first[lo]) * GM_MT;
        int64_t m = j->o[lo + 1] - r0 < GM_MT ? j->o[lo + 1] - r0 : GM_MT;
        int64_t nt = j->n - c0 < GM_NT ? j->n - c0 : GM_NT;
        gm_tile(j, lo, r0, m, c0, nt, work);
    }
}

static bool runs_whole(const gm_job *j, int64_t rows)
{
    return (j->dt == TS_F32 || j->blas) && rows * j->n * j->kk >= GM_BIG_MACS;
}

/* Rows of a 16-bit matrix to f32 (or back), spread over the pool. */
typedef struct widen_job {
    const tsi_cpu_kernels *k;
    ts_dtype dt;
    const char *src; /* 16-bit rows, src_ld elements apart */
    char *dst16;     /* narrowing: 16-bit rows, dst_ld apart */
    const float *srcf;
    float *dstf; /* widening: f32 rows, cols apart */
    int64_t src_ld, dst_ld, cols;
    const float *bias; /* narrowing: added to each row first, or NULL */
} widen_job;

static void widen_rows(void *ctx, int64_t begin, int64_t end, int worker)
{
    const widen_job *j = ctx;
    size_t es = ts_dtype_size(j->dt);
    for (int64_t i = begin; i < end; i++)
        tsi_cpu_load_f32(j->k, j->dt, j->src + i * j->src_ld * (int64_t)es, 1, j->dstf + i * j->cols,
                         (size_t)j->cols);
}

static void narrow_rows(void *ctx, int64_t begin, int64_t end, int worker)
{
    const widen_job *j = ctx;
    size_t es = ts_dtype_size(j->dt);
    for (int64_t i = begin; i < end; i++) {
        float *row = (float *)j->srcf + i * j->cols;
        if (j->bias)
            j->k->binary(TS_ADD, row, j->bias, row, (size_t)j->cols);
        tsi_cpu_store_f32(j->k, j->dt, row, j->dst16 + i * j->dst_ld * (int64_t)es, 1,
                          (size_t)j->cols);
    }
}

/* One big 16-bit group on OpenBLAS: per PB_M rows of x, widened once, and
 * PB_N columns of w, widened per row panel, one f32 GEMM, then bias and
 * the rounding store. Widening costs 1 / PB_M of the products. */
static ts_status gm_whole16(tsi_device *dev, const gm_job *j, int64_t e)
{
    int64_t kk = j->kk, n = j->n, es = (int64_t)j->es;
    float *xa = j->panels, *wb = xa + j->pm * kk, *ct = wb + kk * j->pn, *bt = ct + j->pm * j->pn;
    for (int64_t r0 = j->o[e]; r0 < j->o[e + 1]; r0 += j->pm) {
        int64_t m = j->o[e + 1] - r0 < j->pm ? j->o[e + 1] - r0 : j->pm;
        widen_job wx = {.k = j->k, .dt = j->dt, .src = j->x + r0 * kk * es, .dstf = xa,
                        .src_ld = kk, .cols = kk};
        tsi_cpu_pool_for(dev->pool, m, kk, widen_rows, &wx);
        for (int64_t c0 = 0; c0 < n; c0 += j->pn) {
            int64_t nb = n - c0 < j->pn ? n - c0 : j->pn;
            widen_job ww = {.k = j->k, .dt = j->dt, .src = j->w + (e * kk * n + c0) * es,
                            .dstf = wb, .src_ld = n, .cols = nb};
            tsi_cpu_pool_for(dev->pool, kk, nb, widen_rows, &ww);
            ts_status st = tsi_cpu_sgemm(dev, false, false, m, nb, kk, xa, kk, wb, nb, ct, nb);
            if (st != TS_OK)
                return st;
            if (j->bias)
                tsi_cpu_load_f32(j->k, j->dt, j->bias + (e * n + c0) * es, 1, bt, (size_t)nb);
            widen_job wy = {.k = j->k, .dt = j->dt, .srcf = ct, .dst16 = j->y + (r0 * n + c0) * es,
                            .dst_ld = n, .cols = nb, .bias = j->bias ? bt : NULL};
            tsi_cpu_pool_for(dev->pool, m, nb, narrow_rows, &wy);
        }
    }
    return TS_OK;
}

/* One big group as a single GEMM, then its bias (16-bit: in panels). */
static ts_status gm_whole(tsi_device *dev, const gm_job *j, int64_t e)
{
    if (j->dt != TS_F32)
        return gm_whole16(dev, j, e);
    int64_t r0 = j->o[e], m = j->o[e + 1] - r0;
    float *c = (float *)j->y + r0 * j->n;
    ts_status st = tsi_cpu_sgemm(dev, false, false, m, j->n, j->kk,
                                 (const float *)j->x + r0 * j->kk, j->kk,
                                 (const float *)j->w + e * j->kk * j->n, j->n, c, j->n);
    if (st != TS_OK)
        return st;
    if (j->bias)
        add_bias_f32(j, c, j->n, m, j->n, (const float *)j->bias + e * j->n);
    return TS_OK;
}

ts_status tsi_cpu_grouped_matmul_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_view *x = &op->in[0];
    gm_job j = {.k = dev->k,
                .dt = x->dtype,
                .es = ts_dtype_size(x->dtype),
                .x = tsi_cpu_view_ptr(x),
                .w = tsi_cpu_view_ptr(&op->in[1]),
                .bias = op->in[3].buf ? tsi_cpu_view_ptr(&op->in[3]) : NULL,
                .y = tsi_cpu_view_ptr(&op->out[0]),
                .kk = x->shape[3],
                .n = op->out[0].shape[3]};
    size_t shared = layout(dev, op, &j);
    j.ntn = (j.n + GM_NT - 1) / GM_NT;
    int64_t r = x->shape[2], *o = tsi_cpu_workspace(op), *first = o + j.e + 1;
    const int32_t *off = tsi_cpu_view_ptr(&op->in[2]);
    j.work = (char *)o + shared;
    j.panels = (float *)((char *)o + tsi_cpu_align_up(2 * (size_t)(j.e + 1) * sizeof(int64_t)));
    o[0] = 0;
    for (int64_t e = 1; e <= j.e; e++) {
        int64_t v = off[e] < o[e - 1] ? o[e - 1] : off[e];
        o[e] = v > r ? r : v;
    }
    j.o = o;
    j.first = first;
    first[0] = 0;
    for (int64_t e = 0; e < j.e; e++) {
        int64_t rows = o[e + 1] - o[e];
        first[e + 1] = first[e] + (runs_whole(&j, rows) ? 0 : (rows + GM_MT - 1) / GM_MT);
    }
    for (int64_t e = 0; e < j.e; e++) {
        if (o[e + 1] > o[e] && runs_whole(&j, o[e + 1] - o[e])) {
            ts_status st = gm_whole(dev, &j, e);
            if (st != TS_OK)
                return st;
        }
    }
    if (first[j.e] > 0)
        tsi_cpu_pool_for(dev->pool, first[j.e] * j.ntn, GM_MT * GM_NT * j.kk, gm_tasks, &j);
    if (o[j.e] < r)
        memset(j.y + o[j.e] * j.n * (int64_t)j.es, 0, (size_t)((r - o[j.e]) * j.n) * j.es);
    return TS_OK;
}
