/* What the row ops' host code shares (gpu_softmax.c, gpu_reduce.c,
 * gpu_norm.c): each runs one workgroup of caps->row_wg invocations per row
 * of its contiguous [rows, n] views (core/op.h), the rows over a 2-d grid. */
#ifndef TESSEL_BACKEND_GPU_ROWS_H
#define TESSEL_BACKEND_GPU_ROWS_H

#include "backend-gpu/gpu.h"

/* The workgroup width of the row kernels: the tuning's row_wg, which each
 * backend already rounds to a power of two within the device's limit (the
 * kernels' reduction trees need a power of two). */
static inline uint32_t tsi_gpu_row_wg(const tsi_gpu_caps *c)
{
    return c->row_wg ? c->row_wg : 64u;
}

static inline uint64_t tsi_gpu_rows(const tsi_view *v)
{
    return (uint64_t)v->shape[0] * (uint64_t)v->shape[1] * (uint64_t)v->shape[2];
}

/* One workgroup per row on a 2-d grid within the device's counts
 * (tsi_gpu_grid), its width balanced so that fewer than out[1] groups are
 * spare: the kernels' spare groups redo the last row without storing it
 * (shaders/softmax.kern). False when the rows are too many. */
static inline bool tsi_gpu_row_grid(const tsi_gpu_caps *c, uint64_t rows, uint32_t out[3])
{
    if (!tsi_gpu_grid(c, rows, out))
        return false;
    out[0] = (uint32_t)tsi_gpu_ceil_div(rows ? rows : 1, out[1]);
    return true;
}

/* An invocation walks its row ceil(n / WG) times per pass, plus the short
 * loops of the reduction trees (log2 WG steps each, well inside the
 * margin): within the device's loop limit (llvmpipe stops an invocation
 * after caps->loop_cap iterations in all, silently)? */
static inline bool tsi_gpu_row_loops_ok(const tsi_gpu_caps *c, int64_t n, uint64_t passes)
{
    if (!c->loop_cap)
        return true;
    return tsi_gpu_ceil_div((uint64_t)n, tsi_gpu_row_wg(c)) * passes + 64 <= c->loop_cap;
}

/* The checks every row op makes: views within 32-bit indices, one
 * workgroup per row within the grid, rows within the loop limit. */
static inline bool tsi_gpu_rows_fit(const tsi_gpu_caps *c, const tsi_op *op, uint64_t passes)
{
    uint32_t grid[3];
    return tsi_gpu_views_fit(c, op) && tsi_gpu_row_grid(c, tsi_gpu_rows(&op->in[0]), grid) &&
           tsi_gpu_row_loops_ok(c, op->in[0].shape[3], passes);
}

#endif
