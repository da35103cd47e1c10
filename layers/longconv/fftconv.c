/* ts_fftconv: validation, the choice of path, channel blocks, the direct
 * path as one fused TSI_OP_CONV1D_LONG (core/op.h fixes its views) whose
 * fallback, on a backend without the kernel, is the FFT path, and the FFT
 * path as one fused TSI_OP_FFTCONV where a backend has that kernel. */
#include "layers/longconv/longconv_internal.h"

#define FN "ts_fftconv"

TS_API void ts_fftconv_params_init(ts_fftconv_params *p)
{
    if (p)
        *p = (ts_fftconv_params){.path = TS_FFTCONV_AUTO, .d = NULL};
}

static ts_status check_args(const ts_tensor *u, const ts_tensor *k, const ts_fftconv_params *p,
                            const ts_tensor *out)
{
    char su[TSI_SHAPE_STR_LEN], sk[TSI_SHAPE_STR_LEN];
    TSI_RETURN_IF_ERROR(tsi_check_tensor(FN, "u", u));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(FN, "k", k));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(FN, "out", out));
    TSI_RETURN_IF_ERROR(tsi_check_float(FN, "u", u));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(FN, "u", u, "k", k));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(FN, "u", u, "out", out));
    TSI_CHECK((unsigned)p->path <= TS_FFTCONV_MATMUL, TS_ERR_INVALID_ARGUMENT,
              "%s: path %d is not a ts_fftconv_path", FN, (int)p->path);
    TSI_CHECK(u->ndim == 2 || u->ndim == 3, TS_ERR_SHAPE,
              "%s: u must be [B, C, L] or [C, L], not %s", FN,
              tsi_shape_str(u->shape, u->ndim, su));
    TSI_RETURN_IF_ERROR(tsi_check_same_shape(FN, "u", u, "out", out));
    int64_t c = u->shape[u->ndim - 2];
    bool kb = k->ndim == 3 && u->ndim == 3 && k->shape[0] == u->shape[0];
    TSI_CHECK((k->ndim == 2 || kb) && k->shape[k->ndim - 2] == c, TS_ERR_SHAPE,
              "%s: k is %s, expected [C, Lk] or [B, C, Lk] for u %s", FN,
              tsi_shape_str(k->shape, k->ndim, sk), tsi_shape_str(u->shape, u->ndim, su));
    TSI_CHECK(k->shape[k->ndim - 1] >= 1, TS_ERR_SHAPE, "%s: k %s has no taps", FN,
              tsi_shape_str(k->shape, k->ndim, sk));
    if (p->d) {
        TSI_RETURN_IF_ERROR(tsi_check_tensor(FN, "d", p->d));
        TSI_RETURN_IF_ERROR(tsi_check_same_dtype(FN, "u", u, "d", p->d));
        TSI_CHECK(p->d->ndim == 1 && p->d->shape[0] == c, TS_ERR_SHAPE,
                  "%s: d is %s, expected [%lld] (C)", FN,
                  tsi_shape_str(p->d->shape, p->d->ndim, sk), (long long)c);
    }
    const ts_tensor *all[] = {u, k, p->d, out};
    TSI_RETURN_IF_ERROR(tsi_check_devices(FN, all, 4));
    TSI_RETURN_IF_ERROR(tsi_check_output(FN, "out", out, all, 3));
    return tsi_check_contiguous_output(FN, "out", out);
}

ts_status lc_finish(lc_temps *s, const lc_conv *cv, const ts_tensor *y, const ts_tensor *u32)
{
    ts_tensor *sum = NULL;
    if (cv->d) {
        if (!u32)
            TSI_RETURN_IF_ERROR(lc_as_f32(s, cv->u, &u32));
        const ts_tensor *d32;
        ts_tensor *dcol, *du;
        int64_t col[2] = {cv->c, 1};
        TSI_RETURN_IF_ERROR(lc_as_f32(s, cv->d, &d32));
        TSI_RETURN_IF_ERROR(lc_reshape(s, d32, 2, col, &dcol));
        TSI_RETURN_IF_ERROR(lc_new(s, TS_F32, 3, cv->out->shape, &du));
        TSI_RETURN_IF_ERROR(ts_binary(TS_MUL, u32, dcol, du));
        if (cv->dt == TS_F32)
            return ts_binary(TS_ADD, y, du, cv->out);
        TSI_RETURN_IF_ERROR(lc_new(s, TS_F32, 3, cv->out->shape, &sum));
        TSI_RETURN_IF_ERROR(ts_binary(TS_ADD, y, du, sum));
        y = sum;
    }
    return cv->dt == TS_F32 ? ts_copy(y, cv->out) : ts_cast(y, cv->out);
}

