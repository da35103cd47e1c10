/* TSI_OP_FFT on the CPU: complex, real-to-complex and complex-to-real
 * transforms along the last dim for every length whose prime factors are
 * 2, 3, 5 and 7 (core runs Bluestein for the others). The algorithm and
 * the kernels are in cpu_fft.h and cpu_fft_kernels.inc; this file picks
 * the kernel table and the plan, and spreads the work: whole rows over the
 * pool when there are enough of them, else the steps of each row (the
 * butterflies of a pass, blocks of outputs) over the pool. */
#include <string.h>

#include "backend-cpu/cpu_fft_rows.h"

/* The complex length a transform runs: real transforms of even n use a
 * complex one of n/2 points. */
static int64_t complex_len(const tsi_op *op)
{
    int64_t n = op->p.fft.n;
    return op->p.fft.kind != TSI_FFT_C2C && n % 2 == 0 ? n / 2 : n;
}

/* The widest table at or below the device's whose vw x vw blocks tile n:
 * other lengths run narrower vectors, down to the scalar table. */
static const tsi_cpu_kernels *table_for(const tsi_cpu_kernels *k, int64_t n)
{
    for (;;) {
        int64_t vw = k->fft->vw;
        if (n % (vw * vw) == 0 || k->level == TSI_CPU_SIMD_SCALAR)
            return k;
        k = tsi_cpu_kernels_for(k->level == TSI_CPU_SIMD_AVX512 ? TSI_CPU_SIMD_AVX2
                                                                : TSI_CPU_SIMD_SCALAR);
    }
}

static tsi_cpu_fft_tables *plan_for(tsi_device *dev, int64_t n, int vw)
{
    for (tsi_cpu_fft_tables *p = dev->fft_tables; p; p = p->next)
        if (p->n == n && p->vw == vw)
            return p;
    tsi_cpu_fft_tables *p = tsi_cpu_fft_tables_create(n, vw);
    if (!p) {
        dev->state->host->set_error("fft: out of host memory for the plan of length %lld",
                                    (long long)n);
        return NULL;
    }
    p->next = dev->fft_tables;
    dev->fft_tables = p;
    return p;
}

bool tsi_cpu_fft_supports(tsi_device *dev, const tsi_op *op)
{
    ts_dtype in = op->in[0].dtype, out = op->out[0].dtype;
    bool dtypes;
    switch (op->p.fft.kind) {
    case TSI_FFT_C2C:
        dtypes = in == TS_C64 && out == TS_C64;
        break;
    case TSI_FFT_R2C:
        dtypes = (in == TS_F32 || in == TS_F16 || in == TS_BF16) && out == TS_C64;
        break;
    case TSI_FFT_C2R:
        dtypes = in == TS_C64 && out == TS_F32;
        break;
    default:
        return false;
    }
    return dtypes && tsi_fft_smooth(op->p.fft.n);
}

/* Per worker: two element buffers of the complex length and one
 * interleaved row (a spectrum, a widened input, an odd-length output). */
static size_t worker_floats(int64_t len)
{
    return 3 * tsi_cpu_fft_buffer_floats(len);
}

/* Rows run whole on workers when there are enough to share evenly (or
 * they are short); otherwise one row at a time, each step split. */
static bool by_rows(const tsi_device *dev, int64_t rows, int64_t len)
{
    int64_t t = tsi_cpu_pool_threads(dev->pool);
    return t == 1 || len < 2048 || rows >= 4 * t || (rows >= t && rows % t == 0);
}

static int64_t rows_of(const tsi_op *op)
{
    return tsi_cpu_view_numel(&op->out[0]) / op->out[0].shape[3];
}

ts_status tsi_cpu_fft_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan)
{
    int64_t len = complex_len(op);
    const tsi_cpu_kernels *k = table_for(dev->k, len);
    if (!plan_for(dev, len, k->fft->vw))
        return TS_ERR_OUT_OF_MEMORY;
    int64_t workers = by_rows(dev, rows_of(op), len) ? tsi_cpu_pool_threads(dev->pool) : 1;
    plan->workspace_bytes = (uint64_t)workers * worker_floats(len) * sizeof(float);
    return TS_OK;
}

/* ---- one row ------------------------------------------------------------------ */

enum { STEP_PASS, STEP_COLS, STEP_LAST, STEP_R2C, STEP_C2R };

