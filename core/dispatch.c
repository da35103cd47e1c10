/* Recording a normalized op on a device: contiguous temporaries for row-op
 * inputs, supports() -> TS_ERR_UNSUPPORTED with a readable reason (or the
 * op's fallback, core/fallback.c), record, and the test-only corrupt hook.
 * Temporaries are freed right after record: the backend keeps a freed
 * buffer alive until the work using it is done. */
#include <stdio.h>
#include <string.h>

#include "core/dispatch.h"

static const char *const unary_names[TSI_UNARY_KIND_COUNT] = {
    "neg",   "abs",      "exp",       "log",  "sqrt", "rsqrt", "tanh", "sigmoid",     "relu",
    "relu2", "gelu_erf", "gelu_tanh", "silu", "sin",  "cos",   "copy", "scale_shift",
};
static const char *const binary_names[TS_BINARY_COUNT] = {"add", "sub", "mul", "div", "max", "min"};
static const char *const reduce_names[] = {"sum reduce", "mean reduce", "max reduce", "argmax"};
static const char *const op_names[TSI_OP_COUNT] = {
    [TSI_OP_UNARY] = "unary",
    [TSI_OP_BINARY] = "binary",
    [TSI_OP_MATMUL] = "matmul",
    [TSI_OP_SOFTMAX] = "softmax",
    [TSI_OP_REDUCE] = "reduce",
    [TSI_OP_TOPK] = "topk",
    [TSI_OP_GATHER_ROWS] = "gather_rows",
    [TSI_OP_SCATTER_ADD_ROWS] = "scatter_add_rows",
    [TSI_OP_NORM] = "norm",
    [TSI_OP_CONV1D_CAUSAL] = "conv1d_causal",
    [TSI_OP_ATTENTION] = "attention",
    [TSI_OP_GLU] = "glu",
    [TSI_OP_FFT] = "fft",
    [TSI_OP_CONV1D_LONG] = "conv1d_long",
    [TSI_OP_GROUPED_MATMUL] = "grouped_matmul",
    [TSI_OP_MOE_PLACE] = "moe_place",
    [TSI_OP_MOE_COMBINE] = "moe_combine",
    [TSI_OP_FFTCONV] = "fftconv_fft",
};

const char *tsi_unary_name(int kind)
{
    return kind >= 0 && kind < TSI_UNARY_KIND_COUNT ? unary_names[kind] : "?";
}

const char *tsi_op_label(const tsi_op *op, char *buf, size_t len)
{
    const char *name = "?";
    ts_dtype dt = op->in[0].dtype;
    if (op->code == TSI_OP_SCATTER_ADD_ROWS)
        dt = op->out[0].dtype;
    if (op->code == TSI_OP_UNARY && op->p.unary.kind >= 0 &&
        op->p.unary.kind < TSI_UNARY_KIND_COUNT) {
        name = unary_names[op->p.unary.kind];
        if (op->p.unary.kind == TSI_UNARY_COPY && op->in[0].dtype != op->out[0].dtype) {
            snprintf(buf, len, "%s to %s cast", ts_dtype_name(op->in[0].dtype),
                     ts_dtype_name(op->out[0].dtype));
            return buf;
        }
    } else if (op->code == TSI_OP_BINARY && op->p.binary.kind >= 0 &&
               op->p.binary.kind < TS_BINARY_COUNT) {
        name = binary_names[op->p.binary.kind];
    } else if (op->code == TSI_OP_REDUCE && op->p.reduce.kind >= 0 && op->p.reduce.kind <= 3) {
        name = reduce_names[op->p.reduce.kind];
    } else if (op->code == TSI_OP_NORM) {
        name = op->p.norm.kind == TSI_NORM_RMS ? "rms_norm" : "layer_norm";
    } else if (op->code == TSI_OP_GLU) {
        name = tsi_glu_name(op->p.glu.kind);
    } else if ((unsigned)op->code < TSI_OP_COUNT) {
        name = op_names[op->code];
    }
    snprintf(buf, len, "%s %s", ts_dtype_name(dt), name);
    return buf;
}

