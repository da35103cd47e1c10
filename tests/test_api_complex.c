/* `api` test: the complex dtype c64 at the API's edges. Host round trips
 * and views of c64 tensors (view_as_real / view_as_complex and their
 * refusals), copies between devices, and every public op that has no
 * complex meaning refusing c64 with TS_ERR_DTYPE and a message naming the
 * function and "c64". The arithmetic itself is checked by the conformance
 * cases (tests/cases: binary, copy, cast). */
#include <string.h>

#include "test_api.h"

/* The call must fail with TS_ERR_DTYPE, naming fn and c64. */
#define EXPECT_C64(fn, expr)                                                                       \
    do {                                                                                           \
        EXPECT_ERR(TS_ERR_DTYPE, fn, expr);                                                        \
        if (!strstr(ts_last_error(NULL), "c64"))                                                   \
            fail_msg("%s:%d: %s: message does not name c64: %s", __FILE__, __LINE__, #expr,        \
                     ts_last_error(NULL));                                                         \
    } while (0)

/* (re, im) of element i as the tests write it. */
static float re_of(int64_t i)
{
    return 0.5f * (float)i + 1.0f;
}

static float im_of(int64_t i)
{
    return -0.25f * (float)i - 2.0f;
}

static void fill_c64(ts_tensor *t)
{
    int64_t n = ts_tensor_numel(t);
    float buf[2 * 64];
    assert_true(n <= 64);
    for (int64_t i = 0; i < n; i++) {
        buf[2 * i] = re_of(i);
        buf[2 * i + 1] = im_of(i);
    }
    EXPECT_OK(ts_tensor_write(t, buf, (size_t)n * 8));
}

static ts_tensor *as_real(const ts_tensor *t)
{
    ts_tensor *v = NULL;
    EXPECT_OK(ts_tensor_view_as_real(t, &v));
    return api_track(v);
}

static ts_tensor *as_complex(const ts_tensor *t)
{
    ts_tensor *v = NULL;
    EXPECT_OK(ts_tensor_view_as_complex(t, &v));
    return api_track(v);
}

static void expect_layout(const ts_tensor *t, ts_dtype dt, int nd, const int64_t *shape,
                          const int64_t *strides)
{
    int64_t got[4];
    assert_int_equal(ts_tensor_dtype(t), dt);
    assert_int_equal(ts_tensor_ndim(t), nd);
    EXPECT_OK(ts_tensor_shape(t, got));
    for (int i = 0; i < nd; i++)
        assert_int_equal(got[i], shape[i]);
    EXPECT_OK(ts_tensor_strides(t, got));
    for (int i = 0; i < nd; i++)
        assert_int_equal(got[i], strides[i]);
}

