/* Validation and dispatch of the MoE backend ops: ts_grouped_matmul,
 * ts_moe_place and ts_moe_combine (include/tessel/ops.h), the last two also
 * as tsi_moe_place / tsi_moe_combine for the layer (moe_ops.h; the same
 * code, messages under those names). The contracts the backends implement
 * are TSI_OP_GROUPED_MATMUL, TSI_OP_MOE_PLACE and TSI_OP_MOE_COMBINE in
 * core/op.h. */
#include <stdlib.h>

#include "core/layer_api.h"
#include "layers/moe/moe_ops.h"

/* Row indices and offsets travel as i32. */
#define MOE_MAX_ROWS INT32_MAX

static ts_status check_ndim(const char *fn, const char *what, const ts_tensor *t, int ndim,
                            const char *form)
{
    char s[TSI_SHAPE_STR_LEN];
    TSI_CHECK(t->ndim == ndim, TS_ERR_SHAPE, "%s: %s must be %s, not %s", fn, what, form,
              tsi_shape_str(t->shape, t->ndim, s));
    return TS_OK;
}

/* A zero-filled contiguous tensor (K = 0 stand-ins below). */
static ts_status zeros_tensor(ts_device *dev, ts_dtype dtype, int ndim, const int64_t *shape,
                              ts_tensor **out)
{
    TSI_RETURN_IF_ERROR(ts_tensor_create(dev, dtype, ndim, shape, out));
    size_t bytes = (size_t)tsi_numel(shape, ndim) * ts_dtype_size(dtype);
    void *host = calloc(1, bytes ? bytes : 1);
    ts_status st = host ? ts_tensor_write(*out, host, bytes)
                        : tsi_fail(TS_ERR_OUT_OF_MEMORY, "ts_grouped_matmul: out of host memory");
    free(host);
    if (st != TS_OK) {
        ts_tensor_destroy(*out);
        *out = NULL;
    }
    return st;
}

/* K = 0 with a bias: out is bias[e] on group e's rows. The kernels take
 * non-empty operands, so run them on K = 1 zeros (rare: a degenerate
 * layer, never a hot path). */
static ts_status grouped_matmul_k0(const ts_tensor *x, const ts_tensor *offsets,
                                   const ts_tensor *bias, ts_tensor *out)
{
    ts_device *dev = x->st->dev;
    int64_t xs[2] = {x->shape[0], 1}, ws[3] = {bias->shape[0], 1, bias->shape[1]};
    ts_tensor *x1 = NULL, *w1 = NULL;
    ts_status st = zeros_tensor(dev, x->dtype, 2, xs, &x1);
    if (st == TS_OK)
        st = zeros_tensor(dev, x->dtype, 3, ws, &w1);
    if (st == TS_OK)
        st = ts_grouped_matmul(x1, w1, offsets, bias, out);
    ts_tensor_destroy(x1);
    ts_tensor_destroy(w1);
    return st;
}

