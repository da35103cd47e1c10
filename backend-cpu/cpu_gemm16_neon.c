/* NEON micro-kernel of the 16-bit GEMM (cpu_gemm16.h) for bf16: BFDOT
 * (FEAT_BF16: optional from ARMv8.2, required from 8.6; Apple M2 on,
 * Neoverse V1 / N2) multiplies a k-pair of bf16 per lane and adds both
 * products to an f32 lane, twice the multiply-adds of an f32 FMLA per
 * instruction. A and B come packed as k-pairs (the PAIRS panels of the
 * AVX-512 vdpbf16ps kernel), and the tile is the NEON f32 table's 6 x 8,
 * so that attention's k-pair path (cpu_attention.c) takes it too. Its own
 * translation unit's flags include +bf16; it runs only where the kernel
 * reports HWCAP2_BF16 (cpu_features.c) and, as on x86, where a one-off
 * measurement finds it faster than widening to f32 panels. */
#include <arm_neon.h>
#include <pthread.h>

#include "backend-cpu/cpu_gemm16.h"

#define MR 6
#define NR 8

#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)

#define DECL(i) float32x4_t c##i##0 = vdupq_n_f32(0.0f), c##i##1 = vdupq_n_f32(0.0f);

/* c rows += (acc) and store: the tile is always full (mr x nr). */
#define STORE(i)                                                                                   \
    {                                                                                              \
        float *row = c + (i)*ldc;                                                                  \
        if (acc) {                                                                                 \
            c##i##0 = vaddq_f32(c##i##0, vld1q_f32(row));                                          \
            c##i##1 = vaddq_f32(c##i##1, vld1q_f32(row + 4));                                      \
        }                                                                                          \
        vst1q_f32(row, c##i##0);                                                                   \
        vst1q_f32(row + 4, c##i##1);                                                               \
    }

static bfloat16x8_t load8(const uint16_t *p)
{
    return vreinterpretq_bf16_u16(vld1q_u16(p));
}

/* Rows 0-3 take their k-pair from lane i of a0 (four rows' pairs), rows
 * 4-5 from lane i - 4 of a1 (two rows' pairs). */
#define DOT_LO(i)                                                                                  \
    c##i##0 = vbfdotq_laneq_f32(c##i##0, b0, a0, i);                                               \
    c##i##1 = vbfdotq_laneq_f32(c##i##1, b1, a0, i);
#define DOT_HI(i)                                                                                  \
    c##i##0 = vbfdotq_lane_f32(c##i##0, b0, a1, (i)-4);                                            \
    c##i##1 = vbfdotq_lane_f32(c##i##1, b1, a1, (i)-4);

/* a: [k/2][MR] k-pairs (pairs of bf16), b: [k/2][NR][2]; k even. */
static void bf16dot_micro(size_t k, const void *ap, const void *bp, float *c, size_t ldc, int acc)
{
    const uint16_t *a = ap, *b = bp;
    ROWS(DECL)
    for (size_t q = 0; q < k / 2; q++) {
        bfloat16x8_t b0 = load8(b), b1 = load8(b + 8), a0 = load8(a);
        bfloat16x4_t a1 = vreinterpret_bf16_u16(vld1_u16(a + 8));
        DOT_LO(0) DOT_LO(1) DOT_LO(2) DOT_LO(3) DOT_HI(4) DOT_HI(5) a += 2 * MR;
        b += 2 * NR;
    }
    ROWS(STORE)
}

/* Whether BFDOT beats widening bf16 to f32 panels on this core, measured
 * once, as cpu_gemm16_avx512.c does for vdpbf16ps: cores differ in how
 * fast they run it and the hwcaps do not say. Both kernels run on the same
 * L1-resident panels, interleaved, best of five; BFDOT must win by 15 %
 * (cpu_gemm16.c) to be chosen. */
static float dot_speedup;

static void measure_dot(void)
{
    dot_speedup = tsi_cpu_gemm16_dot_race(bf16dot_micro, &tsi_cpu_kernels_neon, 256);
}

float tsi_cpu_gemm16_neon_dot_speedup(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, measure_dot);
    return dot_speedup;
}

const tsi_cpu_gemm16_kernel tsi_cpu_gemm16_neon_bf16dot = {
    .name = "neon_bf16",
    .mr = MR,
    .nr = NR,
    .kc = 512,
    .kpad = 2,
    .terms = 1,
    .a_panel = TSI_G16_PAIRS,
    .b_panel = TSI_G16_PAIRS,
    .micro = bf16dot_micro,
};
