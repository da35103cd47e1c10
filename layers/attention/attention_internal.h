/* What the attention layer's files share: the argument rules of
 * ts_attention (also applied by the naive baseline). Tile sizes are the
 * backends' own plans (tsi_kernel.plan). */
#ifndef TESSEL_LAYERS_ATTENTION_INTERNAL_H
#define TESSEL_LAYERS_ATTENTION_INTERNAL_H

#include "core/op.h"
#include "tessel/tessel.h"

/* Every check ts_attention makes; messages start with "ts_attention". */
ts_status tsi_attention_validate(const ts_tensor *q, const ts_tensor *k, const ts_tensor *v,
                                 const ts_attention_params *p, const ts_tensor *out);

/* The resolved scalars of a validated call into op->p.attention: scale
 * (0: 1/sqrt(D)), softcap, causal (set by a window too), the alignment
 * (top-left becomes offset 0) and the offset and window bounded as
 * core/op.h promises. */
void tsi_attention_resolve(const ts_tensor *q, const ts_tensor *k, const ts_attention_params *p,
                           tsi_op *op);

#endif
