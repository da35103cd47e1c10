/* TSI_OP_MATMUL on the GPU backends: shaders/matmul.kern, one workgroup per
 * BM x BN tile of c. The plan takes the tile from the device's tuning entry
 * (the gemm.* keys of core/tuning_defaults.txt) or TESSEL_GEMM_TILES, then
 * shrinks it until the workgroup and the shared tiles fit the device, so a
 * row can only ever ask for less than the device has. */
#include "backend-gpu/gpu.h"
#include "backend-gpu/gpu_gemm_tiles.h"
#include "backend-gpu/gpu_kernels.h"
#include "shaders/matmul.h"

/* The kernel family: its launches and the limits its plans read. */
#define FAMILY "matmul"

TSG_PARAMS(mm_params, MATMUL_PARAMS);

static uint64_t group_count(const tsi_op *op, const tsi_gemm_tiles *t)
{
    const tsi_view *c = &op->out[0];
    return (uint64_t)(c->shape[0] * c->shape[1]) * tsi_gpu_ceil_div((uint64_t)c->shape[2], t->bm) *
           tsi_gpu_ceil_div((uint64_t)c->shape[3], t->bn);
}

bool tsi_gpu_matmul_supports(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    ts_dtype dt = op->out[0].dtype;
    if (dt != TS_F32 && dt != TS_F16 && dt != TS_BF16)
        return false;
    if (!tsi_gpu_views_fit(c, op))
        return false;
    tsi_gemm_tiles t;
    if (!tsi_gemm_pick_tiles(c, dt, &t))
        return false;
    if (c->loop_cap &&
        tsi_gemm_loop_count(&t, (uint64_t)op->in[0].shape[3]) > (uint64_t)c->loop_cap * 11 / 12)
        return false;
    uint64_t groups = group_count(op, &t);
    uint32_t grid[3];
    return groups <= UINT32_MAX && tsi_gpu_grid(c, groups, grid);
}

ts_status tsi_gpu_matmul_plan(tsi_device *dev, const tsi_op *op, tsi_plan *out)
{
    tsi_gemm_tiles t;
    if (!tsi_gemm_pick_tiles(tsi_gpu_caps_for(dev, FAMILY), op->out[0].dtype, &t))
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "matmul: no GEMM tile fits this device");
    tsi_gemm_tiles_to_plan(&t, out);
    return TS_OK;
}

/* The VEC constant (shaders/matmul.h): the tile asks for the vector path
 * (gemm.vec=4) on the direct path; then 4-element accesses where the views
 * allow them: every row of b and c starts on a multiple of 4 elements with
 * unit stride along it (MATMUL_VEC_B), and so do a's rows along K
 * (MATMUL_VEC_A). Other views take the same path one element at a time. */
static bool rows4(const tsi_view *v)
{
    return v->stride[3] == 1 && v->stride[2] % 4 == 0 && v->offset % 4 == 0 &&
           v->stride[1] % 4 == 0 && v->stride[0] % 4 == 0;
}

static uint32_t vec_bits(const tsi_gemm_tiles *t, const tsi_view *a, const tsi_view *b,
                         const tsi_view *y)
{
    if (t->vec != 4 || t->shared || t->wn % 4 != 0)
        return 0;
    uint32_t v = MATMUL_VEC_PATH;
    if (y->shape[3] % 4 == 0 && y->offset % 4 == 0 && rows4(b))
        v |= MATMUL_VEC_B;
    if (rows4(a))
        v |= MATMUL_VEC_A;
    return v;
}

/* The Vulkan cooperative-matrix tile (shaders/vulkan/matmul_coop.comp,
 * 64 x 64 per workgroup of four subgroups): f16 where the device has it
 * (caps->coop_f16), m, n and k multiples of 16, a and b row-major with
 * every row 8-element (16-byte) aligned, as its fragment loads require. */
#define MATMUL_COOP_CONSTS(X) X(0, WG) X(1, DT)
#define COOP_TILE 64u

static bool aligned8(const tsi_view *v)
{
    return v->offset % 8 == 0 && v->stride[0] % 8 == 0 && v->stride[1] % 8 == 0 &&
           v->stride[2] % 8 == 0 && v->stride[3] == 1;
}

static bool coop_takes(const tsi_gpu_caps *c, const tsi_op *op)
{
    const tsi_view *a = &op->in[0], *b = &op->in[1], *y = &op->out[0];
    int64_t m = y->shape[2], n = y->shape[3], k = a->shape[3];
    return c->coop_f16 && y->dtype == TS_F16 && m > 0 && n > 0 && k > 0 && m % 16 == 0 &&
           n % 16 == 0 && k % 16 == 0 && aligned8(a) && aligned8(b) && y->offset % 8 == 0;
}

static ts_status coop_record(tsi_device *dev, const tsi_op *op, mm_params *pc)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    const tsi_view *a = &op->in[0], *b = &op->in[1], *y = &op->out[0];
    uint32_t consts[] = {4u * c->subgroup, (uint32_t)TS_F16};
    tsi_buffer *bufs[] = {a->buf, b->buf, y->buf};
    uint64_t groups = (uint64_t)(y->shape[0] * y->shape[1]) *
                      tsi_gpu_ceil_div((uint64_t)y->shape[2], COOP_TILE) *
                      tsi_gpu_ceil_div((uint64_t)y->shape[3], COOP_TILE);
    pc->groups = (uint32_t)groups;
    TSG_LAUNCH(l, FAMILY, matmul_coop, MATMUL_COOP_CONSTS, consts, MATMUL_BUFS, bufs, pc);
    if (!tsi_gpu_grid(c, groups, l.groups))
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "matmul: too many tiles");
    return tsi_gpu_launch_record(dev, &l);
}

ts_status tsi_gpu_matmul_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    const tsi_view *a = &op->in[0], *b = &op->in[1], *y = &op->out[0];
    tsi_gemm_tiles t = tsi_gemm_tiles_of_plan(&op->plan);
    uint32_t consts[] = {tsi_gemm_work_group(&t), (uint32_t)y->dtype, t.bm, t.bn, t.bk, t.wm, t.wn,
                         t.shared, vec_bits(&t, a, b, y)};
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
    if (coop_takes(c, op)) {
        mm_params cp = pc;
        return coop_record(dev, op, &cp);
    }
    TSG_LAUNCH(l, FAMILY, matmul, MATMUL_CONSTS, consts, MATMUL_BUFS, bufs, &pc);
    /* The direct paths only: a and b through texel buffers (matmul_tx). */
    if (!t.shared && tsi_gpu_texels(dev, a->buf, b->buf)) {
        l.entry = "matmul_tx";
        l.texel_mask = 1u << 0 | 1u << 1;
    }
    if (!tsi_gpu_grid(c, pc.groups, l.groups))
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "matmul: too many tiles");
    return tsi_gpu_launch_record(dev, &l);
}
