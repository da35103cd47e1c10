/* TSI_OP_FFT on the GPU backends: shaders/fft.kern, Stockham passes of
 * radix 8, 4, 2, 7, 5 and 3 for lengths whose prime factors are all <= 7
 * (core runs Bluestein for the others).
 *
 * Two paths, picked per op from the device's limits:
 *  - fft_row, one launch: a workgroup holds rows of the transform in
 *    shared memory (8 bytes per complex value) and runs every pass between
 *    barriers; taken when a row fits the shared memory and no invocation
 *    has more than ROW_MAX_BUTTERFLIES butterflies per pass. A real
 *    transform of even length n runs as a complex one of n/2 there (pairs
 *    of reals packed into one complex value, the bins untangled in the
 *    same launch): half the passes' work and shared memory;
 *  - fft_pass, one launch per pass, for longer rows: each pass reads the
 *    previous one's result from global memory, ping-ponging between the
 *    output and the plan's workspace (the output only for C2C, whose
 *    output holds a whole row; the real transforms use two workspace
 *    halves).
 * The tuning key fft.row_max caps the one-launch length (0: the shared
 * memory decides), which also lets tests take the multi-pass path with
 * short rows. */
#include "backend-gpu/gpu_kernels.h"
#include "shaders/fft.h"

/* The kernel family: its launches and the limits its plans read. */
#define FAMILY "fft"

TSG_PARAMS(fft_params, FFT_PARAMS);

enum {
    MAX_PASSES = 32,          /* 2^27 = 8^9: well within */
    ROW_MAX_PASSES = 8,       /* RADICES holds 8 radices of 4 bits */
    ROW_MAX_BUTTERFLIES = 8,  /* registers: 2 * 8 * this floats per invocation */
    ROW_MAX_TPR = 256,        /* invocations per row */
    ROW_MIN_WG = 64,          /* short rows: pack rows until a workgroup has this many */
    PASS_WG = 64,
};

/* The exponent reduction of the twiddles computes 8 e < 2^32 (e < n). */
#define FFT_MAX_N (INT64_C(1) << 27)

static const double k_pi = 3.14159265358979323846;

typedef struct fft_plan {
    int npass;
    uint32_t radix[MAX_PASSES];
    uint64_t rows;
    bool row;    /* one launch (fft_row) */
    bool packed; /* fft_row, a real kind of even n as a complex one of n/2 */
    uint32_t tpr, rpw, maxb, wg;
    uint64_t workspace; /* bytes, multi-pass only */
} fft_plan;

/* The multi-pass kernel's workgroup: one butterfly per invocation, any
 * width (PASS_WG, or the device's largest below it). */
static uint32_t pass_wg(const tsi_gpu_caps *c)
{
    return c->max_wg < PASS_WG ? c->max_wg : PASS_WG;
}

static bool is_c64(const tsi_view *v)
{
    return v->dtype == TS_C64;
}

/* Radices whose product is n: eights first (fewest passes), a four or two
 * for the rest of the power of two, then 7, 5, 3. 0 when n has another
 * prime factor. */
static int factor(int64_t n, uint32_t radix[MAX_PASSES])
{
    int np = 0, twos = 0;
    while (n % 2 == 0) {
        n /= 2;
        twos++;
    }
    int eights = twos / 3, rest = twos % 3, fours = 0;
    if (rest == 2) {
        fours = 1;
    } else if (rest == 1 && eights > 0) { /* 8 * 2 = 4 * 4: no radix-2 pass */
        eights--;
        fours = 2;
    }
    for (int i = 0; i < eights; i++)
        radix[np++] = 8;
    for (int i = 0; i < fours; i++)
        radix[np++] = 4;
    if (rest == 1 && fours == 0)
        radix[np++] = 2;
    static const uint32_t odd[] = {7, 5, 3};
    for (int i = 0; i < 3; i++)
        while (n % odd[i] == 0) {
            n /= odd[i];
            radix[np++] = odd[i];
        }
    return n == 1 ? np : 0;
}

static uint64_t rows_of(const tsi_view *y)
{
    return (uint64_t)y->shape[0] * (uint64_t)y->shape[1] * (uint64_t)y->shape[2];
}

