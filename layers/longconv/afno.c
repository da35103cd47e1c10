/* ts_afno2d: AFNO Fourier token mixing (Guibas et al. 2022, FourCastNet)
 * of ../shared/LAYERS.md, composed of public ops.
 *
 * The spectrum comes from ts_rfft2 over (H, W) of a permuted view of x
 * ([B, C, H, W], no copy), as c64 [B, C, H, W/2+1]. The block-diagonal
 * complex MLP wants channels last: one copy through ts_tensor_view_as_real
 * lays the spectrum out as f32 [B*F, C, 2] (F = H (W/2+1) modes), i.e.
 * per block j the interleaved (re, im) row vector of bs channels. A complex
 * product with W = Wr + i Wi is then ONE real GEMM against the interleaved
 * block matrix M[2i + a, 2o + b] = [[Wr, Wi], [-Wi, Wr]][a][b] (row a: re
 * or im of the input, column b: of the output), batched over the blocks:
 * [blocks, B*F, 2 bs] . [blocks, 2 bs, 2 bs f]. The matrices are built on
 * the device from the weights with strided copies. Mode truncation runs
 * the MLP on the kept modes alone: their two bands of rows (low positive
 * and negative k_h) and first columns are copied into a compact spectrum,
 * and the result is copied back into a zeroed full one before irfft2. */
#include <math.h>

#include "layers/longconv/longconv_internal.h"

#define FN "ts_afno2d"

typedef struct af_dims {
    int64_t b, h, w, c, wf, f, nb, bs, hid;
} af_dims;

static ts_status check_args(const ts_tensor *x, const ts_afno2d_params *p, const ts_tensor *out,
                            af_dims *dm)
{
    char s[TSI_SHAPE_STR_LEN];
    TSI_CHECK(p, TS_ERR_INVALID_ARGUMENT, "%s: params must not be NULL", FN);
    TSI_RETURN_IF_ERROR(tsi_check_tensor(FN, "x", x));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(FN, "out", out));
    TSI_RETURN_IF_ERROR(tsi_check_float(FN, "x", x));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(FN, "x", x, "out", out));
    TSI_CHECK(x->ndim == 4, TS_ERR_SHAPE, "%s: x must be [B, H, W, C], not %s", FN,
              tsi_shape_str(x->shape, x->ndim, s));
    TSI_RETURN_IF_ERROR(tsi_check_same_shape(FN, "x", x, "out", out));
    *dm = (af_dims){.b = x->shape[0], .h = x->shape[1], .w = x->shape[2], .c = x->shape[3]};
    TSI_CHECK(p->blocks >= 1 && dm->c % p->blocks == 0, TS_ERR_INVALID_ARGUMENT,
              "%s: blocks = %lld must be >= 1 and divide C = %lld", FN, (long long)p->blocks,
              (long long)dm->c);
    TSI_CHECK(isfinite(p->lambda) && p->lambda >= 0.0f, TS_ERR_INVALID_ARGUMENT,
              "%s: lambda must be finite and >= 0, not %g", FN, (double)p->lambda);
    TSI_CHECK(p->keep_h >= 0 && p->keep_w >= 0, TS_ERR_INVALID_ARGUMENT,
              "%s: keep_h (%lld) and keep_w (%lld) must be >= 0", FN, (long long)p->keep_h,
              (long long)p->keep_w);
    dm->nb = p->blocks;
    dm->bs = dm->c / dm->nb;
    dm->wf = dm->w / 2 + 1;
    dm->f = dm->h * dm->wf;
    TSI_CHECK(p->w1 && p->w1->ndim == 4, TS_ERR_SHAPE,
              "%s: w1 must be [2, blocks, bs, bs * f]", FN);
    dm->hid = p->w1->shape[3];
    int64_t s1[4] = {2, dm->nb, dm->bs, dm->hid}, sb1[3] = {2, dm->nb, dm->hid};
    int64_t s2[4] = {2, dm->nb, dm->hid, dm->bs}, sb2[3] = {2, dm->nb, dm->bs};
    TSI_RETURN_IF_ERROR(lc_check_weight(FN, "w1", p->w1, "x", x, 4, s1));
    TSI_RETURN_IF_ERROR(lc_check_weight(FN, "b1", p->b1, "x", x, 3, sb1));
    TSI_RETURN_IF_ERROR(lc_check_weight(FN, "w2", p->w2, "x", x, 4, s2));
    TSI_RETURN_IF_ERROR(lc_check_weight(FN, "b2", p->b2, "x", x, 3, sb2));
    TSI_CHECK(dm->hid >= 1, TS_ERR_SHAPE, "%s: the hidden width (w1's last dim) is 0", FN);
    const ts_tensor *all[] = {x, p->w1, p->b1, p->w2, p->b2, out};
    TSI_RETURN_IF_ERROR(tsi_check_devices(FN, all, 6));
    TSI_RETURN_IF_ERROR(tsi_check_output(FN, "out", out, all, 5));
    return tsi_check_contiguous_output(FN, "out", out);
}

