/* `api` test: bad input to every op of include/tessel/ops.h. For each op:
 * NULL tensors, a bad enum, wrong dtypes, wrong shapes, tensors of another
 * device (cpu:0 of a second context, and a GPU where present), an output
 * that aliases an input or is a broadcast view, a strided output where a
 * contiguous one is required, and bad parameters (k, eps, kernel width).
 * ts_glu also: nothing that fails validation counts as a fallback. */
#include <math.h>
#include <string.h>

#include "test_api.h"

static ts_tensor *bcast(ts_tensor *t, int ndim, const int64_t *shape)
{
    ts_tensor *v = NULL;
    EXPECT_OK(ts_tensor_broadcast(t, ndim, shape, &v));
    return api_track(v);
}

static ts_tensor *transposed(ts_tensor *t)
{
    ts_tensor *v = NULL;
    EXPECT_OK(ts_tensor_transpose(t, -2, -1, &v));
    return api_track(v);
}

static ts_tensor *reshaped(ts_tensor *t, int ndim, const int64_t *shape)
{
    ts_tensor *v = NULL;
    EXPECT_OK(ts_tensor_reshape(t, ndim, shape, &v));
    return api_track(v);
}

static ts_tensor *sliced(ts_tensor *t, int dim, int64_t start, int64_t stop)
{
    ts_tensor *v = NULL;
    EXPECT_OK(ts_tensor_slice(t, dim, start, stop, 1, &v));
    return api_track(v);
}

static void test_binary_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_binary";
    ts_tensor *a = T(cpu, F32, 4, 5), *b = T(cpu, F32, 1, 5), *out = T(cpu, F32, 4, 5);
    ts_tensor *h = T(cpu, F16, 4, 5), *i = T(cpu, I32, 4, 5), *o2 = T(cpu2, F32, 4, 5);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_binary((ts_binary_op)TS_BINARY_COUNT, a, b, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_binary((ts_binary_op)-1, a, b, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_binary(TS_ADD, NULL, b, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_binary(TS_ADD, a, NULL, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_binary(TS_ADD, a, b, NULL));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_binary(TS_ADD, a, h, out));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_binary(TS_MUL, a, b, i));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_binary(TS_ADD, a, T(cpu, F32, 4), out));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_binary(TS_ADD, a, b, T(cpu, F32, 4, 4)));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_binary(TS_ADD, a, b, T(cpu, F32, 1, 4, 5)));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_binary(TS_ADD, b, b, out)); /* out bigger than a+b */
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_binary(TS_ADD, a, b, o2));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_binary(TS_ADD, a, T(cpu2, F32, 1, 5), out));
    if (api.other)
        EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_binary(TS_ADD, a, b, T(other, F32, 4, 5)));
    EXPECT_ERR(TS_ERR_ALIASING, fn, ts_binary(TS_ADD, a, b, a));
    EXPECT_ERR(TS_ERR_ALIASING, fn, ts_binary(TS_SUB, out, a, out));
    EXPECT_ERR(TS_ERR_ALIASING, fn, ts_binary(TS_ADD, a, b, bcast(b, 2, SHAPE(4, 5))));
    /* Partial overlap through views of one storage. */
    ts_tensor *base = T(cpu, F32, 8, 5);
    EXPECT_ERR(TS_ERR_ALIASING, fn,
               ts_binary(TS_ADD, sliced(base, 0, 0, 4), b, sliced(base, 0, 3, 7)));
    EXPECT_OK(ts_binary(TS_ADD, sliced(base, 0, 0, 4), b, sliced(base, 0, 4, 8)));
    /* Empty shapes are valid and do nothing. */
    EXPECT_OK(ts_binary(TS_ADD, T(cpu, F32, 0, 5), b, T(cpu, F32, 0, 5)));
}

