/* tessel's own f32 GEMM, used when OpenBLAS is absent (or dims exceed its
 * 32-bit ints) and for MoE expert groups too small per thread for
 * OpenBLAS (cpu_grouped_matmul.c): the Goto/BLIS blocking. For each
 * (KC x NC) block of B, the pool threads pack B into NR-wide panels
 * shared by all of them; then each task packs an MC x KC block of A into
 * MR-high panels and runs the SIMD micro-kernel of the kernel table over
 * its (MR x NR) tiles, B panel by B panel, so one B micro-panel (KC x NR)
 * stays in L1 while the A block streams from L2. Packing (both
 * transposes) is the table's SIMD gemm_pack. One pool job runs every KC
 * block of an NC block: a thread done with its tasks of one KC block
 * packs the next one's B into a second slot while the others finish. A
 * job per KC block made every thread wait for the last task, and the pool
 * wake its workers, once per block: 2-3 % of a 2048^3 GEMM on 2 threads,
 * measured against OpenBLAS in the same run. The price is a second B
 * slot in the device's packing buffer (3 MiB with KC 192, NC 4096).
 *
 * Block sizes come from the data caches measured at run time (sysconf,
 * else /sys, else defaults): KC so a B micro-panel fills about half of
 * L1 (deeper where C does not fit in the L2s: blocking_for), MC so the A
 * block fills about half of L2, NC so the B block fits in a bounded share
 * of L3. MC then shrinks so every thread gets a few tasks,
 * and small M splits the columns too.
 *
 * The same loops run a grouped GEMM (the MoE experts): row groups with
 * their own B, all in one pool job, so the threads share every
 * group's tasks rather than running one small GEMM after another; each
 * group's B block is packed once, into one of a few slots that are
 * reused as the threads move on through the groups. A plain GEMM is the
 * one-group case. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend-cpu/cpu_internal.h"

#define GEMM_MAX_MR 16
#define GEMM_MAX_NR 64
#define GEMM_NC_MAX 4096
/* Rows of A one serial (whole GEMM per pool task) call packs at a time:
 * those GEMMs are small, and each worker holds such a block. */
#define GEMM_SERIAL_ROWS 128
/* Tasks per thread the split aims for: a shared machine runs threads at
 * uneven speeds, and the last task bounds how long the others wait. */
#define GEMM_TASKS_PER_THREAD 8
/* MR panels a task's row block keeps at least where the B block does not
 * fit in L2 (split). */
#define GEMM_MIN_PANELS 8
/* B blocks a grouped run keeps packed at once: the groups the threads are
 * working through now (a few at most, since tasks are claimed in group
 * order) and the next one being packed. */
#define GEMM_GROUP_SLOTS 4
/* Least depth of a block where C does not stay in the threads' L2s
 * (blocking_for). */
#define GEMM_DEEP_KC 384

typedef struct gemm_caches {
    size_t l1, l2, l3; /* data cache bytes per core (L3: per package) */
} gemm_caches;

static gemm_caches caches;
static pthread_once_t caches_once = PTHREAD_ONCE_INIT;

/* /sys/devices/system/cpu/cpu0/cache/index<i>: the data or unified cache
 * of `level`, in bytes, or 0. */
static size_t sys_cache(int level)
{
    for (int i = 0; i < 8; i++) {
        char path[96], type[32] = "";
        int lv = 0;
        unsigned long kb = 0;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
        FILE *f = fopen(path, "r");
        if (!f)
            break;
        int ok = fscanf(f, "%d", &lv) == 1;
        fclose(f);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", i);
        if (ok && (f = fopen(path, "r")) != NULL) {
            ok = fscanf(f, "%31s", type) == 1;
            fclose(f);
        }
        if (!ok || lv != level || strcmp(type, "Instruction") == 0)
            continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        if ((f = fopen(path, "r")) != NULL) {
            ok = fscanf(f, "%luK", &kb) == 1;
            fclose(f);
            if (ok)
                return (size_t)kb * 1024;
        }
    }
    return 0;
}

