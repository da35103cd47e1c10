/* tessel's 16-bit GEMM (cpu_gemm16.h): Goto/BLIS blocking as in
 * cpu_gemm.c, with the conversion folded into the packing. Per column
 * block of NC and row chunk of MCH, per depth block of KC: the pool packs
 * B's KC x NC block into nr-wide panels, then each task packs its MC x KC
 * block of A into mr-high panels and runs the micro-kernel over its tiles,
 * accumulating in an f32 block of the chunk. After the last depth block
 * the task rounds its part of that block into c (adding the bias first),
 * so nothing is converted up front, and the f32 result exists for the
 * whole matrix only where it fits the accumulation block. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend-cpu/cpu_gemm16.h"
#include "backend-cpu/cpu_internal.h"

#define G16_MC 120                    /* most rows per task, rounded down to a multiple of mr */
#define G16_NC 2048                   /* columns per block */
/* The f32 accumulation block of a row chunk, unless the descriptor sets
 * one. B's block is packed again for every chunk, and each chunk ends
 * its depth blocks in a wait for the slowest thread: a 4 MiB block (five
 * chunks at 2048^3) ran f16 2048^3 at 0.80-0.88x OpenBLAS f32 on a
 * 2-core Sapphire Rapids-class VM without AMX, 32 MiB (one chunk) at
 * 0.89-1.02x, alternating runs; the price is that much more workspace
 * for large products, above core's keep limit, so allocated per call. */
#define G16_ACC_BYTES ((size_t)32 << 20)
#define G16_RUN 512                     /* values converted per step while packing */

/* Block sizes of one GEMM, from the kernel and the shape. */
typedef struct g16_dims {
    int mr, nr;
    int64_t kc, kx, mc, nc, mch, ld_acc; /* kx: packed depth of a full block */
    size_t asz, bsz; /* bytes per packed element */
    size_t acc_off, bias_off, b_off, a_off, a_bytes, total;
} g16_dims;

