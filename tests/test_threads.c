/* The thread-safety promise of include/tessel/context.h, tested as
 * written (and run under TSan for the CPU backend by scripts/test.sh):
 *
 *   own_context   each thread creates its own context, tensors and ops on
 *                 the backend's first device, checks the numbers, destroys
 *                 all of it; the threads do so at the same time.
 *   shared_device the threads share one context and one device: each
 *                 records ops on its own tensors that read tensors shared
 *                 by all, makes and drops views of the shared tensors
 *                 (their storage is reference counted across threads),
 *                 queries and syncs the device, fails calls on purpose
 *                 and finds its own message in ts_last_error, while one
 *                 thread swaps the log callback.
 *
 *     test_threads --backend cpu|vulkan|opencl [--threads N] [--iterations N]
 *
 * Threads count their problems; main reports them (no assert from a
 * thread). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>

#include "test_reliability.h"

#define R 5
#define C 7 /* odd: no kernel sees an exact multiple of its width */

typedef struct job {
    int id, iterations;
    const char *backend;
    ts_device *dev;            /* shared_device: the shared one */
    const ts_tensor *w, *bias; /* shared_device: read by every thread */
    int errors;
    char first[512];
} job;

static float w_host[C * C], bias_host[C];
static atomic_int log_calls;

static void job_error(job *j, const char *what, int iter)
{
    if (j->errors++ == 0)
        snprintf(j->first, sizeof j->first, "thread %d, iteration %d: %s: %s", j->id, iter, what,
                 ts_last_error(NULL));
}

static float x_value(int id, int iter, int i)
{
    return (float)((id * 31 + iter * 7 + i * 3) % 17) / 8.0f - 1.0f;
}

/* softmax(x . w + bias) in double; rows of C. */
static void reference(int id, int iter, double out[R * C])
{
    for (int r = 0; r < R; r++) {
        double row[C], mx = -INFINITY, sum = 0;
        for (int c = 0; c < C; c++) {
            row[c] = bias_host[c];
            for (int k = 0; k < C; k++)
                row[c] += (double)x_value(id, iter, r * C + k) * w_host[k * C + c];
            mx = fmax(mx, row[c]);
        }
        for (int c = 0; c < C; c++)
            sum += exp(row[c] - mx);
        for (int c = 0; c < C; c++)
            out[r * C + c] = exp(row[c] - mx) / sum;
    }
}

/* x . w + bias, softmax, read back, compare; on dev, w and bias given. */
static void one_chain(job *j, int iter, ts_device *dev, const ts_tensor *w, const ts_tensor *bias)
{
    ts_tensor *x = NULL, *xw = NULL, *y = NULL, *s = NULL, *wv = NULL, *g = NULL;
    float xh[R * C], got[R * C];
    double want[R * C];
    for (int i = 0; i < R * C; i++)
        xh[i] = x_value(j->id, iter, i);
    if (ts_tensor_create(dev, TS_F32, 2, (int64_t[]){R, C}, &x) != TS_OK ||
        ts_tensor_create(dev, TS_F32, 2, (int64_t[]){R, C}, &xw) != TS_OK ||
        ts_tensor_create(dev, TS_F32, 2, (int64_t[]){R, C}, &y) != TS_OK ||
        ts_tensor_create(dev, TS_F32, 2, (int64_t[]){R, C}, &s) != TS_OK ||
        ts_tensor_create(dev, TS_F32, 2, (int64_t[]){R, C}, &g) != TS_OK) {
        job_error(j, "create", iter);
        goto done;
    }
    /* A view of the shared weight, made and dropped here while other
     * threads do the same: the shared storage's count moves under them. */
    if (ts_tensor_slice(w, 0, 0, C, 1, &wv) != TS_OK || ts_tensor_write(x, xh, sizeof xh) != TS_OK ||
        ts_matmul(x, wv, xw) != TS_OK || ts_binary(TS_ADD, xw, bias, y) != TS_OK ||
        ts_softmax(y, 1.0f, 0, s) != TS_OK || ts_tensor_read(s, got, sizeof got) != TS_OK ||
        /* a fallback: logged (the callback runs in every thread) and composed */
        ts_glu(TS_GLU_SILU, y, s, g) != TS_OK) {
        job_error(j, "ops", iter);
        goto done;
    }
    reference(j->id, iter, want);
    for (int i = 0; i < R * C; i++)
        if (fabs(got[i] - want[i]) > 1e-5) {
            job_error(j, "wrong numbers", iter);
            break;
        }
done:
    ts_tensor_destroy(g);
    ts_tensor_destroy(wv);
    ts_tensor_destroy(s);
    ts_tensor_destroy(y);
    ts_tensor_destroy(xw);
    ts_tensor_destroy(x);
}

static ts_status make_shared(ts_device *dev, ts_tensor **w, ts_tensor **bias)
{
    ts_status st = ts_tensor_create(dev, TS_F32, 2, (int64_t[]){C, C}, w);
    if (st == TS_OK)
        st = ts_tensor_create(dev, TS_F32, 1, (int64_t[]){C}, bias);
    if (st == TS_OK)
        st = ts_tensor_write(*w, w_host, sizeof w_host);
    if (st == TS_OK)
        st = ts_tensor_write(*bias, bias_host, sizeof bias_host);
    return st;
}

