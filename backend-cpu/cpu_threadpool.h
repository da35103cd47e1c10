/* A small pthread pool with one operation: parallel-for over an index
 * range. The calling thread takes part (as worker 0), so a pool of N
 * threads starts N-1 of its own. Never call it from inside a task. */
#ifndef TESSEL_BACKEND_CPU_THREADPOOL_H
#define TESSEL_BACKEND_CPU_THREADPOOL_H

#include <stdint.h>

#include "tessel/status.h"

typedef struct tsi_cpu_pool tsi_cpu_pool;

/* fn runs on [begin, end) slices; worker is in [0, threads) and lets a task
 * use a per-worker slice of scratch memory. */
typedef void (*tsi_cpu_task_fn)(void *ctx, int64_t begin, int64_t end, int worker);

/* threads >= 1. TS_ERR_OUT_OF_MEMORY / TS_ERR_BACKEND (no message set). */
ts_status tsi_cpu_pool_create(int threads, tsi_cpu_pool **out);
void tsi_cpu_pool_destroy(tsi_cpu_pool *pool);
/* Worker ids passed to tasks are below this (for sizing scratch). */
int tsi_cpu_pool_threads(const tsi_cpu_pool *pool);

/* Run fn over [0, n). cost is the rough work of one index in element
 * operations: work below a wakeup's worth runs inline on the caller, so
 * tiny tensors never pay for waking threads. Returns when all is done. */
void tsi_cpu_pool_for(tsi_cpu_pool *pool, int64_t n, int64_t cost, tsi_cpu_task_fn fn, void *ctx);

#endif
