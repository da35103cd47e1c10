/* fftconv's matmul path, in the spirit of FlashFFTConv: the length-n DFT
 * as the four-step (Cooley-Tukey) factorization n = n1 * n2, with the two
 * small dense DFTs applied as GEMMs on f32 real/imaginary planes
 * and the twiddles as elementwise products. Only real ops run (ts_matmul,
 * ts_binary, copies), so it needs no FFT kernel and no c64 support.
 *
 * Index maps: time j = j1 + n1 j2, frequency f = k2 + n2 k1, so with
 * w_m = exp(-2 pi i / m)
 *   X[k2, k1] = sum_j1 w_n1^(j1 k1) w_n^(j1 k2) sum_j2 w_n2^(j2 k2) x[j2, j1]
 *   stage 1   B = F2 . x            ([2 n2, m2] real-and-imag rows) . [m2, n1]
 *   stage 2   C = B * T             T[k2, j1] = w_n^(j1 k2)
 *   stage 3   X = [Cr | Ci] . [[F1r, F1i], [-F1i, F1r]]   per row k2
 * u is zero past L, so only m2 = ceil(L / n1) blocks of x carry data and
 * stage 1 reads only those columns of F2. The inverse runs the stages
 * backwards with conjugates and keeps the real part of the first m2
 * blocks. Data is laid out block-major, [m2, rows, n1] in time and
 * [n2, rows, 2 n1] (re then im over k1) in frequency, so that every stage
 * is ONE GEMM over all rows (N or M = rows * n1) rather than a batch of
 * tiny per-row ones. Work buffers are reused stage to stage: memory is
 * about fourteen f32 values per row and unit of n (lc_channel_block sizes blocks for
 * it). */
#include <math.h>
#include <stdlib.h>

#include "layers/longconv/longconv_internal.h"

static const double two_pi = 6.28318530717958647692;

/* exp(-2 pi i r / m) from the exact residue r mod m. */
static void root(int64_t a, int64_t b, int64_t m, double *re, double *im)
{
    int64_t r = (int64_t)(((unsigned __int128)(uint64_t)a * (uint64_t)b) % (uint64_t)m);
    double t = two_pi * (double)r / (double)m;
    *re = cos(t);
    *im = -sin(t);
}

typedef struct mm_plan {
    int64_t n, n1, n2, m2;
    ts_tensor *f2;   /* [2 n2, m2]: rows k2 re then im of w_n2^(k2 j2) */
    ts_tensor *g;    /* [2 n1, 2 n1]: stage 3 */
    ts_tensor *gk;   /* [2 n1, 4 n1]: stage 3 for the filter, [Kr|Ki|Ki|Kr] */
    ts_tensor *h;    /* [2 n1, 2 n1]: inverse stage 3 */
    ts_tensor *w;    /* [m2, 2 n2]: inverse stage 1, with 1/n */
    ts_tensor *tw;   /* [2, 2, n2, n1]: (Tr, Ti), (Ti, Tr) in [k2][j1] */
    ts_tensor *twl;  /* [2, n2, 2, n1]: (Tr | Ti), (Ti | Tr) per row k2 */
} mm_plan;

static ts_status upload(lc_temps *s, int nd, const int64_t *shape, float *v, ts_tensor **out)
{
    ts_status st = lc_new_f32(s, TS_F32, nd, shape, v, out);
    free(v);
    return st;
}

static float *host(lc_temps *s, int64_t n)
{
    float *v = malloc((size_t)n * sizeof *v);
    if (!v)
        tsi_fail(TS_ERR_OUT_OF_MEMORY, "%s: no host memory for %lld DFT coefficients", s->fn,
                 (long long)n);
    return v;
}

