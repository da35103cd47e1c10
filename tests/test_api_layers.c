/* `api` test: bad input to the layer functions (include/tessel/attention.h,
 * include/tessel/norm.h): NULL tensors and parameter structs, bad enums
 * and layer counts, wrong dtypes and shapes, another device, aliasing. */
#include <math.h>
#include <string.h>

#include "test_api.h"

static void test_attention_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_attention";
    ts_tensor *q = T(cpu, F32, 1, 4, 5, 8), *k = T(cpu, F32, 1, 2, 6, 8);
    ts_tensor *v = T(cpu, F32, 1, 2, 6, 8), *out = T(cpu, F32, 1, 4, 5, 8);
    ts_attention_params p;
    ts_attention_params_init(NULL);
    ts_attention_params_init(&p);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_attention(NULL, k, v, NULL, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_attention(q, NULL, v, NULL, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_attention(q, k, NULL, NULL, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_attention(q, k, v, NULL, NULL));
    EXPECT_ERR(TS_ERR_DTYPE, fn,
               ts_attention(T(cpu, I32, 1, 4, 5, 8), T(cpu, I32, 1, 2, 6, 8),
                            T(cpu, I32, 1, 2, 6, 8), NULL, T(cpu, I32, 1, 4, 5, 8)));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_attention(q, T(cpu, F16, 1, 2, 6, 8), v, NULL, out));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_attention(q, k, v, NULL, T(cpu, BF16, 1, 4, 5, 8)));
    /* 4 query heads over 3 kv heads, D of q and k differ, v's Lk differs. */
    EXPECT_ERR(TS_ERR_SHAPE, fn,
               ts_attention(q, T(cpu, F32, 1, 3, 6, 8), T(cpu, F32, 1, 3, 6, 8), NULL, out));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_attention(q, T(cpu, F32, 1, 2, 6, 7), v, NULL, out));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_attention(q, k, T(cpu, F32, 1, 2, 5, 8), NULL, out));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_attention(q, k, v, NULL, T(cpu, F32, 1, 4, 8, 5)));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_attention(q, k, v, NULL, T(cpu2, F32, 1, 4, 5, 8)));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_attention(q, T(cpu2, F32, 1, 2, 6, 8), v, NULL, out));
    EXPECT_ERR(TS_ERR_ALIASING, fn, ts_attention(q, k, v, NULL, q));
    p.scale = NAN;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_attention(q, k, v, &p, out));
    ts_attention_params_init(&p);
    p.key_mask = T(cpu, F32, 1, 6); /* must be i32 */
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_attention(q, k, v, &p, out));
    ts_attention_params_init(&p);
    p.bias = T(cpu, F32, 1, 4, 5, 7); /* not broadcastable to [1, 4, 5, 6] */
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_attention(q, k, v, &p, out));
    /* The naive baseline reports its checks as ts_attention's. */
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_attention_naive(NULL, k, v, NULL, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_attention_naive(q, k, v, NULL, NULL));
}

/* The fields of issue 12: scale and softcap, causal_align, window,
 * key_len, and a value head size Dv of its own. */
