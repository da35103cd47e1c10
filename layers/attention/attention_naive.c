/* ts_attention_naive: the textbook attention, the baseline tessel-bench
 * measures ts_attention against and ts_attention's fallback on a device
 * without its kernel. Scores are materialized ([B, Hq, Lq, Lk], twice:
 * scores and probabilities), so it needs O(L^2) memory; every step is a
 * public op, so it runs on every backend. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "core/layer_api.h"
#include "layers/attention/attention_internal.h"

#define FN "ts_attention_naive"

#define NAIVE_MAX_TEMPS 32

typedef struct naive_tmp {
    ts_tensor *t[NAIVE_MAX_TEMPS];
    int n;
} naive_tmp;

static ts_status keep(naive_tmp *tmp, ts_status st, ts_tensor **t)
{
    if (st != TS_OK)
        return st;
    if (tmp->n == NAIVE_MAX_TEMPS) {
        ts_tensor_destroy(*t);
        return tsi_fail(TS_ERR_INTERNAL, "%s: too many temporaries", FN);
    }
    tmp->t[tmp->n++] = *t;
    return TS_OK;
}

static ts_status new_tensor(naive_tmp *tmp, ts_device *dev, ts_dtype dt, int64_t a, int64_t b,
                            int64_t c, int64_t d, ts_tensor **out)
{
    int64_t shape[4] = {a, b, c, d};
    ts_status st = ts_tensor_create(dev, dt, 4, shape, out);
    return keep(tmp, st, out);
}

static ts_status reshape(naive_tmp *tmp, const ts_tensor *t, int64_t a, int64_t b, int64_t c,
                         int64_t d, ts_tensor **out)
{
    int64_t shape[4] = {a, b, c, d};
    ts_status st = ts_tensor_reshape(t, 4, shape, out);
    return keep(tmp, st, out);
}

/* Query heads of one kv head side by side, [B, Hkv, G*Lq, D], so one
 * batched matmul serves grouped-query attention. */
static ts_status grouped(naive_tmp *tmp, const ts_tensor *t, int64_t hkv, ts_tensor **out)
{
    const ts_tensor *src = t;
    if (!ts_tensor_is_contiguous(t)) {
        ts_tensor *c;
        TSI_RETURN_IF_ERROR(new_tensor(tmp, t->st->dev, t->dtype, t->shape[0], t->shape[1],
                                       t->shape[2], t->shape[3], &c));
        TSI_RETURN_IF_ERROR(ts_copy(t, c));
        src = c;
    }
    int64_t g = t->shape[1] / hkv;
    return reshape(tmp, src, t->shape[0], hkv, g * t->shape[2], t->shape[3], out);
}

/* One view temporary: op(t) into *out, kept in tmp. */
static ts_status slice(naive_tmp *tmp, const ts_tensor *t, int dim, int64_t start, int64_t stop,
                       ts_tensor **out)
{
    return keep(tmp, ts_tensor_slice(t, dim, start, stop, 1, out), out);
}

/* Visibility of causal offset and window as an additive [1, 1, Lq, Lk]
 * mask (0 or -inf) in dt, for a batch with kl = Lk valid keys: the O(L^2)
 * baseline's way (ts_attention never builds one). */
static ts_status offset_mask(naive_tmp *tmp, ts_device *dev, ts_dtype dt, const tsi_op *op,
                             int64_t lq, int64_t lk, ts_tensor **out)
{
    TSI_RETURN_IF_ERROR(new_tensor(tmp, dev, TS_F32, 1, 1, lq, lk, out));
    size_t n = (size_t)(lq * lk);
    float *h = malloc(n * sizeof *h + 1);
    TSI_CHECK(h, TS_ERR_OUT_OF_MEMORY, "%s: no memory for a %lldx%lld mask", FN, (long long)lq,
              (long long)lk);
    int64_t off =
        op->p.attention.align == TSI_ATTN_ALIGN_BOTTOM_RIGHT ? lk - lq : op->p.attention.offset;
    int64_t w = op->p.attention.window;
    for (int64_t i = 0; i < lq; i++)
        for (int64_t c = 0; c < lk; c++) {
            bool vis = c <= i + off && (w == 0 || c > i + off - w);
            h[i * lk + c] = vis ? 0.0f : -INFINITY;
        }
    ts_status st = ts_tensor_write(*out, h, n * sizeof *h);
    free(h);
    if (st != TS_OK || dt == TS_F32)
        return st;
    ts_tensor *m;
    TSI_RETURN_IF_ERROR(new_tensor(tmp, dev, dt, 1, 1, lq, lk, &m));
    TSI_RETURN_IF_ERROR(ts_cast(*out, m));
    *out = m;
    return TS_OK;
}

