#version 450
// TSI_OP_SCATTER_ADD_ROWS (recorded by backend-vulkan/vk_op_scatter.c):
// dst[idx[i], :] += src[i, :] for i = 0, 1, ... in order; idx outside
// [0, V) is skipped. Deterministic without float atomics, in two dispatches
// of this shader (MODE spec constant):
//  MODE 0, plan (one workgroup): a stable counting sort of the row numbers
//    i by destination into start[V + 1] (CSR offsets) and order[N] (rows in
//    index order within each destination): atomic counts (integers, so
//    deterministic), a chunked workgroup prefix sum, then a fill in chunks
//    of WG rows where each row's slot is its destination's cursor plus its
//    rank among earlier lanes of the chunk with the same destination, so
//    every destination lists its rows in increasing i. The fill is split
//    over dispatches of a bounded number of chunks: llvmpipe stops an
//    invocation's loops after 65535 iterations in all (vk_tuning.c,
//    loop_cap), which a serial O(N + V) plan or one long fill would pass.
//    This keeps the adds at O(N * D) in all: scanning idx per dst element
//    would cost O(V * N * D) and trip GPU watchdogs at MoE sizes.
//  MODE 1, add (one invocation per dst element): adds its rows in i order
//    to an f32 (i32: wrapping int) accumulator started from dst and rounds
//    once on store; rows no index names keep their exact bits.
#include "common.glsl"

layout(constant_id = 1) const uint DT = 0;
layout(constant_id = 2) const uint MODE = 0;

layout(std430, binding = 0) readonly buffer I { uint idx[]; };
layout(std430, binding = 1) readonly buffer S { uint src[]; };
layout(std430, binding = 2) buffer D { uint dst[]; };
// start[0..V] CSR offsets, start[V+1..2V] the plan's per-row fill cursors.
layout(std430, binding = 3) coherent buffer Start { uint start[]; };
layout(std430, binding = 4) buffer Order { uint order[]; };

layout(push_constant) uniform Params {
    uint v, d, n, ioff, soff, doff;
    uint phase, c0, c1; // plan: 0 count + offsets, 1 fill chunks [c0, c1)
} P;

bool target(uint i, out uint row)
{
    int r = LOADI(idx, P.ioff + i);
    row = uint(r);
    return r >= 0 && uint(r) < P.v;
}

shared uint lane_row[WG];
shared uint lane_sum[WG];

// Chunks [c0, c1) of WG rows each, in order (see the header).
void fill(uint lid)
{
    uint row;
    for (uint base = P.c0 * WG; base < min(P.n, P.c1 * WG); base += WG) {
        uint i = base + lid;
        bool hit = i < P.n && target(i, row);
        lane_row[lid] = hit ? row : 0xffffffffu;
        barrier();
        uint rank = 0u;
        bool last = true;
        for (uint l = 0u; l < WG; l++)
            if (lane_row[l] == lane_row[lid]) {
                rank += l < lid ? 1u : 0u;
                last = last && l <= lid;
            }
        uint cursor = hit ? start[P.v + 1u + row] : 0u;
        if (hit)
            order[start[row] + cursor + rank] = i;
        memoryBarrierBuffer();
        barrier();
        if (hit && last)
            start[P.v + 1u + row] = cursor + rank + 1u;
        memoryBarrierBuffer();
        barrier();
    }
}

void plan()
{
    if (flat_group() != 0u)
        return;
    uint lid = gl_LocalInvocationID.x;
    uint row;
    if (P.phase == 1u) {
        fill(lid);
        return;
    }
    for (uint r = lid; r <= 2u * P.v; r += WG)
        start[r] = 0u;
    memoryBarrierBuffer();
    barrier();
    for (uint i = lid; i < P.n; i += WG)
        if (target(i, row))
            atomicAdd(start[row + 1u], 1u);
    memoryBarrierBuffer();
    barrier();
    // Inclusive prefix sum of start[0..V]: each lane sums a chunk, lane
    // partials are scanned in shared memory, then each lane rewrites its chunk.
    uint chunk = (P.v + WG) / WG; // ceil((V + 1) / WG)
    uint lo = min(lid * chunk, P.v + 1u), hi = min(lo + chunk, P.v + 1u);
    uint part = 0u;
    for (uint r = lo; r < hi; r++)
        part += start[r];
    lane_sum[lid] = part;
    barrier();
    uint run = 0u;
    for (uint l = 0u; l < lid; l++)
        run += lane_sum[l];
    for (uint r = lo; r < hi; r++) {
        run += start[r];
        start[r] = run;
    }
}

void add()
{
    uint id = flat_id();
    if (id >= P.v * P.d)
        return;
    uint r = id / P.d, c = id % P.d;
    uint j0 = start[r], j1 = start[r + 1u];
    if (j0 == j1)
        return; // untouched rows keep their exact bits
    uint p = P.doff + id;
    if (DT == DT_I32) {
        int acc = LOADI(dst, p);
        for (uint j = j0; j < j1; j++)
            acc += LOADI(src, P.soff + order[j] * P.d + c);
        STOREI(dst, p, acc);
        return;
    }
    float acc = LOADF(dst, DT, p);
    for (uint j = j0; j < j1; j++)
        acc += LOADF(src, DT, P.soff + order[j] * P.d + c);
    STOREF(dst, DT, p, acc);
}

void main()
{
    if (MODE == 0u)
        plan();
    else
        add();
}
