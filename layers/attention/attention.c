/* ts_attention: argument validation, the plan's tile choice, and the one
 * fused TSI_OP_ATTENTION the backend runs (core/op.h fixes its views). */
#include <math.h>
#include <stdlib.h>

#include "core/layer_api.h"
#include "layers/attention/attention_internal.h"

#define FN "ts_attention"

TS_API void ts_attention_params_init(ts_attention_params *p)
{
    if (p)
        *p = (ts_attention_params){.scale = 0.0f};
}

typedef struct attn_dims {
    int64_t b, hq, hkv, lq, lk, d, dv;
} attn_dims;

static ts_status check_4d(const char *what, const ts_tensor *t)
{
    char s[TSI_SHAPE_STR_LEN];
    TSI_CHECK(t->ndim == 4, TS_ERR_SHAPE, "%s: %s must have 4 dims [B, H, L, D], not %s", FN, what,
              tsi_shape_str(t->shape, t->ndim, s));
    return TS_OK;
}

static ts_status check_qkv(const ts_tensor *q, const ts_tensor *k, const ts_tensor *v,
                           const ts_tensor *out, attn_dims *dm)
{
    TSI_RETURN_IF_ERROR(tsi_check_tensor(FN, "q", q));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(FN, "k", k));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(FN, "v", v));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(FN, "out", out));
    TSI_RETURN_IF_ERROR(tsi_check_float(FN, "q", q));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(FN, "q", q, "k", k));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(FN, "q", q, "v", v));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(FN, "q", q, "out", out));
    TSI_RETURN_IF_ERROR(check_4d("q", q));
    TSI_RETURN_IF_ERROR(check_4d("k", k));
    TSI_RETURN_IF_ERROR(check_4d("v", v));
    TSI_RETURN_IF_ERROR(check_4d("out", out));
    *dm = (attn_dims){.b = q->shape[0], .hq = q->shape[1], .hkv = k->shape[1],
                      .lq = q->shape[2], .lk = k->shape[2], .d = q->shape[3],
                      .dv = v->shape[3]};
    char sq[TSI_SHAPE_STR_LEN], sk[TSI_SHAPE_STR_LEN], sv[TSI_SHAPE_STR_LEN],
        so[TSI_SHAPE_STR_LEN];
    tsi_shape_str(q->shape, 4, sq);
    tsi_shape_str(k->shape, 4, sk);
    tsi_shape_str(v->shape, 4, sv);
    tsi_shape_str(out->shape, 4, so);
    TSI_CHECK(k->shape[0] == dm->b, TS_ERR_SHAPE, "%s: batch differs: q is %s, k is %s", FN, sq,
              sk);
    TSI_CHECK(k->shape[3] == dm->d, TS_ERR_SHAPE, "%s: head dim differs: q is %s, k is %s", FN, sq,
              sk);
    /* v may have its own head size Dv; its other dims are k's. */
    TSI_CHECK(v->shape[0] == k->shape[0] && v->shape[1] == k->shape[1] &&
                  v->shape[2] == k->shape[2],
              TS_ERR_SHAPE, "%s: v is %s, expected [B, Hkv, Lk, Dv] with k %s", FN, sv, sk);
    TSI_CHECK(dm->d >= 1 && dm->d <= 256, TS_ERR_SHAPE,
              "%s: head dim D is %lld, must be in 1..256 (q is %s)", FN, (long long)dm->d, sq);
    TSI_CHECK(dm->dv >= 1 && dm->dv <= 256, TS_ERR_SHAPE,
              "%s: value head dim Dv is %lld, must be in 1..256 (v is %s)", FN, (long long)dm->dv,
              sv);
    TSI_CHECK((dm->hkv >= 1 && dm->hq % dm->hkv == 0) || (dm->hkv == 0 && dm->hq == 0),
              TS_ERR_SHAPE,
              "%s: query heads (%lld) must be a multiple of key/value heads (%lld): q is %s, k is "
              "%s",
              FN, (long long)dm->hq, (long long)dm->hkv, sq, sk);
    TSI_CHECK(out->shape[0] == dm->b && out->shape[1] == dm->hq && out->shape[2] == dm->lq &&
                  out->shape[3] == dm->dv,
              TS_ERR_SHAPE, "%s: out is %s, expected [B, Hq, Lq, Dv] = [%lld, %lld, %lld, %lld]",
              FN, so, (long long)dm->b, (long long)dm->hq, (long long)dm->lq, (long long)dm->dv);
    return TS_OK;
}