/* The key mask as an additive [B', 1, 1, Lk] tensor in dt (0 or -inf;
 * B' = 1 for a mask shared by the batch), built on the host from its
 * values (read back: the baseline's way, like key_len). */
static ts_status key_mask_bias(naive_tmp *tmp, const ts_tensor *km, ts_dtype dt, ts_tensor **out)
{
    int64_t nb = km->ndim == 2 ? km->shape[0] : 1, lk = km->shape[km->ndim - 1];
    size_t n = (size_t)(nb * lk);
    int32_t *m = malloc(n * sizeof *m + 1);
    float *h = malloc(n * sizeof *h + 1);
    ts_status st = m && h ? ts_tensor_read(km, m, n * sizeof *m)
                          : tsi_fail(TS_ERR_OUT_OF_MEMORY, "%s: no memory for a %lld-key mask", FN,
                                     (long long)n);
    for (size_t i = 0; st == TS_OK && i < n; i++)
        h[i] = m[i] ? 0.0f : -INFINITY;
    ts_tensor *f = NULL;
    if (st == TS_OK)
        st = new_tensor(tmp, km->st->dev, TS_F32, nb, 1, 1, lk, &f);
    if (st == TS_OK)
        st = ts_tensor_write(f, h, n * sizeof *h);
    free(m);
    free(h);
    TSI_RETURN_IF_ERROR(st);
    *out = f;
    if (dt == TS_F32)
        return TS_OK;
    TSI_RETURN_IF_ERROR(new_tensor(tmp, km->st->dev, dt, nb, 1, 1, lk, out));
    return ts_cast(f, *out);
}

/* lse [B', Hq, Lq, 1] (f32) = log(sum(exp(logits))) per row, where
 * logits = pending * cur, every mask applied: max-shifted in f32, the max
 * floored at -FLT_MAX so that a row that sees no key gives -inf, not
 * (-inf) - (-inf). */
static ts_status row_lse(naive_tmp *tmp, const ts_tensor *cur, float pending, ts_tensor *lse)
{
    ts_device *dev = cur->st->dev;
    const int64_t *sh = cur->shape;
    ts_tensor *l, *d, *mx, *floor, *mxf, *sum;
    TSI_RETURN_IF_ERROR(new_tensor(tmp, dev, TS_F32, sh[0], sh[1], sh[2], sh[3], &l));
    TSI_RETURN_IF_ERROR(new_tensor(tmp, dev, TS_F32, sh[0], sh[1], sh[2], sh[3], &d));
    const ts_tensor *l32 = cur;
    if (cur->dtype != TS_F32) {
        TSI_RETURN_IF_ERROR(ts_cast(cur, d));
        l32 = d;
    }
    TSI_RETURN_IF_ERROR(ts_scale_shift(l32, pending, 0.0f, l));
    TSI_RETURN_IF_ERROR(new_tensor(tmp, dev, TS_F32, sh[0], sh[1], sh[2], 1, &mx));
    TSI_RETURN_IF_ERROR(new_tensor(tmp, dev, TS_F32, 1, 1, 1, 1, &floor));
    TSI_RETURN_IF_ERROR(new_tensor(tmp, dev, TS_F32, sh[0], sh[1], sh[2], 1, &mxf));
    TSI_RETURN_IF_ERROR(new_tensor(tmp, dev, TS_F32, sh[0], sh[1], sh[2], 1, &sum));
    const float lowest = -FLT_MAX;
    TSI_RETURN_IF_ERROR(ts_tensor_write(floor, &lowest, sizeof lowest));
    TSI_RETURN_IF_ERROR(ts_reduce(TS_REDUCE_MAX, l, mx));
    TSI_RETURN_IF_ERROR(ts_binary(TS_MAX, mx, floor, mxf));
    TSI_RETURN_IF_ERROR(ts_binary(TS_SUB, l, mxf, d));
    TSI_RETURN_IF_ERROR(ts_unary(TS_EXP, d, l));
    TSI_RETURN_IF_ERROR(ts_reduce(TS_REDUCE_SUM, l, sum));
    TSI_RETURN_IF_ERROR(ts_unary(TS_LOG, sum, mx));
    return ts_binary(TS_ADD, mx, mxf, lse);
}