static void test_binary_result(void **state)
{
    (void)state;
    ts_tensor *a = T(cpu, F32, 2, 3), *b = T(cpu, F32, 3), *out = T(cpu, F32, 2, 3);
    api_fill(a, 1.0f, 1.0f);   /* 1..6 */
    api_fill(b, 10.0f, 10.0f); /* 10 20 30 */
    EXPECT_OK(ts_binary(TS_ADD, a, b, out));
    float got[6];
    EXPECT_OK(ts_tensor_read(out, got, sizeof got));
    const float want[6] = {11, 22, 33, 14, 25, 36};
    assert_memory_equal(got, want, sizeof want);
}

static void test_unary_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_unary";
    ts_tensor *x = T(cpu, F32, 3, 4), *out = T(cpu, F32, 3, 4), *i = T(cpu, I32, 3, 4);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_unary((ts_unary_op)TS_UNARY_COUNT, x, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_unary((ts_unary_op)-3, x, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_unary(TS_EXP, NULL, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_unary(TS_EXP, x, NULL));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_unary(TS_EXP, x, T(cpu, BF16, 3, 4)));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_unary(TS_EXP, i, T(cpu, I32, 3, 4)));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_unary(TS_GELU_TANH, i, T(cpu, I32, 3, 4)));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_unary(TS_EXP, x, T(cpu, F32, 4, 3)));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_unary(TS_EXP, x, T(cpu, F32, 12)));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_unary(TS_EXP, x, T(cpu2, F32, 3, 4)));
    EXPECT_ERR(TS_ERR_ALIASING, fn, ts_unary(TS_EXP, x, x));
    EXPECT_ERR(TS_ERR_ALIASING, fn, ts_unary(TS_EXP, x, bcast(T(cpu, F32, 4), 2, SHAPE(3, 4))));
}

static void test_scale_cast_copy_bad(void **state)
{
    (void)state;
    ts_tensor *x = T(cpu, F32, 3, 4), *out = T(cpu, F32, 3, 4), *i = T(cpu, I32, 3, 4);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_scale_shift", ts_scale_shift(NULL, 1, 0, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_scale_shift", ts_scale_shift(x, 1, 0, NULL));
    EXPECT_ERR(TS_ERR_DTYPE, "ts_scale_shift", ts_scale_shift(i, 2, 1, T(cpu, I32, 3, 4)));
    EXPECT_ERR(TS_ERR_DTYPE, "ts_scale_shift", ts_scale_shift(x, 2, 1, T(cpu, F16, 3, 4)));
    EXPECT_ERR(TS_ERR_SHAPE, "ts_scale_shift", ts_scale_shift(x, 2, 1, T(cpu, F32, 3, 5)));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, "ts_scale_shift",
               ts_scale_shift(x, 2, 1, T(cpu2, F32, 3, 4)));
    EXPECT_ERR(TS_ERR_ALIASING, "ts_scale_shift", ts_scale_shift(x, 2, 1, x));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_scale_shift", ts_scale_shift(x, INFINITY, 1, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_scale_shift", ts_scale_shift(x, 2, NAN, out));

    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_cast", ts_cast(NULL, i));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_cast", ts_cast(x, NULL));
    EXPECT_ERR(TS_ERR_SHAPE, "ts_cast", ts_cast(x, T(cpu, I32, 4, 3)));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, "ts_cast", ts_cast(x, T(cpu2, I32, 3, 4)));
    EXPECT_ERR(TS_ERR_ALIASING, "ts_cast", ts_cast(x, x));
    EXPECT_ERR(TS_ERR_ALIASING, "ts_cast", ts_cast(x, bcast(T(cpu, I32, 1), 2, SHAPE(3, 4))));

    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_copy", ts_copy(NULL, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_copy", ts_copy(x, NULL));
    EXPECT_ERR(TS_ERR_DTYPE, "ts_copy", ts_copy(x, i));
    EXPECT_ERR(TS_ERR_SHAPE, "ts_copy", ts_copy(x, T(cpu, F32, 4, 3)));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, "ts_copy", ts_copy(x, T(cpu2, F32, 3, 4)));
    EXPECT_ERR(TS_ERR_ALIASING, "ts_copy", ts_copy(x, x));
    ts_tensor *sq = T(cpu, F32, 4, 4);
    EXPECT_ERR(TS_ERR_ALIASING, "ts_copy", ts_copy(transposed(sq), sq));
}