/* The backend's kernel table row for op, or NULL when it has no kernel. */
static const tsi_kernel *kernel_of(const ts_device *dev, const tsi_op *op)
{
    const tsi_backend *vt = dev->slot->vt;
    if ((unsigned)op->code >= vt->n_kernels || !vt->kernels[op->code].record)
        return NULL;
    return &vt->kernels[op->code];
}

bool tsi_op_supported_locked(ts_device *dev, tsi_op *op)
{
    op->size = (uint32_t)sizeof *op;
    const tsi_kernel *k = kernel_of(dev, op);
    return k && (!k->supports || k->supports(dev->bdev, op));
}

/* Attempts at one op: each TSI_REPLAN lowers a backend limit (a kernel
 * family's workgroup width to a power of two below it), so a few suffice. */
#define REPLAN_TRIES 8

static ts_status plan_and_record(ts_device *dev, const tsi_kernel *k, tsi_op *op)
{
    memset(&op->plan, 0, sizeof op->plan);
    op->workspace = NULL;
    if (k->plan)
        TSI_RETURN_IF_ERROR(k->plan(dev->bdev, op, &op->plan));
    size_t bytes = (size_t)op->plan.workspace_bytes;
    if (bytes != op->plan.workspace_bytes)
        return tsi_fail(TS_ERR_OVERFLOW, "a workspace of %llu bytes cannot be addressed",
                        (unsigned long long)op->plan.workspace_bytes);
    if (bytes)
        TSI_RETURN_IF_ERROR(tsi_workspace_get(dev, bytes, &op->workspace));
    ts_status st = k->record(dev->bdev, op);
    op->workspace = NULL;
    tsi_workspace_trim(dev);
    return st;
}

/* Plan and record op, again while the backend asks (TSI_REPLAN). Returns
 * TSI_REPLAN when the backend no longer runs the op under what it learned
 * (its supports() now says no, or it kept asking); its message says which
 * kernel fell short. */
static ts_status record_replanning(ts_device *dev, tsi_op *op)
{
    op->size = (uint32_t)sizeof *op;
    const tsi_kernel *k = kernel_of(dev, op);
    if (!k)
        return tsi_fail(TS_ERR_INTERNAL, "op %d recorded without a kernel", (int)op->code);
    ts_status st = TSI_REPLAN;
    for (int i = 0; i < REPLAN_TRIES && st == TSI_REPLAN; i++) {
        if (i > 0 && k->supports && !k->supports(dev->bdev, op))
            return TSI_REPLAN;
        st = plan_and_record(dev, k, op);
    }
    return st;
}

ts_status tsi_op_record_locked(ts_device *dev, tsi_op *op)
{
    ts_status st = record_replanning(dev, op);
    return st == TSI_REPLAN ? TS_ERR_UNSUPPORTED : st;
}

static ts_status check_supported(const char *fn, ts_device *dev, tsi_op *op)
{
    if (tsi_op_supported_locked(dev, op))
        return TS_OK;
    char label[64], what[96];
    return tsi_fail(TS_ERR_UNSUPPORTED, "%s: %s does not support %s", fn,
                    tsi_device_label(dev, label, sizeof label),
                    tsi_op_label(op, what, sizeof what));
}

static void copy_op(const tsi_view *src, const tsi_view *dst, tsi_op *op)
{
    memset(op, 0, sizeof *op);
    op->code = TSI_OP_UNARY;
    op->n_in = 1;
    op->n_out = 1;
    op->in[0] = *src;
    op->out[0] = *dst;
    op->p.unary.kind = TSI_UNARY_COPY;
    op->p.unary.alpha = 1.0f;
}

ts_status tsi_record_copy_locked(const char *fn, ts_device *dev, const tsi_view *src,
                                 const tsi_view *dst)
{
    tsi_op op;
    copy_op(src, dst, &op);
    TSI_RETURN_IF_ERROR(check_supported(fn, dev, &op));
    return tsi_op_record_locked(dev, &op);
}

