/* supports() and record() of the v1 ops: each op fills its shader's push
 * constants from the normalized views (core/op.h) and dispatches through
 * tsi_vk_dispatch. Shader indices are 32-bit, so every view's reach must
 * stay below 2^31 elements and fit one storage-buffer binding. */
#include <string.h>

#include "vk_internal.h"

static uint32_t dt_size(ts_dtype t)
{
    return t == TS_F16 || t == TS_BF16 ? 2u : 4u;
}

static bool is_float(ts_dtype t)
{
    return t == TS_F32 || t == TS_F16 || t == TS_BF16;
}

bool tsi_vk_view_fits(const tsi_device *d, const tsi_view *v)
{
    if (!v->buf)
        return true;
    int64_t lo = v->offset, hi = v->offset;
    for (int i = 0; i < 4; i++) {
        if (v->shape[i] <= 0)
            return true; /* empty: nothing is touched */
        int64_t span = (v->shape[i] - 1) * v->stride[i];
        if (span < 0)
            lo += span;
        else
            hi += span;
    }
    if (lo < 0 || hi >= INT32_MAX)
        return false;
    /* Against the binding limit, not v->buf: core validated the view against
     * its buffer, and probes copies into temporaries with a placeholder. */
    return (uint64_t)(hi + 1) * dt_size(v->dtype) <= d->limits.maxStorageBufferRange;
}

static uint64_t numel(const tsi_view *v)
{
    return (uint64_t)v->shape[0] * (uint64_t)v->shape[1] * (uint64_t)v->shape[2] *
           (uint64_t)v->shape[3];
}

static uint64_t rows_of(const tsi_view *v)
{
    return (uint64_t)v->shape[0] * (uint64_t)v->shape[1] * (uint64_t)v->shape[2];
}

static bool grid_ok(const tsi_device *d, uint64_t groups)
{
    return groups <= (uint64_t)d->limits.maxComputeWorkGroupCount[0] *
                         d->limits.maxComputeWorkGroupCount[1];
}

static ts_status dispatch_flat(tsi_device *d, const char *shader, const uint32_t *spec, int ns,
                               const tsi_vk_binding *b, int nb, const void *push,
                               uint32_t push_bytes, uint64_t groups)
{
    VkPipeline p;
    TSI_VK_TRY(tsi_vk_pipeline(d, shader, spec, ns, &p));
    uint32_t gx, gy;
    tsi_vk_grid_1d(d, groups, &gx, &gy);
    return tsi_vk_dispatch(d, p, b, nb, push, push_bytes, gx, gy, 1);
}

static void view_push(const tsi_view *v, int32_t *off, int32_t *st)
{
    *off = (int32_t)v->offset;
    for (int i = 0; i < 4; i++)
        st[i] = (int32_t)v->stride[i];
}

/* ---- elementwise ------------------------------------------------------- */

static ts_status record_unary(tsi_device *d, const tsi_op *op)
{
    const tsi_view *x = &op->in[0], *y = &op->out[0];
    struct {
        uint32_t n[4];
        int32_t xoff, xs[4], yoff, ys[4];
        uint32_t kind, total;
        float alpha, beta;
    } pc;
    for (int i = 0; i < 4; i++)
        pc.n[i] = (uint32_t)y->shape[i];
    view_push(x, &pc.xoff, pc.xs);
    view_push(y, &pc.yoff, pc.ys);
    pc.kind = (uint32_t)op->p.unary.kind;
    pc.total = (uint32_t)numel(y);
    pc.alpha = op->p.unary.alpha;
    pc.beta = op->p.unary.beta;
    uint32_t wg = d->tuning.elem_wg;
    uint32_t spec[] = {wg, (uint32_t)x->dtype, (uint32_t)y->dtype};
    tsi_vk_binding b[] = {{x->buf, 0}, {y->buf, 1}};
    return dispatch_flat(d, "unary.spv", spec, 3, b, 2, &pc, sizeof pc, (pc.total + wg - 1) / wg);
}

