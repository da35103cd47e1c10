/* The CPU device must report its SIMD level and OpenBLAS core, and must
 * not leave OpenBLAS on a slow generic core on a machine tessel knows to be
 * faster (the trap of OpenBLAS 0.3.21 under VMs that hide the CPU model).
 * Usage: cpu_features_check [EXPECT_CORE]
 *   no argument: OPENBLAS_CORETYPE must be unset; checks tessel's choice,
 *   that the environment is left as it was and, when the user did not set
 *   OPENBLAS_THREAD_TIMEOUT, that OpenBLAS's threads sleep once an sgemm
 *   is done instead of spinning (cpu_openblas.c);
 *   EXPECT_CORE: the core the user forced; tessel must keep it. */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tessel/tessel.h>

/* Cores OpenBLAS falls back to when it cannot identify a CPU: they run
 * SSE-era kernels at a fraction of an AVX2 / AVX-512 machine's speed. */
static const char *const slow_cores[] = {"Prescott",  "Core2",  "Penryn",    "Dunnington",
                                         "Nehalem",   "Katmai", "Atom",      "Opteron",
                                         "Barcelona", "Bobcat", "Northwood", "Banias"};

static int field(const char *features, const char *key, char *out, size_t len)
{
    const char *p = strstr(features, key);
    if (!p)
        return 0;
    p += strlen(key);
    size_t n = strcspn(p, " ");
    snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), p);
    return 1;
}

static double cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

/* CPU time the process burns in the 200 ms after an OpenBLAS-sized f32
 * GEMM, in ms, or -1 when the GEMM could not run. Spinning workers take
 * about 2^28 cycles each (0.1 s at 2.7 GHz); sleeping ones take none. */
static double idle_cpu_after_sgemm(ts_device *dev)
{
    enum { N = 512 };
    ts_tensor *a = NULL, *c = NULL;
    double ms = -1.0;
    float *x = calloc((size_t)N * N, sizeof(float));
    if (x && ts_tensor_create(dev, TS_F32, 2, (int64_t[]){N, N}, &a) == TS_OK &&
        ts_tensor_create(dev, TS_F32, 2, (int64_t[]){N, N}, &c) == TS_OK &&
        ts_tensor_write(a, x, (size_t)N * N * sizeof(float)) == TS_OK &&
        ts_matmul(a, a, c) == TS_OK && ts_device_sync(dev) == TS_OK) {
        double t0 = cpu_ms();
        struct timespec nap = {0, 200 * 1000 * 1000};
        nanosleep(&nap, NULL);
        ms = cpu_ms() - t0;
    }
    ts_tensor_destroy(a);
    ts_tensor_destroy(c);
    free(x);
    return ms;
}

int main(int argc, char **argv)
{
    bool user_timeout = getenv("OPENBLAS_THREAD_TIMEOUT") != NULL;
    const char *expect = argc > 1 ? argv[1] : NULL;
    if (!expect && getenv("OPENBLAS_CORETYPE")) {
        printf("skip: OPENBLAS_CORETYPE is set in the environment\n");
        return 77;
    }
    ts_context *ctx;
    ts_device *dev;
    ts_device_info info;
    if (ts_context_create(&ctx) != TS_OK || ts_device_find(ctx, "cpu:0", &dev) != TS_OK ||
        ts_device_info_get(dev, &info) != TS_OK) {
        printf("FAIL: no cpu:0: %s\n", ts_last_error(NULL));
        return 1;
    }
    char simd[32], core[64];
    int ok = 1;
    printf("cpu:0 features: %s\n", info.features);
    if (!field(info.features, "simd=", simd, sizeof simd) ||
        !field(info.features, "openblas=", core, sizeof core)) {
        printf("FAIL: features lack simd= or openblas=\n");
        ok = 0;
    } else if (expect) {
        if (strcmp(core, expect) != 0) {
            printf("FAIL: OPENBLAS_CORETYPE=%s was not respected (core %s)\n", expect, core);
            ok = 0;
        }
    } else {
        bool fast = strcmp(simd, "avx2") == 0 || strcmp(simd, "avx512") == 0;
        for (size_t i = 0; fast && i < sizeof slow_cores / sizeof slow_cores[0]; i++) {
            if (strcmp(core, slow_cores[i]) == 0) {
                printf("FAIL: simd=%s but OpenBLAS runs the %s core\n", simd, core);
                ok = 0;
            }
        }
        if (getenv("OPENBLAS_CORETYPE") || (!user_timeout && getenv("OPENBLAS_THREAD_TIMEOUT"))) {
            printf("FAIL: OPENBLAS_CORETYPE or _THREAD_TIMEOUT was left set in the environment\n");
            ok = 0;
        }
        if (!user_timeout) {
            double ms = idle_cpu_after_sgemm(dev);
            printf("cpu time in the 200 ms after a 512^3 sgemm: %.1f ms\n", ms);
            if (ms < 0.0 || ms > 40.0) {
                printf("FAIL: %s\n",
                       ms < 0.0 ? ts_last_error(ctx) : "OpenBLAS threads spin when idle");
                ok = 0;
            }
        }
    }
    ts_context_destroy(ctx);
    printf("%s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
