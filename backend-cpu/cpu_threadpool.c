/* The parallel-for pool. Workers sleep on a condition variable between
 * jobs (no spinning: the machine may be shared, and OpenBLAS has threads of
 * its own that must not be starved while it runs). Slices are handed out
 * by an atomic counter, so uneven slices balance themselves.
 *
 * A worker joins a job under the mutex and counts itself active; the
 * caller posts a job only while no worker is active, so no worker can run
 * a slice of a job that has been replaced (a worker that wakes late for a
 * finished job finds its counter exhausted and leaves). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "backend-cpu/cpu_threadpool.h"

/* Below this many element operations a job runs on the caller: waking a
 * sleeping thread costs a few microseconds, about this much work. */
#define TSI_POOL_INLINE_COST 32768
/* Slices per thread: enough to even out slices that run at different
 * speeds, few enough that the shared counter stays cold. */
#define TSI_POOL_SLICES_PER_THREAD 4

typedef struct pool_job {
    tsi_cpu_task_fn fn;
    void *ctx;
    int64_t n, slice;
} pool_job;

struct tsi_cpu_pool {
    int threads;
    pthread_t *tids;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    unsigned long gen; /* bumped per job */
    bool stop;
    int active; /* workers inside the current job */
    pool_job job;
    atomic_llong next; /* next unclaimed index of the job */
};

typedef struct worker_arg {
    tsi_cpu_pool *pool;
    int id;
} worker_arg;

static void run_slices(tsi_cpu_pool *p, const pool_job *job, int worker)
{
    for (;;) {
        int64_t begin = atomic_fetch_add(&p->next, job->slice);
        if (begin >= job->n)
            break;
        int64_t end = begin + job->slice < job->n ? begin + job->slice : job->n;
        job->fn(job->ctx, begin, end, worker);
    }
}

static void *worker_main(void *arg)
{
    tsi_cpu_pool *p = ((worker_arg *)arg)->pool;
    int id = ((worker_arg *)arg)->id;
    free(arg);
    unsigned long seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->gen == seen && !p->stop)
            pthread_cond_wait(&p->wake, &p->mu);
        if (p->stop)
            break;
        seen = p->gen;
        pool_job job = p->job;
        p->active++;
        pthread_mutex_unlock(&p->mu);
        run_slices(p, &job, id);
        pthread_mutex_lock(&p->mu);
        if (--p->active == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

ts_status tsi_cpu_pool_create(int threads, tsi_cpu_pool **out)
{
    *out = NULL;
    tsi_cpu_pool *p = calloc(1, sizeof *p);
    if (!p)
        return TS_ERR_OUT_OF_MEMORY;
    p->threads = threads < 1 ? 1 : threads;
    atomic_init(&p->next, 0);
    p->tids = calloc((size_t)p->threads, sizeof *p->tids);
    if (!p->tids) {
        free(p);
        return TS_ERR_OUT_OF_MEMORY;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    for (int i = 1; i < p->threads; i++) {
        worker_arg *a = malloc(sizeof *a);
        if (a) {
            a->pool = p;
            a->id = i;
        }
        if (!a || pthread_create(&p->tids[i], NULL, worker_main, a) != 0) {
            free(a);
            tsi_cpu_pool_destroy(p);
            return a ? TS_ERR_BACKEND : TS_ERR_OUT_OF_MEMORY;
        }
        p->started = i;
    }
    *out = p;
    return TS_OK;
}

void tsi_cpu_pool_destroy(tsi_cpu_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i <= p->started; i++)
        pthread_join(p->tids[i], NULL);
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->mu);
    free(p->tids);
    free(p);
}

int tsi_cpu_pool_threads(const tsi_cpu_pool *p)
{
    return p ? p->threads : 1;
}

void tsi_cpu_pool_for(tsi_cpu_pool *p, int64_t n, int64_t cost, tsi_cpu_task_fn fn, void *ctx)
{
    if (n <= 0)
        return;
    if (cost < 1)
        cost = 1;
    /* n * cost may overflow for huge jobs; compare by division instead. */
    bool small = n <= TSI_POOL_INLINE_COST / cost;
    if (!p || p->threads == 1 || n == 1 || small) {
        fn(ctx, 0, n, 0);
        return;
    }
    int64_t slices = (int64_t)p->threads * TSI_POOL_SLICES_PER_THREAD;
    int64_t slice = (n + slices - 1) / slices;
    /* Keep each slice worth a wakeup, so tasks are not needlessly fine. */
    int64_t min_slice = (TSI_POOL_INLINE_COST / 4 + cost - 1) / cost;
    if (slice < min_slice)
        slice = min_slice;
    pool_job job = {.fn = fn, .ctx = ctx, .n = n, .slice = slice};
    pthread_mutex_lock(&p->mu);
    /* A worker that woke late for the previous job may still hold it. */
    while (p->active > 0)
        pthread_cond_wait(&p->done, &p->mu);
    p->job = job;
    atomic_store(&p->next, 0);
    p->gen++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);

    run_slices(p, &job, 0);

    pthread_mutex_lock(&p->mu);
    while (p->active > 0)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