static void test_attention_features_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_attention";
    ts_tensor *q = T(cpu, F32, 1, 4, 5, 8), *k = T(cpu, F32, 1, 2, 6, 8);
    ts_tensor *v = T(cpu, F32, 1, 2, 6, 8), *out = T(cpu, F32, 1, 4, 5, 8);
    ts_attention_params p;
    const float bad_reals[] = {NAN, INFINITY, -INFINITY};
    for (int i = 0; i < 3; i++) {
        ts_attention_params_init(&p);
        p.scale = bad_reals[i];
        EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_attention(q, k, v, &p, out));
        EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_attention_naive(q, k, v, &p, out));
        ts_attention_params_init(&p);
        p.softcap = bad_reals[i];
        EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_attention(q, k, v, &p, out));
        EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_attention_naive(q, k, v, &p, out));
    }
    ts_attention_params_init(&p);
    p.softcap = -1.0f;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_attention(q, k, v, &p, out));
    const int bad_align[] = {-1, 3};
    for (int i = 0; i < 2; i++) {
        ts_attention_params_init(&p);
        p.causal = 1;
        p.causal_align = bad_align[i];
        EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_attention(q, k, v, &p, out));
        EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_attention_naive(q, k, v, &p, out));
    }
    ts_attention_params_init(&p);
    p.window = -1;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_attention(q, k, v, &p, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_attention_naive(q, k, v, &p, out));
    /* key_len: i32 [B], on q's device. */
    ts_attention_params_init(&p);
    p.key_len = T(cpu, F32, 1);
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_attention(q, k, v, &p, out));
    p.key_len = T(cpu, I32, 2);
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_attention(q, k, v, &p, out));
    p.key_len = T(cpu, I32, 1, 1);
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_attention(q, k, v, &p, out));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_attention_naive(q, k, v, &p, out));
    p.key_len = T(cpu2, I32, 1);
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_attention(q, k, v, &p, out));
    /* Dv: out and gate follow v; 1..256. */
    ts_tensor *v4 = T(cpu, F32, 1, 2, 6, 4), *out4 = T(cpu, F32, 1, 4, 5, 4);
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_attention(q, k, v4, NULL, out));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_attention(q, k, v, NULL, out4));
    EXPECT_ERR(TS_ERR_SHAPE, fn,
               ts_attention(q, k, T(cpu, F32, 1, 2, 6, 257), NULL, T(cpu, F32, 1, 4, 5, 257)));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_attention(q, k, T(cpu, F32, 1, 1, 6, 4), NULL, out4));
    ts_attention_params_init(&p);
    p.gate = T(cpu, F32, 1, 4, 5, 8); /* D, not Dv */
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_attention(q, k, v4, &p, out4));
    p.gate = T(cpu, F32, 1, 4, 5, 4);
    EXPECT_OK(ts_attention(q, k, v4, &p, out4));
    /* key_len values are read on the device and clamped to 0..Lk: -3
     * hides every key (zeros), 99 none. */
    ts_attention_params_init(&p);
    ts_tensor *kl = T(cpu, I32, 1);
    const int32_t minus3 = -3;
    EXPECT_OK(ts_tensor_write(kl, &minus3, sizeof minus3));
    p.key_len = kl;
    EXPECT_OK(ts_attention(q, k, v4, &p, out4));
    float got[4 * 5 * 4];
    EXPECT_OK(ts_tensor_read(out4, got, sizeof got));
    for (size_t i = 0; i < sizeof got / sizeof got[0]; i++)
        assert_true(got[i] == 0.0f);
    EXPECT_OK(ts_attention_naive(q, k, v4, &p, out4));
    const int32_t big = 99;
    EXPECT_OK(ts_tensor_write(kl, &big, sizeof big));
    p.causal = 1;
    p.window = INT64_MAX;
    p.causal_align = TS_CAUSAL_OFFSET;
    p.causal_offset = INT64_MIN;
    EXPECT_OK(ts_attention(q, k, v4, &p, out4));
    EXPECT_OK(ts_tensor_read(out4, got, sizeof got)); /* no key is visible: zeros */
    for (size_t i = 0; i < sizeof got / sizeof got[0]; i++)
        assert_true(got[i] == 0.0f);
    EXPECT_OK(ts_attention_naive(q, k, v4, &p, out4));
    p.causal_offset = INT64_MAX;
    EXPECT_OK(ts_attention(q, k, v4, &p, out4));
    EXPECT_OK(ts_attention_naive(q, k, v4, &p, out4));
}

static void test_gau_bad(void **state)
{
    (void)state;
    ts_tensor *x = T(cpu, F32, 1, 8, 4), *out = T(cpu, F32, 1, 8, 4);
    ts_gau_weights w;
    memset(&w, 0, sizeof w);
    w.w_in = T(cpu, F32, 4, 2 * 6 + 3);
    w.gamma = T(cpu, F32, 2, 3);
    w.beta = T(cpu, F32, 2, 3);
    w.w_out = T(cpu, F32, 6, 4);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_gau", ts_gau(NULL, &w, NULL, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_gau", ts_gau(x, NULL, NULL, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_gau", ts_gau(x, &w, NULL, NULL));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_flash", ts_flash(NULL, &w, NULL, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_flash", ts_flash(x, NULL, NULL, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_flash", ts_flash(x, &w, NULL, NULL));
    ts_gau_weights missing = w;
    missing.w_in = NULL;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_gau", ts_gau(x, &missing, NULL, out));
    EXPECT_ERR(TS_ERR_ALIASING, "ts_gau", ts_gau(x, &w, NULL, x));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, "ts_gau", ts_gau(x, &w, NULL, T(cpu2, F32, 1, 8, 4)));
}