static size_t cache_bytes(int level, size_t fallback)
{
    long v = -1;
#if defined(_SC_LEVEL1_DCACHE_SIZE) && defined(_SC_LEVEL2_CACHE_SIZE) &&                           \
    defined(_SC_LEVEL3_CACHE_SIZE)
    v = sysconf(level == 1   ? _SC_LEVEL1_DCACHE_SIZE
                : level == 2 ? _SC_LEVEL2_CACHE_SIZE
                             : _SC_LEVEL3_CACHE_SIZE);
#endif
    size_t bytes = v > 0 ? (size_t)v : sys_cache(level);
    /* Implausible values (some VMs report 0 or a whole host) fall back. */
    if (bytes < 16 * 1024)
        return fallback;
    return bytes;
}

static void read_caches(void)
{
    caches.l1 = cache_bytes(1, 32 * 1024);
    caches.l2 = cache_bytes(2, 1024 * 1024);
    caches.l3 = cache_bytes(3, 8 * 1024 * 1024);
    if (caches.l2 < caches.l1)
        caches.l2 = 1024 * 1024;
}

typedef struct gemm_blocking {
    int64_t kc, mc, nc; /* mc: the most rows of A one task packs */
} gemm_blocking;

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* The blocking of an m x n product on `threads` threads (m = n = 0: the
 * serial path's, whatever the shape). Every depth block ends with a pass
 * over C (each tile loaded, added to, stored). Where C stays in the
 * threads' L2s between passes that is cheap, and KC keeps the B
 * micro-panel in L1. Where it does not, each pass streams C from L3 or
 * memory, and a deeper block makes fewer passes; its B micro-panel then
 * comes from L2, which the micro-kernel's rate allows (a 14 x 32 step
 * reads 184 bytes per 28 FMAs). Own over OpenBLAS, 2 threads, depth 384
 * against the L1 rule's, two runs alternating the builds: Zen 4 (32 KiB
 * L1, 1 MiB L2; depth 128) 2048^3 0.93, 0.96 -> 1.05, 1.05;
 * 4096x512x14336 0.97, 0.85 -> 1.05, 1.04; 1024^3 0.84, 0.97 -> 0.93,
 * 1.05; Sapphire Rapids (48 KiB L1, 2 MiB L2; depth
 * 192) +1-4 % at 2048^3 and 4096x512x14336, but -1.5 to -3 % at 1024^3
 * and 512x1024x4096, whose C fits in its L2s. */
static gemm_blocking blocking_for(const tsi_cpu_kernels *k, int threads, int64_t m, int64_t n)
{
    pthread_once(&caches_once, read_caches);
    int64_t mr = k->gemm_mr, nr = k->gemm_nr;
    gemm_blocking b;
    b.kc = clamp64((int64_t)(caches.l1 / 2 / ((size_t)nr * sizeof(float))), 64, 512) / 8 * 8;
    if ((size_t)m * (size_t)n * sizeof(float) > caches.l2 * (size_t)threads && b.kc < GEMM_DEEP_KC)
        b.kc = GEMM_DEEP_KC;
    b.mc = clamp64((int64_t)(caches.l2 / 2 / ((size_t)b.kc * sizeof(float))), 4 * mr, 4096);
    b.mc = b.mc / mr * mr;
    b.nc = clamp64((int64_t)(caches.l3 / 4 / ((size_t)b.kc * sizeof(float))), 4 * nr, GEMM_NC_MAX);
    b.nc = b.nc / nr * nr;
    return b;
}

typedef struct gemm_job {
    const tsi_cpu_kernels *k;
    bool trans_a, trans_b;
    const float *a;
    int64_t lda, ldb;
    float *c;
    int64_t ldc;
    /* Groups of rows with their own B (one group for a plain GEMM). */
    const tsi_cpu_gemm_group *g;
    int64_t ngroups;
    int64_t nc, jc;    /* this column block: nc columns from column jc */
    int64_t depth, kc; /* depth, and depth per block (the last may be less) */
    int64_t q0, nq;    /* this job: depth blocks [q0, q0 + nq) */
    int64_t mc, nt; /* one task: mc rows, nt columns */
    int64_t ntasks; /* column tasks per row block */
    int64_t rblocks; /* one group: row blocks of whole MR panels shared out
                        evenly; 0: blocks of mc rows */
    float *bpack;    /* `slots` blocks of kc x nc_max, in NR panels */
    int64_t slots, slot_floats;
    float *apack; /* per worker: mc_max x kc_max */
    size_t apack_floats;
    /* One pool job runs every depth block of a column block: its items
     * are, block by block and in each group by group, the group's B panels
     * and then its tasks, claimed one at a time from `next` (so the last
     * task, not a quarter of a thread's share, bounds the wait at the end,
     * and threads that finish one depth block start packing the next
     * instead of waiting for the others). A (block, group) pair is a unit,
     * numbered from the job's first; unit u packs into slot u % slots once
     * unit u - slots has run all its tasks, and starts its tasks once its
     * panels are packed; a task starts once the same task of the previous
     * depth block (which adds into the same C tile) has run. Items only
     * ever wait on earlier items, so the job cannot stall. */
    int64_t panels;              /* B panels per unit */
    int64_t *item0;              /* [ngroups + 1]: first item of each group in a block */
    atomic_llong next;           /* the next unclaimed item */
    atomic_llong *packed, *done; /* per unit: panels packed, tasks run */
    atomic_llong *ran;           /* per task of a block: depth blocks it has run */
    bool stall;                  /* TESSEL_TEST_HOOK=cpu_gemm_stall (gemm_worker) */
} gemm_job;

