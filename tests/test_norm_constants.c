/* DeepNorm and Sub-LN constants against their formulas (evaluated here in
 * double, in exp/log form so a slip in the library's pow form shows), the
 * argument errors of both, and ts_scale_init_weights: its checks, that a
 * failed call changes nothing, and the scaling itself per float dtype. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <tessel/tessel.h>

static double root4(double v)
{
    return exp(log(v) / 4.0);
}

static void assert_close(float got, double want)
{
    if (!(fabs((double)got - want) <= 1e-6 * fabs(want))) {
        print_error("got %.9g, want %.9g\n", (double)got, want);
        fail();
    }
}

static void assert_error(ts_status st, const char *fn)
{
    assert_int_equal(st, TS_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(ts_last_error(NULL), fn));
}

static const int counts[] = {1, 2, 6, 12, 18, 100, 1000, 100000};
#define N_COUNTS ((int)(sizeof counts / sizeof counts[0]))

static void test_deepnorm_formulas(void **state)
{
    (void)state;
    for (int i = 0; i < N_COUNTS; i++) {
        double n = counts[i];
        float a = 0, b = 0;
        assert_int_equal(ts_deepnorm_constants(TS_STACK_ENCODER_ONLY, counts[i], 0, &a, &b), TS_OK);
        assert_close(a, root4(2.0 * n));
        assert_close(b, 1.0 / root4(8.0 * n));
        assert_int_equal(ts_deepnorm_constants(TS_STACK_DECODER_ONLY, 0, counts[i], &a, &b), TS_OK);
        assert_close(a, root4(2.0 * n));
        assert_close(b, 1.0 / root4(8.0 * n));
        assert_int_equal(ts_deepnorm_constants(TS_STACK_ENCDEC_DECODER, 3, counts[i], &a, &b),
                         TS_OK);
        assert_close(a, root4(3.0 * n));
        assert_close(b, 1.0 / root4(12.0 * n));
        for (int j = 0; j < N_COUNTS; j++) {
            double m = counts[j], e = exp((4.0 * log(n) + log(m)) / 16.0);
            assert_int_equal(
                ts_deepnorm_constants(TS_STACK_ENCDEC_ENCODER, counts[i], counts[j], &a, &b),
                TS_OK);
            assert_close(a, 0.81 * e);
            assert_close(b, 0.87 / e);
        }
    }
}

/* Values from the DeepNet paper's setting (6 layers), independently typed. */
static void test_deepnorm_known_values(void **state)
{
    (void)state;
    float a = 0, b = 0;
    assert_int_equal(ts_deepnorm_constants(TS_STACK_ENCODER_ONLY, 6, 0, &a, &b), TS_OK);
    assert_close(a, 1.8612097182041991);
    assert_close(b, 0.37991784282579627);
    assert_int_equal(ts_deepnorm_constants(TS_STACK_ENCDEC_ENCODER, 6, 6, &a, &b), TS_OK);
    assert_close(a, 1.417938140685523);
    assert_close(b, 0.49698924077132345);
    assert_int_equal(ts_deepnorm_constants(TS_STACK_ENCDEC_DECODER, 6, 6, &a, &b), TS_OK);
    assert_close(a, 2.0597671439071177);
    assert_close(b, 0.34329452398451965);
    /* Either output may be NULL. */
    assert_int_equal(ts_deepnorm_constants(TS_STACK_DECODER_ONLY, 0, 6, NULL, &b), TS_OK);
    assert_close(b, 0.37991784282579627);
    assert_int_equal(ts_deepnorm_constants(TS_STACK_DECODER_ONLY, 0, 6, &a, NULL), TS_OK);
    assert_close(a, 1.8612097182041991);
}

