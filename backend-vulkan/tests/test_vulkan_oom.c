/* Out-of-memory on the Vulkan backend: allocate until the device refuses,
 * check the status is TS_ERR_OUT_OF_MEMORY, free everything, and check the
 * device still runs an op correctly. Then temporaries: tensors made, used
 * by an op and destroyed again, with no sync between, many times what the
 * device holds. Their memory waits for the recorded work that uses them,
 * so the device must finish that work when it runs out, not fail (a
 * layer's temporaries within one call, ts_fftconv's matmul path).
 *
 * Run with TESSEL_TEST_HOOK=vulkan_heap_limit (ctest sets it): the module
 * then caps the device's usable memory at 256 MiB, so the test exhausts it
 * without taking gigabytes of host RAM on lavapipe, whose device memory is
 * host memory. Without the hook it stops at MAX_TENSORS anyway and exits
 * 77 (skipped) if no OOM was reached. Exit 77 also when no Vulkan device. */
#include <stdio.h>
#include <stdlib.h>

#include "tessel/tessel.h"

#define TENSOR_ELEMS (8ll << 20) /* 32 MiB of f32 */
#define MAX_TENSORS 64           /* 2 GiB cap without the hook */

static int fail(ts_context *ctx, const char *what, ts_status st)
{
    fprintf(stderr, "FAIL: %s: %s (%s)\n", what, ts_status_str(st), ctx ? ts_last_error(ctx) : "");
    return 1;
}

/* acc = 0 * x, then acc = acc + (-x) ROUNDS times, each round in a new
 * tensor and through a temporary -x, the old ones destroyed at once: 64
 * MiB freed per round while the work using it is only recorded, 4 x the
 * 256 MiB cap in all. */
static int temporaries(ts_context *ctx, ts_device *dev)
{
    enum { ROUNDS = 16 };
    int64_t shape[1] = {TENSOR_ELEMS};
    size_t bytes = (size_t)TENSOR_ELEMS * sizeof(float);
    float *h = malloc(bytes);
    ts_tensor *x = NULL, *acc = NULL;
    ts_status st = h ? TS_OK : TS_ERR_OUT_OF_MEMORY;
    for (int64_t i = 0; h && i < TENSOR_ELEMS; i++)
        h[i] = (float)(i % 7);
    if (st != TS_OK || (st = ts_tensor_create(dev, TS_F32, 1, shape, &x)) != TS_OK ||
        (st = ts_tensor_create(dev, TS_F32, 1, shape, &acc)) != TS_OK ||
        (st = ts_tensor_write(x, h, bytes)) != TS_OK ||
        (st = ts_scale_shift(x, 0.0f, 0.0f, acc)) != TS_OK) {
        free(h);
        ts_tensor_destroy(x);
        ts_tensor_destroy(acc);
        return fail(ctx, "temporaries: set-up", st);
    }
    int round = 0;
    for (; round < ROUNDS && st == TS_OK; round++) {
        ts_tensor *neg = NULL, *next = NULL;
        if ((st = ts_tensor_create(dev, TS_F32, 1, shape, &neg)) == TS_OK &&
            (st = ts_unary(TS_NEG, x, neg)) == TS_OK &&
            (st = ts_tensor_create(dev, TS_F32, 1, shape, &next)) == TS_OK &&
            (st = ts_binary(TS_ADD, acc, neg, next)) == TS_OK) {
            ts_tensor_destroy(acc);
            acc = next;
            next = NULL;
        }
        ts_tensor_destroy(neg);
        ts_tensor_destroy(next);
    }
    if (st == TS_OK)
        st = ts_tensor_read(acc, h, bytes);
    int rc = 0;
    if (st != TS_OK) {
        char what[64];
        snprintf(what, sizeof what, "temporaries: round %d of %d", round, ROUNDS);
        rc = fail(ctx, what, st);
    }
    for (int64_t i = 0; !rc && i < TENSOR_ELEMS; i++)
        if (h[i] != -(float)(i % 7) * ROUNDS) {
            fprintf(stderr, "FAIL: temporaries: acc[%lld] = %g, want %g\n", (long long)i, h[i],
                    -(double)(i % 7) * ROUNDS);
            rc = 1;
        }
    free(h);
    if (!rc)
        printf("%d rounds of 64 MiB temporaries under a 256 MiB cap: ok\n", ROUNDS);
    ts_tensor_destroy(x);
    ts_tensor_destroy(acc);
    return rc;
}

