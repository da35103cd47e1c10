/* AVX-512 micro-kernels of the 16-bit GEMM (cpu_gemm16.h), 14 x 32 tiles:
 * 28 accumulators, two B vectors and A broadcast straight from memory fill
 * the 32 ZMM registers. Every kernel accumulates in f32.
 * - bf16dp: vdpbf16ps (AVX512_BF16) multiplies a k-pair of bf16 per lane
 *   and adds both products to an f32 lane, twice the multiply-adds of an
 *   f32 FMA per instruction. A and B come packed as k-pairs. Its own
 *   translation unit's flags include -mavx512bf16; it runs only when
 *   cpu_features.c found the extension.
 * - f16 / bf16 through f32 panels: both operands widened while packing,
 *   then the SIMD table's f32 micro-kernel (.micro NULL), the own f32
 *   GEMM's, with its A prefetch. Widening B in registers instead
 *   (vcvtph2ps per B vector) measured 0.65x of this here: the conversions
 *   compete with the FMAs for port 5. f16 is not run through AVX512-FP16
 *   arithmetic: that accumulates in f16, and tessel requires f32
 *   accumulation (DESIGN.md, Correctness). */
#include <immintrin.h>
#include <pthread.h>

#include "backend-cpu/cpu_gemm16.h"

#define MR 14
#define NR 32

#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13)

#define DECL(i) __m512 c##i##0 = _mm512_setzero_ps(), c##i##1 = _mm512_setzero_ps();

/* c rows += (acc) and store: the tile is always full (mr x nr). */
#define STORE(i)                                                                                   \
    {                                                                                              \
        float *row = c + (i) * ldc;                                                                \
        if (acc) {                                                                                 \
            c##i##0 = _mm512_add_ps(c##i##0, _mm512_loadu_ps(row));                                \
            c##i##1 = _mm512_add_ps(c##i##1, _mm512_loadu_ps(row + 16));                           \
        }                                                                                          \
        _mm512_storeu_ps(row, c##i##0);                                                            \
        _mm512_storeu_ps(row + 16, c##i##1);                                                       \
    }

#define DP(i)                                                                                      \
    {                                                                                              \
        __m512bh ai = (__m512bh)_mm512_set1_epi32((int)a[i]);                                      \
        c##i##0 = _mm512_dpbf16_ps(c##i##0, ai, b0);                                               \
        c##i##1 = _mm512_dpbf16_ps(c##i##1, ai, b1);                                               \
    }

/* a: [k/2][MR] k-pairs (32-bit words), b: [k/2][NR][2]; k even. */
static void bf16dp_micro(size_t k, const void *ap, const void *bp, float *c, size_t ldc, int acc)
{
    const uint32_t *a = ap;
    const uint16_t *b = bp;
    ROWS(DECL)
    for (size_t q = 0; q < k / 2; q++) {
        __m512bh b0 = (__m512bh)_mm512_loadu_si512(b);
        __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + 32);
        ROWS(DP)
        a += MR;
        b += 2 * NR;
    }
    ROWS(STORE)
}

/* Whether vdpbf16ps beats widening bf16 to f32 panels on this core,
 * measured once: the instruction does twice an FMA's multiply-adds, but
 * some cores run it at a fraction of the FMA rate (one measured here ran
 * the bf16 kernel at 0.4x the f32 one), and cpuid does not say which.
 * Both kernels run on the same L1-resident panels, interleaved, best of
 * five; the dot kernel must win by 15 % to be chosen, so noise on a busy
 * machine falls back to the f32 kernel, which is never slow. */
static float dot_speedup;

static void measure_dot(void)
{
    dot_speedup = tsi_cpu_gemm16_dot_race(bf16dp_micro, &tsi_cpu_kernels_avx512, 128);
}

float tsi_cpu_gemm16_avx512_dot_speedup(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, measure_dot);
    return dot_speedup;
}

/* kc 768: each depth block ends with a pass over the f32 accumulation
 * block, so deep blocks pay; the B micro-panel then comes from L2, which
 * these kernels' rate allows (as in cpu_gemm.c's blocking_for). Against
 * the L1-sized depths before (384 bf16, 192 f32), over OpenBLAS f32 on a
 * 2-core Zen 4 (32 KiB L1), two runs alternating the builds: bf16 2048^3
 * 1.59-1.60 -> 1.74-1.79, 4096x512x14336 1.53-1.66 -> 1.72-1.77; f16
 * 0.86-0.91 -> 0.81-0.93 and 0.78-0.85 -> 0.90-0.92. 1024 measured about
 * the same, 2048 no better. */
const tsi_cpu_gemm16_kernel tsi_cpu_gemm16_avx512_bf16dp = {
    .name = "avx512_bf16",
    .mr = MR,
    .nr = NR,
    .kc = 768,
    .kpad = 2,
    .terms = 1,
    .a_panel = TSI_G16_PAIRS,
    .b_panel = TSI_G16_PAIRS,
    .micro = bf16dp_micro,
};

const tsi_cpu_gemm16_kernel tsi_cpu_gemm16_avx512_f16 = {
    .name = "avx512 f16c->f32",
    .mr = MR,
    .nr = NR,
    .kc = 768,
    .kpad = 1,
    .terms = 1,
    .a_panel = TSI_G16_F32,
    .b_panel = TSI_G16_F32,
    .micro = NULL,
};

const tsi_cpu_gemm16_kernel tsi_cpu_gemm16_avx512_bf16 = {
    .name = "avx512 bf16->f32",
    .mr = MR,
    .nr = NR,
    .kc = 768,
    .kpad = 1,
    .terms = 1,
    .a_panel = TSI_G16_F32,
    .b_panel = TSI_G16_F32,
    .micro = NULL,
};
