/* Synchronization validation, shown to work: TESSEL_VULKAN_VALIDATION=1
 * enables it (vk_device.c), and with TESSEL_TEST_HOOK=vulkan_no_barriers
 * the hazard barriers between dispatches are left out (vk_exec.c). lavapipe
 * runs dispatches one after another, so the numbers stay right without
 * them; only the layer can tell. Two contexts, one after the other:
 *   - barriers in place: a chain of dependent ops runs clean and right;
 *   - barriers left out: the same chain must fail with a SYNC-HAZARD
 *     message, else a missing barrier in a kernel family would go unseen.
 * Exit 77 (skip) with no Vulkan device, unless TESSEL_REQUIRE_BACKENDS
 * names vulkan. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessel/tessel.h"
#include "test_reliability.h" /* rel_no_device */

#define N 4096

/* z = (x + x) * (x + x) - x: each op reads what the one before wrote
 * (read after write), and the last overwrites y, which the multiply read
 * (write after read). Returns the status; msg gets the message. */
static ts_status chain(ts_device *dev, float *z_out, char *msg, size_t len)
{
    int64_t shape[1] = {N};
    static float x[N];
    for (int i = 0; i < N; i++)
        x[i] = (float)(i % 13) - 6.0f;
    ts_tensor *xt = NULL, *y = NULL, *z = NULL;
    ts_status st = ts_tensor_create(dev, TS_F32, 1, shape, &xt);
    if (st == TS_OK)
        st = ts_tensor_create(dev, TS_F32, 1, shape, &y);
    if (st == TS_OK)
        st = ts_tensor_create(dev, TS_F32, 1, shape, &z);
    if (st == TS_OK)
        st = ts_tensor_write(xt, x, sizeof x);
    if (st == TS_OK)
        st = ts_binary(TS_ADD, xt, xt, y);
    if (st == TS_OK)
        st = ts_binary(TS_MUL, y, y, z);
    if (st == TS_OK)
        st = ts_binary(TS_SUB, z, xt, y);
    if (st == TS_OK)
        st = ts_tensor_read(y, z_out, N * sizeof(float));
    snprintf(msg, len, "%s", st == TS_OK ? "" : ts_last_error(NULL));
    ts_tensor_destroy(xt);
    ts_tensor_destroy(y);
    ts_tensor_destroy(z);
    return st;
}

/* One context with the hook armed or not; 0 when it went as expected. */
static int run(int no_barriers)
{
    if (no_barriers)
        setenv("TESSEL_TEST_HOOK", "vulkan_no_barriers", 1);
    else
        unsetenv("TESSEL_TEST_HOOK");
    ts_context *ctx = NULL;
    ts_device *dev = NULL;
    if (ts_context_create(&ctx) != TS_OK) {
        fprintf(stderr, "FAIL: ts_context_create: %s\n", ts_last_error(NULL));
        return 1;
    }
    if (ts_device_find(ctx, "vulkan:0", &dev) != TS_OK) {
        ts_context_destroy(ctx);
        exit(rel_no_device("vulkan"));
    }
    static float z[N];
    char msg[1024];
    ts_status st = chain(dev, z, msg, sizeof msg);
    ts_context_destroy(ctx);
    if (no_barriers) {
        if (st == TS_OK || !strstr(msg, "SYNC-HAZARD")) {
            fprintf(stderr,
                    "FAIL: without barriers the chain gave %s (%s): synchronization validation "
                    "did not catch it (is vulkan-validationlayers installed?)\n",
                    ts_status_str(st), msg);
            return 1;
        }
        printf("without barriers: %s, %.160s...\n", ts_status_str(st), msg);
        return 0;
    }
    if (st != TS_OK) {
        fprintf(stderr, "FAIL: with barriers: %s: %s\n", ts_status_str(st), msg);
        return 1;
    }
    for (int i = 0; i < N; i++) {
        double x = (double)(i % 13) - 6.0, want = 4.0 * x * x - x;
        if (fabs(z[i] - want) > 1e-6 * (1.0 + fabs(want))) {
            fprintf(stderr, "FAIL: with barriers: z[%d] = %g, want %g\n", i, z[i], want);
            return 1;
        }
    }
    printf("with barriers: clean, %d values right\n", N);
    return 0;
}

int main(void)
{
    setenv("TESSEL_VULKAN_VALIDATION", "1", 1);
    setenv("TESSEL_BACKENDS", "vulkan", 1);
    int rc = run(0);
    if (!rc)
        rc = run(1);
    if (!rc)
        printf("test_vulkan_sync: OK\n");
    return rc;
}