/* bias broadcastable (numpy rules, right-aligned) to [B, Hq, Lq, Lk]. */
static ts_status check_bias(const ts_tensor *bias, const ts_tensor *q, const int64_t to[4])
{
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(FN, "q", q, "bias", bias));
    bool ok = bias->ndim >= 1 && bias->ndim <= 4;
    for (int i = 0; ok && i < bias->ndim; i++) {
        int64_t n = bias->shape[bias->ndim - 1 - i], want = to[3 - i];
        ok = n == want || n == 1;
    }
    char sb[TSI_SHAPE_STR_LEN], st[TSI_SHAPE_STR_LEN];
    TSI_CHECK(ok, TS_ERR_SHAPE, "%s: bias %s does not broadcast to [B, Hq, Lq, Lk] = %s", FN,
              tsi_shape_str(bias->shape, bias->ndim, sb), tsi_shape_str(to, 4, st));
    return TS_OK;
}

static ts_status check_key_mask(const ts_tensor *m, const attn_dims *dm)
{
    TSI_RETURN_IF_ERROR(tsi_check_dtype(FN, "key_mask", m, TS_I32));
    bool ok = (m->ndim == 1 && m->shape[0] == dm->lk) ||
              (m->ndim == 2 && (m->shape[0] == dm->b || m->shape[0] == 1) &&
               m->shape[1] == dm->lk);
    char s[TSI_SHAPE_STR_LEN];
    TSI_CHECK(ok, TS_ERR_SHAPE, "%s: key_mask is %s, expected [%lld, %lld] or [%lld]", FN,
              tsi_shape_str(m->shape, m->ndim, s), (long long)dm->b, (long long)dm->lk,
              (long long)dm->lk);
    return TS_OK;
}

static ts_status check_lse(const ts_tensor *lse, const attn_dims *dm)
{
    TSI_RETURN_IF_ERROR(tsi_check_dtype(FN, "lse", lse, TS_F32));
    int64_t want[3] = {dm->b, dm->hq, dm->lq};
    bool ok = lse->ndim == 3;
    for (int i = 0; ok && i < 3; i++)
        ok = lse->shape[i] == want[i];
    char s[TSI_SHAPE_STR_LEN], w[TSI_SHAPE_STR_LEN];
    TSI_CHECK(ok, TS_ERR_SHAPE, "%s: lse is %s, expected [B, Hq, Lq] = %s", FN,
              tsi_shape_str(lse->shape, lse->ndim, s), tsi_shape_str(want, 3, w));
    return tsi_check_contiguous_output(FN, "lse", lse);
}

/* key_len: i32 [B]. Its values are read on the device (a host read-back
 * would stall an asynchronous queue), so the kernels clamp them to 0..Lk
 * and a bad value never indexes out of bounds. */
static ts_status check_key_len(const ts_tensor *kl, const attn_dims *dm)
{
    TSI_RETURN_IF_ERROR(tsi_check_dtype(FN, "key_len", kl, TS_I32));
    char s[TSI_SHAPE_STR_LEN];
    TSI_CHECK(kl->ndim == 1 && kl->shape[0] == dm->b, TS_ERR_SHAPE,
              "%s: key_len is %s, expected [B] = [%lld]", FN,
              tsi_shape_str(kl->shape, kl->ndim, s), (long long)dm->b);
    return TS_OK;
}

/* The scalar and mode fields of the params. */
static ts_status check_scalars(const ts_attention_params *p)
{
    TSI_RETURN_IF_ERROR(tsi_check_finite(FN, "scale", p->scale));
    TSI_RETURN_IF_ERROR(tsi_check_finite(FN, "softcap", p->softcap));
    TSI_CHECK(p->softcap >= 0.0f, TS_ERR_INVALID_ARGUMENT,
              "%s: softcap must be >= 0 (0: none), not %g", FN, (double)p->softcap);
    TSI_CHECK(p->causal_align == TS_CAUSAL_BOTTOM_RIGHT || p->causal_align == TS_CAUSAL_TOP_LEFT ||
                  p->causal_align == TS_CAUSAL_OFFSET,
              TS_ERR_INVALID_ARGUMENT,
              "%s: causal_align is %d, must be TS_CAUSAL_BOTTOM_RIGHT (0), TS_CAUSAL_TOP_LEFT (1) "
              "or TS_CAUSAL_OFFSET (2)",
              FN, p->causal_align);
    TSI_CHECK(p->window >= 0, TS_ERR_INVALID_ARGUMENT,
              "%s: window must be >= 0 (0: none), not %lld", FN, (long long)p->window);
    return TS_OK;
}