/* Where depth block q starts, and its depth. */
typedef struct gemm_depth {
    int64_t pc, kc;
} gemm_depth;

static gemm_depth depth_of(const gemm_job *j, int64_t q)
{
    gemm_depth d = {.pc = q * j->kc};
    d.kc = j->depth - d.pc < j->kc ? j->depth - d.pc : j->kc;
    return d;
}

static float *slot_of(const gemm_job *j, int64_t u)
{
    return j->bpack + (u % j->slots) * j->slot_floats;
}

/* B panel t of unit u (group g, depth d): NR columns, zero-padded. */
static void pack_b_panel(const gemm_job *j, gemm_depth d, int64_t u, int64_t g, int64_t t)
{
    int64_t nr = j->k->gemm_nr;
    int64_t col = j->jc + t * nr, cols = j->nc - t * nr < nr ? j->nc - t * nr : nr;
    const float *b = j->g[g].b;
    const float *src = j->trans_b ? b + col * j->ldb + d.pc : b + d.pc * j->ldb + col;
    j->k->gemm_pack(src, (size_t)j->ldb, j->trans_b, (size_t)cols, (size_t)d.kc, (size_t)nr,
                    slot_of(j, u) + t * d.kc * nr);
}

/* A rows [ic, ic+mc) into MR-high panels; rows past mc are zero so edge
 * tiles run the full kernel. */
static void pack_a(const gemm_job *j, gemm_depth d, int64_t ic, int64_t mc, float *dst)
{
    int64_t mr = j->k->gemm_mr;
    for (int64_t ir = 0; ir < mc; ir += mr, dst += d.kc * mr) {
        int64_t row = ic + ir, rows = mc - ir < mr ? mc - ir : mr;
        const float *src = j->trans_a ? j->a + d.pc * j->lda + row : j->a + row * j->lda + d.pc;
        j->k->gemm_pack(src, (size_t)j->lda, !j->trans_a, (size_t)rows, (size_t)d.kc, (size_t)mr,
                        dst);
    }
}

static void tile(const gemm_job *j, gemm_depth d, const float *ap, const float *bp, int64_t i,
                 int64_t jj, int64_t rows, int64_t cols)
{
    int mr = j->k->gemm_mr, nr = j->k->gemm_nr;
    float *c = j->c + i * j->ldc + j->jc + jj;
    int acc = d.pc > 0;
    if (cols == nr) {
        if (rows == mr)
            j->k->gemm_micro((size_t)d.kc, ap, bp, c, (size_t)j->ldc, acc);
        else
            j->k->gemm_micro_rows((size_t)d.kc, ap, bp, c, (size_t)j->ldc, acc, (int)rows);
        return;
    }
    /* Right edge: the kernel writes whole NR-wide rows, so through a tile. */
    float t[GEMM_MAX_MR * GEMM_MAX_NR];
    j->k->gemm_micro_rows((size_t)d.kc, ap, bp, t, (size_t)nr, 0, (int)rows);
    for (int64_t r = 0; r < rows; r++)
        for (int64_t q = 0; q < cols; q++)
            c[r * j->ldc + q] = (acc ? c[r * j->ldc + q] : 0.0f) + t[r * nr + q];
}

/* Task t of unit u (group g, depth d) is a (row block, column range)
 * pair: it packs its rows of A once and sweeps its columns one B
 * micro-panel at a time. */
