/* Storage dtype codecs for the registry. Written from the IEEE 754 and
 * bfloat16 definitions, independently of core/half.h, so a shared mistake
 * cannot hide in both the library and its tests. */
#include <math.h>
#include <string.h>

#include "family.h"

uint16_t tsc_f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint32_t sign = (x >> 16) & 0x8000u, exp = (x >> 23) & 0xffu, man = x & 0x7fffffu;
    if (exp == 0xffu)
        return (uint16_t)(sign | 0x7c00u | (man ? 0x200u | (man >> 13) : 0u));
    int e = (int)exp - 127 + 15;
    if (e >= 31)
        return (uint16_t)(sign | 0x7c00u);
    if (e <= 0) {
        /* Subnormal result: the implicit bit joins the mantissa, then one
         * rounding to nearest even at the subnormal unit 2^-24. */
        if (e < -10)
            return (uint16_t)sign;
        man |= 0x800000u;
        unsigned shift = (unsigned)(14 - e);
        uint32_t h = man >> shift, rem = man & ((1u << shift) - 1u), half = 1u << (shift - 1u);
        if (rem > half || (rem == half && (h & 1u)))
            h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = ((uint32_t)e << 10) | (man >> 13), rem = man & 0x1fffu;
    /* A carry out of the mantissa correctly bumps the exponent (to inf at the top). */
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u)))
        h++;
    return (uint16_t)(sign | h);
}

float tsc_f16_to_f32(uint16_t h)
{
    uint32_t sign = ((uint32_t)h & 0x8000u) << 16, exp = ((uint32_t)h >> 10) & 0x1fu,
             man = (uint32_t)h & 0x3ffu, x;
    if (exp == 0) {
        float v = ldexpf((float)man, -24);
        return sign ? -v : v;
    }
    if (exp == 31)
        x = sign | 0x7f800000u | (man << 13);
    else
        x = sign | ((exp + 112u) << 23) | (man << 13);
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}

uint16_t tsc_f32_to_bf16(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    if ((x & 0x7f800000u) == 0x7f800000u && (x & 0x7fffffu))
        return (uint16_t)((x >> 16) | 0x40u);
    x += 0x7fffu + ((x >> 16) & 1u);
    return (uint16_t)(x >> 16);
}

float tsc_bf16_to_f32(uint16_t h)
{
    uint32_t x = (uint32_t)h << 16;
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}

double tsc_round(ts_dtype dt, double v)
{
    switch (dt) {
    case TS_F32:
    case TS_C64: /* each part is an f32 */
        return (double)(float)v;
    case TS_F16:
        return (double)tsc_f16_to_f32(tsc_f32_to_f16((float)v));
    case TS_BF16:
        return (double)tsc_bf16_to_f32(tsc_f32_to_bf16((float)v));
    case TS_I32:
        if (isnan(v))
            return 0.0;
        v = trunc(v);
        return v > 2147483647.0 ? 2147483647.0 : v < -2147483648.0 ? -2147483648.0 : v;
    }
    return v;
}

int64_t tsc_numel(int nd, const int64_t *shape)
{
    int64_t n = 1;
    for (int i = 0; i < nd; i++)
        n *= shape[i];
    return n;
}

void tsc_pad4(int nd, const int64_t *shape, int64_t *out4)
{
    for (int i = 0; i < 4; i++)
        out4[i] = i < 4 - nd ? 1 : shape[i - (4 - nd)];
}