/* A contiguous view of `count` elements indexable in 32-bit floats (c64:
 * two per element) within one binding. */
static bool view_fits(const tsi_gpu_caps *c, const tsi_view *v)
{
    uint64_t count = rows_of(v) * (uint64_t)v->shape[3];
    uint64_t floats = ((uint64_t)v->offset + count) * (is_c64(v) ? 2u : 1u);
    if (!is_c64(v))
        return tsi_gpu_view_fits(c, v);
    return floats < INT32_MAX && floats * 4u <= c->max_binding;
}

/* The one-launch shape for this row length, or false when rows of n do
 * not fit this device's shared memory and workgroup. */
static bool plan_row(const tsi_gpu_caps *c, int64_t n, fft_plan *p)
{
    int64_t cap = c->host->tuning(c->info, "fft.row_max", 0);
    if (p->npass > ROW_MAX_PASSES || (cap > 0 && n > cap) || 8u * (uint64_t)n > c->max_shared)
        return false;
    uint32_t rmin = 8;
    for (int i = 0; i < p->npass; i++)
        rmin = p->radix[i] < rmin ? p->radix[i] : rmin;
    uint64_t bmax = p->npass ? (uint64_t)n / rmin : 1; /* butterflies of the widest pass */
    uint64_t tpr = bmax < ROW_MAX_TPR ? bmax : ROW_MAX_TPR;
    if (tpr > c->max_wg)
        tpr = c->max_wg;
    uint64_t maxb = tsi_gpu_ceil_div(bmax, tpr);
    if (maxb > ROW_MAX_BUTTERFLIES)
        return false;
    uint64_t rpw = 1;
    while (rpw * tpr * 2 <= ROW_MIN_WG && rpw * tpr * 2 <= c->max_wg && rpw < p->rows &&
           16u * rpw * (uint64_t)n <= c->max_shared)
        rpw *= 2;
    /* Loop back-edges per invocation (llvmpipe stops an invocation past
     * loop_cap): loads and stores, and per pass the butterflies' loops. */
    uint64_t edges = 2 * tsi_gpu_ceil_div((uint64_t)n, tpr) + (uint64_t)p->npass * maxb * 96 + 64;
    if (c->loop_cap && edges > c->loop_cap)
        return false;
    p->row = true;
    p->tpr = (uint32_t)tpr;
    p->rpw = (uint32_t)rpw;
    p->maxb = (uint32_t)maxb;
    p->wg = (uint32_t)(tpr * rpw);
    return true;
}

/* The plan of op on this device; false when no path can run it. */
static bool plan_fft(const tsi_gpu_caps *c, const tsi_op *op, fft_plan *p)
{
    const tsi_view *x = &op->in[0], *y = &op->out[0];
    int64_t n = op->p.fft.n;
    int kind = op->p.fft.kind;
    *p = (fft_plan){0};
    if (n < 1 || n > FFT_MAX_N)
        return false;
    if (kind == TSI_FFT_C2C && (!is_c64(x) || !is_c64(y)))
        return false;
    if (kind == TSI_FFT_R2C &&
        (!is_c64(y) || (x->dtype != TS_F32 && x->dtype != TS_F16 && x->dtype != TS_BF16)))
        return false;
    if (kind == TSI_FFT_C2R && (!is_c64(x) || y->dtype != TS_F32))
        return false;
    if (kind != TSI_FFT_C2C && kind != TSI_FFT_R2C && kind != TSI_FFT_C2R)
        return false;
    p->rows = rows_of(y);
    if (!view_fits(c, x) || !view_fits(c, y) || p->rows * (uint64_t)n * 2u >= INT32_MAX)
        return false;
    /* A real transform of even length is half a complex one, when that
     * half runs in one launch. */
    if (kind != TSI_FFT_C2C && n % 2 == 0) {
        fft_plan half = *p;
        half.npass = n > 2 ? factor(n / 2, half.radix) : 0;
        if ((n == 2 || half.npass > 0) && plan_row(c, n / 2, &half)) {
            *p = half;
            p->packed = true;
            uint32_t grid[3];
            return tsi_gpu_grid(c, tsi_gpu_ceil_div(p->rows, p->rpw), grid);
        }
    }
    if (n > 1 && (p->npass = factor(n, p->radix)) == 0)
        return false;
    if (plan_row(c, n, p)) {
        uint32_t grid[3];
        return tsi_gpu_grid(c, tsi_gpu_ceil_div(p->rows, p->rpw), grid);
    }
    if (p->npass == 0)
        return false; /* n = 1 and not even one value fits: nothing to launch */
    /* Multi-pass: intermediate rows of n values in the output (C2C) and
     * the workspace, indexed in floats like the views. */
    int halves = kind == TSI_FFT_C2C ? 1 : 2;
    if (p->npass - 1 < halves)
        halves = p->npass - 1;
    p->workspace = (uint64_t)halves * p->rows * (uint64_t)n * 8u;
    if (p->workspace / 4u >= INT32_MAX || p->workspace > c->max_binding)
        return false;
    for (int i = 0; i < p->npass; i++) {
        uint32_t grid[3];
        if (!tsi_gpu_grid(c, tsi_gpu_ceil_div(p->rows * (uint64_t)n / p->radix[i], pass_wg(c)),
                          grid))
            return false;
    }
    return true;
}