static ts_status make_f2_w(lc_temps *s, mm_plan *p)
{
    int64_t n2 = p->n2, m2 = p->m2;
    float *f = host(s, 2 * n2 * m2), *w = f ? host(s, m2 * 2 * n2) : NULL;
    if (!w) {
        free(f);
        return TS_ERR_OUT_OF_MEMORY;
    }
    for (int64_t k2 = 0; k2 < n2; k2++) {
        for (int64_t j2 = 0; j2 < m2; j2++) {
            double re, im;
            root(k2, j2, n2, &re, &im);
            f[k2 * m2 + j2] = (float)re;
            f[(n2 + k2) * m2 + j2] = (float)im;
            /* y = Re(conj(w) E) = re*Er + im*Ei, scaled by 1/n. */
            w[j2 * 2 * n2 + k2] = (float)(re / (double)p->n);
            w[j2 * 2 * n2 + n2 + k2] = (float)(im / (double)p->n);
        }
    }
    int64_t fs[2] = {2 * n2, m2}, ws[2] = {m2, 2 * n2};
    ts_status st = upload(s, 2, fs, f, &p->f2);
    if (st != TS_OK) {
        free(w);
        return st;
    }
    return upload(s, 2, ws, w, &p->w);
}

/* The 2 n1 x (2 n1 or 4 n1) block matrices of the inner DFT. */
static ts_status make_inner(lc_temps *s, mm_plan *p)
{
    int64_t n1 = p->n1, m = 2 * n1;
    float *g = host(s, m * m), *h = g ? host(s, m * m) : NULL, *gk = h ? host(s, m * 2 * m) : NULL;
    if (!gk) {
        free(g);
        free(h);
        return TS_ERR_OUT_OF_MEMORY;
    }
    for (int64_t a = 0; a < n1; a++) {
        for (int64_t b = 0; b < n1; b++) {
            double fr, fi;
            root(a, b, n1, &fr, &fi);
            /* X = C F: [Cr | Ci] [[Fr, Fi], [-Fi, Fr]]. */
            g[a * m + b] = (float)fr;
            g[a * m + n1 + b] = (float)fi;
            g[(n1 + a) * m + b] = (float)-fi;
            g[(n1 + a) * m + n1 + b] = (float)fr;
            /* D = Y conj(F): [Yr | Yi] [[Fr, -Fi], [Fi, Fr]]. */
            h[a * m + b] = (float)fr;
            h[a * m + n1 + b] = (float)-fi;
            h[(n1 + a) * m + b] = (float)fi;
            h[(n1 + a) * m + n1 + b] = (float)fr;
            /* The filter's spectrum twice, the second with re and im
             * swapped, so the product needs no shuffle. */
            float *r0 = gk + a * 2 * m, *r1 = gk + (n1 + a) * 2 * m;
            r0[b] = (float)fr, r0[n1 + b] = (float)fi, r0[2 * n1 + b] = (float)fi,
            r0[3 * n1 + b] = (float)fr;
            r1[b] = (float)-fi, r1[n1 + b] = (float)fr, r1[2 * n1 + b] = (float)fr,
            r1[3 * n1 + b] = (float)-fi;
        }
    }
    int64_t gs[2] = {m, m}, ks[2] = {m, 2 * m};
    ts_status st = upload(s, 2, gs, g, &p->g);
    if (st == TS_OK)
        st = upload(s, 2, gs, h, &p->h);
    else
        free(h);
    if (st == TS_OK)
        return upload(s, 2, ks, gk, &p->gk);
    free(gk);
    return st;
}

static ts_status make_twiddles(lc_temps *s, mm_plan *p)
{
    int64_t n1 = p->n1, n2 = p->n2, n = p->n;
    float *t = host(s, 4 * n), *tl = t ? host(s, 4 * n) : NULL;
    if (!tl) {
        free(t);
        return TS_ERR_OUT_OF_MEMORY;
    }
    for (int64_t k2 = 0; k2 < n2; k2++) {
        for (int64_t j1 = 0; j1 < n1; j1++) {
            double re, im;
            root(j1, k2, n, &re, &im);
            int64_t i = k2 * n1 + j1;
            t[i] = (float)re, t[n + i] = (float)im;
            t[2 * n + i] = (float)im, t[3 * n + i] = (float)re;
            int64_t r = k2 * 2 * n1 + j1;
            tl[r] = (float)re, tl[r + n1] = (float)im;
            tl[2 * n + r] = (float)im, tl[2 * n + r + n1] = (float)re;
        }
    }
    int64_t ts[4] = {2, 2, n2, n1}, tls[4] = {2, n2, 2, n1};
    ts_status st = upload(s, 4, ts, t, &p->tw);
    if (st != TS_OK) {
        free(tl);
        return st;
    }
    return upload(s, 4, tls, tl, &p->twl);
}

