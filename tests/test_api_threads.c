/* `api` test: one context and one device used from several threads at once
 * (context.h: every call is thread-safe except destroying a handle other
 * threads still use). Each thread creates and destroys its own tensors,
 * adds a tensor shared by all threads into its own, reads back and checks
 * every element; it also fails calls on purpose and checks that
 * ts_last_error gives its own message, not another thread's. cmocka's
 * asserts are not thread-safe, so threads count problems and the main
 * thread asserts. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "test_api.h"

#define API_THREADS 8
#define API_ITERATIONS 40
#define API_N 257 /* odd, so no kernel gets an exact multiple of its width */

typedef struct thread_job {
    int id;
    ts_device *dev;
    const ts_tensor *shared; /* f32 [API_N] on dev, element i == i */
    int errors;
    char first_error[256];
} thread_job;

static void job_error(thread_job *job, const char *what)
{
    if (job->errors++ == 0)
        snprintf(job->first_error, sizeof job->first_error, "thread %d: %s: %s", job->id, what,
                 ts_last_error(NULL));
}

/* own + shared on the device; every element must be exact. */
static void one_iteration(thread_job *job, int iter)
{
    static const int64_t shape[1] = {API_N};
    float host[API_N], got[API_N];
    ts_tensor *own = NULL, *out = NULL;
    float base = (float)(job->id * 1000 + iter);
    for (int i = 0; i < API_N; i++)
        host[i] = base;
    if (ts_tensor_create(job->dev, TS_F32, 1, shape, &own) != TS_OK ||
        ts_tensor_create(job->dev, TS_F32, 1, shape, &out) != TS_OK) {
        job_error(job, "create");
        goto cleanup;
    }
    if (ts_tensor_write(own, host, sizeof host) != TS_OK ||
        ts_binary(TS_ADD, own, job->shared, out) != TS_OK ||
        ts_tensor_read(out, got, sizeof got) != TS_OK) {
        job_error(job, "add");
        goto cleanup;
    }
    for (int i = 0; i < API_N; i++) {
        if (got[i] != base + (float)i) {
            job_error(job, "wrong sum");
            break;
        }
    }
cleanup:
    ts_tensor_destroy(out);
    ts_tensor_destroy(own);
}

/* A failure whose message names this thread's own value. */
static void check_own_message(thread_job *job, int iter)
{
    ts_device *dev;
    int index = 100000 + job->id * 1000 + iter;
    char want[32];
    snprintf(want, sizeof want, "%d", index);
    if (ts_device_get(api.ctx, index, &dev) != TS_ERR_NOT_FOUND ||
        !strstr(ts_last_error(NULL), want))
        job_error(job, "message of another thread");
}

static void *thread_main(void *arg)
{
    thread_job *job = arg;
    for (int iter = 0; iter < API_ITERATIONS; iter++) {
        ts_device_info info;
        uint64_t in_use;
        ts_device *dev;
        one_iteration(job, iter);
        check_own_message(job, iter);
        if (ts_device_info_get(api.cpu, &info) != TS_OK ||
            ts_device_memory_stats(api.cpu, &in_use, NULL) != TS_OK ||
            ts_device_find(api.ctx, "cpu:0", &dev) != TS_OK || dev != api.cpu)
            job_error(job, "device queries");
        if (iter % 8 == 0 && ts_device_sync(job->dev) != TS_OK)
            job_error(job, "sync");
    }
    return NULL;
}

/* API_THREADS threads; every `every`-th one on `second` instead of cpu:0. */
static void run_threads(ts_device *second, int every)
{
    ts_tensor *shared_cpu = T(cpu, F32, API_N), *shared_second = NULL;
    api_fill(shared_cpu, 0.0f, 1.0f);
    if (second) {
        EXPECT_OK(ts_tensor_copy_to(shared_cpu, second, &shared_second));
        api_track(shared_second);
    }
    uint64_t before[2] = {0, 0}, after[2] = {0, 0};
    EXPECT_OK(ts_device_memory_stats(api.cpu, &before[0], NULL));
    if (second)
        EXPECT_OK(ts_device_memory_stats(second, &before[1], NULL));
    pthread_t threads[API_THREADS];
    thread_job jobs[API_THREADS];
    int started = 0;
    for (int i = 0; i < API_THREADS; i++) {
        int on_second = second && i % every == every - 1;
        jobs[i] = (thread_job){.id = i,
                               .dev = on_second ? second : api.cpu,
                               .shared = on_second ? shared_second : shared_cpu};
        if (pthread_create(&threads[i], NULL, thread_main, &jobs[i]) != 0)
            break;
        started++;
    }
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    assert_int_equal(started, API_THREADS);
    for (int i = 0; i < API_THREADS; i++)
        if (jobs[i].errors)
            fail_msg("%d errors; first: %s", jobs[i].errors, jobs[i].first_error);
    /* Every tensor the threads made was freed. */
    EXPECT_OK(ts_device_memory_stats(api.cpu, &after[0], NULL));
    assert_int_equal(before[0], after[0]);
    if (second) {
        EXPECT_OK(ts_device_memory_stats(second, &after[1], NULL));
        assert_int_equal(before[1], after[1]);
    }
}

static void test_threads_share_device(void **state)
{
    (void)state;
    run_threads(NULL, 1);
}

/* Half the threads on a GPU (lavapipe, PoCL here), half on the CPU. */
static void test_threads_two_devices(void **state)
{
    (void)state;
    if (!api.other)
        skip();
    run_threads(api.other, 2);
}

const struct CMUnitTest api_thread_tests[] = {
    cmocka_unit_test_setup_teardown(test_threads_share_device, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_threads_two_devices, api_setup, api_teardown),
};
const size_t api_thread_test_count = sizeof api_thread_tests / sizeof api_thread_tests[0];