static void test_glu_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_glu";
    ts_tensor *a = T(cpu, F32, 4, 5), *b = T(cpu, F32, 4, 5), *out = T(cpu, F32, 4, 5);
    ts_tensor *i = T(cpu, I32, 4, 5);
    uint64_t before = 0, after = 0;
    EXPECT_OK(ts_device_fallback_count(api.cpu, &before));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_glu((ts_glu_kind)TS_GLU_COUNT, a, b, out));
    assert_non_null(strstr(ts_last_error(api.ctx), "invalid kind"));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_glu((ts_glu_kind)-1, a, b, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_glu(TS_GLU_SILU, NULL, b, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_glu(TS_GLU_SILU, a, NULL, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_glu(TS_GLU_SILU, a, b, NULL));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_glu(TS_GLU_RELU, i, T(cpu, I32, 4, 5), T(cpu, I32, 4, 5)));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_glu(TS_GLU_SILU, a, T(cpu, F16, 4, 5), out));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_glu(TS_GLU_SILU, a, b, T(cpu, BF16, 4, 5)));
    /* Same shape, no broadcasting (b [5] would broadcast for ts_binary). */
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_glu(TS_GLU_GELU, a, T(cpu, F32, 5), out));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_glu(TS_GLU_GELU, a, T(cpu, F32, 5, 4), out));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_glu(TS_GLU_GELU, a, b, T(cpu, F32, 1, 4, 5)));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_glu(TS_GLU_SILU, a, T(cpu2, F32, 4, 5), out));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_glu(TS_GLU_SILU, a, b, T(cpu2, F32, 4, 5)));
    if (api.other)
        EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_glu(TS_GLU_SILU, a, b, T(other, F32, 4, 5)));
    EXPECT_ERR(TS_ERR_ALIASING, fn, ts_glu(TS_GLU_SILU, a, b, a));
    EXPECT_ERR(TS_ERR_ALIASING, fn, ts_glu(TS_GLU_SILU, a, b, b));
    EXPECT_ERR(TS_ERR_ALIASING, fn,
               ts_glu(TS_GLU_SILU, a, b, bcast(T(cpu, F32, 5), 2, SHAPE(4, 5))));
    ts_tensor *base = T(cpu, F32, 8, 5);
    EXPECT_ERR(TS_ERR_ALIASING, fn,
               ts_glu(TS_GLU_SILU, sliced(base, 0, 0, 4), b, sliced(base, 0, 2, 6)));
    /* Nothing that failed validation fell back. */
    EXPECT_OK(ts_device_fallback_count(api.cpu, &after));
    assert_int_equal(after, before);
    /* Broadcast inputs are views like any other; empty is a no-op. */
    EXPECT_OK(ts_glu(TS_GLU_SILU, bcast(T(cpu, F32, 5), 2, SHAPE(4, 5)), b, out));
    EXPECT_OK(ts_glu(TS_GLU_SILU, T(cpu, F32, 0, 5), T(cpu, F32, 0, 5), T(cpu, F32, 0, 5)));
    EXPECT_OK(ts_device_fallback_count(api.cpu, &after));
    assert_int_equal(after, before + 1);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_device_fallback_count",
               ts_device_fallback_count(NULL, &after));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_device_fallback_count",
               ts_device_fallback_count(api.cpu, NULL));
}

/* ReGLU on exact values into a transposed (strided) output. */
static void test_glu_result(void **state)
{
    (void)state;
    ts_tensor *a = T(cpu, F32, 2, 3), *b = T(cpu, F32, 2, 3), *o = T(cpu, F32, 3, 2);
    api_fill(a, -2.0f, 1.0f); /* -2 -1 0 1 2 3 */
    api_fill(b, 1.0f, 0.5f);  /* 1 1.5 2 2.5 3 3.5 */
    EXPECT_OK(ts_glu(TS_GLU_RELU, a, b, transposed(o)));
    float got[6];
    EXPECT_OK(ts_tensor_read(o, got, sizeof got));
    const float want[6] = {0, 2.5f, 0, 6, 0, 10.5f}; /* o = (relu(a) * b)^T */
    for (int k = 0; k < 6; k++)
        assert_true(got[k] == want[k]);
}

