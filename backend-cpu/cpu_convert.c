/* Moving rows of any dtype in and out of f32, the one arithmetic type of
 * the CPU backend. Contiguous 16-bit rows take the SIMD converters
 * (F16C / AVX-512 / NEON); strided ones the portable core/half.h. */
#include <math.h>
#include <string.h>

#include "backend-cpu/cpu_internal.h"
#include "core/half.h"

int32_t tsi_cpu_f32_to_i32(float f)
{
    if (isnan(f))
        return 0;
    if (f >= 2147483648.0f)
        return INT32_MAX;
    if (f <= -2147483648.0f)
        return INT32_MIN;
    return (int32_t)f; /* C truncates toward zero */
}

void tsi_cpu_load_f32(const tsi_cpu_kernels *k, ts_dtype dt, const void *src, int64_t stride,
                      float *dst, size_t n)
{
    switch (dt) {
    case TS_F32: {
        const float *s = src;
        if (stride == 1) {
            memcpy(dst, s, n * sizeof *s);
            return;
        }
        for (size_t i = 0; i < n; i++)
            dst[i] = s[(int64_t)i * stride];
        return;
    }
    case TS_F16: {
        const uint16_t *s = src;
        if (stride == 1) {
            k->f16_to_f32(s, dst, n);
            return;
        }
        for (size_t i = 0; i < n; i++)
            dst[i] = tsi_f16_to_f32(s[(int64_t)i * stride]);
        return;
    }
    case TS_BF16: {
        const uint16_t *s = src;
        if (stride == 1) {
            k->bf16_to_f32(s, dst, n);
            return;
        }
        for (size_t i = 0; i < n; i++)
            dst[i] = tsi_bf16_to_f32(s[(int64_t)i * stride]);
        return;
    }
    case TS_I32: {
        const int32_t *s = src;
        for (size_t i = 0; i < n; i++)
            dst[i] = (float)s[(int64_t)i * stride];
        return;
    }
    case TS_C64: { /* the real part, as a cast to a real dtype reads it */
        const float *s = src;
        for (size_t i = 0; i < n; i++)
            dst[i] = s[2 * (int64_t)i * stride];
        return;
    }
    }
}

void tsi_cpu_store_f32(const tsi_cpu_kernels *k, ts_dtype dt, const float *src, void *dst,
                       int64_t stride, size_t n)
{
    switch (dt) {
    case TS_F32: {
        float *d = dst;
        if (stride == 1) {
            if (d != src)
                memcpy(d, src, n * sizeof *d);
            return;
        }
        for (size_t i = 0; i < n; i++)
            d[(int64_t)i * stride] = src[i];
        return;
    }
    case TS_F16: {
        uint16_t *d = dst;
        if (stride == 1) {
            k->f32_to_f16(src, d, n);
            return;
        }
        for (size_t i = 0; i < n; i++)
            d[(int64_t)i * stride] = tsi_f32_to_f16(src[i]);
        return;
    }
    case TS_BF16: {
        uint16_t *d = dst;
        if (stride == 1) {
            k->f32_to_bf16(src, d, n);
            return;
        }
        for (size_t i = 0; i < n; i++)
            d[(int64_t)i * stride] = tsi_f32_to_bf16(src[i]);
        return;
    }
    case TS_I32: {
        int32_t *d = dst;
        for (size_t i = 0; i < n; i++)
            d[(int64_t)i * stride] = tsi_cpu_f32_to_i32(src[i]);
        return;
    }
    case TS_C64: { /* a real value becomes (x, 0) */
        float *d = dst;
        for (size_t i = 0; i < n; i++) {
            d[2 * (int64_t)i * stride] = src[i];
            d[2 * (int64_t)i * stride + 1] = 0.0f;
        }
        return;
    }
    }
}