/* One batch (or all of them when every key is valid): q [B', Hq, Lq, D],
 * k [B', Hkv, Lk', D], v [B', Hkv, Lk', Dv], bias NULL or [B', Hq, Lq,
 * Lk'] (any strides), gate and out [B', Hq, Lq, Dv]. op carries the
 * resolved scalars (the fields ts_attention would hand a backend). */
static ts_status run(naive_tmp *tmp, const ts_tensor *q, const ts_tensor *k, const ts_tensor *v,
                     const ts_tensor *bias, const ts_tensor *kmask, const ts_tensor *gate,
                     const tsi_op *op, ts_tensor *out, ts_tensor *lse)
{
    ts_device *dev = q->st->dev;
    ts_dtype dt = q->dtype;
    int64_t b = q->shape[0], hq = q->shape[1], lq = q->shape[2], dv = v->shape[3];
    int64_t hkv = k->shape[1], lk = k->shape[2], g = hq / hkv;
    float scale = op->p.attention.scale, cap = op->p.attention.softcap;
    /* Plain bottom-right causal is ts_softmax's own mask; offsets, windows
     * and the lse (which needs the masked logits) take an explicit one. */
    bool own_mask =
        op->p.attention.causal &&
        (op->p.attention.align != TSI_ATTN_ALIGN_BOTTOM_RIGHT || op->p.attention.window > 0 || lse);
    int causal = op->p.attention.causal && !own_mask;

    ts_tensor *qg, *kt, *s, *s4, *pr, *pg, *o, *og, *mask = NULL;
    TSI_RETURN_IF_ERROR(grouped(tmp, q, hkv, &qg));
    TSI_RETURN_IF_ERROR(keep(tmp, ts_tensor_transpose(k, 2, 3, &kt), &kt));
    TSI_RETURN_IF_ERROR(new_tensor(tmp, dev, dt, b, hkv, g * lq, lk, &s));
    TSI_RETURN_IF_ERROR(ts_matmul(qg, kt, s));
    TSI_RETURN_IF_ERROR(reshape(tmp, s, b, hq, lq, lk, &s4));
    TSI_RETURN_IF_ERROR(new_tensor(tmp, dev, dt, b, hq, lq, lk, &pr));
    if (own_mask)
        TSI_RETURN_IF_ERROR(offset_mask(tmp, dev, dt, op, lq, lk, &mask));
    /* cur holds the scores, times `pending` still to apply; pr and s4
     * take turns. */
    ts_tensor *cur = s4, *spare = pr, *t;
    float pending = scale;
    if (cap > 0.0f) {
        TSI_RETURN_IF_ERROR(ts_scale_shift(cur, scale / cap, 0.0f, spare));
        TSI_RETURN_IF_ERROR(ts_unary(TS_TANH, spare, cur));
        pending = cap;
    }
    if (bias || mask || kmask) {
        TSI_RETURN_IF_ERROR(ts_scale_shift(cur, pending, 0.0f, spare));
        pending = 1.0f;
        t = cur, cur = spare, spare = t;
        const ts_tensor *add[3] = {bias, mask, kmask};
        for (int i = 0; i < 3; i++) {
            if (!add[i])
                continue;
            TSI_RETURN_IF_ERROR(ts_binary(TS_ADD, cur, add[i], spare));
            t = cur, cur = spare, spare = t;
        }
    }
    if (lse) {
        ts_tensor *lse4;
        TSI_RETURN_IF_ERROR(reshape(tmp, lse, b, hq, lq, 1, &lse4));
        TSI_RETURN_IF_ERROR(row_lse(tmp, cur, pending, lse4));
    }
    TSI_RETURN_IF_ERROR(ts_softmax(cur, pending, causal, spare));
    TSI_RETURN_IF_ERROR(reshape(tmp, spare, b, hkv, g * lq, lk, &pg));
    if (!gate) {
        TSI_RETURN_IF_ERROR(reshape(tmp, out, b, hkv, g * lq, dv, &og));
        return ts_matmul(pg, v, og);
    }
    ts_tensor *sg;
    TSI_RETURN_IF_ERROR(new_tensor(tmp, dev, dt, b, hkv, g * lq, dv, &o));
    TSI_RETURN_IF_ERROR(ts_matmul(pg, v, o));
    TSI_RETURN_IF_ERROR(reshape(tmp, o, b, hq, lq, dv, &og));
    TSI_RETURN_IF_ERROR(new_tensor(tmp, dev, dt, b, hq, lq, dv, &sg));
    TSI_RETURN_IF_ERROR(ts_unary(TS_SIGMOID, gate, sg));
    return ts_binary(TS_MUL, og, sg, out);
}

