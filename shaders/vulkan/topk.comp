#version 450
// TSI_OP_TOPK: k largest of each row, descending, ties to the lower index.
// One workgroup per row runs k selection rounds; round j picks the best
// element strictly after the one picked in round j-1 in the order
// (value desc, index asc), so no scratch memory is needed. A dispatch runs
// rounds [j0, j1) and restarts from the pick of round j0 - 1 that an
// earlier dispatch stored in idxs: backend-vulkan/vk_op_topk.c bounds the
// rounds per dispatch (llvmpipe stops an invocation's loops after 65535
// iterations in all, and one long dispatch can trip a GPU watchdog).
#include "common.glsl"
#include "rowwise.glsl"

layout(constant_id = 1) const uint DT = 0;

layout(std430, binding = 0) readonly buffer X { uint x[]; };
layout(std430, binding = 1) buffer V { uint vals[]; };
layout(std430, binding = 2) buffer I { uint idxs[]; };

layout(push_constant) uniform Params {
    uint rows, n, k, xoff, voff, ioff;
    uint j0, j1; // rounds of this dispatch
} P;

void main()
{
    uint row = flat_group();
    if (row >= P.rows)
        return;
    uint lid = gl_LocalInvocationID.x;
    uint xb = P.xoff + row * P.n;
    if (DT == DT_I32) {
        int qi = P.j0 > 0u ? int(idxs[P.ioff + row * P.k + P.j0 - 1u]) : -1;
        int qv = qi >= 0 ? LOADI(x, xb + uint(qi)) : 0;
        for (uint j = P.j0; j < P.j1; j++) {
            int bv = 0, bi = -1;
            for (uint c = lid; c < P.n; c += WG) {
                int v = LOADI(x, xb + c);
                bool after = qi < 0 || v < qv || (v == qv && int(c) > qi);
                if (after && pair_better_i(v, int(c), bv, bi)) {
                    bv = v;
                    bi = int(c);
                }
            }
            wg_argbest_i(bv, bi);
            if (lid == 0u) {
                STOREI(vals, P.voff + row * P.k + j, bv);
                STOREI(idxs, P.ioff + row * P.k + j, bi);
            }
            qv = bv;
            qi = bi;
        }
        return;
    }
    int pi = P.j0 > 0u ? int(idxs[P.ioff + row * P.k + P.j0 - 1u]) : -1;
    float pv = pi >= 0 ? LOADF(x, DT, xb + uint(pi)) : 0.0;
    for (uint j = P.j0; j < P.j1; j++) {
        float bv = 0.0;
        int bi = -1;
        for (uint c = lid; c < P.n; c += WG) {
            float v = LOADF(x, DT, xb + c);
            bool after = pi < 0 || pair_better(pv, pi, v, int(c)); // same total order
            if (after && pair_better(v, int(c), bv, bi)) {
                bv = v;
                bi = int(c);
            }
        }
        wg_argbest(bv, bi);
        if (lid == 0u) {
            STOREF(vals, DT, P.voff + row * P.k + j, bv);
            STOREI(idxs, P.ioff + row * P.k + j, bi);
        }
        pv = bv;
        pi = bi;
    }
}
