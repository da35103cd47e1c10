/* tessel — attention layer: tiled ("flash") attention, its naive baseline,
 * and the GAU / mixed-chunk (FLASH) layers built on public ops.
 * docs/attention.md explains the tiling and the per-device tile choice. */
#ifndef TESSEL_ATTENTION_H
#define TESSEL_ATTENTION_H

#include "tessel/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Optional parts of one attention call. Zero-initialize it (or call
 * ts_attention_params_init) and set what you need. */
enum { TS_CAUSAL_BOTTOM_RIGHT = 0, TS_CAUSAL_TOP_LEFT = 1, TS_CAUSAL_OFFSET = 2 };

typedef struct ts_attention_params {
    /* Multiplies q.k^T. 0 (the default) means 1/sqrt(D). Must be finite. */
    float scale;
    /* Nonzero: query r sees key c only if c <= r + offset, where offset
     * depends on causal_align below. The default aligns to the bottom
     * right: offset = kl - Lq with kl = key_len[b] (or Lk), so with Lq = 1
     * the query sees every valid key. */
    int causal;
    /* TS_CAUSAL_BOTTOM_RIGHT (0, default): offset = kl - Lq;
     * TS_CAUSAL_TOP_LEFT: offset = 0 (query r sees keys 0..r);
     * TS_CAUSAL_OFFSET: offset = causal_offset (any value, may be < 0).
     * Used by causal and by window. */
    int causal_align;
    int64_t causal_offset;
    /* > 0: a causal sliding window of w keys: query r sees key c only if
     * r + offset - w < c <= r + offset (implies causal). 0: none. */
    int64_t window;
    /* > 0: logit soft-capping (Gemma 2): s = c * tanh(s / c) applied to
     * the scaled logits scale*q.k before bias and masks. 0: none. Must
     * be finite and >= 0. */
    float softcap;
    /* i32 [B]: batch b's valid key count (a padded KV cache): keys at and
     * past key_len[b] are hidden from every query of batch b and never
     * read into the result (they may hold anything, NaN included). 0 <=
     * key_len[b] <= Lk; the values are read on the device, not checked
     * (that would stall the queue), and one outside is clamped to 0..Lk.
     * On k's device. NULL: every key is valid. */
    const ts_tensor *key_len;
    /* Additive bias in q's dtype, broadcastable (numpy rules) to
     * [B, Hq, Lq, Lk]: pair bias, relative position, an additive mask
     * (-inf hides a key). NULL: none. Any strides. */
    const ts_tensor *bias;
    /* i32 key mask, [B, Lk] or [Lk] (shared by the batch): a key whose
     * entry is 0 is hidden from every query of that batch. NULL: none. */
    const ts_tensor *key_mask;
    /* Output gate in q's dtype, [B, Hq, Lq, Dv]: out = sigmoid(gate) * out
     * (Evoformer gated attention). NULL: none. */
    const ts_tensor *gate;
    /* Output: f32 [B, Hq, Lq] log-sum-exp (natural log) of each row's
     * scaled, biased, masked scores; -inf for a row that sees no key,
     * NaN for a row with a NaN score. Contiguous. NULL: not computed. */
    ts_tensor *lse;
} ts_attention_params;

TS_API void ts_attention_params_init(ts_attention_params *p);

/* out = softmax(scale * q.k^T + bias, masked) . v, per batch and head.
 *   q   [B, Hq, Lq, D]      f32, f16 or bf16 (f32 accumulation always)
 *   k   [B, Hkv, Lk, D]     q's dtype; Hq a multiple of Hkv (MHA, GQA,
 *                           MQA): query head h reads kv head h/(Hq/Hkv)
 *   v   [B, Hkv, Lk, Dv]    q's dtype; Dv may differ from D
 *   out [B, Hq, Lq, Dv]     q's dtype, contiguous (gate too: [.., Dv])
 * 1 <= D, Dv <= 256. Lq = 1 is decoding against a long K/V. A query row that
 * sees no key (causal with Lq > Lk, every key masked, or a bias row of
 * -inf) gives zeros; a NaN among its scores gives NaN (docs/numerics.md).
 * Never allocates anything of size Lq x Lk. params may be NULL (defaults).
 * Inputs may be any views (non-contiguous q, k, v, gate are copied). */
TS_API ts_status ts_attention(const ts_tensor *q, const ts_tensor *k, const ts_tensor *v,
                              const ts_attention_params *params, ts_tensor *out);

/* BENCHMARK BASELINE ONLY: the same result computed the textbook way,
 * scores = q.k^T materialized ([B, Hq, Lq, Lk] in q's dtype, so O(L^2)
 * memory), ts_softmax, then . v, all with public ops. Takes every
 * parameter ts_attention takes; key_len and key_mask are read back to the
 * host, and the lse is computed in f32 from the materialized scores.
 * tessel-bench compares ts_attention against it, and ts_attention runs it
 * on a device without an attention kernel (reported as a fallback). */
TS_API ts_status ts_attention_naive(const ts_tensor *q, const ts_tensor *k, const ts_tensor *v,
                                    const ts_attention_params *params, ts_tensor *out);

/* ---- GAU and mixed-chunk attention (FLASH, Hua et al. 2022) -------------
 * x [B, n, d]. With e the expansion width and s the shared Q/K width:
 *   xn = LayerNorm(x) (eps, optional affine)
 *   [U | V | Z] = SiLU(xn . w_in + b_in)       U, V [B,n,e], Z [B,n,s]
 *   per row r of gamma/beta: Q_r = Z * gamma[r] + beta[r]
 *   out = (U * attn(V)) . w_out + x
 * ts_gau:   attn(V) = relu^2(Q0.K1^T / n + bias) . V    (causal: zero
 *           above the diagonal)
 * ts_flash: chunks of C rows; quad = relu^2(Q0.K1^T / C) . V inside each
 *           chunk (causal inside the chunk), plus the linear part
 *           Q2 . (sum over chunks of K3^T . V) / n, over all chunks or,
 *           causal, over the earlier chunks only (exclusive prefix sum).
 * e comes from w_out's shape and s from w_in's. */
typedef struct ts_gau_weights {
    const ts_tensor *norm_weight; /* [d] or NULL */
    const ts_tensor *norm_bias;   /* [d] or NULL */
    const ts_tensor *w_in;        /* [d, 2e + s] */
    const ts_tensor *b_in;        /* [2e + s] or NULL */
    /* [2, s] for ts_gau (rows: q, k); [4, s] for ts_flash (rows: quad q,
     * quad k, linear q, linear k). */
    const ts_tensor *gamma;
    const ts_tensor *beta;
    const ts_tensor *w_out; /* [e, d] */
} ts_gau_weights;

typedef struct ts_gau_params {
    int causal;
    float norm_eps;        /* 0: 1e-5 */
    int64_t chunk;         /* ts_flash: C; 0: 256 */
    const ts_tensor *bias; /* ts_gau only: additive, broadcastable to [B, n, n]; NULL */
} ts_gau_params;

/* Every tensor in x's float dtype on x's device; out [B, n, d] contiguous.
 * params may be NULL (non-causal defaults). */
TS_API ts_status ts_gau(const ts_tensor *x, const ts_gau_weights *w, const ts_gau_params *params,
                        ts_tensor *out);
TS_API ts_status ts_flash(const ts_tensor *x, const ts_gau_weights *w,
                          const ts_gau_params *params, ts_tensor *out);

#ifdef __cplusplus
}
#endif
#endif
