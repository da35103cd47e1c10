/* TSI_OP_CONV1D_LONG: direct causal convolution of long rows,
 * y[b,c,t] = sum_{j <= min(t, K-1)} k[b|0,c,j] u[b,c,t-j] + d[c] u[b,c,t],
 * O(L K) per row: the direct path of ts_fftconv and the baseline its
 * benchmark compares the FFT path with. The SIMD kernel (long_conv in the
 * kernel table) keeps a block of outputs in vector accumulators and
 * streams the taps; tasks are (row, chunk of t) pairs, so a few rows still
 * fill the pool. 16-bit rows are widened per task into the worker's slice
 * of the workspace (only u[0, t1) and the taps a chunk uses). */
#include "backend-cpu/cpu_internal.h"

/* Outputs per task: a multiple of every table's block (8 vectors of 16). */
#define LC_CHUNK 2048

typedef struct lc_job {
    const tsi_cpu_kernels *k;
    ts_dtype dt;
    size_t es;
    const char *u, *kw;
    char *y;
    const float *d; /* [C] f32 or NULL */
    int64_t c, l, kn, bk, chunks;
    float *scratch; /* per worker: u, k and y rows in f32 (16-bit dtypes) */
    size_t scratch_floats;
} lc_job;

typedef struct lc_space {
    size_t d, worker, total; /* floats */
} lc_space;

static lc_space space_of(const tsi_device *dev, const tsi_op *op)
{
    const tsi_view *u = &op->in[0];
    int64_t l = u->shape[3], kn = op->in[1].shape[3];
    lc_space sp = {.d = op->in[2].buf ? tsi_cpu_align_floats((size_t)u->shape[2]) : 0};
    if (u->dtype != TS_F32)
        sp.worker = 2 * tsi_cpu_align_floats((size_t)l) + tsi_cpu_align_floats((size_t)kn);
    sp.total = sp.d + (size_t)tsi_cpu_pool_threads(dev->pool) * sp.worker;
    return sp;
}

static void lc_tasks(void *ctx, int64_t begin, int64_t end, int worker)
{
    const lc_job *j = ctx;
    for (int64_t i = begin; i < end; i++) {
        int64_t row = i / j->chunks, t0 = (i % j->chunks) * LC_CHUNK;
        int64_t t1 = t0 + LC_CHUNK < j->l ? t0 + LC_CHUNK : j->l;
        int64_t c = row % j->c;
        int64_t krow = (j->bk == 1 ? c : row), taps = j->kn < t1 ? j->kn : t1;
        const char *u = j->u + (size_t)(row * j->l) * j->es;
        const char *kw = j->kw + (size_t)(krow * j->kn) * j->es;
        char *y = j->y + (size_t)(row * j->l) * j->es;
        if (j->dt == TS_F32) {
            const float *uf = (const float *)u;
            float *yf = (float *)y;
            j->k->long_conv(uf, (const float *)kw, j->kn, yf, t0, t1);
            if (j->d)
                j->k->axpy(j->d[c], uf + t0, yf + t0, yf + t0, (size_t)(t1 - t0));
            continue;
        }
        float *s = j->scratch + (size_t)worker * j->scratch_floats;
        size_t lrow = tsi_cpu_align_floats((size_t)j->l);
        float *uf = s, *yf = s + lrow, *kf = s + 2 * lrow;
        tsi_cpu_load_f32(j->k, j->dt, u, 1, uf, (size_t)t1);
        tsi_cpu_load_f32(j->k, j->dt, kw, 1, kf, (size_t)taps);
        j->k->long_conv(uf, kf, taps, yf, t0, t1);
        if (j->d)
            j->k->axpy(j->d[c], uf + t0, yf + t0, yf + t0, (size_t)(t1 - t0));
        tsi_cpu_store_f32(j->k, j->dt, yf + t0, y + (size_t)t0 * j->es, 1, (size_t)(t1 - t0));
    }
}

ts_status tsi_cpu_conv1d_long_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan)
{
    plan->workspace_bytes = (uint64_t)space_of(dev, op).total * sizeof(float);
    return TS_OK;
}

ts_status tsi_cpu_conv1d_long_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_view *u = &op->in[0];
    int64_t rows = u->shape[1] * u->shape[2], l = u->shape[3], kn = op->in[1].shape[3];
    lc_space sp = space_of(dev, op);
    float *ws = tsi_cpu_workspace(op), *d = NULL;
    if (op->in[2].buf) {
        d = ws;
        tsi_cpu_load_f32(dev->k, u->dtype, tsi_cpu_view_ptr(&op->in[2]), 1, d, (size_t)u->shape[2]);
    }
    lc_job j = {.k = dev->k,
                .dt = u->dtype,
                .es = ts_dtype_size(u->dtype),
                .u = tsi_cpu_view_ptr(u),
                .kw = tsi_cpu_view_ptr(&op->in[1]),
                .y = tsi_cpu_view_ptr(&op->out[0]),
                .d = d,
                .c = u->shape[2],
                .l = l,
                .kn = kn,
                .bk = op->in[1].shape[1],
                .chunks = (l + LC_CHUNK - 1) / LC_CHUNK,
                .scratch = ws ? ws + sp.d : NULL,
                .scratch_floats = sp.worker};
    if (rows == 0 || l == 0)
        return TS_OK;
    int64_t taps = kn < l ? kn : l;
    tsi_cpu_pool_for(dev->pool, rows * j.chunks, 2 * LC_CHUNK * (taps > 0 ? taps : 1), lc_tasks,
                     &j);
    return TS_OK;
}
