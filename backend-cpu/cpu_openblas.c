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

/* dlopen with OPENBLAS_CORETYPE set for the constructor only. setenv is
 * not thread-safe against concurrent getenv; this runs once per process,
 * during the first ts_context_create. */
static void *open_with_core(const char *lib, const char *core)
{
    if (!core)
        return dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    setenv("OPENBLAS_CORETYPE", core, 1);
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    /* Leave the environment as the user had it: a child process or an
     * OpenBLAS loaded later (a benchmark's baseline) must see their own. */
    unsetenv("OPENBLAS_CORETYPE");
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
    if (!h)
        h = open_with_core(lib, user_core && *user_core ? NULL : want);
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
