/* `api` test: bad input to the long-convolution layers
 * (include/tessel/longconv.h): NULL tensors and parameter structs, bad
 * enums and orders, wrong dtypes and shapes, another device, aliasing,
 * non-contiguous outputs; and the plan query. */
#include <math.h>
#include <stdlib.h>

#include "test_api.h"

static void test_fftconv_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_fftconv";
    ts_tensor *u = T(cpu, F32, 2, 3, 10), *k = T(cpu, F32, 3, 10), *out = T(cpu, F32, 2, 3, 10);
    ts_fftconv_params p;
    ts_fftconv_params_init(NULL);
    ts_fftconv_params_init(&p);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_fftconv(NULL, k, NULL, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_fftconv(u, NULL, NULL, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_fftconv(u, k, NULL, NULL));
    EXPECT_ERR(TS_ERR_DTYPE, fn,
               ts_fftconv(T(cpu, I32, 2, 3, 10), T(cpu, I32, 3, 10), NULL,
                          T(cpu, I32, 2, 3, 10)));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_fftconv(u, T(cpu, F16, 3, 10), NULL, out));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_fftconv(u, k, NULL, T(cpu, BF16, 2, 3, 10)));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_fftconv(T(cpu, F32, 30), T(cpu, F32, 30), NULL,
                                            T(cpu, F32, 30)));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_fftconv(u, T(cpu, F32, 4, 10), NULL, out));     /* C */
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_fftconv(u, T(cpu, F32, 3, 3, 10), NULL, out));  /* B */
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_fftconv(u, T(cpu, F32, 3, 0), NULL, out));      /* taps */
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_fftconv(u, k, NULL, T(cpu, F32, 2, 3, 11)));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_fftconv(u, T(cpu2, F32, 3, 10), NULL, out));
    EXPECT_ERR(TS_ERR_ALIASING, fn, ts_fftconv(u, k, NULL, u));
    ts_tensor *wide = T(cpu, F32, 2, 3, 20), *strided = NULL;
    EXPECT_OK(ts_tensor_slice(wide, 2, 0, 20, 2, &strided));
    api_track(strided);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_fftconv(u, k, NULL, strided)); /* not contiguous */
    p.path = (ts_fftconv_path)7;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_fftconv(u, k, &p, out));
    ts_fftconv_params_init(&p);
    p.d = T(cpu, F32, 4);
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_fftconv(u, k, &p, out));
    p.d = T(cpu, F16, 3);
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_fftconv(u, k, &p, out));
    p.d = T(cpu2, F32, 3);
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_fftconv(u, k, &p, out));
    /* Empty sequences are fine. */
    EXPECT_OK(ts_fftconv(T(cpu, F32, 2, 3, 0), k, NULL, T(cpu, F32, 2, 3, 0)));

    ts_fftconv_path path;
    int64_t n;
    static const char fc[] = "ts_fftconv_choose";
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fc, ts_fftconv_choose(NULL, 10, 10, &path, &n));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fc, ts_fftconv_choose(api.cpu, 0, 10, &path, &n));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fc, ts_fftconv_choose(api.cpu, 10, 10, NULL, &n));
    EXPECT_OK(ts_fftconv_choose(api.cpu, 1000, 1000, &path, &n));
    assert_true(path == TS_FFTCONV_DIRECT || n >= 1999);
    assert_string_equal(ts_fftconv_path_name(TS_FFTCONV_MATMUL), "matmul");
    assert_string_equal(ts_fftconv_path_name((ts_fftconv_path)9), "?");
}

static ts_hyena_params hyena_ok(int n, int64_t d, int64_t lh)
{
    int64_t w = (n + 1) * d;
    ts_hyena_params p = {.order = n,
                         .in_w = T(cpu, F32, d, w),
                         .short_w = T(cpu, F32, w, 3),
                         .filters = T(cpu, F32, n - 1, d, lh),
                         .out_w = T(cpu, F32, d, d)};
    return p;
}

static void test_hyena_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_hyena";
    ts_tensor *x = T(cpu, F32, 2, 9, 4), *out = T(cpu, F32, 2, 9, 4);
    ts_hyena_params p = hyena_ok(2, 4, 9);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_hyena(x, NULL, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_hyena(NULL, &p, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_hyena(x, &p, NULL));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_hyena(T(cpu, F32, 9, 4), &p, T(cpu, F32, 9, 4)));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_hyena(x, &p, T(cpu, F16, 2, 9, 4)));
    EXPECT_ERR(TS_ERR_ALIASING, fn, ts_hyena(x, &p, x));
    p.order = 1;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_hyena(x, &p, out));
    p = hyena_ok(2, 4, 9);
    p.in_w = T(cpu, F32, 4, 16); /* (N+1) d = 12 */
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_hyena(x, &p, out));
    p = hyena_ok(2, 4, 9);
    p.short_w = T(cpu, F32, 12, 4); /* width 3 only */
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_hyena(x, &p, out));
    p = hyena_ok(2, 4, 9);
    p.filters = T(cpu, F32, 2, 4, 9); /* N - 1 = 1 */
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_hyena(x, &p, out));
    p = hyena_ok(2, 4, 9);
    p.d_skip = T(cpu, F16, 1, 4);
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_hyena(x, &p, out));
    p = hyena_ok(2, 4, 9);
    p.out_b = T(cpu, F32, 5);
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_hyena(x, &p, out));
    p = hyena_ok(2, 4, 9);
    p.out_w = T(cpu2, F32, 4, 4);
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_hyena(x, &p, out));
    p = hyena_ok(2, 4, 9);
    p.path = (ts_fftconv_path)-1;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_hyena(x, &p, out));
}

