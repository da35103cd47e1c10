/* tessel's own f32 GEMM, used when OpenBLAS is absent (or dims exceed its
 * 32-bit ints): the classic Goto/BLIS blocking. B is packed per (KC x NC)
 * block into NR-wide panels shared by all workers; each pool task packs
 * its MC x KC block of A into MR-high panels and runs the SIMD
 * micro-kernel of the kernel table over (MR x NR) tiles. KC keeps an A
 * panel plus a B panel in L1, MC x KC of A in L2, KC x NC of B in L3. */
#include <stdlib.h>
#include <string.h>

#include "backend-cpu/cpu_internal.h"

#define GEMM_KC 256
#define GEMM_MC 96 /* a multiple of every table's MR (6) */
#define GEMM_NC 3072
#define GEMM_NT 384 /* columns one task covers: MC x NT tiles balance tasks */
#define GEMM_MAX_MR 8
#define GEMM_MAX_NR 32

typedef struct gemm_job {
    const tsi_cpu_kernels *k;
    bool trans_a;
    const float *a;
    int64_t lda;
    float *c;
    int64_t ldc;
    int64_t m, nc, kc;  /* this block: all rows, nc columns, kc depth */
    int64_t jc, pc;     /* block origin in columns and depth */
    const float *bpack; /* kc x nc, in NR panels */
    float *apack;       /* per worker: MC x KC */
    int64_t mtasks, ntasks;
} gemm_job;

/* A block [ic, ic+mc) x [pc, pc+kc) into MR-high panels, p-major inside a
 * panel; rows past mc are zero so edge tiles run the full kernel. */
static void pack_a(const gemm_job *j, int64_t ic, int64_t mc, float *dst)
{
    int mr = j->k->gemm_mr;
    for (int64_t ir = 0; ir < mc; ir += mr) {
        for (int i = 0; i < mr; i++) {
            if (ir + i >= mc) {
                for (int64_t p = 0; p < j->kc; p++)
                    dst[p * mr + i] = 0.0f;
                continue;
            }
            int64_t row = ic + ir + i;
            if (j->trans_a) {
                const float *src = j->a + j->pc * j->lda + row;
                for (int64_t p = 0; p < j->kc; p++)
                    dst[p * mr + i] = src[p * j->lda];
            } else {
                const float *src = j->a + row * j->lda + j->pc;
                for (int64_t p = 0; p < j->kc; p++)
                    dst[p * mr + i] = src[p];
            }
        }
        dst += j->kc * mr;
    }
}

/* B block [pc, pc+kc) x [jc, jc+nc) into NR-wide panels, zero-padded. */
static void pack_b(const tsi_cpu_kernels *k, bool trans_b, const float *b, int64_t ldb, int64_t pc,
                   int64_t kc, int64_t jc, int64_t nc, float *dst)
{
    int nr = k->gemm_nr;
    for (int64_t jr = 0; jr < nc; jr += nr) {
        int64_t cols = nc - jr < nr ? nc - jr : nr;
        for (int64_t p = 0; p < kc; p++) {
            float *d = dst + p * nr;
            if (trans_b) {
                const float *src = b + (jc + jr) * ldb + pc + p;
                for (int64_t q = 0; q < cols; q++)
                    d[q] = src[q * ldb];
            } else {
                memcpy(d, b + (pc + p) * ldb + jc + jr, (size_t)cols * sizeof(float));
            }
            for (int64_t q = cols; q < nr; q++)
                d[q] = 0.0f;
        }
        dst += kc * nr;
    }
}

static void tile(const gemm_job *j, const float *ap, const float *bp, int64_t i, int64_t jj,
                 int64_t rows, int64_t cols)
{
    int mr = j->k->gemm_mr, nr = j->k->gemm_nr;
    float *c = j->c + i * j->ldc + j->jc + jj;
    int acc = j->pc > 0;
    if (rows == mr && cols == nr) {
        j->k->gemm_micro((size_t)j->kc, ap, bp, c, (size_t)j->ldc, acc);
        return;
    }
    float t[GEMM_MAX_MR * GEMM_MAX_NR];
    j->k->gemm_micro((size_t)j->kc, ap, bp, t, (size_t)nr, 0);
    for (int64_t r = 0; r < rows; r++)
        for (int64_t q = 0; q < cols; q++)
            c[r * j->ldc + q] = (acc ? c[r * j->ldc + q] : 0.0f) + t[r * nr + q];
}

