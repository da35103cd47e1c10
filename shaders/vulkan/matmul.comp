#version 450
// TSI_OP_MATMUL: c[b0,b1] = a[b0,b1] . b[b0,b1], f32 accumulation. Tiled
// GEMM: a BM x BN tile of c per workgroup, each invocation owning a 4 x 4
// micro tile (vec4 registers) spread with stride (BM/4, BN/4) so
// neighbouring invocations touch neighbouring addresses (coalesced loads
// and stores, no shared-memory bank conflicts). With USE_SHARED, BK-deep
// slices of a and b are staged in shared memory (GPUs); without, operands
// come straight from the buffers, which is faster where shared memory is
// ordinary cached memory and barriers are coroutine switches (llvmpipe).
// BM, BN, BK and USE_SHARED are specialization constants from the
// per-vendor table in vk_tuning.c; WG must equal (BM/4)*(BN/4).
#include "common.glsl"

layout(constant_id = 1) const uint DT = 0;
layout(constant_id = 2) const uint BM = 64;
layout(constant_id = 3) const uint BN = 64;
layout(constant_id = 4) const uint BK = 16;
layout(constant_id = 5) const bool USE_SHARED = true;

layout(std430, binding = 0) readonly buffer A { uint a[]; };
layout(std430, binding = 1) readonly buffer B { uint b[]; };
layout(std430, binding = 2) buffer C { uint c[]; };

layout(push_constant) uniform Params {
    uint m, n, k, nb1;
    int aoff, as0, as1, as2, as3; // as2: row (M) stride, as3: K stride
    int boff, bs0, bs1, bs2, bs3; // bs2: K stride, bs3: column (N) stride
    uint coff;
} P;

shared float As[BK * BM];
shared float Bs[BK * BN];

void main()
{
    const uint RT = BM / 4u; // invocation rows
    const uint CT = BN / 4u; // invocation columns
    uint lid = gl_LocalInvocationID.x;
    uint tr = lid / CT, tc = lid % CT;
    uint m0 = gl_WorkGroupID.y * BM, n0 = gl_WorkGroupID.x * BN;
    uint z = gl_WorkGroupID.z;
    uint z0 = z / P.nb1, z1 = z % P.nb1;
    int abase = P.aoff + int(z0) * P.as0 + int(z1) * P.as1;
    int bbase = P.boff + int(z0) * P.bs0 + int(z1) * P.bs1;
    vec4 acc[4] = vec4[4](vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0));

    if (USE_SHARED) {
        for (uint k0 = 0u; k0 < P.k; k0 += BK) {
            for (uint e = lid; e < BM * BK; e += WG) {
                uint r = e / BK, kk = e % BK;
                uint gm = m0 + r, gk = k0 + kk;
                float v = 0.0;
                if (gm < P.m && gk < P.k)
                    v = LOADF(a, DT, abase + int(gm) * P.as2 + int(gk) * P.as3);
                As[kk * BM + r] = v;
            }
            for (uint e = lid; e < BK * BN; e += WG) {
                uint kk = e / BN, cc = e % BN;
                uint gn = n0 + cc, gk = k0 + kk;
                float v = 0.0;
                if (gn < P.n && gk < P.k)
                    v = LOADF(b, DT, bbase + int(gk) * P.bs2 + int(gn) * P.bs3);
                Bs[kk * BN + cc] = v;
            }
            barrier();
            for (uint kk = 0u; kk < BK; kk++) {
                uint bb = kk * BN + tc, ab = kk * BM + tr;
                vec4 bv = vec4(Bs[bb], Bs[bb + CT], Bs[bb + 2u * CT], Bs[bb + 3u * CT]);
                acc[0] += As[ab] * bv;
                acc[1] += As[ab + RT] * bv;
                acc[2] += As[ab + 2u * RT] * bv;
                acc[3] += As[ab + 3u * RT] * bv;
            }
            barrier();
        }
    } else {
        // Rows/columns past the edge are clamped (computed, never stored).
        int ar[4], bc[4];
        for (uint i = 0u; i < 4u; i++) {
            ar[i] = abase + int(min(m0 + tr + i * RT, P.m - 1u)) * P.as2;
            bc[i] = bbase + int(min(n0 + tc + i * CT, P.n - 1u)) * P.bs3;
        }
        for (uint kk = 0u; kk < P.k; kk++) {
            int ko = int(kk) * P.bs2, ka = int(kk) * P.as3;
            vec4 bv = vec4(LOADF(b, DT, bc[0] + ko), LOADF(b, DT, bc[1] + ko),
                           LOADF(b, DT, bc[2] + ko), LOADF(b, DT, bc[3] + ko));
            acc[0] += LOADF(a, DT, ar[0] + ka) * bv;
            acc[1] += LOADF(a, DT, ar[1] + ka) * bv;
            acc[2] += LOADF(a, DT, ar[2] + ka) * bv;
            acc[3] += LOADF(a, DT, ar[3] + ka) * bv;
        }
    }

    uint cbase = P.coff + z * P.m * P.n;
    for (uint i = 0u; i < 4u; i++) {
        uint gm = m0 + tr + i * RT;
        if (gm >= P.m)
            continue;
        for (uint j = 0u; j < 4u; j++) {
            uint gn = n0 + tc + j * CT;
            if (gn < P.n)
                STOREF(c, DT, cbase + gm * P.n + gn, acc[i][j]);
        }
    }
}
