/* VkFFT forced (TESSEL_FFT=vkfft) on an OpenCL CPU device such as PoCL:
 * lengths whose VkFFT work-groups would overflow the runtime's worker
 * stacks are declined (backend-opencl/cl_fft.c), never run. Before, the
 * c2c FFT of 131072 points and the Bluestein length 32771 killed the
 * process with SIGSEGV inside PoCL. Each length below must either give the
 * right transform (an impulse's is all ones) or be refused with
 * TS_ERR_UNSUPPORTED and a message; a short length must still run.
 *
 *     test_vkfft_cpu_device        (ctest sets TESSEL_FFT=vkfft)
 *
 * Exit 77 when no OpenCL device here is a CPU runtime, or tessel was
 * built without VkFFT. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessel/tessel.h"
#include "test_check.h"

/* ts_fft of a unit impulse of n points: returns the status, and checks
 * every bin is 1 + 0i when it ran. */
static ts_status impulse_fft(ts_context *ctx, ts_device *dev, int64_t n)
{
    ts_tensor *x = NULL, *y = NULL;
    float *buf = calloc((size_t)(2 * n), sizeof *buf);
    ts_status s = buf ? TS_OK : TS_ERR_OUT_OF_MEMORY;
    if (s == TS_OK)
        s = ts_tensor_create(dev, TS_C64, 2, (int64_t[]){1, n}, &x);
    if (s == TS_OK)
        s = ts_tensor_create(dev, TS_C64, 2, (int64_t[]){1, n}, &y);
    if (s == TS_OK) {
        buf[0] = 1.0f;
        s = ts_tensor_write(x, buf, (size_t)(2 * n) * sizeof *buf);
    }
    if (s == TS_OK)
        s = ts_fft(x, TS_FFT_BACKWARD, y);
    if (s == TS_OK)
        s = ts_tensor_read(y, buf, (size_t)(2 * n) * sizeof *buf);
    if (s == TS_OK) {
        double err = 0;
        for (int64_t k = 0; k < n; k++)
            err = fmax(err, fmax(fabs(buf[2 * k] - 1.0), fabs(buf[2 * k + 1])));
        CHECK(err < 1e-3, "n = %lld: max error %g against the all-ones spectrum", (long long)n,
              err);
    } else {
        CHECK(s == TS_ERR_UNSUPPORTED && ts_last_error(ctx)[0] != '\0',
              "n = %lld: %s (%s), want TS_OK or TS_ERR_UNSUPPORTED with a message", (long long)n,
              ts_status_str(s), ts_last_error(ctx));
    }
    ts_tensor_destroy(x);
    ts_tensor_destroy(y);
    free(buf);
    return s;
}

int main(void)
{
    ts_context *ctx = NULL;
    ts_device *dev = NULL;
    ts_device_info info;
    if (ts_context_create(&ctx) != TS_OK)
        return 1;
    if (ts_device_find(ctx, "opencl:0", &dev) != TS_OK || ts_device_info_get(dev, &info) != TS_OK ||
        info.kind != TS_DEVICE_SOFTWARE || !strstr(info.features, "fft: vkfft")) {
        printf("no OpenCL CPU runtime here, or it does not run VkFFT: skipped\n");
        ts_context_destroy(ctx);
        return 77;
    }
    static const int64_t lengths[] = {131072, 32771};
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        ts_status s = impulse_fft(ctx, dev, lengths[i]);
        printf("n = %lld: %s\n", (long long)lengths[i], ts_status_str(s));
    }
    ts_status s = impulse_fft(ctx, dev, 64);
    CHECK(s == TS_OK, "n = 64: %s, want TS_OK", ts_status_str(s));
    ts_context_destroy(ctx);
    printf("%s\n", g_failures ? "FAILED" : "passed");
    return g_failures ? 1 : 0;
}
