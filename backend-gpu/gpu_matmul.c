/* TSI_OP_MATMUL on the GPU backends: shaders/matmul.kern, one workgroup per
 * BM x BN tile of c. The plan takes the tile from the device's tuning entry
 * (the gemm.* keys of core/tuning_defaults.txt) or TESSEL_GEMM_TILES, then
 * shrinks it until the workgroup and the shared tiles fit the device, so a
 * row can only ever ask for less than the device has. */
#include <stdio.h>
#include <stdlib.h>

#include "backend-gpu/gpu.h"
#include "backend-gpu/gpu_kernels.h"
#include "shaders/matmul.h"

TSG_PARAMS(mm_params, MATMUL_PARAMS);

/* plan->tile[]: BM, BN, BK (0: operands read directly, nothing staged),
 * and the outputs per invocation as WM | WN << 16. */
enum { PLAN_BM, PLAN_BN, PLAN_BK, PLAN_WORK };

typedef struct mm_tiles {
    uint32_t bm, bn, bk, wm, wn, shared;
} mm_tiles;

/* What replaces a set of values that do not fit together: the "anything
 * else" Vulkan row (64 invocations, 8.5 KiB of shared memory). */
static const mm_tiles k_fallback = {32, 32, 16, 4, 4, 1};

static bool pow2(uint32_t v)
{
    return v && !(v & (v - 1));
}

/* Powers of two (the shrink halves them and must keep WM | BM), at most 64
 * accumulators per invocation (registers). */
static bool usable(const mm_tiles *t)
{
    return pow2(t->bm) && pow2(t->bn) && pow2(t->bk) && pow2(t->wm) && pow2(t->wn) &&
           t->bm <= 1024 && t->bn <= 1024 && t->bk <= 1024 && t->wm <= t->bm && t->wn <= t->bn &&
           t->wm * t->wn <= 64 && t->shared <= 1;
}

static uint32_t tuned(const tsi_gpu_caps *c, const char *key, uint32_t fallback)
{
    int64_t v = c->host->tuning(c->info, key, fallback);
    return v >= 0 && v <= 4096 ? (uint32_t)v : 0; /* 0: refused by usable() */
}

/* Hand tuning (and tests of other tiles): TESSEL_GEMM_TILES=bm,bn,bk,wptm,
 * wptn,shared replaces the tuning entry; clamped below like it. */
static bool from_environment(mm_tiles *t)
{
    const char *env = getenv("TESSEL_GEMM_TILES");
    mm_tiles o;
    if (!env ||
        sscanf(env, "%u,%u,%u,%u,%u,%u", &o.bm, &o.bn, &o.bk, &o.wm, &o.wn, &o.shared) != 6 ||
        !usable(&o))
        return false;
    *t = o;
    return true;
}

/* The kernel's ta and tb, f32 (BK = 1 when nothing is staged). */
static uint64_t shared_bytes(const mm_tiles *t)
{
    uint64_t bk = t->shared ? t->bk : 1;
    return 4u * bk * (t->bm + 1u + t->bn + 1u);
}

static uint32_t work_group(const mm_tiles *t)
{
    return (t->bm / t->wm) * (t->bn / t->wn);
}

/* Shrink until the workgroup and the shared tiles fit: the K depth first
 * (down to 4) while shared memory is short, then the longer tile side, its
 * work per invocation with it once that side is one invocation wide. */
static bool fit_device(const tsi_gpu_caps *c, mm_tiles *t)
{
    while (work_group(t) > c->max_wg || shared_bytes(t) > c->max_shared) {
        if (shared_bytes(t) > c->max_shared && t->shared && t->bk > 4) {
            t->bk /= 2;
        } else if (t->bm >= t->bn && t->bm > 1) {
            t->bm /= 2;
            t->wm = t->wm < t->bm ? t->wm : t->bm;
        } else if (t->bn > 1) {
            t->bn /= 2;
            t->wn = t->wn < t->bn ? t->wn : t->bn;
        } else {
            return false;
        }
    }
    return true;
}

