/* `api` test: bad input to tensor creation, host transfer, copies between
 * devices, accessors and views (slice, permute, transpose, reshape,
 * broadcast): wrong arguments, negative and overflowing sizes, bad ranges. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test_api.h"

static void test_create_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_tensor_create";
    ts_tensor *t = (ts_tensor *)&t; /* must be reset to NULL on failure */
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_tensor_create(api.cpu, TS_F32, 1, SHAPE(4), NULL));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_tensor_create(NULL, TS_F32, 1, SHAPE(4), &t));
    assert_null(t);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn,
               ts_tensor_create(api.cpu, (ts_dtype)TS_DTYPE_COUNT, 1, SHAPE(4), &t));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn,
               ts_tensor_create(api.cpu, (ts_dtype)-1, 1, SHAPE(4), &t));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_tensor_create(api.cpu, TS_F32, 0, SHAPE(4), &t));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_tensor_create(api.cpu, TS_F32, -1, SHAPE(4), &t));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn,
               ts_tensor_create(api.cpu, TS_F32, 5, SHAPE(1, 1, 1, 1, 1), &t));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_tensor_create(api.cpu, TS_F32, 2, NULL, &t));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_tensor_create(api.cpu, TS_F32, 2, SHAPE(4, -1), &t));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_tensor_create(api.cpu, TS_F32, 1, SHAPE(INT64_MIN), &t));
    /* Element counts past int64, byte sizes past int64 / size_t. */
    EXPECT_ERR(TS_ERR_OVERFLOW, fn, ts_tensor_create(api.cpu, TS_F32, 2, SHAPE(INT64_MAX, 2), &t));
    EXPECT_ERR(TS_ERR_OVERFLOW, fn,
               ts_tensor_create(api.cpu, TS_F32, 4, SHAPE(1 << 20, 1 << 20, 1 << 20, 1 << 20), &t));
    EXPECT_ERR(TS_ERR_OVERFLOW, fn,
               ts_tensor_create(api.cpu, TS_F32, 1, SHAPE(INT64_C(1) << 62), &t));
    EXPECT_ERR(TS_ERR_OVERFLOW, fn,
               ts_tensor_create(api.cpu, TS_I32, 2, SHAPE(INT64_C(1) << 31, INT64_C(1) << 31), &t));
    /* Fits in int64 bytes but no device holds 2^61 bytes in one buffer. */
    EXPECT_ERR2(TS_ERR_OVERFLOW, TS_ERR_OUT_OF_MEMORY, NULL,
                ts_tensor_create(api.cpu, TS_F16, 1, SHAPE(INT64_C(1) << 60), &t));
    assert_null(t);
    /* A zero dim next to a huge one is an empty tensor, not an overflow. */
    EXPECT_OK(ts_tensor_create(api.cpu, TS_F32, 2, SHAPE(0, INT64_MAX), &t));
    api_track(t);
    assert_int_equal(ts_tensor_numel(t), 0);
    /* ... but an empty tensor whose other dims overflow has no strides. */
    ts_tensor *e = NULL;
    EXPECT_ERR(TS_ERR_OVERFLOW, fn,
               ts_tensor_create(api.cpu, TS_F32, 3, SHAPE(0, INT64_C(1) << 62, 5), &e));
    assert_null(e);
}

static void test_transfer_bad(void **state)
{
    (void)state;
    float buf[20] = {0};
    ts_tensor *t = T(cpu, F32, 4, 5);
    ts_tensor *tt = NULL, *b = NULL;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_tensor_write", ts_tensor_write(NULL, buf, 80));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_tensor_write", ts_tensor_write(t, NULL, 80));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_tensor_write", ts_tensor_write(t, buf, 79));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_tensor_write", ts_tensor_write(t, buf, 0));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_tensor_write", ts_tensor_write(t, buf, SIZE_MAX));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_tensor_read", ts_tensor_read(NULL, buf, 80));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_tensor_read", ts_tensor_read(t, NULL, 80));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_tensor_read", ts_tensor_read(t, buf, 81));
    EXPECT_OK(ts_tensor_transpose(t, 0, 1, &tt));
    api_track(tt);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_tensor_write", ts_tensor_write(tt, buf, 80));
    EXPECT_OK(ts_tensor_broadcast(t, 3, SHAPE(2, 4, 5), &b));
    api_track(b);
    float big[40] = {0};
    EXPECT_ERR(TS_ERR_ALIASING, "ts_tensor_write", ts_tensor_write(b, big, sizeof big));
    /* An empty tensor transfers zero bytes, with or without a pointer. */
    ts_tensor *e = T(cpu, F32, 0, 3);
    EXPECT_OK(ts_tensor_write(e, NULL, 0));
    EXPECT_OK(ts_tensor_read(e, NULL, 0));
}

