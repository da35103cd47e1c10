/* Buffer lifetime and allocation failures on opencl:0:
 *  1. inputs destroyed right after a long op is recorded (before any
 *     sync) must stay alive until the op has run: the result is checked;
 *  2. an allocation over the device's largest buffer fails with a status
 *     (never a crash), and the device keeps working afterwards. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <tessel/tessel.h>

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        ts_status s_ = (x);                                                                        \
        if (s_ != TS_OK) {                                                                         \
            fprintf(stderr, "%s failed: %s: %s\n", #x, ts_status_str(s_), ts_last_error(NULL));    \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

enum { N = 192 };

static int free_while_queued(ts_device *dev)
{
    static float a[N * N], b[N * N], c[N * N];
    for (int i = 0; i < N * N; i++) {
        a[i] = (float)(i % 7) - 3.0f;
        b[i] = (float)(i % 5) - 2.0f;
    }
    int64_t shape[2] = {N, N};
    ts_tensor *ta, *tb, *tc, *td;
    CHECK(ts_tensor_create(dev, TS_F32, 2, shape, &ta));
    CHECK(ts_tensor_create(dev, TS_F32, 2, shape, &tb));
    CHECK(ts_tensor_create(dev, TS_F32, 2, shape, &tc));
    CHECK(ts_tensor_create(dev, TS_F32, 2, shape, &td));
    CHECK(ts_tensor_write(ta, a, sizeof a));
    CHECK(ts_tensor_write(tb, b, sizeof b));
    CHECK(ts_matmul(ta, tb, tc));
    CHECK(ts_binary(TS_ADD, tc, ta, td));
    ts_tensor_destroy(ta); /* still used by both queued ops */
    ts_tensor_destroy(tb);
    ts_tensor_destroy(tc); /* still written, then read, by queued ops */
    CHECK(ts_tensor_read(td, c, sizeof c));
    ts_tensor_destroy(td);
    for (int i = 0; i < N; i += 37) {
        for (int j = 0; j < N; j += 23) {
            double s = a[i * N + j];
            for (int k = 0; k < N; k++)
                s += (double)a[i * N + k] * b[k * N + j];
            if (fabs(s - c[i * N + j]) > 1e-3) {
                fprintf(stderr, "c[%d,%d] = %g, expected %g\n", i, j, c[i * N + j], s);
                return 1;
            }
        }
    }
    return 0;
}

static int too_big(ts_device *dev)
{
    ts_device_info info;
    CHECK(ts_device_info_get(dev, &info));
    int64_t shape[1] = {(int64_t)(info.max_alloc_bytes / 4 + 1024)};
    ts_tensor *t = NULL;
    ts_status s = ts_tensor_create(dev, TS_F32, 1, shape, &t);
    if (s == TS_OK) {
        fprintf(stderr, "a %lld-element tensor over max_alloc_bytes was created\n",
                (long long)shape[0]);
        ts_tensor_destroy(t);
        return 1;
    }
    printf("over-limit allocation: %s (%s)\n", ts_status_str(s), ts_last_error(NULL));
    return s == TS_ERR_OVERFLOW || s == TS_ERR_OUT_OF_MEMORY ? 0 : 1;
}

int main(void)
{
    ts_context *ctx;
    CHECK(ts_context_create(&ctx));
    ts_device *dev;
    CHECK(ts_device_find(ctx, "opencl:0", &dev));
    int rc = free_while_queued(dev);
    if (rc == 0)
        rc = too_big(dev);
    if (rc == 0)
        rc = free_while_queued(dev); /* still usable after the failure */
    ts_context_destroy(ctx);
    if (rc == 0)
        printf("ok\n");
    return rc;
}
