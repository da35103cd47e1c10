/* The GEMM tile both GPU GEMM kernels use (shaders/matmul.kern and the
 * grouped GEMM of shaders/moe.kern): chosen per device and dtype from the
 * gemm.* tuning keys (for f16 / bf16, gemm16.* where a row sets them: a
 * 16-bit operand can want another tile), or TESSEL_GEMM_TILES, shrunk to
 * fit the device, and carried from plan to record in tsi_plan.tile. */
#ifndef TESSEL_BACKEND_GPU_GEMM_TILES_H
#define TESSEL_BACKEND_GPU_GEMM_TILES_H

#include "backend-gpu/gpu.h"

typedef struct tsi_gemm_tiles {
    uint32_t bm, bn, bk; /* output tile and K depth (bk 1 when nothing is staged) */
    uint32_t wm, wn;     /* outputs per invocation */
    uint32_t shared;     /* 1: A and B tiles staged in shared memory */
    uint32_t vec;        /* 4: 4-element loads where the views allow (gemm.vec); 1: scalar */
} tsi_gemm_tiles;

/* Invocations per workgroup. */
uint32_t tsi_gemm_work_group(const tsi_gemm_tiles *t);
/* The device's tile for a GEMM whose operands are dt; false when none
 * fits it. */
bool tsi_gemm_pick_tiles(const tsi_gpu_caps *c, ts_dtype dt, tsi_gemm_tiles *t);
/* plan->tile[]: BM, BN, BK (0: operands read directly), WM | WN << 8 | VEC << 16. */
void tsi_gemm_tiles_to_plan(const tsi_gemm_tiles *t, tsi_plan *out);
tsi_gemm_tiles tsi_gemm_tiles_of_plan(const tsi_plan *plan);
/* Loop back-edges one invocation takes for an inner dim of k (the K loop
 * and the tile loads; the WM and WN loops unroll), for drivers with a
 * loop limit (caps->loop_cap, llvmpipe). */
uint64_t tsi_gemm_loop_count(const tsi_gemm_tiles *t, uint64_t k);

#endif
