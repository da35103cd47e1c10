/* Allocation-failure injection (core/alloc_hook.c): every host allocation
 * of core and every device buffer of a small workload is failed in turn,
 * one per run (N = 1, 2, ... until the workload no longer reaches an N-th
 * allocation). Each run must end in TS_ERR_OUT_OF_MEMORY with a message,
 * give back every byte of device memory (ts_device_memory_stats) and leave
 * the device usable: the same workload, disarmed, then gives the right
 * numbers. Host leaks are LeakSanitizer's to find (the sanitizer build runs
 * this test too). Context creation is swept the same way.
 *
 *     test_alloc_failure --backend cpu|vulkan|opencl
 *
 * Linked to the static library to arm the hook and ask whether it fired. */
#include <math.h>

#include "core/internal.h"
#include "test_reliability.h"

#define M 4
#define K 6
#define N 3

static float a_host[M * K], b_host[K * N];

static void make_inputs(void)
{
    unsigned s = 12345u;
    for (int i = 0; i < M * K; i++) {
        s = s * 1103515245u + 12345u;
        a_host[i] = (float)((s >> 8) % 2001) / 1000.0f - 1.0f;
    }
    for (int i = 0; i < K * N; i++) {
        s = s * 1103515245u + 12345u;
        b_host[i] = (float)((s >> 8) % 2001) / 1000.0f - 1.0f;
    }
}

/* softmax(a . b) and silu(a) * a, in double. */
static void reference(double sm[M * N], double glu[M * K])
{
    for (int i = 0; i < M; i++) {
        double row[N], mx = -INFINITY, sum = 0;
        for (int j = 0; j < N; j++) {
            row[j] = 0;
            for (int k = 0; k < K; k++)
                row[j] += (double)a_host[i * K + k] * b_host[k * N + j];
            mx = row[j] > mx ? row[j] : mx;
        }
        for (int j = 0; j < N; j++)
            sum += exp(row[j] - mx);
        for (int j = 0; j < N; j++)
            sm[i * N + j] = exp(row[j] - mx) / sum;
    }
    for (int i = 0; i < M * K; i++) {
        double x = a_host[i];
        glu[i] = x / (1 + exp(-x)) * x;
    }
}

enum { T_A, T_B, T_C, T_S, T_ST, T_SC, T_G, T_LN, T_Q, T_ATT, T_COPY, T_COUNT };

/* The workload: creates, writes, views, a GEMM, a row op, a strided read
 * (a temporary), a fallback composition (glu: temporaries), a layer with
 * a workspace (attention), a copy; reads back. Returns the first failure. */
static ts_status workload(ts_device *dev, float sm_out[M * N], float glu_out[M * K])
{
    ts_tensor *t[T_COUNT] = {0};
    float st_host[N * M];
    ts_status st;
#define TRY(expr)                                                                                  \
    if ((st = (expr)) != TS_OK)                                                                    \
        goto done;
    TRY(ts_tensor_create(dev, TS_F32, 2, (int64_t[]){M, K}, &t[T_A]));
    TRY(ts_tensor_create(dev, TS_F32, 2, (int64_t[]){K, N}, &t[T_B]));
    TRY(ts_tensor_create(dev, TS_F32, 2, (int64_t[]){M, N}, &t[T_C]));
    TRY(ts_tensor_create(dev, TS_F32, 2, (int64_t[]){M, N}, &t[T_S]));
    TRY(ts_tensor_write(t[T_A], a_host, sizeof a_host));
    TRY(ts_tensor_write(t[T_B], b_host, sizeof b_host));
    TRY(ts_matmul(t[T_A], t[T_B], t[T_C]));
    TRY(ts_softmax(t[T_C], 1.0f, 0, t[T_S]));
    TRY(ts_tensor_transpose(t[T_S], 0, 1, &t[T_ST]));
    TRY(ts_tensor_read(t[T_ST], st_host, sizeof st_host));
    TRY(ts_tensor_copy_to(t[T_S], dev, &t[T_SC]));
    TRY(ts_tensor_read(t[T_SC], sm_out, sizeof(float) * M * N));
    TRY(ts_tensor_create(dev, TS_F32, 2, (int64_t[]){M, K}, &t[T_G]));
    TRY(ts_glu(TS_GLU_SILU, t[T_A], t[T_A], t[T_G]));
    TRY(ts_tensor_read(t[T_G], glu_out, sizeof(float) * M * K));
    TRY(ts_tensor_create(dev, TS_F32, 2, (int64_t[]){M, K}, &t[T_LN]));
    TRY(ts_layer_norm(t[T_A], NULL, NULL, 1e-5f, t[T_LN]));
    TRY(ts_tensor_reshape(t[T_A], 4, (int64_t[]){1, 1, M, K}, &t[T_Q]));
    TRY(ts_tensor_create(dev, TS_F32, 4, (int64_t[]){1, 1, M, K}, &t[T_ATT]));
    ts_attention_params p;
    ts_attention_params_init(&p);
    p.causal = 1;
    TRY(ts_attention(t[T_Q], t[T_Q], t[T_Q], &p, t[T_ATT]));
    TRY(ts_device_sync(dev));
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++)
            if (st_host[j * M + i] != sm_out[i * N + j]) {
                st = TS_ERR_INTERNAL;
                fprintf(stderr, "transposed read differs at %d,%d\n", i, j);
                goto done;
            }