/* The first numel(shape) elements of a flat work buffer, as shape. */
static ts_status view(lc_temps *s, ts_tensor *flat, int nd, const int64_t *shape, ts_tensor **out)
{
    ts_tensor *head;
    TSI_RETURN_IF_ERROR(lc_slice(s, flat, 0, 0, tsi_numel(shape, nd), 1, &head));
    return lc_reshape(s, head, nd, shape, out);
}

/* t[.., i, ..] along dim, keeping the dim (size 1), reshaped to nd dims. */
static ts_status pick(lc_temps *s, const ts_tensor *t, int dim, int64_t i, int nd,
                      const int64_t *shape, ts_tensor **out)
{
    ts_tensor *sl;
    TSI_RETURN_IF_ERROR(lc_slice(s, t, dim, i, i + 1, 1, &sl));
    return lc_reshape(s, sl, nd, shape, out);
}

/* x [bx, cb, len] (any float view) as time-block-major f32
 * [m2, bx, cb, n1]: block j2 holds samples j2 n1 .. j2 n1 + n1 - 1 of
 * every row, zero past len. This layout makes both outer DFT stages one
 * GEMM each over all rows (N = rows * n1) instead of one per row. */
static ts_status blocks_of(lc_temps *s, const mm_plan *p, const ts_tensor *x, int64_t m2,
                           ts_tensor **out)
{
    int64_t bx = x->shape[0], cb = x->shape[1], len = x->shape[2], n1 = p->n1;
    int64_t full = len / n1, rem = len - full * n1, as[4] = {m2, bx, cb, n1};
    static const int perm[4] = {2, 0, 1, 3};
    const ts_tensor *xc;
    ts_tensor *a;
    /* A contiguous source, so its rows split into blocks as a view. */
    TSI_RETURN_IF_ERROR(lc_as_f32(s, x, &xc));
    TSI_RETURN_IF_ERROR(lc_new(s, TS_F32, 4, as, &a));
    if (full > 0) {
        int64_t sp[4] = {bx, cb, full, n1};
        ts_tensor *src, *s4, *sp4, *dst;
        TSI_RETURN_IF_ERROR(lc_slice(s, xc, 2, 0, full * n1, 1, &src));
        TSI_RETURN_IF_ERROR(lc_reshape(s, src, 4, sp, &s4));
        TSI_RETURN_IF_ERROR(lc_permute(s, s4, perm, &sp4));
        TSI_RETURN_IF_ERROR(lc_slice(s, a, 0, 0, full, 1, &dst));
        TSI_RETURN_IF_ERROR(ts_copy(sp4, dst));
    }
    if (rem > 0) {
        int64_t sp[4] = {bx, cb, 1, rem};
        ts_tensor *src, *s4, *sp4, *row, *dst, *tail;
        TSI_RETURN_IF_ERROR(lc_slice(s, xc, 2, full * n1, len, 1, &src));
        TSI_RETURN_IF_ERROR(lc_reshape(s, src, 4, sp, &s4));
        TSI_RETURN_IF_ERROR(lc_permute(s, s4, perm, &sp4));
        TSI_RETURN_IF_ERROR(lc_slice(s, a, 0, full, full + 1, 1, &row));
        TSI_RETURN_IF_ERROR(lc_slice(s, row, 3, 0, rem, 1, &dst));
        TSI_RETURN_IF_ERROR(ts_copy(sp4, dst));
        TSI_RETURN_IF_ERROR(lc_slice(s, row, 3, rem, n1, 1, &tail));
        TSI_RETURN_IF_ERROR(lc_zero(s, tail));
    }
    *out = a;
    return TS_OK;
}

/* The forward DFT of x [bx, cb, len]: stage 1 (one GEMM), the twiddles,
 * stage 3 (one GEMM against gm, 2 n1 x width) into a new
 * [n2, bx, cb, width]. wk: four work buffers of 2 n rows floats. */