static void test_c64_tensor_and_views(void **state)
{
    (void)state;
    assert_string_equal(ts_dtype_name(TS_C64), "c64");
    assert_int_equal(ts_dtype_size(TS_C64), 8);
    ts_tensor *c = T(cpu, C64, 3, 4);
    fill_c64(c);
    float back[24];
    EXPECT_OK(ts_tensor_read(c, back, sizeof back));
    for (int i = 0; i < 12; i++) {
        assert_true(back[2 * i] == re_of(i));
        assert_true(back[2 * i + 1] == im_of(i));
    }
    /* The same bytes as f32 [3, 4, 2]. */
    ts_tensor *r = as_real(c);
    expect_layout(r, TS_F32, 3, SHAPE(3, 4, 2), SHAPE(8, 2, 1));
    float rb[24];
    EXPECT_OK(ts_tensor_read(r, rb, sizeof rb));
    assert_memory_equal(rb, back, sizeof rb);
    /* A transposed c64 view: strides double, then halve back. */
    ts_tensor *ct = NULL;
    EXPECT_OK(ts_tensor_transpose(c, 0, 1, &ct));
    api_track(ct);
    ts_tensor *rt = as_real(ct);
    expect_layout(rt, TS_F32, 3, SHAPE(4, 3, 2), SHAPE(2, 8, 1));
    float tb[24];
    EXPECT_OK(ts_tensor_read(rt, tb, sizeof tb)); /* a strided read: a c64 copy */
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) {
            assert_true(tb[2 * (i * 3 + j)] == re_of(j * 4 + i));
            assert_true(tb[2 * (i * 3 + j) + 1] == im_of(j * 4 + i));
        }
    ts_tensor *cb = as_complex(rt);
    expect_layout(cb, TS_C64, 2, SHAPE(4, 3), SHAPE(1, 4));
    /* A sliced c64 view keeps its offset through both views. */
    ts_tensor *cs = NULL;
    EXPECT_OK(ts_tensor_slice(c, 1, 1, 4, 2, &cs));
    api_track(cs);
    ts_tensor *rs = as_real(cs);
    expect_layout(rs, TS_F32, 3, SHAPE(3, 2, 2), SHAPE(8, 4, 1));
    float sb[12];
    EXPECT_OK(ts_tensor_read(rs, sb, sizeof sb));
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++) {
            assert_true(sb[2 * (i * 2 + j)] == re_of(i * 4 + 1 + 2 * j));
            assert_true(sb[2 * (i * 2 + j) + 1] == im_of(i * 4 + 1 + 2 * j));
        }
    float cb2[12];
    EXPECT_OK(ts_tensor_read(as_complex(rs), cb2, sizeof cb2));
    assert_memory_equal(cb2, sb, sizeof sb);
    /* Broadcast views stay read-only through view_as_real. */
    ts_tensor *row = T(cpu, C64, 4), *bc = NULL;
    fill_c64(row);
    EXPECT_OK(ts_tensor_broadcast(row, 2, SHAPE(3, 4), &bc));
    api_track(bc);
    ts_tensor *rbc = as_real(bc);
    expect_layout(rbc, TS_F32, 3, SHAPE(3, 4, 2), SHAPE(0, 2, 1));
    EXPECT_ERR(TS_ERR_ALIASING, "ts_copy", ts_copy(T(cpu, F32, 3, 4, 2), rbc));
    float bb[24];
    EXPECT_OK(ts_tensor_read(rbc, bb, sizeof bb));
    assert_true(bb[16] == re_of(0) && bb[23] == im_of(3));
}

static void test_c64_views_bad(void **state)
{
    (void)state;
    static const char fr[] = "ts_tensor_view_as_real", fc[] = "ts_tensor_view_as_complex";
    ts_tensor *v = NULL;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fr, ts_tensor_view_as_real(NULL, &v));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fr, ts_tensor_view_as_real(T(cpu, C64, 2), NULL));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fc, ts_tensor_view_as_complex(NULL, &v));
    EXPECT_ERR(TS_ERR_DTYPE, fr, ts_tensor_view_as_real(T(cpu, F32, 2, 2), &v));
    EXPECT_ERR(TS_ERR_DTYPE, fc, ts_tensor_view_as_complex(T(cpu, I32, 2, 2), &v));
    EXPECT_ERR(TS_ERR_DTYPE, fc, ts_tensor_view_as_complex(T(cpu, C64, 2, 2), &v));
    EXPECT_ERR(TS_ERR_SHAPE, fr, ts_tensor_view_as_real(T(cpu, C64, 2, 2, 2, 2), &v));
    EXPECT_ERR(TS_ERR_SHAPE, fc, ts_tensor_view_as_complex(T(cpu, F32, 2), &v));
    EXPECT_ERR(TS_ERR_SHAPE, fc, ts_tensor_view_as_complex(T(cpu, F32, 2, 3), &v));
    assert_null(v);
    /* Last dim of stride 2: re and im not adjacent. */
    ts_tensor *wide = T(cpu, F32, 3, 4), *s = NULL;
    EXPECT_OK(ts_tensor_slice(wide, 1, 0, 4, 2, &s));
    api_track(s);
    EXPECT_ERR(TS_ERR_SHAPE, fc, ts_tensor_view_as_complex(s, &v));
    /* An odd row stride: [3, 5] sliced to [3, 2]. */
    EXPECT_OK(ts_tensor_slice(T(cpu, F32, 3, 5), 1, 0, 2, 1, &s));
    api_track(s);
    EXPECT_ERR(TS_ERR_SHAPE, fc, ts_tensor_view_as_complex(s, &v));
    /* An odd offset: floats 1..8 of a [10] as [4, 2]. */
    ts_tensor *flat = T(cpu, F32, 10), *r = NULL;
    EXPECT_OK(ts_tensor_slice(flat, 0, 1, 9, 1, &s));
    api_track(s);
    EXPECT_OK(ts_tensor_reshape(s, 2, SHAPE(4, 2), &r));
    api_track(r);
    EXPECT_ERR(TS_ERR_SHAPE, fc, ts_tensor_view_as_complex(r, &v));
    assert_null(v);
}