/* w [2, nb, k, m] (re, im) -> f32 M [nb, 2k, 2m] = [[Wr, Wi], [-Wi, Wr]]
 * interleaved, and bias [2, nb, m] -> f32 [nb, 1, 2m] interleaved. */
static ts_status block_matrix(lc_temps *s, const ts_tensor *w, const ts_tensor *bias,
                              ts_tensor **m_out, ts_tensor **b_out)
{
    int64_t nb = w->shape[1], k = w->shape[2], m = w->shape[3];
    int64_t part[3] = {nb, k, m}, ms[3] = {nb, 2 * k, 2 * m};
    ts_tensor *w32[2], *nwi, *mm;
    for (int r = 0; r < 2; r++) {
        ts_tensor *sl, *v;
        TSI_RETURN_IF_ERROR(lc_slice(s, w, 0, r, r + 1, 1, &sl));
        TSI_RETURN_IF_ERROR(lc_new(s, TS_F32, 3, part, &v));
        TSI_RETURN_IF_ERROR(lc_reshape(s, sl, 3, part, &sl));
        TSI_RETURN_IF_ERROR(w->dtype == TS_F32 ? ts_copy(sl, v) : ts_cast(sl, v));
        w32[r] = v;
    }
    TSI_RETURN_IF_ERROR(lc_new(s, TS_F32, 3, part, &nwi));
    TSI_RETURN_IF_ERROR(ts_scale_shift(w32[1], -1.0f, 0.0f, nwi));
    TSI_RETURN_IF_ERROR(lc_new(s, TS_F32, 3, ms, &mm));
    const ts_tensor *src[2][2] = {{w32[0], w32[1]}, {nwi, w32[0]}};
    for (int a = 0; a < 2; a++) {
        ts_tensor *rows, *cell;
        TSI_RETURN_IF_ERROR(lc_slice(s, mm, 1, a, 2 * k, 2, &rows));
        for (int b = 0; b < 2; b++) {
            TSI_RETURN_IF_ERROR(lc_slice(s, rows, 2, b, 2 * m, 2, &cell));
            TSI_RETURN_IF_ERROR(ts_copy(src[a][b], cell));
        }
    }
    int64_t bs3[3] = {nb, m, 2}, col[3] = {nb, m, 1}, b1[3] = {nb, 1, 2 * m};
    ts_tensor *bb;
    TSI_RETURN_IF_ERROR(lc_new(s, TS_F32, 3, bs3, &bb));
    for (int r = 0; r < 2; r++) {
        ts_tensor *sl, *dst;
        TSI_RETURN_IF_ERROR(lc_slice(s, bias, 0, r, r + 1, 1, &sl));
        TSI_RETURN_IF_ERROR(lc_reshape(s, sl, 3, col, &sl));
        TSI_RETURN_IF_ERROR(lc_slice(s, bb, 2, r, r + 1, 1, &dst));
        TSI_RETURN_IF_ERROR(bias->dtype == TS_F32 ? ts_copy(sl, dst) : ts_cast(sl, dst));
    }
    *m_out = mm;
    return lc_reshape(s, bb, 3, b1, b_out);
}

