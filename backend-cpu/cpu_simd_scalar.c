/* Portable kernels: the shared vector code of cpu_simd_kernels.inc
 * instantiated with one-lane "vectors" (plain floats). The floor on every
 * machine, and what TESSEL_CPU_SIMD=scalar selects for comparisons. Also
 * holds tsi_cpu_kernels_for, which maps a detected level to its table. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "backend-cpu/cpu_internal.h"
#include "core/half.h"

typedef float vf;
typedef int32_t vi;
typedef int vm;
#define VW 1

static inline vi s_as_vi(vf x)
{
    vi i;
    memcpy(&i, &x, sizeof i);
    return i;
}

static inline vf s_as_vf(vi i)
{
    vf x;
    memcpy(&x, &i, sizeof x);
    return x;
}

/* Like cvttps2dq: NaN and out-of-range give INT32_MIN, never C's UB. */
static inline vi s_trunc(vf x)
{
    if (!(x > -2147483648.0f && x < 2147483648.0f))
        return INT32_MIN;
    return (vi)x;
}

#define vf_load(p) (*(p))
#define vf_store(p, v) (*(p) = (v))
#define vf_set1(x) ((float)(x))
#define vf_zero() 0.0f
#define vf_add(a, b) ((a) + (b))
#define vf_sub(a, b) ((a) - (b))
#define vf_mul(a, b) ((a) * (b))
#define vf_div(a, b) ((a) / (b))
/* x86 operand order: the second operand wins when either is NaN. */
#define vf_min(a, b) ((a) < (b) ? (a) : (b))
#define vf_max(a, b) ((a) > (b) ? (a) : (b))
#define vf_sqrt(a) sqrtf(a)
#define vf_fma(a, b, c) fmaf((a), (b), (c))
#define vf_fnma(a, b, c) fmaf(-(a), (b), (c))
#define vf_abs(a) fabsf(a)
#define vf_neg(a) (-(a))
#define vf_copysign(mag, sgn) copysignf((mag), (sgn))
#define vf_round(a) rintf(a)
#define vf_select(m, a, b) ((m) ? (a) : (b))
#define vm_lt(a, b) ((a) < (b))
#define vm_gt(a, b) ((a) > (b))
#define vm_eq(a, b) ((a) == (b))
#define vm_unord(a, b) (isnan(a) || isnan(b))
#define vi_set1(x) ((vi)(x))
#define vi_add(a, b) ((vi)((uint32_t)(a) + (uint32_t)(b)))
#define vi_slli(a, n) ((vi)((uint32_t)(a) << (n)))
#define vi_srli(a, n) ((vi)((uint32_t)(a) >> (n)))
#define vi_and(a, b) ((a) & (b))
#define vi_or(a, b) ((a) | (b))
#define vi_from_vf(a) s_trunc(a)
#define vf_from_vi(a) ((float)(a))
#define vf_as_vi(a) s_as_vi(a)
#define vi_as_vf(a) s_as_vf(a)
#define vf_hsum(a) (a)

static void k_f16_to_f32(const uint16_t *s, float *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] = tsi_f16_to_f32(s[i]);
}

static void k_f32_to_f16(const float *s, uint16_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] = tsi_f32_to_f16(s[i]);
}

static void k_bf16_to_f32(const uint16_t *s, float *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] = tsi_bf16_to_f32(s[i]);
}

static void k_f32_to_bf16(const float *s, uint16_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] = tsi_f32_to_bf16(s[i]);
}

#define TSI_SIMD_TABLE tsi_cpu_kernels_scalar
#define TSI_SIMD_LEVEL TSI_CPU_SIMD_SCALAR
#include "backend-cpu/cpu_simd_kernels.inc"

const tsi_cpu_kernels *tsi_cpu_kernels_for(tsi_cpu_simd level)
{
    switch (level) {
#if defined(__x86_64__)
    case TSI_CPU_SIMD_AVX2:
        return &tsi_cpu_kernels_avx2;
    case TSI_CPU_SIMD_AVX512:
        return &tsi_cpu_kernels_avx512;
#endif
#if defined(__aarch64__)
    case TSI_CPU_SIMD_NEON:
        return &tsi_cpu_kernels_neon;
#endif
    default:
        return &tsi_cpu_kernels_scalar;
    }
}