/* c64 data survives a trip to another device (a GPU where present) and a
 * copy of a broadcast view there. */
static void test_c64_devices(void **state)
{
    (void)state;
    ts_device *dev = api.other ? api.other : api.cpu;
    ts_tensor *row = T(cpu, C64, 5), *there = NULL, *out = NULL, *bc = NULL;
    fill_c64(row);
    EXPECT_OK(ts_tensor_copy_to(row, dev, &there));
    api_track(there);
    EXPECT_OK(ts_tensor_broadcast(there, 2, SHAPE(3, 5), &bc));
    api_track(bc);
    out = api_tensor(dev, TS_C64, 2, SHAPE(3, 5));
    EXPECT_OK(ts_copy(bc, out));
    float got[30];
    EXPECT_OK(ts_tensor_read(out, got, sizeof got));
    for (int r = 0; r < 3; r++)
        for (int i = 0; i < 5; i++) {
            assert_true(got[2 * (r * 5 + i)] == re_of(i));
            assert_true(got[2 * (r * 5 + i) + 1] == im_of(i));
        }
}

static void test_c64_elementwise_refused(void **state)
{
    (void)state;
    ts_tensor *a = T(cpu, C64, 4, 5), *b = T(cpu, C64, 4, 5), *out = T(cpu, C64, 4, 5);
    EXPECT_C64("ts_binary", ts_binary(TS_DIV, a, b, out));
    EXPECT_C64("ts_binary", ts_binary(TS_MAX, a, b, out));
    EXPECT_C64("ts_binary", ts_binary(TS_MIN, a, b, out));
    for (int op = 0; op < TS_UNARY_COUNT; op++)
        EXPECT_C64("ts_unary", ts_unary((ts_unary_op)op, a, out));
    EXPECT_C64("ts_scale_shift", ts_scale_shift(a, 2.0f, 1.0f, out));
    EXPECT_C64("ts_cast", ts_cast(a, T(cpu, I32, 4, 5)));
    EXPECT_C64("ts_cast", ts_cast(T(cpu, I32, 4, 5), out));
    for (int k = 0; k < TS_GLU_COUNT; k++)
        EXPECT_C64("ts_glu", ts_glu((ts_glu_kind)k, a, b, out));
    /* What c64 does take. */
    EXPECT_OK(ts_binary(TS_MUL, a, b, out));
    EXPECT_OK(ts_cast(a, T(cpu, F16, 4, 5)));
    EXPECT_OK(ts_cast(T(cpu, BF16, 4, 5), out));
}

