/* aarch64 Advanced SIMD kernels (4 lanes). NEON is part of every aarch64
 * core, so this table is always usable there; f16 conversion uses the
 * base ARMv8 FCVTL/FCVTN (round to nearest-even per the default FPCR). */
#include <arm_neon.h>

#include "backend-cpu/cpu_internal.h"
#include "core/half.h"

typedef float32x4_t vf;
typedef int32x4_t vi;
typedef uint32x4_t vm;
#define VW 4

#define vf_load(p) vld1q_f32(p)
#define vf_store(p, v) vst1q_f32((p), (v))
#define vf_set1(x) vdupq_n_f32(x)
#define vf_zero() vdupq_n_f32(0.0f)
#define vf_add vaddq_f32
#define vf_sub vsubq_f32
#define vf_mul vmulq_f32
#define vf_div vdivq_f32
#define vf_min vminq_f32
#define vf_max vmaxq_f32
#define vf_sqrt vsqrtq_f32
#define vf_fma(a, b, c) vfmaq_f32((c), (a), (b))
#define vf_fnma(a, b, c) vfmsq_f32((c), (a), (b))
#define vf_abs vabsq_f32
#define vf_neg vnegq_f32
#define vf_round vrndnq_f32
#define vf_select(m, a, b) vbslq_f32((m), (a), (b))
#define vm_lt vcltq_f32
#define vm_gt vcgtq_f32
#define vm_eq vceqq_f32
#define vm_unord(a, b) vmvnq_u32(vandq_u32(vceqq_f32((a), (a)), vceqq_f32((b), (b))))
#define vi_set1 vdupq_n_s32
#define vi_add vaddq_s32
#define vi_slli(v, n) vshlq_n_s32((v), (n))
#define vi_srli(v, n) vreinterpretq_s32_u32(vshrq_n_u32(vreinterpretq_u32_s32(v), (n)))
#define vi_and vandq_s32
#define vi_or vorrq_s32
#define vi_from_vf vcvtq_s32_f32
#define vf_from_vi vcvtq_f32_s32
#define vf_as_vi vreinterpretq_s32_f32
#define vi_as_vf vreinterpretq_f32_s32
#define vf_hsum vaddvq_f32

/* Eight sums at once (vf_hsum8): pairwise adds, three levels shared. */
static inline void k_hsum8(const float32x4_t *v, float *out)
{
    float32x4_t p0 = vpaddq_f32(v[0], v[1]), p1 = vpaddq_f32(v[2], v[3]);
    float32x4_t p2 = vpaddq_f32(v[4], v[5]), p3 = vpaddq_f32(v[6], v[7]);
    vst1q_f32(out, vpaddq_f32(p0, p1));
    vst1q_f32(out + 4, vpaddq_f32(p2, p3));
}
#define vf_hsum8(v, out) k_hsum8((v), (out))

static inline vf vf_copysign(vf mag, vf sgn)
{
    return vbslq_f32(vdupq_n_u32(0x80000000u), sgn, vabsq_f32(mag));
}

static void k_f16_to_f32(const uint16_t *s, float *d, size_t n)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        vst1q_f32(d + i, vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(s + i))));
    for (; i < n; i++)
        d[i] = tsi_f16_to_f32(s[i]);
}

static void k_f32_to_f16(const float *s, uint16_t *d, size_t n)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        vst1_u16(d + i, vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(s + i))));
    for (; i < n; i++)
        d[i] = tsi_f32_to_f16(s[i]);
}

static void k_bf16_to_f32(const uint16_t *s, float *d, size_t n)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        vst1q_f32(d + i, vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(s + i), 16)));
    for (; i < n; i++)
        d[i] = tsi_bf16_to_f32(s[i]);
}

/* Round to nearest-even by adding 0x7fff + lsb; NaN keeps its top bits
 * with the quiet bit set (as core/half.h does). */
static void k_f32_to_bf16(const float *s, uint16_t *d, size_t n)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        uint32x4_t u = vreinterpretq_u32_f32(vld1q_f32(s + i));
        uint32x4_t lsb = vandq_u32(vshrq_n_u32(u, 16), vdupq_n_u32(1));
        uint32x4_t r = vshrq_n_u32(vaddq_u32(vaddq_u32(u, vdupq_n_u32(0x7fff)), lsb), 16);
        uint32x4_t nan = vcgtq_u32(vandq_u32(u, vdupq_n_u32(0x7fffffff)), vdupq_n_u32(0x7f800000));
        uint32x4_t q = vorrq_u32(vshrq_n_u32(u, 16), vdupq_n_u32(0x40));
        vst1_u16(d + i, vmovn_u32(vbslq_u32(nan, q, r)));
    }
    for (; i < n; i++)
        d[i] = tsi_f32_to_bf16(s[i]);
}

#define TSI_SIMD_TABLE tsi_cpu_kernels_neon
#define TSI_SIMD_LEVEL TSI_CPU_SIMD_NEON
#include "backend-cpu/cpu_simd_kernels.inc"
