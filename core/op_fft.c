/* Validation and dispatch of the FFTs of include/tessel/fft.h. Each public
 * call becomes one or two transforms along the last dim (TSI_OP_FFT);
 * 2D transforms run the second one on a transposed copy. What a backend
 * declines runs as a composition (fft_compose.c). */
#include <math.h>

#include "core/fft_internal.h"

typedef struct fft_call {
    const char *fn;
    int kind, inverse;
    const ts_tensor *x;
    int64_t n;
    float scale;
    ts_tensor *out;
} fft_call;

static ts_status fft_compose(void *arg)
{
    const fft_call *c = arg;
    switch (c->kind) {
    case TSI_FFT_R2C:
        return tsi_fft_r2c_via_c2c(c->fn, c->x, c->n, c->scale, c->out);
    case TSI_FFT_C2R:
        return tsi_fft_c2r_via_c2c(c->fn, c->x, c->n, c->scale, c->out);
    default:
        return tsi_fft_bluestein(c->fn, c->inverse, c->x, c->n, c->scale, c->out);
    }
}

static const char *const hook_ops[2][3] = {{"fft", "rfft", "irfft"}, {"ifft", "rfft", "irfft"}};

ts_status tsi_fft1d(const char *fn, int kind, int inverse, const ts_tensor *x, int64_t n,
                    float scale, ts_tensor *out)
{
    /* Every path holds about n complex numbers somewhere (the own
     * kernels' tables, Bluestein's chirp, real-via-complex's temporary):
     * a length whose 8n bytes overflow is refused before any of them sizes
     * its memory from it. Only irfft's n can get here that long: its out
     * may keep fewer samples than the transform makes. */
    int64_t bytes;
    TSI_CHECK(tsi_mul_checked(n, (int64_t)ts_dtype_size(TS_C64), &bytes), TS_ERR_OVERFLOW,
              "%s: a transform of length %lld needs 8 bytes of working memory per point, "
              "more than a 64-bit size holds",
              fn, (long long)n);
    /* Cropping is a narrower view of the same storage. */
    ts_tensor xc = *x;
    int64_t keep = kind == TSI_FFT_C2R ? n / 2 + 1 : n;
    if (xc.shape[xc.ndim - 1] > keep)
        xc.shape[xc.ndim - 1] = keep;
    if (tsi_numel(out->shape, out->ndim) == 0)
        return TS_OK;
    fft_call call = {fn, kind, inverse, &xc, n, scale, out};
    tsi_dispatch d = {.fn = fn,
                      .hook = "fft",
                      .hook_op = hook_ops[inverse != 0][kind],
                      .dev = x->st->dev,
                      .fallback_ctx = &call};
    /* A smooth C2C length has nothing simpler to become: a backend that
     * declines it leaves the caller with TS_ERR_UNSUPPORTED. */
    if (kind != TSI_FFT_C2C || !tsi_fft_smooth(n))
        d.fallback = fft_compose;
    d.op.code = TSI_OP_FFT;
    d.op.n_in = 1;
    d.op.n_out = 1;
    d.contiguous_in[0] = true;
    tsi_view_of(&xc, &d.op.in[0]);
    tsi_view_of(out, &d.op.out[0]);
    d.op.p.fft.kind = kind;
    d.op.p.fft.inverse = inverse != 0;
    d.op.p.fft.n = n;
    d.op.p.fft.scale = scale;
    return tsi_dispatch_run(&d);
}

void tsi_fft_swap_last2(const ts_tensor *t, ts_tensor *view)
{
    *view = *t;
    int a = t->ndim - 2, b = t->ndim - 1;
    view->shape[a] = t->shape[b];
    view->shape[b] = t->shape[a];
    view->stride[a] = t->stride[b];
    view->stride[b] = t->stride[a];
}

/* ---- validation ------------------------------------------------------------ */

static ts_status check_norm(const char *fn, ts_fft_norm norm)
{
    TSI_CHECK((unsigned)norm <= TS_FFT_FORWARD, TS_ERR_INVALID_ARGUMENT,
              "%s: invalid norm %d (TS_FFT_BACKWARD, TS_FFT_ORTHO or TS_FFT_FORWARD)", fn,
              (int)norm);
    return TS_OK;
}

/* norm -> the factor on a transform of `count` points in one direction. */
static float norm_scale(ts_fft_norm norm, int inverse, double count)
{
    if (norm == TS_FFT_ORTHO)
        return (float)(1.0 / sqrt(count));
    bool scaled = inverse ? norm == TS_FFT_BACKWARD : norm == TS_FFT_FORWARD;
    return scaled ? (float)(1.0 / count) : 1.0f;
}