static void test_c64_other_ops_refused(void **state)
{
    (void)state;
    ts_tensor *x = T(cpu, C64, 4, 6), *y = T(cpu, C64, 4, 6), *w = T(cpu, C64, 6);
    ts_tensor *x3 = T(cpu, C64, 1, 4, 6), *y3 = T(cpu, C64, 1, 4, 6);
    ts_tensor *row = T(cpu, C64, 4, 1), *ri = T(cpu, I32, 4, 1), *idx = T(cpu, I32, 3);
    EXPECT_C64("ts_matmul", ts_matmul(x, T(cpu, C64, 6, 2), T(cpu, C64, 4, 2)));
    EXPECT_C64("ts_softmax", ts_softmax(x, 1.0f, 0, y));
    EXPECT_C64("ts_reduce", ts_reduce(TS_REDUCE_SUM, x, row));
    EXPECT_C64("ts_reduce", ts_reduce(TS_REDUCE_MEAN, x, row));
    EXPECT_C64("ts_reduce", ts_reduce(TS_REDUCE_MAX, x, row));
    EXPECT_C64("ts_argmax", ts_argmax(x, ri));
    EXPECT_C64("ts_topk", ts_topk(x, 1, row, ri));
    EXPECT_C64("ts_gather_rows", ts_gather_rows(x, idx, T(cpu, C64, 3, 6)));
    EXPECT_C64("ts_scatter_add_rows", ts_scatter_add_rows(y, idx, T(cpu, C64, 3, 6)));
    EXPECT_C64("ts_layer_norm", ts_layer_norm(x, w, w, 1e-5f, y));
    EXPECT_C64("ts_rms_norm", ts_rms_norm(x, NULL, 1e-5f, y));
    EXPECT_C64("ts_conv1d_causal",
               ts_conv1d_causal(x3, T(cpu, C64, 6, 3), NULL, T(cpu, C64, 1, 4, 6)));
    EXPECT_C64("ts_residual_layer_norm",
               ts_residual_layer_norm(x, y, 1.0f, NULL, NULL, 1e-5f, T(cpu, C64, 4, 6), NULL));
    EXPECT_C64("ts_residual_rms_norm",
               ts_residual_rms_norm(x, y, 1.0f, NULL, 1e-5f, T(cpu, C64, 4, 6), NULL));
    EXPECT_C64("ts_deepnorm_residual",
               ts_deepnorm_residual(x, y, 2.0f, NULL, NULL, 1e-5f, T(cpu, C64, 4, 6)));
    ts_tensor *ws[] = {x};
    EXPECT_C64("ts_scale_init_weights", ts_scale_init_weights(ws, 1, 0.5f));
    ts_tensor *q = T(cpu, C64, 1, 1, 4, 8), *o = T(cpu, C64, 1, 1, 4, 8);
    ts_attention_params ap = {0};
    EXPECT_C64("ts_attention", ts_attention(q, q, q, &ap, o));
    /* The naive baseline reports its checks as ts_attention's. */
    EXPECT_C64("ts_attention", ts_attention_naive(q, q, q, &ap, o));
    EXPECT_C64("ts_primer_ffn", ts_primer_ffn(x, T(cpu, C64, 6, 8), NULL, T(cpu, C64, 8, 6), NULL,
                                              T(cpu, C64, 4, 6)));
    EXPECT_C64("ts_primer_dconv_projection",
               ts_primer_dconv_projection(x3, T(cpu, C64, 6, 6), T(cpu, C64, 6, 3), y3));
    EXPECT_C64("ts_primer_mdha_qkv",
               ts_primer_mdha_qkv(x3, T(cpu, C64, 6, 6), T(cpu, C64, 6, 6), T(cpu, C64, 6, 6),
                                  T(cpu, C64, 6, 3), T(cpu, C64, 6, 3), T(cpu, C64, 6, 3), y3,
                                  T(cpu, C64, 1, 4, 6), T(cpu, C64, 1, 4, 6)));
    EXPECT_C64("ts_subln_attention_output",
               ts_subln_attention_output(x, NULL, NULL, 1e-5f, T(cpu, C64, 6, 6), NULL,
                                         T(cpu, C64, 4, 6)));
    EXPECT_C64("ts_subln_ffn", ts_subln_ffn(x, T(cpu, C64, 6, 8), NULL, TS_GELU_ERF, NULL, NULL,
                                            1e-5f, T(cpu, C64, 8, 6), NULL, T(cpu, C64, 4, 6)));
    /* GAU and FLASH: x [1, 8, 4], e = 6, s = 3. */
    ts_gau_weights gw = {.w_in = T(cpu, C64, 4, 15),
                         .gamma = T(cpu, C64, 2, 3),
                         .beta = T(cpu, C64, 2, 3),
                         .w_out = T(cpu, C64, 6, 4)};
    ts_tensor *gx = T(cpu, C64, 1, 8, 4), *gout = T(cpu, C64, 1, 8, 4);
    EXPECT_C64("ts_gau", ts_gau(gx, &gw, NULL, gout));
    gw.gamma = T(cpu, C64, 4, 3);
    gw.beta = T(cpu, C64, 4, 3);
    EXPECT_C64("ts_flash", ts_flash(gx, &gw, NULL, gout));
    /* concat is a copy per input: c64 goes through. */
    fill_c64(x);
    const ts_tensor *parts[] = {x, x};
    ts_tensor *cat = T(cpu, C64, 8, 6);
    EXPECT_OK(ts_concat(parts, 2, 0, cat));
    float got[2 * 48];
    EXPECT_OK(ts_tensor_read(cat, got, sizeof got));
    assert_true(got[2 * 24] == re_of(0) && got[2 * 47 + 1] == im_of(23));
}

const struct CMUnitTest api_complex_tests[] = {
    cmocka_unit_test_setup_teardown(test_c64_tensor_and_views, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_c64_views_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_c64_devices, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_c64_elementwise_refused, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_c64_other_ops_refused, api_setup, api_teardown),
};
const size_t api_complex_test_count = sizeof api_complex_tests / sizeof api_complex_tests[0];
