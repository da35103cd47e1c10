/* TSI_OP_GROUPED_MATMUL: y[r] = x[r] . w[e] + bias[e] for the rows r of
 * group e, zeros past the last group. Runs at record time, so the offsets
 * are read straight from host memory (clamped as core/op.h says).
 *
 * Groups big enough to keep a GEMM busy run as whole GEMMs. f32: a group
 * with many rows per thread is one OpenBLAS GEMM (its kernel is the
 * fastest there, and it spreads one GEMM over its threads). The other big
 * groups, when there are enough of them to share out, run side by side:
 * (group, column block) tasks over the pool, each a whole GEMM over all
 * the group's rows on one worker (tessel's serial f32 kernel, or the
 * 16-bit GEMM with its per-worker workspace), so no thread waits on
 * another until the last task and each group's weights are packed once.
 * When they are too few for that (an expert of 512 rows on 16 threads),
 * f32 groups run together as one grouped GEMM on tessel's kernel
 * (tsi_cpu_gemm_grouped: threads over every group's tiles, each B block
 * packed once, one pool job per column block) and f16 / bf16 groups one by
 * one on tessel's 16-bit GEMM over the pool (cpu_gemm16.c). The 16-bit
 * GEMM widens panels while packing and adds the bias before its single
 * rounding, so a weight matrix is never converted whole. Everything else
 * (small groups, and 16-bit groups of one row tile) runs as (group, row
 * tile, column tile) tasks spread over the pool, each a whole GEMM on the
 * calling worker. */
#include <string.h>

#include "backend-cpu/cpu_gemm16.h"
#include "backend-cpu/cpu_internal.h"

#define GM_MT 96  /* rows per task: tessel's GEMM block height */
#define GM_NT 256 /* columns per task */
/* A group of at least this many multiply-adds runs as one GEMM (as in
 * cpu_matmul.c: below it, threading one GEMM costs more than it gains). */
#define GM_BIG_MACS (64 * 64 * 64)
/* An f32 group of at least this many rows per pool thread runs on
 * OpenBLAS alone. Measured on 2 threads, x [4096, 1024] by E weights
 * [1024, 4096] (and [4096, 1024]), each iteration timing both paths back
 * to back: side by side took 0.98-1.05 x the time of OpenBLAS one group
 * at a time for groups of 1024 rows, 0.93-0.99 x for groups of 512 rows;
 * against the grouped GEMM, 0.90-0.93 x for groups of 64 rows (0.85 x
 * for 512 rows without OpenBLAS). */
#define GM_BLAS_ROWS_PER_THREAD 384
/* Columns per side-by-side task: a few tasks per group to share out, and
 * each task's packed A (the group's rows) is reused across many columns.
 * 512 to 2048 measured the same for x [4096, 1024] by eight [1024, 4096]
 * experts; by eight [4096, 1024] (one block per group at 1024: 4 tasks
 * per thread on 2 threads, and the last ones claimed leave a thread idle)
 * 512 took 1.11-1.14 x the dense GEMM's time against 1.20-1.22 x in four
 * runs, each alternating both. So the width halves where fewer than
 * 2 x GM_SIDE_SHARE tasks per thread would remain. */
#define GM_SIDE_NT 1024
/* Groups run side by side only when no task is more than a quarter of a
 * thread's share, so the last task claimed adds little to the wait. */
#define GM_SIDE_SHARE 4

typedef struct gm_job {
    const tsi_cpu_kernels *k;
    tsi_cpu_gemm16_kernel kn; /* 16-bit dtypes */
    ts_dtype dt;
    size_t es;
    const char *x, *w, *bias;
    char *y;
    int64_t kk, n, e;
    int64_t ntn;          /* column tiles */
    const int64_t *o;     /* [E+1] clamped offsets */
    const int64_t *first; /* [E+1] first pooled row tile of each group */
    int64_t *side;        /* [E] big groups not on OpenBLAS, most rows first */
    int64_t side_nt;      /* columns per side-by-side task: GM_SIDE_NT or half */
    char *work;           /* per-worker regions */
    size_t per_worker, ga_off, gb_off;
    char *big; /* big groups: the 16-bit pool GEMM's workspace, or the f32 groups */
} gm_job;

