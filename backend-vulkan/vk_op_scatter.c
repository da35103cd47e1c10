/* TSI_OP_SCATTER_ADD_ROWS (shaders/vulkan/scatter_csr.comp): one-workgroup
 * plan dispatches sort the rows by destination into a scratch CSR (start[V+1]
 * plus V fill cursors, order[N]), then one invocation per dst element adds
 * its rows in index order. The scratch buffers live until the recorded work
 * has run (tsi_vk_defer_free). */
#include "vk_internal.h"

/* Inner-loop iterations one fill dispatch may run per invocation: well
 * under llvmpipe's 65535-iteration loop cut-off, and short on any GPU. */
#define FILL_ITERATIONS 32768u

typedef struct scatter_push {
    uint32_t v, d, n, ioff, soff, doff;
    uint32_t phase, c0, c1;
} scatter_push;

static ts_status record_plan(tsi_device *d, VkPipeline plan, const tsi_vk_binding *b,
                             scatter_push *pc, uint32_t wg)
{
    pc->phase = 0;
    TSI_VK_TRY(tsi_vk_dispatch(d, plan, b, 5, pc, sizeof *pc, 1, 1, 1));
    uint32_t chunks = (pc->n + wg - 1) / wg;
    uint32_t per = FILL_ITERATIONS / wg > 0 ? FILL_ITERATIONS / wg : 1;
    pc->phase = 1;
    for (uint32_t c = 0; c < chunks; c += per) {
        pc->c0 = c;
        pc->c1 = chunks - c < per ? chunks : c + per;
        TSI_VK_TRY(tsi_vk_dispatch(d, plan, b, 5, pc, sizeof *pc, 1, 1, 1));
    }
    return TS_OK;
}

ts_status tsi_vk_record_scatter_add_rows(tsi_device *d, const tsi_op *op)
{
    const tsi_view *ix = &op->in[0], *src = &op->in[1], *dst = &op->out[0];
    scatter_push pc = {(uint32_t)dst->shape[2],
                       (uint32_t)dst->shape[3],
                       (uint32_t)ix->shape[3],
                       (uint32_t)ix->offset,
                       (uint32_t)src->offset,
                       (uint32_t)dst->offset,
                       0,
                       0,
                       0};
    tsi_buffer *start = NULL, *order = NULL;
    ts_status st = tsi_vk_mem_alloc(d, ((size_t)pc.v * 2 + 1) * sizeof(uint32_t), &start);
    /* +1: a zero-size allocation is not a valid binding (N may be 0). */
    if (st == TS_OK)
        st = tsi_vk_mem_alloc(d, ((size_t)pc.n + 1) * sizeof(uint32_t), &order);
    VkPipeline plan = VK_NULL_HANDLE, add = VK_NULL_HANDLE;
    uint32_t wg = d->tuning.elem_wg;
    uint32_t plan_spec[] = {wg, (uint32_t)dst->dtype, 0};
    uint32_t add_spec[] = {wg, (uint32_t)dst->dtype, 1};
    if (st == TS_OK)
        st = tsi_vk_pipeline(d, "scatter_csr.spv", plan_spec, 3, &plan);
    if (st == TS_OK)
        st = tsi_vk_pipeline(d, "scatter_csr.spv", add_spec, 3, &add);
    if (st == TS_OK) {
        tsi_vk_binding b[] = {{ix->buf, 0}, {src->buf, 0}, {dst->buf, 0}, {start, 1}, {order, 1}};
        st = record_plan(d, plan, b, &pc, wg);
    }
    if (st == TS_OK) {
        tsi_vk_binding b[] = {{ix->buf, 0}, {src->buf, 0}, {dst->buf, 1}, {start, 0}, {order, 0}};
        uint32_t gx, gy;
        tsi_vk_grid_1d(d, ((uint64_t)pc.v * pc.d + wg - 1) / wg, &gx, &gy);
        st = tsi_vk_dispatch(d, add, b, 5, &pc, sizeof pc, gx, gy, 1);
    }
    if (start)
        tsi_vk_defer_free(d, start);
    if (order)
        tsi_vk_defer_free(d, order);
    return st;
}
