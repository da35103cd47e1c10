/* f16 / bf16 <-> f32 conversions, portable scalar versions, header-only so
 * core, backends, modules, tests and tools share one definition.
 * Rounding is to nearest-even; NaN stays NaN; overflow gives infinity. */
#ifndef TESSEL_CORE_HALF_H
#define TESSEL_CORE_HALF_H

#include <stdint.h>
#include <string.h>

static inline uint32_t tsi_f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static inline float tsi_bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline float tsi_bf16_to_f32(uint16_t h)
{
    return tsi_bits_f32((uint32_t)h << 16);
}

static inline uint16_t tsi_f32_to_bf16(float f)
{
    uint32_t u = tsi_f32_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) /* NaN: keep it quiet, keep the sign */
        return (uint16_t)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

static inline float tsi_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    if (exp == 0) {
        if (man == 0)
            return tsi_bits_f32(sign);
        /* subnormal: value = man * 2^-24 */
        float v = (float)man * (1.0f / 16777216.0f);
        return sign ? -v : v;
    }
    if (exp == 31)
        return tsi_bits_f32(sign | 0x7f800000u | (man << 13));
    return tsi_bits_f32(sign | ((exp + 112u) << 23) | (man << 13));
}

static inline uint16_t tsi_f32_to_f16(float f)
{
    uint32_t u = tsi_f32_bits(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u)
        return (uint16_t)(sign | 0x7e00u);
    if (a >= 0x477ff000u) /* rounds to >= 65520: infinity */
        return (uint16_t)(sign | 0x7c00u);
    if (a < 0x38800000u) { /* below the smallest normal half: subnormal or zero */
        /* Adding 0.5 aligns the mantissa so the FPU rounds to nearest-even. */
        float v = tsi_bits_f32(a) + 0.5f;
        return (uint16_t)(sign | (uint16_t)(tsi_f32_bits(v) - 0x3f000000u));
    }
    uint32_t r = a + 0xfffu + ((a >> 13) & 1u) - (112u << 23);
    return (uint16_t)(sign | (uint16_t)(r >> 13));
}

#endif