TS_API ts_status ts_grouped_matmul(const ts_tensor *x, const ts_tensor *w, const ts_tensor *offsets,
                                   const ts_tensor *bias, ts_tensor *out)
{
    static const char fn[] = "ts_grouped_matmul";
    char s1[TSI_SHAPE_STR_LEN], s2[TSI_SHAPE_STR_LEN];
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "x", x));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "w", w));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "offsets", offsets));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "out", out));
    TSI_RETURN_IF_ERROR(tsi_check_float(fn, "x", x));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "x", x, "w", w));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "x", x, "out", out));
    if (bias)
        TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "x", x, "bias", bias));
    TSI_RETURN_IF_ERROR(tsi_check_dtype(fn, "offsets", offsets, TS_I32));
    TSI_RETURN_IF_ERROR(check_ndim(fn, "x", x, 2, "[R, K]"));
    TSI_RETURN_IF_ERROR(check_ndim(fn, "w", w, 3, "[E, K, N]"));
    TSI_RETURN_IF_ERROR(check_ndim(fn, "offsets", offsets, 1, "[E + 1]"));
    TSI_RETURN_IF_ERROR(check_ndim(fn, "out", out, 2, "[R, N]"));
    int64_t r = x->shape[0], k = x->shape[1], e = w->shape[0], n = w->shape[2];
    TSI_CHECK(w->shape[1] == k, TS_ERR_SHAPE, "%s: inner dims differ: x is %s, w is %s", fn,
              tsi_shape_str(x->shape, 2, s1), tsi_shape_str(w->shape, 3, s2));
    TSI_CHECK(offsets->shape[0] == e + 1, TS_ERR_SHAPE,
              "%s: offsets has %lld entries, expected E + 1 = %lld for w %s", fn,
              (long long)offsets->shape[0], (long long)(e + 1), tsi_shape_str(w->shape, 3, s2));
    TSI_CHECK(out->shape[0] == r && out->shape[1] == n, TS_ERR_SHAPE,
              "%s: out is %s, expected [%lld, %lld]", fn, tsi_shape_str(out->shape, 2, s1),
              (long long)r, (long long)n);
    TSI_CHECK(!bias || (bias->ndim == 2 && bias->shape[0] == e && bias->shape[1] == n),
              TS_ERR_SHAPE, "%s: bias is %s, expected [%lld, %lld]", fn,
              bias ? tsi_shape_str(bias->shape, bias->ndim, s1) : "", (long long)e, (long long)n);
    TSI_CHECK(r <= MOE_MAX_ROWS && e < MOE_MAX_ROWS, TS_ERR_OVERFLOW,
              "%s: %lld rows in %lld groups do not fit i32 offsets", fn, (long long)r,
              (long long)e);
    const ts_tensor *all[] = {x, w, offsets, bias, out};
    TSI_RETURN_IF_ERROR(tsi_check_devices(fn, all, 5));
    TSI_RETURN_IF_ERROR(tsi_check_output(fn, "out", out, all, 4));
    TSI_RETURN_IF_ERROR(tsi_check_contiguous_output(fn, "out", out));
    if (r == 0 || n == 0)
        return TS_OK;

    tsi_grouped_matmul_call call = {.x = x, .w = w, .offsets = offsets, .bias = bias, .out = out};
    tsi_dispatch d = {.fn = fn,
                      .hook = "grouped_matmul",
                      .dev = x->st->dev,
                      .fallback = tsi_grouped_matmul_compose,
                      .fallback_ctx = &call};
    d.op.code = TSI_OP_GROUPED_MATMUL;
    d.op.n_in = 4;
    d.op.n_out = 1;
    tsi_view_of(out, &d.op.out[0]);
    if (e == 0 || (k == 0 && !bias))
        return tsi_dispatch_zero(&d); /* every row is past offsets[E], or an empty sum */
    if (k == 0)
        return grouped_matmul_k0(x, offsets, bias, out);
    for (int i = 0; i < 4; i++)
        d.contiguous_in[i] = true;
    tsi_view_of(x, &d.op.in[0]);
    tsi_view_of(w, &d.op.in[1]);
    tsi_view_of(offsets, &d.op.in[2]);
    if (bias)
        tsi_view_of(bias, &d.op.in[3]);
    else
        d.op.in[3] = (tsi_view){.buf = NULL, .dtype = x->dtype};
    /* The offsets stay on the device, so the only bound known here is R. */
    d.op.p.grouped_matmul.max_rows = r;
    return tsi_dispatch_run(&d);
}

/* T = 0: no choice to place. Zero stats and an all -1 row_token, written
 * from the host since no kernel runs on an empty expert tensor. */