static void test_subln_gains(void **state)
{
    (void)state;
    for (int i = 0; i < N_COUNTS; i++) {
        double n = counts[i];
        float g = 0;
        assert_int_equal(ts_subln_gain(TS_STACK_ENCODER_ONLY, counts[i], 0, &g), TS_OK);
        assert_close(g, sqrt(log(2.0 * n)));
        assert_int_equal(ts_subln_gain(TS_STACK_DECODER_ONLY, 0, counts[i], &g), TS_OK);
        assert_close(g, sqrt(log(2.0 * n)));
        assert_int_equal(ts_subln_gain(TS_STACK_ENCDEC_DECODER, 2, counts[i], &g), TS_OK);
        assert_close(g, sqrt(log(3.0 * n)));
        for (int j = 0; j < N_COUNTS; j++) {
            double m = counts[j];
            assert_int_equal(ts_subln_gain(TS_STACK_ENCDEC_ENCODER, counts[i], counts[j], &g),
                             TS_OK);
            assert_close(g, sqrt(log(3.0 * m) * log(2.0 * n) / 3.0));
        }
    }
    float g = 0;
    assert_int_equal(ts_subln_gain(TS_STACK_ENCODER_ONLY, 6, 0, &g), TS_OK);
    assert_close(g, 1.5763586678760644);
    assert_int_equal(ts_subln_gain(TS_STACK_ENCDEC_ENCODER, 6, 6, &g), TS_OK);
    assert_close(g, 1.5472883809593705);
    assert_int_equal(ts_subln_gain(TS_STACK_ENCDEC_DECODER, 6, 6, &g), TS_OK);
    assert_close(g, 1.70010933704164);
    assert_int_equal(ts_subln_gain(TS_STACK_ENCODER_ONLY, 6, 0, NULL), TS_OK);
}

/* arch, N, M that both functions must refuse. */
static const struct {
    int arch, n, m;
} bad_args[] = {
    {-1, 6, 0},
    {TS_STACK_ARCH_COUNT, 6, 6},
    {TS_STACK_ENCODER_ONLY, 0, 0},
    {TS_STACK_ENCODER_ONLY, -3, 0},
    {TS_STACK_ENCODER_ONLY, 6, 6}, /* an encoder-only stack has no decoder */
    {TS_STACK_DECODER_ONLY, 0, 0},
    {TS_STACK_DECODER_ONLY, 6, 6},
    {TS_STACK_DECODER_ONLY, 0, -1},
    {TS_STACK_ENCDEC_ENCODER, 0, 6},
    {TS_STACK_ENCDEC_ENCODER, 6, 0},
    {TS_STACK_ENCDEC_DECODER, 6, 0},
    {TS_STACK_ENCDEC_DECODER, -6, 6},
};

static void test_bad_arguments(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_args / sizeof bad_args[0]; i++) {
        float a = -7.0f, b = -7.0f, g = -7.0f;
        ts_stack_arch arch = (ts_stack_arch)bad_args[i].arch;
        assert_error(ts_deepnorm_constants(arch, bad_args[i].n, bad_args[i].m, &a, &b),
                     "ts_deepnorm_constants");
        assert_error(ts_subln_gain(arch, bad_args[i].n, bad_args[i].m, &g), "ts_subln_gain");
        /* A refused call leaves the outputs alone. */
        assert_true(a == -7.0f && b == -7.0f && g == -7.0f);
    }
}

/* ---- ts_scale_init_weights ---------------------------------------------- */

typedef struct fixture {
    ts_context *ctx;
    ts_device *dev;
} fixture;

static int setup(void **state)
{
    static fixture f;
    if (ts_context_create(&f.ctx) != TS_OK || ts_device_find(f.ctx, "cpu:0", &f.dev) != TS_OK)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ts_context_destroy(f->ctx);
    return 0;
}

static ts_tensor *f32_tensor(ts_device *dev, int64_t rows, int64_t cols, float first)
{
    int64_t shape[2] = {rows, cols};
    ts_tensor *t = NULL;
    assert_int_equal(ts_tensor_create(dev, TS_F32, 2, shape, &t), TS_OK);
    float v[64];
    assert_true(rows * cols <= 64);
    for (int64_t i = 0; i < rows * cols; i++)
        v[i] = first + (float)i;
    assert_int_equal(ts_tensor_write(t, v, (size_t)(rows * cols) * sizeof(float)), TS_OK);
    return t;
}

static void assert_values(const ts_tensor *t, float first, float gain)
{
    float v[64];
    int64_t n = ts_tensor_numel(t);
    assert_int_equal(ts_tensor_read(t, v, (size_t)n * sizeof(float)), TS_OK);
    for (int64_t i = 0; i < n; i++)
        assert_true(v[i] == (first + (float)i) * gain);
}

