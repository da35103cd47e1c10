/* `api` test: bad input to every FFT of include/tessel/fft.h — NULLs, a
 * bad norm, wrong dtypes, shapes that do not match the transform, negative
 * lengths, mixed devices, outputs that alias the input or are not
 * contiguous. Each call must fail with the right status and a message that
 * names the function. */
#include "test_api.h"

static ts_tensor *transposed(ts_tensor *t)
{
    ts_tensor *v = NULL;
    EXPECT_OK(ts_tensor_transpose(t, -2, -1, &v));
    return api_track(v);
}

static void test_fft_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_fft";
    ts_tensor *x = T(cpu, C64, 3, 8), *out = T(cpu, C64, 3, 8);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_fft(NULL, TS_FFT_BACKWARD, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_fft(x, TS_FFT_BACKWARD, NULL));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_fft(x, (ts_fft_norm)3, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_fft(x, (ts_fft_norm)-1, out));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_fft(T(cpu, F32, 3, 8), TS_FFT_BACKWARD, out));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_fft(x, TS_FFT_BACKWARD, T(cpu, F32, 3, 8)));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_fft(x, TS_FFT_BACKWARD, T(cpu, C64, 4, 8)));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_fft(x, TS_FFT_BACKWARD, T(cpu, C64, 1, 3, 8)));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_fft(x, TS_FFT_BACKWARD, T(cpu, C64, 3, 0)));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_fft(T(cpu, C64, 3, 0), TS_FFT_BACKWARD, out));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_fft(x, TS_FFT_BACKWARD, T(cpu2, C64, 3, 8)));
    if (api.other)
        EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_fft(x, TS_FFT_BACKWARD, T(other, C64, 3, 8)));
    EXPECT_ERR(TS_ERR_ALIASING, fn, ts_fft(x, TS_FFT_BACKWARD, x));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn,
               ts_fft(x, TS_FFT_BACKWARD, transposed(T(cpu, C64, 8, 3))));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_ifft", ts_ifft(x, (ts_fft_norm)7, out));
    EXPECT_ERR(TS_ERR_DTYPE, "ts_ifft", ts_ifft(T(cpu, I32, 3, 8), TS_FFT_BACKWARD, out));
}

static void test_rfft_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_rfft";
    ts_tensor *x = T(cpu, F32, 3, 8), *out = T(cpu, C64, 3, 5);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_rfft(NULL, 0, TS_FFT_BACKWARD, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_rfft(x, 0, TS_FFT_BACKWARD, NULL));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_rfft(x, -8, TS_FFT_BACKWARD, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_rfft(x, 0, (ts_fft_norm)5, out));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_rfft(T(cpu, I32, 3, 8), 0, TS_FFT_BACKWARD, out));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_rfft(T(cpu, C64, 3, 8), 0, TS_FFT_BACKWARD, out));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_rfft(x, 0, TS_FFT_BACKWARD, T(cpu, F32, 3, 5)));
    /* n = 8 has 5 bins, n = 12 has 7 */
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_rfft(x, 0, TS_FFT_BACKWARD, T(cpu, C64, 3, 8)));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_rfft(x, 12, TS_FFT_BACKWARD, out));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_rfft(T(cpu, F32, 3, 0), 0, TS_FFT_BACKWARD, out));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_rfft(x, 0, TS_FFT_BACKWARD, T(cpu2, C64, 3, 5)));
}

static void test_irfft_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_irfft";
    ts_tensor *x = T(cpu, C64, 3, 5), *out = T(cpu, F32, 3, 8);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_irfft(NULL, 0, TS_FFT_BACKWARD, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_irfft(x, 0, TS_FFT_BACKWARD, NULL));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_irfft(x, -1, TS_FFT_BACKWARD, out));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_irfft(T(cpu, F32, 3, 5), 0, TS_FFT_BACKWARD, out));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_irfft(x, 0, TS_FFT_BACKWARD, T(cpu, C64, 3, 8)));
    /* out may keep 1..n samples */
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_irfft(x, 0, TS_FFT_BACKWARD, T(cpu, F32, 3, 9)));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_irfft(x, 6, TS_FFT_BACKWARD, out));
    /* one bin and no n: the default length 2(1 - 1) is 0 */
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_irfft(T(cpu, C64, 3, 1), 0, TS_FFT_BACKWARD, out));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_irfft(x, 0, TS_FFT_BACKWARD, T(cpu, F32, 2, 8)));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_irfft(T(cpu2, C64, 3, 5), 0, TS_FFT_BACKWARD, out));
    /* out may crop, so n alone can be too long to size any working memory */
    EXPECT_ERR(TS_ERR_OVERFLOW, fn, ts_irfft(x, INT64_C(1) << 60, TS_FFT_BACKWARD, out));
    EXPECT_ERR(TS_ERR_OVERFLOW, fn, ts_irfft(x, INT64_MAX, TS_FFT_ORTHO, out));
}

static void test_fft2_bad(void **state)
{
    (void)state;
    ts_tensor *x = T(cpu, C64, 2, 4, 6), *out = T(cpu, C64, 2, 4, 6);
    EXPECT_ERR(TS_ERR_SHAPE, "ts_fft2", ts_fft2(T(cpu, C64, 6), TS_FFT_BACKWARD, T(cpu, C64, 6)));
    EXPECT_ERR(TS_ERR_SHAPE, "ts_fft2", ts_fft2(x, TS_FFT_BACKWARD, T(cpu, C64, 3, 4, 6)));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_ifft2", ts_ifft2(x, (ts_fft_norm)9, out));
    EXPECT_ERR(TS_ERR_DTYPE, "ts_ifft2", ts_ifft2(T(cpu, F32, 2, 4, 6), TS_FFT_BACKWARD, out));
    ts_tensor *r = T(cpu, F32, 2, 4, 6);
    EXPECT_ERR(TS_ERR_SHAPE, "ts_rfft2", ts_rfft2(r, TS_FFT_BACKWARD, T(cpu, C64, 2, 4, 6)));
    EXPECT_ERR(TS_ERR_SHAPE, "ts_rfft2", ts_rfft2(r, TS_FFT_BACKWARD, T(cpu, C64, 2, 3, 4)));
    EXPECT_ERR(TS_ERR_DTYPE, "ts_rfft2", ts_rfft2(x, TS_FFT_BACKWARD, T(cpu, C64, 2, 4, 4)));
    ts_tensor *h = T(cpu, C64, 2, 4, 4);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_irfft2", ts_irfft2(h, -2, TS_FFT_BACKWARD, r));
    EXPECT_ERR(TS_ERR_SHAPE, "ts_irfft2", ts_irfft2(h, 5, TS_FFT_BACKWARD, r));
    EXPECT_ERR(TS_ERR_SHAPE, "ts_irfft2",
               ts_irfft2(T(cpu, C64, 2, 4, 1), 0, TS_FFT_BACKWARD, T(cpu, F32, 2, 4, 1)));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, "ts_irfft2",
               ts_irfft2(h, 0, TS_FFT_BACKWARD, T(cpu2, F32, 2, 4, 6)));
}

const struct CMUnitTest api_fft_tests[] = {
    cmocka_unit_test_setup_teardown(test_fft_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_rfft_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_irfft_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_fft2_bad, api_setup, api_teardown),
};
const size_t api_fft_test_count = sizeof api_fft_tests / sizeof api_fft_tests[0];
