/* tessel — normalization layers: fused residual norms, DeepNorm, Sub-LN
 * (Magneto) and the Primer blocks (squared-ReLU FFN, multi-dconv-head
 * projection). Formulas and constants: docs/normalization.md.
 *
 * Conventions shared by every function here:
 *  - activations are [.., D] with the feature dim last; projection weights
 *    are [D_in, D_out] (x · W), biases [D_out]; all tensors of one call share
 *    one float dtype (f32, f16, bf16) and one device;
 *  - statistics and accumulation are f32 whatever the storage dtype; a
 *    NaN or inf in a row gives NaN where IEEE does (docs/numerics.md);
 *    alpha must be finite, eps finite and > 0;
 *  - outputs are contiguous tensors the caller created, overlapping no input;
 *  - a NULL optional tensor (weight, bias, s) means "absent";
 *  - temporaries a composite step needs are allocated on the device for the
 *    call and freed before it returns, on every path. */
#ifndef TESSEL_NORM_H
#define TESSEL_NORM_H

#include "tessel/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- fused residual norms (one pass over memory) ------------------------ */

/* s = alpha*x + f;  y = LayerNorm(s) * weight + bias (population variance,
 * eps inside the root; 1e-5 is the usual eps). x, f, y, s share one shape;
 * weight and bias are [D] or NULL; s is written only when non-NULL (it is the
 * next layer's residual stream). alpha must be finite. */
TS_API ts_status ts_residual_layer_norm(const ts_tensor *x, const ts_tensor *f, float alpha,
                                        const ts_tensor *weight, const ts_tensor *bias, float eps,
                                        ts_tensor *y, ts_tensor *s);
/* s = alpha*x + f;  y = s / sqrt(mean(s^2) + eps) * weight (1e-6 is the
 * usual eps). weight is [D] or NULL; s as above. */
TS_API ts_status ts_residual_rms_norm(const ts_tensor *x, const ts_tensor *f, float alpha,
                                      const ts_tensor *weight, float eps, ts_tensor *y,
                                      ts_tensor *s);

/* ---- DeepNorm (DeepNet) and Sub-LN (Magneto) constants ------------------- */

/* Which stack a constant is for. An encoder-only stack has N layers (M must
 * be 0), a decoder-only stack M layers (N must be 0); the two
 * encoder-decoder values need both N >= 1 and M >= 1. */
typedef enum ts_stack_arch {
    TS_STACK_ENCODER_ONLY = 0,
    TS_STACK_DECODER_ONLY = 1,
    TS_STACK_ENCDEC_ENCODER = 2, /* the encoder of an encoder-decoder model */
    TS_STACK_ENCDEC_DECODER = 3  /* the decoder of an encoder-decoder model */
} ts_stack_arch;
#define TS_STACK_ARCH_COUNT 4

/* DeepNorm residual scale alpha and init gain beta:
 *   encoder-only   alpha = (2N)^(1/4)            beta = (8N)^(-1/4)
 *   decoder-only   alpha = (2M)^(1/4)            beta = (8M)^(-1/4)
 *   enc-dec enc    alpha = 0.81 (N^4 M)^(1/16)   beta = 0.87 (N^4 M)^(-1/16)
 *   enc-dec dec    alpha = (3M)^(1/4)            beta = (12M)^(-1/4)
 * Either output pointer may be NULL. TS_ERR_INVALID_ARGUMENT for a bad arch
 * or layer counts (see ts_stack_arch). */
TS_API ts_status ts_deepnorm_constants(ts_stack_arch arch, int n_encoder, int m_decoder,
                                       float *alpha, float *beta);

/* Sub-LN init gain gamma:
 *   encoder-only sqrt(ln 2N); decoder-only sqrt(ln 2M);
 *   enc-dec encoder sqrt(ln(3M) ln(2N) / 3); enc-dec decoder sqrt(ln 3M).
 * Same argument rules as ts_deepnorm_constants. */
TS_API ts_status ts_subln_gain(ts_stack_arch arch, int n_encoder, int m_decoder, float *gamma);

