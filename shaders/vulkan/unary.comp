#version 450
// TSI_OP_UNARY: y = f(x) over a strided 4-d index (copy, cast, scale_shift
// and the ts_unary_op kinds). Input and output dtypes are spec constants;
// the kind is a push constant (uniform branch) to keep one pipeline per
// dtype pair.
#include "common.glsl"

layout(constant_id = 1) const uint DT_X = 0;
layout(constant_id = 2) const uint DT_Y = 0;

layout(std430, binding = 0) readonly buffer X { uint x[]; };
layout(std430, binding = 1) buffer Y { uint y[]; };

layout(push_constant) uniform Params {
    uint n0, n1, n2, n3;
    int xoff, xs0, xs1, xs2, xs3;
    int yoff, ys0, ys1, ys2, ys3;
    uint kind, total;
    float alpha, beta;
} P;

const uint K_NEG = 0u, K_ABS = 1u, K_EXP = 2u, K_LOG = 3u, K_SQRT = 4u, K_RSQRT = 5u,
           K_TANH = 6u, K_SIGMOID = 7u, K_RELU = 8u, K_RELU2 = 9u, K_GELU_ERF = 10u,
           K_GELU_TANH = 11u, K_SILU = 12u, K_COPY = 13u, K_SCALE_SHIFT = 14u;

// GLSL has no erf. fdlibm's s_erff.c rational approximations (single
// precision coefficients, errors below 1 ulp-ish in f32): the polynomial
// forms of Abramowitz-Stegun are too coarse relative to x near 0.
float erf_f32(float v)
{
    float a = abs(v);
    float r;
    if (a < 0.84375) {
        float z = v * v;
        float p = 1.28379167e-01 + z * (-3.25042108e-01 + z * (-2.84817495e-02 +
                  z * (-5.77027029e-03 + z * -2.37630166e-05)));
        float q = 1.0 + z * (3.97917223e-01 + z * (6.50222499e-02 +
                  z * (5.08130628e-03 + z * (1.32494738e-04 + z * -3.96022827e-06))));
        return v + v * (p / q);
    }
    if (a < 1.25) {
        float s = a - 1.0;
        float p = -2.36211856e-03 + s * (4.14856118e-01 + s * (-3.72207877e-01 +
                  s * (3.18346619e-01 + s * (-1.10894694e-01 + s * (3.54783043e-02 +
                  s * -2.16637559e-03)))));
        float q = 1.0 + s * (1.06420880e-01 + s * (5.40397918e-01 + s * (7.18286544e-02 +
                  s * (1.26171219e-01 + s * (1.36370839e-02 + s * 1.19844998e-02)))));
        r = 8.45062911e-01 + p / q;
        return v < 0.0 ? -r : r;
    }
    if (a >= 6.0)
        return v < 0.0 ? -1.0 : 1.0;
    float s = 1.0 / (a * a);
    float R, S;
    if (a < 2.857142857) {
        R = -9.86494403e-03 + s * (-6.93858572e-01 + s * (-1.05586262e+01 +
            s * (-6.23753324e+01 + s * (-1.62396669e+02 + s * (-1.84605092e+02 +
            s * (-8.12874355e+01 + s * -9.81432934e+00))))));
        S = 1.0 + s * (1.96512716e+01 + s * (1.37657754e+02 + s * (4.34565877e+02 +
            s * (6.45387271e+02 + s * (4.29008140e+02 + s * (1.08635005e+02 +
            s * (6.57024977e+00 + s * -6.04244152e-02)))))));
    } else {
        R = -9.86494292e-03 + s * (-7.99283237e-01 + s * (-1.77579549e+01 +
            s * (-1.60636384e+02 + s * (-6.37566443e+02 + s * (-1.02509513e+03 +
            s * -4.83519191e+02)))));
        S = 1.0 + s * (3.03380607e+01 + s * (3.25792512e+02 + s * (1.53672958e+03 +
            s * (3.19985821e+03 + s * (2.55305040e+03 + s * (4.74528541e+02 +
            s * -2.24409524e+01))))));
    }
    float z = uintBitsToFloat(floatBitsToUint(a) & 0xfffff000u);
    r = exp(-z * z - 0.5625) * exp((z - a) * (z + a) + R / S) / a;
    r = 1.0 - r;
    return v < 0.0 ? -r : r;
}

