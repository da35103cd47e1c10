/* What the processor and the OS let the CPU backend use, decided once at
 * run time: the SIMD level for the kernel table, and the OpenBLAS core to
 * ask for. */
#ifndef TESSEL_BACKEND_CPU_FEATURES_H
#define TESSEL_BACKEND_CPU_FEATURES_H

#include <stdbool.h>
#include <stddef.h>

typedef enum tsi_cpu_simd {
    TSI_CPU_SIMD_SCALAR = 0,
    TSI_CPU_SIMD_AVX2,   /* AVX2 + FMA + F16C, OS saves YMM */
    TSI_CPU_SIMD_AVX512, /* + AVX-512 F/BW/VL/DQ, OS saves ZMM and opmask */
    TSI_CPU_SIMD_NEON    /* aarch64 Advanced SIMD (always present there) */
} tsi_cpu_simd;

typedef struct tsi_cpu_features {
    char vendor[16]; /* cpuid vendor string ("AuthenticAMD"); "" when unknown */
    char name[128];  /* /proc/cpuinfo model name, or "CPU" */
    int family;      /* x86 display family (0x19: Zen 3 / Zen 4), else 0 */
    /* Instruction sets usable right now: CPU flag AND OS register state. */
    bool avx, avx2, fma, f16c, avx512; /* avx512 = F+BW+VL+DQ together */
    /* Extensions on top of avx512 (the 16-bit GEMM kernels, cpu_gemm16.c). */
    bool avx512_bf16, avx512_fp16;
    /* AMX tiles with bf16 (cpuid AMX-TILE + AMX-BF16, XCR0 tile state); the
     * OS may still refuse them per process (cpu_gemm16_amx.c asks). */
    bool amx_bf16;
    /* aarch64: BFDOT (FEAT_BF16, the kernel's HWCAP2_BF16). */
    bool neon_bf16;
    tsi_cpu_simd best;                 /* highest level the machine runs */
    tsi_cpu_simd simd;                 /* chosen: best, lowered by TESSEL_CPU_SIMD */
} tsi_cpu_features;

/* Detect (cheap; no caching needed) and apply TESSEL_CPU_SIMD. A request
 * above what the machine runs is ignored: the override only lowers. */
void tsi_cpu_features_detect(tsi_cpu_features *out);

/* "avx2", "avx512", "neon", "scalar": also the TESSEL_CPU_SIMD values. */
const char *tsi_cpu_simd_label(tsi_cpu_simd level);

/* The OPENBLAS_CORETYPE matching the detected instruction sets and vendor
 * ("Cooperlake", "SkylakeX", "Zen", "Haswell", "Sandybridge"), or NULL to
 * leave OpenBLAS's own choice. */
const char *tsi_cpu_openblas_core_for(const tsi_cpu_features *f);

#endif