/* a . m + bias for every block: a [nb, R, k] (a view), out [nb, R, n]. */
static ts_status block_linear(lc_temps *s, const ts_tensor *a, const ts_tensor *m,
                              const ts_tensor *bias, ts_tensor **out)
{
    int64_t shape[3] = {a->shape[0], a->shape[1], m->shape[2]};
    ts_tensor *p, *q;
    TSI_RETURN_IF_ERROR(lc_new(s, TS_F32, 3, shape, &p));
    TSI_RETURN_IF_ERROR(ts_matmul(a, m, p));
    TSI_RETURN_IF_ERROR(lc_new(s, TS_F32, 3, shape, &q));
    TSI_RETURN_IF_ERROR(ts_binary(TS_ADD, p, bias, q));
    *out = q;
    return TS_OK;
}

/* softshrink(x) = x - clamp(x, -lambda, lambda). */
static ts_status softshrink(lc_temps *s, const ts_tensor *x, float lambda, ts_tensor **out)
{
    int64_t one = 1;
    float lam = lambda, nlam = -lambda;
    ts_tensor *l, *nl, *t1, *t2, *y;
    TSI_RETURN_IF_ERROR(lc_new_f32(s, TS_F32, 1, &one, &lam, &l));
    TSI_RETURN_IF_ERROR(lc_new_f32(s, TS_F32, 1, &one, &nlam, &nl));
    TSI_RETURN_IF_ERROR(lc_new(s, TS_F32, x->ndim, x->shape, &t1));
    TSI_RETURN_IF_ERROR(ts_binary(TS_MIN, x, l, t1));
    TSI_RETURN_IF_ERROR(lc_new(s, TS_F32, x->ndim, x->shape, &t2));
    TSI_RETURN_IF_ERROR(ts_binary(TS_MAX, t1, nl, t2));
    TSI_RETURN_IF_ERROR(lc_new(s, TS_F32, x->ndim, x->shape, &y));
    TSI_RETURN_IF_ERROR(ts_binary(TS_SUB, x, t2, y));
    *out = y;
    return TS_OK;
}

/* The modes kept, |k_h| < keep_h and k_w < keep_w (0: all): spectrum
 * rows [0, a1) (k_h = row) and [b0, H) (k_h = row - H), columns [0, wk). */
typedef struct af_keep {
    int64_t a1, b0, wk;
} af_keep;

static af_keep kept_modes(const af_dims *dm, const ts_afno2d_params *p)
{
    int64_t half = dm->h / 2;
    af_keep k = {.a1 = dm->h, .b0 = dm->h, .wk = dm->wf};
    if (p->keep_h > 0) {
        /* row r <= H/2 has |k_h| = r, a later one H - r */
        k.a1 = p->keep_h < half + 1 ? p->keep_h : half + 1;
        k.b0 = dm->h - p->keep_h + 1 > half + 1 ? dm->h - p->keep_h + 1 : half + 1;
    }
    if (p->keep_w > 0 && p->keep_w < dm->wf)
        k.wk = p->keep_w;
    return k;
}

/* dst[:, :, d0 + (r - r0), :wk] = src[:, :, r, :wk] for rows r in [r0, r1)
 * of two c64 [B, C, rows, cols] tensors. */
static ts_status copy_band(lc_temps *s, const ts_tensor *src, int64_t r0, int64_t r1, int64_t wk,
                           ts_tensor *dst, int64_t d0)
{
    ts_tensor *a, *a2, *b, *b2;
    TSI_RETURN_IF_ERROR(lc_slice(s, src, 2, r0, r1, 1, &a));
    TSI_RETURN_IF_ERROR(lc_slice(s, a, 3, 0, wk, 1, &a2));
    TSI_RETURN_IF_ERROR(lc_slice(s, dst, 2, d0, d0 + r1 - r0, 1, &b));
    TSI_RETURN_IF_ERROR(lc_slice(s, b, 3, 0, wk, 1, &b2));
    return ts_copy(a2, b2);
}