static ts_status place_empty(const char *fn, ts_tensor *stats, ts_tensor *row_token)
{
    int64_t ns = stats->shape[0], nr = row_token->shape[0];
    size_t n = (size_t)(ns > nr ? ns : nr);
    int32_t *host = malloc(n * sizeof *host);
    TSI_CHECK(host, TS_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    for (size_t i = 0; i < n; i++)
        host[i] = 0;
    ts_status st = ts_tensor_write(stats, host, (size_t)ns * sizeof *host);
    for (size_t i = 0; i < n; i++)
        host[i] = -1;
    if (st == TS_OK)
        st = ts_tensor_write(row_token, host, (size_t)nr * sizeof *host);
    free(host);
    return st;
}

static ts_status moe_place(const char *fn, const ts_tensor *expert, int n_experts, int64_t capacity,
                           ts_tensor *rows, ts_tensor *stats, ts_tensor *row_token)
{
    char s1[TSI_SHAPE_STR_LEN];
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "expert", expert));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "rows", rows));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "stats", stats));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "row_token", row_token));
    TSI_RETURN_IF_ERROR(tsi_check_dtype(fn, "expert", expert, TS_I32));
    TSI_RETURN_IF_ERROR(tsi_check_dtype(fn, "rows", rows, TS_I32));
    TSI_RETURN_IF_ERROR(tsi_check_dtype(fn, "stats", stats, TS_I32));
    TSI_RETURN_IF_ERROR(tsi_check_dtype(fn, "row_token", row_token, TS_I32));
    TSI_RETURN_IF_ERROR(check_ndim(fn, "expert", expert, 2, "[T, k]"));
    TSI_RETURN_IF_ERROR(tsi_check_same_shape(fn, "expert", expert, "rows", rows));
    TSI_RETURN_IF_ERROR(check_ndim(fn, "stats", stats, 1, "[2E + 2]"));
    TSI_RETURN_IF_ERROR(check_ndim(fn, "row_token", row_token, 1, "[R]"));
    int64_t t = expert->shape[0], k = expert->shape[1];
    TSI_CHECK(n_experts >= 1 && n_experts < MOE_MAX_ROWS / 2, TS_ERR_INVALID_ARGUMENT,
              "%s: n_experts is %d, expected 1 .. %d", fn, n_experts, MOE_MAX_ROWS / 2 - 1);
    TSI_CHECK(k >= 1, TS_ERR_SHAPE, "%s: expert is %s, expected k >= 1 choices per token", fn,
              tsi_shape_str(expert->shape, 2, s1));
    TSI_CHECK(t <= MOE_MAX_ROWS / k, TS_ERR_OVERFLOW,
              "%s: %lld tokens x %lld choices do not fit i32 row indices", fn, (long long)t,
              (long long)k);
    TSI_CHECK(stats->shape[0] == 2 * (int64_t)n_experts + 2, TS_ERR_SHAPE,
              "%s: stats has %lld entries, expected 2E + 2 = %lld", fn, (long long)stats->shape[0],
              2 * (long long)n_experts + 2);
    /* The most rows a placement keeps: every choice, or E full groups. */
    int64_t need = t * k;
    if (capacity >= 0 && capacity <= need / n_experts)
        need = capacity * n_experts;
    TSI_CHECK(row_token->shape[0] >= need && row_token->shape[0] <= MOE_MAX_ROWS, TS_ERR_SHAPE,
              "%s: row_token has %lld rows, expected %lld .. %d (T*k, or E*capacity if smaller)",
              fn, (long long)row_token->shape[0], (long long)need, MOE_MAX_ROWS);
    const ts_tensor *all[] = {expert, rows, stats, row_token};
    TSI_RETURN_IF_ERROR(tsi_check_devices(fn, all, 4));
    TSI_RETURN_IF_ERROR(tsi_check_output(fn, "rows", rows, all, 1));
    TSI_RETURN_IF_ERROR(tsi_check_output(fn, "stats", stats, all, 2));
    TSI_RETURN_IF_ERROR(tsi_check_output(fn, "row_token", row_token, all, 3));
    TSI_RETURN_IF_ERROR(tsi_check_contiguous_output(fn, "rows", rows));
    TSI_RETURN_IF_ERROR(tsi_check_contiguous_output(fn, "stats", stats));
    TSI_RETURN_IF_ERROR(tsi_check_contiguous_output(fn, "row_token", row_token));
    if (t == 0)
        return place_empty(fn, stats, row_token);

    tsi_dispatch d = {.fn = fn, .hook = "moe_place", .dev = expert->st->dev};
    d.op.code = TSI_OP_MOE_PLACE;
    d.op.n_in = 1;
    d.op.n_out = 3;
    d.contiguous_in[0] = true;
    tsi_view_of(expert, &d.op.in[0]);
    tsi_view_of(rows, &d.op.out[0]);
    tsi_view_of(stats, &d.op.out[1]);
    if (row_token->shape[0] > 0)
        tsi_view_of(row_token, &d.op.out[2]);
    else
        d.op.out[2] = (tsi_view){.buf = NULL, .dtype = TS_I32}; /* capacity 0 */
    d.op.p.moe_place.k = (int)k;
    d.op.p.moe_place.n_experts = n_experts;
    d.op.p.moe_place.capacity = capacity < 0 ? -1 : capacity;
    return tsi_dispatch_run(&d);
}

