/* The attention plan: which query and key tile sizes a device's fused
 * kernel gets, from one table of per-device defaults (attention_plan.c),
 * clamped to the device's limits and the problem's shape. */
#ifndef TESSEL_LAYERS_ATTENTION_PLAN_H
#define TESSEL_LAYERS_ATTENTION_PLAN_H

#include <stdint.h>

#include "tessel/tessel.h"

typedef struct tsi_attention_tiles {
    int q_tile; /* query rows per work item (CPU task, GPU workgroup) */
    int k_tile; /* keys per step of the online softmax */
} tsi_attention_tiles;

/* Tiles for one call; group = Hq / Hkv. TESSEL_ATTENTION_TILES=q,k
 * overrides the table (for tuning by hand and for tests that want many
 * ragged tiles). */
void tsi_attention_plan(const ts_device_info *info, ts_dtype dtype, int64_t d, int64_t lq,
                        int64_t lk, int64_t group, tsi_attention_tiles *out);

#endif
