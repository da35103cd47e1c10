/* TSI_OP_ATTENTION on Vulkan: shaders/vulkan/attention.comp, one workgroup
 * per (batch, head, query tile). The plan's q_tile / k_tile and the head
 * dim are specialization constants (one pipeline per dtype x D x tiles);
 * the workgroup width is the device's row-op width from the tuning table. */
#include <stdint.h>

#include "backend-vulkan/vk_internal.h"

typedef struct attn_push {
    uint32_t q_off, k_off, v_off, bias_off, mask_off, gate_off, o_off, lse_off;
    uint32_t bias_st[4];
    uint32_t mask_stb, mask_stc;
    uint32_t batch, hq, hkv, lq, lk;
    float scale;
    uint32_t flags;
    uint32_t kbeg, kend;
} attn_push;

enum {
    HAS_CAUSAL = 1, HAS_BIAS = 2, HAS_MASK = 4, HAS_GATE = 8, HAS_LSE = 16,
    SPLIT = 32, FIRST = 64, LAST = 128
};

/* Shared memory the shader declares for these tiles, in bytes. */
static uint64_t shared_bytes(uint64_t qt, uint64_t kt, uint64_t d)
{
    return sizeof(float) * (qt * d + 2 * kt * d + qt * kt + 3 * qt);
}

/* Every element the view touches has an index below 2^31. */
static bool index_fits(const tsi_view *v)
{
    if (!v->buf)
        return true;
    int64_t hi = v->offset;
    for (int i = 0; i < 4; i++) {
        if (v->shape[i] <= 0)
            return true;
        if (v->stride[i] < 0)
            return false;
        hi += (v->shape[i] - 1) * v->stride[i];
    }
    return v->offset >= 0 && hi < INT32_MAX;
}

static bool cpu_driver(const tsi_device *d)
{
    return d->phys->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
}

/* The row-op width; on CPU drivers (lavapipe) wider, so each invocation's
 * share of the loops (see loop_budget_ok) shrinks: about 4 accumulator
 * elements each. */
static uint32_t work_group(const tsi_device *d, uint32_t qt, uint32_t dim)
{
    uint32_t wg = d->tuning.row_wg ? d->tuning.row_wg : 64;
    if (!cpu_driver(d))
        return wg;
    uint32_t cap = d->limits.maxComputeWorkGroupInvocations;
    if (d->limits.maxComputeWorkGroupSize[0] < cap)
        cap = d->limits.maxComputeWorkGroupSize[0];
    if (cap > 1024)
        cap = 1024;
    while (wg * 2 <= cap && wg * 4 < qt * dim)
        wg *= 2;
    return wg;
}

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

/* llvmpipe (lavapipe) stops every loop of an invocation once the
 * invocation has taken 65535 loop back-edges in total (one limiter per
 * shader, its guard against infinite loops), silently leaving the work
 * unfinished. So on CPU drivers the key range is split over dispatches of
 * at most this many key tiles each (the row state m, l, O travels through
 * a scratch buffer), counting one invocation's back-edges per key tile
 * without assuming any unrolling. 0: the shape cannot be split enough. */
#define LOOP_BUDGET 60000u

static uint64_t tiles_per_dispatch(const tsi_device *d, uint64_t qt, uint64_t kt, uint64_t dim,
                                   uint64_t wg)
{
    if (!cpu_driver(d))
        return UINT64_MAX;
    uint64_t opt = ceil_div(qt * dim, wg);
    uint64_t per_tile = ceil_div(kt * dim, wg) + ceil_div(qt * kt, wg) * (dim + 1) +
                        ceil_div(qt, wg) * (2 * kt + 1) + opt * (kt + 1) + 2;
    uint64_t fixed = 4 * opt + 2 * qt + ceil_div(qt * dim, wg) + 8;
    return fixed + per_tile < LOOP_BUDGET ? (LOOP_BUDGET - fixed) / per_tile : 0;
}

bool tsi_vk_attention_supports(tsi_device *d, const tsi_op *op)
{
    const tsi_view *q = &op->in[0], *k = &op->in[1];
    ts_dtype dt = q->dtype;
    int64_t dim = q->shape[3];
    int qt = op->p.attention.q_tile, kt = op->p.attention.k_tile;
    if ((dt != TS_F32 && dt != TS_F16 && dt != TS_BF16) || dim < 1 || dim > 256 || qt < 1 ||
        kt < 1)
        return false;
    if (shared_bytes((uint64_t)qt, (uint64_t)kt, (uint64_t)dim) >
        d->limits.maxComputeSharedMemorySize)
        return false;
    uint32_t wg = work_group(d, (uint32_t)qt, (uint32_t)dim);
    if (tiles_per_dispatch(d, (uint64_t)qt, (uint64_t)kt, (uint64_t)dim, wg) == 0)
        return false;
    /* The shader indexes rows and heads in 32 bits. */
    int64_t rows = q->shape[0] * q->shape[1] * q->shape[2];
    int64_t keys = k->shape[0] * k->shape[1] * k->shape[2];
    if (rows * dim > (int64_t)UINT32_MAX || keys * dim > (int64_t)UINT32_MAX)
        return false;
    /* Inputs are checked for 32-bit element indices only: core asks before
     * it copies a strided q/k/v/gate into its temporary, when the view it
     * shows still points at the source buffer (a broadcast K's buffer is
     * smaller than the contiguous copy will be). */
    for (int i = 0; i < op->n_in; i++)
        if (!index_fits(&op->in[i]))
            return false;
    for (int i = 0; i < op->n_out; i++)
        if (!tsi_vk_view_fits(d, &op->out[i]))
            return false;
    return true;
}

