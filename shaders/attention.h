/* Tiled attention (TSI_OP_ATTENTION): what the kernel and the host share.
 * Included by shaders/attention.kern and by backend-gpu/gpu_attention.c,
 * so the parameter layout, the constants and the bindings are written
 * once for Vulkan, OpenCL and the host. */
#ifndef TS_ATTENTION_H
#define TS_ATTENTION_H

/* WG invocations; DT dtype of q, k, v, bias, gate, o; QT x KT tiles; HD
 * head dim of q and k, HDV of v, o and gate; OPT = ceil(QT * HDV / WG)
 * accumulators per invocation; SPLITK 1 when the keys are split over
 * launches (a constant, so drivers without a loop limit compile no state
 * code at all). */
#define ATTENTION_CONSTS(X)                                                                        \
    X(0, WG) X(1, DT) X(2, QT) X(3, KT) X(4, HD) X(5, OPT) X(6, SPLITK) X(7, HDV)

/* state: the split row state (m, l, O[HDV] per query row, f32) when the
 * keys are split over several launches, or one such state per key chunk
 * (slot c at c * B * Hq * Lq rows) in split-K decode; a dummy otherwise. klen: i32 [B]
 * valid key counts. */
#define ATTENTION_BUFS(X)                                                                          \
    X(0, RO, q) X(1, RO, k) X(2, RO, v) X(3, RO, bias) X(4, RO, mask) X(5, RO, gate) X(6, RW, o)  \
    X(7, RW, lse) X(8, RW, state) X(9, RO, klen)

/* Offsets and strides in elements; bias strides 0 on broadcast dims.
 * off: the causal offset (ATTN_BR: unused, kl - lq per batch); window:
 * 0 or the window w; both bounded by core (core/op.h). softcap: 0 none.
 * hpt: query heads per row block (1; split-K decode: Hq / Hkv, the heads
 * of one kv head, whose rows are contiguous in q, o and lse). kchunk: 0,
 * or (split-K decode) keys per chunk, a multiple of KT: the grid holds
 * ceil(lk / kchunk) copies of the row blocks, copy c takes keys [c *
 * kchunk, (c + 1) * kchunk) and leaves its partial (m, l, O) in state slot
 * c; attention_merge combines the slots.
 * 29 words: within the 128 bytes of push constants Vulkan guarantees. */
#define ATTENTION_PARAMS(X)                                                                        \
    X(u32, q_off) X(u32, k_off) X(u32, v_off) X(u32, bias_off) X(u32, mask_off) X(u32, gate_off)  \
    X(u32, o_off) X(u32, lse_off) X(u32, bias_st0) X(u32, bias_st1) X(u32, bias_st2)              \
    X(u32, bias_st3) X(u32, mask_stb) X(u32, mask_stc) X(u32, batch) X(u32, hq) X(u32, hkv)       \
    X(u32, lq) X(u32, lk) X(f32, scale) X(u32, flags) X(u32, kbeg) X(u32, kend) X(u32, klen_off) \
    X(i32, off) X(i32, window) X(f32, softcap) X(u32, hpt) X(u32, kchunk)

#define ATTN_CAUSAL 1u
#define ATTN_BIAS 2u
#define ATTN_MASK 4u
#define ATTN_GATE 8u
#define ATTN_LSE 16u
#define ATTN_KEYLEN 32u /* klen bound */
#define ATTN_BR 256u    /* causal offset kl - lq (bottom right) */
/* With SPLITK, this launch covers keys [kbeg, kend) of a longer range:
 * FIRST starts the row state, else reads it from `state`; LAST writes o
 * and lse, else the state goes back to `state` for the next launch. */
#define ATTN_FIRST 64u
#define ATTN_LAST 128u

#endif