static void test_scale_errors(void **state)
{
    fixture *f = *state;
    ts_tensor *a = f32_tensor(f->dev, 2, 3, 1.0f), *b = f32_tensor(f->dev, 3, 2, 10.0f);
    ts_tensor *ws[3] = {a, b, NULL};
    const char *fn = "ts_scale_init_weights";
    assert_error(ts_scale_init_weights(ws, -1, 0.5f), fn);
    assert_error(ts_scale_init_weights(NULL, 1, 0.5f), fn);
    assert_error(ts_scale_init_weights(ws, 3, 0.5f), fn); /* ws[2] is NULL */
    assert_error(ts_scale_init_weights(ws, 2, NAN), fn);
    assert_error(ts_scale_init_weights(ws, 2, INFINITY), fn);

    /* The same tensor twice would be scaled twice. */
    ts_tensor *twice[2] = {a, a};
    assert_int_equal(ts_scale_init_weights(twice, 2, 0.5f), TS_ERR_ALIASING);
    assert_non_null(strstr(ts_last_error(NULL), "weights[0] and weights[1] overlap"));
    /* A broadcast view is read-only. */
    int64_t bshape[3] = {4, 2, 3};
    ts_tensor *bc = NULL;
    assert_int_equal(ts_tensor_broadcast(a, 3, bshape, &bc), TS_OK);
    ts_tensor *with_bc[2] = {b, bc};
    assert_int_equal(ts_scale_init_weights(with_bc, 2, 0.5f), TS_ERR_ALIASING);
    /* i32 weights are refused. */
    int64_t ishape[1] = {4};
    ts_tensor *it = NULL;
    assert_int_equal(ts_tensor_create(f->dev, TS_I32, 1, ishape, &it), TS_OK);
    ts_tensor *with_i32[2] = {a, it};
    assert_int_equal(ts_scale_init_weights(with_i32, 2, 0.5f), TS_ERR_DTYPE);
    assert_non_null(strstr(ts_last_error(NULL), "weights[1]"));

    /* Nothing changed by any refused call. */
    assert_values(a, 1.0f, 1.0f);
    assert_values(b, 10.0f, 1.0f);
    assert_int_equal(ts_scale_init_weights(ws, 0, 0.5f), TS_OK);
    ts_tensor_destroy(it);
    ts_tensor_destroy(bc);
    ts_tensor_destroy(a);
    ts_tensor_destroy(b);
}

static void test_scale_f32_and_views(void **state)
{
    fixture *f = *state;
    float beta = 0;
    assert_int_equal(ts_deepnorm_constants(TS_STACK_ENCODER_ONLY, 6, 0, NULL, &beta), TS_OK);
    ts_tensor *a = f32_tensor(f->dev, 4, 5, 1.0f), *b = f32_tensor(f->dev, 3, 7, -4.0f);
    ts_tensor *bt = NULL;
    assert_int_equal(ts_tensor_transpose(b, 0, 1, &bt), TS_OK);
    ts_tensor *ws[2] = {a, bt};
    assert_int_equal(ts_scale_init_weights(ws, 2, beta), TS_OK);
    assert_values(a, 1.0f, beta);
    assert_values(b, -4.0f, beta);
    ts_tensor_destroy(bt);
    ts_tensor_destroy(a);
    ts_tensor_destroy(b);
}

/* f16 and bf16: small integers times 0.375 are exact in both, so the stored
 * result must be exactly the product. */
static void test_scale_half(void **state)
{
    fixture *f = *state;
    const ts_dtype dts[2] = {TS_F16, TS_BF16};
    for (int k = 0; k < 2; k++) {
        int64_t shape[2] = {3, 5};
        ts_tensor *t = NULL, *t32 = NULL;
        assert_int_equal(ts_tensor_create(f->dev, dts[k], 2, shape, &t), TS_OK);
        ts_tensor *src = f32_tensor(f->dev, 3, 5, -7.0f);
        assert_int_equal(ts_cast(src, t), TS_OK);
        ts_tensor *ws[1] = {t};
        assert_int_equal(ts_scale_init_weights(ws, 1, 0.375f), TS_OK);
        assert_int_equal(ts_tensor_create(f->dev, TS_F32, 2, shape, &t32), TS_OK);
        assert_int_equal(ts_cast(t, t32), TS_OK);
        assert_values(t32, -7.0f, 0.375f);
        ts_tensor_destroy(src);
        ts_tensor_destroy(t32);
        ts_tensor_destroy(t);
    }
}

int main(void)
{
    const struct CMUnitTest constants[] = {
        cmocka_unit_test(test_deepnorm_formulas),
        cmocka_unit_test(test_deepnorm_known_values),
        cmocka_unit_test(test_subln_gains),
        cmocka_unit_test(test_bad_arguments),
    };
    const struct CMUnitTest scaling[] = {
        cmocka_unit_test(test_scale_errors),
        cmocka_unit_test(test_scale_f32_and_views),
        cmocka_unit_test(test_scale_half),
    };
    int failed = cmocka_run_group_tests_name("norm_constants", constants, NULL, NULL);
    failed += cmocka_run_group_tests_name("norm_init_scale", scaling, setup, teardown);
    return failed;
}