static void run_task(const gemm_job *j, gemm_depth d, int64_t u, int64_t g, int64_t t, float *ap)
{
    int64_t mr = j->k->gemm_mr, nr = j->k->gemm_nr;
    int64_t b = t / j->ntasks, jt = (t % j->ntasks) * j->nt, grows = j->g[g].rows;
    int64_t ic = b * j->mc, end = ic + j->mc;
    if (j->rblocks > 0) { /* block b: panels [b p / rblocks, (b + 1) p / rblocks) */
        int64_t p = (grows + mr - 1) / mr;
        ic = b * p / j->rblocks * mr;
        end = (b + 1) * p / j->rblocks * mr;
    }
    int64_t mc = (end < grows ? end : grows) - ic;
    int64_t nt = j->nc - jt < j->nt ? j->nc - jt : j->nt;
    ic += j->g[g].row;
    pack_a(j, d, ic, mc, ap);
    const float *bpack = slot_of(j, u);
    for (int64_t jr = jt; jr < jt + nt; jr += nr) {
        const float *bp = bpack + (jr / nr) * d.kc * nr;
        int64_t cols = jt + nt - jr < nr ? jt + nt - jr : nr;
        for (int64_t ir = 0; ir < mc; ir += mr) {
            int64_t rows = mc - ir < mr ? mc - ir : mr;
            tile(j, d, ap + (ir / mr) * d.kc * mr, bp, ic + ir, jr, rows, cols);
        }
    }
}

static void wait_for(atomic_llong *count, int64_t want)
{
    while (atomic_load_explicit(count, memory_order_acquire) < want)
        sched_yield();
}

static int64_t tasks_of(const gemm_job *j, int64_t g)
{
    return j->item0[g + 1] - j->item0[g] - j->panels;
}

/* Each pool thread claims items until none is left. */
static void gemm_worker(void *ctx, int64_t begin, int64_t end, int worker)
{
    (void)begin;
    (void)end;
    gemm_job *j = ctx;
    float *ap = j->apack + (size_t)worker * j->apack_floats;
    int64_t per_block = j->item0[j->ngroups];
    for (;;) {
        int64_t i = atomic_fetch_add(&j->next, 1);
        if (i >= per_block * j->nq)
            return;
        int64_t qq = i / per_block, r = i % per_block;
        int64_t g = tsi_cpu_group_of(j->item0, j->ngroups, r), t = r - j->item0[g];
        int64_t u = qq * j->ngroups + g;
        gemm_depth d = depth_of(j, j->q0 + qq);
        if (t < j->panels) {
            if (u >= j->slots)
                wait_for(&j->done[u - j->slots], tasks_of(j, (u - j->slots) % j->ngroups));
            pack_b_panel(j, d, u, g, t);
            atomic_fetch_add_explicit(&j->packed[u], 1, memory_order_release);
            continue;
        }
        /* The task's number within a block: groups before g have
         * item0[g] - g * panels tasks. */
        int64_t task = j->item0[g] - g * j->panels + t - j->panels;
        wait_for(&j->packed[u], j->panels);
        if (qq > 0)
            wait_for(&j->ran[task], qq);
        /* The test hook holds worker 1 back on every fourth task, so the
         * other workers run far ahead of it through these waits (a missing
         * wait then shows as wrong results, which TSan alone misses: in an
         * unhurried run the claim counter orders the tasks anyway). */
        if (j->stall && worker == 1 && task % 4 == 0)
            nanosleep(&(struct timespec){.tv_nsec = 2000000}, NULL);
        run_task(j, d, u, g, t - j->panels, ap);
        if (j->nq > 1)
            atomic_store_explicit(&j->ran[task], qq + 1, memory_order_release);
        atomic_fetch_add_explicit(&j->done[u], 1, memory_order_release);
    }
}

static int64_t round_up(int64_t x, int64_t m)
{
    return (x + m - 1) / m * m;
}

static int64_t serial_mc(const tsi_cpu_kernels *k, const gemm_blocking *b)
{
    int64_t mc = round_up(GEMM_SERIAL_ROWS, k->gemm_mr);
    return mc < b->mc ? mc : b->mc;
}

/* Floats of one packed B block of an n-column product. */
static int64_t b_block_floats(const tsi_cpu_kernels *k, const gemm_blocking *b, int64_t n)
{
    return b->kc * round_up(n < b->nc ? n : b->nc, k->gemm_nr);
}

