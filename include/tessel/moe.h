/* tessel — mixture-of-experts layer: routers (softmax top-k / Switch
 * top-1, X-MoE), expert capacity, and the whole expert FFN layer with one
 * grouped GEMM per projection for all experts. docs/moe.md explains the
 * routing plan, the losses and the kernels behind it. */
#ifndef TESSEL_MOE_H
#define TESSEL_MOE_H

#include "tessel/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ts_moe_router_kind {
    /* h = x . router (no bias); p = softmax(h); the k largest p (k = 1:
     * Switch, k = 2: GShard); ties to the lower expert index. */
    TS_MOE_ROUTER_SOFTMAX = 0,
    /* X-MoE: r = x . xmoe_reduce; h_i = cos(r, e_i) / tau with r and the
     * expert embeddings e_i L2-normalized (x / max(|x|, 1e-4)); then
     * softmax(h) (or sigmoid(h), xmoe_sigmoid) and the k largest. */
    TS_MOE_ROUTER_XMOE
} ts_moe_router_kind;
#define TS_MOE_ROUTER_COUNT 2

/* The expert FFN's activation: y = act(x . w1) . w2, or for SwiGLU
 * y = (silu(x . w_gate) * (x . w1)) . w2. */
typedef enum ts_moe_activation {
    TS_MOE_RELU = 0, /* max(h, 0) */
    TS_MOE_RELU2,    /* max(h, 0)^2 (Primer) */
    TS_MOE_GELU,     /* h/2 (1 + erf(h / sqrt 2)) */
    TS_MOE_SILU,     /* h / (1 + exp(-h)) */
    TS_MOE_SWIGLU    /* silu(x . w_gate) * (x . w1): needs w_gate */
} ts_moe_activation;
#define TS_MOE_ACTIVATION_COUNT 5

/* The routing plan: optional outputs, each NULL (not computed) or a
 * contiguous tensor the caller created on x's device, overlapping no input
 * and no other output. T tokens, E experts, k choices per token, R rows
 * (ts_moe_capacity). Choice c of token t is its c-th largest probability. */
typedef struct ts_moe_plan {
    ts_tensor *logits; /* f32 [T, E]: h (X-MoE: cos / tau) */
    ts_tensor *probs;  /* f32 [T, E]: softmax(h), or sigmoid(h) */
    ts_tensor *expert; /* i32 [T, k]: the expert of each choice */
    /* f32 [T, k]: the weight of each choice in the output, p of its expert
     * (renormalize: divided by the token's sum over its k choices + 1e-9).
     * A dropped choice keeps its gate here; it is skipped by its row. */
    ts_tensor *gate;
    ts_tensor *rows;      /* i32 [T, k]: the row of each kept choice in expert order, -1 dropped */
    ts_tensor *row_token; /* i32 [R]: the token of each row, -1 past the kept rows */
    ts_tensor *counts;    /* i32 [E]: kept choices per expert (group sizes) */
    ts_tensor *offsets;   /* i32 [E + 1]: exclusive prefix sum of counts */
    ts_tensor *dropped;   /* i32 [1]: choices dropped for capacity */
    /* f32 [1]: aux_loss_weight * E * sum_i f_i P_i, with f_i the fraction
     * of tokens whose first choice is i (before dropping) and P_i the mean
     * of p[:, i] over the tokens; aux_loss_weight at perfect balance. */
    ts_tensor *aux_loss;
    ts_tensor *z_loss; /* f32 [1]: mean over tokens of (logsumexp_i h_ti)^2 */
} ts_moe_plan;

/* Every field has a default (ts_moe_params_init) except n_experts. */
typedef struct ts_moe_params {
    int n_experts; /* E, 1 .. 65536; must match the weights. No default (0). */
    int k;         /* choices per token, 1 <= k <= E; default 2 */
    /* Capacity per expert C = ceil(k T / E * capacity_factor), at least
     * min_capacity. 0 means unlimited (no choice is dropped); a negative
     * factor is TS_ERR_INVALID_ARGUMENT (a sign error is more likely than
     * a wish for "unlimited"). Default 1.25. */
    float capacity_factor;
    int64_t min_capacity; /* >= 0; default 4 */
    /* >= 0: exactly this many slots per expert, ignoring capacity_factor
     * and min_capacity (0 drops every choice). -1 (default): from the
     * factor. */
    int64_t capacity;
    int renormalize;              /* nonzero: gates of a token divided by their sum + 1e-9 */
    ts_moe_router_kind router;    /* default TS_MOE_ROUTER_SOFTMAX */
    ts_moe_activation activation; /* default TS_MOE_RELU */
    /* X-MoE: tau, clamped to >= 1e-4; default 0.07 (X-MoE's initial value). */
    float xmoe_temperature;
    int xmoe_skip_token_norm; /* X-MoE: nonzero leaves r unnormalized */
    int xmoe_sigmoid;         /* X-MoE: sigmoid(h) gates instead of softmax */
    float aux_loss_weight;    /* alpha of the load-balancing loss; default 0.01 */
    ts_moe_plan plan;         /* optional outputs; all NULL by default */
} ts_moe_params;

/* Router and expert weights. Expert weights share x's dtype; router
 * weights may be any float dtype (the router computes in f32). */
typedef struct ts_moe_weights {
    const ts_tensor *router;       /* [d, E], TS_MOE_ROUTER_SOFTMAX */
    const ts_tensor *xmoe_reduce;  /* [d, d_r], TS_MOE_ROUTER_XMOE */
    const ts_tensor *xmoe_experts; /* [E, d_r], TS_MOE_ROUTER_XMOE */
    const ts_tensor *w1;           /* [E, d, ff] */
    const ts_tensor *w_gate;       /* [E, d, ff], TS_MOE_SWIGLU only (else NULL) */
    const ts_tensor *w2;           /* [E, ff, d] */
} ts_moe_weights;

TS_API void ts_moe_params_init(ts_moe_params *p);

/* The capacity C (-1: unlimited) and the number of rows R of the expert
 * order for T tokens: R = T k, or E C when that is smaller. Checks p like
 * the layer does. */
TS_API ts_status ts_moe_capacity(const ts_moe_params *p, int64_t tokens, int64_t *capacity,
                                 int64_t *rows);

/* Routing alone: x [T, d] (f32, f16 or bf16; any view) through the router
 * weights of w (expert weights are ignored and may be NULL), writing every
 * non-NULL output of p->plan (none: nothing runs). The router computes in f32 (16-bit x is cast
 * first). Placement: every token's first choice in token order, then every
 * second choice, ...; a choice is kept iff its expert has a free slot.
 * Deterministic and identical on every device. */
TS_API ts_status ts_moe_route(const ts_tensor *x, const ts_moe_weights *w, const ts_moe_params *p);

/* The MoE layer: out[t] = sum over t's kept choices c of gate[t, c] *
 * FFN_expert(t, c)(x[t]); a token whose choices were all dropped gets 0
 * (the caller's residual carries it). x [T, d] any view, out [T, d] in x's
 * dtype, contiguous; f32 accumulation. Also writes the non-NULL outputs of
 * p->plan. Never reads anything back to the host. */
TS_API ts_status ts_moe_ffn(const ts_tensor *x, const ts_moe_weights *w, const ts_moe_params *p,
                            ts_tensor *out);

#ifdef __cplusplus
}
#endif
#endif
