/* Skinny 16-bit products (cpu_gemm16.h): a has at most
 * TSI_G16_SKINNY_ROWS rows, as in a decode step's linear layers or a MoE
 * expert that got a few tokens. Such a product is a read of b and little
 * else, so the GEMM's path (b packed into panels, converted on the way)
 * moves b twice and converts it for a handful of rows. Here b is read
 * where it lies, in its dtype, and widened in registers by the kernels of
 * the attention decode path (cpu_attention_decode_kernels.inc):
 *   - b's rows contiguous (b_cs = 1, a weight stored [K, N]): attn_pv,
 *     c rows += a(i, p) * b row p, SK_KB rows of b per call;
 *   - b's columns contiguous (b_rs = 1, [N, K] read transposed): attn_qk,
 *     c(i, j) = a row i . b column j, over SK_KQ of the depth per call.
 * Only a is converted to f32, one depth block at a time in each task.
 * Tasks split the columns; each holds its f32 block of c and rounds it
 * into c (bias added first) at the end. */
#include <stdlib.h>
#include <string.h>

#include "backend-cpu/cpu_gemm16.h"
#include "backend-cpu/cpu_internal.h"

/* Rows of b per attn_pv call. Fewer rows per call ran faster on a 2-core
 * Zen 5 guest (f16, 1 and 8 x 14336 x 4096, 512 columns per task: 16
 * rows 4.7-5.7 and 5.8-6.1 ms, 64 rows 8.1 and 9.5 ms); each call adds
 * into c's block once per strip. */
#define SK_KB 16
#define SK_KQ 2048  /* depth per attn_qk call: each column a 4 KiB sequential run */
#define SK_W 512    /* columns per task, at most */
#define SK_W_MIN 64 /* ... and at least (a multiple of every table's 2 VW) */
#define SK_ROWS4 ((TSI_G16_SKINNY_ROWS + 3) / 4 * 4)

/* Floats of one worker: a's block (SK_ROWS4 x SK_KQ, also SK_ROWS4 x
 * SK_KB), the task's block of c, a block of partial sums, the bias. */
#define SK_WORKER_FLOATS ((size_t)SK_ROWS4 * (SK_KQ + 2 * SK_W) + SK_W)

typedef struct sk_job {
    const tsi_cpu_kernels *k;
    const tsi_gemm16 *g;
    int fmt; /* TSI_KV_* */
    bool by_rows;
    int64_t m4, w; /* rows padded to 4; columns per task */
    size_t es, cs; /* bytes per element of a and b, of c */
    float *work;
} sk_job;

size_t tsi_cpu_gemm16_skinny_bytes(int workers)
{
    return tsi_cpu_align_up(SK_WORKER_FLOATS * sizeof(float)) * (size_t)(workers > 0 ? workers : 1);
}

/* Depth [p0, p0 + kb) of a's rows as f32, ld apart; rows m..m4 zero. */
static void load_a(const sk_job *j, float *a, int64_t p0, int64_t kb, int64_t ld)
{
    const tsi_gemm16 *g = j->g;
    for (int64_t r = 0; r < j->m4; r++) {
        if (r >= g->m) {
            memset(a + r * ld, 0, (size_t)kb * sizeof(float));
            continue;
        }
        const char *src = (const char *)g->a + (size_t)(r * g->a_rs + p0 * g->a_cs) * j->es;
        tsi_cpu_load_f32(j->k, g->dt, src, g->a_cs, a + r * ld, (size_t)kb);
    }
}