static void test_matmul_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_matmul";
    ts_tensor *a = T(cpu, F32, 4, 3), *b = T(cpu, F32, 3, 5), *out = T(cpu, F32, 4, 5);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_matmul(NULL, b, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_matmul(a, NULL, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_matmul(a, b, NULL));
    EXPECT_ERR(TS_ERR_DTYPE, fn,
               ts_matmul(T(cpu, I32, 4, 3), T(cpu, I32, 3, 5), T(cpu, I32, 4, 5)));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_matmul(a, T(cpu, F16, 3, 5), out));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_matmul(a, b, T(cpu, BF16, 4, 5)));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_matmul(T(cpu, F32, 3), b, T(cpu, F32, 5)));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_matmul(a, T(cpu, F32, 4, 5), out));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_matmul(a, b, T(cpu, F32, 5, 4)));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_matmul(a, b, T(cpu, F32, 1, 4, 5)));
    EXPECT_ERR(TS_ERR_SHAPE, fn,
               ts_matmul(T(cpu, F32, 2, 4, 3), T(cpu, F32, 3, 3, 5), T(cpu, F32, 3, 4, 5)));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_matmul(a, b, transposed(T(cpu, F32, 5, 4))));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_matmul(a, T(cpu2, F32, 3, 5), out));
    if (api.other)
        EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_matmul(T(other, F32, 4, 3), b, out));
    ts_tensor *sq = T(cpu, F32, 4, 4);
    EXPECT_ERR(TS_ERR_ALIASING, fn, ts_matmul(sq, T(cpu, F32, 4, 4), sq));
    EXPECT_ERR(TS_ERR_ALIASING, fn, ts_matmul(T(cpu, F32, 4, 4), sq, transposed(transposed(sq))));
    EXPECT_ERR(TS_ERR_ALIASING, fn, ts_matmul(a, b, bcast(T(cpu, F32, 5), 2, SHAPE(4, 5))));
}

static void test_softmax_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_softmax";
    ts_tensor *x = T(cpu, F32, 3, 7), *out = T(cpu, F32, 3, 7);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_softmax(NULL, 1, 0, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_softmax(x, 1, 0, NULL));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_softmax(T(cpu, I32, 3, 7), 1, 0, T(cpu, I32, 3, 7)));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_softmax(x, 1, 0, T(cpu, F16, 3, 7)));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_softmax(x, 1, 1, T(cpu, F32, 7, 3)));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_softmax(x, NAN, 0, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_softmax(x, INFINITY, 0, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_softmax_dim", ts_softmax_dim(x, 1, -INFINITY, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_softmax_dim", ts_softmax_dim(x, 2, 1, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_softmax_dim", ts_softmax_dim(x, -3, 1, out));
    EXPECT_ERR(TS_ERR_SHAPE, "ts_softmax_dim", ts_softmax_dim(x, 0, 1, T(cpu, F32, 7, 3)));
    EXPECT_ERR(TS_ERR_SHAPE, "ts_reduce_dim",
               ts_reduce_dim(TS_REDUCE_SUM, x, 0, T(cpu, F32, 3, 1)));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_topk_dim",
               ts_topk_dim(x, 0, 4, T(cpu, F32, 4, 7), T(cpu, I32, 4, 7)));
    EXPECT_ERR(TS_ERR_DTYPE, "ts_gather", ts_gather(x, 1, T(cpu, F32, 2), T(cpu, F32, 3, 2)));
    EXPECT_ERR(TS_ERR_SHAPE, "ts_gather", ts_gather(x, 1, T(cpu, I32, 2), T(cpu, F32, 2, 2)));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_softmax(x, 1, 0, T(cpu2, F32, 3, 7)));
    EXPECT_ERR(TS_ERR_ALIASING, fn, ts_softmax(x, 1, 0, x));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn,
               ts_softmax(transposed(T(cpu, F32, 7, 3)), 1, 0, transposed(T(cpu, F32, 7, 3))));
}