size_t tsi_cpu_gemm_pack_floats(const tsi_cpu_kernels *k, int64_t n, size_t *a_floats)
{
    gemm_blocking b = blocking_for(k, 1, 0, 0);
    *a_floats = (size_t)(serial_mc(k, &b) * b.kc);
    return (size_t)b_block_floats(k, &b, n);
}

static int64_t row_blocks(const gemm_job *j, int64_t mc)
{
    int64_t blocks = 0;
    for (int64_t g = 0; g < j->ngroups; g++)
        blocks += (j->g[g].rows + mc - 1) / mc;
    return blocks;
}

/* How one (KC x NC) block is cut into tasks for `threads` threads: rows
 * (of all groups together) in blocks of at most mc_max, shrunk so there
 * are a few tasks per thread; when rows alone cannot give each thread
 * work, columns split too. One group with enough rows is cut into exactly
 * that many blocks of whole MR panels, a panel apart in size at most:
 * fixed blocks of the rounded-up height left a count the threads could
 * not share evenly (2048 rows: 15 blocks of 140 rows for 2 threads, the
 * last one run alone); even blocks ran 2-5 % faster at 512^3 to 2048^3. */
static void split(gemm_job *j, int threads, int64_t m, int64_t mc_max)
{
    int64_t mr = j->k->gemm_mr, nr = j->k->gemm_nr;
    int64_t want = (int64_t)threads * GEMM_TASKS_PER_THREAD;
    j->mc = mc_max;
    j->nt = j->nc;
    j->ntasks = 1;
    j->rblocks = 0;
    if (threads <= 1)
        return;
    int64_t mc = round_up((m + want - 1) / want, mr);
    if (mc < j->mc) {
        j->mc = mc < mr ? mr : mc;
        /* Each even block has at most ceil(panels / want) panels: mc. */
        int64_t pm = (m + mr - 1) / mr;
        if (j->ngroups == 1 && pm >= want)
            j->rblocks = want;
        /* Where L2 cannot keep the B block between tasks, each B
         * micro-panel comes from L3 once per task and serves only that
         * task's A panels, so thin row blocks starve the kernel: keep
         * GEMM_MIN_PANELS panels per block and split the columns instead
         * (2 threads, own over OpenBLAS: 512x4096x1024 0.80-0.85 -> 0.90-0.95,
         * 128x4096x4096 0.63 -> 0.88, 512x11008x4096 0.83 -> 0.94; where
         * B fits, 1024^3 and 512^3, the thin blocks were faster). */
        size_t b_bytes = (size_t)(depth_of(j, 0).kc * j->nc) * sizeof(float);
        if (j->ngroups == 1 && mc < GEMM_MIN_PANELS * mr && b_bytes > caches.l2 / 2) {
            int64_t rb = pm / (pm < GEMM_MIN_PANELS ? pm : GEMM_MIN_PANELS);
            int64_t rows = (pm + rb - 1) / rb * mr;
            if (rows <= mc_max) {
                j->rblocks = rb;
                j->mc = rows;
            }
        }
    }
    int64_t mtasks = j->rblocks > 0 ? j->rblocks : row_blocks(j, j->mc);
    if (mtasks >= want)
        return;
    int64_t panels = (j->nc + nr - 1) / nr;
    int64_t per = (panels * mtasks + want - 1) / want; /* B panels per task */
    j->nt = (per < 1 ? 1 : per) * nr;
    j->ntasks = (j->nc + j->nt - 1) / j->nt;
}

/* What one blocked run needs beside its operands. A run whose units or
 * tasks do not fit the counters given runs one depth block per job. */
typedef struct gemm_space {
    float *apack, *bpack;
    size_t apack_floats;
    int64_t mc_max, slots;
    int64_t *item0;              /* [ngroups + 1] */
    atomic_llong *packed, *done; /* [units] */
    atomic_llong *ran;           /* [tasks] */
    int64_t units, tasks;
    bool stall;
} gemm_space;

/* The most tasks split() cuts one block into: without a column split,
 * row blocks of at least MR rows (a group's last one may be short); with
 * one, fewer than 2 x threads x GEMM_TASKS_PER_THREAD. */
static int64_t tasks_bound(int threads, int64_t m, int64_t ngroups, int64_t mr)
{
    int64_t rows = (m + mr - 1) / mr + ngroups;
    int64_t cols = 2 * (int64_t)threads * GEMM_TASKS_PER_THREAD;
    return rows > cols ? rows : cols;
}

/* Runs depth blocks [q0, q0 + nq) of the column block j->jc (items laid
 * out), on the pool or, with pool NULL, on the caller. */
