/* Soak: many create / op / read / destroy iterations on one device, with
 * the context itself recreated every --context-every iterations. Device
 * memory in use (ts_device_memory_stats) must be back at its start after
 * every iteration, and the process's resident memory flat: measured at the
 * end of each context's life, it grows by less than --rss-slack-kib after
 * the first fifth of the run and the first three contexts (warm-up: driver
 * caches, allocator pools). Under ASan resident memory is the
 * sanitizer's (quarantine), so only LeakSanitizer's exit check counts.
 *
 *     test_soak --backend cpu|vulkan|opencl [--iterations N] [--context-every N]
 *               [--rss-slack-kib N] [-v]
 *
 * CI runs fewer iterations on the software GPUs (tests/reliability.cmake);
 * the 10k per device is `--iterations 10000`. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "test_reliability.h"

#if defined(__SANITIZE_ADDRESS__)
#define REL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REL_ASAN 1
#endif
#endif
#ifndef REL_ASAN
#define REL_ASAN 0
#endif

#define R 6
#define C 9

static long rss_kib(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return -1;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static long long_arg(int argc, char **argv, const char *name, long fallback)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return atol(argv[i + 1]);
    return fallback;
}

/* One iteration: x [R, C] and w [C, C] created and written, x.w, + x,
 * softmax, a glu (a fallback: temporaries), a slice view, read back,
 * everything destroyed. Returns the checksum of the softmax rows (R). */
static double iteration(ts_device *dev, long iter)
{
    float xh[R * C], wh[C * C], got[R * C];
    for (int i = 0; i < R * C; i++)
        xh[i] = (float)((iter + i) % 13) / 13.0f;
    for (int i = 0; i < C * C; i++)
        wh[i] = (float)(i % 5) / 5.0f - 0.3f;
    ts_tensor *x = NULL, *w = NULL, *y = NULL, *z = NULL, *s = NULL, *g = NULL, *v = NULL;
    REL_OK(ts_tensor_create(dev, TS_F32, 2, (int64_t[]){R, C}, &x));
    REL_OK(ts_tensor_create(dev, TS_F32, 2, (int64_t[]){C, C}, &w));
    REL_OK(ts_tensor_create(dev, TS_F32, 2, (int64_t[]){R, C}, &y));
    REL_OK(ts_tensor_create(dev, TS_F32, 2, (int64_t[]){R, C}, &z));
    REL_OK(ts_tensor_create(dev, TS_F32, 2, (int64_t[]){R, C}, &s));
    REL_OK(ts_tensor_create(dev, TS_F32, 2, (int64_t[]){R, C}, &g));
    REL_OK(ts_tensor_write(x, xh, sizeof xh));
    REL_OK(ts_tensor_write(w, wh, sizeof wh));
    REL_OK(ts_matmul(x, w, y));
    REL_OK(ts_binary(TS_ADD, y, x, z));
    REL_OK(ts_softmax(z, 1.0f, 0, s));
    REL_OK(ts_glu(TS_GLU_SIGMOID, s, x, g));
    REL_OK(ts_tensor_slice(s, 1, 0, C, 2, &v));
    float part[R * ((C + 1) / 2)];
    REL_OK(ts_tensor_read(v, part, sizeof part));
    REL_OK(ts_tensor_read(s, got, sizeof got));
    double sum = 0;
    for (int i = 0; i < R * C; i++)
        sum += got[i];
    ts_tensor_destroy(v);
    ts_tensor_destroy(g);
    ts_tensor_destroy(s);
    ts_tensor_destroy(z);
    ts_tensor_destroy(y);
    ts_tensor_destroy(w);
    ts_tensor_destroy(x);
    return sum;
}

int main(int argc, char **argv)
{
    const char *backend = rel_backend_arg(argc, argv);
    rel_watch_validation();
    long iterations = long_arg(argc, argv, "--iterations", 10000);
    long context_every = long_arg(argc, argv, "--context-every", 1000);
    long slack = long_arg(argc, argv, "--rss-slack-kib", 2048);
    int verbose = rel_has_flag(argc, argv, "-v");
    /* Warm-up takes the first contexts (driver pools, caches); the check
     * needs a few after them. */
    if (iterations < 10 || context_every < 1 || iterations / context_every < 5)
        REL_FAIL("--iterations >= 10 and at least 5 contexts (--context-every)");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    ts_context *ctx = NULL;
    ts_device *dev = NULL;
    uint64_t base = 0, now;
    long rss_mark = -1, rss_peak_growth = 0, contexts = 0;
    for (long it = 0; it < iterations; it++) {
        if (it % context_every == 0) {
            ts_context_destroy(ctx);
            REL_OK(ts_context_create(&ctx));
            dev = rel_device(ctx, backend);
            contexts++;
            double sum = iteration(dev, it); /* warm-up: the workspace */
            (void)sum;
            REL_OK(ts_device_memory_stats(dev, &base, NULL));
        }
        double sum = iteration(dev, it);
        if (fabs(sum - R) > 1e-3) /* each softmax row sums to 1 */
            REL_FAIL("iteration %ld: softmax rows sum to %g, want %d", it, sum, R);
        REL_OK(ts_device_memory_stats(dev, &now, NULL));
        if (now != base)
            REL_FAIL("iteration %ld: %llu bytes of device memory in use, %llu at the start", it,
                     (unsigned long long)now, (unsigned long long)base);
        /* Resident memory is compared at the same point of each context's
         * life (its last iteration): a context's own start-up swings it. */
        bool block_end = it % context_every == context_every - 1 || it == iterations - 1;
        if (block_end && verbose)
            printf("soak %s: iteration %ld: RSS %ld KiB\n", backend, it, rss_kib());
        if (block_end && rss_mark < 0 && it >= iterations / 5 && contexts >= 3)
            rss_mark = rss_kib();
        else if (block_end && rss_mark > 0 && rss_kib() - rss_mark > rss_peak_growth)
            rss_peak_growth = rss_kib() - rss_mark;
    }
    ts_context_destroy(ctx);
    long rss_end = rss_kib();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    printf("soak %s: %ld iterations (%ld contexts) in %.1f s; device memory back every "
           "iteration; RSS %ld KiB after the warm-up fifth, at most +%ld KiB after it, %ld KiB "
           "at the end%s\n",
           backend, iterations, contexts, secs, rss_mark, rss_peak_growth, rss_end,
           REL_ASAN ? " (ASan: RSS not checked)" : "");
    if (!REL_ASAN && rss_peak_growth > slack)
        REL_FAIL("resident memory grew by %ld KiB after the warm-up (slack %ld KiB)",
                 rss_peak_growth, slack);
    return 0;
}