static bool pick_tiles(const tsi_gpu_caps *c, mm_tiles *t)
{
    if (!from_environment(t)) {
        const mm_tiles *f = &k_fallback;
        *t = (mm_tiles){tuned(c, "gemm.bm", f->bm),   tuned(c, "gemm.bn", f->bn),
                        tuned(c, "gemm.bk", f->bk),   tuned(c, "gemm.wptm", f->wm),
                        tuned(c, "gemm.wptn", f->wn), tuned(c, "gemm.shared", f->shared)};
        if (!usable(t)) {
            c->host->log(TS_LOG_DEBUG,
                         "%s: %s: tuning gemm.bm=%u gemm.bn=%u gemm.bk=%u gemm.wptm=%u "
                         "gemm.wptn=%u gemm.shared=%u do not fit together; using %ux%ux%u",
                         c->backend, c->info->name, t->bm, t->bn, t->bk, t->wm, t->wn, t->shared,
                         f->bm, f->bn, f->bk);
            *t = *f;
        }
    }
    return fit_device(c, t);
}

static uint64_t group_count(const tsi_op *op, const mm_tiles *t)
{
    const tsi_view *c = &op->out[0];
    return (uint64_t)(c->shape[0] * c->shape[1]) * tsi_gpu_ceil_div((uint64_t)c->shape[2], t->bm) *
           tsi_gpu_ceil_div((uint64_t)c->shape[3], t->bn);
}

/* Loop back-edges one invocation takes, for drivers that stop an
 * invocation after caps->loop_cap of them (llvmpipe): the K loop and the
 * tile loads; the loops over WM and WN have constant trip counts and are
 * unrolled once the constants are known. */
static uint64_t loop_count(const tsi_op *op, const mm_tiles *t)
{
    uint64_t k = (uint64_t)op->in[0].shape[3], wg = work_group(t);
    if (!t->shared)
        return k + 16;
    uint64_t loads = tsi_gpu_ceil_div((uint64_t)t->bm * t->bk, wg) +
                     tsi_gpu_ceil_div((uint64_t)t->bn * t->bk, wg);
    return tsi_gpu_ceil_div(k, t->bk) * (loads + t->bk + 1) + 16;
}

bool tsi_gpu_matmul_supports(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_of(dev);
    ts_dtype dt = op->out[0].dtype;
    if (dt != TS_F32 && dt != TS_F16 && dt != TS_BF16)
        return false;
    if (!tsi_gpu_views_fit(c, op))
        return false;
    mm_tiles t;
    if (!pick_tiles(c, &t))
        return false;
    if (c->loop_cap && loop_count(op, &t) > (uint64_t)c->loop_cap * 11 / 12)
        return false;
    uint64_t groups = group_count(op, &t);
    uint32_t grid[3];
    return groups <= UINT32_MAX && tsi_gpu_grid(c, groups, grid);
}

ts_status tsi_gpu_matmul_plan(tsi_device *dev, const tsi_op *op, tsi_plan *out)
{
    mm_tiles t;
    (void)op;
    if (!pick_tiles(tsi_gpu_caps_of(dev), &t))
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "matmul: no GEMM tile fits this device");
    *out = (tsi_plan){.tile = {(int32_t)t.bm, (int32_t)t.bn, t.shared ? (int32_t)t.bk : 0,
                               (int32_t)(t.wm | t.wn << 16)}};
    return TS_OK;
}

ts_status tsi_gpu_matmul_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_of(dev);
    const tsi_view *a = &op->in[0], *b = &op->in[1], *y = &op->out[0];
    const int32_t *tile = op->plan.tile;
    mm_tiles t = {(uint32_t)tile[PLAN_BM],
                  (uint32_t)tile[PLAN_BN],
                  tile[PLAN_BK] ? (uint32_t)tile[PLAN_BK] : 1u,
                  (uint32_t)tile[PLAN_WORK] & 0xffffu,
                  (uint32_t)tile[PLAN_WORK] >> 16,
                  tile[PLAN_BK] ? 1u : 0u};
    uint32_t consts[] = {work_group(&t), (uint32_t)y->dtype, t.bm, t.bn, t.bk, t.wm, t.wn,
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