static void gemm_job_run(tsi_cpu_pool *pool, int threads, gemm_job *j, int64_t q0, int64_t nq,
                         int64_t tasks)
{
    j->q0 = q0;
    j->nq = nq;
    atomic_init(&j->next, 0);
    for (int64_t u = 0; u < nq * j->ngroups; u++) {
        atomic_init(&j->packed[u], 0);
        atomic_init(&j->done[u], 0);
    }
    if (nq > 1)
        for (int64_t t = 0; t < tasks; t++)
            atomic_init(&j->ran[t], 0);
    /* One item per thread: each runs gemm_worker, which claims the real
     * items itself; cost: a thread's share of the job (only compared with
     * the pool's inline threshold, so saturating is enough). */
    int64_t share = j->mc * j->nt * j->kc * (tasks / threads + 1);
    share = nq > INT64_MAX / share ? INT64_MAX : share * nq;
    if (pool && tasks > 1)
        tsi_cpu_pool_for(pool, threads, share, gemm_worker, j);
    else
        gemm_worker(j, 0, 1, 0);
}

/* The blocked loops over every group; pool NULL runs every task on the
 * caller. */
static void gemm_blocked(tsi_cpu_pool *pool, const tsi_cpu_kernels *kt, bool trans_a, bool trans_b,
                         int64_t ngroups, const tsi_cpu_gemm_group *groups, int64_t n, int64_t k,
                         const float *a, int64_t lda, int64_t ldb, float *c, int64_t ldc,
                         const gemm_space *sp)
{
    int threads = pool ? tsi_cpu_pool_threads(pool) : 1;
    gemm_job j = {.k = kt,
                  .trans_a = trans_a,
                  .trans_b = trans_b,
                  .a = a,
                  .lda = lda,
                  .ldb = ldb,
                  .c = c,
                  .ldc = ldc,
                  .g = groups,
                  .ngroups = ngroups,
                  .depth = k,
                  .apack = sp->apack,
                  .apack_floats = sp->apack_floats,
                  .bpack = sp->bpack,
                  .slots = sp->slots,
                  .item0 = sp->item0,
                  .packed = sp->packed,
                  .done = sp->done,
                  .ran = sp->ran,
                  .stall = sp->stall};
    int64_t m = 0;
    for (int64_t g = 0; g < ngroups; g++)
        m += groups[g].rows;
    gemm_blocking blk = pool ? blocking_for(kt, threads, m, n) : blocking_for(kt, 1, 0, 0);
    j.kc = blk.kc;
    int64_t nr = kt->gemm_nr, nq = (k + blk.kc - 1) / blk.kc;
    j.slot_floats = b_block_floats(kt, &blk, n);
    for (int64_t jc = 0; jc < n; jc += blk.nc) {
        j.jc = jc;
        j.nc = n - jc < blk.nc ? n - jc : blk.nc;
        split(&j, threads, m, sp->mc_max);
        j.panels = (j.nc + nr - 1) / nr;
        j.item0[0] = 0;
        for (int64_t g = 0; g < ngroups; g++)
            j.item0[g + 1] =
                j.item0[g] + j.panels +
                (j.rblocks > 0 ? j.rblocks : (groups[g].rows + j.mc - 1) / j.mc) * j.ntasks;
        int64_t tasks = j.item0[ngroups] - ngroups * j.panels;
        if (pool && nq * ngroups <= sp->units && tasks <= sp->tasks) {
            gemm_job_run(pool, threads, &j, 0, nq, tasks);
            continue;
        }
        for (int64_t q = 0; q < nq; q++)
            gemm_job_run(pool, threads, &j, q, 1, tasks);
    }
}

void tsi_cpu_gemm_serial(const tsi_cpu_kernels *k, bool trans_a, bool trans_b, int64_t m, int64_t n,
                         int64_t kk, const float *a, int64_t lda, const float *b, int64_t ldb,
                         float *c, int64_t ldc, float *apack, float *bpack)
{
    gemm_blocking blk = blocking_for(k, 1, 0, 0);
    int64_t item0[2];
    atomic_llong packed, done;
    tsi_cpu_gemm_group g = {.row = 0, .rows = m, .b = b};
    gemm_space sp = {.apack = apack,
                     .bpack = bpack,
                     .mc_max = serial_mc(k, &blk),
                     .slots = 1,
                     .item0 = item0,
                     .packed = &packed,
                     .done = &done,
                     .units = 1};
    sp.apack_floats = (size_t)(sp.mc_max * blk.kc);
    gemm_blocked(NULL, k, trans_a, trans_b, 1, &g, n, kk, a, lda, ldb, c, ldc, &sp);
}

