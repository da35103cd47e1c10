/* What the files of the MoE layer share: one call's context (validated
 * sizes, the device, the temporaries it owns) and the steps each file
 * provides. The layer is a composition of public ops and the MoE backend
 * ops of moe_ops.h; nothing here reads data back to the host. */
#ifndef TESSEL_LAYERS_MOE_INTERNAL_H
#define TESSEL_LAYERS_MOE_INTERNAL_H

#include "core/layer_api.h"
#include "tessel/moe.h"

#define MOE_MAX_TEMPS 96

typedef struct moe_ctx {
    const char *fn; /* "ts_moe_ffn": prefix of messages */
    ts_device *dev;
    ts_dtype dt;        /* x's dtype */
    int64_t t, d, e, k; /* tokens, model width, experts, choices */
    int64_t ff;         /* expert hidden width (ts_moe_ffn) */
    int64_t dr;         /* X-MoE routing width */
    int64_t capacity;   /* slots per expert, -1 unlimited */
    int64_t n_rows;     /* R: rows of the expert order */
    const ts_moe_params *p;
    const ts_moe_weights *w;
    ts_tensor *tmp[MOE_MAX_TEMPS];
    int n_tmp;
} moe_ctx;

/* The routing plan as the layer uses it: each either the caller's output
 * tensor or a temporary of the context. */
typedef struct moe_route {
    ts_tensor *logits, *probs; /* f32 [T, E] */
    ts_tensor *expert;         /* i32 [T, k] */
    ts_tensor *gate;           /* f32 [T, k] */
    ts_tensor *rows;           /* i32 [T, k] */
    ts_tensor *stats;          /* i32 [2E + 2], tsi_moe_place's layout */
    ts_tensor *row_token;      /* i32 [R] */
    ts_tensor *offsets;        /* i32 [E + 1], a view of stats */
} moe_route;

/* ---- moe_params.c: defaults, capacity, validation ------------------------- */

/* C and R for T tokens from validated parameters. */
void tsi_moe_capacity_of(const ts_moe_params *p, int64_t t, int64_t *capacity, int64_t *rows);
/* Validates everything ts_moe_route reads (with_ffn: and ts_moe_ffn's
 * expert weights and out) and fills c's sizes. */
ts_status tsi_moe_check(moe_ctx *c, const ts_tensor *x, const ts_moe_weights *w,
                        const ts_moe_params *p, const ts_tensor *out, int with_ffn);

/* ---- temporaries (moe_route.c) --------------------------------------------- */

/* Takes ownership of *tp when st is TS_OK (released by tsi_moe_release). */
ts_status tsi_moe_keep(moe_ctx *c, ts_status st, ts_tensor **tp);
ts_status tsi_moe_tensor(moe_ctx *c, ts_dtype dt, int nd, const int64_t *shape, ts_tensor **out);
void tsi_moe_release(moe_ctx *c);
/* st, with the failing step's message behind the layer's name
 * ("ts_moe_ffn: ts_grouped_matmul: ..."). */
ts_status tsi_moe_named(const moe_ctx *c, ts_status st);

/* ---- moe_route.c: router, placement, plan outputs ------------------------- */

/* Router probabilities, top-k, gates, placement; then the plan outputs
 * the caller asked for. */
ts_status tsi_moe_run_router(moe_ctx *c, const ts_tensor *x, moe_route *r);

/* ---- moe_losses.c ---------------------------------------------------------- */

/* aux = alpha E / T * sum_i first_i * mean_t p[t, i] into out [1]. */
ts_status tsi_moe_aux_loss(moe_ctx *c, const moe_route *r, ts_tensor *out);
/* z = mean_t (logsumexp_i h[t, i])^2 into out [1]. */
ts_status tsi_moe_z_loss(moe_ctx *c, const moe_route *r, ts_tensor *out);
/* The plan's scalar outputs for T = 0 (nothing routed): zeros. */
ts_status tsi_moe_empty_plan(moe_ctx *c);

#endif
