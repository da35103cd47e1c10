/* Argument checks of the normalization layers (tessel/norm.h): each bad
 * argument gets its status and a message naming the function and the
 * argument, before any work is recorded; composed layers leave no
 * temporaries behind, whether they succeed or refuse. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <tessel/tessel.h>

typedef struct fixture {
    ts_context *ctx;
    ts_device *dev;
} fixture;

static fixture fx;

static int setup(void **state)
{
    if (ts_context_create(&fx.ctx) != TS_OK || ts_device_find(fx.ctx, "cpu:0", &fx.dev) != TS_OK)
        return -1;
    *state = &fx;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_context_destroy(fx.ctx);
    return 0;
}

/* A tensor of the given shape filled with small values (never written
 * values would be fine for argument checks, but the success paths read
 * them). */
static ts_tensor *make(ts_dtype dt, int nd, int64_t d0, int64_t d1, int64_t d2)
{
    int64_t shape[3] = {d0, d1, d2};
    ts_tensor *t = NULL;
    assert_int_equal(ts_tensor_create(fx.dev, dt, nd, shape, &t), TS_OK);
    int64_t n = ts_tensor_numel(t);
    if (dt == TS_F32) {
        float v[4096];
        assert_true(n <= 4096);
        for (int64_t i = 0; i < n; i++)
            v[i] = (float)(i % 7) * 0.125f - 0.25f;
        assert_int_equal(ts_tensor_write(t, v, (size_t)n * sizeof(float)), TS_OK);
    }
    return t;
}

static void expect(ts_status got, ts_status want, const char *fn, const char *what)
{
    const char *msg = ts_last_error(NULL);
    if (got != want || strncmp(msg, fn, strlen(fn)) != 0 || (what && !strstr(msg, what))) {
        print_error("got %s \"%s\", want %s from %s about '%s'\n", ts_status_str(got), msg,
                    ts_status_str(want), fn, what ? what : "");
        fail();
    }
}

static uint64_t in_use(void)
{
    uint64_t used = 0, peak = 0;
    assert_int_equal(ts_device_memory_stats(fx.dev, &used, &peak), TS_OK);
    return used;
}

static void test_residual_norm_args(void **state)
{
    (void)state;
    const char *ln = "ts_residual_layer_norm", *rms = "ts_residual_rms_norm";
    ts_tensor *x = make(TS_F32, 2, 4, 33, 0), *f = make(TS_F32, 2, 4, 33, 0);
    ts_tensor *y = make(TS_F32, 2, 4, 33, 0), *s = make(TS_F32, 2, 4, 33, 0);
    ts_tensor *w = make(TS_F32, 1, 33, 0, 0), *w7 = make(TS_F32, 1, 7, 0, 0);
    ts_tensor *f5 = make(TS_F32, 2, 5, 33, 0), *fh = make(TS_F16, 2, 4, 33, 0);
    expect(ts_residual_layer_norm(x, NULL, 1.0f, w, w, 1e-5f, y, s), TS_ERR_INVALID_ARGUMENT, ln,
           "f is NULL");
    expect(ts_residual_layer_norm(x, f5, 1.0f, w, NULL, 1e-5f, y, NULL), TS_ERR_SHAPE, ln,
           "residual");
    expect(ts_residual_layer_norm(x, fh, 1.0f, NULL, NULL, 1e-5f, y, NULL), TS_ERR_DTYPE, ln, NULL);
    expect(ts_residual_layer_norm(x, f, 1.0f, w7, NULL, 1e-5f, y, NULL), TS_ERR_SHAPE, ln,
           "weight");
    expect(ts_residual_layer_norm(x, f, 1.0f, w, NULL, 0.0f, y, NULL), TS_ERR_INVALID_ARGUMENT, ln,
           "eps");
    expect(ts_residual_layer_norm(x, f, NAN, w, NULL, 1e-5f, y, NULL), TS_ERR_INVALID_ARGUMENT, ln,
           "alpha");
    expect(ts_residual_layer_norm(x, f, 1.0f, w, NULL, 1e-5f, x, NULL), TS_ERR_ALIASING, ln, NULL);
    expect(ts_residual_layer_norm(x, f, 1.0f, w, NULL, 1e-5f, y, y), TS_ERR_ALIASING, ln, NULL);
    expect(ts_residual_rms_norm(x, NULL, 1.0f, w, 1e-6f, y, s), TS_ERR_INVALID_ARGUMENT, rms,
           "f is NULL");
    expect(ts_residual_rms_norm(x, f, 1.0f, w, -1.0f, y, s), TS_ERR_INVALID_ARGUMENT, rms, "eps");
    expect(ts_deepnorm_residual(x, NULL, 1.8f, w, w, 1e-5f, y), TS_ERR_INVALID_ARGUMENT,
           "ts_deepnorm_residual", "gx is NULL");
    assert_int_equal(ts_residual_rms_norm(x, f, 0.5f, w, 1e-6f, y, s), TS_OK);
    assert_int_equal(ts_deepnorm_residual(x, f, 1.8f, w, w, 1e-5f, y), TS_OK);
    ts_tensor *all[] = {x, f, y, s, w, w7, f5, fh};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        ts_tensor_destroy(all[i]);
}

