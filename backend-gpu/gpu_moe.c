/* The MoE backend ops on the GPU backends (shaders/moe.kern):
 *  - TSI_OP_GROUPED_MATMUL: one launch for every group, with the same
 *    GEMM tile as TSI_OP_MATMUL (gpu_gemm_tiles.c).
 *  - TSI_OP_MOE_PLACE: three launches (count, scan, rows) over blocks of
 *    WG choices; the plan sizes the workspace (per-block counts).
 *  - TSI_OP_MOE_COMBINE: one invocation per output element. */
#include "backend-gpu/gpu.h"
#include "backend-gpu/gpu_gemm_tiles.h"
#include "backend-gpu/gpu_kernels.h"
#include "shaders/matmul.h"
#include "shaders/moe.h"

/* The kernel family: its launches and the limits its plans read. */
#define FAMILY "moe"

TSG_PARAMS(gmm_params, GMM_PARAMS);
TSG_PARAMS(place_params, PLACE_PARAMS);
TSG_PARAMS(combine_params, COMBINE_PARAMS);

static bool float_dtype(ts_dtype dt)
{
    return dt == TS_F32 || dt == TS_F16 || dt == TS_BF16;
}

/* The elementwise width, at most what the device runs. */
static uint32_t elem_group(const tsi_gpu_caps *c)
{
    uint32_t wg = c->elem_wg ? c->elem_wg : 64;
    return c->max_wg && wg > c->max_wg ? c->max_wg : wg;
}

/* ---- grouped_matmul -------------------------------------------------------- */

/* Row tiles: every group's ceil(rows / BM), the rows past the last group
 * as one more group, at most ceil(R / BM) + E in all. */
static uint64_t gmm_groups(const tsi_op *op, const tsi_gemm_tiles *t)
{
    uint64_t r = (uint64_t)op->in[0].shape[2], e = (uint64_t)op->in[1].shape[1];
    uint64_t n = (uint64_t)op->out[0].shape[3];
    return (tsi_gpu_ceil_div(r, t->bm) + e) * tsi_gpu_ceil_div(n, t->bn);
}

/* Loop back-edges of one invocation (for llvmpipe's limit): the walk over
 * the offsets and the K loop with its tile loads. */
static uint64_t gmm_loops(const tsi_op *op, const tsi_gemm_tiles *t)
{
    uint64_t k = (uint64_t)op->in[0].shape[3], e = (uint64_t)op->in[1].shape[1];
    return e + 1 + tsi_gemm_loop_count(t, k);
}

bool tsi_gpu_grouped_matmul_supports(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    tsi_gemm_tiles t;
    uint32_t grid[3];
    if (!float_dtype(op->out[0].dtype) || c->max_buffers < TSG_BUF_COUNT(GMM_BUFS) ||
        !tsi_gpu_views_fit(c, op) || !tsi_gemm_pick_tiles(c, op->out[0].dtype, &t))
        return false;
    /* The kernel indexes w's groups as g * K * N in 32 bits. */
    if ((uint64_t)op->in[1].shape[1] * (uint64_t)op->in[1].shape[2] *
            (uint64_t)op->in[1].shape[3] >=
        INT32_MAX)
        return false;
    if (c->loop_cap && gmm_loops(op, &t) > (uint64_t)c->loop_cap * 11 / 12)
        return false;
    uint64_t groups = gmm_groups(op, &t);
    return groups <= UINT32_MAX && tsi_gpu_grid(c, groups, grid);
}

ts_status tsi_gpu_grouped_matmul_plan(tsi_device *dev, const tsi_op *op, tsi_plan *out)
{
    tsi_gemm_tiles t;
    if (!tsi_gemm_pick_tiles(tsi_gpu_caps_for(dev, FAMILY), op->out[0].dtype, &t))
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "grouped_matmul: no GEMM tile fits");
    tsi_gemm_tiles_to_plan(&t, out);
    return TS_OK;
}

/* The VEC constant (shaders/moe.h, bits of shaders/matmul.h): the tile asks
 * for the vector path (gemm.vec=4) on the direct path; then 4-element
 * loads of w where its rows start on multiples of 4 (N and its offset) and
 * of x where its rows do (K and its offset). x, w and y are contiguous. */
static uint32_t vec_bits(const tsi_gemm_tiles *t, const tsi_view *x, const tsi_view *w)
{
    if (t->vec != 4 || t->shared || t->wn % 4 != 0)
        return 0;
    uint32_t v = MATMUL_VEC_PATH;
    if (w->shape[3] % 4 == 0 && w->offset % 4 == 0)
        v |= MATMUL_VEC_B;
    if (x->shape[3] % 4 == 0 && x->offset % 4 == 0)
        v |= MATMUL_VEC_A;
    return v;
}