/* Spectrum c64 [B, C, H, Wf] -> f32 [nb, B*F, 2 bs] view of a
 * channels-last copy. */
static ts_status to_channels_last(lc_temps *s, const af_dims *dm, ts_tensor *spec,
                                  ts_tensor **out)
{
    int64_t s3[3] = {dm->b, dm->c, dm->f}, cl[4] = {dm->b, dm->f, dm->c, 2};
    int64_t rows[3] = {dm->b * dm->f, dm->nb, 2 * dm->bs};
    static const int perm_cl[4] = {0, 2, 1, 3}, perm_blk[3] = {1, 0, 2};
    ts_tensor *flat, *re, *re_cl, *xc, *x3;
    TSI_RETURN_IF_ERROR(lc_reshape(s, spec, 3, s3, &flat));
    TSI_RETURN_IF_ERROR(lc_keep(s, ts_tensor_view_as_real(flat, &re), &re));
    TSI_RETURN_IF_ERROR(lc_permute(s, re, perm_cl, &re_cl));
    TSI_RETURN_IF_ERROR(lc_new(s, TS_F32, 4, cl, &xc));
    TSI_RETURN_IF_ERROR(ts_copy(re_cl, xc));
    TSI_RETURN_IF_ERROR(lc_reshape(s, xc, 3, rows, &x3));
    return lc_permute(s, x3, perm_blk, out);
}

/* f32 [nb, B*F, 2 bs] -> c64 [B, C, H, Wf], block by block. */
static ts_status to_spectrum(lc_temps *s, const af_dims *dm, const ts_tensor *y,
                             ts_tensor **out)
{
    int64_t ys[4] = {dm->b, dm->c, dm->f, 2}, blk[4] = {dm->b, dm->f, dm->bs, 2};
    int64_t sp[4] = {dm->b, dm->c, dm->h, dm->wf};
    static const int perm[4] = {0, 2, 1, 3};
    ts_tensor *yc, *cplx;
    TSI_RETURN_IF_ERROR(lc_new(s, TS_F32, 4, ys, &yc));
    for (int64_t j = 0; j < dm->nb; j++) {
        ts_tensor *src, *s4, *sp4, *dst;
        TSI_RETURN_IF_ERROR(lc_slice(s, y, 0, j, j + 1, 1, &src));
        TSI_RETURN_IF_ERROR(lc_reshape(s, src, 4, blk, &s4));
        TSI_RETURN_IF_ERROR(lc_permute(s, s4, perm, &sp4));
        TSI_RETURN_IF_ERROR(lc_slice(s, yc, 1, j * dm->bs, (j + 1) * dm->bs, 1, &dst));
        TSI_RETURN_IF_ERROR(ts_copy(sp4, dst));
    }
    TSI_RETURN_IF_ERROR(lc_keep(s, ts_tensor_view_as_complex(yc, &cplx), &cplx));
    return lc_reshape(s, cplx, 4, sp, out);
}