static void release(naive_tmp *tmp)
{
    for (int i = tmp->n - 1; i >= 0; i--)
        ts_tensor_destroy(tmp->t[i]);
    tmp->n = 0;
}

/* With key_len, batch by batch over its valid keys only (the padding is
 * never read, as in ts_attention); its values come back to the host.
 * kmask: the additive key mask or NULL. */
static ts_status run_batches(const ts_tensor *q, const ts_tensor *k, const ts_tensor *v,
                             const ts_attention_params *p, const ts_tensor *kmask, const tsi_op *op,
                             ts_tensor *out)
{
    int64_t nb = q->shape[0], lk = k->shape[2];
    int32_t *kl = malloc((size_t)nb * sizeof *kl + 1);
    TSI_CHECK(kl, TS_ERR_OUT_OF_MEMORY, "%s: no memory for %lld key lengths", FN, (long long)nb);
    ts_status st = ts_tensor_read(p->key_len, kl, (size_t)nb * sizeof *kl);
    for (int64_t b = 0; st == TS_OK && b < nb; b++) {
        naive_tmp tmp = {.n = 0};
        int64_t n = kl[b] < 0 ? 0 : kl[b] > lk ? lk : kl[b];
        ts_tensor *qb, *kb, *vb, *ob, *gb = NULL, *bb = NULL, *mb = NULL, *lb = NULL, *full;
        st = slice(&tmp, q, 0, b, b + 1, &qb);
        st = st ? st : slice(&tmp, out, 0, b, b + 1, &ob);
        st = st ? st : slice(&tmp, k, 0, b, b + 1, &kb);
        st = st ? st : slice(&tmp, kb, 2, 0, n, &kb);
        st = st ? st : slice(&tmp, v, 0, b, b + 1, &vb);
        st = st ? st : slice(&tmp, vb, 2, 0, n, &vb);
        if (st == TS_OK && p->gate)
            st = slice(&tmp, p->gate, 0, b, b + 1, &gb);
        if (st == TS_OK && p->lse)
            st = slice(&tmp, p->lse, 0, b, b + 1, &lb);
        if (st == TS_OK && p->bias) {
            int64_t shape[4] = {nb, q->shape[1], q->shape[2], lk};
            st = keep(&tmp, ts_tensor_broadcast(p->bias, 4, shape, &full), &full);
            st = st ? st : slice(&tmp, full, 0, b, b + 1, &bb);
            st = st ? st : slice(&tmp, bb, 3, 0, n, &bb);
        }
        if (st == TS_OK && kmask) {
            int64_t mb0 = kmask->shape[0] > 1 ? b : 0;
            st = slice(&tmp, kmask, 0, mb0, mb0 + 1, &mb);
            st = st ? st : slice(&tmp, mb, 3, 0, n, &mb);
        }
        if (st == TS_OK && n == 0) {
            ts_attention_params pb = *p;
            pb.key_len = pb.bias = pb.key_mask = pb.gate = NULL;
            pb.lse = lb;
            st = ts_attention(qb, kb, vb, &pb, ob); /* no keys: zeros, lse -inf */
        } else if (st == TS_OK) {
            /* Bottom-right alignment follows the slice's Lk = key_len[b]. */
            st = run(&tmp, qb, kb, vb, bb, mb, gb, op, ob, lb);
        }
        release(&tmp);
    }
    free(kl);
    return st;
}