typedef struct step {
    const tsi_cpu_fft_job *j;
    int what;
    const tsi_cpu_fft_pass *ps;
    const float *src;
    float *dst;
    int64_t limit;
    int64_t in_elems; /* STEP_PASS: elements of an interleaved src in memory */
    float scale;
    int conj, store;
} step;

static void step_range(void *ctx, int64_t b, int64_t e, int worker)
{
    const step *s = ctx;
    const tsi_cpu_fft_kernels *f = s->j->f;
    switch (s->what) {
    case STEP_PASS:
        f->pass(s->ps, s->src, s->dst, b, e, s->conj, s->in_elems);
        break;
    case STEP_COLS:
        f->cols(s->j->pl, s->src, s->dst, s->limit, s->scale, s->conj, s->store, b, e);
        break;
    case STEP_LAST:
        f->last_cols(s->j->pl, s->ps, s->src, s->dst, s->limit, s->scale, s->conj, s->store, b, e);
        break;
    case STEP_R2C:
        f->r2c_post(s->j->pl, s->src, s->dst, s->scale, b, e);
        break;
    default:
        f->c2r_pre(s->j->pl, s->src, s->dst, b, e);
        break;
    }
}

/* Run a step over [0, count) items of about `cost` flops each. */
static void run_step(const tsi_cpu_fft_job *j, const step *s, int64_t count, int64_t cost)
{
    if (j->pool)
        tsi_cpu_pool_for(j->pool, count, cost, step_range, (void *)s);
    else
        step_range((void *)s, 0, count, 0);
}

/* The first `count` column passes, ping-ponging between b0 and b1;
 * returns the buffer that holds the result. The first pass reads `in`
 * (the row's complex values interleaved, conjugated when conj; only the
 * first in_elems elements of VW values, zeros after) when given, else the
 * elements load() put in b0. */
static const float *passes_n(const tsi_cpu_fft_job *j, const float *in, int64_t in_elems, int conj,
                             float *b0, float *b1, int count)
{
    const tsi_cpu_fft_tables *pl = j->pl;
    if (in && count == 0) {
        int64_t have = in_elems * pl->vw;
        j->f->load(in, have < j->len ? have : j->len, 0, conj, b0, j->len);
        return b0;
    }
    const float *src = in ? in : b0;
    float *dst = in ? b0 : b1;
    for (int i = 0; i < count; i++) {
        const tsi_cpu_fft_pass *ps = &pl->pass[i];
        step s = {.j = j, .what = STEP_PASS, .ps = ps, .src = src, .dst = dst};
        s.conj = i == 0 && in ? 1 + conj : 0;
        s.in_elems = in_elems;
        run_step(j, &s, ps->m * ps->s, 6 * ps->radix * pl->vw);
        src = dst;
        dst = dst == b0 ? b1 : b0;
    }
    return src;
}

/* Step 3 from y to dst (interleaved, floats below limit). */
static void cols(const tsi_cpu_fft_job *j, const float *y, float *dst, int64_t limit, float scale,
                 int conj, int store)
{
    step s = {.j = j,
              .what = STEP_COLS,
              .src = y,
              .dst = dst,
              .limit = limit,
              .scale = scale,
              .conj = conj,
              .store = store};
    run_step(j, &s, j->pl->n1 / j->pl->vw, 40 * j->pl->vw * j->pl->vw);
}

/* Can the last pass and step 3 run as one sweep (last_cols)? Its pass
 * must be twiddle-free (m = 1) with whole groups of vw butterflies, and
 * must not be the first pass reading the caller's interleaved row. */
static bool last_fuses(const tsi_cpu_fft_job *j, bool in_given)
{
    const tsi_cpu_fft_tables *pl = j->pl;
    if (pl->n_pass == 0 || (in_given && pl->n_pass == 1))
        return false;
    const tsi_cpu_fft_pass *ps = &pl->pass[pl->n_pass - 1];
    return ps->m == 1 && ps->s % pl->vw == 0;
}