static ts_status record_binary(tsi_device *d, const tsi_op *op)
{
    const tsi_view *a = &op->in[0], *bb = &op->in[1], *y = &op->out[0];
    struct {
        uint32_t n[4];
        int32_t aoff, as[4], boff, bs[4], yoff, ys[4];
        uint32_t kind, total;
    } pc;
    for (int i = 0; i < 4; i++)
        pc.n[i] = (uint32_t)y->shape[i];
    view_push(a, &pc.aoff, pc.as);
    view_push(bb, &pc.boff, pc.bs);
    view_push(y, &pc.yoff, pc.ys);
    pc.kind = (uint32_t)op->p.binary.kind;
    pc.total = (uint32_t)numel(y);
    uint32_t wg = d->tuning.elem_wg;
    uint32_t spec[] = {wg, (uint32_t)y->dtype};
    tsi_vk_binding b[] = {{a->buf, 0}, {bb->buf, 0}, {y->buf, 1}};
    return dispatch_flat(d, "binary.spv", spec, 2, b, 3, &pc, sizeof pc, (pc.total + wg - 1) / wg);
}

/* ---- matmul ------------------------------------------------------------ */

static ts_status record_matmul(tsi_device *d, const tsi_op *op)
{
    const tsi_view *a = &op->in[0], *bv = &op->in[1], *c = &op->out[0];
    const tsi_vk_gemm_tiles *t = &d->tuning.gemm;
    struct {
        uint32_t m, n, k, nb1;
        int32_t aoff, as[4], boff, bs[4];
        uint32_t coff;
    } pc;
    pc.m = (uint32_t)c->shape[2];
    pc.n = (uint32_t)c->shape[3];
    pc.k = (uint32_t)a->shape[3];
    pc.nb1 = (uint32_t)c->shape[1];
    view_push(a, &pc.aoff, pc.as);
    view_push(bv, &pc.boff, pc.bs);
    pc.coff = (uint32_t)c->offset;
    uint32_t wg = (t->bm / 4) * (t->bn / 4);
    uint32_t spec[] = {wg, (uint32_t)c->dtype, t->bm, t->bn, t->bk, t->use_shared};
    VkPipeline p;
    TSI_VK_TRY(tsi_vk_pipeline(d, "matmul.spv", spec, 6, &p));
    tsi_vk_binding b[] = {{a->buf, 0}, {bv->buf, 0}, {c->buf, 1}};
    return tsi_vk_dispatch(d, p, b, 3, &pc, sizeof pc, (pc.n + t->bn - 1) / t->bn,
                           (pc.m + t->bm - 1) / t->bm, (uint32_t)(c->shape[0] * c->shape[1]));
}

static bool matmul_fits(const tsi_device *d, const tsi_op *op)
{
    const tsi_view *c = &op->out[0];
    const tsi_vk_gemm_tiles *t = &d->tuning.gemm;
    const uint32_t *mx = d->limits.maxComputeWorkGroupCount;
    return (uint64_t)(c->shape[3] + t->bn - 1) / t->bn <= mx[0] &&
           (uint64_t)(c->shape[2] + t->bm - 1) / t->bm <= mx[1] &&
           (uint64_t)(c->shape[0] * c->shape[1]) <= mx[2];
}

/* ---- row ops ----------------------------------------------------------- */

static ts_status record_softmax(tsi_device *d, const tsi_op *op)
{
    const tsi_view *x = &op->in[0], *y = &op->out[0];
    struct {
        uint32_t rows, n, m, causal, xoff, yoff;
        float scale;
    } pc = {(uint32_t)rows_of(x), (uint32_t)x->shape[3], (uint32_t)x->shape[2],
            op->p.softmax.causal ? 1u : 0u, (uint32_t)x->offset, (uint32_t)y->offset,
            op->p.softmax.scale};
    uint32_t spec[] = {d->tuning.row_wg, (uint32_t)x->dtype};
    tsi_vk_binding b[] = {{x->buf, 0}, {y->buf, 1}};
    return dispatch_flat(d, "softmax.spv", spec, 2, b, 2, &pc, sizeof pc, pc.rows);
}

static ts_status record_reduce(tsi_device *d, const tsi_op *op)
{
    const tsi_view *x = &op->in[0], *y = &op->out[0];
    struct {
        uint32_t rows, n, kind, xoff, yoff;
    } pc = {(uint32_t)rows_of(x), (uint32_t)x->shape[3], (uint32_t)op->p.reduce.kind,
            (uint32_t)x->offset, (uint32_t)y->offset};
    uint32_t spec[] = {d->tuning.row_wg, (uint32_t)x->dtype};
    tsi_vk_binding b[] = {{x->buf, 0}, {y->buf, 1}};
    return dispatch_flat(d, "reduce.spv", spec, 2, b, 2, &pc, sizeof pc, pc.rows);
}