static ts_status forward(lc_temps *s, const mm_plan *p, const ts_tensor *x,
                         ts_tensor *const wk[4], const ts_tensor *gm, ts_tensor **spec)
{
    int64_t n1 = p->n1, n2 = p->n2, bx = x->shape[0], cb = x->shape[1], rows = bx * cb;
    int64_t m2 = (x->shape[2] + n1 - 1) / n1;
    ts_tensor *a, *a2, *f2 = p->f2, *b, *b4, *t0, *t1, *pp, *qq, *c4;
    TSI_RETURN_IF_ERROR(blocks_of(s, p, x, m2, &a));
    if (m2 < p->m2)
        TSI_RETURN_IF_ERROR(lc_slice(s, p->f2, 1, 0, m2, 1, &f2));
    int64_t a2s[2] = {m2, rows * n1}, bs[2] = {2 * n2, rows * n1};
    int64_t b4s[4] = {2, n2, rows, n1}, ts4[4] = {2, n2, 1, n1}, t3[3] = {2, n2, n1};
    TSI_RETURN_IF_ERROR(lc_reshape(s, a, 2, a2s, &a2));
    TSI_RETURN_IF_ERROR(view(s, wk[0], 2, bs, &b));
    TSI_RETURN_IF_ERROR(ts_matmul(f2, a2, b));
    TSI_RETURN_IF_ERROR(lc_reshape(s, b, 4, b4s, &b4));
    TSI_RETURN_IF_ERROR(pick(s, p->tw, 0, 0, 3, t3, &t0));
    TSI_RETURN_IF_ERROR(pick(s, p->tw, 0, 1, 3, t3, &t1));
    TSI_RETURN_IF_ERROR(lc_reshape(s, t0, 4, ts4, &t0));
    TSI_RETURN_IF_ERROR(lc_reshape(s, t1, 4, ts4, &t1));
    TSI_RETURN_IF_ERROR(view(s, wk[1], 4, b4s, &pp));
    TSI_RETURN_IF_ERROR(view(s, wk[2], 4, b4s, &qq));
    TSI_RETURN_IF_ERROR(ts_binary(TS_MUL, b4, t0, pp)); /* Br Tr, Bi Ti */
    TSI_RETURN_IF_ERROR(ts_binary(TS_MUL, b4, t1, qq)); /* Br Ti, Bi Tr */
    int64_t cs[4] = {n2, rows, 2, n1}, half[3] = {n2, rows, n1};
    ts_tensor *p0, *p1, *q0, *q1, *cr, *ci, *c2, *out2;
    TSI_RETURN_IF_ERROR(view(s, wk[3], 4, cs, &c4));
    TSI_RETURN_IF_ERROR(pick(s, pp, 0, 0, 3, half, &p0));
    TSI_RETURN_IF_ERROR(pick(s, pp, 0, 1, 3, half, &p1));
    TSI_RETURN_IF_ERROR(pick(s, qq, 0, 0, 3, half, &q0));
    TSI_RETURN_IF_ERROR(pick(s, qq, 0, 1, 3, half, &q1));
    TSI_RETURN_IF_ERROR(pick(s, c4, 2, 0, 3, half, &cr));
    TSI_RETURN_IF_ERROR(pick(s, c4, 2, 1, 3, half, &ci));
    TSI_RETURN_IF_ERROR(ts_binary(TS_SUB, p0, p1, cr));
    TSI_RETURN_IF_ERROR(ts_binary(TS_ADD, q0, q1, ci));
    int64_t width = gm->shape[1], c2s[2] = {n2 * rows, 2 * n1}, os[2] = {n2 * rows, width};
    int64_t ss[4] = {n2, bx, cb, width};
    TSI_RETURN_IF_ERROR(lc_reshape(s, c4, 2, c2s, &c2));
    TSI_RETURN_IF_ERROR(lc_new(s, TS_F32, 2, os, &out2));
    TSI_RETURN_IF_ERROR(ts_matmul(c2, gm, out2));
    return lc_reshape(s, out2, 4, ss, spec);
}

static ts_status plan(lc_temps *s, const lc_conv *cv, mm_plan *p)
{
    lc_fft_len fl;
    lc_matmul_length(cv->l, &fl);
    *p = (mm_plan){.n = fl.n, .n1 = fl.n1, .n2 = fl.n2, .m2 = (cv->l + fl.n1 - 1) / fl.n1};
    TSI_RETURN_IF_ERROR(make_f2_w(s, p));
    TSI_RETURN_IF_ERROR(make_inner(s, p));
    return make_twiddles(s, p);
}