float *tsi_cpu_fft_run(const tsi_cpu_fft_job *j, const float *in, int64_t in_elems, int conj,
                       float *b0, float *b1, float *dst, int64_t limit, float scale, int out_conj,
                       int store)
{
    const tsi_cpu_fft_tables *pl = j->pl;
    if (!last_fuses(j, in != NULL)) {
        const float *r = passes_n(j, in, in_elems, conj, b0, b1, pl->n_pass);
        float *out = dst ? dst : r == b0 ? b1 : b0;
        cols(j, r, out, limit, scale, out_conj, store);
        return out;
    }
    const tsi_cpu_fft_pass *ps = &pl->pass[pl->n_pass - 1];
    const float *x = passes_n(j, in, in_elems, conj, b0, b1, pl->n_pass - 1);
    float *out = dst ? dst : x == b0 ? b1 : b0;
    step s = {.j = j,
              .what = STEP_LAST,
              .ps = ps,
              .src = x,
              .dst = out,
              .limit = limit,
              .scale = scale,
              .conj = out_conj,
              .store = store};
    run_step(j, &s, ps->s / pl->vw, (6 * ps->radix + 40) * pl->vw * pl->vw);
    return out;
}

/* r2c_post over bins 0..len, c2r_pre over 0..len-1. */
static void real_step(const tsi_cpu_fft_job *j, int what, const float *src, float *dst, float scale)
{
    step s = {.j = j, .what = what, .src = src, .dst = dst, .scale = scale};
    run_step(j, &s, what == STEP_R2C ? j->len + 1 : j->len, 30);
}

/* Element index j of a block-split buffer: lane j % vw of element j / vw. */
static float *elem_re(const tsi_cpu_fft_job *j, float *buf, int64_t idx)
{
    int64_t vw = j->pl->vw;
    return buf + (idx / vw) * 2 * vw + idx % vw;
}

static void row_c2c(const tsi_cpu_fft_job *j, int64_t r, float *b0, float *b1)
{
    const float *x = (const float *)j->x + r * j->in_last * 2;
    float *y = (float *)j->y + r * j->n * 2;
    int64_t vw = j->pl->vw;
    if (j->in_last % vw == 0 && j->in_last <= j->len) {
        tsi_cpu_fft_run(j, x, j->in_last / vw, j->inverse, b0, b1, y, 2 * j->n, j->scale,
                        j->inverse, j->store);
        return;
    }
    j->f->load(x, j->in_last, 0, j->inverse, b0, j->len);
    tsi_cpu_fft_run(j, NULL, 0, 0, b0, b1, y, 2 * j->n, j->scale, j->inverse, j->store);
}

static void row_r2c(const tsi_cpu_fft_job *j, const void *row, float *y, float *b0, float *b1,
                    float *tmp)
{
    int64_t m = j->in_last;
    const float *x = row;
    if (j->in_dt != TS_F32) {
        tsi_cpu_load_f32(j->k, j->in_dt, row, 1, tmp, (size_t)m);
        x = tmp;
    }
    if (j->n % 2) {
        j->f->load(x, m, 1, 0, b0, j->len);
        tsi_cpu_fft_run(j, NULL, 0, 0, b0, b1, y, 2 * j->out_last, j->scale, 0, 0);
        return;
    }
    /* x[2i] + i x[2i+1] is x itself read as complex values; a shorter x
     * (zero-padded to n) whose values fill whole elements is read in
     * place by the first pass too. */
    /* Z into the worker's row, then the bins straight to the output. */
    int64_t vw = j->pl->vw;
    if (m == j->n || (m < j->n && m % (2 * vw) == 0)) {
        tsi_cpu_fft_run(j, x, m / (2 * vw), 0, b0, b1, tmp, 2 * j->len, 1.0f, 0, 0);
    } else {
        j->f->load(x, m / 2, 0, 0, b0, j->len);
        if (m % 2)
            *elem_re(j, b0, m / 2) = x[m - 1];
        tsi_cpu_fft_run(j, NULL, 0, 0, b0, b1, tmp, 2 * j->len, 1.0f, 0, 0);
    }
    tmp[2 * j->len] = tmp[0];
    tmp[2 * j->len + 1] = tmp[1];
    real_step(j, STEP_R2C, tmp, y, j->scale);
}

