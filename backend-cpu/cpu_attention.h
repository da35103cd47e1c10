/* What the two CPU attention kernels share: the tiled kernel
 * (cpu_attention.c) and flash-decoding (cpu_attention_decode.c, few query
 * rows per kv head, split over the keys), which cpu_attention.c asks
 * first; and the per-row steps of the op contract (core/op.h) both apply
 * the same way (cpu_attention_row.c). */
#ifndef TESSEL_BACKEND_CPU_ATTENTION_H
#define TESSEL_BACKEND_CPU_ATTENTION_H

#include "backend-cpu/cpu_internal.h"

/* Each returns 1 when it took the op (plan filled / op run), 0 when the
 * tiled kernel should. */
int tsi_cpu_attention_decode_plan(tsi_device *dev, const tsi_op *op, tsi_plan *plan);
int tsi_cpu_attention_decode_record(tsi_device *dev, const tsi_op *op);

static inline int64_t tsi_cpu_attn_clamp(int64_t x, int64_t lo, int64_t hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* Element (i0, i1, i2, i3) of a 4-d view of the op. */
const char *tsi_cpu_attn_at(const tsi_view *v, int64_t i0, int64_t i1, int64_t i2, int64_t i3);

/* Batch b's valid keys (key_len, clamped to [0, Lk]) and causal offset. */
typedef struct tsi_cpu_attn_keys {
    int64_t kl, off;
} tsi_cpu_attn_keys;

tsi_cpu_attn_keys tsi_cpu_attn_keys_of(const tsi_op *op, int64_t b);

/* Keys [*lo, *hi) that query i may see before mask and bias (causal and
 * window); 0 <= *lo <= *hi <= kl. Both grow with i. */
void tsi_cpu_attn_range(const tsi_op *op, const tsi_cpu_attn_keys *kr, int64_t i, int64_t *lo,
                        int64_t *hi);

/* The n scores s of query i of head h in batch b against keys key0 ..,
 * made ready for the table's softmax_step: the visible ones (its range,
 * tsi_cpu_attn_range) soft-capped, bias added, masked keys -inf, and those
 * before the range -inf. Returns the count softmax_step takes as visible
 * (the range's end; 0 when it misses the n keys). tmp: n floats. */
int64_t tsi_cpu_attn_scores(const tsi_cpu_kernels *k, const tsi_op *op, const tsi_cpu_attn_keys *kr,
                            float *s, int64_t b, int64_t h, int64_t i, int64_t key0, int64_t n,
                            float *tmp);

/* Query i of head h in batch b from its softmax state (max m, sum l, o
 * unnormalized): o (Dv floats, changed) divided by l, gated, stored in the
 * output's dtype, and lse written where asked. tmp: Dv floats. */
void tsi_cpu_attn_store(const tsi_cpu_kernels *k, const tsi_op *op, float *o, float m, float l,
                        int64_t b, int64_t h, int64_t i, float *tmp);

#endif
