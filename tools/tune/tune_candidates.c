/* The candidate values tessel-tune tries: one line per set, tried on the
 * devices its backends and kinds name. A new key or value is one line
 * here (and the key in core/tuning_defaults.txt, which decides where the
 * group applies). The built-in values are always tried first and win ties
 * within the noise margin, so a candidate only has to be plausible.
 *
 * Kinds: "cpu" is a CPU-type device (the CPU backend, lavapipe, PoCL),
 * where the GEMM reads operands directly (gemm.shared=0) and a workgroup
 * runs on one thread; "gpu" is everything else. */
#include <string.h>

#include "tune.h"

#define CPUK "cpu"
#define GPUK "gpu"
#define GPU_BACKENDS "vulkan opencl"
/* CLBlast's 16 Xgemm parameters, GEMMK=0 KREG=1 (the plain kernel), no
 * local-memory staging (SA=SB=0: CPU drivers emulate it) and strided
 * stores, which CLBlast's CPU entries use. */
#define XGEMM(mwg, nwg, kwg, mdimc, ndimc, mdima, ndimb, kwi, vwm, vwn)                            \
    "clblast.xgemm.gemmk=0 clblast.xgemm.kreg=1 clblast.xgemm.kwg=" #kwg                           \
    " clblast.xgemm.kwi=" #kwi " clblast.xgemm.mdima=" #mdima " clblast.xgemm.mdimc=" #mdimc       \
    " clblast.xgemm.mwg=" #mwg " clblast.xgemm.ndimb=" #ndimb " clblast.xgemm.ndimc=" #ndimc       \
    " clblast.xgemm.nwg=" #nwg " clblast.xgemm.sa=0 clblast.xgemm.sb=0 clblast.xgemm.strm=1"       \
    " clblast.xgemm.strn=1 clblast.xgemm.vwm=" #vwm " clblast.xgemm.vwn=" #vwn