static ts_status record_norm(tsi_device *d, const tsi_op *op)
{
    const tsi_view *x = &op->in[0], *y = &op->out[0];
    const tsi_view *f = &op->in[1], *w = &op->in[2], *bi = &op->in[3], *s = &op->out[1];
    bool has_s = op->n_out > 1 && s->buf;
    struct {
        uint32_t rows, n, flags, xoff, foff, woff, boff, yoff, soff;
        float eps, alpha;
    } pc = {(uint32_t)rows_of(x), (uint32_t)x->shape[3], 0, (uint32_t)x->offset,
            f->buf ? (uint32_t)f->offset : 0u, w->buf ? (uint32_t)w->offset : 0u,
            bi->buf ? (uint32_t)bi->offset : 0u, (uint32_t)y->offset,
            has_s ? (uint32_t)s->offset : 0u, op->p.norm.eps, op->p.norm.alpha};
    pc.flags = (f->buf ? 1u : 0u) | (w->buf ? 2u : 0u) | (bi->buf ? 4u : 0u) | (has_s ? 8u : 0u) |
               (op->p.norm.kind == TSI_NORM_RMS ? 16u : 0u);
    uint32_t spec[] = {d->tuning.row_wg, (uint32_t)x->dtype};
    tsi_vk_binding b[] = {{x->buf, 0}, {f->buf, 0}, {w->buf, 0}, {bi->buf, 0},
                          {y->buf, 1}, {has_s ? s->buf : NULL, 1}};
    return dispatch_flat(d, "norm.spv", spec, 2, b, 6, &pc, sizeof pc, pc.rows);
}

/* ---- indexing and convolution ------------------------------------------ */

static ts_status record_gather(tsi_device *d, const tsi_op *op)
{
    const tsi_view *t = &op->in[0], *ix = &op->in[1], *o = &op->out[0];
    struct {
        uint32_t v, d, n, toff, ioff, ooff;
    } pc = {(uint32_t)t->shape[2], (uint32_t)t->shape[3], (uint32_t)ix->shape[3],
            (uint32_t)t->offset, (uint32_t)ix->offset, (uint32_t)o->offset};
    uint32_t wg = d->tuning.elem_wg;
    uint32_t spec[] = {wg, (uint32_t)t->dtype};
    tsi_vk_binding b[] = {{t->buf, 0}, {ix->buf, 0}, {o->buf, 1}};
    return dispatch_flat(d, "gather_rows.spv", spec, 2, b, 3, &pc, sizeof pc,
                         ((uint64_t)pc.n * pc.d + wg - 1) / wg);
}

static ts_status record_conv1d(tsi_device *d, const tsi_op *op)
{
    const tsi_view *x = &op->in[0], *w = &op->in[1], *bias = &op->in[2], *y = &op->out[0];
    struct {
        uint32_t b, l, ch, k, has_bias, xoff, woff, boff, yoff;
    } pc = {(uint32_t)x->shape[1], (uint32_t)x->shape[2], (uint32_t)x->shape[3],
            (uint32_t)w->shape[3], bias->buf ? 1u : 0u, (uint32_t)x->offset,
            (uint32_t)w->offset, bias->buf ? (uint32_t)bias->offset : 0u, (uint32_t)y->offset};
    uint32_t wg = d->tuning.elem_wg;
    uint32_t spec[] = {wg, (uint32_t)x->dtype};
    tsi_vk_binding b[] = {{x->buf, 0}, {w->buf, 0}, {bias->buf, 0}, {y->buf, 1}};
    return dispatch_flat(d, "conv1d_causal.spv", spec, 2, b, 4, &pc, sizeof pc,
                         (numel(y) + wg - 1) / wg);
}

/* ---- the table --------------------------------------------------------- */