static void test_residual_norm_bad(void **state)
{
    (void)state;
    static const char ln[] = "ts_residual_layer_norm", rn[] = "ts_residual_rms_norm";
    ts_tensor *x = T(cpu, F32, 3, 8), *f = T(cpu, F32, 3, 8), *y = T(cpu, F32, 3, 8);
    ts_tensor *s = T(cpu, F32, 3, 8), *w = T(cpu, F32, 8);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, ln,
               ts_residual_layer_norm(NULL, f, 1, w, NULL, 1e-5f, y, s));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, ln,
               ts_residual_layer_norm(x, NULL, 1, w, NULL, 1e-5f, y, s));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, ln,
               ts_residual_layer_norm(x, f, 1, w, NULL, 1e-5f, NULL, s));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, ln, ts_residual_layer_norm(x, f, 1, w, NULL, 0.0f, y, s));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, ln,
               ts_residual_layer_norm(x, f, NAN, w, NULL, 1e-5f, y, s));
    EXPECT_ERR(TS_ERR_SHAPE, ln,
               ts_residual_layer_norm(x, T(cpu, F32, 3, 7), 1, w, NULL, 1e-5f, y, s));
    EXPECT_ERR(TS_ERR_DTYPE, ln,
               ts_residual_layer_norm(x, T(cpu, F16, 3, 8), 1, w, NULL, 1e-5f, y, s));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, ln,
               ts_residual_layer_norm(x, f, 1, w, NULL, 1e-5f, y, T(cpu2, F32, 3, 8)));
    EXPECT_ERR(TS_ERR_ALIASING, ln, ts_residual_layer_norm(x, f, 1, w, NULL, 1e-5f, y, f));
    EXPECT_ERR(TS_ERR_ALIASING, ln, ts_residual_layer_norm(x, f, 1, w, NULL, 1e-5f, y, y));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, rn, ts_residual_rms_norm(NULL, f, 1, w, 1e-6f, y, s));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, rn, ts_residual_rms_norm(x, f, 1, w, -1.0f, y, s));
    EXPECT_ERR(TS_ERR_SHAPE, rn, ts_residual_rms_norm(x, f, 1, T(cpu, F32, 9), 1e-6f, y, s));
    EXPECT_ERR(TS_ERR_ALIASING, rn, ts_residual_rms_norm(x, f, 1, w, 1e-6f, x, s));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_deepnorm_residual",
               ts_deepnorm_residual(NULL, f, 2, w, NULL, 1e-5f, y));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_deepnorm_residual",
               ts_deepnorm_residual(x, f, 2, w, NULL, 0.0f, y));
    EXPECT_ERR(TS_ERR_ALIASING, "ts_deepnorm_residual",
               ts_deepnorm_residual(x, f, 2, w, NULL, 1e-5f, x));
}

static void test_norm_constants_bad(void **state)
{
    (void)state;
    static const char dn[] = "ts_deepnorm_constants", sg[] = "ts_subln_gain";
    float a = 0, b = 0, g = 0;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, dn, ts_deepnorm_constants((ts_stack_arch)4, 6, 0, &a, &b));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, dn, ts_deepnorm_constants((ts_stack_arch)-1, 6, 0, &a, &b));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, dn,
               ts_deepnorm_constants(TS_STACK_ENCODER_ONLY, 0, 0, &a, &b));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, dn,
               ts_deepnorm_constants(TS_STACK_ENCODER_ONLY, 6, 6, &a, &b));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, dn,
               ts_deepnorm_constants(TS_STACK_DECODER_ONLY, -6, 6, &a, &b));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, dn,
               ts_deepnorm_constants(TS_STACK_ENCDEC_DECODER, 6, 0, &a, &b));
    EXPECT_OK(ts_deepnorm_constants(TS_STACK_ENCODER_ONLY, 6, 0, NULL, NULL));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, sg, ts_subln_gain((ts_stack_arch)9, 6, 0, &g));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, sg, ts_subln_gain(TS_STACK_ENCDEC_ENCODER, 0, 6, &g));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, sg, ts_subln_gain(TS_STACK_DECODER_ONLY, 0, -1, &g));
}

static void test_scale_init_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_scale_init_weights";
    ts_tensor *w = T(cpu, F32, 4, 4), *base = T(cpu, F32, 16);
    ts_tensor *list[2] = {w, NULL};
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_scale_init_weights(NULL, 1, 0.5f));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_scale_init_weights(list, -1, 0.5f));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_scale_init_weights(list, 2, 0.5f));
    list[1] = T(cpu, I32, 4);
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_scale_init_weights(list, 2, 0.5f));
    ts_tensor *b = NULL;
    EXPECT_OK(ts_tensor_broadcast(T(cpu, F32, 4), 2, SHAPE(4, 4), &b));
    list[1] = api_track(b);
    EXPECT_ERR(TS_ERR_ALIASING, fn, ts_scale_init_weights(list, 2, 0.5f));
    ts_tensor *s1 = NULL, *s2 = NULL;
    EXPECT_OK(ts_tensor_slice(base, 0, 0, 10, 1, &s1));
    EXPECT_OK(ts_tensor_slice(base, 0, 6, 16, 1, &s2));
    ts_tensor *overlap[2] = {api_track(s1), api_track(s2)};
    EXPECT_ERR(TS_ERR_ALIASING, fn, ts_scale_init_weights(overlap, 2, 0.5f));
}

