#version 450
// TSI_OP_SOFTMAX: one workgroup per row of n; three passes over the row
// (max, sum of exp, write) keep nothing but the row in flight. Causal rows
// mask column c unless c <= r + (n - m); a fully masked row gives zeros.
#include "common.glsl"
#include "rowwise.glsl"

layout(constant_id = 1) const uint DT = 0;

layout(std430, binding = 0) readonly buffer X { uint x[]; };
layout(std430, binding = 1) buffer Y { uint y[]; };

layout(push_constant) uniform Params {
    uint rows, n, m, causal;
    uint xoff, yoff;
    float scale;
} P;

void main()
{
    uint row = flat_group();
    if (row >= P.rows)
        return;
    uint lid = gl_LocalInvocationID.x;
    uint limit = P.n;
    if (P.causal != 0u) {
        int r = int(row % P.m);
        int last = r + int(P.n) - int(P.m); // last visible column
        limit = last < 0 ? 0u : min(P.n, uint(last) + 1u);
    }
    uint xb = P.xoff + row * P.n, yb = P.yoff + row * P.n;
    float mx = NEG_INF;
    for (uint c = lid; c < limit; c += WG)
        mx = max(mx, P.scale * LOADF(x, DT, xb + c));
    mx = wg_max(mx);
    float s = 0.0;
    for (uint c = lid; c < limit; c += WG)
        s += exp(P.scale * LOADF(x, DT, xb + c) - mx);
    s = wg_sum(s);
    float inv = limit > 0u ? 1.0 / s : 0.0;
    for (uint c = lid; c < P.n; c += WG) {
        float v = c < limit ? exp(P.scale * LOADF(x, DT, xb + c) - mx) * inv : 0.0;
        STOREF(y, DT, yb + c, v);
    }
}