bool tsi_gpu_fft_supports(tsi_device *dev, const tsi_op *op)
{
    fft_plan p;
    return plan_fft(tsi_gpu_caps_for(dev, FAMILY), op, &p);
}

ts_status tsi_gpu_fft_plan(tsi_device *dev, const tsi_op *op, tsi_plan *out)
{
    fft_plan p;
    if (!plan_fft(tsi_gpu_caps_for(dev, FAMILY), op, &p))
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "fft: length %lld does not fit this device",
                            (long long)op->p.fft.n);
    *out = (tsi_plan){.tile = {p.row, (int32_t)p.npass, (int32_t)p.tpr, (int32_t)p.rpw},
                      .workspace_bytes = p.workspace};
    return TS_OK;
}

/* What the first pass reads and the last one writes, from the op. */
static void io_params(const tsi_op *op, fft_params *first, fft_params *last, uint32_t *in_mode,
                      uint32_t *out_mode)
{
    const tsi_view *x = &op->in[0], *y = &op->out[0];
    int kind = op->p.fft.kind;
    bool inverse = kind == TSI_FFT_C2R || (kind == TSI_FFT_C2C && op->p.fft.inverse);
    *in_mode = kind == TSI_FFT_R2C ? FFT_IN_REAL : kind == TSI_FFT_C2R ? FFT_IN_HERM : FFT_IN_CPLX;
    *out_mode = kind == TSI_FFT_C2R ? FFT_OUT_REAL : FFT_OUT_CPLX;
    first->m = (uint32_t)x->shape[3];
    first->in_off = (uint32_t)(x->offset * (is_c64(x) ? 2 : 1));
    first->flags |= inverse ? FFT_CONJ_IN : 0u;
    last->keep = (uint32_t)y->shape[3];
    last->out_off = (uint32_t)(y->offset * (is_c64(y) ? 2 : 1));
    last->scale = op->p.fft.scale;
    last->flags |= inverse ? FFT_CONJ_OUT : 0u;
}

static ts_status record_row(tsi_device *dev, const tsi_op *op, const fft_plan *p)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    uint32_t real_n = (uint32_t)op->p.fft.n, radices = 0, in_mode, out_mode;
    uint32_t n = p->packed ? real_n / 2 : real_n; /* the complex transform's length */
    for (int i = 0; i < p->npass; i++)
        radices |= p->radix[i] << (4 * i);
    fft_params pc = {.n = n,
                     .rows = (uint32_t)p->rows,
                     .ns = 1,
                     .scale = 1.0f,
                     .tw = (float)(k_pi / (4.0 * n)),
                     .tw2 = (float)(k_pi / (4.0 * real_n))};
    io_params(op, &pc, &pc, &in_mode, &out_mode);
    if (p->packed) {
        bool r2c = op->p.fft.kind == TSI_FFT_R2C;
        in_mode = r2c ? FFT_IN_REAL_PAIRS : FFT_IN_HERM_PAIRS;
        out_mode = r2c ? FFT_OUT_R2C_POST : FFT_OUT_REAL_PAIRS;
    }
    uint32_t dt = op->p.fft.kind == TSI_FFT_R2C ? (uint32_t)op->in[0].dtype : 0u;
    uint32_t consts[] = {p->wg,   dt, radices, (uint32_t)p->npass, in_mode, out_mode, n,
                         p->tpr, p->maxb, p->rpw * n};
    tsi_buffer *bufs[] = {op->in[0].buf, op->out[0].buf};
    TSG_LAUNCH(l, FAMILY, fft_row, FFT_CONSTS, consts, FFT_BUFS, bufs, &pc);
    if (!tsi_gpu_grid(c, tsi_gpu_ceil_div(p->rows, p->rpw), l.groups))
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "fft: %llu rows are too many",
                            (unsigned long long)p->rows);
    return tsi_gpu_launch_record(dev, &l);
}

