/* ts_attention_naive: the textbook attention, kept only as the baseline
 * tessel-bench measures ts_attention against. Scores are materialized
 * ([B, Hq, Lq, Lk], twice: scores and probabilities), so it needs O(L^2)
 * memory; every step is a public op, so it runs on every backend. */
#include <math.h>

#include "core/layer_api.h"
#include "layers/attention/attention_internal.h"

#define FN "ts_attention_naive"

#define NAIVE_MAX_TEMPS 16

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

static ts_status run(naive_tmp *tmp, const ts_tensor *q, const ts_tensor *k, const ts_tensor *v,
                     const ts_attention_params *p, ts_tensor *out)
{
    ts_device *dev = q->st->dev;
    ts_dtype dt = q->dtype;
    int64_t b = q->shape[0], hq = q->shape[1], lq = q->shape[2], d = q->shape[3];
    int64_t hkv = k->shape[1], lk = k->shape[2], g = hq / hkv;
    float scale = p->scale != 0.0f ? p->scale : 1.0f / sqrtf((float)d);

    ts_tensor *qg, *kt, *s, *s4, *pr, *pg, *o, *og;
    TSI_RETURN_IF_ERROR(grouped(tmp, q, hkv, &qg));
    TSI_RETURN_IF_ERROR(keep(tmp, ts_tensor_transpose(k, 2, 3, &kt), &kt));
    TSI_RETURN_IF_ERROR(new_tensor(tmp, dev, dt, b, hkv, g * lq, lk, &s));
    TSI_RETURN_IF_ERROR(ts_matmul(qg, kt, s));
    TSI_RETURN_IF_ERROR(reshape(tmp, s, b, hq, lq, lk, &s4));
    TSI_RETURN_IF_ERROR(new_tensor(tmp, dev, dt, b, hq, lq, lk, &pr));
    if (p->bias) {
        TSI_RETURN_IF_ERROR(ts_scale_shift(s4, scale, 0.0f, pr));
        TSI_RETURN_IF_ERROR(ts_binary(TS_ADD, pr, p->bias, s4));
        TSI_RETURN_IF_ERROR(ts_softmax(s4, 1.0f, p->causal, pr));
    } else {
        TSI_RETURN_IF_ERROR(ts_softmax(s4, scale, p->causal, pr));
    }
    TSI_RETURN_IF_ERROR(reshape(tmp, pr, b, hkv, g * lq, lk, &pg));
    if (!p->gate) {
        TSI_RETURN_IF_ERROR(reshape(tmp, out, b, hkv, g * lq, d, &og));
        return ts_matmul(pg, v, og);
    }
    ts_tensor *sg;
    TSI_RETURN_IF_ERROR(new_tensor(tmp, dev, dt, b, hkv, g * lq, d, &o));
    TSI_RETURN_IF_ERROR(ts_matmul(pg, v, o));
    TSI_RETURN_IF_ERROR(reshape(tmp, o, b, hq, lq, d, &og));
    TSI_RETURN_IF_ERROR(new_tensor(tmp, dev, dt, b, hq, lq, d, &sg));
    TSI_RETURN_IF_ERROR(ts_unary(TS_SIGMOID, p->gate, sg));
    return ts_binary(TS_MUL, og, sg, out);
}

TS_API ts_status ts_attention_naive(const ts_tensor *q, const ts_tensor *k, const ts_tensor *v,
                                    const ts_attention_params *params, ts_tensor *out)
{
    ts_attention_params defaults;
    ts_attention_params_init(&defaults);
    const ts_attention_params *p = params ? params : &defaults;
    TSI_CHECK(!p->key_mask && !p->lse, TS_ERR_UNSUPPORTED,
              "%s: the naive baseline takes no key_mask and computes no lse", FN);
    /* The same argument rules as ts_attention, so the two compare. */
    TSI_RETURN_IF_ERROR(tsi_attention_validate(q, k, v, p, out));
    if (ts_tensor_numel(out) == 0 || k->shape[2] == 0)
        return ts_attention(q, k, v, p, out);
    naive_tmp tmp = {.n = 0};
    ts_status st = run(&tmp, q, k, v, p, out);
    for (int i = tmp.n - 1; i >= 0; i--)
        ts_tensor_destroy(tmp.t[i]);
    return st;
}
