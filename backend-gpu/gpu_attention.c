/* TSI_OP_ATTENTION on the GPU backends: shaders/attention.kern, one
 * workgroup per (batch, head, query tile). The plan picks the tiles from
 * the device's tuning entry and shared memory, the workgroup width, and on
 * drivers with a loop limit how many key tiles one launch may take.
 *
 * Decode (Lq * Hq / Hkv <= DECODE_ROWS) takes the split-K path instead:
 * one row block per (batch, kv head) holding its Hq / Hkv query heads, the
 * key range cut into S chunks (one workgroup each, partial row states in
 * the workspace) and attention_merge combining them. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend-gpu/gpu.h"
#include "core/plan_util.h"
#include "shaders/attention.h"

/* The kernel family: its launches and the limits its plans read. */
#define FAMILY "attention"

TSG_PARAMS(attn_params, ATTENTION_PARAMS);

/* PLAN_TILES_PER_LAUNCH: > 0 key tiles per launch (loop limit), 0 one
 * launch, < 0 split-K decode with -value keys per chunk (a chunk of all
 * keys: the decode row blocks in one launch, no merge). PLAN_WG < 0:
 * attention_rows (one query row per invocation, -value = QT lanes) in
 * place of attention_fwd. */
enum { PLAN_QT, PLAN_KT, PLAN_WG, PLAN_TILES_PER_LAUNCH };

/* Rows (query positions x heads of one kv head) up to which a decode row
 * block is one workgroup's query tile. */
#define DECODE_ROWS 16
/* Fewest key tiles a split-K chunk holds: below that the merge and the
 * partial states cost more than the parallelism brings. */
#define DECODE_MIN_CHUNK_TILES 4
#define DECODE_MAX_SPLITS 256

/* Bytes of the kernel's ATTN_SHARED list: the Q tile, the K and V tiles,
 * the QT x KT score tile and three per-row statistics, all f32. */
static uint64_t shared_bytes(uint64_t qt, uint64_t kt, uint64_t d, uint64_t dv)
{
    return 4u * (qt * d + kt * d + kt * dv + qt * kt + 3 * qt);
}

/* Largest D and Dv of attention_rows: a lane holds its q and o rows in
 * registers written out per 4 elements (shaders/attention.kern), and
 * llvmpipe takes ~20 s to compile 128-wide rows (~2 s at 64). */
#define ROWS_MAX_D 64

/* attention_rows applies: the device's attention.rows entry asks for it
 * (CPU drivers, where it measured fastest; TESSEL_ATTENTION_ROWS=0 or 1
 * overrides it, for comparisons in one process), D and Dv are multiples
 * of 4 up to ROWS_MAX_D, and K and V start on 4-element boundaries for its
 * 4-wide loads. */
static bool rows_kernel(const tsi_gpu_caps *c, const tsi_op *op)
{
    int64_t d = op->in[0].shape[3], dv = op->in[2].shape[3];
    const char *env = getenv("TESSEL_ATTENTION_ROWS");
    bool want = env && (env[0] == '0' || env[0] == '1') && env[1] == '\0'
                    ? env[0] == '1'
                    : c->host->tuning(c->info, "attention.rows", 0) != 0;
    return want && d % 4 == 0 && dv % 4 == 0 && d <= ROWS_MAX_D && dv <= ROWS_MAX_D &&
           op->in[1].offset % 4 == 0 && op->in[2].offset % 4 == 0;
}

/* Key tiles per launch of attention_rows under a loop limit: its only
 * loop is the key loop, one back-edge per four keys (the row work is
 * written out, no loops inside). */
static uint64_t rows_tiles_per_launch(const tsi_gpu_caps *c, uint64_t kt)
{
    if (!c->loop_cap)
        return UINT64_MAX;
    uint64_t budget = (uint64_t)c->loop_cap * 11 / 12;
    uint64_t per_tile = tsi_gpu_ceil_div(kt, 4) + 1;
    uint64_t fixed = 8;
    return fixed + per_tile < budget ? (budget - fixed) / per_tile : 0;
}

/* The row-op width; under a loop limit (llvmpipe) wider, so that each
 * invocation's share of the loops shrinks: about 4 accumulator elements
 * each. */