static void *own_context_main(void *arg)
{
    job *j = arg;
    char id[32];
    snprintf(id, sizeof id, "%s:0", j->backend);
    for (int iter = 0; iter < j->iterations; iter++) {
        ts_context *ctx = NULL;
        ts_device *dev = NULL;
        ts_tensor *w = NULL, *bias = NULL;
        if (ts_context_create(&ctx) != TS_OK || ts_device_find(ctx, id, &dev) != TS_OK ||
            make_shared(dev, &w, &bias) != TS_OK)
            job_error(j, "context", iter);
        else
            one_chain(j, iter, dev, w, bias);
        ts_tensor_destroy(bias);
        ts_tensor_destroy(w);
        ts_context_destroy(ctx);
    }
    return NULL;
}

static void count_log(ts_log_level level, const char *message, void *user)
{
    (void)level, (void)message, (void)user;
    atomic_fetch_add(&log_calls, 1);
}

static void *shared_device_main(void *arg)
{
    job *j = arg;
    for (int iter = 0; iter < j->iterations; iter++) {
        one_chain(j, iter, j->dev, j->w, j->bias);
        /* A failure that names this thread's own value. */
        ts_tensor *bad = NULL;
        int64_t dim = -(int64_t)(1000 * j->id + iter + 1);
        char want[32];
        snprintf(want, sizeof want, "%lld", (long long)dim);
        if (ts_tensor_create(j->dev, TS_F32, 1, &dim, &bad) == TS_OK ||
            !strstr(ts_last_error(NULL), want))
            job_error(j, "another thread's message", iter);
        ts_tensor_destroy(bad);
        uint64_t in_use, fallbacks;
        ts_device_info info;
        if (ts_device_memory_stats(j->dev, &in_use, NULL) != TS_OK ||
            ts_device_fallback_count(j->dev, &fallbacks) != TS_OK ||
            ts_device_info_get(j->dev, &info) != TS_OK)
            job_error(j, "device queries", iter);
        if (iter % 4 == j->id % 4 && ts_device_sync(j->dev) != TS_OK)
            job_error(j, "sync", iter);
        if (j->id == 0) /* the log sink changes while others may log */
            ts_set_log_callback(iter % 2 ? NULL : count_log, NULL, TS_LOG_DEBUG);
    }
    return NULL;
}

static int run(const char *what, void *(*fn)(void *), job *jobs, int n)
{
    pthread_t t[64];
    int started = 0, errors = 0;
    for (int i = 0; i < n && pthread_create(&t[i], NULL, fn, &jobs[i]) == 0; i++)
        started++;
    for (int i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    if (started != n)
        REL_FAIL("%s: started %d of %d threads", what, started, n);
    for (int i = 0; i < n; i++)
        if (jobs[i].errors) {
            fprintf(stderr, "FAIL %s: %d errors; first: %s\n", what, jobs[i].errors, jobs[i].first);
            errors++;
        }
    return errors;
}

static int int_arg(int argc, char **argv, const char *name, int fallback)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return atoi(argv[i + 1]);
    return fallback;
}

int main(int argc, char **argv)
{
    const char *backend = rel_backend_arg(argc, argv);
    int threads = int_arg(argc, argv, "--threads", 8);
    int iterations = int_arg(argc, argv, "--iterations", 20);
    if (threads < 1 || threads > 64 || iterations < 1)
        REL_FAIL("--threads 1..64, --iterations >= 1");
    for (int i = 0; i < C * C; i++)
        w_host[i] = (float)((i * 5) % 11) / 11.0f - 0.5f;
    for (int i = 0; i < C; i++)
        bias_host[i] = (float)i / 4.0f;

    ts_context *ctx = NULL;
    REL_OK(ts_context_create(&ctx));
    ts_device *dev = rel_device(ctx, backend);
    ts_tensor *w = NULL, *bias = NULL;
    REL_OK(make_shared(dev, &w, &bias));
    job jobs[64];
    /* Warm-up: the device's workspace (kept between ops) gets its size. */
    jobs[0] = (job){.id = 0};
    one_chain(&jobs[0], 0, dev, w, bias);
    if (jobs[0].errors)
        REL_FAIL("warm-up: %s", jobs[0].first);
    uint64_t before, after;
    REL_OK(ts_device_memory_stats(dev, &before, NULL));

    for (int i = 0; i < threads; i++)
        jobs[i] = (job){.id = i, .iterations = iterations, .backend = backend, .dev = dev,
                        .w = w, .bias = bias};
    int errors = run("shared_device", shared_device_main, jobs, threads);
    ts_set_log_callback(NULL, NULL, TS_LOG_WARN);
    REL_OK(ts_device_sync(dev));
    REL_OK(ts_device_memory_stats(dev, &after, NULL));
    if (after != before)
        REL_FAIL("shared_device: %llu bytes in use after the threads, %llu before",
                 (unsigned long long)after, (unsigned long long)before);
    ts_tensor_destroy(bias);
    ts_tensor_destroy(w);
    ts_context_destroy(ctx);

    /* Contexts are heavier on the GPU backends: fewer rounds each. */
    int own_iterations = strcmp(backend, "cpu") == 0 ? iterations : (iterations + 4) / 5;
    for (int i = 0; i < threads; i++)
        jobs[i] = (job){.id = i, .iterations = own_iterations, .backend = backend};
    errors += run("own_context", own_context_main, jobs, threads);
    if (errors)
        return 1;
    printf("threads %s: %d threads x %d iterations on one shared device, %d threads x %d "
           "contexts of their own: all right\n",
           backend, threads, iterations, threads, own_iterations);
    return 0;
}