/* x and out on one device, out contiguous, not overlapping x, same rank
 * (>= min_dims), equal leading dims (all but the last `tail`). */
static ts_status check_pair(const char *fn, const ts_tensor *x, const ts_tensor *out,
                            int min_dims, int tail)
{
    char s1[TSI_SHAPE_STR_LEN], s2[TSI_SHAPE_STR_LEN];
    TSI_CHECK(x->ndim >= min_dims, TS_ERR_SHAPE, "%s: x needs at least %d dims, has shape %s",
              fn, min_dims, tsi_shape_str(x->shape, x->ndim, s1));
    bool same = x->ndim == out->ndim;
    for (int i = 0; same && i < x->ndim - tail; i++)
        same = x->shape[i] == out->shape[i];
    TSI_CHECK(same, TS_ERR_SHAPE, "%s: out %s and x %s must agree in all but the last %s", fn,
              tsi_shape_str(out->shape, out->ndim, s1), tsi_shape_str(x->shape, x->ndim, s2),
              tail == 1 ? "dim" : "two dims");
    const ts_tensor *all[] = {x, out};
    TSI_RETURN_IF_ERROR(tsi_check_devices(fn, all, 2));
    TSI_RETURN_IF_ERROR(tsi_check_output(fn, "out", out, all, 1));
    return tsi_check_contiguous_output(fn, "out", out);
}

static ts_status check_common(const char *fn, const ts_tensor *x, ts_dtype x_dtype,
                              const ts_tensor *out, ts_dtype out_dtype, ts_fft_norm norm)
{
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "x", x));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "out", out));
    TSI_RETURN_IF_ERROR(check_norm(fn, norm));
    if (x_dtype == TS_F32) /* any float dtype */
        TSI_RETURN_IF_ERROR(tsi_check_float(fn, "x", x));
    else
        TSI_RETURN_IF_ERROR(tsi_check_dtype(fn, "x", x, x_dtype));
    return tsi_check_dtype(fn, "out", out, out_dtype);
}

static int64_t last(const ts_tensor *t)
{
    return t->shape[t->ndim - 1];
}

static ts_status check_nonempty_last(const char *fn, const ts_tensor *x)
{
    TSI_CHECK(last(x) >= 1, TS_ERR_SHAPE, "%s: x's last dim is empty (nothing to transform)", fn);
    return TS_OK;
}

/* ---- 1D ---------------------------------------------------------------------- */

static ts_status c2c(const char *fn, int inverse, const ts_tensor *x, ts_fft_norm norm,
                     ts_tensor *out)
{
    TSI_RETURN_IF_ERROR(check_common(fn, x, TS_C64, out, TS_C64, norm));
    TSI_RETURN_IF_ERROR(check_pair(fn, x, out, 1, 1));
    int64_t n = last(out);
    TSI_CHECK(n >= 1, TS_ERR_SHAPE, "%s: out's last dim (the transform length) is 0", fn);
    TSI_RETURN_IF_ERROR(check_nonempty_last(fn, x));
    return tsi_fft1d(fn, TSI_FFT_C2C, inverse, x, n, norm_scale(norm, inverse, (double)n), out);
}

TS_API ts_status ts_fft(const ts_tensor *x, ts_fft_norm norm, ts_tensor *out)
{
    return c2c("ts_fft", 0, x, norm, out);
}

TS_API ts_status ts_ifft(const ts_tensor *x, ts_fft_norm norm, ts_tensor *out)
{
    return c2c("ts_ifft", 1, x, norm, out);
}

TS_API ts_status ts_rfft(const ts_tensor *x, int64_t n, ts_fft_norm norm, ts_tensor *out)
{
    static const char fn[] = "ts_rfft";
    TSI_RETURN_IF_ERROR(check_common(fn, x, TS_F32, out, TS_C64, norm));
    TSI_RETURN_IF_ERROR(check_pair(fn, x, out, 1, 1));
    TSI_RETURN_IF_ERROR(check_nonempty_last(fn, x));
    TSI_CHECK(n >= 0, TS_ERR_INVALID_ARGUMENT, "%s: n = %lld is negative", fn, (long long)n);
    if (n == 0)
        n = last(x);
    TSI_CHECK(last(out) == n / 2 + 1, TS_ERR_SHAPE,
              "%s: out's last dim is %lld; a real transform of length %lld has %lld bins", fn,
              (long long)last(out), (long long)n, (long long)(n / 2 + 1));
    return tsi_fft1d(fn, TSI_FFT_R2C, 0, x, n, norm_scale(norm, 0, (double)n), out);
}