static void test_transfer_views(void **state)
{
    (void)state;
    ts_tensor *t = T(cpu, F32, 2, 3);
    api_fill(t, 1.0f, 1.0f); /* [[1 2 3] [4 5 6]] */
    ts_tensor *tt = NULL, *s = NULL;
    EXPECT_OK(ts_tensor_transpose(t, 0, 1, &tt));
    api_track(tt);
    float got[6];
    EXPECT_OK(ts_tensor_read(tt, got, sizeof got));
    const float want[6] = {1, 4, 2, 5, 3, 6};
    assert_memory_equal(got, want, sizeof want);
    EXPECT_OK(ts_tensor_slice(t, 1, 1, 3, 1, &s));
    api_track(s);
    EXPECT_OK(ts_tensor_read(s, got, 4 * sizeof(float)));
    const float want_s[4] = {2, 3, 5, 6};
    assert_memory_equal(got, want_s, sizeof want_s);
}

static void test_copy_to_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_tensor_copy_to";
    ts_tensor *t = T(cpu, F32, 2, 3), *c = (ts_tensor *)&c;
    api_fill(t, -1.0f, 0.5f);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_tensor_copy_to(t, api.cpu, NULL));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_tensor_copy_to(NULL, api.cpu, &c));
    assert_null(c);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_tensor_copy_to(t, NULL, &c));
    assert_null(c);
    /* Across contexts and devices the data arrives unchanged. */
    ts_device *targets[3] = {api.cpu, api.cpu2, api.other};
    for (int i = 0; i < 3; i++) {
        if (!targets[i])
            continue;
        EXPECT_OK(ts_tensor_copy_to(t, targets[i], &c));
        api_track(c);
        assert_ptr_equal(ts_tensor_device(c), targets[i]);
        float a[6], b[6];
        EXPECT_OK(ts_tensor_read(t, a, sizeof a));
        EXPECT_OK(ts_tensor_read(c, b, sizeof b));
        assert_memory_equal(a, b, sizeof a);
    }
}

static void test_accessors_null(void **state)
{
    (void)state;
    int64_t shape[4], strides[4];
    ts_tensor *t = T(cpu, BF16, 3, 4);
    assert_int_equal(ts_tensor_dtype(NULL), TS_F32);
    assert_int_equal(ts_tensor_ndim(NULL), 0);
    assert_int_equal(ts_tensor_dim(NULL, 0), 0);
    assert_int_equal(ts_tensor_numel(NULL), 0);
    assert_int_equal(ts_tensor_is_contiguous(NULL), 0);
    assert_null(ts_tensor_device(NULL));
    assert_int_equal(ts_tensor_dim(t, -1), 4);
    assert_int_equal(ts_tensor_dim(t, 2), 0);
    assert_int_equal(ts_tensor_dim(t, -3), 0);
    assert_int_equal(ts_tensor_dim(t, INT32_MIN), 0);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_tensor_shape", ts_tensor_shape(NULL, shape));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_tensor_shape", ts_tensor_shape(t, NULL));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_tensor_strides", ts_tensor_strides(NULL, strides));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_tensor_strides", ts_tensor_strides(t, NULL));
    EXPECT_OK(ts_tensor_strides(t, strides));
    assert_int_equal(strides[0], 4);
    assert_int_equal(strides[1], 1);
}

static void test_slice_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_tensor_slice";
    ts_tensor *t = T(cpu, F32, 4, 5), *v = (ts_tensor *)&v;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_tensor_slice(t, 0, 0, 1, 1, NULL));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_tensor_slice(NULL, 0, 0, 1, 1, &v));
    assert_null(v);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_tensor_slice(t, 2, 0, 1, 1, &v));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_tensor_slice(t, -3, 0, 1, 1, &v));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_tensor_slice(t, 0, 0, 1, 0, &v));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_tensor_slice(t, 0, 0, 1, -1, &v));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_tensor_slice(t, 0, -1, 2, 1, &v));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_tensor_slice(t, 0, 0, 5, 1, &v));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_tensor_slice(t, 0, 3, 2, 1, &v));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_tensor_slice(t, 1, INT64_MIN, INT64_MAX, 1, &v));
    assert_null(v);
    /* A step past the end keeps one element; it must not overflow. */
    EXPECT_OK(ts_tensor_slice(t, 1, 1, 5, INT64_MAX, &v));
    api_track(v);
    assert_int_equal(ts_tensor_dim(v, 1), 1);
    EXPECT_OK(ts_tensor_slice(t, -1, 5, 5, 3, &v));
    api_track(v);
    assert_int_equal(ts_tensor_numel(v), 0);
    EXPECT_OK(ts_tensor_slice(t, 1, 0, 5, 2, &v));
    api_track(v);
    assert_int_equal(ts_tensor_dim(v, 1), 3);
}