/* The key range in chunks of `span` keys, one dispatch each, the row
 * state in a scratch buffer bound in the lse slot; the last dispatch
 * leaves the lse in the state's m slots, copied out with the backend's
 * own strided copy. */
static ts_status record_split(tsi_device *d, const tsi_op *op, VkPipeline pipe,
                              tsi_vk_binding *b, attn_push *pc, uint32_t span, uint32_t gx,
                              uint32_t gy)
{
    const tsi_view *q = &op->in[0];
    uint64_t dim = (uint64_t)q->shape[3], rows = (uint64_t)(q->shape[0] * q->shape[1]) * pc->lq;
    tsi_buffer *state;
    TSI_VK_TRY(tsi_vk_mem_alloc(d, (size_t)(rows * (dim + 2) * sizeof(float)), &state));
    b[7] = (tsi_vk_binding){state, 1};
    ts_status st = TS_OK;
    for (uint32_t k0 = 0; k0 < pc->lk && st == TS_OK; k0 += span) {
        attn_push c = *pc;
        c.kbeg = k0;
        c.kend = pc->lk - k0 > span ? k0 + span : pc->lk;
        c.flags |= SPLIT | (k0 == 0 ? FIRST : 0) | (c.kend == pc->lk ? LAST : 0);
        st = tsi_vk_dispatch(d, pipe, b, 8, &c, sizeof c, gx, gy, 1);
    }
    if (st == TS_OK && op->out[1].buf) {
        tsi_op copy = {.code = TSI_OP_UNARY, .n_in = 1, .n_out = 1};
        copy.in[0] = (tsi_view){.buf = state, .dtype = TS_F32};
        for (int i = 0; i < 4; i++)
            copy.in[0].shape[i] = op->out[1].shape[i];
        int64_t sw = (int64_t)dim + 2;
        copy.in[0].stride[3] = 1;
        copy.in[0].stride[2] = sw;
        copy.in[0].stride[1] = sw * q->shape[2];
        copy.in[0].stride[0] = sw * q->shape[2] * q->shape[1];
        copy.out[0] = op->out[1];
        copy.p.unary.kind = TSI_UNARY_COPY;
        copy.p.unary.alpha = 1.0f;
        st = tsi_vk_record(d, &copy);
    }
    tsi_vk_defer_free(d, state);
    return st;
}

ts_status tsi_vk_attention_record(tsi_device *d, const tsi_op *op)
{
    const tsi_view *q = &op->in[0], *k = &op->in[1], *bias = &op->in[3], *mask = &op->in[4];
    uint32_t dim = (uint32_t)q->shape[3];
    uint32_t qt = (uint32_t)op->p.attention.q_tile, kt = (uint32_t)op->p.attention.k_tile;
    uint32_t wg = work_group(d, qt, dim);
    uint32_t spec[6] = {wg, (uint32_t)q->dtype, qt, kt, dim, (qt * dim + wg - 1) / wg};
    VkPipeline pipe;
    TSI_VK_TRY(tsi_vk_pipeline(d, "attention.spv", spec, 6, &pipe));

    attn_push pc = {
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
        .flags = op->p.attention.causal ? HAS_CAUSAL : 0,
    };
    if (bias->buf) {
        pc.bias_off = (uint32_t)bias->offset;
        for (int i = 0; i < 4; i++)
            pc.bias_st[i] = (uint32_t)bias->stride[i];
        pc.flags |= HAS_BIAS;
    }
    if (mask->buf) {
        pc.mask_off = (uint32_t)mask->offset;
        pc.mask_stb = (uint32_t)mask->stride[0];
        pc.mask_stc = (uint32_t)mask->stride[3];
        pc.flags |= HAS_MASK;
    }
    if (op->in[5].buf) {
        pc.gate_off = (uint32_t)op->in[5].offset;
        pc.flags |= HAS_GATE;
    }
    if (op->out[1].buf) {
        pc.lse_off = (uint32_t)op->out[1].offset;
        pc.flags |= HAS_LSE;
    }
    tsi_vk_binding b[8] = {
        {q->buf, 0},           {k->buf, 0},           {op->in[2].buf, 0}, {bias->buf, 0},
        {mask->buf, 0},        {op->in[5].buf, 0},    {op->out[0].buf, 1}, {op->out[1].buf, 1},
    };
    uint64_t groups = (uint64_t)(q->shape[0] * q->shape[1]) * ((pc.lq + qt - 1) / qt);
    uint32_t gx, gy;
    tsi_vk_grid_1d(d, groups, &gx, &gy);
    uint64_t per = tiles_per_dispatch(d, qt, kt, dim, wg), tiles = (pc.lk + kt - 1) / kt;
    if (tiles <= per)
        return tsi_vk_dispatch(d, pipe, b, 8, &pc, sizeof pc, gx, gy, 1);
    return record_split(d, op, pipe, b, &pc, (uint32_t)(per * kt), gx, gy);
}