static ts_status check_params(const ts_attention_params *p, const ts_tensor *q,
                              const ts_tensor *k, const ts_tensor *v, const ts_tensor *out,
                              const attn_dims *dm)
{
    TSI_RETURN_IF_ERROR(check_scalars(p));
    int64_t full[4] = {dm->b, dm->hq, dm->lq, dm->lk};
    if (p->bias)
        TSI_RETURN_IF_ERROR(check_bias(p->bias, q, full));
    if (p->key_mask)
        TSI_RETURN_IF_ERROR(check_key_mask(p->key_mask, dm));
    if (p->key_len)
        TSI_RETURN_IF_ERROR(check_key_len(p->key_len, dm));
    if (p->gate) {
        TSI_RETURN_IF_ERROR(tsi_check_same_dtype(FN, "q", q, "gate", p->gate));
        TSI_RETURN_IF_ERROR(tsi_check_same_shape(FN, "out", out, "gate", p->gate));
    }
    if (p->lse)
        TSI_RETURN_IF_ERROR(check_lse(p->lse, dm));
    const ts_tensor *all[] = {q, k, v, p->bias, p->key_mask, p->gate, p->key_len, out, p->lse};
    TSI_RETURN_IF_ERROR(tsi_check_devices(FN, all, 9));
    TSI_RETURN_IF_ERROR(tsi_check_output(FN, "out", out, all, 7));
    TSI_RETURN_IF_ERROR(tsi_check_contiguous_output(FN, "out", out));
    if (p->lse) {
        TSI_RETURN_IF_ERROR(tsi_check_output(FN, "lse", p->lse, all, 7));
        TSI_CHECK(!tsi_tensors_overlap(p->lse, out), TS_ERR_ALIASING,
                  "%s: lse overlaps out", FN);
    }
    return TS_OK;
}

/* The key mask as the [B, 1, 1, Lk] view core/op.h promises. */
static void key_mask_view(const ts_tensor *m, int64_t b, tsi_view *v)
{
    *v = (tsi_view){.buf = m->st->buf, .offset = m->offset, .dtype = TS_I32};
    v->shape[0] = b;
    v->shape[1] = v->shape[2] = 1;
    v->shape[3] = m->shape[m->ndim - 1];
    v->stride[3] = m->stride[m->ndim - 1];
    v->stride[0] = (m->ndim == 2 && m->shape[0] > 1) ? m->stride[0] : 0;
}

/* No keys at all: every row sees nothing, so out = 0 and lse = -inf. */
static ts_status run_no_keys(tsi_dispatch *d, ts_tensor *lse)
{
    TSI_RETURN_IF_ERROR(tsi_dispatch_zero(d));
    if (!lse)
        return TS_OK;
    int64_t n = tsi_numel(lse->shape, lse->ndim);
    float *h = malloc((size_t)n * sizeof *h);
    TSI_CHECK(h, TS_ERR_OUT_OF_MEMORY, "%s: no memory for %lld lse values", FN, (long long)n);
    for (int64_t i = 0; i < n; i++)
        h[i] = -INFINITY;
    ts_status st = ts_tensor_write(lse, h, (size_t)n * sizeof *h);
    free(h);
    return st;
}