static int64_t chunks_of(const gm_job *j, int64_t nt)
{
    return (j->n + nt - 1) / nt;
}

static int64_t side_chunks(const gm_job *j)
{
    return chunks_of(j, j->side_nt);
}

static size_t floats_bytes(int64_t count)
{
    return tsi_cpu_align_up((size_t)count * sizeof(float));
}

/* Workspace: the clamped offsets, tile starts and side-by-side list; for
 * 16-bit dtypes the 16-bit GEMM's workspace for a big group on the pool
 * (sized for all R rows: it caps itself at a few MiB), for f32 the list
 * of groups the grouped GEMM runs; then one region per worker: tessel's
 * f32 GEMM packing panels, or the 16-bit GEMM's workspace, for one tile
 * or (where groups can run side by side) one whole group's column block.
 * Plan and record both lay it out here. */
static size_t layout(tsi_device *dev, const tsi_op *op, gm_job *j)
{
    j->e = op->in[1].shape[1];
    j->kk = op->in[0].shape[3];
    j->n = op->out[0].shape[3];
    j->dt = op->in[0].dtype;
    size_t shared = tsi_cpu_align_up(3 * (size_t)(j->e + 1) * sizeof(int64_t));
    int threads = tsi_cpu_pool_threads(dev->pool);
    /* Room for side-by-side tasks only where they can be chosen (each of
     * E groups at least 1/E of the rows: see side_by_side). */
    int64_t share = (int64_t)GM_SIDE_SHARE * threads, tasks = j->e * chunks_of(j, GM_SIDE_NT);
    bool side = tasks >= share;
    j->side_nt = side && tasks < 2 * share ? GM_SIDE_NT / 2 : GM_SIDE_NT;
    int64_t r = op->in[0].shape[2];
    if (j->dt != TS_F32) {
        tsi_cpu_gemm16_kernel_for(&dev->state->feat, dev->k, j->dt, &j->kn);
        /* The block of the all-rows GEMM below is allocated whether or not
         * a group takes that path: kept at 4 MiB, not the plain GEMM's 32. */
        j->kn.acc_bytes = dev->state->host->test_hook("cpu_gemm16_chunks") ? TSI_G16_TEST_ACC_BYTES
                                                                           : (size_t)4 << 20;
        shared +=
            tsi_cpu_align_up(tsi_cpu_gemm16_work_bytes(&j->kn, dev->k, r, j->n, j->kk, threads));
        size_t tile = tsi_cpu_gemm16_work_bytes(&j->kn, dev->k, GM_MT, GM_NT, j->kk, 1);
        size_t whole =
            side ? tsi_cpu_gemm16_work_bytes(&j->kn, dev->k, r, GM_SIDE_NT, j->kk, 1) : 0;
        j->per_worker = tsi_cpu_align_up(tile > whole ? tile : whole);
        return shared;
    }
    shared += tsi_cpu_align_up((size_t)j->e * sizeof(tsi_cpu_gemm_group));
    size_t ga, gb = tsi_cpu_gemm_pack_floats(dev->k, side ? GM_SIDE_NT : GM_NT, &ga);
    j->ga_off = 0;
    j->gb_off = j->ga_off + floats_bytes((int64_t)ga);
    j->per_worker = j->gb_off + floats_bytes((int64_t)gb);
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
    const char *wp = j->w + (e * kk * n + c0) * es;
    if (j->dt == TS_F32) {
        float *ga = (float *)(work + j->ga_off), *gb = (float *)(work + j->gb_off);
        float *c = (float *)j->y + r0 * n + c0;
        tsi_cpu_gemm_serial(k, false, false, m, nt, kk, (const float *)j->x + r0 * kk, kk,
                            (const float *)wp, n, c, n, ga, gb);
        if (j->bias)
            add_bias_f32(j, c, n, m, nt, (const float *)j->bias + e * n + c0);
        return;
    }
    tsi_gemm16 g = {.dt = j->dt,
                    .m = m,
                    .n = nt,
                    .k = kk,
                    .a = j->x + r0 * kk * es,
                    .a_rs = kk,
                    .a_cs = 1,
                    .b = wp,
                    .b_rs = n,
                    .b_cs = 1,
                    .c = j->y + (r0 * n + c0) * es,
                    .c_dt = j->dt,
                    .ldc = n,
                    .bias = j->bias ? j->bias + (e * n + c0) * es : NULL};
    tsi_cpu_gemm16(NULL, k, &j->kn, &g, work);
}