static uint32_t work_group(const tsi_gpu_caps *c, uint32_t qt, uint32_t dim)
{
    uint32_t wg = c->row_wg ? c->row_wg : 64;
    if (!c->loop_cap)
        return wg;
    uint32_t cap = c->max_wg < 1024 ? c->max_wg : 1024;
    while (wg * 2 <= cap && wg * 4 < qt * dim)
        wg *= 2;
    return wg;
}

/* Under a loop limit the key range is split over launches of at most this
 * many key tiles (the row state m, l, O travels through the workspace),
 * counting one invocation's back-edges per key tile without assuming any
 * unrolling, with some margin under the limit. 0: cannot split enough. */
static uint64_t tiles_per_launch(const tsi_gpu_caps *c, uint64_t qt, uint64_t kt, uint64_t dim,
                                 uint64_t dv, uint64_t wg)
{
    if (!c->loop_cap)
        return UINT64_MAX;
    uint64_t budget = (uint64_t)c->loop_cap * 11 / 12;
    uint64_t opt = tsi_gpu_ceil_div(qt * dv, wg);
    uint64_t per_tile = tsi_gpu_ceil_div(kt * dim, wg) + tsi_gpu_ceil_div(kt * dv, wg) +
                        tsi_gpu_ceil_div(qt * kt, wg) * (dim + 1) +
                        tsi_gpu_ceil_div(qt, wg) * (2 * kt + 1) + opt * (kt + 1) + 3;
    uint64_t fixed = 4 * opt + 2 * qt + opt + 8;
    return fixed + per_tile < budget ? (budget - fixed) / per_tile : 0;
}

/* The split-K decode path applies (TESSEL_ATTENTION_DECODE=0 turns it
 * off, as on the CPU backend, for comparisons). */
static bool decode_path(const tsi_op *op)
{
    const char *env = getenv("TESSEL_ATTENTION_DECODE");
    if (env && strcmp(env, "0") == 0)
        return false;
    int64_t rows = op->in[0].shape[2] * (op->in[0].shape[1] / op->in[1].shape[1]);
    return rows <= DECODE_ROWS && op->in[1].shape[2] > 1;
}

/* Query heads per row block: all the heads of a kv head on the decode
 * path, else one. */
static int64_t heads_per_block(const tsi_op *op, bool decode)
{
    return decode ? op->in[0].shape[1] / op->in[1].shape[1] : 1;
}

/* Parallel units to fill: the device's compute units (OpenCL, or a Vulkan
 * vendor extension: vk_device.c), else on a CPU driver the host's
 * processors (lavapipe runs one workgroup per thread); 0 unknown. */
static uint64_t compute_units(const tsi_gpu_caps *c)
{
    if (c->info && c->info->compute_units)
        return c->info->compute_units;
    if (c->cpu_driver) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        return n > 0 ? (uint64_t)n : 1;
    }
    return 0;
}

/* Key chunks S of the split-K path: enough workgroups for about four per
 * compute unit (units unknown, another Vulkan device: 64 assumed), chunks
 * of at least DECODE_MIN_CHUNK_TILES key tiles, and under a loop limit
 * small enough for one launch each. TESSEL_ATTENTION_SPLITS=n forces n
 * (tests, hand tuning). */
static uint64_t decode_splits(const tsi_gpu_caps *c, uint64_t groups, uint64_t tiles,
                              uint64_t per_launch)
{
    uint64_t cu = compute_units(c);
    uint64_t target = 4 * (cu ? cu : 64);
    uint64_t s = tsi_gpu_ceil_div(target, groups);
    uint64_t most = tiles / DECODE_MIN_CHUNK_TILES;
    if (s > most)
        s = most;
    const char *env = getenv("TESSEL_ATTENTION_SPLITS");
    if (env && atoi(env) > 0)
        s = (uint64_t)atoi(env);
    if (s > DECODE_MAX_SPLITS)
        s = DECODE_MAX_SPLITS;
    if (s > tiles)
        s = tiles;
    if (per_launch != UINT64_MAX && s < tsi_gpu_ceil_div(tiles, per_launch))
        s = tsi_gpu_ceil_div(tiles, per_launch);
    return s ? s : 1;
}

/* The tiles: the tuning entry's defaults, shrunk (keys first) until the
 * kernel's shared memory fits; TESSEL_ATTENTION_TILES=q,k replaces both
 * (hand tuning, tests with ragged tiles). Then fitted to the problem (the
 * decode path's row block: Lq * Hq / Hkv rows). */