/* Multiply each of the count weight tensors by gain in place (DeepNorm's
 * beta on the FFN, value and output projections; Sub-LN's gamma likewise;
 * query and key keep gain 1). Any float dtype and any writable view; f16 and
 * bf16 are scaled in f32 and rounded to nearest-even once. Every tensor is
 * checked before any is changed; tensors must not overlap each other. */
TS_API ts_status ts_scale_init_weights(ts_tensor *const *weights, int count, float gain);

/* DeepNorm residual step (post-LN): y = LayerNorm(alpha*x + gx) * weight +
 * bias, where gx = G(x) is the sublayer's output and alpha comes from
 * ts_deepnorm_constants. alpha scales the residual x, never G(x). One fused
 * pass. */
TS_API ts_status ts_deepnorm_residual(const ts_tensor *x, const ts_tensor *gx, float alpha,
                                      const ts_tensor *weight, const ts_tensor *bias, float eps,
                                      ts_tensor *y);

/* ---- Sub-LN placement helpers (Magneto) ---------------------------------- */

/* The attention output projection with Sub-LN's extra LayerNorm in front:
 *   out = LayerNorm(attn) * ln_weight + ln_bias, then · w_out + b_out
 * attn [.., D] (heads concatenated), ln_weight/ln_bias [D] or NULL,
 * w_out [D, D_model], b_out [D_model] or NULL, out [.., D_model]. */
TS_API ts_status ts_subln_attention_output(const ts_tensor *attn, const ts_tensor *ln_weight,
                                           const ts_tensor *ln_bias, float eps,
                                           const ts_tensor *w_out, const ts_tensor *b_out,
                                           ts_tensor *out);

/* The FFN with Sub-LN's extra LayerNorm on the inner activation:
 *   h = act(x · w1 + b1);  out = LayerNorm(h) * ln_weight + ln_bias, · w2 + b2
 * x [.., D], w1 [D, H], b1 [H] or NULL, act a ts_unary_op (Magneto uses
 * TS_GELU_ERF), ln_weight/ln_bias [H] or NULL, w2 [H, D_out], b2 [D_out] or
 * NULL, out [.., D_out]. */
TS_API ts_status ts_subln_ffn(const ts_tensor *x, const ts_tensor *w1, const ts_tensor *b1,
                              ts_unary_op act, const ts_tensor *ln_weight, const ts_tensor *ln_bias,
                              float eps, const ts_tensor *w2, const ts_tensor *b2, ts_tensor *out);

/* ---- Primer ------------------------------------------------------------- */

/* Squared-ReLU FFN: out = relu(x · w1 + b1)^2 · w2 + b2.
 * x [.., D], w1 [D, H], b1 [H] or NULL, w2 [H, D_out], b2 [D_out] or NULL,
 * out [.., D_out]. */
TS_API ts_status ts_primer_ffn(const ts_tensor *x, const ts_tensor *w1, const ts_tensor *b1,
                               const ts_tensor *w2, const ts_tensor *b2, ts_tensor *out);

/* One multi-dconv-head projection: p = x · w, then a causal depthwise
 * convolution of width 3 along the sequence, one filter per channel, no
 * bias:  out[b, t, c] = dconv[c,0] p[b,t,c] + dconv[c,1] p[b,t-1,c]
 *                      + dconv[c,2] p[b,t-2,c]   (zero before t = 0).
 * x [B, L, D] or [L, D], w [D, C] (C = heads * head_dim), dconv [C, 3],
 * out [B, L, C] or [L, C]. Call it for each of Q, K and V, or use
 * ts_primer_mdha_qkv. */
TS_API ts_status ts_primer_dconv_projection(const ts_tensor *x, const ts_tensor *w,
                                            const ts_tensor *dconv, ts_tensor *out);

/* Q, K and V of multi-dconv-head attention from one input: each is
 * ts_primer_dconv_projection with its own projection and dconv weights.
 * All three are validated before any work is recorded. */
TS_API ts_status ts_primer_mdha_qkv(const ts_tensor *x, const ts_tensor *wq, const ts_tensor *wk,
                                    const ts_tensor *wv, const ts_tensor *dconv_q,
                                    const ts_tensor *dconv_k, const ts_tensor *dconv_v,
                                    ts_tensor *q, ts_tensor *k, ts_tensor *v);

#ifdef __cplusplus
}
#endif
#endif
