#version 450
// TSI_OP_GATHER_ROWS: out[i, :] = table[idx[i], :], zero row when idx is
// outside [0, V). One invocation per output element. Elements move as raw
// bits for every dtype (no trip through f32), so NaN payloads and signed
// zeros arrive unchanged; 16-bit halves are written with atomics like
// STOREF so neighbours sharing a word never race.
#include "common.glsl"

layout(constant_id = 1) const uint DT = 0;

layout(std430, binding = 0) readonly buffer T { uint table[]; };
layout(std430, binding = 1) readonly buffer I { uint idx[]; };
layout(std430, binding = 2) buffer O { uint o[]; };

layout(push_constant) uniform Params {
    uint v, d, n, toff, ioff, ooff;
} P;

void main()
{
    uint id = flat_id();
    if (id >= P.n * P.d)
        return;
    uint i = id / P.d, c = id % P.d;
    int r = LOADI(idx, P.ioff + i);
    bool in_range = r >= 0 && uint(r) < P.v;
    uint src = P.toff + uint(max(r, 0)) * P.d + c;
    uint dst = P.ooff + id;
    if (!dt_is16(DT)) {
        o[dst] = in_range ? table[src] : 0u;
        return;
    }
    uint bits = 0u;
    if (in_range)
        bits = (src & 1u) != 0u ? (table[src >> 1] >> 16) : (table[src >> 1] & 0xffffu);
    uint sh = (dst & 1u) * 16u;
    atomicAnd(o[dst >> 1], ~(0xffffu << sh));
    atomicOr(o[dst >> 1], bits << sh);
}