static void gemm_task(void *ctx, int64_t begin, int64_t end, int worker)
{
    const gemm_job *j = ctx;
    int mr = j->k->gemm_mr, nr = j->k->gemm_nr;
    float *ap = j->apack + (size_t)worker * GEMM_MC * GEMM_KC;
    for (int64_t t = begin; t < end; t++) {
        int64_t ic = (t / j->ntasks) * GEMM_MC, jt = (t % j->ntasks) * GEMM_NT;
        int64_t mc = j->m - ic < GEMM_MC ? j->m - ic : GEMM_MC;
        int64_t nt = j->nc - jt < GEMM_NT ? j->nc - jt : GEMM_NT;
        pack_a(j, ic, mc, ap);
        for (int64_t jr = jt; jr < jt + nt; jr += nr) {
            const float *bp = j->bpack + (jr / nr) * j->kc * nr;
            int64_t cols = jt + nt - jr < nr ? jt + nt - jr : nr;
            for (int64_t ir = 0; ir < mc; ir += mr) {
                int64_t rows = mc - ir < mr ? mc - ir : mr;
                tile(j, ap + (ir / mr) * j->kc * mr, bp, ic + ir, jr, rows, cols);
            }
        }
    }
}

size_t tsi_cpu_gemm_pack_floats(const tsi_cpu_kernels *k, int64_t n, size_t *a_floats)
{
    int nr = k->gemm_nr;
    int64_t nc_max = n < GEMM_NC ? n : GEMM_NC;
    *a_floats = (size_t)GEMM_MC * GEMM_KC;
    return (size_t)GEMM_KC * (size_t)((nc_max + nr - 1) / nr * nr);
}

/* The blocked loops; pool NULL runs every tile on the caller, with apack
 * holding one worker's A block, else apack holds one per pool thread. */
static void gemm_blocked(tsi_cpu_pool *pool, const tsi_cpu_kernels *kt, bool trans_a, bool trans_b,
                         int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                         const float *b, int64_t ldb, float *c, int64_t ldc, float *apack,
                         float *bpack)
{
    gemm_job j = {.k = kt,
                  .trans_a = trans_a,
                  .a = a,
                  .lda = lda,
                  .c = c,
                  .ldc = ldc,
                  .m = m,
                  .apack = apack,
                  .bpack = bpack};
    for (int64_t jc = 0; jc < n; jc += GEMM_NC) {
        j.jc = jc;
        j.nc = n - jc < GEMM_NC ? n - jc : GEMM_NC;
        for (int64_t pc = 0; pc < k; pc += GEMM_KC) {
            j.pc = pc;
            j.kc = k - pc < GEMM_KC ? k - pc : GEMM_KC;
            pack_b(kt, trans_b, b, ldb, pc, j.kc, jc, j.nc, bpack);
            j.mtasks = (m + GEMM_MC - 1) / GEMM_MC;
            j.ntasks = (j.nc + GEMM_NT - 1) / GEMM_NT;
            int64_t tasks = j.mtasks * j.ntasks;
            if (pool)
                tsi_cpu_pool_for(pool, tasks, GEMM_MC * GEMM_NT * j.kc, gemm_task, &j);
            else
                gemm_task(&j, 0, tasks, 0);
        }
    }
}

void tsi_cpu_gemm_serial(const tsi_cpu_kernels *k, bool trans_a, bool trans_b, int64_t m, int64_t n,
                         int64_t kk, const float *a, int64_t lda, const float *b, int64_t ldb,
                         float *c, int64_t ldc, float *apack, float *bpack)
{
    gemm_blocked(NULL, k, trans_a, trans_b, m, n, kk, a, lda, b, ldb, c, ldc, apack, bpack);
}

ts_status tsi_cpu_gemm_packed(tsi_device *dev, bool trans_a, bool trans_b, int64_t m, int64_t n,
                              int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,
                              float *c, int64_t ldc)
{
    int threads = tsi_cpu_pool_threads(dev->pool);
    size_t a_floats, b_floats = tsi_cpu_gemm_pack_floats(dev->k, n, &a_floats);
    size_t b_bytes = tsi_cpu_align_up(b_floats * sizeof(float));
    size_t bytes = b_bytes + tsi_cpu_align_up(a_floats * sizeof(float)) * (size_t)threads;
    /* Kept between calls: allocating (and page-faulting) fresh panels costs
     * as much as a whole small GEMM. */
    if (bytes > dev->gemm_pack_bytes) {
        void *p = aligned_alloc(TSI_CPU_ALIGN, bytes);
        if (!p) {
            dev->state->host->set_error("cpu: out of memory for GEMM packing buffers");
            return TS_ERR_OUT_OF_MEMORY;
        }
        free(dev->gemm_pack);
        dev->gemm_pack = p;
        dev->gemm_pack_bytes = bytes;
    }
    float *bpack = dev->gemm_pack, *apack = (float *)((char *)dev->gemm_pack + b_bytes);
    gemm_blocked(dev->pool, dev->k, trans_a, trans_b, m, n, k, a, lda, b, ldb, c, ldc, apack,
                 bpack);
    return TS_OK;
}