/* clamp(x, lo, hi) */
static int64_t clamp64(int64_t x, int64_t lo, int64_t hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* Replace offset and window by small ones that show every query the same
 * keys (core/op.h: |offset| <= Lk + Lq + 1, window <= Lk + Lq + 1), so
 * kernels may add them to row and key indices in 32 bits and never
 * overflow. Query r sees keys in [r + lo, r + hi) with hi = off + 1 and
 * lo = off - w + 1; for rows 0..Lq-1 and keys 0..Lk-1 only their values
 * clamped to [-Lq, Lk] matter. */
static void bound_offsets(const attn_dims *dm, tsi_op *op)
{
    int64_t lq = dm->lq, lk = dm->lk, off = op->p.attention.offset, w = op->p.attention.window;
    if (op->p.attention.align == TSI_ATTN_ALIGN_BOTTOM_RIGHT) {
        /* off = kl - Lq is already small; past Lk + 1 a window hides nothing. */
        op->p.attention.window = w > lk + 1 ? lk + 1 : w;
        op->p.attention.offset = 0;
        return;
    }
    int64_t hi = off >= lk ? lk : clamp64(off + 1, -lq, lk);
    /* off - w + 1 without overflow (w >= 1). */
    int64_t lo = w == 0 ? hi - 1 /* unused */
                 : off < 0 && w - 1 > off - INT64_MIN ? -lq
                                                      : clamp64(off - (w - 1), -lq, lk);
    op->p.attention.offset = hi - 1;
    op->p.attention.window = w == 0 ? 0 : hi - lo;
    if (w != 0 && hi == lo) { /* both at one bound: no key is visible */
        op->p.attention.offset = lk;
        op->p.attention.window = 1;
    }
}

/* The arguments of one call, for its fallback. */
typedef struct attn_call {
    const ts_tensor *q, *k, *v;
    const ts_attention_params *p;
    ts_tensor *out;
} attn_call;

/* When a backend has no fused kernel or declines it for a shape (shared
 * memory too small for the smallest tile, a driver's loop limit, fewer
 * storage buffers than the kernel binds), the textbook composition of
 * public ops runs instead: O(L^2) memory, but right. */
static ts_status attn_compose(void *arg)
{
    const attn_call *c = arg;
    return ts_attention_naive(c->q, c->k, c->v, c->p, c->out);
}

ts_status tsi_attention_validate(const ts_tensor *q, const ts_tensor *k, const ts_tensor *v,
                                 const ts_attention_params *p, const ts_tensor *out)
{
    attn_dims dm;
    TSI_RETURN_IF_ERROR(check_qkv(q, k, v, out, &dm));
    return check_params(p, q, k, v, out, &dm);
}

TS_API ts_status ts_attention(const ts_tensor *q, const ts_tensor *k, const ts_tensor *v,
                              const ts_attention_params *params, ts_tensor *out)
{
    ts_attention_params defaults;
    ts_attention_params_init(&defaults);
    const ts_attention_params *p = params ? params : &defaults;
    attn_dims dm;
    TSI_RETURN_IF_ERROR(check_qkv(q, k, v, out, &dm));
    TSI_RETURN_IF_ERROR(check_params(p, q, k, v, out, &dm));
    if (tsi_numel(out->shape, out->ndim) == 0)
        return TS_OK;

    ts_device *dev = q->st->dev;
    attn_call call = {q, k, v, p, out};
    tsi_dispatch d = {.fn = FN,
                      .hook = "attention",
                      .dev = dev,
                      .fallback = attn_compose,
                      .fallback_ctx = &call};
    tsi_op *op = &d.op;
    op->code = TSI_OP_ATTENTION;
    op->n_in = 7;
    op->n_out = 2;
    tsi_view_of(out, &op->out[0]);
    if (dm.lk == 0)
        return run_no_keys(&d, p->lse);

    tsi_view_of(q, &op->in[0]);
    tsi_view_of(k, &op->in[1]);
    tsi_view_of(v, &op->in[2]);
    d.contiguous_in[0] = d.contiguous_in[1] = d.contiguous_in[2] = true;
    if (p->bias) {
        int64_t full[4] = {dm.b, dm.hq, dm.lq, dm.lk};
        tsi_view_broadcast(p->bias, full, &op->in[3]);
    }
    if (p->key_mask)
        key_mask_view(p->key_mask, dm.b, &op->in[4]);
    if (p->gate) {
        tsi_view_of(p->gate, &op->in[5]);
        d.contiguous_in[5] = true;
    }
    if (p->key_len) {
        tsi_view_of(p->key_len, &op->in[6]);
        d.contiguous_in[6] = true;
    }
    if (p->lse) {
        int64_t shape[4] = {dm.b, dm.hq, dm.lq, 1};
        tsi_view_contiguous(p->lse->st->buf, TS_F32, shape, &op->out[1]);
        op->out[1].offset = p->lse->offset;
    }

    tsi_attention_resolve(q, k, p, op);
    return tsi_dispatch_run(&d);
}

void tsi_attention_resolve(const ts_tensor *q, const ts_tensor *k, const ts_attention_params *p,
                           tsi_op *op)
{
    attn_dims dm = {.b = q->shape[0], .hq = q->shape[1], .hkv = k->shape[1], .lq = q->shape[2],
                    .lk = k->shape[2], .d = q->shape[3]};
    op->p.attention.scale = p->scale != 0.0f ? p->scale : 1.0f / sqrtf((float)dm.d);
    op->p.attention.softcap = p->softcap;
    /* A window is causal by definition (it ends at the aligned diagonal). */
    op->p.attention.causal = p->causal != 0 || p->window > 0;
    /* Top-left alignment is the offset 0; only bottom-right depends on
     * each batch's key count, so the kernels see two modes. */
    op->p.attention.align =
        p->causal_align == TS_CAUSAL_BOTTOM_RIGHT ? TSI_ATTN_ALIGN_BOTTOM_RIGHT
                                                  : TSI_ATTN_ALIGN_OFFSET;
    op->p.attention.offset = p->causal_align == TS_CAUSAL_OFFSET ? p->causal_offset : 0;
    op->p.attention.window = p->window;
    bound_offsets(&dm, op);
}
