#version 450
// TSI_OP_REDUCE over the last dim: sum, mean, max (out in x's dtype) and
// argmax (out i32, ties to the lower index); one workgroup per row, f32
// accumulation.
#include "common.glsl"
#include "rowwise.glsl"

layout(constant_id = 1) const uint DT = 0;

layout(std430, binding = 0) readonly buffer X { uint x[]; };
layout(std430, binding = 1) buffer Y { uint y[]; };

layout(push_constant) uniform Params {
    uint rows, n, kind, xoff, yoff;
} P;

const uint K_SUM = 0u, K_MEAN = 1u, K_MAX = 2u, K_ARGMAX = 3u;

void main()
{
    uint row = flat_group();
    if (row >= P.rows)
        return;
    uint lid = gl_LocalInvocationID.x;
    uint xb = P.xoff + row * P.n;
    if (DT == DT_I32) {
        // Exact integer path: sum wraps like the C reference, max and
        // argmax compare ints.
        if (P.kind == K_SUM || P.kind == K_MEAN) {
            int s = 0;
            for (uint c = lid; c < P.n; c += WG)
                s += LOADI(x, xb + c);
            s = wg_sum_i(s);
            if (lid == 0u)
                STOREI(y, P.yoff + row, P.kind == K_MEAN ? s / int(P.n) : s);
            return;
        }
        int bv = 0, bi = -1;
        for (uint c = lid; c < P.n; c += WG) {
            int v = LOADI(x, xb + c);
            if (pair_better_i(v, int(c), bv, bi)) {
                bv = v;
                bi = int(c);
            }
        }
        wg_argbest_i(bv, bi);
        if (lid == 0u)
            STOREI(y, P.yoff + row, P.kind == K_ARGMAX ? bi : bv);
        return;
    }
    if (P.kind == K_ARGMAX) {
        float bv = 0.0;
        int bi = -1;
        for (uint c = lid; c < P.n; c += WG) {
            float v = LOADF(x, DT, xb + c);
            if (pair_better(v, int(c), bv, bi)) {
                bv = v;
                bi = int(c);
            }
        }
        wg_argbest(bv, bi);
        if (lid == 0u)
            STOREI(y, P.yoff + row, bi);
        return;
    }
    float r;
    if (P.kind == K_MAX) {
        float mx = NEG_INF;
        for (uint c = lid; c < P.n; c += WG)
            mx = max(mx, LOADF(x, DT, xb + c));
        r = wg_max(mx);
    } else {
        float s = 0.0;
        for (uint c = lid; c < P.n; c += WG)
            s += LOADF(x, DT, xb + c);
        r = wg_sum(s);
        if (P.kind == K_MEAN)
            r /= float(P.n);
    }
    if (lid == 0u)
        STOREF(y, DT, P.yoff + row, r);
}