static void gm_tasks(void *ctx, int64_t begin, int64_t end, int worker)
{
    const gm_job *j = ctx;
    char *work = j->work + (size_t)worker * j->per_worker;
    for (int64_t t = begin; t < end; t++) {
        int64_t rt = t / j->ntn, c0 = (t % j->ntn) * GM_NT;
        int64_t lo = tsi_cpu_group_of(j->first, j->e, rt); /* the group of row tile rt */
        int64_t r0 = j->o[lo] + (rt - j->first[lo]) * GM_MT;
        int64_t m = j->o[lo + 1] - r0 < GM_MT ? j->o[lo + 1] - r0 : GM_MT;
        int64_t nt = j->n - c0 < GM_NT ? j->n - c0 : GM_NT;
        gm_tile(j, lo, r0, m, c0, nt, work);
    }
}

/* A 16-bit group of one row tile stays with the tasks whatever its size:
 * each of its B panels is packed once there too, and its tiles share the
 * pool with every other group's rather than running one GEMM at a time
 * (tessel-bench moe --experts 64 --dtype bf16, 64 rows per expert:
 * 2.04-2.06 x the dense FFN against 2.26-2.39 one by one). */
static bool runs_whole(const gm_job *j, int64_t rows)
{
    if (j->dt != TS_F32 && rows <= GM_MT)
        return false;
    return rows * j->n * j->kk >= GM_BIG_MACS;
}

/* One big 16-bit group as one 16-bit GEMM over the pool, bias included. */
static void gm_whole16(tsi_device *dev, const gm_job *j, int64_t e)
{
    int64_t r0 = j->o[e], es = (int64_t)j->es;
    tsi_gemm16 g = {.dt = j->dt,
                    .m = j->o[e + 1] - r0,
                    .n = j->n,
                    .k = j->kk,
                    .a = j->x + r0 * j->kk * es,
                    .a_rs = j->kk,
                    .a_cs = 1,
                    .b = j->w + e * j->kk * j->n * es,
                    .b_rs = j->n,
                    .b_cs = 1,
                    .c = j->y + r0 * j->n * es,
                    .c_dt = j->dt,
                    .ldc = j->n,
                    .bias = j->bias ? j->bias + e * j->n * es : NULL};
    tsi_cpu_gemm16(dev->pool, dev->k, &j->kn, &g, j->big);
}

static int64_t rows_of(const gm_job *j, int64_t e)
{
    return j->o[e + 1] - j->o[e];
}

/* Task t: column block t % chunks of the (t / chunks)-th side group,
 * over all its rows. */
static void gm_side_tasks(void *ctx, int64_t begin, int64_t end, int worker)
{
    const gm_job *j = ctx;
    char *work = j->work + (size_t)worker * j->per_worker;
    int64_t chunks = side_chunks(j);
    for (int64_t t = begin; t < end; t++) {
        int64_t e = j->side[t / chunks], c0 = (t % chunks) * j->side_nt;
        int64_t nt = j->n - c0 < j->side_nt ? j->n - c0 : j->side_nt;
        gm_tile(j, e, j->o[e], rows_of(j, e), c0, nt, work);
    }
}

/* The first ns entries of j->side side by side, if no task is more than
 * 1 / GM_SIDE_SHARE of a thread's share of the work. Since the largest
 * group has at least 1 / E of the rows, that needs E * chunks >=
 * GM_SIDE_SHARE * threads, which is where layout() makes room for it. */