/* Y = X K (complex; K broadcast over the batch), then the inverse:
 * stage 3 (one GEMM), conj twiddles, stage 1 (one GEMM) keeping the real
 * part of the first m2 blocks; y f32 [B, cb, m2 n1] (new). */
static ts_status product_inverse(lc_temps *s, const mm_plan *p, const lc_conv *cv,
                                 const ts_tensor *x, const ts_tensor *kq, ts_tensor *const wk[4],
                                 ts_tensor **y)
{
    int64_t n1 = p->n1, n2 = p->n2, rows = cv->b * cv->c;
    int64_t xs[4] = {n2, cv->b, cv->c, 2 * n1};
    ts_tensor *kv, *ksw, *pp, *qq, *y4;
    TSI_RETURN_IF_ERROR(lc_slice(s, kq, 3, 0, 2 * n1, 1, &kv));
    TSI_RETURN_IF_ERROR(lc_slice(s, kq, 3, 2 * n1, 4 * n1, 1, &ksw));
    TSI_RETURN_IF_ERROR(view(s, wk[1], 4, xs, &pp));
    TSI_RETURN_IF_ERROR(view(s, wk[2], 4, xs, &qq));
    TSI_RETURN_IF_ERROR(ts_binary(TS_MUL, x, kv, pp));  /* Xr Kr | Xi Ki */
    TSI_RETURN_IF_ERROR(ts_binary(TS_MUL, x, ksw, qq)); /* Xr Ki | Xi Kr */
    TSI_RETURN_IF_ERROR(view(s, wk[3], 4, xs, &y4));
    ts_tensor *p0, *p1, *q0, *q1, *yr, *yi;
    TSI_RETURN_IF_ERROR(lc_slice(s, pp, 3, 0, n1, 1, &p0));
    TSI_RETURN_IF_ERROR(lc_slice(s, pp, 3, n1, 2 * n1, 1, &p1));
    TSI_RETURN_IF_ERROR(lc_slice(s, qq, 3, 0, n1, 1, &q0));
    TSI_RETURN_IF_ERROR(lc_slice(s, qq, 3, n1, 2 * n1, 1, &q1));
    TSI_RETURN_IF_ERROR(lc_slice(s, y4, 3, 0, n1, 1, &yr));
    TSI_RETURN_IF_ERROR(lc_slice(s, y4, 3, n1, 2 * n1, 1, &yi));
    TSI_RETURN_IF_ERROR(ts_binary(TS_SUB, p0, p1, yr));
    TSI_RETURN_IF_ERROR(ts_binary(TS_ADD, q0, q1, yi));

    /* Inverse stage 3: D = Y conj(F1). */
    int64_t y2[2] = {n2 * rows, 2 * n1}, d3[3] = {n2, rows, 2 * n1}, t3[3] = {n2, 2, n1};
    int64_t tl[3] = {n2, 1, 2 * n1};
    ts_tensor *yy, *dd, *d3t, *t0, *t1;
    TSI_RETURN_IF_ERROR(lc_reshape(s, y4, 2, y2, &yy));
    TSI_RETURN_IF_ERROR(view(s, wk[0], 2, y2, &dd));
    TSI_RETURN_IF_ERROR(ts_matmul(yy, p->h, dd));
    TSI_RETURN_IF_ERROR(lc_reshape(s, dd, 3, d3, &d3t));
    /* Inverse stage 2: E = D conj(T). */
    TSI_RETURN_IF_ERROR(pick(s, p->twl, 0, 0, 3, t3, &t0));
    TSI_RETURN_IF_ERROR(pick(s, p->twl, 0, 1, 3, t3, &t1));
    TSI_RETURN_IF_ERROR(lc_reshape(s, t0, 3, tl, &t0));
    TSI_RETURN_IF_ERROR(lc_reshape(s, t1, 3, tl, &t1));
    TSI_RETURN_IF_ERROR(view(s, wk[1], 3, d3, &pp));
    TSI_RETURN_IF_ERROR(view(s, wk[2], 3, d3, &qq));
    TSI_RETURN_IF_ERROR(ts_binary(TS_MUL, d3t, t0, pp)); /* Dr Tr | Di Ti */
    TSI_RETURN_IF_ERROR(ts_binary(TS_MUL, d3t, t1, qq)); /* Dr Ti | Di Tr */
    int64_t es[4] = {2, n2, rows, n1}, half[3] = {n2, rows, n1};
    ts_tensor *e4, *er, *ei;
    TSI_RETURN_IF_ERROR(view(s, wk[3], 4, es, &e4));
    TSI_RETURN_IF_ERROR(lc_slice(s, pp, 2, 0, n1, 1, &p0));
    TSI_RETURN_IF_ERROR(lc_slice(s, pp, 2, n1, 2 * n1, 1, &p1));
    TSI_RETURN_IF_ERROR(lc_slice(s, qq, 2, 0, n1, 1, &q0));
    TSI_RETURN_IF_ERROR(lc_slice(s, qq, 2, n1, 2 * n1, 1, &q1));
    TSI_RETURN_IF_ERROR(pick(s, e4, 0, 0, 3, half, &er));
    TSI_RETURN_IF_ERROR(pick(s, e4, 0, 1, 3, half, &ei));
    TSI_RETURN_IF_ERROR(ts_binary(TS_ADD, p0, p1, er)); /* Dr Tr + Di Ti */
    TSI_RETURN_IF_ERROR(ts_binary(TS_SUB, q1, q0, ei)); /* Di Tr - Dr Ti */

    /* Inverse stage 1, then blocks back to rows. */
    int64_t e2[2] = {2 * n2, rows * n1}, ys[2] = {p->m2, rows * n1};
    int64_t y4s[4] = {p->m2, cv->b, cv->c, n1}, rs[4] = {cv->b, cv->c, p->m2, n1};
    int64_t r3[3] = {cv->b, cv->c, p->m2 * n1};
    static const int perm[4] = {1, 2, 0, 3};
    ts_tensor *ee, *yv, *yv4, *yp, *yr4;
    TSI_RETURN_IF_ERROR(lc_reshape(s, e4, 2, e2, &ee));
    TSI_RETURN_IF_ERROR(view(s, wk[0], 2, ys, &yv));
    TSI_RETURN_IF_ERROR(ts_matmul(p->w, ee, yv));
    TSI_RETURN_IF_ERROR(lc_reshape(s, yv, 4, y4s, &yv4));
    TSI_RETURN_IF_ERROR(lc_permute(s, yv4, perm, &yp));
    TSI_RETURN_IF_ERROR(lc_new(s, TS_F32, 4, rs, &yr4));
    TSI_RETURN_IF_ERROR(ts_copy(yp, yr4));
    return lc_reshape(s, yr4, 3, r3, y);
}

