#version 450
// Tiled attention forward (TSI_OP_ATTENTION, core/op.h): one workgroup of
// WG invocations per (batch, head, query tile of QT rows). The pre-scaled
// Q tile, one K and one V tile of KT keys and the QT x KT score tile live
// in shared memory; the f32 output accumulator is spread over the
// invocations (element e = lid + t*WG of the QT x HD tile). Online softmax
// per row (m, l, rescale factor in shared memory). Key tiles past the
// causal diagonal of the tile's last row are skipped; a row that sees no
// key ends with o = 0 and lse = -inf. Row statistics are plain loops, so
// the shader is right for any subgroup size.
//
// Specialization constants: 0 WG (common.glsl), 1 DT (storage dtype of
// q, k, v, bias, gate, o), 2 QT, 3 KT, 4 HD (head dim), 5 OPT =
// ceil(QT * HD / WG). Buffers are uint[] (common.glsl); 16-bit stores use
// atomics on their half word, so neighbouring workgroups never race.
#include "common.glsl"

layout(constant_id = 1) const uint DT = 0;
layout(constant_id = 2) const uint QT = 16;
layout(constant_id = 3) const uint KT = 32;
layout(constant_id = 4) const uint HD = 64;
layout(constant_id = 5) const uint OPT = 16;

layout(std430, binding = 0) readonly buffer Q { uint q[]; };
layout(std430, binding = 1) readonly buffer K { uint k[]; };
layout(std430, binding = 2) readonly buffer V { uint v[]; };
layout(std430, binding = 3) readonly buffer Bias { uint bias[]; };
layout(std430, binding = 4) readonly buffer Mask { uint mask[]; };
layout(std430, binding = 5) readonly buffer Gate { uint gate[]; };
layout(std430, binding = 6) buffer O { uint o[]; };
layout(std430, binding = 7) buffer Lse { uint lse[]; };

const uint HAS_CAUSAL = 1u, HAS_BIAS = 2u, HAS_MASK = 4u, HAS_GATE = 8u, HAS_LSE = 16u;
// Split keys: this dispatch covers keys [kbeg, kend) of a longer range.
// FIRST starts the row state, else it is read from binding 7; LAST writes
// o (and, with HAS_LSE, the lse into the state's m slot), else the state
// (m, l, O[HD] per row, f32) goes back to binding 7 for the next dispatch.
const uint SPLIT = 32u, FIRST = 64u, LAST = 128u;

layout(push_constant) uniform Params {
    uint q_off, k_off, v_off, bias_off, mask_off, gate_off, o_off, lse_off; // elements
    uint bias_st0, bias_st1, bias_st2, bias_st3; // 0 on broadcast dims
    uint mask_stb, mask_stc;
    uint batch, hq, hkv, lq, lk;
    float scale;
    uint flags;
    uint kbeg, kend;
} P;

#define LOAD(arr, i) LOADF(arr, DT, i)

shared float qs[QT * HD];
shared float ks[KT * HD];
shared float vs[KT * HD];
shared float s[QT * KT];
shared float row_m[QT];
shared float row_l[QT];
shared float row_a[QT];