TS_API ts_status ts_irfft(const ts_tensor *x, int64_t n, ts_fft_norm norm, ts_tensor *out)
{
    static const char fn[] = "ts_irfft";
    TSI_RETURN_IF_ERROR(check_common(fn, x, TS_C64, out, TS_F32, norm));
    TSI_RETURN_IF_ERROR(check_pair(fn, x, out, 1, 1));
    TSI_RETURN_IF_ERROR(check_nonempty_last(fn, x));
    TSI_CHECK(n >= 0, TS_ERR_INVALID_ARGUMENT, "%s: n = %lld is negative", fn, (long long)n);
    if (n == 0)
        n = 2 * (last(x) - 1);
    TSI_CHECK(n >= 1, TS_ERR_SHAPE,
              "%s: x has 1 bin, so n must be given (the default 2(bins - 1) is 0)", fn);
    TSI_CHECK(last(out) >= 1 && last(out) <= n, TS_ERR_SHAPE,
              "%s: out's last dim is %lld; it must be 1..n = %lld", fn, (long long)last(out),
              (long long)n);
    return tsi_fft1d(fn, TSI_FFT_C2R, 0, x, n, norm_scale(norm, 1, (double)n), out);
}

/* ---- 2D -------------------------------------------------------------------------
 * Transform along the last dim, then transpose the last two dims into a
 * contiguous temporary, transform along (what is now) the last dim and
 * transpose back into out. The whole norm factor goes on one pass. */

typedef struct fft2_tmp {
    ts_tensor *a, *b;
} fft2_tmp;

static void fft2_free(fft2_tmp *t)
{
    ts_tensor_destroy(t->a);
    ts_tensor_destroy(t->b);
}

/* Along dim -2 of src (any view) into dst (contiguous, src's shape with
 * dim -2 = n): transpose, transform, transpose back. */
static ts_status along_rows(const char *fn, int kind, int inverse, const ts_tensor *src, int64_t n,
                            float scale, ts_tensor *dst)
{
    ts_device *dev = src->st->dev;
    int nd = src->ndim;
    int64_t shape[TS_MAX_DIMS];
    for (int i = 0; i < nd; i++)
        shape[i] = src->shape[i];
    shape[nd - 2] = src->shape[nd - 1];
    shape[nd - 1] = src->shape[nd - 2];
    fft2_tmp t = {NULL, NULL};
    ts_tensor srcT, outT;
    tsi_fft_swap_last2(src, &srcT);
    ts_status st = ts_tensor_create(dev, src->dtype, nd, shape, &t.a);
    if (st == TS_OK)
        st = ts_copy(&srcT, t.a);
    shape[nd - 1] = n;
    if (st == TS_OK)
        st = ts_tensor_create(dev, TS_C64, nd, shape, &t.b);
    if (st == TS_OK)
        st = tsi_fft1d(fn, kind, inverse, t.a, n, scale, t.b);
    if (st == TS_OK) {
        tsi_fft_swap_last2(t.b, &outT);
        st = ts_copy(&outT, dst);
    }
    fft2_free(&t);
    return st;
}

static ts_status c2c2(const char *fn, int inverse, const ts_tensor *x, ts_fft_norm norm,
                      ts_tensor *out)
{
    TSI_RETURN_IF_ERROR(check_common(fn, x, TS_C64, out, TS_C64, norm));
    TSI_RETURN_IF_ERROR(check_pair(fn, x, out, 2, 2));
    int nd = out->ndim;
    int64_t n1 = out->shape[nd - 2], n2 = out->shape[nd - 1];
    TSI_CHECK(n1 >= 1 && n2 >= 1, TS_ERR_SHAPE, "%s: out's last two dims must be >= 1", fn);
    TSI_CHECK(x->shape[nd - 2] >= 1 && x->shape[nd - 1] >= 1, TS_ERR_SHAPE,
              "%s: x's last two dims are empty", fn);
    if (tsi_numel(out->shape, nd) == 0)
        return TS_OK;
    /* Pass 1 over x's rows (cropped or padded along dim -2 by pass 2). */
    int64_t shape[TS_MAX_DIMS];
    for (int i = 0; i < nd; i++)
        shape[i] = x->shape[i];
    shape[nd - 1] = n2;
    ts_tensor *mid = NULL;
    ts_status st = ts_tensor_create(x->st->dev, TS_C64, nd, shape, &mid);
    if (st == TS_OK)
        st = tsi_fft1d(fn, TSI_FFT_C2C, inverse, x, n2, norm_scale(norm, inverse, (double)n2),
                       mid);
    if (st == TS_OK)
        st = along_rows(fn, TSI_FFT_C2C, inverse, mid, n1, norm_scale(norm, inverse, (double)n1),
                        out);
    ts_tensor_destroy(mid);
    return st;
}