static ts_status run(lc_temps *s, const lc_conv *cv)
{
    mm_plan p;
    TSI_RETURN_IF_ERROR(plan(s, cv, &p));
    int64_t rows = cv->b * cv->c, work = rows * 2 * p.n;
    ts_tensor *wk[4];
    for (int i = 0; i < 4; i++)
        TSI_RETURN_IF_ERROR(lc_new(s, TS_F32, 1, &work, &wk[i]));
    ts_tensor *k3 = (ts_tensor *)cv->k, *kq, *x, *y3, *y;
    if (!cv->k_batched) {
        int64_t ks[3] = {1, cv->c, cv->lk};
        TSI_RETURN_IF_ERROR(lc_reshape(s, cv->k, 3, ks, &k3));
    }
    TSI_RETURN_IF_ERROR(forward(s, &p, k3, wk, p.gk, &kq));
    TSI_RETURN_IF_ERROR(forward(s, &p, cv->u, wk, p.g, &x));
    TSI_RETURN_IF_ERROR(product_inverse(s, &p, cv, x, kq, wk, &y3));
    TSI_RETURN_IF_ERROR(lc_slice(s, y3, 2, 0, cv->l, 1, &y));
    return lc_finish(s, cv, y, NULL);
}

ts_status lc_fftconv_matmul(const lc_conv *cv)
{
    lc_temps s;
    lc_temps_init(&s, cv->fn, cv->dev);
    ts_status st = run(&s, cv);
    lc_temps_free(&s);
    return st;
}