static void test_reduce_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_reduce";
    ts_tensor *x = T(cpu, F32, 3, 7), *out = T(cpu, F32, 3, 1);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_reduce((ts_reduce_op)3, x, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_reduce((ts_reduce_op)-1, x, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_reduce(TS_REDUCE_SUM, NULL, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_reduce(TS_REDUCE_SUM, x, NULL));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_reduce(TS_REDUCE_SUM, x, T(cpu, F16, 3, 1)));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_reduce(TS_REDUCE_MEAN, T(cpu, I32, 3, 7), T(cpu, I32, 3, 1)));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_reduce(TS_REDUCE_SUM, x, T(cpu, F32, 3)));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_reduce(TS_REDUCE_SUM, x, T(cpu, F32, 3, 2)));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_reduce(TS_REDUCE_MAX, T(cpu, F32, 3, 0), out));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_reduce(TS_REDUCE_MEAN, T(cpu, F32, 3, 0), out));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_reduce(TS_REDUCE_SUM, x, T(cpu2, F32, 3, 1)));
    /* out [2, 1] sits inside x's storage. */
    ts_tensor *base = T(cpu, F32, 10);
    EXPECT_ERR(TS_ERR_ALIASING, fn,
               ts_reduce(TS_REDUCE_SUM, reshaped(base, 2, SHAPE(2, 5)),
                         reshaped(sliced(base, 0, 2, 4), 2, SHAPE(2, 1))));

    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_argmax", ts_argmax(NULL, T(cpu, I32, 3, 1)));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_argmax", ts_argmax(x, NULL));
    EXPECT_ERR(TS_ERR_DTYPE, "ts_argmax", ts_argmax(x, out));
    EXPECT_ERR(TS_ERR_SHAPE, "ts_argmax", ts_argmax(x, T(cpu, I32, 1, 3)));
    EXPECT_ERR(TS_ERR_SHAPE, "ts_argmax", ts_argmax(T(cpu, F32, 3, 0), T(cpu, I32, 3, 1)));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, "ts_argmax", ts_argmax(x, T(cpu2, I32, 3, 1)));
    ts_tensor *ib = T(cpu, I32, 24);
    EXPECT_ERR(TS_ERR_ALIASING, "ts_argmax",
               ts_argmax(reshaped(sliced(ib, 0, 0, 21), 2, SHAPE(3, 7)),
                         reshaped(sliced(ib, 0, 20, 23), 2, SHAPE(3, 1))));
}

static void test_topk_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_topk";
    ts_tensor *x = T(cpu, F32, 3, 7), *v = T(cpu, F32, 3, 2), *ix = T(cpu, I32, 3, 2);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_topk(NULL, 2, v, ix));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_topk(x, 2, NULL, ix));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_topk(x, 2, v, NULL));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_topk(x, 0, v, ix));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_topk(x, -1, v, ix));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_topk(x, 8, T(cpu, F32, 3, 8), T(cpu, I32, 3, 8)));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_topk(T(cpu, F32, 3, 0), 1, v, ix));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_topk(x, 2, T(cpu, F16, 3, 2), ix));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_topk(x, 2, v, T(cpu, F32, 3, 2)));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_topk(x, 2, T(cpu, F32, 3, 3), ix));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_topk(x, 2, v, T(cpu, I32, 2, 2)));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_topk(x, 2, v, T(cpu2, I32, 3, 2)));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_topk(x, 2, T(cpu2, F32, 3, 2), ix));
    ts_tensor *base = T(cpu, F32, 21);
    EXPECT_ERR(TS_ERR_ALIASING, fn,
               ts_topk(reshaped(base, 2, SHAPE(3, 7)), 1,
                       reshaped(sliced(base, 0, 3, 6), 2, SHAPE(3, 1)), T(cpu, I32, 3, 1)));
}

