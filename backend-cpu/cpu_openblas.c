/* Loading OpenBLAS with the right kernel core (see cpu_openblas.h). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend-cpu/cpu_openblas.h"

#define TSI_OPENBLAS_DEFAULT_LIB "libopenblas.so.0"

static tsi_cpu_blas blas;
static pthread_mutex_t blas_lock = PTHREAD_MUTEX_INITIALIZER;
static bool blas_loaded;

static bool disabled(const char *v)
{
    static const char *const off[] = {"off", "0", "none", "no"};
    for (size_t i = 0; i < sizeof off / sizeof off[0]; i++)
        if (strcmp(v, off[i]) == 0)
            return true;
    return false;
}

/* OpenBLAS's idle workers spin on sched_yield for 2^OPENBLAS_THREAD_TIMEOUT
 * cycles after each call before they sleep: 2^28 by default, about a
 * tenth of a second. With one OpenBLAS thread per pool thread that spin
 * takes cores from the pool's next ops (a MoE layer: the router's sgemm,
 * then the experts' 16-bit GEMMs on the pool; about 15 % of the CPU
 * samples of tessel-bench moe --dtype bf16 were that spin). 2^4, the
 * least OpenBLAS takes, puts them to sleep at once; the next sgemm wakes
 * them, tens of microseconds against GEMMs of milliseconds. A value the
 * user set stays. */
#define TSI_OPENBLAS_THREAD_TIMEOUT "4"

/* dlopen with OPENBLAS_CORETYPE (when core is not NULL) and
 * OPENBLAS_THREAD_TIMEOUT (when set_timeout) set for the constructor only.
 * setenv is not thread-safe against concurrent getenv; this runs once per
 * process, during the first ts_context_create. */
static void *open_with_env(const char *lib, const char *core, bool set_timeout)
{
    if (core)
        setenv("OPENBLAS_CORETYPE", core, 1);
    if (set_timeout)
        setenv("OPENBLAS_THREAD_TIMEOUT", TSI_OPENBLAS_THREAD_TIMEOUT, 1);
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    /* Leave the environment as the user had it: a child process or an
     * OpenBLAS loaded later (a benchmark's baseline) must see their own. */
    if (core)
        unsetenv("OPENBLAS_CORETYPE");
    if (set_timeout)
        unsetenv("OPENBLAS_THREAD_TIMEOUT");
    return h;
}

static void load(const tsi_cpu_features *f, int threads)
{
    const char *lib = getenv("TESSEL_OPENBLAS");
    if (lib && disabled(lib)) {
        snprintf(blas.why_absent, sizeof blas.why_absent, "off (TESSEL_OPENBLAS=%s)", lib);
        return;
    }
    if (!lib || !*lib)
        lib = TSI_OPENBLAS_DEFAULT_LIB;
    const char *user_core = getenv("OPENBLAS_CORETYPE");
    const char *want = tsi_cpu_openblas_core_for(f);
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    if (h)
        blas.core_source = "preloaded";
    else if (user_core && *user_core)
        blas.core_source = "env";
    else
        blas.core_source = want ? "tessel" : "openblas";
    const char *user_timeout = getenv("OPENBLAS_THREAD_TIMEOUT");
    if (!h)
        h = open_with_env(lib, user_core && *user_core ? NULL : want,
                          !(user_timeout && *user_timeout));
    if (!h) {
        snprintf(blas.why_absent, sizeof blas.why_absent, "%s not found", lib);
        return;
    }
    tsi_cblas_sgemm_fn sgemm = (tsi_cblas_sgemm_fn)dlsym(h, "cblas_sgemm");
    char *(*corename)(void) = (char *(*)(void))dlsym(h, "openblas_get_corename");
    void (*set_threads)(int) = (void (*)(int))dlsym(h, "openblas_set_num_threads");
    if (!sgemm) {
        snprintf(blas.why_absent, sizeof blas.why_absent, "%s has no cblas_sgemm", lib);
        dlclose(h);
        return;
    }
    /* One OpenBLAS thread per pool thread: the pool sleeps while sgemm
     * runs, so together they never use more cores than the pool has. */
    if (set_threads)
        set_threads(threads);
    const char *name = corename ? corename() : NULL;
    snprintf(blas.core, sizeof blas.core, "%s", name && *name ? name : "unknown");
    /* An OpenBLAS older than the core tessel asked for ignores the name and
     * runs its own detection: say so rather than claim the choice. */
    if (strcmp(blas.core_source, "tessel") == 0 && name && strcasecmp(name, want) != 0)
        blas.core_source = "openblas (it lacks tessel's choice)";
    blas.sgemm = sgemm;
}

const tsi_cpu_blas *tsi_cpu_blas_get(const tsi_cpu_features *f, int threads)
{
    /* The first caller's values win: every context sees the same machine. */
    pthread_mutex_lock(&blas_lock);
    if (!blas_loaded)
        load(f, threads);
    blas_loaded = true;
    pthread_mutex_unlock(&blas_lock);
    return &blas;
}