static bool dtypes_ok(const tsi_op *op)
{
    ts_dtype t = op->in[0].dtype;
    switch (op->code) {
    case TSI_OP_UNARY:
        if (op->p.unary.kind == TSI_UNARY_COPY)
            return true; /* every dtype pair: copy and cast */
        if (t == TS_I32)
            return op->p.unary.kind == TS_NEG || op->p.unary.kind == TS_ABS ||
                   op->p.unary.kind == TS_RELU || op->p.unary.kind == TS_RELU2;
        return is_float(t) && is_float(op->out[0].dtype);
    case TSI_OP_BINARY:
        return true;
    case TSI_OP_GATHER_ROWS:
        return true;
    case TSI_OP_SCATTER_ADD_ROWS:
        return true;
    case TSI_OP_REDUCE:
        return is_float(t) || op->p.reduce.kind != TSI_REDUCE_MEAN;
    case TSI_OP_TOPK:
        return true;
    default:
        return is_float(t);
    }
}

/* A row op's invocation walks its row ceil(n / WG) times per pass (softmax
 * and norm 3 passes, reduce 1, top-k 1 per round, rounds being split over
 * dispatches) plus small tree loops: within the device's loop_cap? */
static bool row_loops_ok(const tsi_device *d, const tsi_op *op)
{
    if (!d->tuning.loop_cap)
        return true;
    uint64_t per_pass = ((uint64_t)op->in[0].shape[3] + d->tuning.row_wg - 1) / d->tuning.row_wg;
    uint64_t passes = op->code == TSI_OP_SOFTMAX || op->code == TSI_OP_NORM ? 3 : 1;
    return per_pass * passes + 64 <= d->tuning.loop_cap;
}

bool tsi_vk_supports(tsi_device *d, const tsi_op *op)
{
    if (d->lost || op->code >= TSI_OP_COUNT)
        return false;
    if (op->code == TSI_OP_ATTENTION) {
#ifdef TESSEL_VULKAN_ATTENTION
        return tsi_vk_attention_supports(d, op);
#else
        return false;
#endif
    }
    if (!dtypes_ok(op))
        return false;
    for (int i = 0; i < op->n_in; i++)
        if (!tsi_vk_view_fits(d, &op->in[i]))
            return false;
    for (int i = 0; i < op->n_out; i++)
        if (!tsi_vk_view_fits(d, &op->out[i]))
            return false;
    const tsi_view *y = &op->out[0];
    uint32_t wg = d->tuning.elem_wg;
    switch (op->code) {
    case TSI_OP_MATMUL:
        return matmul_fits(d, op);
    case TSI_OP_SOFTMAX:
    case TSI_OP_REDUCE:
    case TSI_OP_TOPK:
    case TSI_OP_NORM:
        return grid_ok(d, rows_of(&op->in[0])) && row_loops_ok(d, op);
    case TSI_OP_SCATTER_ADD_ROWS: /* one dst row may take all N rows in one loop */
        return grid_ok(d, (numel(y) + wg - 1) / wg) &&
               (!d->tuning.loop_cap || (uint64_t)op->in[0].shape[3] + 64 <= d->tuning.loop_cap);
    case TSI_OP_GATHER_ROWS:
    default:
        return numel(y) < INT32_MAX && grid_ok(d, (numel(y) + wg - 1) / wg);
    }
}

ts_status tsi_vk_record(tsi_device *d, const tsi_op *op)
{
    switch (op->code) {
    case TSI_OP_UNARY: return record_unary(d, op);
    case TSI_OP_BINARY: return record_binary(d, op);
    case TSI_OP_MATMUL: return record_matmul(d, op);
    case TSI_OP_SOFTMAX: return record_softmax(d, op);
    case TSI_OP_REDUCE: return record_reduce(d, op);
    case TSI_OP_TOPK: return tsi_vk_record_topk(d, op);
    case TSI_OP_GATHER_ROWS: return record_gather(d, op);
    case TSI_OP_SCATTER_ADD_ROWS: return tsi_vk_record_scatter_add_rows(d, op);
    case TSI_OP_NORM: return record_norm(d, op);
    case TSI_OP_CONV1D_CAUSAL: return record_conv1d(d, op);
    case TSI_OP_ATTENTION:
#ifdef TESSEL_VULKAN_ATTENTION
        return tsi_vk_attention_record(d, op);
#endif
    default:
        return TSI_VK_FAIL(TS_ERR_UNSUPPORTED, "vulkan: op %d not supported", (int)op->code);
    }
}