/* An f32 copy of t (NULL stays NULL), kept in tmp. */
static ts_status widen(naive_tmp *tmp, const ts_tensor *t, ts_tensor **out)
{
    *out = NULL;
    if (!t)
        return TS_OK;
    TSI_RETURN_IF_ERROR(
        keep(tmp, ts_tensor_create(t->st->dev, TS_F32, t->ndim, t->shape, out), out));
    return ts_cast(t, *out);
}

/* 16-bit inputs with an lse: the whole call in f32, since the lse is held
 * to f32's tolerance (the kernels compute it from f32 scores, where the
 * materialized 16-bit scores would round each logit). */
static ts_status run_widened(const ts_tensor *q, const ts_tensor *k, const ts_tensor *v,
                             const ts_attention_params *p, ts_tensor *out)
{
    naive_tmp tmp = {.n = 0};
    ts_attention_params pw = *p;
    ts_tensor *q32, *k32, *v32, *bias32, *gate32, *out32;
    ts_status st = widen(&tmp, q, &q32);
    st = st ? st : widen(&tmp, k, &k32);
    st = st ? st : widen(&tmp, v, &v32);
    st = st ? st : widen(&tmp, p->bias, &bias32);
    st = st ? st : widen(&tmp, p->gate, &gate32);
    st = st ? st
            : keep(&tmp, ts_tensor_create(out->st->dev, TS_F32, out->ndim, out->shape, &out32),
                   &out32);
    if (st == TS_OK) {
        pw.bias = bias32;
        pw.gate = gate32;
        st = ts_attention_naive(q32, k32, v32, &pw, out32);
    }
    if (st == TS_OK)
        st = ts_cast(out32, out);
    release(&tmp);
    return st;
}

TS_API ts_status ts_attention_naive(const ts_tensor *q, const ts_tensor *k, const ts_tensor *v,
                                    const ts_attention_params *params, ts_tensor *out)
{
    ts_attention_params defaults;
    ts_attention_params_init(&defaults);
    const ts_attention_params *p = params ? params : &defaults;
    /* The same argument rules as ts_attention, so the two compare. */
    TSI_RETURN_IF_ERROR(tsi_attention_validate(q, k, v, p, out));
    if (ts_tensor_numel(out) == 0 || k->shape[2] == 0)
        return ts_attention(q, k, v, p, out);
    if (p->lse && q->dtype != TS_F32)
        return run_widened(q, k, v, p, out);
    tsi_op op;
    tsi_attention_resolve(q, k, p, &op);
    naive_tmp tmp = {.n = 0};
    ts_tensor *kmask = NULL;
    ts_status st = p->key_mask ? key_mask_bias(&tmp, p->key_mask, q->dtype, &kmask) : TS_OK;
    if (st == TS_OK && p->key_len)
        st = run_batches(q, k, v, p, kmask, &op, out);
    else if (st == TS_OK)
        st = run(&tmp, q, k, v, p->bias, kmask, p->gate, &op, out, p->lse);
    release(&tmp);
    return st;
}