static void pick_tiles(const tsi_gpu_caps *c, const tsi_op *op, bool rows, int *qt, int *kt)
{
    uint64_t d = (uint64_t)op->in[0].shape[3], dv = (uint64_t)op->in[2].shape[3];
    *qt = (int)c->host->tuning(c->info, "attention.q_tile", 32);
    *kt = (int)c->host->tuning(c->info, "attention.k_tile", 32);
    if (!tsi_env_tile_pair("TESSEL_ATTENTION_TILES", qt, kt)) {
        if (c->max_wg && (uint32_t)*qt > c->max_wg)
            *qt = (int)c->max_wg;
        while (!rows && shared_bytes((uint64_t)*qt, (uint64_t)*kt, d, dv) > c->max_shared &&
               *kt > 8)
            *kt /= 2;
        while (!rows && shared_bytes((uint64_t)*qt, (uint64_t)*kt, d, dv) > c->max_shared &&
               *qt > 1)
            *qt /= 2;
    }
    bool decode = decode_path(op);
    *qt = tsi_tile_fit(*qt, op->in[0].shape[2] * heads_per_block(op, decode));
    *kt = tsi_tile_fit(*kt, op->in[1].shape[2]);
}

static bool make_plan(const tsi_gpu_caps *c, const tsi_op *op, tsi_plan *plan)
{
    const tsi_view *q = &op->in[0];
    int qt, kt;
    bool by_rows = rows_kernel(c, op);
    pick_tiles(c, op, by_rows, &qt, &kt);
    if (by_rows && c->max_wg && (uint32_t)qt > c->max_wg)
        qt = (int)c->max_wg; /* a lane per row (TESSEL_ATTENTION_TILES may ask more) */
    uint64_t dim = (uint64_t)q->shape[3], dv = (uint64_t)op->in[2].shape[3];
    if (!by_rows && shared_bytes((uint64_t)qt, (uint64_t)kt, dim, dv) > c->max_shared)
        return false;
    uint32_t wg = by_rows ? (uint32_t)qt : work_group(c, (uint32_t)qt, (uint32_t)dv);
    uint64_t per = by_rows ? rows_tiles_per_launch(c, (uint64_t)kt)
                        : tiles_per_launch(c, (uint64_t)qt, (uint64_t)kt, dim, dv, wg);
    if (per == 0)
        return false;
    uint64_t lk = (uint64_t)op->in[1].shape[2];
    uint64_t tiles = tsi_gpu_ceil_div(lk, (uint64_t)kt);
    *plan = (tsi_plan){.tile = {qt, kt, by_rows ? -(int32_t)wg : (int32_t)wg, 0}};
    if (decode_path(op)) {
        uint64_t rows_blk = (uint64_t)(q->shape[2] * heads_per_block(op, true));
        uint64_t groups = (uint64_t)(q->shape[0] * op->in[1].shape[1]) *
                          tsi_gpu_ceil_div(rows_blk, (uint64_t)qt);
        uint64_t s = decode_splits(c, groups, tiles, per);
        uint64_t chunk = tsi_gpu_ceil_div(tiles, s) * (uint64_t)kt;
        if (chunk > INT32_MAX)
            return false;
        s = tsi_gpu_ceil_div(lk, chunk);
        plan->tile[PLAN_TILES_PER_LAUNCH] = -(int32_t)chunk;
        if (s > 1) {
            uint64_t rows = (uint64_t)(q->shape[0] * q->shape[1] * q->shape[2]);
            plan->workspace_bytes = s * rows * (dv + 2) * sizeof(float);
        }
        return true;
    }
    if (tiles > per) {
        uint64_t rows = (uint64_t)(q->shape[0] * q->shape[1] * q->shape[2]);
        plan->tile[PLAN_TILES_PER_LAUNCH] = (int32_t)(per < INT32_MAX ? per : INT32_MAX);
        plan->workspace_bytes = rows * (dv + 2) * sizeof(float);
    }
    return true;
}

/* Workgroups of the attention_fwd launch: row blocks x query tiles, times
 * the key chunks on the split-K path. */
