/* Runs a few small ops on opencl:0, checks their results, and prints how
 * many OpenCL programs this process compiled from source (counted from
 * the backend's debug log lines), after the device's driver and features
 * lines. run_cache_test.cmake runs it several times against one fresh
 * cache folder. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <tessel/tessel.h>

static int compiled;

static void on_log(ts_log_level level, const char *message, void *user)
{
    (void)level;
    (void)user;
    if (strstr(message, "opencl: compiled program"))
        compiled++;
}

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        ts_status s_ = (x);                                                                        \
        if (s_ != TS_OK) {                                                                         \
            fprintf(stderr, "%s failed: %s: %s\n", #x, ts_status_str(s_), ts_last_error(NULL));    \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

static int run(ts_device *dev)
{
    enum { N = 24 };
    float a[N], b[N], y[N];
    for (int i = 0; i < N; i++) {
        a[i] = (float)i * 0.25f - 2.0f;
        b[i] = (float)(N - i) * 0.5f;
    }
    int64_t shape[2] = {4, 6};
    ts_tensor *ta = NULL, *tb = NULL, *ty = NULL, *ts = NULL;
    CHECK(ts_tensor_create(dev, TS_F32, 2, shape, &ta));
    CHECK(ts_tensor_create(dev, TS_F32, 2, shape, &tb));
    CHECK(ts_tensor_create(dev, TS_F32, 2, shape, &ty));
    CHECK(ts_tensor_create(dev, TS_F32, 2, shape, &ts));
    CHECK(ts_tensor_write(ta, a, sizeof a));
    CHECK(ts_tensor_write(tb, b, sizeof b));
    CHECK(ts_binary(TS_MUL, ta, tb, ty));
    CHECK(ts_softmax(ty, 1.0f, 0, ts));
    CHECK(ts_tensor_read(ty, y, sizeof y));
    for (int i = 0; i < N; i++) {
        if (y[i] != a[i] * b[i]) {
            fprintf(stderr, "mul: element %d is %g, expected %g\n", i, y[i], a[i] * b[i]);
            return 1;
        }
    }
    CHECK(ts_tensor_read(ts, y, sizeof y));
    for (int r = 0; r < 4; r++) {
        double sum = 0;
        for (int c = 0; c < 6; c++)
            sum += y[r * 6 + c];
        if (fabs(sum - 1.0) > 1e-5) {
            fprintf(stderr, "softmax: row %d sums to %g\n", r, sum);
            return 1;
        }
    }
    ts_tensor_destroy(ta);
    ts_tensor_destroy(tb);
    ts_tensor_destroy(ty);
    ts_tensor_destroy(ts);
    return 0;
}

int main(void)
{
    ts_set_log_callback(on_log, NULL, TS_LOG_DEBUG);
    ts_context *ctx;
    CHECK(ts_context_create(&ctx));
    ts_device *dev;
    CHECK(ts_device_find(ctx, "opencl:0", &dev));
    ts_device_info info;
    CHECK(ts_device_info_get(dev, &info));
    printf("driver: %s\nfeatures: %s\n", info.driver, info.features);
    int rc = run(dev);
    ts_context_destroy(ctx);
    printf("compiled=%d\n", compiled);
    return rc;
}