static int64_t round_up(int64_t x, int64_t to)
{
    return (x + to - 1) / to * to;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static void g16_dims_of(const tsi_cpu_gemm16_kernel *kn, const tsi_cpu_kernels *k, int64_t m,
                        int64_t n, int64_t kk, int workers, g16_dims *d)
{
    memset(d, 0, sizeof *d);
    d->mr = kn->micro ? kn->mr : k->gemm_mr;
    d->nr = kn->micro ? kn->nr : k->gemm_nr;
    d->asz = kn->a_panel == TSI_G16_F32 ? sizeof(float) : sizeof(uint16_t);
    d->bsz = kn->b_panel == TSI_G16_F32 ? sizeof(float) : sizeof(uint16_t);
    d->kc = round_up(min64(kk > 0 ? kk : 1, kn->kc), 2);
    d->kx = round_up(d->kc, kn->kpad > 0 ? kn->kpad : 1) * (kn->terms > 1 ? kn->terms : 1);
    int mc = kn->mc > 0 ? kn->mc : G16_MC;
    d->mc = d->mr * (mc / d->mr > 0 ? mc / d->mr : 1);
    int64_t nc = kn->nc > 0 ? kn->nc : G16_NC;
    d->nc = min64(round_up(n > 0 ? n : 1, d->nr), nc / d->nr * d->nr);
    d->ld_acc = d->nc + 16; /* rows 64 bytes off a power of two apart */
    size_t acc = kn->acc_bytes > 0 ? kn->acc_bytes : G16_ACC_BYTES;
    int64_t rows = (int64_t)(acc / ((size_t)d->ld_acc * sizeof(float)));
    rows = rows / d->mc * d->mc;
    rows = rows > d->mc ? rows : d->mc;
    int64_t mm = round_up(m > 0 ? m : 1, d->mr), chunks = (mm + rows - 1) / rows;
    /* Chunks of one size, so the last is not a sliver. */
    d->mch = min64(min64(rows, mm), round_up((mm + chunks - 1) / chunks, d->mc));
    d->acc_off = 0;
    d->bias_off = d->acc_off + tsi_cpu_align_up((size_t)(d->mch * d->ld_acc) * sizeof(float));
    d->b_off = d->bias_off + tsi_cpu_align_up((size_t)round_up(n > 0 ? n : 1, 16) * sizeof(float));
    d->a_off = d->b_off + tsi_cpu_align_up((size_t)(d->kx * d->nc) * d->bsz);
    d->a_bytes = tsi_cpu_align_up((size_t)(d->mc * d->kx) * d->asz);
    d->total = d->a_off + d->a_bytes * (size_t)workers;
    size_t skinny = tsi_cpu_gemm16_skinny_bytes(workers);
    d->total = d->total > skinny ? d->total : skinny;
}

size_t tsi_cpu_gemm16_work_bytes(const tsi_cpu_gemm16_kernel *kn, const tsi_cpu_kernels *k,
                                 int64_t m, int64_t n, int64_t kk, int workers)
{
    g16_dims d;
    g16_dims_of(kn, k, m, n, kk, workers, &d);
    return d.total;
}

typedef struct g16_job {
    const tsi_cpu_kernels *k;
    const tsi_cpu_gemm16_kernel *kn;
    const tsi_gemm16 *g;
    g16_dims d;
    char *work;
    int64_t ic0, mch;   /* row chunk */
    int64_t jc, nc;     /* column block */
    int64_t pc, kc;     /* depth block: kc values, padded to kcp (the kernel's kpad) */
    int64_t kcp, kx;    /* kx: packed depth, kcp times the kernel's terms */
    bool last;          /* the last depth block: tasks store into c */
    int64_t nt, ntasks; /* columns per task and tasks per row block */
    int64_t mtasks, mp; /* row blocks of the chunk, and its mr-row panels */
} g16_job;

static const uint16_t *u16(const void *p)
{
    return (const uint16_t *)p;
}

static int terms_of(const g16_job *j)
{
    return j->kn->terms > 1 ? j->kn->terms : 1;
}

/* Term s of a 16-bit line from its split v = {hi, hf, lo} (cpu_gemm16.h). */
static const uint16_t *term(bool is_b, int s, uint16_t *const v[3])
{
    return v[tsi_g16_term_part(is_b, s)];
}

/* One row of A or column of B (src, dstride elements per depth step) into
 * panel column `slot` of a packed block `width` wide: kvalid values, zeros
 * up to kcp, as each of the kernel's terms; in runs of G16_RUN depth
 * values. Any strides and both layouts; row-major B and A have faster
 * loops below. */
static void pack_line(const g16_job *j, tsi_g16_panel fmt, bool is_b, const uint16_t *src,
                      int64_t dstride, int64_t kvalid, char *dst, int width, int slot)
{
    int64_t kc = j->kcp;
    float tmp[G16_RUN];
    uint16_t split[3][G16_RUN];
    uint16_t *const v[3] = {split[0], split[1], split[2]};
    for (int64_t p0 = 0; p0 < kc; p0 += G16_RUN) {
        int64_t n = min64(G16_RUN, kc - p0), nv = kvalid - p0 < 0 ? 0 : min64(n, kvalid - p0);
        const uint16_t *s = src + (nv > 0 ? p0 * dstride : 0);
        if (fmt == TSI_G16_F32) {
            tsi_cpu_load_f32(j->k, j->g->dt, s, dstride, tmp, (size_t)nv);
            float *d = (float *)dst + slot;
            for (int64_t p = 0; p < n; p++)
                d[(p0 + p) * width] = p < nv ? tmp[p] : 0.0f;
            continue;
        }
        if (terms_of(j) == 1) {
            for (int64_t p = 0; p < n; p++)
                split[0][p] = p < nv ? s[p * dstride] : 0;
        } else if (j->g->dt == TS_F16 && dstride == 1) {
            j->kn->split_f16(s, (size_t)nv, v[0], v[1], v[2]);
            for (int t = 0; t < 3; t++)
                memset(v[t] + nv, 0, (size_t)(n - nv) * sizeof(uint16_t));
        } else {
            tsi_cpu_load_f32(j->k, j->g->dt, s, dstride, tmp, (size_t)nv);
            memset(tmp + nv, 0, (size_t)(n - nv) * sizeof(float));
            j->kn->split(tmp, (size_t)n, v[0], v[1], v[2]);
        }
        for (int t = 0; t < terms_of(j); t++)
            tsi_g16_put_line(fmt, width, slot, t * kc + p0, term(is_b, t, v), n, dst);
    }
}

/* Zeros for a panel line past the operand's edge. */
static void zero_line(const g16_job *j, tsi_g16_panel fmt, char *dst, int width, int slot)
{
    int64_t kx = fmt == TSI_G16_F32 ? j->kcp : j->kx;
    for (int64_t p = 0; p < kx; p++) {
        if (fmt == TSI_G16_F32)
            ((float *)dst)[p * width + slot] = 0.0f;
        else if (fmt == TSI_G16_TILES)
            ((uint16_t *)dst)[((p >> 5) * width + slot) * 32 + (p & 31)] = 0;
        else
            ((uint16_t *)dst)[(p >> 1) * 2 * width + 2 * slot + (p & 1)] = 0;
    }
}

/* Depth rows [p, p+1) of `cols` contiguous values into a pair panel: the
 * row-major B case, two rows interleaved (the compiler vectorizes it). */
static void pairs_from_rows(const uint16_t *r0, const uint16_t *r1, int64_t cols, uint16_t *d)
{
    for (int64_t q = 0; q < cols; q++) {
        d[2 * q] = r0[q];
        d[2 * q + 1] = r1 ? r1[q] : 0;
    }
}

/* One nr-wide panel of B's block: depth [pc, pc+kc), columns from jc+jr. */
static void pack_b_panel(const g16_job *j, int64_t jr, char *dst)
{
    const tsi_gemm16 *g = j->g;
    int nr = j->d.nr;
    tsi_g16_panel fmt = j->kn->b_panel;
    int64_t col0 = j->jc + jr, cols = min64(nr, g->n - col0);
    const uint16_t *b = u16(g->b) + j->pc * g->b_rs + col0 * g->b_cs;
    for (int q = 0; q < nr; q++) {
        if (q < cols)
            pack_line(j, fmt, true, b + q * g->b_cs, g->b_rs, j->kc, dst, nr, q);
        else
            zero_line(j, fmt, dst, nr, q);
    }
}

static void pack_b_task(void *ctx, int64_t begin, int64_t end, int worker)
{
    const g16_job *j = ctx;
    char *bpack = j->work + j->d.b_off;
    size_t panel = (size_t)(j->kx * j->d.nr) * j->d.bsz;
    for (int64_t t = begin; t < end; t++)
        pack_b_panel(j, t * j->d.nr, bpack + (size_t)t * panel);
}

/* Row-major B (b_cs == 1): tasks over the block's depth rows (k-pairs
 * for PAIRS panels), each read as one contiguous run and dealt out to the
 * panels; walking a panel down the rows instead would touch a new page
 * per row. */
static void pack_b_rows(void *ctx, int64_t begin, int64_t end, int worker)
{
    const g16_job *j = ctx;
    const tsi_gemm16 *g = j->g;
    int nr = j->d.nr;
    tsi_g16_panel fmt = j->kn->b_panel;
    size_t panel = (size_t)(j->kx * nr) * j->d.bsz;
    char *bpack = j->work + j->d.b_off;
    int terms = terms_of(j);
    /* Columns in runs of G16_RUN (a multiple of every nr), so that the
     * converted rows stay a few KiB on the stack. */
    float tmp[G16_RUN];
    uint16_t split[6][G16_RUN]; /* f16 as terms: hi, hf, lo of rows p and p+1 */
    uint16_t *const v0[3] = {split[0], split[1], split[2]};
    uint16_t *const v1[3] = {split[3], split[4], split[5]};
    for (int64_t t = begin; t < end; t++) {
        int64_t p = fmt == TSI_G16_PAIRS ? 2 * t : t;
        for (int64_t r0 = 0; r0 < j->nc; r0 += G16_RUN) {
            int64_t run = min64(G16_RUN, j->nc - r0);
            const uint16_t *row = u16(g->b) + (j->pc + p) * g->b_rs + j->jc + r0;
            const uint16_t *r1 = p + 1 < j->kc ? row + g->b_rs : NULL;
            if (fmt == TSI_G16_F32 && p < j->kc)
                tsi_cpu_load_f32(j->k, g->dt, row, 1, tmp, (size_t)run);
            for (int r = 0; terms > 1 && r < 2 && p + r < j->kc; r++) {
                uint16_t *const *v = r ? v1 : v0;
                if (g->dt == TS_F16) {
                    j->kn->split_f16(r ? r1 : row, (size_t)run, v[0], v[1], v[2]);
                    continue;
                }
                tsi_cpu_load_f32(j->k, g->dt, r ? r1 : row, 1, tmp, (size_t)run);
                j->kn->split(tmp, (size_t)run, v[0], v[1], v[2]);
            }
            for (int64_t c0 = 0; c0 < run; c0 += nr) {
                int64_t cols = p < j->kc ? min64(nr, run - c0) : 0;
                char *base = bpack + (size_t)((r0 + c0) / nr) * panel;
                if (fmt == TSI_G16_F32) {
                    float *d = (float *)(void *)base + p * nr;
                    memcpy(d, tmp + c0, (size_t)cols * sizeof(float));
                    memset(d + cols, 0, (size_t)(nr - cols) * sizeof(float));
                    continue;
                }
                for (int s = 0; s < terms; s++) {
                    const uint16_t *s0 = terms > 1 ? term(true, s, v0) : row;
                    const uint16_t *s1 = terms > 1 ? term(true, s, v1) : r1;
                    uint16_t *d = (uint16_t *)(void *)base + (p + s * j->kcp) * nr;
                    if (j->kn->pairs32 && nr == 32 && cols == 32 && r1) {
                        j->kn->pairs32(s0 + c0, s1 + c0, d);
                        continue;
                    }
                    pairs_from_rows(s0 + c0, r1 ? s1 + c0 : NULL, cols, d);
                    memset(d + 2 * cols, 0, (size_t)(nr - cols) * 2 * sizeof(uint16_t));
                }
            }
        }
    }
}

/* Rows [r0, r0+rows) of A's depth block into mr-high panels at dst. */
static void pack_a(const g16_job *j, int64_t r0, int64_t rows, char *dst)
{
    const tsi_gemm16 *g = j->g;
    int mr = j->d.mr;
    tsi_g16_panel fmt = j->kn->a_panel;
    size_t panel = (size_t)(j->kx * mr) * j->d.asz;
    for (int64_t ir = 0; ir < rows; ir += mr, dst += panel) {
        if (fmt == TSI_G16_F32 && g->a_rs == 1 && g->a_cs != 1) {
            /* Transposed A: a panel's rows lie side by side per depth. */
            int64_t h = min64(mr, rows - ir);
            for (int64_t p = 0; p < j->kc; p++) {
                float *d = (float *)(void *)dst + p * mr;
                tsi_cpu_load_f32(j->k, g->dt, u16(g->a) + r0 + ir + (j->pc + p) * g->a_cs, 1, d,
                                 (size_t)h);
                memset(d + h, 0, (size_t)(mr - h) * sizeof(float));
            }
            continue;
        }
        if (fmt == TSI_G16_F32 && g->a_cs == 1) {
            /* A as is: the rows widened and transposed in registers. */
            int64_t h = min64(mr, rows - ir);
            j->k->gemm_pack16(u16(g->a) + (r0 + ir) * g->a_rs + j->pc, (size_t)g->a_rs,
                              g->dt == TS_BF16, (size_t)h, (size_t)j->kc, (size_t)mr,
                              (float *)(void *)dst);
            memset((float *)(void *)dst + j->kc * mr, 0,
                   (size_t)((j->kcp - j->kc) * mr) * sizeof(float));
            continue;
        }
        for (int i = 0; i < mr; i++) {
            if (ir + i >= rows) {
                zero_line(j, fmt, dst, mr, i);
                continue;
            }
            const uint16_t *src = u16(g->a) + (r0 + ir + i) * g->a_rs + j->pc * g->a_cs;
            if (fmt == TSI_G16_PAIRS && g->a_cs == 1) {
                /* Row-major A: a k-pair is already one 32-bit word. */
                uint32_t *d = (uint32_t *)(void *)dst + i;
                int64_t q = 0;
                for (; 2 * q + 1 < j->kc; q++)
                    memcpy(d + q * mr, src + 2 * q, sizeof(uint32_t));
                if (2 * q < j->kc) {
                    uint16_t last[2] = {src[2 * q], 0};
                    memcpy(d + q * mr, last, sizeof(uint32_t));
                }
                continue;
            }
            if (fmt == TSI_G16_TILES && g->a_cs == 1 && terms_of(j) == 1) {
                /* Row-major A: runs of 32 copied whole, the last one padded. */
                uint16_t *d = (uint16_t *)(void *)dst + i * 32;
                for (int64_t p = 0; p < j->kcp; p += 32, d += 32 * mr) {
                    int64_t n = min64(32, j->kc - p);
                    if (n == 32) { /* a constant size: inlined, not a libc call */
                        memcpy(d, src + p, 32 * sizeof(uint16_t));
                        continue;
                    }
                    memcpy(d, src + p, (size_t)n * sizeof(uint16_t));
                    memset(d + n, 0, (size_t)(32 - n) * sizeof(uint16_t));
                }
                continue;
            }
            pack_line(j, fmt, false, src, g->a_cs, j->kc, dst, mr, i);
        }
    }
}

static void micro(const g16_job *j, const char *ap, const char *bp, float *c, int acc)
{
    if (j->kn->micro)
        j->kn->micro((size_t)j->kx, ap, bp, c, (size_t)j->d.ld_acc, acc);
    else
        j->k->gemm_micro((size_t)j->kx, (const float *)(const void *)ap,
                         (const float *)(const void *)bp, c, (size_t)j->d.ld_acc, acc);
}

/* Rows [r, r+rows) x columns [c0, c0+cols) of the chunk's f32 block into
 * c: plus the bias, rounded once. */
static void store_block(const g16_job *j, int64_t r, int64_t rows, int64_t c0, int64_t cols)
{
    const tsi_gemm16 *g = j->g;
    float *acc = (float *)(void *)(j->work + j->d.acc_off);
    const float *bias = (const float *)(const void *)(j->work + j->d.bias_off);
    size_t cs = ts_dtype_size(g->c_dt);
    for (int64_t i = 0; i < rows; i++) {
        float *row = acc + (r + i) * j->d.ld_acc + c0;
        if (g->bias)
            j->k->binary(TS_ADD, row, bias + j->jc + c0, row, (size_t)cols);
        char *dst = (char *)g->c + ((j->ic0 + r + i) * g->ldc + j->jc + c0) * (int64_t)cs;
        tsi_cpu_store_f32(j->k, g->c_dt, row, dst, 1, (size_t)cols);
    }
}

static void tile_task(void *ctx, int64_t begin, int64_t end, int worker)
{
    const g16_job *j = ctx;
    int mr = j->d.mr, nr = j->d.nr;
    char *ap = j->work + j->d.a_off + (size_t)worker * j->d.a_bytes;
    const char *bpack = j->work + j->d.b_off;
    float *acc = (float *)(void *)(j->work + j->d.acc_off);
    size_t apanel = (size_t)(j->kx * mr) * j->d.asz;
    size_t bpanel = (size_t)(j->kx * nr) * j->d.bsz;
    if (j->kn->begin)
        j->kn->begin();
    for (int64_t t = begin; t < end; t++) {
        /* Row block i: panels [i mp / mtasks, (i+1) mp / mtasks). */
        int64_t i = t / j->ntasks, c0 = (t % j->ntasks) * j->nt;
        int64_t r = i * j->mp / j->mtasks * mr;
        int64_t rows = min64((i + 1) * j->mp / j->mtasks * mr, j->mch) - r;
        int64_t cols = min64(j->nt, j->nc - c0);
        pack_a(j, j->ic0 + r, rows, ap);
        for (int64_t jr = c0; jr < c0 + cols; jr += nr) {
            const char *bp = bpack + (size_t)(jr / nr) * bpanel;
            for (int64_t ir = 0; ir < rows; ir += mr)
                micro(j, ap + (size_t)(ir / mr) * apanel, bp, acc + (r + ir) * j->d.ld_acc + jr,
                      j->pc > 0);
        }
        if (j->last)
            store_block(j, r, rows, c0, cols);
    }
    if (j->kn->end)
        j->kn->end();
}

/* k = 0: c is the bias (or zeros). */
static void store_empty(g16_job *j)
{
    const tsi_gemm16 *g = j->g;
    float *acc = (float *)(void *)(j->work + j->d.acc_off);
    for (j->jc = 0; j->jc < g->n; j->jc += j->d.nc) {
        j->nc = min64(j->d.nc, g->n - j->jc);
        for (j->ic0 = 0; j->ic0 < g->m; j->ic0 += j->d.mch) {
            j->mch = min64(j->d.mch, g->m - j->ic0);
            memset(acc, 0, (size_t)(j->mch * j->d.ld_acc) * sizeof(float));
            store_block(j, 0, j->mch, 0, j->nc);
        }
    }
}

void tsi_cpu_gemm16(tsi_cpu_pool *pool, const tsi_cpu_kernels *k, const tsi_cpu_gemm16_kernel *kn,
                    const tsi_gemm16 *g, void *work)
{
    if (g->m <= 0 || g->n <= 0 || tsi_cpu_gemm16_skinny(pool, k, g, work))
        return;
    g16_job j = {.k = k, .kn = kn, .g = g, .work = work};
    int threads = pool ? tsi_cpu_pool_threads(pool) : 1;
    g16_dims_of(kn, k, g->m, g->n, g->k, threads, &j.d);
    if (g->bias)
        tsi_cpu_load_f32(k, g->dt, g->bias, 1, (float *)(void *)(j.work + j.d.bias_off),
                         (size_t)g->n);
    if (g->k <= 0) {
        store_empty(&j);
        return;
    }
    for (j.jc = 0; j.jc < g->n; j.jc += j.d.nc) {
        j.nc = min64(j.d.nc, g->n - j.jc);
        int64_t panels = (j.nc + j.d.nr - 1) / j.d.nr;
        for (j.ic0 = 0; j.ic0 < g->m; j.ic0 += j.d.mch) {
            j.mch = min64(j.d.mch, g->m - j.ic0);
            /* Enough tasks to balance the pool (two per thread): split
             * the columns when the chunk has few row blocks. Each split
             * packs the row block's A again; four per thread cost a
             * 512-row MoE expert 5-7 % (bf16, AMX), 2-3 % without AMX. */
            j.mtasks = (j.mch + j.d.mc - 1) / j.d.mc;
            int64_t want = (2 * threads + j.mtasks - 1) / j.mtasks;
            j.mp = (j.mch + j.d.mr - 1) / j.d.mr;
            int64_t per = (panels + want - 1) / want;
            j.nt = (per > 0 ? per : 1) * j.d.nr;
            j.ntasks = (j.nc + j.nt - 1) / j.nt;
            for (j.pc = 0; j.pc < g->k; j.pc += j.d.kc) {
                j.kc = min64(j.d.kc, g->k - j.pc);
                j.kcp = round_up(j.kc, kn->kpad > 0 ? kn->kpad : 1);
                j.kx = j.kcp * (kn->terms > 1 ? kn->terms : 1);
                j.last = j.pc + j.kc >= g->k;
                bool rows = g->b_cs == 1;
                int64_t btasks = rows ? (kn->b_panel == TSI_G16_PAIRS ? j.kcp / 2 : j.kcp) : panels;
                int64_t bcost = rows ? j.nc : j.kcp * j.d.nr;
                tsi_cpu_task_fn bfn = rows ? pack_b_rows : pack_b_task;
                int64_t tasks = j.mtasks * j.ntasks, tcost = j.d.mc * j.nt * j.kx;
                if (pool) {
                    tsi_cpu_pool_for(pool, btasks, bcost, bfn, &j);
                    tsi_cpu_pool_for(pool, tasks, tcost, tile_task, &j);
                } else {
                    bfn(&j, 0, btasks, 0);
                    tile_task(&j, 0, tasks, 0);
                }
            }
        }
    }
}

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

float tsi_cpu_gemm16_dot_race(tsi_g16_micro_fn dot, const tsi_cpu_kernels *f32, int k)
{
    enum { CALLS = 64 };
    int mr = f32->gemm_mr, nr = f32->gemm_nr;
    size_t na = (size_t)mr * (size_t)k, nb = (size_t)nr * (size_t)k;
    float *a = malloc(na * sizeof(float)), *b = malloc(nb * sizeof(float));
    float *c = malloc((size_t)mr * (size_t)nr * sizeof(float));
    uint16_t *ap = malloc(na * sizeof(uint16_t)), *bp = malloc(nb * sizeof(uint16_t));
    float speedup = 0.0f;
    if (a && b && c && ap && bp) {
        for (size_t i = 0; i < na; i++) {
            a[i] = (float)(i % 7) * 0.125f;
            ap[i] = 0x3f00; /* 0.5 */
        }
        for (size_t i = 0; i < nb; i++) {
            b[i] = (float)(i % 5) * 0.25f;
            bp[i] = 0x3e00; /* 0.125 */
        }
        memset(c, 0, (size_t)mr * (size_t)nr * sizeof(float));
        double best_dot = 1e30, best_f32 = 1e30;
        for (int round = 0; round < 5; round++) {
            double t0 = seconds();
            for (int i = 0; i < CALLS; i++)
                dot((size_t)k, ap, bp, c, (size_t)nr, 1);
            double t1 = seconds();
            for (int i = 0; i < CALLS; i++)
                f32->gemm_micro((size_t)k, a, b, c, (size_t)nr, 1);
            double t2 = seconds();
            best_dot = t1 - t0 < best_dot ? t1 - t0 : best_dot;
            best_f32 = t2 - t1 < best_f32 ? t2 - t1 : best_f32;
        }
        speedup = best_dot > 0 ? (float)(best_f32 / best_dot) : 0.0f;
    }
    free(a);
    free(b);
    free(c);
    free(ap);
    free(bp);
    return speedup;
}

#if defined(__x86_64__) || defined(TESSEL_CPU_NEON_BF16)
/* A k-pair dot-product kernel for bf16 where the CPU has one and it pays:
 * forced by TESSEL_CPU_BF16_DOT, else measured (speedup over the f32
 * kernel, once per process). */
static bool bf16_dot_pays(bool has, float (*speedup)(void))
{
    if (!has)
        return false;
    const char *force = getenv("TESSEL_CPU_BF16_DOT");
    if (force && strcmp(force, "on") == 0)
        return true;
    if (force && strcmp(force, "off") == 0)
        return false;
    return speedup() > 1.15f;
}
#endif

void tsi_cpu_gemm16_kernel_for(const tsi_cpu_features *f, const tsi_cpu_kernels *k, ts_dtype dt,
                               tsi_cpu_gemm16_kernel *out)
{
    if (tsi_cpu_amx_emulated()) {
        tsi_cpu_gemm16_tiles_kernel(dt, out);
#if defined(TESSEL_CPU_AMX)
        /* The AMX kernel's own splits where they can run, C elsewhere. */
        if (k->level == TSI_CPU_SIMD_AVX512 && f->avx512_bf16)
            tsi_cpu_gemm16_amx_splits(out);
#endif
        return;
    }
#if defined(__x86_64__)
    if (k->level == TSI_CPU_SIMD_AVX512) {
#if defined(TESSEL_CPU_AMX)
        /* AMX unless the vdpbf16ps kernel is forced (its test). */
        const char *dot = getenv("TESSEL_CPU_BF16_DOT");
        bool dot_forced = dt == TS_BF16 && dot && strcmp(dot, "on") == 0;
        if (f->amx_bf16 && !dot_forced && tsi_cpu_amx_ready()) {
            tsi_cpu_gemm16_amx_kernel(dt, out);
            return;
        }
#endif
        if (dt == TS_BF16)
            *out = bf16_dot_pays(f->avx512_bf16, tsi_cpu_gemm16_avx512_dot_speedup)
                       ? tsi_cpu_gemm16_avx512_bf16dp
                       : tsi_cpu_gemm16_avx512_bf16;
        else
            *out = tsi_cpu_gemm16_avx512_f16;
        return;
    }
#endif
#if defined(TESSEL_CPU_NEON_BF16)
    if (dt == TS_BF16 && k->level == TSI_CPU_SIMD_NEON &&
        bf16_dot_pays(f->neon_bf16, tsi_cpu_gemm16_neon_dot_speedup)) {
        *out = tsi_cpu_gemm16_neon_bf16dot;
        return;
    }
#endif
    (void)f;
    *out = (tsi_cpu_gemm16_kernel){.name = NULL,
                                   .mr = k->gemm_mr,
                                   .nr = k->gemm_nr,
                                   .kc = 256,
                                   .kpad = 1,
                                   .terms = 1,
                                   .a_panel = TSI_G16_F32,
                                   .b_panel = TSI_G16_F32,
                                   .micro = NULL};
}

void tsi_cpu_gemm16_describe(const tsi_cpu_features *f, const tsi_cpu_kernels *k, char *buf,
                             size_t len)
{
    tsi_cpu_gemm16_kernel bf, h;
    tsi_cpu_gemm16_kernel_for(f, k, TS_BF16, &bf);
    tsi_cpu_gemm16_kernel_for(f, k, TS_F16, &h);
    const char *lvl = tsi_cpu_simd_label(k->level);
    char b1[48], b2[48];
    snprintf(b1, sizeof b1, "%s bf16->f32", lvl);
    snprintf(b2, sizeof b2, "%s f16->f32", lvl);
    snprintf(buf, len, "bf16 %s, f16 %s", bf.name ? bf.name : b1, h.name ? h.name : b2);
}
