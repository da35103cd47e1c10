/* The MoE backend ops as the layer (layers/moe) calls them: the same
 * functions as the public ts_moe_place and ts_moe_combine (contracts in
 * include/tessel/ops.h, beside ts_grouped_matmul; backend contracts
 * TSI_OP_MOE_PLACE / TSI_OP_MOE_COMBINE in core/op.h), with messages
 * naming tsi_moe_place / tsi_moe_combine. Each validates its arguments (a
 * failure sets ts_last_error and returns a status, nothing recorded) and
 * dispatches one fused op.
 *
 * The dispatch pipeline of one MoE layer call, T tokens, top-k:
 *   tsi_moe_place(expert, E, C, rows, stats, row_token)
 *   ts_gather_rows(x, row_token, xs)          xs [R, d] in expert order
 *                                              (row_token -1 gives 0 rows)
 *   ts_grouped_matmul(xs, w1, stats[0..E], b1, h)   one launch, E experts
 *   activation, ts_grouped_matmul(h, w2, ...)      -> ho [R, d]
 *   tsi_moe_combine(ho, rows, gates, y)       y [T, d] in token order
 * where stats[0..E] is a view (ts_tensor_slice) of the stats tensor:
 * stats [2E + 2] = offsets [E + 1], first-choice counts [E], dropped. */
#ifndef TESSEL_LAYERS_MOE_OPS_H
#define TESSEL_LAYERS_MOE_OPS_H

#include <stdint.h>

#include "tessel/tessel.h"

/* ts_moe_place: expert i32 [T, k] -> rows i32 [T, k], stats i32 [2E + 2],
 * row_token i32 [R] with R >= min(T k, E capacity); capacity < 0 is
 * unlimited. */
ts_status tsi_moe_place(const ts_tensor *expert, int n_experts, int64_t capacity,
                        ts_tensor *rows, ts_tensor *stats, ts_tensor *row_token);

/* ts_moe_combine: y [T, D] = sum_c gates[t, c] h[rows[t, c]], h [R, D],
 * gates f32 [T, k]; dropped rows (-1) skipped. */
ts_status tsi_moe_combine(const ts_tensor *h, const ts_tensor *rows, const ts_tensor *gates,
                          ts_tensor *y);

/* One validated ts_grouped_matmul call (bias may be NULL), and its
 * composition of one ts_matmul per group (grouped_matmul_compose.c), the
 * fallback of a device without a grouped GEMM kernel. */
typedef struct tsi_grouped_matmul_call {
    const ts_tensor *x, *w, *offsets, *bias;
    ts_tensor *out;
} tsi_grouped_matmul_call;
ts_status tsi_grouped_matmul_compose(void *arg);

#endif
