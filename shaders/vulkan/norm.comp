#version 450
// TSI_OP_NORM: s = f ? alpha*x + f : x; y = norm(s) * weight + bias with
// f32 statistics: LayerNorm uses a two-pass mean and population variance,
// RMSNorm the mean of squares. One workgroup per row; s is recomputed from
// x and f in each pass instead of being kept, so any row length fits.
#include "common.glsl"
#include "rowwise.glsl"

layout(constant_id = 1) const uint DT = 0;

layout(std430, binding = 0) readonly buffer X { uint x[]; };
layout(std430, binding = 1) readonly buffer F { uint f[]; };
layout(std430, binding = 2) readonly buffer W { uint w[]; };
layout(std430, binding = 3) readonly buffer Bi { uint bias[]; };
layout(std430, binding = 4) buffer Y { uint y[]; };
layout(std430, binding = 5) buffer S { uint s_out[]; };

const uint HAS_F = 1u, HAS_W = 2u, HAS_B = 4u, HAS_S = 8u, IS_RMS = 16u;

layout(push_constant) uniform Params {
    uint rows, n, flags;
    uint xoff, foff, woff, boff, yoff, soff;
    float eps, alpha;
} P;

float s_at(uint rb, uint c)
{
    float v = LOADF(x, DT, P.xoff + rb + c);
    if ((P.flags & HAS_F) != 0u)
        v = P.alpha * v + LOADF(f, DT, P.foff + rb + c);
    return v;
}

void main()
{
    uint row = flat_group();
    if (row >= P.rows)
        return;
    uint lid = gl_LocalInvocationID.x;
    uint rb = row * P.n;
    float mean = 0.0;
    if ((P.flags & IS_RMS) == 0u) {
        float acc = 0.0;
        for (uint c = lid; c < P.n; c += WG)
            acc += s_at(rb, c);
        mean = wg_sum(acc) / float(P.n);
    }
    float acc2 = 0.0;
    for (uint c = lid; c < P.n; c += WG) {
        float d = s_at(rb, c) - mean;
        acc2 += d * d;
    }
    float inv = inversesqrt(wg_sum(acc2) / float(P.n) + P.eps);
    for (uint c = lid; c < P.n; c += WG) {
        float sv = s_at(rb, c);
        if ((P.flags & HAS_S) != 0u)
            STOREF(s_out, DT, P.soff + rb + c, sv);
        float v = (sv - mean) * inv;
        if ((P.flags & HAS_W) != 0u)
            v *= LOADF(w, DT, P.woff + c);
        if ((P.flags & HAS_B) != 0u)
            v += LOADF(bias, DT, P.boff + c);
        STOREF(y, DT, P.yoff + rb + c, v);
    }
}