static ts_hyena_filter_params filter_ok(int64_t emb, int64_t hid, int64_t c)
{
    ts_hyena_filter_params p = {.emb = emb,
                                .l_max = 16,
                                .w1 = T(cpu, F32, emb, hid),
                                .b1 = T(cpu, F32, hid),
                                .w2 = T(cpu, F32, hid, hid),
                                .b2 = T(cpu, F32, hid),
                                .w3 = T(cpu, F32, hid, hid),
                                .b3 = T(cpu, F32, hid),
                                .w4 = T(cpu, F32, hid, c),
                                .omega = T(cpu, F32, hid)};
    return p;
}

static void test_hyena_filter_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_hyena_filter";
    ts_tensor *h = T(cpu, F32, 6, 16);
    ts_hyena_filter_params p = filter_ok(5, 8, 6);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_hyena_filter(NULL, h));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_hyena_filter(&p, NULL));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_hyena_filter(&p, T(cpu, F32, 6, 17))); /* L > l_max */
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_hyena_filter(&p, T(cpu, F32, 96)));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_hyena_filter(&p, T(cpu, F32, 7, 16))); /* C vs w4 */
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_hyena_filter(&p, T(cpu, F16, 6, 16)));
    p.emb = 4;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_hyena_filter(&p, h));
    p = filter_ok(5, 8, 6);
    p.l_max = 1;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_hyena_filter(&p, T(cpu, F32, 6, 1)));
    p = filter_ok(5, 8, 6);
    p.b3 = NULL;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_hyena_filter(&p, h));
    p = filter_ok(5, 8, 6);
    p.omega = T(cpu, F32, 9);
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_hyena_filter(&p, h));
    p = filter_ok(5, 8, 6);
    p.w2 = T(cpu2, F32, 8, 8);
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_hyena_filter(&p, h));
    p = filter_ok(5, 8, 8); /* h [8, 8] written over w2 */
    EXPECT_ERR(TS_ERR_ALIASING, fn, ts_hyena_filter(&p, (ts_tensor *)p.w2));
}

static ts_afno2d_params afno_ok(int64_t nb, int64_t bs, int64_t hid)
{
    ts_afno2d_params p = {.blocks = nb,
                          .w1 = T(cpu, F32, 2, nb, bs, hid),
                          .b1 = T(cpu, F32, 2, nb, hid),
                          .w2 = T(cpu, F32, 2, nb, hid, bs),
                          .b2 = T(cpu, F32, 2, nb, bs),
                          .lambda = 0.01f};
    return p;
}

static void test_afno_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_afno2d";
    ts_tensor *x = T(cpu, F32, 1, 4, 6, 8), *out = T(cpu, F32, 1, 4, 6, 8);
    ts_afno2d_params p = afno_ok(2, 4, 8);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_afno2d(x, NULL, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_afno2d(NULL, &p, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_afno2d(x, &p, NULL));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_afno2d(T(cpu, F32, 4, 6, 8), &p, T(cpu, F32, 4, 6, 8)));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_afno2d(x, &p, T(cpu, BF16, 1, 4, 6, 8)));
    EXPECT_ERR(TS_ERR_ALIASING, fn, ts_afno2d(x, &p, x));
    p.blocks = 3; /* does not divide C = 8 */
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_afno2d(x, &p, out));
    p = afno_ok(2, 4, 8);
    p.lambda = -1.0f;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_afno2d(x, &p, out));
    p.lambda = NAN;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_afno2d(x, &p, out));
    p = afno_ok(2, 4, 8);
    p.keep_w = -2;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_afno2d(x, &p, out));
    p = afno_ok(2, 4, 8);
    p.w2 = T(cpu, F32, 2, 2, 8, 5);
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_afno2d(x, &p, out));
    p = afno_ok(2, 4, 8);
    p.b1 = T(cpu, F16, 2, 2, 8);
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_afno2d(x, &p, out));
    p = afno_ok(2, 4, 8);
    p.b2 = NULL;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_afno2d(x, &p, out));
    p = afno_ok(2, 4, 8);
    p.w1 = T(cpu2, F32, 2, 2, 4, 8);
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_afno2d(x, &p, out));
}

const struct CMUnitTest api_longconv_tests[] = {
    cmocka_unit_test_setup_teardown(test_fftconv_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_hyena_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_hyena_filter_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_afno_bad, api_setup, api_teardown),
};
const size_t api_longconv_test_count = sizeof api_longconv_tests / sizeof api_longconv_tests[0];