/* Pass i of p->npass over global memory. The source of pass i is where
 * pass i - 1 wrote; C2C ends in the output by writing there on the passes
 * an even number before the last, the real kinds alternate two halves of
 * the workspace. */
static ts_status record_passes(tsi_device *dev, const tsi_op *op, const fft_plan *p)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    uint32_t n = (uint32_t)op->p.fft.n, in_mode, out_mode;
    uint32_t dt = op->p.fft.kind == TSI_FFT_R2C ? (uint32_t)op->in[0].dtype : 0u;
    uint32_t half = (uint32_t)(p->rows * n * 2u); /* floats */
    fft_params first = {0}, last = {0};
    io_params(op, &first, &last, &in_mode, &out_mode);
    if (p->npass > 1 && !op->workspace)
        return tsi_gpu_fail(dev, TS_ERR_INTERNAL, "fft: the plan's workspace is missing");
    tsi_buffer *prev = op->in[0].buf;
    uint32_t prev_off = 0;
    for (int i = 0; i < p->npass; i++) {
        bool is_first = i == 0, is_last = i == p->npass - 1;
        fft_params pc = {.n = n,
                         .rows = (uint32_t)p->rows,
                         .m = is_first ? first.m : n,
                         .keep = is_last ? last.keep : n,
                         .in_off = is_first ? first.in_off : prev_off,
                         .scale = is_last ? last.scale : 1.0f,
                         .tw = (float)(k_pi / (4.0 * n)),
                         .flags = (is_first ? first.flags : 0u) | (is_last ? last.flags : 0u)};
        uint32_t ns = 1;
        for (int k = 0; k < i; k++)
            ns *= p->radix[k];
        pc.ns = ns;
        tsi_buffer *dst;
        if (is_last) {
            dst = op->out[0].buf;
            pc.out_off = last.out_off;
        } else if (op->p.fft.kind == TSI_FFT_C2C && (p->npass - 1 - i) % 2 == 0) {
            dst = op->out[0].buf;
            pc.out_off = last.out_off;
        } else {
            dst = op->workspace;
            pc.out_off = op->p.fft.kind == TSI_FFT_C2C ? 0u : (uint32_t)(i % 2) * half;
        }
        uint32_t consts[] = {pass_wg(c),
                             is_first ? dt : 0u,
                             p->radix[i],
                             1,
                             is_first ? in_mode : FFT_IN_CPLX,
                             is_last ? out_mode : FFT_OUT_CPLX,
                             1,
                             1,
                             1,
                             1};
        tsi_buffer *bufs[] = {prev, dst};
        TSG_LAUNCH(l, FAMILY, fft_pass, FFT_CONSTS, consts, FFT_BUFS, bufs, &pc);
        if (!tsi_gpu_grid(c, tsi_gpu_ceil_div(p->rows * n / p->radix[i], pass_wg(c)), l.groups))
            return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "fft: too many butterflies");
        ts_status st = tsi_gpu_launch_record(dev, &l);
        if (st != TS_OK)
            return st;
        prev = dst;
        prev_off = pc.out_off;
    }
    return TS_OK;
}

ts_status tsi_gpu_fft_record(tsi_device *dev, const tsi_op *op)
{
    fft_plan p;
    if (!plan_fft(tsi_gpu_caps_for(dev, FAMILY), op, &p))
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "fft: length %lld does not fit this device",
                            (long long)op->p.fft.n);
    return p.row ? record_row(dev, op, &p) : record_passes(dev, op, &p);
}
