/* Shared fixture of the `api` test (test_api*.c): bad input to every public
 * function must give the right status and a message naming the function,
 * never a crash or a leak. One context with cpu:0, a second context (its
 * cpu:0 is "another device" for mismatch checks) and, where present, a
 * non-CPU device. Tensors made with api_tensor are freed after each test. */
#ifndef TESSEL_TEST_API_H
#define TESSEL_TEST_API_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <tessel/tessel.h>

typedef struct api_env {
    ts_context *ctx, *ctx2;
    ts_device *cpu;   /* cpu:0 of ctx */
    ts_device *cpu2;  /* cpu:0 of ctx2 */
    ts_device *other; /* a non-CPU device of ctx, or NULL */
} api_env;

extern api_env api;

/* Setup/teardown for every test: the per-test tensor list. */
int api_setup(void **state);
int api_teardown(void **state);

/* A new tensor tracked for teardown; fails the test if creation fails. */
ts_tensor *api_tensor(ts_device *dev, ts_dtype dtype, int ndim, const int64_t *shape);
/* Track a tensor some call handed back (a view), NULL allowed. */
ts_tensor *api_track(ts_tensor *t);
/* Write values (converted to t's dtype) to a contiguous tensor. */
void api_fill(ts_tensor *t, float first, float step);

#define SHAPE(...) ((const int64_t[]){__VA_ARGS__})
#define NDIM(...) ((int)(sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t)))
/* T(cpu, F32, 4, 5): a tracked f32 [4, 5] tensor on api.cpu. */
#define T(dev, dt, ...) api_tensor(api.dev, TS_##dt, NDIM(__VA_ARGS__), SHAPE(__VA_ARGS__))

void api_expect(ts_status got, ts_status want, const char *fn, const char *expr, const char *file,
                int line);
void api_expect_one_of(ts_status got, ts_status want1, ts_status want2, const char *fn,
                       const char *expr, const char *file, int line);

/* The call must fail with `want` and leave a message that names fn. */
#define EXPECT_ERR(want, fn, expr) api_expect((expr), (want), (fn), #expr, __FILE__, __LINE__)
#define EXPECT_ERR2(want1, want2, fn, expr)                                                        \
    api_expect_one_of((expr), (want1), (want2), (fn), #expr, __FILE__, __LINE__)
#define EXPECT_OK(expr) api_expect((expr), TS_OK, NULL, #expr, __FILE__, __LINE__)

/* Test lists of each file. */
extern const struct CMUnitTest api_context_tests[];
extern const size_t api_context_test_count;
extern const struct CMUnitTest api_tensor_tests[];
extern const size_t api_tensor_test_count;
extern const struct CMUnitTest api_ops_tests[];
extern const size_t api_ops_test_count;
extern const struct CMUnitTest api_layer_tests[];
extern const size_t api_layer_test_count;
extern const struct CMUnitTest api_moe_tests[];
extern const size_t api_moe_test_count;
extern const struct CMUnitTest api_fft_tests[];
extern const size_t api_fft_test_count;
extern const struct CMUnitTest api_complex_tests[];
extern const size_t api_complex_test_count;
extern const struct CMUnitTest api_longconv_tests[];
extern const size_t api_longconv_test_count;
extern const struct CMUnitTest api_thread_tests[];
extern const size_t api_thread_test_count;

#endif
