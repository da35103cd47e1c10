/* Eight horizontal sums at once for the x86 SIMD variants (their
 * vf_hsum8): flash-decoding's score rows end in eight accumulators per
 * pair of keys. One reduction each (a shuffle-and-add chain per vector)
 * was heavy: leaving them out (wrong sums, timing only) made an f16
 * decode step about a third faster on a Zen 4. A hadd tree over all
 * eight shares the shuffles. Included by cpu_simd_avx2.c and
 * cpu_simd_avx512.c, compiled with AVX2 or more. */
#ifndef TESSEL_CPU_SIMD_X86_HSUM_H
#define TESSEL_CPU_SIMD_X86_HSUM_H

#include <immintrin.h>

/* out[i] = sum of y[i]'s 8 lanes, i < 8. */
static inline void tsi_x86_hsum8x8(const __m256 *y, float *out)
{
    /* hadd(a, b) = a01 a23 b01 b23 | a45 a67 b45 b67: two levels leave
     * each 128-bit half with one partial sum per vector, then the halves
     * add. */
    __m256 t0 = _mm256_hadd_ps(y[0], y[1]), t1 = _mm256_hadd_ps(y[2], y[3]);
    __m256 t2 = _mm256_hadd_ps(y[4], y[5]), t3 = _mm256_hadd_ps(y[6], y[7]);
    __m256 u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3);
    _mm256_storeu_ps(out, _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20),
                                        _mm256_permute2f128_ps(u0, u1, 0x31)));
}

#endif