ts_status tsi_gpu_grouped_matmul_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    const tsi_view *x = &op->in[0], *w = &op->in[1], *off = &op->in[2], *bias = &op->in[3];
    const tsi_view *y = &op->out[0];
    tsi_gemm_tiles t = tsi_gemm_tiles_of_plan(&op->plan);
    uint32_t consts[] = {
        tsi_gemm_work_group(&t), (uint32_t)y->dtype, t.bm, t.bn, t.bk, t.wm, t.wn, t.shared,
        vec_bits(&t, x, w)};
    tsi_buffer *bufs[] = {x->buf, w->buf, off->buf, bias->buf, y->buf};
    gmm_params pc = {
        .r = (uint32_t)x->shape[2],
        .k = (uint32_t)x->shape[3],
        .n = (uint32_t)y->shape[3],
        .e = (uint32_t)w->shape[1],
        .groups = (uint32_t)gmm_groups(op, &t),
        .flags = bias->buf ? GMM_BIAS : 0u,
        .x_off = (uint32_t)x->offset,
        .w_off = (uint32_t)w->offset,
        .o_off = (uint32_t)off->offset,
        .b_off = bias->buf ? (uint32_t)bias->offset : 0u,
        .y_off = (uint32_t)y->offset,
    };
    TSG_LAUNCH(l, FAMILY, grouped_matmul, MOE_CONSTS, consts, GMM_BUFS, bufs, &pc);
    if (!t.shared && tsi_gpu_texels(dev, x->buf, w->buf)) {
        l.entry = "grouped_matmul_tx";
        l.texel_mask = 1u << 0 | 1u << 1;
    }
    if (!tsi_gpu_grid(c, pc.groups, l.groups))
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "grouped_matmul: too many tiles");
    return tsi_gpu_launch_record(dev, &l);
}

/* ---- moe_place ------------------------------------------------------------- */

enum { PLAN_PLACE_WG };

/* Blocks of WG choices: CPU drivers keep the elementwise width (a lane's
 * rank search walks the block), GPUs take wider blocks for fewer of them
 * in the serial scan over blocks. */
static uint32_t place_group(const tsi_gpu_caps *c)
{
    uint32_t wg = c->cpu_driver ? elem_group(c) : 256;
    return c->max_wg && wg > c->max_wg ? c->max_wg : wg;
}

typedef struct place_shape {
    uint64_t t, k, e, nbt, nb, r, ws_words;
} place_shape;

static place_shape place_shape_of(const tsi_op *op, uint32_t wg)
{
    place_shape s = {.t = (uint64_t)op->in[0].shape[2],
                     .k = (uint64_t)op->p.moe_place.k,
                     .e = (uint64_t)op->p.moe_place.n_experts,
                     .r = op->out[2].buf ? (uint64_t)op->out[2].shape[3] : 0};
    s.nbt = tsi_gpu_ceil_div(s.t, wg);
    s.nb = s.k * s.nbt;
    s.ws_words = (s.nb + 1) * (s.e + 1);
    return s;
}

bool tsi_gpu_moe_place_supports(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    uint32_t wg = place_group(c), grid[3];
    place_shape s = place_shape_of(op, wg);
    if (!tsi_gpu_views_fit(c, op) || c->max_buffers < TSG_BUF_COUNT(PLACE_ROWS_BUFS) ||
        s.ws_words >= INT32_MAX || s.ws_words * 4 > c->max_binding || s.nb == 0)
        return false;
    /* Under a loop limit: the scan walks every block for each of its
     * experts; the count walks the block for each of its experts. */
    uint64_t cols = tsi_gpu_ceil_div(s.e + 1, wg);
    if (c->loop_cap && (cols * (s.nb + wg) + 2 * wg + 2 * tsi_gpu_ceil_div(s.e, wg) + 16 >
                        (uint64_t)c->loop_cap * 11 / 12))
        return false;
    uint64_t rows_groups = s.nb > tsi_gpu_ceil_div(s.r, wg) ? s.nb : tsi_gpu_ceil_div(s.r, wg);
    return tsi_gpu_grid(c, rows_groups, grid);
}

ts_status tsi_gpu_moe_place_plan(tsi_device *dev, const tsi_op *op, tsi_plan *out)
{
    uint32_t wg = place_group(tsi_gpu_caps_for(dev, FAMILY));
    place_shape s = place_shape_of(op, wg);
    *out = (tsi_plan){.tile = {(int32_t)wg}, .workspace_bytes = s.ws_words * sizeof(uint32_t)};
    return TS_OK;
}

