/* TSI_OP_TOPK (shaders/vulkan/topk.comp): one workgroup per row runs k
 * selection rounds of ceil(n / WG) loads plus a log2(WG) tree each. The
 * rounds are split over dispatches of a bounded loop count: llvmpipe stops
 * an invocation's loops after 65535 iterations in all, and one dispatch of
 * k * n work for a large k can trip a GPU watchdog. Each dispatch restarts
 * from the index the previous one stored (the barrier tracking orders
 * them). */
#include "vk_internal.h"

/* Loop iterations one dispatch may run per invocation, well under 65535. */
#define TOPK_ITERATIONS 32768u

static uint32_t log2_u32(uint32_t v)
{
    uint32_t r = 0;
    while (v > 1) {
        v >>= 1;
        r++;
    }
    return r;
}

ts_status tsi_vk_record_topk(tsi_device *d, const tsi_op *op)
{
    const tsi_view *x = &op->in[0], *v = &op->out[0], *ix = &op->out[1];
    uint32_t wg = d->tuning.row_wg;
    struct {
        uint32_t rows, n, k, xoff, voff, ioff;
        uint32_t j0, j1;
    } pc = {(uint32_t)(x->shape[0] * x->shape[1] * x->shape[2]),
            (uint32_t)x->shape[3],
            (uint32_t)op->p.topk.k,
            (uint32_t)x->offset,
            (uint32_t)v->offset,
            (uint32_t)ix->offset,
            0,
            0};
    uint32_t per_round = (pc.n + wg - 1) / wg + 2 * log2_u32(wg) + 2;
    uint32_t rounds = TOPK_ITERATIONS / per_round > 0 ? TOPK_ITERATIONS / per_round : 1;
    uint32_t spec[] = {wg, (uint32_t)x->dtype};
    VkPipeline p;
    TSI_VK_TRY(tsi_vk_pipeline(d, "topk.spv", spec, 2, &p));
    uint32_t gx, gy;
    tsi_vk_grid_1d(d, pc.rows, &gx, &gy);
    tsi_vk_binding b[] = {{x->buf, 0}, {v->buf, 1}, {ix->buf, 1}};
    for (uint32_t j = 0; j < pc.k; j += rounds) {
        pc.j0 = j;
        pc.j1 = pc.k - j < rounds ? pc.k : j + rounds;
        TSI_VK_TRY(tsi_vk_dispatch(d, p, b, 3, &pc, sizeof pc, gx, gy, 1));
    }
    return TS_OK;
}