static void test_subln_args(void **state)
{
    (void)state;
    const char *ao = "ts_subln_attention_output", *ffn = "ts_subln_ffn";
    uint64_t before = in_use();
    ts_tensor *x = make(TS_F32, 3, 2, 3, 8), *lw = make(TS_F32, 1, 8, 0, 0);
    ts_tensor *wo = make(TS_F32, 2, 8, 5, 0), *bo = make(TS_F32, 1, 5, 0, 0);
    ts_tensor *out = make(TS_F32, 3, 2, 3, 5), *bad_out = make(TS_F32, 3, 2, 3, 4);
    ts_tensor *w1 = make(TS_F32, 2, 8, 16, 0), *b1 = make(TS_F32, 1, 16, 0, 0);
    ts_tensor *lh = make(TS_F32, 1, 16, 0, 0), *w2 = make(TS_F32, 2, 16, 5, 0);
    ts_tensor *w2bad = make(TS_F32, 2, 15, 5, 0);
    uint64_t with_tensors = in_use();
    assert_true(with_tensors > before);

    expect(ts_subln_attention_output(x, lw, lw, 1e-5f, w2, NULL, out), TS_ERR_SHAPE, ao, "w_out");
    expect(ts_subln_attention_output(x, lh, NULL, 1e-5f, wo, bo, out), TS_ERR_SHAPE, ao,
           "ln_weight");
    expect(ts_subln_attention_output(x, lw, NULL, 1e-5f, wo, lw, out), TS_ERR_SHAPE, ao, "b_out");
    expect(ts_subln_attention_output(x, lw, NULL, 1e-5f, wo, bo, bad_out), TS_ERR_SHAPE, ao, "out");
    expect(ts_subln_attention_output(x, lw, NULL, 0.0f, wo, bo, out), TS_ERR_INVALID_ARGUMENT, ao,
           "eps");
    expect(ts_subln_ffn(x, w1, b1, (ts_unary_op)99, lh, lh, 1e-5f, w2, NULL, out),
           TS_ERR_INVALID_ARGUMENT, ffn, "activation");
    expect(ts_subln_ffn(x, w1, lw, TS_GELU_ERF, lh, lh, 1e-5f, w2, NULL, out), TS_ERR_SHAPE, ffn,
           "b1");
    expect(ts_subln_ffn(x, w1, b1, TS_GELU_ERF, lw, NULL, 1e-5f, w2, NULL, out), TS_ERR_SHAPE, ffn,
           "ln_weight");
    expect(ts_subln_ffn(x, w1, b1, TS_GELU_ERF, lh, NULL, 1e-5f, w2bad, NULL, out), TS_ERR_SHAPE,
           ffn, "w2");
    expect(ts_subln_ffn(x, w1, b1, TS_GELU_ERF, lh, NULL, 1e-5f, w2, NULL, x), TS_ERR_SHAPE, ffn,
           "out");
    assert_int_equal(in_use(), with_tensors);

    /* Success paths free their temporaries too. */
    assert_int_equal(ts_subln_attention_output(x, lw, NULL, 1e-5f, wo, bo, out), TS_OK);
    assert_int_equal(ts_subln_ffn(x, w1, b1, TS_GELU_ERF, lh, lh, 1e-5f, w2, bo, out), TS_OK);
    assert_int_equal(ts_device_sync(fx.dev), TS_OK);
    assert_int_equal(in_use(), with_tensors);
    ts_tensor *all[] = {x, lw, wo, bo, out, bad_out, w1, b1, lh, w2, w2bad};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        ts_tensor_destroy(all[i]);
    assert_int_equal(in_use(), before);
}

