/* TSI_OP_NORM's fallback: the fused norm as public ops, for a device whose
 * backend has no norm kernel or declines one (a Vulkan device with the
 * required minimum of 4 storage buffers per stage cannot bind the kernel's
 * six). Everything runs in f32, as the kernels do: 16-bit inputs are cast
 * to f32 temporaries and the results cast back once.
 *
 *   s = alpha*x + residual     (ts_scale_shift, ts_binary)
 *   LayerNorm: c = s - mean(s), y = c * rsqrt(mean(c*c) + eps)
 *   RMSNorm:   y = s * rsqrt(mean(s*s) + eps)
 *   y = y * weight + bias
 *
 * Statistics are two reductions over the row (ts_reduce), so the rounding
 * follows the kernels' two-pass form. Full-size temporaries rotate among
 * three (no op writes over its input); each is freed before returning, the
 * backend keeping its memory until the recorded work has read it. */
#include "core/dispatch.h"
#include "core/norm_fallback.h"

enum { FULL = 3 };

typedef struct norm_temps {
    ts_tensor *full[FULL]; /* f32, x's shape */
    ts_tensor *stat[2];    /* f32, x's shape with the last dim 1 */
    ts_tensor *w, *b;      /* f32 copies of 16-bit weight and bias */
} norm_temps;

/* A full temporary that is neither a nor b. */
static ts_tensor *spare(norm_temps *t, const ts_tensor *a, const ts_tensor *b)
{
    for (int i = 0; i < FULL; i++)
        if (t->full[i] != a && t->full[i] != b)
            return t->full[i];
    return NULL; /* unreachable: three temporaries, at most two taken */
}

/* v itself when it is f32, else its cast into tmp. */
static ts_status as_f32(const ts_tensor *v, ts_tensor *tmp, const ts_tensor **out)
{
    *out = v;
    if (!v || v->dtype == TS_F32)
        return TS_OK;
    *out = tmp;
    return ts_cast(v, tmp);
}

static ts_status make_temps(const tsi_norm_call *c, norm_temps *t)
{
    ts_device *dev = c->x->st->dev;
    const ts_tensor *x = c->x;
    int64_t shape[TS_MAX_DIMS];
    for (int i = 0; i < x->ndim; i++)
        shape[i] = x->shape[i];
    for (int i = 0; i < FULL; i++)
        TSI_RETURN_IF_ERROR(ts_tensor_create(dev, TS_F32, x->ndim, shape, &t->full[i]));
    shape[x->ndim - 1] = 1;
    for (int i = 0; i < 2; i++)
        TSI_RETURN_IF_ERROR(ts_tensor_create(dev, TS_F32, x->ndim, shape, &t->stat[i]));
    int64_t n = x->shape[x->ndim - 1];
    if (c->weight && c->weight->dtype != TS_F32)
        TSI_RETURN_IF_ERROR(ts_tensor_create(dev, TS_F32, 1, &n, &t->w));
    if (c->bias && c->bias->dtype != TS_F32)
        TSI_RETURN_IF_ERROR(ts_tensor_create(dev, TS_F32, 1, &n, &t->b));
    return TS_OK;
}

static void free_temps(norm_temps *t)
{
    for (int i = 0; i < FULL; i++)
        ts_tensor_destroy(t->full[i]);
    for (int i = 0; i < 2; i++)
        ts_tensor_destroy(t->stat[i]);
    ts_tensor_destroy(t->w);
    ts_tensor_destroy(t->b);
}

/* out = v: a copy into an f32 output, else the one rounding to its dtype. */
static ts_status store(const ts_tensor *v, ts_tensor *out)
{
    return out->dtype == TS_F32 ? ts_copy(v, out) : ts_cast(v, out);
}

/* s = alpha*x + residual (or x) in f32; also stored into c->s if asked. */
static ts_status sum_of(const tsi_norm_call *c, norm_temps *t, const ts_tensor **s)
{
    TSI_RETURN_IF_ERROR(as_f32(c->x, t->full[0], s));
    if (c->residual) {
        const ts_tensor *r = NULL, *x = *s;
        TSI_RETURN_IF_ERROR(as_f32(c->residual, spare(t, x, NULL), &r));
        if (c->alpha != 1.0f) {
            ts_tensor *ax = spare(t, x, r);
            TSI_RETURN_IF_ERROR(ts_scale_shift(x, c->alpha, 0.0f, ax));
            x = ax;
        }
        ts_tensor *sum = spare(t, x, r);
        TSI_RETURN_IF_ERROR(ts_binary(TS_ADD, x, r, sum));
        *s = sum;
    }
    return c->s ? store(*s, c->s) : TS_OK;
}

/* *out = v * rsqrt(mean(v*v) + eps): LayerNorm with v centred, RMSNorm
 * with v = s. */
static ts_status scale_rows(const tsi_norm_call *c, norm_temps *t, const ts_tensor *v,
                            const ts_tensor **out)
{
    ts_tensor *sq = spare(t, v, NULL);
    TSI_RETURN_IF_ERROR(ts_binary(TS_MUL, v, v, sq));
    TSI_RETURN_IF_ERROR(ts_reduce(TS_REDUCE_MEAN, sq, t->stat[0]));
    TSI_RETURN_IF_ERROR(ts_scale_shift(t->stat[0], 1.0f, c->eps, t->stat[1]));
    TSI_RETURN_IF_ERROR(ts_unary(TS_RSQRT, t->stat[1], t->stat[0]));
    ts_tensor *y = spare(t, v, NULL);
    TSI_RETURN_IF_ERROR(ts_binary(TS_MUL, v, t->stat[0], y));
    *out = y;
    return TS_OK;
}

static ts_status compose(const tsi_norm_call *c, norm_temps *t)
{
    const ts_tensor *s = NULL, *y = NULL;
    TSI_RETURN_IF_ERROR(sum_of(c, t, &s));
    if (c->kind == TSI_NORM_LAYER) {
        TSI_RETURN_IF_ERROR(ts_reduce(TS_REDUCE_MEAN, s, t->stat[0]));
        ts_tensor *centred = spare(t, s, NULL);
        TSI_RETURN_IF_ERROR(ts_binary(TS_SUB, s, t->stat[0], centred));
        s = centred;
    }
    TSI_RETURN_IF_ERROR(scale_rows(c, t, s, &y));
    const ts_tensor *params[2] = {c->weight, c->bias};
    ts_tensor *param_tmp[2] = {t->w, t->b};
    const ts_binary_op ops[2] = {TS_MUL, TS_ADD};
    for (int i = 0; i < 2; i++) {
        if (!params[i])
            continue;
        const ts_tensor *p = NULL;
        TSI_RETURN_IF_ERROR(as_f32(params[i], param_tmp[i], &p));
        ts_tensor *next = spare(t, y, NULL);
        TSI_RETURN_IF_ERROR(ts_binary(ops[i], y, p, next));
        y = next;
    }
    return store(y, c->y);
}

ts_status tsi_norm_compose(void *arg)
{
    const tsi_norm_call *c = arg;
    norm_temps t = {0};
    ts_status st = make_temps(c, &t);
    if (st == TS_OK)
        st = compose(c, &t);
    free_temps(&t);
    return st;
}
