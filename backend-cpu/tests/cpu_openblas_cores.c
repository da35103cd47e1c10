/* The OpenBLAS core picker (tsi_cpu_openblas_core_for, cpu_features.c):
 * 1. machines described by their cpuid facts map to the core OpenBLAS's
 *    own detection would pick on bare metal (Cooperlake for AVX512_BF16,
 *    Zen for AMD Zen without AVX-512, ...);
 * 2. every core the picker can return, and this machine's choice, is one
 *    the installed OpenBLAS knows: loaded (in a namespace of its own) with
 *    OPENBLAS_CORETYPE set to it, openblas_get_corename() must give it
 *    back; an unknown name would be silently replaced by OpenBLAS's own
 *    detection, which under VMs is often a slow SSE core.
 * Part 2 is skipped (and said so) when libopenblas.so.0 is missing. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend-cpu/cpu_features.h"

typedef struct picker_case {
    const char *what;
    const char *vendor;
    int family;
    bool avx, avx2, fma, avx512, avx512_bf16;
    const char *core; /* NULL: leave OpenBLAS's own choice */
} picker_case;

static const picker_case cases[] = {
    {"Sapphire Rapids / Cooper Lake", "GenuineIntel", 6, true, true, true, true, true,
     "Cooperlake"},
    {"Skylake-SP / Ice Lake", "GenuineIntel", 6, true, true, true, true, false, "SkylakeX"},
    {"Haswell .. Alder Lake", "GenuineIntel", 6, true, true, true, false, false, "Haswell"},
    {"Sandy Bridge", "GenuineIntel", 6, true, false, false, false, false, "Sandybridge"},
    {"no AVX", "GenuineIntel", 6, false, false, false, false, false, NULL},
    {"Zen 1 / Zen 2", "AuthenticAMD", 0x17, true, true, true, false, false, "Zen"},
    {"Zen 3", "AuthenticAMD", 0x19, true, true, true, false, false, "Zen"},
    {"Zen 4", "AuthenticAMD", 0x19, true, true, true, true, true, "Cooperlake"},
    {"Zen 4, BF16 hidden by a VM", "AuthenticAMD", 0x19, true, true, true, true, false, "SkylakeX"},
    {"Zen 5, AVX-512 hidden", "AuthenticAMD", 0x1a, true, true, true, false, false, "Zen"},
    {"Hygon Dhyana", "HygonGenuine", 0x18, true, true, true, false, false, "Zen"},
    {"AMD family 15h (Excavator)", "AuthenticAMD", 0x15, true, true, true, false, false, "Haswell"},
};
#define N_CASES (sizeof cases / sizeof cases[0])

static int check_mapping(void)
{
    int bad = 0;
    for (size_t i = 0; i < N_CASES; i++) {
        const picker_case *c = &cases[i];
        tsi_cpu_features f;
        memset(&f, 0, sizeof f);
        snprintf(f.vendor, sizeof f.vendor, "%s", c->vendor);
        f.family = c->family;
        f.avx = c->avx;
        f.avx2 = c->avx2;
        f.fma = c->fma;
        f.f16c = c->avx2;
        f.avx512 = c->avx512;
        f.avx512_bf16 = c->avx512_bf16;
        const char *got = tsi_cpu_openblas_core_for(&f);
        bool ok = (got == NULL) == (c->core == NULL) && (!got || strcmp(got, c->core) == 0);
        printf("%-4s %-32s -> %s\n", ok ? "ok" : "FAIL", c->what, got ? got : "(openblas's own)");
        bad += !ok;
    }
    return bad;
}

/* Whether this CPU has the instructions of a core the picker can return. */
static bool runnable(const tsi_cpu_features *f, const char *core)
{
    if (strcmp(core, "Cooperlake") == 0)
        return f->avx512_bf16;
    if (strcmp(core, "SkylakeX") == 0)
        return f->avx512;
    if (strcmp(core, "Haswell") == 0 || strcmp(core, "Zen") == 0)
        return f->avx2 && f->fma;
    return f->avx;
}

/* A fresh OpenBLAS with OPENBLAS_CORETYPE=core: 1 if it reports that core,
 * 0 if not, -1 if it cannot be loaded. OpenBLAS may replace a forced core
 * this CPU cannot run (0.3.21 runs Haswell for Cooperlake on an AVX2-only
 * Zen 3), so such a core counts as known when the build holds its kernel
 * table (the exported gotoblas_<CORE>); it is checked by name on a CPU
 * that has its instructions. */
static int openblas_knows(const tsi_cpu_features *here, const char *core)
{
    setenv("OPENBLAS_CORETYPE", core, 1);
    void *lib = dlmopen(LM_ID_NEWLM, "libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
    unsetenv("OPENBLAS_CORETYPE");
    if (!lib)
        return -1;
    char *(*corename)(void) = (char *(*)(void))dlsym(lib, "openblas_get_corename");
    const char *got = corename ? corename() : "";
    int known = strcasecmp(got, core) == 0;
    const char *how = "";
    if (!known && !runnable(here, core)) {
        char table[64];
        snprintf(table, sizeof table, "gotoblas_%s", core);
        for (char *c = table + strlen("gotoblas_"); *c; c++)
            *c = (char)toupper((unsigned char)*c);
        known = dlsym(lib, table) != NULL;
        how = known ? " (this CPU cannot run it; the build has its kernels)"
                    : " (this CPU cannot run it, and the build lacks its kernels)";
    }
    printf("%-4s OpenBLAS with OPENBLAS_CORETYPE=%s runs %s%s\n", known ? "ok" : "FAIL", core, got,
           how);
    /* Left loaded: unloading OpenBLAS with its threads running is unsafe. */
    return known;
}

static int check_known(void)
{
    const char *seen[N_CASES + 1];
    size_t n_seen = 0;
    tsi_cpu_features here;
    tsi_cpu_features_detect(&here);
    const char *mine = tsi_cpu_openblas_core_for(&here);
    if (mine)
        seen[n_seen++] = mine;
    for (size_t i = 0; i < N_CASES; i++) {
        bool dup = cases[i].core == NULL;
        for (size_t j = 0; j < n_seen && !dup; j++)
            dup = strcmp(seen[j], cases[i].core) == 0;
        if (!dup)
            seen[n_seen++] = cases[i].core;
    }
    printf("this machine: %s family 0x%x -> %s\n", here.vendor, (unsigned)here.family,
           mine ? mine : "(openblas's own)");
    int bad = 0;
    for (size_t i = 0; i < n_seen; i++) {
        int k = openblas_knows(&here, seen[i]);
        if (k < 0) {
            printf("skip: libopenblas.so.0 not loadable: %s\n", dlerror());
            return 0;
        }
        bad += !k;
    }
    return bad;
}

int main(void)
{
    /* One thread per OpenBLAS copy: they only report their core here. */
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    int bad = check_mapping() + check_known();
    printf("%s\n", bad ? "FAILED" : "ok");
    return bad ? 1 : 0;
}