static void test_primer_args(void **state)
{
    (void)state;
    const char *ffn = "ts_primer_ffn", *dc = "ts_primer_dconv_projection",
               *qkv = "ts_primer_mdha_qkv";
    ts_tensor *x = make(TS_F32, 3, 2, 5, 8), *x1 = make(TS_F32, 1, 8, 0, 0);
    ts_tensor *w1 = make(TS_F32, 2, 8, 12, 0), *w2 = make(TS_F32, 2, 12, 8, 0);
    ts_tensor *w2bad = make(TS_F32, 2, 8, 8, 0), *out = make(TS_F32, 3, 2, 5, 8);
    ts_tensor *wp = make(TS_F32, 2, 8, 6, 0), *d3 = make(TS_F32, 2, 6, 3, 0);
    ts_tensor *d4 = make(TS_F32, 2, 6, 4, 0), *q = make(TS_F32, 3, 2, 5, 6);
    ts_tensor *k = make(TS_F32, 3, 2, 5, 6), *v = make(TS_F32, 3, 2, 5, 6);
    ts_tensor *xh = make(TS_BF16, 3, 2, 5, 8);
    uint64_t with_tensors = in_use();

    expect(ts_primer_ffn(x, w1, NULL, w2bad, NULL, out), TS_ERR_SHAPE, ffn, "w2");
    expect(ts_primer_ffn(x1, w1, NULL, w2, NULL, out), TS_ERR_SHAPE, ffn, "x");
    expect(ts_primer_ffn(x, w1, NULL, w2, NULL, x), TS_ERR_ALIASING, ffn, "out");
    expect(ts_primer_ffn(xh, w1, NULL, w2, NULL, out), TS_ERR_DTYPE, ffn, "w1");
    expect(ts_primer_ffn(x, NULL, NULL, w2, NULL, out), TS_ERR_INVALID_ARGUMENT, ffn, "w1 is NULL");
    expect(ts_primer_dconv_projection(x, wp, d4, q), TS_ERR_SHAPE, dc, "dconv");
    expect(ts_primer_dconv_projection(x, wp, d3, out), TS_ERR_SHAPE, dc, "out");
    expect(ts_primer_mdha_qkv(x, wp, w1, wp, d3, d3, d3, q, k, v), TS_ERR_SHAPE, qkv, "dconv_k");
    expect(ts_primer_mdha_qkv(x, wp, wp, wp, d3, d3, d3, q, q, v), TS_ERR_ALIASING, qkv, "k");
    expect(ts_primer_mdha_qkv(x, wp, wp, wp, d3, d3, NULL, q, k, v), TS_ERR_INVALID_ARGUMENT, qkv,
           "dconv_v is NULL");
    assert_int_equal(in_use(), with_tensors);

    assert_int_equal(ts_primer_ffn(x, w1, NULL, w2, NULL, out), TS_OK);
    assert_int_equal(ts_primer_mdha_qkv(x, wp, wp, wp, d3, d3, d3, q, k, v), TS_OK);
    assert_int_equal(ts_device_sync(fx.dev), TS_OK);
    assert_int_equal(in_use(), with_tensors);
    ts_tensor *all[] = {x, x1, w1, w2, w2bad, out, wp, d3, d4, q, k, v, xh};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        ts_tensor_destroy(all[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_residual_norm_args),
        cmocka_unit_test(test_subln_args),
        cmocka_unit_test(test_primer_args),
    };
    return cmocka_run_group_tests_name("norm_layer_args", tests, setup, teardown);
}