static ts_status moe_combine(const char *fn, const ts_tensor *h, const ts_tensor *rows,
                             const ts_tensor *gates, ts_tensor *y)
{
    char s1[TSI_SHAPE_STR_LEN];
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "h", h));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "rows", rows));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "gates", gates));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "y", y));
    TSI_RETURN_IF_ERROR(tsi_check_float(fn, "h", h));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "h", h, "y", y));
    TSI_RETURN_IF_ERROR(tsi_check_dtype(fn, "rows", rows, TS_I32));
    TSI_RETURN_IF_ERROR(tsi_check_dtype(fn, "gates", gates, TS_F32));
    TSI_RETURN_IF_ERROR(check_ndim(fn, "h", h, 2, "[R, D]"));
    TSI_RETURN_IF_ERROR(check_ndim(fn, "rows", rows, 2, "[T, k]"));
    TSI_RETURN_IF_ERROR(check_ndim(fn, "y", y, 2, "[T, D]"));
    TSI_RETURN_IF_ERROR(tsi_check_same_shape(fn, "rows", rows, "gates", gates));
    int64_t t = rows->shape[0], k = rows->shape[1], d = h->shape[1];
    TSI_CHECK(y->shape[0] == t && y->shape[1] == d, TS_ERR_SHAPE,
              "%s: y is %s, expected [%lld, %lld]", fn, tsi_shape_str(y->shape, 2, s1),
              (long long)t, (long long)d);
    TSI_CHECK(h->shape[0] <= MOE_MAX_ROWS, TS_ERR_OVERFLOW,
              "%s: h has %lld rows, more than i32 row indices reach", fn, (long long)h->shape[0]);
    const ts_tensor *all[] = {h, rows, gates, y};
    TSI_RETURN_IF_ERROR(tsi_check_devices(fn, all, 4));
    TSI_RETURN_IF_ERROR(tsi_check_output(fn, "y", y, all, 3));
    TSI_RETURN_IF_ERROR(tsi_check_contiguous_output(fn, "y", y));
    if (t == 0 || d == 0)
        return TS_OK;

    tsi_dispatch dp = {.fn = fn, .hook = "moe_combine", .dev = h->st->dev};
    dp.op.code = TSI_OP_MOE_COMBINE;
    dp.op.n_in = 3;
    dp.op.n_out = 1;
    tsi_view_of(y, &dp.op.out[0]);
    if (k == 0 || h->shape[0] == 0)
        return tsi_dispatch_zero(&dp); /* no choice, or every choice dropped */
    for (int i = 0; i < 3; i++)
        dp.contiguous_in[i] = true;
    tsi_view_of(h, &dp.op.in[0]);
    tsi_view_of(rows, &dp.op.in[1]);
    tsi_view_of(gates, &dp.op.in[2]);
    return tsi_dispatch_run(&dp);
}

ts_status tsi_moe_place(const ts_tensor *expert, int n_experts, int64_t capacity, ts_tensor *rows,
                        ts_tensor *stats, ts_tensor *row_token)
{
    return moe_place("tsi_moe_place", expert, n_experts, capacity, rows, stats, row_token);
}

TS_API ts_status ts_moe_place(const ts_tensor *expert, int n_experts, int64_t capacity,
                              ts_tensor *rows, ts_tensor *stats, ts_tensor *row_token)
{
    return moe_place("ts_moe_place", expert, n_experts, capacity, rows, stats, row_token);
}

ts_status tsi_moe_combine(const ts_tensor *h, const ts_tensor *rows, const ts_tensor *gates,
                          ts_tensor *y)
{
    return moe_combine("tsi_moe_combine", h, rows, gates, y);
}

TS_API ts_status ts_moe_combine(const ts_tensor *h, const ts_tensor *rows, const ts_tensor *gates,
                                ts_tensor *y)
{
    return moe_combine("ts_moe_combine", h, rows, gates, y);
}