static void test_gather_scatter_bad(void **state)
{
    (void)state;
    static const char g[] = "ts_gather_rows", s[] = "ts_scatter_add_rows";
    ts_tensor *table = T(cpu, F32, 6, 4), *idx = T(cpu, I32, 3), *out = T(cpu, F32, 3, 4);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, g, ts_gather_rows(NULL, idx, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, g, ts_gather_rows(table, NULL, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, g, ts_gather_rows(table, idx, NULL));
    EXPECT_ERR(TS_ERR_DTYPE, g, ts_gather_rows(table, T(cpu, F32, 3), out));
    EXPECT_ERR(TS_ERR_DTYPE, g, ts_gather_rows(table, idx, T(cpu, F16, 3, 4)));
    EXPECT_ERR(TS_ERR_SHAPE, g, ts_gather_rows(T(cpu, F32, 2, 6, 4), idx, out));
    EXPECT_ERR(TS_ERR_SHAPE, g, ts_gather_rows(T(cpu, F32, 24), idx, out));
    EXPECT_ERR(TS_ERR_SHAPE, g, ts_gather_rows(table, T(cpu, I32, 1, 1, 1, 3), out));
    EXPECT_ERR(TS_ERR_SHAPE, g, ts_gather_rows(table, idx, T(cpu, F32, 3, 5)));
    EXPECT_ERR(TS_ERR_SHAPE, g, ts_gather_rows(table, T(cpu, I32, 2, 3), out));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, g, ts_gather_rows(table, T(cpu2, I32, 3), out));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, g, ts_gather_rows(T(cpu2, F32, 6, 4), idx, out));
    ts_tensor *sq = T(cpu, F32, 4, 4);
    EXPECT_ERR(TS_ERR_ALIASING, g, ts_gather_rows(sq, T(cpu, I32, 4), sq));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, g,
               ts_gather_rows(T(cpu, F32, 4, 3), T(cpu, I32, 4), transposed(T(cpu, F32, 3, 4))));

    ts_tensor *dst = T(cpu, F32, 6, 4), *src = T(cpu, F32, 3, 4);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, s, ts_scatter_add_rows(NULL, idx, src));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, s, ts_scatter_add_rows(dst, NULL, src));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, s, ts_scatter_add_rows(dst, idx, NULL));
    EXPECT_ERR(TS_ERR_DTYPE, s, ts_scatter_add_rows(dst, T(cpu, F32, 3), src));
    EXPECT_ERR(TS_ERR_DTYPE, s, ts_scatter_add_rows(dst, idx, T(cpu, BF16, 3, 4)));
    EXPECT_ERR(TS_ERR_SHAPE, s, ts_scatter_add_rows(dst, idx, T(cpu, F32, 3, 5)));
    EXPECT_ERR(TS_ERR_SHAPE, s, ts_scatter_add_rows(dst, idx, T(cpu, F32, 2, 4)));
    EXPECT_ERR(TS_ERR_SHAPE, s, ts_scatter_add_rows(dst, T(cpu, I32, 3, 1), src));
    EXPECT_ERR(TS_ERR_SHAPE, s, ts_scatter_add_rows(T(cpu, F32, 24), idx, src));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, s, ts_scatter_add_rows(T(cpu2, F32, 6, 4), idx, src));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, s, ts_scatter_add_rows(dst, idx, T(cpu2, F32, 3, 4)));
    EXPECT_ERR(TS_ERR_ALIASING, s, ts_scatter_add_rows(sq, T(cpu, I32, 4), sq));
    EXPECT_ERR(TS_ERR_ALIASING, s,
               ts_scatter_add_rows(bcast(T(cpu, F32, 4), 2, SHAPE(6, 4)), idx, src));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, s,
               ts_scatter_add_rows(transposed(T(cpu, F32, 4, 6)), idx, src));
}