// Drivers' tanh is (e^2x - 1)/(e^2x + 1): cancels near 0 (llvmpipe: 1e-5
// relative) and overflows to NaN for large |x| on some. Eigen's rational
// approximation (ptanh_float), < 4e-7 relative over all of f32.
float tanh_f32(float v)
{
    if (abs(v) < 0.0004)
        return v;
    float x = clamp(v, -7.90531110763549805, 7.90531110763549805);
    float x2 = x * x;
    float p = -2.76076847742355e-16;
    p = p * x2 + 2.00018790482477e-13;
    p = p * x2 - 8.60467152213735e-11;
    p = p * x2 + 5.12229709037114e-08;
    p = p * x2 + 1.48572235717979e-05;
    p = p * x2 + 6.37261928875436e-04;
    p = p * x2 + 4.89352455891786e-03;
    float q = 1.19825839466702e-06;
    q = q * x2 + 1.18534705686654e-04;
    q = q * x2 + 2.26843463243900e-03;
    q = q * x2 + 4.89352518554385e-03;
    return x * p / q;
}

float sigmoid_f32(float v)
{
    // exp of a non-positive argument never overflows.
    float e = exp(-abs(v));
    return v >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

float apply_f(uint k, float v)
{
    switch (k) {
    case K_NEG: return -v;
    case K_ABS: return abs(v);
    case K_EXP: return exp(v);
    case K_LOG: return log(v);
    case K_SQRT: return sqrt(v);
    case K_RSQRT: return 1.0 / sqrt(v);
    case K_TANH: return tanh_f32(v);
    case K_SIGMOID: return sigmoid_f32(v);
    case K_RELU: return max(v, 0.0);
    case K_RELU2: { float r = max(v, 0.0); return r * r; }
    case K_GELU_ERF: return 0.5 * v * (1.0 + erf_f32(v * 0.70710678118654752));
    case K_GELU_TANH:
        return 0.5 * v * (1.0 + tanh_f32(0.79788456080286536 * (v + 0.044715 * v * v * v)));
    case K_SILU: return v * sigmoid_f32(v);
    case K_SCALE_SHIFT: return P.alpha * v + P.beta;
    default: return v;
    }
}

int apply_i(uint k, int v)
{
    switch (k) {
    case K_NEG: return -v;
    case K_ABS: return v < 0 ? -v : v;
    case K_RELU: return max(v, 0);
    case K_RELU2: { int r = max(v, 0); return r * r; }
    default: return v;
    }
}

void main()
{
    uint id = flat_id();
    if (id >= P.total)
        return;
    uint i3 = id % P.n3;
    uint t = id / P.n3;
    uint i2 = t % P.n2;
    t /= P.n2;
    uint i1 = t % P.n1;
    uint i0 = t / P.n1;
    int xi = P.xoff + int(i0) * P.xs0 + int(i1) * P.xs1 + int(i2) * P.xs2 + int(i3) * P.xs3;
    int yi = P.yoff + int(i0) * P.ys0 + int(i1) * P.ys1 + int(i2) * P.ys2 + int(i3) * P.ys3;
    if (DT_X == DT_I32 && DT_Y == DT_I32) {
        STOREI(y, yi, apply_i(P.kind, LOADI(x, xi)));
    } else if (DT_X == DT_Y && P.kind == K_COPY && dt_is16(DT_X)) {
        // Bit copy keeps NaN payloads and signed zeros exactly.
        uint w = x[uint(xi) >> 1];
        uint h = (uint(xi) & 1u) != 0u ? (w >> 16) : (w & 0xffffu);
        uint sh = (uint(yi) & 1u) * 16u;
        atomicAnd(y[uint(yi) >> 1], ~(0xffffu << sh));
        atomicOr(y[uint(yi) >> 1], h << sh);
    } else if (DT_X == DT_Y && P.kind == K_COPY) {
        y[uint(yi)] = x[uint(xi)];
    } else if (DT_Y == DT_I32) {
        // float -> i32 truncates toward zero
        STOREI(y, yi, int(LOADF(x, DT_X, xi)));
    } else {
        STOREF(y, DT_Y, yi, apply_f(P.kind, LOADF(x, DT_X, xi)));
    }
}