static void columns(const sk_job *j, float *ws, int64_t c0, int64_t nc)
{
    const tsi_gemm16 *g = j->g;
    float *a = ws, *acc = a + (size_t)SK_ROWS4 * SK_KQ, *part = acc + (size_t)SK_ROWS4 * SK_W;
    float *bias = part + (size_t)SK_ROWS4 * SK_W;
    size_t w = (size_t)j->w;
    const char *b = g->b;
    if (j->by_rows) {
        memset(acc, 0, (size_t)j->m4 * w * sizeof(float));
        for (int64_t p0 = 0; p0 < g->k; p0 += SK_KB) {
            int64_t kb = g->k - p0 < SK_KB ? g->k - p0 : SK_KB;
            load_a(j, a, p0, kb, SK_KB);
            j->k->attn_pv(j->fmt, b + (size_t)(p0 * g->b_rs + c0) * j->es, (size_t)g->b_rs,
                          (size_t)kb, a, SK_KB, (size_t)j->m4, (size_t)nc, acc, w);
        }
    } else {
        for (int64_t p0 = 0; p0 < g->k; p0 += SK_KQ) {
            int64_t kb = g->k - p0 < SK_KQ ? g->k - p0 : SK_KQ;
            load_a(j, a, p0, kb, kb);
            float *s = p0 == 0 ? acc : part;
            j->k->attn_qk(j->fmt, b + (size_t)(c0 * g->b_cs + p0) * j->es, (size_t)g->b_cs,
                          (size_t)nc, a, (size_t)j->m4, (size_t)kb, s, w);
            if (s == part)
                for (int64_t r = 0; r < g->m; r++)
                    j->k->binary(TS_ADD, acc + (size_t)r * w, part + (size_t)r * w,
                                 acc + (size_t)r * w, (size_t)nc);
        }
    }
    if (g->bias)
        tsi_cpu_load_f32(j->k, g->dt, (const char *)g->bias + (size_t)c0 * j->es, 1, bias,
                         (size_t)nc);
    for (int64_t r = 0; r < g->m; r++) {
        float *row = acc + (size_t)r * w;
        if (g->bias)
            j->k->binary(TS_ADD, row, bias, row, (size_t)nc);
        tsi_cpu_store_f32(j->k, g->c_dt, row, (char *)g->c + (size_t)(r * g->ldc + c0) * j->cs, 1,
                          (size_t)nc);
    }
}

static void sk_task(void *ctx, int64_t begin, int64_t end, int worker)
{
    const sk_job *j = ctx;
    float *ws =
        (float *)(void *)((char *)j->work + tsi_cpu_gemm16_skinny_bytes(1) * (size_t)worker);
    for (int64_t t = begin; t < end; t++) {
        int64_t c0 = t * j->w;
        columns(j, ws, c0, j->g->n - c0 < j->w ? j->g->n - c0 : j->w);
    }
}

bool tsi_cpu_gemm16_skinny(tsi_cpu_pool *pool, const tsi_cpu_kernels *k, const tsi_gemm16 *g,
                           void *work)
{
    if ((g->dt != TS_F16 && g->dt != TS_BF16) || g->m < 1 || g->m > TSI_G16_SKINNY_ROWS ||
        g->n < 1 || g->k < 1 || (g->b_cs != 1 && g->b_rs != 1))
        return false;
    const char *env = getenv("TESSEL_CPU_SKINNY");
    if (env && strcmp(env, "0") == 0)
        return false;
    int threads = pool ? tsi_cpu_pool_threads(pool) : 1;
    sk_job j = {
        .k = k,
        .g = g,
        .fmt = g->dt == TS_F16 ? TSI_KV_F16 : TSI_KV_BF16,
        .by_rows = g->b_cs == 1,
        .m4 = (g->m + 3) / 4 * 4,
        .es = ts_dtype_size(g->dt),
        .cs = ts_dtype_size(g->c_dt),
        .work = work,
    };
    /* About four tasks per thread, in whole SK_W_MIN columns. */
    int64_t w = (g->n + 4 * threads - 1) / (4 * threads);
    w = (w + SK_W_MIN - 1) / SK_W_MIN * SK_W_MIN;
    j.w = w < SK_W ? w : SK_W;
    int64_t tasks = (g->n + j.w - 1) / j.w;
    if (pool)
        tsi_cpu_pool_for(pool, tasks, j.m4 * j.w * g->k, sk_task, &j);
    else
        sk_task(&j, 0, tasks, 0);
    return true;
}