static void test_concat_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_concat";
    ts_tensor *a = T(cpu, F32, 2, 3), *b = T(cpu, F32, 4, 3), *out = T(cpu, F32, 6, 3);
    const ts_tensor *ab[] = {a, b};
    const ts_tensor *a_null[] = {a, NULL};
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_concat(NULL, 2, 0, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_concat(ab, 0, 0, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_concat(ab, -1, 0, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_concat(ab, 2, 0, NULL));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_concat(a_null, 2, 0, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_concat(ab, 2, 2, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_concat(ab, 2, -3, out));
    const ts_tensor *mixed[] = {a, T(cpu, F16, 4, 3)};
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_concat(mixed, 2, 0, out));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_concat(ab, 2, 1, out));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_concat(ab, 2, 0, T(cpu, F32, 7, 3)));
    const ts_tensor *wrong_rank[] = {a, T(cpu, F32, 1, 4, 3)};
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_concat(wrong_rank, 2, 0, out));
    const ts_tensor *other_dev[] = {a, T(cpu2, F32, 4, 3)};
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_concat(other_dev, 2, 0, out));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_concat(ab, 2, -2, T(cpu2, F32, 6, 3)));
    EXPECT_ERR(TS_ERR_ALIASING, fn, ts_concat(ab, 2, 0, bcast(T(cpu, F32, 3), 2, SHAPE(6, 3))));
    ts_tensor *big = T(cpu, F32, 8, 3);
    const ts_tensor *inside[] = {sliced(big, 0, 0, 2), b};
    EXPECT_ERR(TS_ERR_ALIASING, fn, ts_concat(inside, 2, 0, sliced(big, 0, 1, 7)));
    const ts_tensor *empty[] = {T(cpu, F32, 0, 3)};
    EXPECT_OK(ts_concat(empty, 1, 0, T(cpu, F32, 0, 3)));
}

static void test_norm_bad(void **state)
{
    (void)state;
    static const char ln[] = "ts_layer_norm", rn[] = "ts_rms_norm";
    ts_tensor *x = T(cpu, F32, 3, 8), *out = T(cpu, F32, 3, 8);
    ts_tensor *w = T(cpu, F32, 8), *b = T(cpu, F32, 8);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, ln, ts_layer_norm(NULL, w, b, 1e-5f, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, ln, ts_layer_norm(x, w, b, 1e-5f, NULL));
    EXPECT_ERR(TS_ERR_DTYPE, ln,
               ts_layer_norm(T(cpu, I32, 3, 8), NULL, NULL, 1e-5f, T(cpu, I32, 3, 8)));
    EXPECT_ERR(TS_ERR_DTYPE, ln, ts_layer_norm(x, w, b, 1e-5f, T(cpu, F16, 3, 8)));
    EXPECT_ERR(TS_ERR_DTYPE, ln, ts_layer_norm(x, T(cpu, BF16, 8), b, 1e-5f, out));
    EXPECT_ERR(TS_ERR_DTYPE, ln, ts_layer_norm(x, w, T(cpu, I32, 8), 1e-5f, out));
    EXPECT_ERR(TS_ERR_SHAPE, ln, ts_layer_norm(x, w, b, 1e-5f, T(cpu, F32, 8, 3)));
    EXPECT_ERR(TS_ERR_SHAPE, ln, ts_layer_norm(x, T(cpu, F32, 7), b, 1e-5f, out));
    EXPECT_ERR(TS_ERR_SHAPE, ln, ts_layer_norm(x, w, T(cpu, F32, 1, 8), 1e-5f, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, ln, ts_layer_norm(x, w, b, 0.0f, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, ln, ts_layer_norm(x, w, b, -1e-5f, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, ln, ts_layer_norm(x, w, b, NAN, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, ln, ts_layer_norm(x, w, b, INFINITY, out));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, ln, ts_layer_norm(x, T(cpu2, F32, 8), b, 1e-5f, out));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, ln, ts_layer_norm(x, w, b, 1e-5f, T(cpu2, F32, 3, 8)));
    EXPECT_ERR(TS_ERR_ALIASING, ln, ts_layer_norm(x, w, b, 1e-5f, x));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, ln,
               ts_layer_norm(transposed(T(cpu, F32, 8, 3)), NULL, NULL, 1e-5f,
                             transposed(T(cpu, F32, 8, 3))));
    /* The weight [n] may not share storage with out either. */
    ts_tensor *base = T(cpu, F32, 32);
    EXPECT_ERR(TS_ERR_ALIASING, ln,
               ts_layer_norm(x, sliced(base, 0, 20, 28), NULL, 1e-5f,
                             reshaped(sliced(base, 0, 0, 24), 2, SHAPE(3, 8))));

    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, rn, ts_rms_norm(NULL, w, 1e-5f, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, rn, ts_rms_norm(x, w, 1e-5f, NULL));
    EXPECT_ERR(TS_ERR_DTYPE, rn, ts_rms_norm(T(cpu, I32, 3, 8), NULL, 1e-5f, T(cpu, I32, 3, 8)));
    EXPECT_ERR(TS_ERR_DTYPE, rn, ts_rms_norm(x, T(cpu, F16, 8), 1e-5f, out));
    EXPECT_ERR(TS_ERR_SHAPE, rn, ts_rms_norm(x, T(cpu, F32, 9), 1e-5f, out));
    EXPECT_ERR(TS_ERR_SHAPE, rn, ts_rms_norm(x, w, 1e-5f, T(cpu, F32, 24)));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, rn, ts_rms_norm(x, w, 0.0f, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, rn, ts_rms_norm(x, w, NAN, out));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, rn, ts_rms_norm(T(cpu2, F32, 3, 8), w, 1e-5f, out));
    EXPECT_ERR(TS_ERR_ALIASING, rn, ts_rms_norm(x, w, 1e-5f, x));
}