ts_status lc_fftconv_blocks(const lc_conv *cv, ts_fftconv_path path)
{
    int64_t cb = lc_channel_block(cv->dev, path, cv->b, cv->c, cv->l);
    /* The FFT path's spectra: made once, reused by every block. */
    lc_temps keep;
    lc_temps_init(&keep, cv->fn, cv->dev);
    lc_fft_bufs bufs;
    if (path != TS_FFTCONV_MATMUL) {
        ts_status st = lc_fft_bufs_make(&keep, cv, cb, &bufs);
        if (st != TS_OK) {
            lc_temps_free(&keep);
            return st;
        }
    }
    for (int64_t c0 = 0; c0 < cv->c; c0 += cb) {
        int64_t c1 = c0 + cb < cv->c ? c0 + cb : cv->c;
        lc_temps s;
        lc_temps_init(&s, cv->fn, cv->dev);
        lc_conv blk = *cv;
        ts_tensor *u, *k, *d = NULL, *out;
        blk.c = c1 - c0;
        ts_status st = lc_slice(&s, cv->u, 1, c0, c1, 1, &u);
        if (st == TS_OK)
            st = lc_slice(&s, cv->k, cv->k->ndim - 2, c0, c1, 1, &k);
        if (st == TS_OK && cv->d)
            st = lc_slice(&s, cv->d, 0, c0, c1, 1, &d);
        if (st == TS_OK)
            st = lc_slice(&s, cv->out, 1, c0, c1, 1, &out);
        if (st == TS_OK) {
            blk.u = u;
            blk.k = k;
            blk.d = d;
            blk.out = out;
            st = path == TS_FFTCONV_MATMUL ? lc_fftconv_matmul(&blk) : lc_fftconv_fft(&blk, &bufs);
        }
        lc_temps_free(&s);
        if (st != TS_OK) {
            lc_temps_free(&keep);
            return st;
        }
    }
    lc_temps_free(&keep);
    return TS_OK;
}

/* u, k, d and out as the views TSI_OP_CONV1D_LONG and TSI_OP_FFTCONV share. */
static void conv_views(const lc_conv *cv, tsi_dispatch *d)
{
    tsi_op *op = &d->op;
    op->n_in = 3;
    op->n_out = 1;
    tsi_view_of(cv->u, &op->in[0]);
    tsi_view_of(cv->k, &op->in[1]);
    d->contiguous_in[0] = d->contiguous_in[1] = true;
    if (cv->d) {
        tsi_view_of(cv->d, &op->in[2]);
        d->contiguous_in[2] = true;
    }
    tsi_view_of(cv->out, &op->out[0]);
}

/* The FFT path: one fused TSI_OP_FFTCONV where the device has the kernel
 * (the CPU, where a row's spectra then never leave its worker's cache),
 * else rfft, product and irfft ops over channel blocks. Both are this
 * path's normal form on their devices, so neither counts as a fallback. */
static ts_status run_fft(const lc_conv *cv)
{
    tsi_dispatch d = {.fn = cv->fn, .hook = "fftconv_fft", .dev = cv->dev};
    d.op.code = TSI_OP_FFTCONV;
    d.op.p.fftconv.n = lc_fft_length_even(cv->l);
    conv_views(cv, &d);
    if (!tsi_dispatch_has_kernel(&d))
        return lc_fftconv_blocks(cv, TS_FFTCONV_FFT);
    return tsi_dispatch_run(&d);
}

static ts_status direct_compose(void *arg)
{
    return run_fft(arg);
}

static ts_status run_direct(const lc_conv *cv)
{
    lc_conv call = *cv;
    tsi_dispatch d = {.fn = cv->fn,
                      .hook = "conv1d_long",
                      .dev = cv->dev,
                      .fallback = direct_compose,
                      .fallback_ctx = &call};
    d.op.code = TSI_OP_CONV1D_LONG;
    conv_views(cv, &d);
    return tsi_dispatch_run(&d);
}

ts_status lc_fftconv_run(const lc_conv *cv, ts_fftconv_path forced)
{
    ts_fftconv_path path = lc_fftconv_pick(cv->dev, forced, cv->l, cv->lk);
    if (path == TS_FFTCONV_DIRECT)
        return run_direct(cv);
    if (path == TS_FFTCONV_FFT)
        return run_fft(cv);
    return lc_fftconv_blocks(cv, path);
}

TS_API ts_status ts_fftconv(const ts_tensor *u, const ts_tensor *k,
                            const ts_fftconv_params *params, ts_tensor *out)
{
    ts_fftconv_params defaults;
    ts_fftconv_params_init(&defaults);
    const ts_fftconv_params *p = params ? params : &defaults;
    TSI_RETURN_IF_ERROR(check_args(u, k, p, out));
    if (tsi_numel(out->shape, out->ndim) == 0)
        return TS_OK;

    lc_temps s;
    lc_temps_init(&s, FN, u->st->dev);
    lc_conv cv = {.fn = FN, .dev = u->st->dev, .dt = u->dtype, .d = p->d};
    cv.l = u->shape[u->ndim - 1];
    cv.c = u->shape[u->ndim - 2];
    cv.b = u->ndim == 3 ? u->shape[0] : 1;
    int64_t lk = k->shape[k->ndim - 1];
    cv.lk = lk < cv.l ? lk : cv.l;
    cv.k_batched = k->ndim == 3;
    ts_tensor *u3 = (ts_tensor *)u, *o3 = out, *kc;
    int64_t shape[3] = {cv.b, cv.c, cv.l};
    ts_status st = TS_OK;
    if (u->ndim == 2) {
        st = lc_reshape(&s, u, 3, shape, &u3);
        if (st == TS_OK)
            st = lc_reshape(&s, out, 3, shape, &o3);
    }
    /* Taps past L never reach an output: cut them. */
    if (st == TS_OK)
        st = lc_slice(&s, k, k->ndim - 1, 0, cv.lk, 1, &kc);
    if (st == TS_OK) {
        cv.u = u3;
        cv.out = o3;
        cv.k = kc;
        st = lc_fftconv_run(&cv, p->path);
    }
    lc_temps_free(&s);
    return st;
}