static uint64_t groups(const tsi_op *op, const tsi_plan *plan)
{
    const tsi_view *q = &op->in[0];
    int32_t tpl = plan->tile[PLAN_TILES_PER_LAUNCH];
    int64_t hpt = heads_per_block(op, tpl < 0);
    uint64_t nqt = tsi_gpu_ceil_div((uint64_t)(q->shape[2] * hpt), (uint64_t)plan->tile[PLAN_QT]);
    uint64_t n = (uint64_t)(q->shape[0] * (q->shape[1] / hpt)) * nqt;
    if (tpl < 0)
        n *= tsi_gpu_ceil_div((uint64_t)op->in[1].shape[2], (uint64_t)-(int64_t)tpl);
    return n;
}

bool tsi_gpu_attention_supports(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    const tsi_view *q = &op->in[0];
    ts_dtype dt = q->dtype;
    int64_t dim = q->shape[3], dv = op->in[2].shape[3];
    if ((dt != TS_F32 && dt != TS_F16 && dt != TS_BF16) || dim < 1 || dim > 256 || dv < 1 ||
        dv > 256 || c->max_buffers < TSG_BUF_COUNT(ATTENTION_BUFS))
        return false;
    /* Row and key indices plus the (bounded) offset and window stay in
     * int32 inside the kernel. */
    if (q->shape[2] > (INT64_C(1) << 28) || op->in[1].shape[2] > (INT64_C(1) << 28))
        return false;
    if (!tsi_gpu_views_fit(c, op))
        return false;
    tsi_plan plan;
    if (!make_plan(c, op, &plan))
        return false;
    /* The split state is indexed in 32 bits too. */
    if (plan.workspace_bytes / sizeof(float) >= INT32_MAX)
        return false;
    uint32_t grid[3];
    if (plan.workspace_bytes && plan.tile[PLAN_TILES_PER_LAUNCH] < 0 &&
        !tsi_gpu_grid(c, (uint64_t)(q->shape[0] * q->shape[1] * q->shape[2]), grid))
        return false; /* the merge's one workgroup per row */
    return tsi_gpu_grid(c, groups(op, &plan), grid);
}

ts_status tsi_gpu_attention_plan(tsi_device *dev, const tsi_op *op, tsi_plan *out)
{
    if (!make_plan(tsi_gpu_caps_for(dev, FAMILY), op, out))
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "attention: no plan fits this device");
    return TS_OK;
}

static void fill_params(const tsi_op *op, attn_params *pc)
{
    const tsi_view *q = &op->in[0], *k = &op->in[1], *bias = &op->in[3], *mask = &op->in[4];
    *pc = (attn_params){
        .q_off = (uint32_t)q->offset,
        .k_off = (uint32_t)k->offset,
        .v_off = (uint32_t)op->in[2].offset,
        .o_off = (uint32_t)op->out[0].offset,
        .batch = (uint32_t)q->shape[0],
        .hq = (uint32_t)q->shape[1],
        .hkv = (uint32_t)k->shape[1],
        .lq = (uint32_t)q->shape[2],
        .lk = (uint32_t)k->shape[2],
        .scale = op->p.attention.scale,
        .flags = op->p.attention.causal ? ATTN_CAUSAL : 0u,
        .off = (int32_t)op->p.attention.offset,
        .window = (int32_t)op->p.attention.window,
        .softcap = op->p.attention.softcap,
        .hpt = 1,
    };
    if (op->p.attention.align == TSI_ATTN_ALIGN_BOTTOM_RIGHT)
        pc->flags |= ATTN_BR;
    if (op->in[6].buf) {
        pc->klen_off = (uint32_t)op->in[6].offset;
        pc->flags |= ATTN_KEYLEN;
    }
    if (bias->buf) {
        pc->bias_off = (uint32_t)bias->offset;
        pc->bias_st0 = (uint32_t)bias->stride[0];
        pc->bias_st1 = (uint32_t)bias->stride[1];
        pc->bias_st2 = (uint32_t)bias->stride[2];
        pc->bias_st3 = (uint32_t)bias->stride[3];
        pc->flags |= ATTN_BIAS;
    }
    if (mask->buf) {
        pc->mask_off = (uint32_t)mask->offset;
        pc->mask_stb = (uint32_t)mask->stride[0];
        pc->mask_stc = (uint32_t)mask->stride[3];
        pc->flags |= ATTN_MASK;
    }
    if (op->in[5].buf) {
        pc->gate_off = (uint32_t)op->in[5].offset;
        pc->flags |= ATTN_GATE;
    }
    if (op->out[1].buf) {
        pc->lse_off = (uint32_t)op->out[1].offset;
        pc->flags |= ATTN_LSE;
    }
}

