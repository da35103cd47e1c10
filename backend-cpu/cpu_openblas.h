/* OpenBLAS, loaded at run time (libtessel never links it), with its kernel
 * core chosen from tessel's own feature detection.
 *
 * Why: OpenBLAS 0.3.21 (Debian's DYNAMIC_ARCH build) picks its kernels from
 * the CPU model and family, which VMs and new CPUs often hide; it then runs
 * an SSE3 "Prescott" kernel at a fraction of the speed. OpenBLAS reads
 * OPENBLAS_CORETYPE once, in its constructor, so the only reliable lever is
 * to set that variable before the library is loaded. */
#ifndef TESSEL_BACKEND_CPU_OPENBLAS_H
#define TESSEL_BACKEND_CPU_OPENBLAS_H

#include <stdbool.h>

#include "backend-cpu/cpu_features.h"

/* cblas enum values (cblas.h), so no OpenBLAS header is needed to build. */
enum { TSI_CBLAS_ROW_MAJOR = 101, TSI_CBLAS_NO_TRANS = 111, TSI_CBLAS_TRANS = 112 };

typedef void (*tsi_cblas_sgemm_fn)(int order, int trans_a, int trans_b, int m, int n, int k,
                                   float alpha, const float *a, int lda, const float *b, int ldb,
                                   float beta, float *c, int ldc);

typedef struct tsi_cpu_blas {
    tsi_cblas_sgemm_fn sgemm; /* NULL: no OpenBLAS, tessel's own GEMM runs */
    char core[48];            /* openblas_get_corename(): "Haswell" */
    /* Who chose the core: "tessel" (we set OPENBLAS_CORETYPE), "env" (the
     * user did), "preloaded" (the process had OpenBLAS loaded before us),
     * "openblas" (its own detection: no better core known to tessel), or
     * "openblas (it lacks tessel's choice)" (a build older than that core). */
    const char *core_source;
    char why_absent[96]; /* when sgemm is NULL: why */
} tsi_cpu_blas;

/* Load OpenBLAS once per process (later calls return the same result) and
 * give it `threads` threads (process-wide: an application that already
 * uses the same libopenblas shares that setting). Never fails: when the library is missing or
 * TESSEL_OPENBLAS=off, sgemm is NULL. TESSEL_OPENBLAS=<file> loads that
 * file instead of libopenblas.so.0. The library stays loaded until the
 * process exits: unloading OpenBLAS with its thread pool running is unsafe. */
const tsi_cpu_blas *tsi_cpu_blas_get(const tsi_cpu_features *f, int threads);

#endif
