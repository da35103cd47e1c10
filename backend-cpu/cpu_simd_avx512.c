/* AVX-512 kernels (16 lanes; F, BW, VL, DQ and F16C). The only translation
 * unit built with -mavx512*; it runs only when cpu_features.c found the
 * whole set and the OS saves ZMM and opmask state. */
#include <immintrin.h>

#include "backend-cpu/cpu_internal.h"
#include "backend-cpu/cpu_simd_x86_hsum.h"
#include "core/half.h"

typedef __m512 vf;
typedef __m512i vi;
typedef __mmask16 vm;
#define VW 16

#define vf_load(p) _mm512_loadu_ps(p)
#define vf_store(p, v) _mm512_storeu_ps((p), (v))
#define vf_set1(x) _mm512_set1_ps(x)
#define vf_zero() _mm512_setzero_ps()
#define vf_add _mm512_add_ps
#define vf_sub _mm512_sub_ps
#define vf_mul _mm512_mul_ps
#define vf_div _mm512_div_ps
#define vf_min _mm512_min_ps
#define vf_max _mm512_max_ps
#define vf_sqrt _mm512_sqrt_ps
#define vf_fma(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define vf_fnma(a, b, c) _mm512_fnmadd_ps((a), (b), (c))
#define vf_abs(v) _mm512_abs_ps(v)
#define vf_neg(v) _mm512_xor_ps((v), _mm512_set1_ps(-0.0f))
#define vf_copysign(mag, sgn)                                                                      \
    _mm512_or_ps(_mm512_abs_ps(mag), _mm512_and_ps((sgn), _mm512_set1_ps(-0.0f)))
#define vf_round(v) _mm512_roundscale_ps((v), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define vf_select(m, a, b) _mm512_mask_blend_ps((m), (b), (a))
#define vm_lt(a, b) _mm512_cmp_ps_mask((a), (b), _CMP_LT_OQ)
#define vm_gt(a, b) _mm512_cmp_ps_mask((a), (b), _CMP_GT_OQ)
#define vm_eq(a, b) _mm512_cmp_ps_mask((a), (b), _CMP_EQ_OQ)
#define vm_unord(a, b) _mm512_cmp_ps_mask((a), (b), _CMP_UNORD_Q)
#define vi_set1 _mm512_set1_epi32
#define vi_add _mm512_add_epi32
#define vi_slli _mm512_slli_epi32
#define vi_srli _mm512_srli_epi32
#define vi_and _mm512_and_si512
#define vi_or _mm512_or_si512
#define vi_from_vf _mm512_cvttps_epi32
#define vf_from_vi _mm512_cvtepi32_ps
#define vf_as_vi _mm512_castps_si512
#define vi_as_vf _mm512_castsi512_ps
#define vf_hsum _mm512_reduce_add_ps
#define vf_hmax _mm512_reduce_max_ps
#define vf_scalef _mm512_scalef_ps
/* Widening loads of 16 halves (the decode kernels read f16 / bf16 K, V). */
#define vf_load_f16(p) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(p)))
#define vf_load_bf16(p)                                                                            \
    _mm512_castsi512_ps(_mm512_slli_epi32(                                                         \
        _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(p))), 16))

/* Each vector's two 256-bit halves added, then the AVX2 tree. */
static inline void k_hsum8(const __m512 *v, float *out)
{
    __m256 y[8];
    for (int i = 0; i < 8; i++)
        y[i] = _mm256_add_ps(_mm512_castps512_ps256(v[i]),
                             _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v[i]), 1)));
    tsi_x86_hsum8x8(y, out);
}
#define vf_hsum8(v, out) k_hsum8((v), (out))

static void k_f16_to_f32(const uint16_t *s, float *d, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(d + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(s + i))));
    for (; i < n; i++)
        d[i] = tsi_f16_to_f32(s[i]);
}

static void k_f32_to_f16(const float *s, uint16_t *d, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256(
            (__m256i *)(d + i),
            _mm512_cvtps_ph(_mm512_loadu_ps(s + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    for (; i < n; i++)
        d[i] = tsi_f32_to_f16(s[i]);
}

static void k_bf16_to_f32(const uint16_t *s, float *d, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i w = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(s + i)));
        _mm512_storeu_ps(d + i, _mm512_castsi512_ps(_mm512_slli_epi32(w, 16)));
    }
    for (; i < n; i++)
        d[i] = tsi_bf16_to_f32(s[i]);
}

/* Round to nearest-even by adding 0x7fff + lsb; NaN keeps its top bits
 * with the quiet bit set (as core/half.h does). */
static void k_f32_to_bf16(const float *s, uint16_t *d, size_t n)
{
    const __m512i one = _mm512_set1_epi32(1), bias = _mm512_set1_epi32(0x7fff);
    const __m512i absmask = _mm512_set1_epi32(0x7fffffff), inf = _mm512_set1_epi32(0x7f800000);
    const __m512i quiet = _mm512_set1_epi32(0x40);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i u = _mm512_castps_si512(_mm512_loadu_ps(s + i));
        __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), one);
        __m512i r = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(u, bias), lsb), 16);
        __mmask16 nan = _mm512_cmpgt_epi32_mask(_mm512_and_si512(u, absmask), inf);
        __m512i q = _mm512_or_si512(_mm512_srli_epi32(u, 16), quiet);
        r = _mm512_mask_blend_epi32(nan, r, q);
        _mm256_storeu_si256((__m256i *)(d + i), _mm512_cvtepi32_epi16(r));
    }
    for (; i < n; i++)
        d[i] = tsi_f32_to_bf16(s[i]);
}

/* GEMM (cpu_gemm_kernels.inc): 14 x 32 tiles, masked partial vectors and
 * a 16 x 16 transpose for packing. */
#define K_GEMM_MR 14
#define K_GEMM_NV 2
#define vf_load_n(p, n) _mm512_maskz_loadu_ps((__mmask16)((1u << (n)) - 1u), (p))
#define vf_store_n(p, v, n) _mm512_mask_storeu_ps((p), (__mmask16)((1u << (n)) - 1u), (v))
#define vf_transpose(r) k_transpose16(r)

/* Rows r[0..15] -> columns: unpack pairs, shuffle quads inside 128-bit
 * lanes, then a 4 x 4 transpose of the lanes themselves. */
static inline void k_transpose16(__m512 *r)
{
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xee);
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xee);
    }
    /* r[4g + j], lane l: column 4l + j of rows 4g..4g+3. */
    for (int j = 0; j < 4; j++) {
        __m512 u0 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x44);
        __m512 u1 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xee);
        __m512 u2 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x44);
        __m512 u3 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xee);
        t[j] = _mm512_shuffle_f32x4(u0, u2, 0x88);
        t[4 + j] = _mm512_shuffle_f32x4(u0, u2, 0xdd);
        t[8 + j] = _mm512_shuffle_f32x4(u1, u3, 0x88);
        t[12 + j] = _mm512_shuffle_f32x4(u1, u3, 0xdd);
    }
    for (int i = 0; i < 16; i++)
        r[i] = t[i];
}

#define TSI_SIMD_TABLE tsi_cpu_kernels_avx512
#define TSI_SIMD_LEVEL TSI_CPU_SIMD_AVX512
#include "backend-cpu/cpu_simd_kernels.inc"