/* The device's packing buffers, grown to hold what a pool-wide run over
 * `ngroups` groups (m rows in all, at most `rows` in one) by n columns
 * and k deep needs; kept between calls: allocating (and page-faulting)
 * fresh panels costs as much as a whole small GEMM. Two B slots at least,
 * so the next depth block packs while the last tasks of one still run. */
static ts_status pool_space(tsi_device *dev, int64_t ngroups, int64_t m, int64_t rows, int64_t n,
                            int64_t k, gemm_space *sp)
{
    int threads = tsi_cpu_pool_threads(dev->pool);
    gemm_blocking blk = blocking_for(dev->k, threads, m, n);
    /* A task never packs more rows than a group (rounded to MR) needs. */
    sp->mc_max = round_up(rows, dev->k->gemm_mr);
    if (sp->mc_max > blk.mc)
        sp->mc_max = blk.mc;
    sp->units = (k + blk.kc - 1) / blk.kc * ngroups;
    sp->tasks = tasks_bound(threads, m, ngroups, dev->k->gemm_mr);
    sp->slots = ngroups < GEMM_GROUP_SLOTS ? ngroups : GEMM_GROUP_SLOTS;
    if (sp->slots < 2)
        sp->slots = sp->units < 2 ? sp->units : 2;
    size_t a_floats = (size_t)(sp->mc_max * blk.kc);
    size_t b_floats = (size_t)b_block_floats(dev->k, &blk, n);
    size_t a_bytes = tsi_cpu_align_up(a_floats * sizeof(float));
    size_t b_bytes = tsi_cpu_align_up(b_floats * sizeof(float)) * (size_t)sp->slots;
    size_t c_bytes = tsi_cpu_align_up((size_t)(2 * sp->units + sp->tasks) * sizeof(atomic_llong));
    size_t i_bytes = tsi_cpu_align_up((size_t)(ngroups + 1) * sizeof(int64_t));
    size_t bytes = b_bytes + a_bytes * (size_t)threads + c_bytes + i_bytes;
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
    char *base = dev->gemm_pack;
    sp->bpack = (float *)base;
    sp->apack = (float *)(base + b_bytes);
    sp->apack_floats = a_bytes / sizeof(float);
    sp->packed = (atomic_llong *)(base + b_bytes + a_bytes * (size_t)threads);
    sp->done = sp->packed + sp->units;
    sp->ran = sp->done + sp->units;
    sp->item0 = (int64_t *)((char *)sp->packed + c_bytes);
    sp->stall = dev->state->host->test_hook("cpu_gemm_stall");
    return TS_OK;
}

ts_status tsi_cpu_gemm_packed(tsi_device *dev, bool trans_a, bool trans_b, int64_t m, int64_t n,
                              int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,
                              float *c, int64_t ldc)
{
    gemm_space sp;
    ts_status st = pool_space(dev, 1, m, m, n, k, &sp);
    if (st != TS_OK)
        return st;
    tsi_cpu_gemm_group g = {.row = 0, .rows = m, .b = b};
    gemm_blocked(dev->pool, dev->k, trans_a, trans_b, 1, &g, n, k, a, lda, ldb, c, ldc, &sp);
    return TS_OK;
}

ts_status tsi_cpu_gemm_grouped(tsi_device *dev, int64_t ngroups, const tsi_cpu_gemm_group *groups,
                               int64_t n, int64_t k, const float *a, int64_t lda, int64_t ldb,
                               float *c, int64_t ldc)
{
    int64_t rows = 0, m = 0;
    for (int64_t g = 0; g < ngroups; g++) {
        rows = groups[g].rows > rows ? groups[g].rows : rows;
        m += groups[g].rows;
    }
    if (ngroups == 0 || rows == 0)
        return TS_OK;
    gemm_space sp;
    ts_status st = pool_space(dev, ngroups, m, rows, n, k, &sp);
    if (st != TS_OK)
        return st;
    gemm_blocked(dev->pool, dev->k, false, false, ngroups, groups, n, k, a, lda, ldb, c, ldc, &sp);
    return TS_OK;
}