static size_t view_bytes(const tsi_view *v)
{
    return (size_t)tsi_view_numel(v) * ts_dtype_size(v->dtype);
}

static ts_status fill_zero_locked(ts_device *dev, const tsi_view *v)
{
    static const unsigned char zeros[16384];
    size_t esize = ts_dtype_size(v->dtype);
    size_t offset = (size_t)v->offset * esize, left = view_bytes(v);
    while (left > 0) {
        size_t n = left < sizeof zeros ? left : sizeof zeros;
        TSI_RETURN_IF_ERROR(dev->slot->vt->buffer_write(dev->bdev, v->buf, offset, zeros, n));
        offset += n;
        left -= n;
    }
    return TS_OK;
}

typedef struct temp_set {
    tsi_buffer *buf[TSI_MAX_IN + 2];
    size_t bytes[TSI_MAX_IN + 2];
    int n;
} temp_set;

static ts_status temp_alloc(ts_device *dev, temp_set *ts, size_t bytes, tsi_buffer **out)
{
    TSI_RETURN_IF_ERROR(tsi_buffer_alloc_locked(dev, bytes, out));
    ts->buf[ts->n] = *out;
    ts->bytes[ts->n] = bytes;
    ts->n++;
    return TS_OK;
}

static void temps_free(ts_device *dev, temp_set *ts)
{
    for (int i = 0; i < ts->n; i++)
        tsi_buffer_free_locked(dev, ts->buf[i], ts->bytes[i]);
    ts->n = 0;
}

/* y = 1.5*y + 0.25 (floats) or y + 1 (i32, c64), through a copy so no op
 * of ours ever has an output aliasing an input. */
static ts_status corrupt(ts_device *dev, const tsi_view *y, temp_set *ts)
{
    tsi_buffer *tmp;
    tsi_view t;
    TSI_RETURN_IF_ERROR(temp_alloc(dev, ts, view_bytes(y), &tmp));
    tsi_view_contiguous(tmp, y->dtype, y->shape, &t);
    TSI_RETURN_IF_ERROR(tsi_record_copy_locked("corrupt hook", dev, y, &t));
    tsi_op op;
    memset(&op, 0, sizeof op);
    op.n_out = 1;
    op.out[0] = *y;
    op.in[0] = t;
    if (y->dtype != TS_I32 && y->dtype != TS_C64) {
        op.code = TSI_OP_UNARY;
        op.n_in = 1;
        op.p.unary.kind = TSI_UNARY_SCALE_SHIFT;
        op.p.unary.alpha = 1.5f;
        op.p.unary.beta = 0.25f;
    } else {
        static const int32_t one = 1;
        static const float one_c64[2] = {1.0f, 0.0f};
        const void *one_p = y->dtype == TS_I32 ? (const void *)&one : (const void *)one_c64;
        size_t one_bytes = ts_dtype_size(y->dtype);
        tsi_buffer *ones;
        TSI_RETURN_IF_ERROR(temp_alloc(dev, ts, one_bytes, &ones));
        TSI_RETURN_IF_ERROR(dev->slot->vt->buffer_write(dev->bdev, ones, 0, one_p, one_bytes));
        op.code = TSI_OP_BINARY;
        op.n_in = 2;
        op.p.binary.kind = TS_ADD;
        op.in[1] = (tsi_view){.buf = ones, .dtype = y->dtype, .shape = {0}, .stride = {0}};
        memcpy(op.in[1].shape, y->shape, sizeof y->shape);
    }
    TSI_RETURN_IF_ERROR(check_supported("corrupt hook", dev, &op));
    return tsi_op_record_locked(dev, &op);
}