/* clang-format off */
const tune_candidate tune_candidates[] = {
    /* GEMM, CPU-type drivers: operands read directly; outputs per
     * invocation decide the vector width the driver's compiler finds. */
    /* One row-block high (wptm = bm): a's loads are uniform across the
     * workgroup, which newer llvmpipe issues once for all SIMD lanes. */
    {"gemm", GPU_BACKENDS, CPUK, true, "gemm.bm=16 gemm.bn=64 gemm.bk=16 gemm.wptm=16 gemm.wptn=4 gemm.shared=0 gemm.vec=4"},
    /* 16 x 8 per invocation, 8 invocations (one SIMD batch on llvmpipe,
     * fewer loads per product): there 1024^3 f32 1.34x the row above but
     * f16 0.74x (interleaved, 2026-12-04), so the tuner decides. */
    {"gemm", GPU_BACKENDS, CPUK, true, "gemm.bm=16 gemm.bn=64 gemm.bk=16 gemm.wptm=16 gemm.wptn=8 gemm.shared=0 gemm.vec=4"},
    {"gemm", GPU_BACKENDS, CPUK, false, "gemm.bm=16 gemm.bn=128 gemm.bk=16 gemm.wptm=16 gemm.wptn=4 gemm.shared=0 gemm.vec=4"},
    {"gemm", GPU_BACKENDS, CPUK, false, "gemm.bm=8 gemm.bn=64 gemm.bk=16 gemm.wptm=8 gemm.wptn=8 gemm.shared=0 gemm.vec=4"},
    {"gemm", GPU_BACKENDS, CPUK, false, "gemm.bm=64 gemm.bn=64 gemm.bk=16 gemm.wptm=8 gemm.wptn=4 gemm.shared=0 gemm.vec=1"},
    {"gemm", GPU_BACKENDS, CPUK, true, "gemm.bm=64 gemm.bn=64 gemm.bk=16 gemm.wptm=8 gemm.wptn=4 gemm.shared=0 gemm.vec=4"},
    {"gemm", GPU_BACKENDS, CPUK, true, "gemm.bm=32 gemm.bn=32 gemm.bk=16 gemm.wptm=8 gemm.wptn=8 gemm.shared=0 gemm.vec=1"},
    {"gemm", GPU_BACKENDS, CPUK, true, "gemm.bm=32 gemm.bn=32 gemm.bk=16 gemm.wptm=8 gemm.wptn=8 gemm.shared=0 gemm.vec=4"},
    {"gemm", GPU_BACKENDS, CPUK, true, "gemm.bm=64 gemm.bn=64 gemm.bk=16 gemm.wptm=8 gemm.wptn=8 gemm.shared=0 gemm.vec=4"},
    {"gemm", GPU_BACKENDS, CPUK, false, "gemm.bm=64 gemm.bn=64 gemm.bk=16 gemm.wptm=4 gemm.wptn=4 gemm.shared=0 gemm.vec=1"},
    {"gemm", GPU_BACKENDS, CPUK, false, "gemm.bm=32 gemm.bn=64 gemm.bk=16 gemm.wptm=4 gemm.wptn=8 gemm.shared=0 gemm.vec=4"},
    {"gemm", GPU_BACKENDS, CPUK, false, "gemm.bm=128 gemm.bn=64 gemm.bk=16 gemm.wptm=8 gemm.wptn=8 gemm.shared=0 gemm.vec=4"},
    {"gemm", GPU_BACKENDS, CPUK, false, "gemm.bm=64 gemm.bn=32 gemm.bk=16 gemm.wptm=8 gemm.wptn=4 gemm.shared=0 gemm.vec=4"},
    {"gemm", GPU_BACKENDS, CPUK, false, "gemm.bm=32 gemm.bn=32 gemm.bk=16 gemm.wptm=4 gemm.wptn=4 gemm.shared=1 gemm.vec=1"},
    /* GEMM, GPUs: K slices staged in shared memory. */
    {"gemm", GPU_BACKENDS, GPUK, true, "gemm.bm=64 gemm.bn=64 gemm.bk=16 gemm.wptm=4 gemm.wptn=4 gemm.shared=1 gemm.vec=1"},
    {"gemm", GPU_BACKENDS, GPUK, true, "gemm.bm=64 gemm.bn=64 gemm.bk=16 gemm.wptm=4 gemm.wptn=4 gemm.shared=1 gemm.vec=4"},
    {"gemm", GPU_BACKENDS, GPUK, true, "gemm.bm=128 gemm.bn=128 gemm.bk=16 gemm.wptm=8 gemm.wptn=8 gemm.shared=1 gemm.vec=4"},
    {"gemm", GPU_BACKENDS, GPUK, true, "gemm.bm=128 gemm.bn=64 gemm.bk=16 gemm.wptm=8 gemm.wptn=4 gemm.shared=1 gemm.vec=4"},
    {"gemm", GPU_BACKENDS, GPUK, false, "gemm.bm=64 gemm.bn=64 gemm.bk=32 gemm.wptm=4 gemm.wptn=4 gemm.shared=1 gemm.vec=4"},
    {"gemm", GPU_BACKENDS, GPUK, false, "gemm.bm=32 gemm.bn=64 gemm.bk=16 gemm.wptm=4 gemm.wptn=4 gemm.shared=1 gemm.vec=4"},
    {"gemm", GPU_BACKENDS, GPUK, false, "gemm.bm=32 gemm.bn=32 gemm.bk=8 gemm.wptm=2 gemm.wptn=2 gemm.shared=1 gemm.vec=1"},
    {"gemm", GPU_BACKENDS, GPUK, false, "gemm.bm=128 gemm.bn=128 gemm.bk=8 gemm.wptm=8 gemm.wptn=8 gemm.shared=1 gemm.vec=4"},

    /* GEMM tiles for f16 / bf16 operands (gemm16.*, read over gemm.*):
     * their loads and conversions differ from f32's, and so can the best
     * tile (llvmpipe: 16 x 4 for f16, 16 x 8 for f32). */
    {"gemm16", GPU_BACKENDS, CPUK, true, "gemm16.bm=16 gemm16.bn=64 gemm16.bk=16 gemm16.wptm=16 gemm16.wptn=4 gemm16.shared=0 gemm16.vec=4"},
    {"gemm16", GPU_BACKENDS, CPUK, true, "gemm16.bm=16 gemm16.bn=64 gemm16.bk=16 gemm16.wptm=16 gemm16.wptn=8 gemm16.shared=0 gemm16.vec=4"},
    {"gemm16", GPU_BACKENDS, CPUK, false, "gemm16.bm=16 gemm16.bn=128 gemm16.bk=16 gemm16.wptm=16 gemm16.wptn=8 gemm16.shared=0 gemm16.vec=4"},
    {"gemm16", GPU_BACKENDS, CPUK, false, "gemm16.bm=32 gemm16.bn=64 gemm16.bk=16 gemm16.wptm=32 gemm16.wptn=4 gemm16.shared=0 gemm16.vec=4"},
    {"gemm16", GPU_BACKENDS, CPUK, false, "gemm16.bm=8 gemm16.bn=64 gemm16.bk=16 gemm16.wptm=8 gemm16.wptn=8 gemm16.shared=0 gemm16.vec=4"},
    {"gemm16", GPU_BACKENDS, CPUK, false, "gemm16.bm=64 gemm16.bn=64 gemm16.bk=16 gemm16.wptm=8 gemm16.wptn=4 gemm16.shared=0 gemm16.vec=1"},
    {"gemm16", GPU_BACKENDS, GPUK, true, "gemm16.bm=64 gemm16.bn=64 gemm16.bk=16 gemm16.wptm=4 gemm16.wptn=4 gemm16.shared=1 gemm16.vec=1"},
    {"gemm16", GPU_BACKENDS, GPUK, true, "gemm16.bm=64 gemm16.bn=64 gemm16.bk=16 gemm16.wptm=4 gemm16.wptn=4 gemm16.shared=1 gemm16.vec=4"},
    {"gemm16", GPU_BACKENDS, GPUK, true, "gemm16.bm=128 gemm16.bn=128 gemm16.bk=16 gemm16.wptm=8 gemm16.wptn=8 gemm16.shared=1 gemm16.vec=4"},
    {"gemm16", GPU_BACKENDS, GPUK, true, "gemm16.bm=128 gemm16.bn=64 gemm16.bk=16 gemm16.wptm=8 gemm16.wptn=4 gemm16.shared=1 gemm16.vec=4"},
    {"gemm16", GPU_BACKENDS, GPUK, false, "gemm16.bm=32 gemm16.bn=64 gemm16.bk=16 gemm16.wptm=4 gemm16.wptn=4 gemm16.shared=1 gemm16.vec=4"},
    {"gemm16", GPU_BACKENDS, GPUK, false, "gemm16.bm=32 gemm16.bn=32 gemm16.bk=16 gemm16.wptm=2 gemm16.wptn=2 gemm16.shared=1 gemm16.vec=1"},

    /* Attention tiles (query rows per workgroup, keys per step). */
    /* One query row per invocation (CPU drivers: SIMD lanes of one
     * thread); k_tile only rounds the key range there. */
    {"attention", GPU_BACKENDS, CPUK, true, "attention.rows=1 attention.q_tile=32 attention.k_tile=64"},
    {"attention", GPU_BACKENDS, CPUK, false, "attention.rows=1 attention.q_tile=64 attention.k_tile=64"},
    {"attention", GPU_BACKENDS, CPUK, false, "attention.rows=1 attention.q_tile=16 attention.k_tile=64"},
    {"attention", GPU_BACKENDS, NULL, true, "attention.q_tile=16 attention.k_tile=64"},
    {"attention", GPU_BACKENDS, NULL, true, "attention.q_tile=32 attention.k_tile=32"},
    {"attention", GPU_BACKENDS, NULL, true, "attention.q_tile=32 attention.k_tile=64"},
    {"attention", GPU_BACKENDS, NULL, true, "attention.q_tile=64 attention.k_tile=64"},
    {"attention", GPU_BACKENDS, NULL, false, "attention.q_tile=16 attention.k_tile=32"},
    {"attention", GPU_BACKENDS, NULL, false, "attention.q_tile=64 attention.k_tile=32"},
    {"attention", GPU_BACKENDS, GPUK, false, "attention.q_tile=64 attention.k_tile=128"},
    /* CPU backend: tiles per task, shrunk to the cache budget. */
    {"attention", "cpu", NULL, true, "attention.q_tile=56 attention.k_tile=512"},
    {"attention", "cpu", NULL, true, "attention.q_tile=28 attention.k_tile=512"},
    {"attention", "cpu", NULL, true, "attention.q_tile=56 attention.k_tile=256"},
    {"attention", "cpu", NULL, true, "attention.q_tile=96 attention.k_tile=128"},
    {"attention", "cpu", NULL, true, "attention.q_tile=64 attention.k_tile=128"},
    {"attention", "cpu", NULL, true, "attention.q_tile=128 attention.k_tile=128"},
    {"attention", "cpu", NULL, true, "attention.q_tile=96 attention.k_tile=64"},
    {"attention", "cpu", NULL, false, "attention.q_tile=64 attention.k_tile=256"},
    {"attention", "cpu", NULL, false, "attention.q_tile=48 attention.k_tile=128"},

    /* Row ops (norms, softmax): workgroup per row; device-wide, so each
     * candidate opens the device afresh. */
    {"rows", GPU_BACKENDS, NULL, true, "row_wg=64"},
    {"rows", GPU_BACKENDS, NULL, true, "row_wg=128"},
    {"rows", GPU_BACKENDS, NULL, true, "row_wg=256"},
    {"rows", GPU_BACKENDS, NULL, false, "row_wg=32"},
    {"rows", GPU_BACKENDS, GPUK, false, "row_wg=512"},

    /* CLBlast's Xgemm (OpenCL): complete sets only, CLBlast refuses partial
     * ones (backend-opencl/cl_clblast_tune.c); kept only where they beat
     * CLBlast's own database. Each must satisfy CLBlast's constraints:
     * MWG % (MDIMC*VWM) = MWG % (MDIMA*VWM) = 0, the same for N with NDIMC,
     * NDIMB and VWN, and KWG a multiple of KWI and of MDIMC*NDIMC/MDIMA and
     * MDIMC*NDIMC/NDIMB. Not in --quick on CPU drivers: PoCL compiles
     * CLBlast's kernels for each set (about a minute each on 2 cores). */
    {"clblast", "opencl", CPUK, false, XGEMM(64, 64, 32, 8, 8, 8, 8, 2, 4, 4)},
    {"clblast", "opencl", CPUK, false, XGEMM(32, 32, 16, 8, 8, 8, 8, 2, 2, 2)},
    {"clblast", "opencl", CPUK, false, XGEMM(64, 64, 16, 16, 16, 16, 16, 2, 4, 4)},
    {"clblast", "opencl", CPUK, false, XGEMM(128, 128, 32, 16, 16, 16, 16, 2, 8, 8)},
    {"clblast", "opencl", GPUK, true, XGEMM(64, 64, 16, 16, 16, 16, 16, 2, 4, 4)},
    {"clblast", "opencl", GPUK, true, XGEMM(128, 128, 16, 16, 16, 16, 16, 2, 4, 4)},
    {"clblast", "opencl", GPUK, false, XGEMM(64, 128, 32, 16, 8, 16, 8, 2, 2, 4)},

    /* Long convolution: the largest filter that still runs direct; scored
     * from one timing of each path per filter length (a crossover). */
    {"fftconv", NULL, NULL, true, "fftconv.direct_max_taps=16"},
    {"fftconv", NULL, NULL, true, "fftconv.direct_max_taps=64"},
    {"fftconv", NULL, NULL, true, "fftconv.direct_max_taps=256"},
    {"fftconv", NULL, NULL, false, "fftconv.direct_max_taps=32"},
    {"fftconv", NULL, NULL, false, "fftconv.direct_max_taps=128"},
    {"fftconv", NULL, NULL, false, "fftconv.direct_max_taps=512"},
    {"fftconv", NULL, NULL, false, "fftconv.direct_max_taps=1024"},
};
/* clang-format on */
const int tune_candidate_count = (int)(sizeof tune_candidates / sizeof tune_candidates[0]);

bool tune_listed(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

bool tune_candidate_fits(const tune_candidate *c, const ts_device_info *info)
{
    if (c->backends && !tune_listed(c->backends, info->backend))
        return false;
    if (!c->kinds)
        return true;
    bool cpu_like = info->kind == TS_DEVICE_CPU || info->kind == TS_DEVICE_SOFTWARE;
    return strcmp(c->kinds, CPUK) == 0 ? cpu_like : !cpu_like;
}