static void test_subln_primer_bad(void **state)
{
    (void)state;
    static const char ao[] = "ts_subln_attention_output", ff[] = "ts_subln_ffn";
    static const char pf[] = "ts_primer_ffn", dp[] = "ts_primer_dconv_projection";
    static const char qkv[] = "ts_primer_mdha_qkv";
    ts_tensor *x = T(cpu, F32, 2, 5, 8), *w_out = T(cpu, F32, 8, 6), *out = T(cpu, F32, 2, 5, 6);
    ts_tensor *w1 = T(cpu, F32, 8, 16), *w2 = T(cpu, F32, 16, 6);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, ao,
               ts_subln_attention_output(NULL, NULL, NULL, 1e-5f, w_out, NULL, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, ao,
               ts_subln_attention_output(x, NULL, NULL, 1e-5f, NULL, NULL, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, ao,
               ts_subln_attention_output(x, NULL, NULL, 1e-5f, w_out, NULL, NULL));
    EXPECT_ERR(TS_ERR_SHAPE, ao,
               ts_subln_attention_output(x, NULL, NULL, 1e-5f, T(cpu, F32, 7, 6), NULL, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, ff,
               ts_subln_ffn(NULL, w1, NULL, TS_GELU_ERF, NULL, NULL, 1e-5f, w2, NULL, out));
    EXPECT_ERR(
        TS_ERR_INVALID_ARGUMENT, ff,
        ts_subln_ffn(x, w1, NULL, (ts_unary_op)TS_UNARY_COUNT, NULL, NULL, 1e-5f, w2, NULL, out));
    EXPECT_ERR(
        TS_ERR_SHAPE, ff,
        ts_subln_ffn(x, w1, NULL, TS_GELU_ERF, NULL, NULL, 1e-5f, T(cpu, F32, 15, 6), NULL, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, pf, ts_primer_ffn(NULL, w1, NULL, w2, NULL, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, pf, ts_primer_ffn(x, w1, NULL, w2, NULL, NULL));
    EXPECT_ERR(TS_ERR_DTYPE, pf, ts_primer_ffn(x, T(cpu, F16, 8, 16), NULL, w2, NULL, out));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, pf,
               ts_primer_ffn(x, w1, NULL, w2, NULL, T(cpu2, F32, 2, 5, 6)));
    ts_tensor *wp = T(cpu, F32, 8, 6), *dconv = T(cpu, F32, 6, 3);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, dp, ts_primer_dconv_projection(NULL, wp, dconv, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, dp, ts_primer_dconv_projection(x, wp, NULL, out));
    EXPECT_ERR(TS_ERR_SHAPE, dp, ts_primer_dconv_projection(x, wp, T(cpu, F32, 6, 4), out));
    EXPECT_ERR(TS_ERR_ALIASING, dp,
               ts_primer_dconv_projection(x, T(cpu, F32, 8, 8), T(cpu, F32, 8, 3), x));
    ts_tensor *q = T(cpu, F32, 2, 5, 6), *k = T(cpu, F32, 2, 5, 6), *v = T(cpu, F32, 2, 5, 6);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, qkv,
               ts_primer_mdha_qkv(NULL, wp, wp, wp, dconv, dconv, dconv, q, k, v));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, qkv,
               ts_primer_mdha_qkv(x, wp, wp, wp, dconv, dconv, dconv, q, k, NULL));
    EXPECT_ERR(TS_ERR_ALIASING, qkv,
               ts_primer_mdha_qkv(x, wp, wp, wp, dconv, dconv, dconv, q, k, q));
}

const struct CMUnitTest api_layer_tests[] = {
    cmocka_unit_test_setup_teardown(test_attention_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_attention_features_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_gau_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_residual_norm_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_norm_constants_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_scale_init_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_subln_primer_bad, api_setup, api_teardown),
};
const size_t api_layer_test_count = sizeof api_layer_tests / sizeof api_layer_tests[0];