static bool side_by_side(tsi_device *dev, const gm_job *j, int64_t ns)
{
    int threads = tsi_cpu_pool_threads(dev->pool);
    int64_t chunks = side_chunks(j), sum = 0;
    for (int64_t i = 0; i < ns; i++)
        sum += rows_of(j, j->side[i]);
    if (ns == 0 || rows_of(j, j->side[0]) * GM_SIDE_SHARE * threads > sum * chunks)
        return false;
    /* Most rows first, so the tasks claimed last are the smallest. */
    tsi_cpu_pool_for(dev->pool, ns * chunks, rows_of(j, j->side[0]) * j->side_nt * j->kk,
                     gm_side_tasks, (void *)j);
    return true;
}

/* One big f32 group as a single GEMM, then its bias. */
static ts_status gm_whole(tsi_device *dev, const gm_job *j, int64_t e)
{
    int64_t r0 = j->o[e], m = j->o[e + 1] - r0;
    float *c = (float *)j->y + r0 * j->n;
    ts_status st =
        tsi_cpu_sgemm(dev, false, false, m, j->n, j->kk, (const float *)j->x + r0 * j->kk, j->kk,
                      (const float *)j->w + e * j->kk * j->n, j->n, c, j->n);
    if (st != TS_OK)
        return st;
    if (j->bias)
        add_bias_f32(j, c, j->n, m, j->n, (const float *)j->bias + e * j->n);
    return TS_OK;
}

static bool on_blas(tsi_device *dev, int64_t rows)
{
    return dev->state->blas->sgemm &&
           rows >= GM_BLAS_ROWS_PER_THREAD * (int64_t)tsi_cpu_pool_threads(dev->pool);
}

/* The big groups: f32 ones with many rows per thread on OpenBLAS; the
 * rest side by side, or else (too few to share out) 16-bit ones one by
 * one and f32 ones in one grouped GEMM, then their bias. */
static ts_status gm_big(tsi_device *dev, const gm_job *j)
{
    int64_t ns = 0;
    for (int64_t e = 0; e < j->e; e++) {
        int64_t rows = rows_of(j, e);
        if (rows == 0 || !runs_whole(j, rows))
            continue;
        if (j->dt == TS_F32 && on_blas(dev, rows)) {
            ts_status st = gm_whole(dev, j, e);
            if (st != TS_OK)
                return st;
            continue;
        }
        int64_t i = ns++; /* insertion sort, most rows first */
        for (; i > 0 && rows_of(j, j->side[i - 1]) < rows; i--)
            j->side[i] = j->side[i - 1];
        j->side[i] = e;
    }
    if (ns == 0 || side_by_side(dev, j, ns))
        return TS_OK;
    if (j->dt != TS_F32) {
        for (int64_t i = 0; i < ns; i++)
            gm_whole16(dev, j, j->side[i]);
        return TS_OK;
    }
    tsi_cpu_gemm_group *groups = (tsi_cpu_gemm_group *)j->big;
    for (int64_t i = 0; i < ns; i++)
        groups[i] = (tsi_cpu_gemm_group){.row = j->o[j->side[i]],
                                         .rows = rows_of(j, j->side[i]),
                                         .b = (const float *)j->w + j->side[i] * j->kk * j->n};
    ts_status st = tsi_cpu_gemm_grouped(dev, ns, groups, j->n, j->kk, (const float *)j->x, j->kk,
                                        j->n, (float *)j->y, j->n);
    for (int64_t i = 0; st == TS_OK && j->bias && i < ns; i++)
        add_bias_f32(j, (float *)j->y + groups[i].row * j->n, j->n, groups[i].rows, j->n,
                     (const float *)j->bias + j->side[i] * j->n);
    return st;
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
    j.side = first + j.e + 1;
    const int32_t *off = tsi_cpu_view_ptr(&op->in[2]);
    j.work = (char *)o + shared;
    j.big = (char *)o + tsi_cpu_align_up(3 * (size_t)(j.e + 1) * sizeof(int64_t));
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
    ts_status st = gm_big(dev, &j);
    if (st != TS_OK)
        return st;
    if (first[j.e] > 0)
        tsi_cpu_pool_for(dev->pool, first[j.e] * j.ntn, GM_MT * GM_NT * j.kk, gm_tasks, &j);
    if (o[j.e] < r)
        memset(j.y + o[j.e] * j.n * (int64_t)j.es, 0, (size_t)((r - o[j.e]) * j.n) * j.es);
    return TS_OK;
}
