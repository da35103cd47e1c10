/* TSI_OP_MATMUL on the GPU backends: shaders/matmul.kern, one workgroup per
 * BM x BN tile of c. The plan takes the tile from the device's tuning entry
 * (the gemm.* keys of core/tuning_defaults.txt) or TESSEL_GEMM_TILES, then
 * shrinks it until the workgroup and the shared tiles fit the device, so a
 * row can only ever ask for less than the device has. */
#include "backend-gpu/gpu.h"
#include "backend-gpu/gpu_gemm_tiles.h"
#include "backend-gpu/gpu_kernels.h"
#include "shaders/matmul.h"

TSG_PARAMS(mm_params, MATMUL_PARAMS);

static uint64_t group_count(const tsi_op *op, const tsi_gemm_tiles *t)
{
    const tsi_view *c = &op->out[0];
    return (uint64_t)(c->shape[0] * c->shape[1]) * tsi_gpu_ceil_div((uint64_t)c->shape[2], t->bm) *
           tsi_gpu_ceil_div((uint64_t)c->shape[3], t->bn);
}

bool tsi_gpu_matmul_supports(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_of(dev);
    ts_dtype dt = op->out[0].dtype;
    if (dt != TS_F32 && dt != TS_F16 && dt != TS_BF16)
        return false;
    if (!tsi_gpu_views_fit(c, op))
        return false;
    tsi_gemm_tiles t;
    if (!tsi_gemm_pick_tiles(c, &t))
        return false;
    if (c->loop_cap && tsi_gemm_loop_count(&t, (uint64_t)op->in[0].shape[3]) > (uint64_t)c->loop_cap * 11 / 12)
        return false;
    uint64_t groups = group_count(op, &t);
    uint32_t grid[3];
    return groups <= UINT32_MAX && tsi_gpu_grid(c, groups, grid);
}

ts_status tsi_gpu_matmul_plan(tsi_device *dev, const tsi_op *op, tsi_plan *out)
{
    tsi_gemm_tiles t;
    (void)op;
    if (!tsi_gemm_pick_tiles(tsi_gpu_caps_of(dev), &t))
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "matmul: no GEMM tile fits this device");
    tsi_gemm_tiles_to_plan(&t, out);
    return TS_OK;
}

ts_status tsi_gpu_matmul_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_of(dev);
    const tsi_view *a = &op->in[0], *b = &op->in[1], *y = &op->out[0];
    tsi_gemm_tiles t = tsi_gemm_tiles_of_plan(&op->plan);
    uint32_t consts[] = {tsi_gemm_work_group(&t), (uint32_t)y->dtype, t.bm, t.bn, t.bk, t.wm, t.wn,
                         t.shared};
    tsi_buffer *bufs[] = {a->buf, b->buf, y->buf};
    mm_params pc = {
        .m = (uint32_t)y->shape[2],
        .n = (uint32_t)y->shape[3],
        .k = (uint32_t)a->shape[3],
        .nb1 = (uint32_t)y->shape[1],
        .groups = (uint32_t)group_count(op, &t),
        .a_off = (uint32_t)a->offset,
        .a_st0 = (uint32_t)a->stride[0],
        .a_st1 = (uint32_t)a->stride[1],
        .a_st2 = (uint32_t)a->stride[2],
        .a_st3 = (uint32_t)a->stride[3],
        .b_off = (uint32_t)b->offset,
        .b_st0 = (uint32_t)b->stride[0],
        .b_st1 = (uint32_t)b->stride[1],
        .b_st2 = (uint32_t)b->stride[2],
        .b_st3 = (uint32_t)b->stride[3],
        .c_off = (uint32_t)y->offset,
    };
    TSG_LAUNCH(l, "matmul", matmul, MATMUL_CONSTS, consts, MATMUL_BUFS, bufs, &pc);
    if (!tsi_gpu_grid(c, pc.groups, l.groups))
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "matmul: too many tiles");
    return tsi_gpu_launch_record(dev, &l);
}