static void row_c2r(const tsi_cpu_fft_job *j, const float *x, float *y, float *b0, float *b1,
                    float *tmp)
{
    int64_t bins = j->in_last, len = j->len, m = j->out_last;
    if (j->n % 2 == 0) {
        /* Missing bins are zeros: pad a copy (in b1, free until the passes). */
        const float *bins_src = x;
        if (bins < len + 1) {
            memcpy(b1, x, (size_t)(2 * bins) * sizeof(float));
            memset(b1 + 2 * bins, 0, (size_t)(2 * (len + 1 - bins)) * sizeof(float));
            bins_src = b1;
        }
        real_step(j, STEP_C2R, bins_src, tmp, 1.0f);
        tsi_cpu_fft_run(j, tmp, len / j->pl->vw, 1, b0, b1, y, m, j->scale, 1, j->store);
        return;
    }
    /* Odd n: the whole Hermitian spectrum, one complex inverse, real parts. */
    memset(tmp, 0, (size_t)(2 * len) * sizeof(float));
    memcpy(tmp, x, (size_t)(2 * bins) * sizeof(float));
    tmp[1] = 0.0f;
    for (int64_t k = 1; k < bins; k++) {
        tmp[2 * (len - k)] = x[2 * k];
        tmp[2 * (len - k) + 1] = -x[2 * k + 1];
    }
    const float *out =
        tsi_cpu_fft_run(j, tmp, len / j->pl->vw, 1, b0, b1, NULL, 2 * m, j->scale, 1, 0);
    for (int64_t t = 0; t < m; t++)
        y[t] = out[2 * t];
}

static void run_row(const tsi_cpu_fft_job *j, int64_t r, float *ws)
{
    size_t part = j->ws_floats / 3;
    float *b0 = ws, *b1 = ws + part, *tmp = ws + 2 * part;
    if (j->kind == TSI_FFT_C2C)
        row_c2c(j, r, b0, b1);
    else if (j->kind == TSI_FFT_R2C)
        row_r2c(j, j->x + r * j->in_last * (int64_t)ts_dtype_size(j->in_dt),
                (float *)j->y + r * j->out_last * 2, b0, b1, tmp);
    else
        row_c2r(j, (const float *)j->x + r * j->in_last * 2, (float *)j->y + r * j->out_last, b0,
                b1, tmp);
}

static void rows_task(void *ctx, int64_t begin, int64_t end, int worker)
{
    const tsi_cpu_fft_job *j = ctx;
    for (int64_t r = begin; r < end; r++)
        run_row(j, r, j->ws + (size_t)worker * j->ws_floats);
}

ts_status tsi_cpu_fft_job_init(tsi_device *dev, int kind, int64_t n, ts_dtype in_dt,
                               int64_t in_last, int64_t out_last, float scale, tsi_cpu_fft_job *j)
{
    int64_t len = kind != TSI_FFT_C2C && n % 2 == 0 ? n / 2 : n;
    const tsi_cpu_kernels *k = table_for(dev->k, len);
    const tsi_cpu_fft_tables *pl = plan_for(dev, len, k->fft->vw);
    if (!pl)
        return TS_ERR_OUT_OF_MEMORY;
    *j = (tsi_cpu_fft_job){.k = dev->k,
                           .f = k->fft,
                           .pl = pl,
                           .kind = kind,
                           .in_dt = in_dt,
                           .n = n,
                           .len = len,
                           .in_last = in_last,
                           .out_last = out_last,
                           .scale = scale};
    return TS_OK;
}

size_t tsi_cpu_fft_buffer_floats(int64_t len)
{
    return tsi_cpu_align_floats((size_t)(2 * len + 2));
}

ts_status tsi_cpu_fft_record(tsi_device *dev, const tsi_op *op)
{
    int64_t rows = rows_of(op);
    tsi_cpu_fft_job j;
    ts_status st =
        tsi_cpu_fft_job_init(dev, op->p.fft.kind, op->p.fft.n, op->in[0].dtype, op->in[0].shape[3],
                             op->out[0].shape[3], op->p.fft.scale, &j);
    if (st != TS_OK)
        return st;
    j.inverse = op->p.fft.inverse;
    j.store = tsi_cpu_view_numel(&op->out[0]) * (int64_t)ts_dtype_size(op->out[0].dtype) >=
                      TSI_CPU_FFT_STREAM_BYTES
                  ? TSI_FFT_OUT_STREAM
                  : TSI_FFT_OUT_INT;
    j.x = tsi_cpu_view_ptr(&op->in[0]);
    j.y = tsi_cpu_view_ptr(&op->out[0]);
    j.ws = tsi_cpu_workspace(op);
    j.ws_floats = worker_floats(j.len);
    if (by_rows(dev, rows, j.len)) {
        int64_t flops = 5 * j.len * (64 - __builtin_clzll((unsigned long long)j.len));
        tsi_cpu_pool_for(dev->pool, rows, flops, rows_task, &j);
    } else {
        j.pool = dev->pool;
        for (int64_t r = 0; r < rows; r++)
            run_row(&j, r, j.ws);
    }
    return TS_OK;
}