ts_status tsi_gpu_attention_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_for(dev, FAMILY);
    const tsi_view *q = &op->in[0];
    const tsi_plan *plan = &op->plan;
    uint32_t dim = (uint32_t)q->shape[3], dv = (uint32_t)op->in[2].shape[3];
    uint32_t qt = (uint32_t)plan->tile[PLAN_QT], kt = (uint32_t)plan->tile[PLAN_KT];
    bool rows = plan->tile[PLAN_WG] < 0;
    uint32_t wg = (uint32_t)(rows ? -plan->tile[PLAN_WG] : plan->tile[PLAN_WG]);
    int32_t tpl = plan->tile[PLAN_TILES_PER_LAUNCH];
    uint32_t nsplit =
        tpl < 0 ? (uint32_t)tsi_gpu_ceil_div((uint64_t)op->in[1].shape[2], (uint64_t)-(int64_t)tpl)
                : 1u;
    uint32_t split = tpl > 0 || nsplit > 1 ? 1u : 0u;
    uint32_t consts[] = {wg, (uint32_t)q->dtype, qt, kt, dim, (qt * dv + wg - 1) / wg, split, dv};
    tsi_buffer *bufs[] = {q->buf,        op->in[1].buf, op->in[2].buf,  op->in[3].buf,
                          op->in[4].buf, op->in[5].buf, op->out[0].buf, op->out[1].buf,
                          op->workspace, op->in[6].buf};
    attn_params pc;
    fill_params(op, &pc);
    if (tpl < 0) {
        pc.hpt = (uint32_t)heads_per_block(op, true);
        if (nsplit > 1) {
            pc.kchunk = (uint32_t)-(int64_t)tpl;
            pc.kend = pc.lk;
            pc.flags |= ATTN_FIRST; /* a fresh state per chunk, never the last */
        }
    }
    TSG_LAUNCH(l, FAMILY, attention_fwd, ATTENTION_CONSTS, consts, ATTENTION_BUFS, bufs, &pc);
    TSG_LAUNCH(lr, FAMILY, attention_rows, ATTENTION_CONSTS, consts, ATTENTION_BUFS, bufs, &pc);
    if (rows) {
        l = lr;
        if (tsi_gpu_texels(dev, op->in[1].buf, op->in[2].buf)) {
            l.entry = "attention_rows_tx";
            l.texel_mask = 1u << 1 | 1u << 2;
        }
    }
    if (!tsi_gpu_grid(c, groups(op, plan), l.groups))
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "attention: too many query tiles");
    if (tpl <= 0 && nsplit == 1)
        return tsi_gpu_launch_record(dev, &l);
    if (tpl < 0) {
        ts_status st = tsi_gpu_launch_record(dev, &l);
        if (st != TS_OK)
            return st;
        /* Launch 2: one workgroup per query row merges the chunks. */
        uint32_t mwg = c->row_wg ? c->row_wg : 64;
        while (mwg > 1 && mwg / 2 >= dv)
            mwg /= 2;
        uint32_t mconsts[] = {mwg, (uint32_t)q->dtype, qt, kt, dim, 1, split, dv};
        TSG_LAUNCH(m, FAMILY, attention_merge, ATTENTION_CONSTS, mconsts, ATTENTION_BUFS, bufs,
                   &pc);
        if (!tsi_gpu_grid(c, (uint64_t)pc.batch * pc.hq * pc.lq, m.groups))
            return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "attention: too many query rows");
        return tsi_gpu_launch_record(dev, &m);
    }
    /* Keys in chunks, one launch each, the row state in the workspace. */
    uint32_t span = (uint32_t)plan->tile[PLAN_TILES_PER_LAUNCH] * kt;
    attn_params whole = pc;
    for (uint32_t k0 = 0; k0 < whole.lk; k0 += span) {
        pc = whole;
        pc.kbeg = k0;
        pc.kend = whole.lk - k0 > span ? k0 + span : whole.lk;
        pc.flags |= (k0 == 0 ? ATTN_FIRST : 0u) | (pc.kend == whole.lk ? ATTN_LAST : 0u);
        ts_status st = tsi_gpu_launch_record(dev, &l);
        if (st != TS_OK)
            return st;
    }
    return TS_OK;
}
