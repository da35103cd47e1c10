/* The per-row steps of TSI_OP_ATTENTION (core/op.h) that the tiled and
 * the decoding CPU kernels share (cpu_attention.h). */
#include "backend-cpu/cpu_attention.h"

#include <math.h>

const char *tsi_cpu_attn_at(const tsi_view *v, int64_t i0, int64_t i1, int64_t i2, int64_t i3)
{
    return (const char *)tsi_cpu_view_ptr(v) +
           (size_t)(i0 * v->stride[0] + i1 * v->stride[1] + i2 * v->stride[2] + i3 * v->stride[3]) *
               ts_dtype_size(v->dtype);
}

tsi_cpu_attn_keys tsi_cpu_attn_keys_of(const tsi_op *op, int64_t b)
{
    const tsi_view *klen = &op->in[6];
    int64_t lk = op->in[1].shape[2];
    tsi_cpu_attn_keys kr = {.kl = lk};
    if (klen->buf) {
        int64_t n = ((const int32_t *)tsi_cpu_view_ptr(klen))[b];
        kr.kl = tsi_cpu_attn_clamp(n, 0, lk);
    }
    bool bottom_right = op->p.attention.align == TSI_ATTN_ALIGN_BOTTOM_RIGHT;
    kr.off = bottom_right ? kr.kl - op->in[0].shape[2] : op->p.attention.offset;
    return kr;
}

/* A window implies causal (core sets both), so lo <= hi. */
void tsi_cpu_attn_range(const tsi_op *op, const tsi_cpu_attn_keys *kr, int64_t i, int64_t *lo,
                        int64_t *hi)
{
    int64_t w = op->p.attention.window;
    *lo = w > 0 ? tsi_cpu_attn_clamp(i + kr->off - w + 1, 0, kr->kl) : 0;
    *hi = op->p.attention.causal ? tsi_cpu_attn_clamp(i + kr->off + 1, 0, kr->kl) : kr->kl;
}

static void adjust(const tsi_cpu_kernels *k, const tsi_op *op, float *s, int64_t b, int64_t h,
                   int64_t i, int64_t key0, int64_t n, float *tmp)
{
    const tsi_view *bias = &op->in[3], *mask = &op->in[4];
    float cap = op->p.attention.softcap;
    if (cap > 0.0f) {
        k->unary(TSI_UNARY_SCALE_SHIFT, s, s, (size_t)n, 1.0f / cap, 0.0f);
        k->unary(TS_TANH, s, s, (size_t)n, 0.0f, 0.0f);
        k->unary(TSI_UNARY_SCALE_SHIFT, s, s, (size_t)n, cap, 0.0f);
    }
    if (bias->buf) {
        tsi_cpu_load_f32(k, bias->dtype, tsi_cpu_attn_at(bias, b, h, i, key0), bias->stride[3], tmp,
                         (size_t)n);
        for (int64_t c = 0; c < n; c++)
            s[c] += tmp[c];
    }
    if (mask->buf) {
        const int32_t *mp = (const int32_t *)(const void *)tsi_cpu_attn_at(mask, b, 0, 0, key0);
        for (int64_t c = 0; c < n; c++)
            if (mp[c * mask->stride[3]] == 0)
                s[c] = -INFINITY;
    }
}

int64_t tsi_cpu_attn_scores(const tsi_cpu_kernels *k, const tsi_op *op, const tsi_cpu_attn_keys *kr,
                            float *s, int64_t b, int64_t h, int64_t i, int64_t key0, int64_t n,
                            float *tmp)
{
    int64_t lo, hi;
    tsi_cpu_attn_range(op, kr, i, &lo, &hi);
    lo = tsi_cpu_attn_clamp(lo - key0, 0, n);
    hi = tsi_cpu_attn_clamp(hi - key0, 0, n);
    if (hi <= lo)
        return 0;
    for (int64_t c = 0; c < lo; c++)
        s[c] = -INFINITY;
    adjust(k, op, s + lo, b, h, i, key0 + lo, hi - lo, tmp);
    return hi;
}

/* softmax_step keeps NaN scores out of m, and its sum takes them: l is NaN
 * after one (or after +inf, as exp(inf - inf)), and the row and its lse
 * are NaN. l = 0: no key was seen. */
void tsi_cpu_attn_store(const tsi_cpu_kernels *k, const tsi_op *op, float *o, float m, float l,
                        int64_t b, int64_t h, int64_t i, float *tmp)
{
    const tsi_view *gate = &op->in[5], *out = &op->out[0], *lv = &op->out[1];
    int64_t dv = out->shape[3];
    bool seen = l > 0.0f || l != l;
    float inv = seen ? 1.0f / l : 0.0f, lse = seen ? m + logf(l) : -INFINITY;
    for (int64_t x = 0; x < dv; x++)
        o[x] *= inv;
    if (gate->buf) {
        tsi_cpu_load_f32(k, gate->dtype, tsi_cpu_attn_at(gate, b, h, i, 0), 1, tmp, (size_t)dv);
        k->unary(TS_SIGMOID, tmp, tmp, (size_t)dv, 0.0f, 0.0f);
        for (int64_t x = 0; x < dv; x++)
            o[x] *= tmp[x];
    }
    tsi_cpu_store_f32(k, out->dtype, o, (void *)tsi_cpu_attn_at(out, b, h, i, 0), 1, (size_t)dv);
    if (lv->buf)
        *(float *)(void *)tsi_cpu_attn_at(lv, b, h, i, 0) = lse;
}
