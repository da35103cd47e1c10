/* The CPU device must report its SIMD level and OpenBLAS core, and must
 * not leave OpenBLAS on a slow generic core on a machine tessel knows to be
 * faster (the trap of OpenBLAS 0.3.21 under VMs that hide the CPU model).
 * Usage: cpu_features_check [EXPECT_CORE]
 *   no argument: OPENBLAS_CORETYPE must be unset; checks tessel's choice
 *   and that the environment is left as it was;
 *   EXPECT_CORE: the core the user forced; tessel must keep it. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(int argc, char **argv)
{
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
        if (getenv("OPENBLAS_CORETYPE")) {
            printf("FAIL: OPENBLAS_CORETYPE was left set in the environment\n");
            ok = 0;
        }
    }
    ts_context_destroy(ctx);
    printf("%s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