ts_status tsi_corrupt_locked(ts_device *dev, const char *hook, const tsi_view *y)
{
    if (!hook || !dev->ctx->corrupt_op[0] || strcmp(hook, dev->ctx->corrupt_op) != 0)
        return TS_OK;
    temp_set ts = {.n = 0};
    ts_status st = corrupt(dev, y, &ts);
    temps_free(dev, &ts);
    return st;
}

/* hook_op when the corrupt hook names it, else hook. */
static const char *armed_hook(const tsi_dispatch *d)
{
    const char *want = d->dev->ctx->corrupt_op;
    return d->hook_op && strcmp(d->hook_op, want) == 0 ? d->hook_op : d->hook;
}

/* declined != NULL (tsi_dispatch_run): when the backend has no kernel for
 * an op that has a fallback, stop before recording anything and set
 * *declined; the caller runs the fallback unlocked. */
static ts_status dispatch_locked(tsi_dispatch *d, bool *declined)
{
    ts_device *dev = d->dev;
    tsi_op *op = &d->op;
    tsi_view src[TSI_MAX_IN], dst[TSI_MAX_IN];
    bool need_copy[TSI_MAX_IN] = {false};
    /* Ask first, record later, so an unsupported op leaves no half-done work. */
    for (int i = 0; i < op->n_in; i++) {
        if (!d->contiguous_in[i] || !op->in[i].buf)
            continue;
        if (!tsi_view_is_contiguous(&op->in[i])) {
            need_copy[i] = true;
            src[i] = op->in[i];
            tsi_view_contiguous(op->in[i].buf, op->in[i].dtype, op->in[i].shape, &dst[i]);
            op->in[i] = dst[i];
            tsi_op c;
            copy_op(&src[i], &dst[i], &c);
            TSI_RETURN_IF_ERROR(check_supported(d->fn, dev, &c));
        }
        if (d->flat_in[i]) {
            int64_t off = op->in[i].offset;
            tsi_view_contiguous(op->in[i].buf, op->in[i].dtype, d->flat_in[i], &op->in[i]);
            op->in[i].offset = off;
        }
    }
    TSI_RETURN_IF_ERROR(tsi_fallback_check_locked(d, declined));
    temp_set ts = {.n = 0};
    ts_status st = TS_OK;
    for (int i = 0; i < op->n_in && st == TS_OK; i++) {
        if (!need_copy[i])
            continue;
        tsi_buffer *tmp;
        st = temp_alloc(dev, &ts, view_bytes(&src[i]), &tmp);
        if (st == TS_OK) {
            op->in[i].buf = dst[i].buf = tmp;
            st = tsi_record_copy_locked(d->fn, dev, &src[i], &dst[i]);
        }
    }
    if (st == TS_OK)
        st = record_replanning(dev, op);
    if (st == TSI_REPLAN) {
        /* The backend found it cannot run the op after all (a kernel the
         * driver would not launch as planned): its composition can. */
        if (declined && d->fallback)
            *declined = true;
        st = TS_ERR_UNSUPPORTED;
    }
    if (st == TS_OK)
        st = tsi_corrupt_locked(dev, armed_hook(d), &op->out[0]);
    temps_free(dev, &ts);
    return st;
}

ts_status tsi_dispatch_locked(tsi_dispatch *d)
{
    return dispatch_locked(d, NULL);
}

ts_status tsi_dispatch_zero(tsi_dispatch *d)
{
    TSI_RETURN_IF_ERROR(tsi_device_lock(d->dev));
    ts_status st = fill_zero_locked(d->dev, &d->op.out[0]);
    if (st == TS_OK)
        st = tsi_corrupt_locked(d->dev, armed_hook(d), &d->op.out[0]);
    tsi_device_unlock(d->dev);
    return st;
}

ts_status tsi_dispatch_run(tsi_dispatch *d)
{
    TSI_RETURN_IF_ERROR(tsi_device_lock(d->dev));
    bool declined = false;
    ts_status st = dispatch_locked(d, &declined);
    tsi_device_unlock(d->dev);
    return declined ? tsi_fallback_run(d) : st;
}