done:
    for (int i = T_COUNT - 1; i >= 0; i--)
        ts_tensor_destroy(t[i]);
    return st;
#undef TRY
}

static void check_numbers(const float sm[M * N], const float glu[M * K], const char *when)
{
    double want_sm[M * N], want_glu[M * K];
    reference(want_sm, want_glu);
    for (int i = 0; i < M * N; i++)
        if (fabs(sm[i] - want_sm[i]) > 1e-5)
            REL_FAIL("%s: softmax[%d] = %g, want %g", when, i, sm[i], want_sm[i]);
    for (int i = 0; i < M * K; i++)
        if (fabs(glu[i] - want_glu[i]) > 1e-5 * (1 + fabs(want_glu[i])))
            REL_FAIL("%s: glu[%d] = %g, want %g", when, i, glu[i], want_glu[i]);
}

static void expect_oom(ts_status st, const char *what, long long n)
{
    const char *msg = ts_last_error(NULL);
    if (st != TS_ERR_OUT_OF_MEMORY)
        REL_FAIL("%s, allocation %lld failed: got %s (%s), expected TS_ERR_OUT_OF_MEMORY", what, n,
                 ts_status_str(st), msg);
    if (!msg || !*msg)
        REL_FAIL("%s, allocation %lld failed: no message", what, n);
}

/* Fail each allocation of ts_context_create in turn. */
static long long sweep_context_create(const char *backend)
{
    for (long long n = 1;; n++) {
        ts_context *ctx = (ts_context *)&n; /* must be reset to NULL on failure */
        tsi_alloc_hook_arm(n);
        ts_status st = ts_context_create(&ctx);
        bool fired = tsi_alloc_hook_fired();
        tsi_alloc_hook_arm(0);
        if (!fired) {
            REL_OK(st);
            rel_device(ctx, backend); /* the context still finds the device */
            ts_context_destroy(ctx);
            return n - 1;
        }
        if (st == TS_OK) {
            /* A failure the context may absorb (a backend skipped) is
             * fine as long as the result is a working context. */
            ts_context_destroy(ctx);
            continue;
        }
        expect_oom(st, "ts_context_create", n);
        if (ctx)
            REL_FAIL("ts_context_create failed but left *out set");
    }
}

int main(int argc, char **argv)
{
    const char *backend = rel_backend_arg(argc, argv);
    rel_watch_validation();
    make_inputs();
    long long ctx_allocs = sweep_context_create(backend);

    ts_context *ctx = NULL;
    REL_OK(ts_context_create(&ctx));
    ts_device *dev = rel_device(ctx, backend);
    float sm[M * N], glu[M * K];
    /* Warm-up: opens the device and sizes the workspace, which stays. */
    REL_OK(workload(dev, sm, glu));
    check_numbers(sm, glu, "warm-up");
    uint64_t base, now;
    REL_OK(ts_device_memory_stats(dev, &base, NULL));

    long long failed = 0;
    for (long long n = 1;; n++) {
        tsi_alloc_hook_arm(n);
        ts_status st = workload(dev, sm, glu);
        bool fired = tsi_alloc_hook_fired();
        tsi_alloc_hook_arm(0);
        if (!fired) {
            REL_OK(st);
            check_numbers(sm, glu, "the last run");
            break;
        }
        failed++;
        expect_oom(st, "workload", n);
        REL_OK(ts_device_memory_stats(dev, &now, NULL));
        if (now != base)
            REL_FAIL("allocation %lld failed: %llu bytes of device memory in use, %llu before", n,
                     (unsigned long long)now, (unsigned long long)base);
        /* The device is usable afterwards. */
        memset(sm, 0, sizeof sm);
        REL_OK(workload(dev, sm, glu));
        check_numbers(sm, glu, "after a failed allocation");
    }
    ts_context_destroy(ctx);
    printf("alloc_failure %s: %lld allocations of ts_context_create and %lld of the workload "
           "failed one at a time: each TS_ERR_OUT_OF_MEMORY, device memory back, device usable\n",
           backend, ctx_allocs, failed);
    return failed > 0 ? 0 : 1;
}