static void test_conv1d_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_conv1d_causal";
    ts_tensor *x = T(cpu, F32, 2, 9, 4), *w = T(cpu, F32, 4, 3), *b = T(cpu, F32, 4);
    ts_tensor *out = T(cpu, F32, 2, 9, 4);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_conv1d_causal(NULL, w, b, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_conv1d_causal(x, NULL, b, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_conv1d_causal(x, w, b, NULL));
    EXPECT_ERR(
        TS_ERR_DTYPE, fn,
        ts_conv1d_causal(T(cpu, I32, 2, 9, 4), T(cpu, I32, 4, 3), NULL, T(cpu, I32, 2, 9, 4)));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_conv1d_causal(x, T(cpu, F16, 4, 3), b, out));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_conv1d_causal(x, w, T(cpu, BF16, 4), out));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_conv1d_causal(x, w, b, T(cpu, F16, 2, 9, 4)));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_conv1d_causal(T(cpu, F32, 36), w, b, T(cpu, F32, 36)));
    EXPECT_ERR(TS_ERR_SHAPE, fn,
               ts_conv1d_causal(T(cpu, F32, 1, 2, 9, 4), w, b, T(cpu, F32, 1, 2, 9, 4)));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_conv1d_causal(x, w, b, T(cpu, F32, 2, 4, 9)));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_conv1d_causal(x, T(cpu, F32, 5, 3), b, out));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_conv1d_causal(x, T(cpu, F32, 12), b, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_conv1d_causal(x, T(cpu, F32, 4, 9), b, out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_conv1d_causal(x, T(cpu, F32, 4, 0), b, out));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_conv1d_causal(x, w, T(cpu, F32, 5), out));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_conv1d_causal(x, T(cpu2, F32, 4, 3), b, out));
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_conv1d_causal(x, w, T(cpu2, F32, 4), out));
    EXPECT_ERR(TS_ERR_ALIASING, fn, ts_conv1d_causal(x, w, b, x));
    ts_tensor *base = T(cpu, F32, 76);
    EXPECT_ERR(TS_ERR_ALIASING, fn,
               ts_conv1d_causal(x, w, sliced(base, 0, 70, 74),
                                reshaped(sliced(base, 0, 4, 76), 3, SHAPE(2, 9, 4))));
}

const struct CMUnitTest api_ops_tests[] = {
    cmocka_unit_test_setup_teardown(test_binary_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_binary_result, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_unary_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_scale_cast_copy_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_glu_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_glu_result, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_matmul_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_softmax_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_reduce_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_topk_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_gather_scatter_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_concat_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_norm_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_conv1d_bad, api_setup, api_teardown),
};
const size_t api_ops_test_count = sizeof api_ops_tests / sizeof api_ops_tests[0];