void main()
{
    uint lid = gl_LocalInvocationID.x;
    uint nqt = (P.lq + QT - 1u) / QT;
    // A 2-d grid when there are more tiles than one grid dimension allows;
    // the spare groups of its last row leave at once (uniformly).
    uint grp = flat_group();
    if (grp >= P.batch * P.hq * nqt)
        return;
    uint qtile = grp % nqt;
    uint h = (grp / nqt) % P.hq;
    uint b = grp / (nqt * P.hq);
    uint g = h / (P.hq / P.hkv);
    uint i0 = qtile * QT;
    uint nq = min(QT, P.lq - i0);
    uint qrow0 = (b * P.hq + h) * P.lq + i0;
    uint krow0 = (b * P.hkv + g) * P.lk;
    bool causal = (P.flags & HAS_CAUSAL) != 0u;
    float acc[OPT];

    for (uint e = lid; e < QT * HD; e += WG)
        qs[e] = e / HD < nq ? LOAD(q, P.q_off + qrow0 * HD + e) * P.scale : 0.0;
    bool split = (P.flags & SPLIT) != 0u;
    bool first = !split || (P.flags & FIRST) != 0u;
    bool last = !split || (P.flags & LAST) != 0u;
    const uint SW = HD + 2u; // state words per row
    for (uint r = lid; r < QT; r += WG) {
        bool load = !first && r < nq;
        row_m[r] = load ? uintBitsToFloat(lse[(qrow0 + r) * SW]) : NEG_INF;
        row_l[r] = load ? uintBitsToFloat(lse[(qrow0 + r) * SW + 1u]) : 0.0;
    }
    for (uint t = 0u; t < OPT; t++) {
        uint e = lid + t * WG;
        bool load = !first && e < QT * HD && e / HD < nq;
        acc[t] = load ? uintBitsToFloat(lse[(qrow0 + e / HD) * SW + 2u + e % HD]) : 0.0;
    }

    // Query r sees key c iff c <= r + (lk - lq); signed math for lq > lk.
    int diag = int(P.lk) - int(P.lq);
    uint kv_end = P.lk;
    if (causal)
        kv_end = uint(clamp(int(i0 + nq) + diag, 0, int(P.lk)));
    if (split)
        kv_end = min(kv_end, P.kend);
    for (uint j0 = split ? P.kbeg : 0u; j0 < kv_end; j0 += KT) {
        uint nk = min(KT, kv_end - j0);
        barrier();
        for (uint e = lid; e < KT * HD; e += WG) {
            uint src = (krow0 + j0) * HD + e;
            bool in_tile = e / HD < nk;
            ks[e] = in_tile ? LOAD(k, P.k_off + src) : 0.0;
            vs[e] = in_tile ? LOAD(v, P.v_off + src) : 0.0;
        }
        barrier();
        for (uint e = lid; e < QT * KT; e += WG) {
            uint r = e / KT, c = e % KT, i = i0 + r, key = j0 + c;
            bool vis = r < nq && c < nk && (!causal || int(key) <= int(i) + diag);
            if (vis && (P.flags & HAS_MASK) != 0u &&
                LOADI(mask, P.mask_off + b * P.mask_stb + key * P.mask_stc) == 0)
                vis = false;
            float sc = NEG_INF;
            if (vis) {
                float dot = 0.0;
                for (uint x = 0u; x < HD; x++)
                    dot = fma(qs[r * HD + x], ks[c * HD + x], dot);
                if ((P.flags & HAS_BIAS) != 0u)
                    dot += LOAD(bias, P.bias_off + b * P.bias_st0 + h * P.bias_st1 +
                                          i * P.bias_st2 + key * P.bias_st3);
                sc = dot;
            }
            s[e] = sc;
        }
        barrier();
        for (uint r = lid; r < QT; r += WG) {
            float mt = NEG_INF;
            for (uint c = 0u; c < nk; c++)
                mt = max(mt, s[r * KT + c]);
            float mold = row_m[r], mnew = max(mold, mt);
            // While nothing is visible the exponent uses 0: no -inf - -inf.
            float shift = mnew == NEG_INF ? 0.0 : mnew;
            float sum = 0.0;
            for (uint c = 0u; c < KT; c++) {
                float p = c < nk ? exp(s[r * KT + c] - shift) : 0.0;
                s[r * KT + c] = p;
                sum += p;
            }
            float a = exp(mold - shift);
            row_l[r] = a * row_l[r] + sum;
            row_m[r] = mnew;
            row_a[r] = a;
        }
        barrier();
        for (uint t = 0u; t < OPT; t++) {
            uint e = lid + t * WG;
            if (e < QT * HD) {
                uint r = e / HD, x = e % HD;
                float sum = acc[t] * row_a[r];
                for (uint c = 0u; c < nk; c++)
                    sum = fma(s[r * KT + c], vs[c * HD + x], sum);
                acc[t] = sum;
            }
        }
    }
    barrier();
    if (!last) {
        for (uint t = 0u; t < OPT; t++) {
            uint e = lid + t * WG;
            if (e < QT * HD && e / HD < nq)
                lse[(qrow0 + e / HD) * SW + 2u + e % HD] = floatBitsToUint(acc[t]);
        }
        for (uint r = lid; r < nq; r += WG) {
            lse[(qrow0 + r) * SW] = floatBitsToUint(row_m[r]);
            lse[(qrow0 + r) * SW + 1u] = floatBitsToUint(row_l[r]);
        }
        return;
    }
    for (uint t = 0u; t < OPT; t++) {
        uint e = lid + t * WG;
        uint r = e / HD;
        if (e < QT * HD && r < nq) {
            float l = row_l[r];
            float val = l > 0.0 ? acc[t] / l : 0.0;
            uint at = qrow0 * HD + e;
            if ((P.flags & HAS_GATE) != 0u)
                val *= 1.0 / (1.0 + exp(-LOAD(gate, P.gate_off + at)));
            STOREF(o, DT, P.o_off + at, val);
        }
    }
    if ((P.flags & HAS_LSE) != 0u)
        for (uint r = lid; r < nq; r += WG) {
            float v = row_l[r] > 0.0 ? row_m[r] + log(row_l[r]) : NEG_INF;
            // Split: into the state's m slot, copied to the lse afterwards.
            lse[split ? (qrow0 + r) * SW : P.lse_off + qrow0 + r] = floatBitsToUint(v);
        }
}
