/* TSI_OP_FFTCONV on the CPU: the FFT causal convolution fused per row.
 * One worker takes a row (or a channel, when B rows share its filter) and
 * runs k's and u's complex transforms, one sweep that untangles both
 * rows' bins, multiplies them and prepares the inverse (conv_mid), the
 * inverse and + d*u back to back in its own buffers (cpu_fft_rows.h), so
 * a row's spectra stay in that core's cache instead of going to memory
 * between four ops: as separate ops, the three spectra of C = 256,
 * L = 65536 are 134 MiB each and the memory traffic between the steps
 * costs about as much as the transforms.
 * Rows are spread over the pool; with fewer rows than threads the kernel
 * declines and the layer composes the path from TSI_OP_FFT ops, which
 * split each transform over the pool instead. */
#include "backend-cpu/cpu_fft_rows.h"

typedef struct fc_job {
    tsi_cpu_fft_job fu, fk, inv; /* rfft of u rows and k rows, irfft to L samples */
    const tsi_cpu_kernels *k;
    ts_dtype dt;
    size_t es;
    const char *u, *kw;
    char *y;
    const float *d; /* f32 [C] or NULL */
    int64_t b, c, l, kn, bk;
    bool per_channel; /* items are channels: k's spectrum once for its B rows */
    float *ws;
    size_t part; /* floats per buffer; a worker has three */
} fc_job;

static bool fc_is_float(ts_dtype dt)
{
    return dt == TS_F32 || dt == TS_F16 || dt == TS_BF16;
}

/* A row's transforms only fill the pool when there are rows for every
 * thread; short rows are cheap either way. */
static bool enough_rows(const tsi_device *dev, const tsi_op *op)
{
    int64_t rows = op->in[0].shape[1] * op->in[0].shape[2];
    return rows >= tsi_cpu_pool_threads(dev->pool) || op->p.fftconv.n < 4096;
}

/* Even n only: a real transform is then a complex one of n/2 points whose
 * steps fit the three buffers below (ts_fftconv asks for an even n). */
bool tsi_cpu_fftconv_supports(tsi_device *dev, const tsi_op *op)
{
    ts_dtype dt = op->in[0].dtype;
    int64_t n = op->p.fftconv.n, l = op->in[0].shape[3];
    return fc_is_float(dt) && op->in[1].dtype == dt && op->out[0].dtype == dt && n % 2 == 0 &&
           tsi_fft_smooth(n) && n >= 2 * l - 1 && op->in[1].shape[3] <= l && enough_rows(dev, op);
}

typedef struct fc_space {
    size_t d, part, total; /* floats: d's f32 copy, one buffer, everything */
} fc_space;

/* Per worker: two buffers the steps ping-pong between and k's spectrum,
 * 3 (n + 2) floats, so a row of n = 131072 keeps 1.5 MiB in its core's
 * cache. */
static fc_space space_of(const tsi_device *dev, const tsi_op *op)
{
    fc_space sp = {.d = op->in[2].buf ? tsi_cpu_align_floats((size_t)op->in[0].shape[2]) : 0,
                   .part = tsi_cpu_fft_buffer_floats(op->p.fftconv.n / 2)};
    sp.total = sp.d + (size_t)tsi_cpu_pool_threads(dev->pool) * 3 * sp.part;
    return sp;
}

ts_status tsi_cpu_fftconv_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan)
{
    plan->workspace_bytes = (uint64_t)space_of(dev, op).total * sizeof(float);
    return TS_OK;
}

static float *other(float *x, float *b0, float *b1)
{
    return x == b0 ? b1 : b0;
}

/* The complex transform Z of a real row (m values of the job's dtype,
 * zero-padded to n, read as m/2 complex values: even and odd samples) into
 * b0 or b1, which is returned, as block-split elements (conv_mid's
 * input). */
static float *forward(const tsi_cpu_fft_job *j, const char *row, int64_t m, float *b0, float *b1)
{
    int64_t vw = j->pl->vw, len = j->len;
    const float *x = (const float *)row;
    if (j->in_dt != TS_F32) {
        /* b1 is read by the first pass only, which writes b0. */
        tsi_cpu_load_f32(j->k, j->in_dt, row, 1, b1, (size_t)m);
        x = b1;
    }
    float *z;
    if (m % (2 * vw) == 0) {
        z = tsi_cpu_fft_run(j, x, m / (2 * vw), 0, b0, b1, NULL, 2 * len, 1.0f, 0,
                            TSI_FFT_OUT_SPLIT);
    } else {
        /* Into b0's elements (block-split: lane i % vw of element i / vw),
         * the odd last sample as the real part of value m / 2. */
        j->f->load(x, m / 2, 0, 0, b0, len);
        if (m % 2)
            b0[(m / 2) / vw * 2 * vw + (m / 2) % vw] = x[m - 1];
        z = tsi_cpu_fft_run(j, NULL, 0, 0, b0, b1, NULL, 2 * len, 1.0f, 0, TSI_FFT_OUT_SPLIT);
    }
    return z;
}