int main(void)
{
    ts_context *ctx = NULL;
    ts_device *dev = NULL;
    ts_status st = ts_context_create(&ctx);
    if (st != TS_OK)
        return fail(NULL, "ts_context_create", st);
    if (ts_device_find(ctx, "vulkan:0", &dev) != TS_OK) {
        printf("SKIP: no vulkan device\n");
        ts_context_destroy(ctx);
        return 77;
    }
    ts_tensor *t[MAX_TENSORS] = {0};
    int n = 0, rc = 0;
    int64_t shape[1] = {TENSOR_ELEMS};
    for (; n < MAX_TENSORS; n++) {
        st = ts_tensor_create(dev, TS_F32, 1, shape, &t[n]);
        if (st != TS_OK)
            break;
    }
    printf("allocated %d tensors of %lld MiB before: %s (%s)\n", n,
           (long long)(TENSOR_ELEMS * 4 >> 20), ts_status_str(st), ts_last_error(ctx));
    int reached = n < MAX_TENSORS;
    if (reached && st != TS_ERR_OUT_OF_MEMORY)
        rc = fail(ctx, "allocation failure status", st);
    for (int i = 0; i < n; i++)
        ts_tensor_destroy(t[i]);

    /* The device must still work: a + b on fresh tensors. */
    enum { N = 1000 };
    float a[N], b[N], out[N];
    for (int i = 0; i < N; i++) {
        a[i] = (float)i;
        b[i] = 0.5f * (float)i;
    }
    int64_t s2[1] = {N};
    ts_tensor *ta = NULL, *tb = NULL, *tc = NULL, *big = NULL;
    if (!rc && ((st = ts_tensor_create(dev, TS_F32, 1, s2, &ta)) != TS_OK ||
                (st = ts_tensor_create(dev, TS_F32, 1, s2, &tb)) != TS_OK ||
                (st = ts_tensor_create(dev, TS_F32, 1, s2, &tc)) != TS_OK))
        rc = fail(ctx, "create after OOM", st);
    if (!rc && ((st = ts_tensor_write(ta, a, sizeof a)) != TS_OK ||
                (st = ts_tensor_write(tb, b, sizeof b)) != TS_OK ||
                (st = ts_binary(TS_ADD, ta, tb, tc)) != TS_OK ||
                (st = ts_tensor_read(tc, out, sizeof out)) != TS_OK))
        rc = fail(ctx, "add after OOM", st);
    for (int i = 0; !rc && i < N; i++)
        if (out[i] != 1.5f * (float)i) {
            fprintf(stderr, "FAIL: out[%d] = %g, want %g\n", i, out[i], 1.5 * i);
            rc = 1;
        }
    /* Freed memory is really back: a big tensor fits again. */
    if (!rc && reached && (st = ts_tensor_create(dev, TS_F32, 1, shape, &big)) != TS_OK)
        rc = fail(ctx, "big tensor after free", st);
    ts_tensor_destroy(big);
    ts_tensor_destroy(ta);
    ts_tensor_destroy(tb);
    ts_tensor_destroy(tc);
    if (!rc && reached)
        rc = temporaries(ctx, dev);
    ts_context_destroy(ctx);
    if (!rc && !reached) {
        printf("SKIP: no out-of-memory within %d tensors (set TESSEL_TEST_HOOK=vulkan_heap_limit)\n",
               MAX_TENSORS);
        return 77;
    }
    if (!rc)
        printf("PASS\n");
    return rc;
}
