#version 450
// TSI_OP_CONV1D_CAUSAL: y[b,t,c] = bias[c] + sum_j w[c,j] * x[b,t-j,c]
// (depthwise, causal). One invocation per output element; neighbouring
// invocations read neighbouring channels.
#include "common.glsl"

layout(constant_id = 1) const uint DT = 0;

layout(std430, binding = 0) readonly buffer X { uint x[]; };
layout(std430, binding = 1) readonly buffer W { uint w[]; };
layout(std430, binding = 2) readonly buffer Bi { uint bias[]; };
layout(std430, binding = 3) buffer Y { uint y[]; };

layout(push_constant) uniform Params {
    uint b, l, ch, k, has_bias;
    uint xoff, woff, boff, yoff;
} P;

void main()
{
    uint id = flat_id();
    if (id >= P.b * P.l * P.ch)
        return;
    uint c = id % P.ch;
    uint t = (id / P.ch) % P.l;
    uint bt0 = id - t * P.ch - c; // start of this batch's [L, C] block
    float acc = P.has_bias != 0u ? LOADF(bias, DT, P.boff + c) : 0.0;
    uint kmax = min(P.k, t + 1u);
    for (uint j = 0u; j < kmax; j++)
        acc += LOADF(w, DT, P.woff + c * P.k + j) * LOADF(x, DT, P.xoff + bt0 + (t - j) * P.ch + c);
    STOREF(y, DT, P.yoff + id, acc);
}