/* Row (b, c) from k's complex transform zk, in two of the worker's
 * buffers: u's transform, then the product's conjugated Z' (conv_mid),
 * whose transform gives the first L samples (the inverse's scale, 1/(4n),
 * includes conv_mid's 1/4). */
static void conv_row(const fc_job *j, int64_t b, int64_t c, const float *zk, float *b0, float *b1)
{
    const tsi_cpu_fft_job *inv = &j->inv;
    size_t off = (size_t)((b * j->c + c) * j->l);
    const char *u = j->u + off * j->es;
    char *y = j->y + off * j->es;
    float *z = forward(&j->fu, u, j->l, b0, b1), *zp = other(z, b0, b1);
    inv->f->conv_mid(inv->pl, z, zk, zp, 0, inv->len / inv->pl->vw);
    /* Its first pass reads zp's elements and writes z. */
    bool direct = j->dt == TS_F32 && !j->d;
    float *row = tsi_cpu_fft_run(inv, NULL, 0, 0, zp, z, direct ? (float *)y : NULL, j->l,
                                 inv->scale, 1, direct ? inv->store : TSI_FFT_OUT_INT);
    float *res = other(row, b0, b1);
    if (direct)
        return;
    if (j->dt == TS_F32) {
        j->k->axpy(j->d[c], (const float *)u, row, (float *)y, (size_t)j->l);
        return;
    }
    if (j->d) {
        tsi_cpu_load_f32(j->k, j->dt, u, 1, res, (size_t)j->l);
        j->k->axpy(j->d[c], res, row, row, (size_t)j->l);
    }
    tsi_cpu_store_f32(j->k, j->dt, row, y, 1, (size_t)j->l);
}

static void fc_tasks(void *ctx, int64_t begin, int64_t end, int worker)
{
    const fc_job *j = ctx;
    float *w0 = j->ws + (size_t)worker * 3 * j->part, *w1 = w0 + j->part, *w2 = w1 + j->part;
    for (int64_t i = begin; i < end; i++) {
        int64_t bb = j->per_channel ? 0 : i / j->c, be = j->per_channel ? j->b : bb + 1;
        int64_t c = i % j->c, krow = j->bk == 1 ? c : bb * j->c + c;
        /* k's transform stays where it lands; the rows use the other two. */
        float *zk = forward(&j->fk, j->kw + (size_t)(krow * j->kn) * j->es, j->kn, w0, w1);
        for (int64_t b = bb; b < be; b++)
            conv_row(j, b, c, zk, other(zk, w0, w1), w2);
    }
}

ts_status tsi_cpu_fftconv_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_view *u = &op->in[0];
    int64_t n = op->p.fftconv.n, b = u->shape[1], c = u->shape[2], l = u->shape[3];
    int64_t kn = op->in[1].shape[3], bins = n / 2 + 1;
    if (b * c == 0 || l == 0)
        return TS_OK;
    fc_space sp = space_of(dev, op);
    float *ws = tsi_cpu_workspace(op), *d = NULL;
    if (op->in[2].buf) {
        d = ws;
        tsi_cpu_load_f32(dev->k, u->dtype, tsi_cpu_view_ptr(&op->in[2]), 1, d, (size_t)c);
    }
    fc_job j = {.k = dev->k,
                .dt = u->dtype,
                .es = ts_dtype_size(u->dtype),
                .u = tsi_cpu_view_ptr(u),
                .kw = tsi_cpu_view_ptr(&op->in[1]),
                .y = tsi_cpu_view_ptr(&op->out[0]),
                .d = d,
                .b = b,
                .c = c,
                .l = l,
                .kn = kn,
                .bk = op->in[1].shape[1],
                .ws = ws + sp.d,
                .part = sp.part};
    ts_status st = tsi_cpu_fft_job_init(dev, TSI_FFT_R2C, n, u->dtype, l, bins, 1.0f, &j.fu);
    if (st == TS_OK)
        st = tsi_cpu_fft_job_init(dev, TSI_FFT_R2C, n, u->dtype, kn, bins, 1.0f, &j.fk);
    if (st == TS_OK)
        st = tsi_cpu_fft_job_init(dev, TSI_FFT_C2R, n, TS_C64, bins, l, 0.25f / (float)n, &j.inv);
    if (st != TS_OK)
        return st;
    j.inv.store =
        j.dt == TS_F32 && !d && b * c * l * (int64_t)sizeof(float) >= TSI_CPU_FFT_STREAM_BYTES
            ? TSI_FFT_OUT_STREAM
            : TSI_FFT_OUT_INT;
    /* A filter shared by B > 1 rows is transformed once per channel when
     * the channels alone fill the pool. */
    j.per_channel = j.bk == 1 && b > 1 && c >= tsi_cpu_pool_threads(dev->pool);
    int64_t items = j.per_channel ? c : b * c;
    int64_t lg = 64 - __builtin_clzll((unsigned long long)n);
    int64_t cost = 8 * n * lg * (j.per_channel ? b : 1);
    tsi_cpu_pool_for(dev->pool, items, cost, fc_tasks, &j);
    return TS_OK;
}
