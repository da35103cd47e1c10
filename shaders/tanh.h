/* tanh for kernels (kernel language, see shaders/README.md): elementwise's
 * TS_TANH and GELU, and attention's soft cap. Drivers' tanh is often
 * (e^2x - 1)/(e^2x + 1): it cancels near 0 (llvmpipe: 1e-5 relative) and
 * overflows to NaN for large |x| on some, and soft-capping exists for
 * large logits. Eigen's rational approximation (ptanh_float), < 4e-7
 * relative over all of f32. */
#ifndef TS_TANH_H
#define TS_TANH_H

float ts_tanh(float v)
{
    if (FABS(v) < 0.0004f || isnan(v)) /* clamp would turn NaN into a number */
        return v;
    if (FABS(v) > 9.0f) /* tanh rounds to +-1 in f32: exact, so 1 + tanh(-inf) = 0 */
        return v > 0.0f ? 1.0f : -1.0f;
    float x = clamp(v, -7.90531110763549805f, 7.90531110763549805f);
    float x2 = x * x;
    float p = -2.76076847742355e-16f;
    p = p * x2 + 2.00018790482477e-13f;
    p = p * x2 - 8.60467152213735e-11f;
    p = p * x2 + 5.12229709037114e-08f;
    p = p * x2 + 1.48572235717979e-05f;
    p = p * x2 + 6.37261928875436e-04f;
    p = p * x2 + 4.89352455891786e-03f;
    float q = 1.19825839466702e-06f;
    q = q * x2 + 1.18534705686654e-04f;
    q = q * x2 + 2.26843463243900e-03f;
    q = q * x2 + 4.89352518554385e-03f;
    return x * p / q;
}

#endif
