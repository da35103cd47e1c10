/* AVX2 + FMA + F16C kernels (8 lanes). The only translation unit built
 * with -mavx2 -mfma -mf16c; it runs only when cpu_features.c found all
 * three and the OS saves YMM state. */
#include <immintrin.h>

#include "backend-cpu/cpu_internal.h"
#include "backend-cpu/cpu_simd_x86_hsum.h"
#include "core/half.h"

typedef __m256 vf;
typedef __m256i vi;
typedef __m256 vm;
#define VW 8

#define vf_load(p) _mm256_loadu_ps(p)
#define vf_store(p, v) _mm256_storeu_ps((p), (v))
#define vf_set1(x) _mm256_set1_ps(x)
#define vf_zero() _mm256_setzero_ps()
#define vf_add _mm256_add_ps
#define vf_sub _mm256_sub_ps
#define vf_mul _mm256_mul_ps
#define vf_div _mm256_div_ps
#define vf_min _mm256_min_ps
#define vf_max _mm256_max_ps
#define vf_sqrt _mm256_sqrt_ps
#define vf_fma(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define vf_fnma(a, b, c) _mm256_fnmadd_ps((a), (b), (c))
#define vf_abs(v) _mm256_andnot_ps(_mm256_set1_ps(-0.0f), (v))
#define vf_neg(v) _mm256_xor_ps((v), _mm256_set1_ps(-0.0f))
#define vf_copysign(mag, sgn) _mm256_or_ps(vf_abs(mag), _mm256_and_ps((sgn), _mm256_set1_ps(-0.0f)))
#define vf_round(v) _mm256_round_ps((v), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define vf_select(m, a, b) _mm256_blendv_ps((b), (a), (m))
#define vm_lt(a, b) _mm256_cmp_ps((a), (b), _CMP_LT_OQ)
#define vm_gt(a, b) _mm256_cmp_ps((a), (b), _CMP_GT_OQ)
#define vm_eq(a, b) _mm256_cmp_ps((a), (b), _CMP_EQ_OQ)
#define vm_unord(a, b) _mm256_cmp_ps((a), (b), _CMP_UNORD_Q)
#define vi_set1 _mm256_set1_epi32
#define vi_add _mm256_add_epi32
#define vi_slli _mm256_slli_epi32
#define vi_srli _mm256_srli_epi32
#define vi_and _mm256_and_si256
#define vi_or _mm256_or_si256
#define vi_from_vf _mm256_cvttps_epi32
#define vf_from_vi _mm256_cvtepi32_ps
#define vf_as_vi _mm256_castps_si256
#define vi_as_vf _mm256_castsi256_ps
/* Widening loads of 8 halves (the decode kernels read f16 / bf16 K, V). */
#define vf_load_f16(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(p)))
#define vf_load_bf16(p)                                                                            \
    _mm256_castsi256_ps(_mm256_slli_epi32(                                                         \
        _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(p))), 16))

static inline __m128 hsum4(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_add_ss(s, _mm_movehdup_ps(s));
}

static inline float vf_hsum(vf v)
{
    return _mm_cvtss_f32(hsum4(v));
}

#define vf_hsum8(v, out) tsi_x86_hsum8x8((v), (out))

static void k_f16_to_f32(const uint16_t *s, float *d, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(d + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(s + i))));
    for (; i < n; i++)
        d[i] = tsi_f16_to_f32(s[i]);
}

static void k_f32_to_f16(const float *s, uint16_t *d, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(d + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(s + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++)
        d[i] = tsi_f32_to_f16(s[i]);
}

static void k_bf16_to_f32(const uint16_t *s, float *d, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(s + i)));
        _mm256_storeu_ps(d + i, _mm256_castsi256_ps(_mm256_slli_epi32(w, 16)));
    }
    for (; i < n; i++)
        d[i] = tsi_bf16_to_f32(s[i]);
}

/* Round to nearest-even by adding 0x7fff + lsb; NaN keeps its top bits
 * with the quiet bit set (as core/half.h does). */
static void k_f32_to_bf16(const float *s, uint16_t *d, size_t n)
{
    const __m256i one = _mm256_set1_epi32(1), bias = _mm256_set1_epi32(0x7fff);
    const __m256i absmask = _mm256_set1_epi32(0x7fffffff), inf = _mm256_set1_epi32(0x7f800000);
    const __m256i quiet = _mm256_set1_epi32(0x40);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i u = _mm256_castps_si256(_mm256_loadu_ps(s + i));
        __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), one);
        __m256i r = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(u, bias), lsb), 16);
        __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, absmask), inf);
        __m256i q = _mm256_or_si256(_mm256_srli_epi32(u, 16), quiet);
        r = _mm256_blendv_epi8(r, q, nan);
        __m128i packed =
            _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
        _mm_storeu_si128((__m128i *)(d + i), packed);
    }
    for (; i < n; i++)
        d[i] = tsi_f32_to_bf16(s[i]);
}

/* GEMM (cpu_gemm_kernels.inc): 6 x 16 tiles (12 accumulators of the 16
 * registers), masked partial vectors and an 8 x 8 transpose for packing. */
#define K_GEMM_MR 6
#define K_GEMM_NV 2
#define vf_load_n(p, n) _mm256_maskload_ps((p), k_lane_mask(n))
#define vf_store_n(p, v, n) _mm256_maskstore_ps((p), k_lane_mask(n), (v))
#define vf_transpose(r) k_transpose8(r)

/* Lanes below n set (n <= 8). */
static inline __m256i k_lane_mask(size_t n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* Rows r[0..7] -> columns: unpack pairs, shuffle quads inside the 128-bit
 * halves, then swap halves between row groups 0-3 and 4-7. */
static inline void k_transpose8(__m256 *r)
{
    __m256 t[8], s[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        s[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        s[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xee);
        s[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        s[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
    }
    for (int j = 0; j < 4; j++) {
        r[j] = _mm256_permute2f128_ps(s[j], s[4 + j], 0x20);
        r[4 + j] = _mm256_permute2f128_ps(s[j], s[4 + j], 0x31);
    }
}

#define TSI_SIMD_TABLE tsi_cpu_kernels_avx2
#define TSI_SIMD_LEVEL TSI_CPU_SIMD_AVX2
#include "backend-cpu/cpu_simd_kernels.inc"