ts_status tsi_gpu_moe_place_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    const tsi_view *expert = &op->in[0], *rows = &op->out[0], *stats = &op->out[1];
    const tsi_view *rt = &op->out[2];
    uint32_t wg = (uint32_t)op->plan.tile[PLAN_PLACE_WG];
    place_shape s = place_shape_of(op, wg);
    int64_t cap = op->p.moe_place.capacity;
    place_params pc = {
        .t = (uint32_t)s.t,
        .k = (uint32_t)s.k,
        .e = (uint32_t)s.e,
        /* A capacity past every row is no limit. */
        .cap = cap < 0 || cap >= INT32_MAX ? -1 : (int32_t)cap,
        .nbt = (uint32_t)s.nbt,
        .nb = (uint32_t)s.nb,
        .r = (uint32_t)s.r,
        .flags = rt->buf ? PLACE_ROW_TOKEN : 0u,
        .x_off = (uint32_t)expert->offset,
        .rows_off = (uint32_t)rows->offset,
        .s_off = (uint32_t)stats->offset,
        .rt_off = rt->buf ? (uint32_t)rt->offset : 0u,
    };
    uint32_t consts[] = {wg, 0, 1, 1, 1, 1, 1, 0, 0};
    tsi_buffer *count_bufs[] = {expert->buf, op->workspace};
    TSG_LAUNCH(lc, FAMILY, place_count, MOE_CONSTS, consts, PLACE_COUNT_BUFS, count_bufs, &pc);
    if (!tsi_gpu_grid(c, s.nb, lc.groups))
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "moe_place: too many blocks");
    ts_status st = tsi_gpu_launch_record(dev, &lc);
    if (st != TS_OK)
        return st;
    tsi_buffer *scan_bufs[] = {op->workspace, stats->buf};
    TSG_LAUNCH(ls, FAMILY, place_scan, MOE_CONSTS, consts, PLACE_SCAN_BUFS, scan_bufs, &pc);
    ls.groups[0] = ls.groups[1] = ls.groups[2] = 1;
    st = tsi_gpu_launch_record(dev, &ls);
    if (st != TS_OK)
        return st;
    tsi_buffer *rows_bufs[] = {expert->buf, op->workspace, rows->buf, rt->buf};
    TSG_LAUNCH(lr, FAMILY, place_rows, MOE_CONSTS, consts, PLACE_ROWS_BUFS, rows_bufs, &pc);
    uint64_t groups = s.nb > tsi_gpu_ceil_div(s.r, wg) ? s.nb : tsi_gpu_ceil_div(s.r, wg);
    if (!tsi_gpu_grid(c, groups, lr.groups))
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "moe_place: too many rows");
    return tsi_gpu_launch_record(dev, &lr);
}

/* ---- moe_combine ----------------------------------------------------------- */

bool tsi_gpu_moe_combine_supports(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    const tsi_view *y = &op->out[0];
    uint64_t total = (uint64_t)y->shape[2] * (uint64_t)y->shape[3];
    uint32_t grid[3];
    if (!float_dtype(y->dtype) || !tsi_gpu_views_fit(c, op) || total >= INT32_MAX)
        return false;
    if (c->loop_cap && (uint64_t)op->in[1].shape[3] + 16 > c->loop_cap)
        return false;
    return tsi_gpu_grid(c, tsi_gpu_ceil_div(total, elem_group(c)), grid);
}

ts_status tsi_gpu_moe_combine_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    const tsi_view *h = &op->in[0], *rows = &op->in[1], *gates = &op->in[2], *y = &op->out[0];
    uint32_t wg = elem_group(c);
    combine_params pc = {
        .r = (uint32_t)h->shape[2],
        .d = (uint32_t)h->shape[3],
        .k = (uint32_t)rows->shape[3],
        .total = (uint32_t)(y->shape[2] * y->shape[3]),
        .h_off = (uint32_t)h->offset,
        .rows_off = (uint32_t)rows->offset,
        .g_off = (uint32_t)gates->offset,
        .y_off = (uint32_t)y->offset,
    };
    uint32_t consts[] = {wg, (uint32_t)y->dtype, 1, 1, 1, 1, 1, 0, 0};
    tsi_buffer *bufs[] = {h->buf, rows->buf, gates->buf, y->buf};
    TSG_LAUNCH(l, FAMILY, moe_combine, MOE_CONSTS, consts, COMBINE_BUFS, bufs, &pc);
    if (!tsi_gpu_grid(c, tsi_gpu_ceil_div(pc.total, wg), l.groups))
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "moe_combine: too many elements");
    return tsi_gpu_launch_record(dev, &l);
}