TS_API ts_status ts_fft2(const ts_tensor *x, ts_fft_norm norm, ts_tensor *out)
{
    return c2c2("ts_fft2", 0, x, norm, out);
}

TS_API ts_status ts_ifft2(const ts_tensor *x, ts_fft_norm norm, ts_tensor *out)
{
    return c2c2("ts_ifft2", 1, x, norm, out);
}

TS_API ts_status ts_rfft2(const ts_tensor *x, ts_fft_norm norm, ts_tensor *out)
{
    static const char fn[] = "ts_rfft2";
    char s1[TSI_SHAPE_STR_LEN], s2[TSI_SHAPE_STR_LEN];
    TSI_RETURN_IF_ERROR(check_common(fn, x, TS_F32, out, TS_C64, norm));
    TSI_RETURN_IF_ERROR(check_pair(fn, x, out, 2, 2));
    int nd = x->ndim;
    int64_t n1 = x->shape[nd - 2], n2 = x->shape[nd - 1];
    TSI_CHECK(n1 >= 1 && n2 >= 1, TS_ERR_SHAPE, "%s: x's last two dims are empty", fn);
    TSI_CHECK(out->shape[nd - 2] == n1 && out->shape[nd - 1] == n2 / 2 + 1, TS_ERR_SHAPE,
              "%s: out is %s; for x %s it must end in [%lld, %lld]", fn,
              tsi_shape_str(out->shape, nd, s1), tsi_shape_str(x->shape, nd, s2), (long long)n1,
              (long long)(n2 / 2 + 1));
    if (tsi_numel(out->shape, nd) == 0)
        return TS_OK;
    ts_tensor *mid = NULL;
    ts_status st = ts_tensor_create(x->st->dev, TS_C64, nd, out->shape, &mid);
    if (st == TS_OK)
        st = tsi_fft1d(fn, TSI_FFT_R2C, 0, x, n2, norm_scale(norm, 0, (double)n2), mid);
    if (st == TS_OK)
        st = along_rows(fn, TSI_FFT_C2C, 0, mid, n1, norm_scale(norm, 0, (double)n1), out);
    ts_tensor_destroy(mid);
    return st;
}

TS_API ts_status ts_irfft2(const ts_tensor *x, int64_t n2, ts_fft_norm norm, ts_tensor *out)
{
    static const char fn[] = "ts_irfft2";
    char s1[TSI_SHAPE_STR_LEN], s2[TSI_SHAPE_STR_LEN];
    TSI_RETURN_IF_ERROR(check_common(fn, x, TS_C64, out, TS_F32, norm));
    TSI_RETURN_IF_ERROR(check_pair(fn, x, out, 2, 2));
    int nd = x->ndim;
    int64_t n1 = x->shape[nd - 2], bins = x->shape[nd - 1];
    TSI_CHECK(n1 >= 1 && bins >= 1, TS_ERR_SHAPE, "%s: x's last two dims are empty", fn);
    TSI_CHECK(n2 >= 0, TS_ERR_INVALID_ARGUMENT, "%s: n2 = %lld is negative", fn, (long long)n2);
    if (n2 == 0)
        n2 = 2 * (bins - 1);
    TSI_CHECK(n2 >= 1, TS_ERR_SHAPE,
              "%s: x has 1 bin, so n2 must be given (the default 2(bins - 1) is 0)", fn);
    TSI_CHECK(out->shape[nd - 2] == n1 && out->shape[nd - 1] == n2, TS_ERR_SHAPE,
              "%s: out is %s; for x %s and n2 = %lld it must end in [%lld, %lld]", fn,
              tsi_shape_str(out->shape, nd, s1), tsi_shape_str(x->shape, nd, s2), (long long)n2,
              (long long)n1, (long long)n2);
    if (tsi_numel(out->shape, nd) == 0)
        return TS_OK;
    /* Inverse along dim -2 over the kept bins first, then C2R along rows. */
    ts_tensor xc = *x;
    if (xc.shape[nd - 1] > n2 / 2 + 1)
        xc.shape[nd - 1] = n2 / 2 + 1;
    ts_tensor *mid = NULL;
    ts_status st = ts_tensor_create(x->st->dev, TS_C64, nd, xc.shape, &mid);
    if (st == TS_OK)
        st = along_rows(fn, TSI_FFT_C2C, 1, &xc, n1, norm_scale(norm, 1, (double)n1), mid);
    if (st == TS_OK)
        st = tsi_fft1d(fn, TSI_FFT_C2R, 0, mid, n2, norm_scale(norm, 1, (double)n2), out);
    ts_tensor_destroy(mid);
    return st;
}