static void test_permute_transpose_bad(void **state)
{
    (void)state;
    ts_tensor *t = T(cpu, F32, 2, 3, 4), *v = (ts_tensor *)&v;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_tensor_permute",
               ts_tensor_permute(t, (const int[]){0, 1, 2}, NULL));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_tensor_permute",
               ts_tensor_permute(NULL, (const int[]){0, 1, 2}, &v));
    assert_null(v);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_tensor_permute", ts_tensor_permute(t, NULL, &v));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_tensor_permute",
               ts_tensor_permute(t, (const int[]){0, 0, 1}, &v));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_tensor_permute",
               ts_tensor_permute(t, (const int[]){0, 1, 3}, &v));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_tensor_permute",
               ts_tensor_permute(t, (const int[]){-1, 1, 2}, &v));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_tensor_transpose", ts_tensor_transpose(t, 0, 3, &v));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_tensor_transpose", ts_tensor_transpose(t, -4, 0, &v));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_tensor_transpose", ts_tensor_transpose(NULL, 0, 1, &v));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_tensor_transpose", ts_tensor_transpose(t, 0, 1, NULL));
    assert_null(v);
    EXPECT_OK(ts_tensor_permute(t, (const int[]){2, 0, 1}, &v));
    api_track(v);
    assert_int_equal(ts_tensor_dim(v, 0), 4);
    assert_int_equal(ts_tensor_is_contiguous(v), 0);
}

static void test_reshape_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_tensor_reshape";
    ts_tensor *t = T(cpu, F32, 4, 6), *v = (ts_tensor *)&v, *tt = NULL;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_tensor_reshape(t, 1, SHAPE(24), NULL));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_tensor_reshape(NULL, 1, SHAPE(24), &v));
    assert_null(v);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_tensor_reshape(t, 1, NULL, &v));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_tensor_reshape(t, 0, SHAPE(24), &v));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_tensor_reshape(t, 5, SHAPE(24, 1, 1, 1, 1), &v));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_tensor_reshape(t, 2, SHAPE(5, 5), &v));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_tensor_reshape(t, 2, SHAPE(-1, -1), &v));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_tensor_reshape(t, 2, SHAPE(-2, -12), &v));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_tensor_reshape(t, 2, SHAPE(-1, 5), &v));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_tensor_reshape(t, 2, SHAPE(-1, 0), &v));
    EXPECT_ERR2(TS_ERR_OVERFLOW, TS_ERR_SHAPE, fn,
                ts_tensor_reshape(t, 3, SHAPE(INT64_MAX, 4, 4), &v));
    EXPECT_ERR2(TS_ERR_OVERFLOW, TS_ERR_SHAPE, fn,
                ts_tensor_reshape(t, 3, SHAPE(-1, INT64_MAX, 4), &v));
    assert_null(v);
    /* A transposed view cannot be flattened without a copy. */
    EXPECT_OK(ts_tensor_transpose(t, 0, 1, &tt));
    api_track(tt);
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_tensor_reshape(tt, 1, SHAPE(24), &v));
    ts_tensor *empty = T(cpu, F32, 0, 4);
    EXPECT_ERR(TS_ERR_OVERFLOW, fn, ts_tensor_reshape(empty, 3, SHAPE(0, INT64_C(1) << 62, 5), &v));
    EXPECT_OK(ts_tensor_reshape(t, 3, SHAPE(2, -1, 3), &v));
    api_track(v);
    assert_int_equal(ts_tensor_dim(v, 1), 4);
}

static void test_broadcast_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_tensor_broadcast";
    ts_tensor *t = T(cpu, F32, 1, 3), *v = (ts_tensor *)&v;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_tensor_broadcast(t, 2, SHAPE(4, 3), NULL));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_tensor_broadcast(NULL, 2, SHAPE(4, 3), &v));
    assert_null(v);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_tensor_broadcast(t, 2, NULL, &v));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_tensor_broadcast(t, 2, SHAPE(4, 2), &v));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_tensor_broadcast(t, 5, SHAPE(1, 1, 1, 1, 3), &v));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_tensor_broadcast(t, 0, SHAPE(3), &v));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_tensor_broadcast(t, 2, SHAPE(-4, 3), &v));
    /* 2^62 * 2^62 * 3 elements cannot be indexed. */
    EXPECT_ERR(TS_ERR_OVERFLOW, fn,
               ts_tensor_broadcast(t, 3, SHAPE(INT64_C(1) << 62, INT64_C(1) << 62, 3), &v));
    EXPECT_ERR(TS_ERR_OVERFLOW, fn, ts_tensor_broadcast(t, 3, SHAPE(0, INT64_C(1) << 62, 3), &v));
    assert_null(v);
    EXPECT_OK(ts_tensor_broadcast(t, 3, SHAPE(2, 4, 3), &v));
    api_track(v);
    assert_int_equal(ts_tensor_numel(v), 24);
}

const struct CMUnitTest api_tensor_tests[] = {
    cmocka_unit_test_setup_teardown(test_create_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_transfer_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_transfer_views, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_copy_to_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_accessors_null, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_slice_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_permute_transpose_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_reshape_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_broadcast_bad, api_setup, api_teardown),
};
const size_t api_tensor_test_count = sizeof api_tensor_tests / sizeof api_tensor_tests[0];