static ts_status run(lc_temps *s, const ts_tensor *x, const ts_afno2d_params *p,
                     const af_dims *dm, ts_tensor *out)
{
    static const int to_chw[4] = {0, 3, 1, 2}, to_hwc[4] = {0, 2, 3, 1};
    int64_t spec_s[4] = {dm->b, dm->c, dm->h, dm->wf}, ys[4] = {dm->b, dm->c, dm->h, dm->w};
    ts_tensor *xp, *spec, *m1, *bb1, *m2, *bb2, *xin, *o1, *o1r, *o2, *sh, *spec2, *y, *yp;
    TSI_RETURN_IF_ERROR(lc_permute(s, x, to_chw, &xp));
    TSI_RETURN_IF_ERROR(lc_new(s, TS_C64, 4, spec_s, &spec));
    TSI_RETURN_IF_ERROR(ts_rfft2(xp, TS_FFT_ORTHO, spec));
    TSI_RETURN_IF_ERROR(block_matrix(s, p->w1, p->b1, &m1, &bb1));
    TSI_RETURN_IF_ERROR(block_matrix(s, p->w2, p->b2, &m2, &bb2));
    /* Truncation: the MLP sees the kept modes alone, dims dk. */
    af_keep kp = kept_modes(dm, p);
    int64_t hk = kp.a1 + dm->h - kp.b0;
    bool trunc = hk < dm->h || kp.wk < dm->wf;
    af_dims dk = *dm;
    if (trunc) {
        int64_t cs[4] = {dm->b, dm->c, hk, kp.wk};
        ts_tensor *modes;
        dk.h = hk;
        dk.wf = kp.wk;
        dk.f = hk * kp.wk;
        TSI_RETURN_IF_ERROR(lc_new(s, TS_C64, 4, cs, &modes));
        TSI_RETURN_IF_ERROR(copy_band(s, spec, 0, kp.a1, kp.wk, modes, 0));
        if (kp.b0 < dm->h)
            TSI_RETURN_IF_ERROR(copy_band(s, spec, kp.b0, dm->h, kp.wk, modes, kp.a1));
        spec = modes;
    }
    TSI_RETURN_IF_ERROR(to_channels_last(s, &dk, spec, &xin));
    TSI_RETURN_IF_ERROR(block_linear(s, xin, m1, bb1, &o1));
    TSI_RETURN_IF_ERROR(lc_new(s, TS_F32, 3, o1->shape, &o1r));
    TSI_RETURN_IF_ERROR(ts_unary(TS_RELU, o1, o1r)); /* re and im separately */
    TSI_RETURN_IF_ERROR(block_linear(s, o1r, m2, bb2, &o2));
    TSI_RETURN_IF_ERROR(softshrink(s, o2, p->lambda, &sh));
    TSI_RETURN_IF_ERROR(to_spectrum(s, &dk, sh, &spec2));
    if (trunc) {
        /* The kept modes back in place, every other one zero. */
        ts_tensor *full;
        TSI_RETURN_IF_ERROR(lc_new(s, TS_C64, 4, spec_s, &full));
        TSI_RETURN_IF_ERROR(lc_zero(s, full));
        TSI_RETURN_IF_ERROR(copy_band(s, spec2, 0, kp.a1, kp.wk, full, 0));
        if (kp.b0 < dm->h)
            TSI_RETURN_IF_ERROR(copy_band(s, spec2, kp.a1, hk, kp.wk, full, kp.b0));
        spec2 = full;
    }
    TSI_RETURN_IF_ERROR(lc_new(s, TS_F32, 4, ys, &y));
    TSI_RETURN_IF_ERROR(ts_irfft2(spec2, dm->w, TS_FFT_ORTHO, y));
    TSI_RETURN_IF_ERROR(lc_permute(s, y, to_hwc, &yp));
    if (x->dtype == TS_F32)
        return ts_binary(TS_ADD, yp, x, out);
    const ts_tensor *x32;
    ts_tensor *sum;
    TSI_RETURN_IF_ERROR(lc_as_f32(s, x, &x32));
    TSI_RETURN_IF_ERROR(lc_new(s, TS_F32, 4, x->shape, &sum));
    TSI_RETURN_IF_ERROR(ts_binary(TS_ADD, yp, x32, sum));
    return ts_cast(sum, out);
}

TS_API ts_status ts_afno2d(const ts_tensor *x, const ts_afno2d_params *p, ts_tensor *out)
{
    af_dims dm = {0};
    TSI_RETURN_IF_ERROR(check_args(x, p, out, &dm));
    if (tsi_numel(out->shape, out->ndim) == 0)
        return TS_OK;
    lc_temps s;
    lc_temps_init(&s, FN, x->st->dev);
    ts_status st = run(&s, x, p, &dm, out);
    lc_temps_free(&s);
    return st;
}
