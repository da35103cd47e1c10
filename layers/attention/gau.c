/* GAU and mixed-chunk attention (FLASH, "Transformer Quality in Linear
 * Time"), composed of public ops only, so every backend runs them:
 *   xn = LayerNorm(x); [U | V | Z] = SiLU(xn.w_in + b_in);
 *   Q_r = Z*gamma[r] + beta[r]; out = (U * attn(V)).w_out + x.
 * ts_gau's attn is the quadratic relu^2(Q0.K1^T/n + bias).V; ts_flash's
 * splits the sequence into chunks of C: quadratic relu^2 inside a chunk,
 * linear Q2.(sum K3^T.V)/n across chunks. The linear part's 1/n is our
 * convention (LAYERS.md leaves it open): it keeps both parts averages, so
 * neither dominates as n grows. The cross-chunk sum is one matmul with a
 * G x G matrix of ones (all chunks) or a strictly lower one (causal: the
 * exclusive prefix sum over earlier chunks). */
#include <math.h>
#include <stdlib.h>

#include "core/layer_api.h"

#define MAX_TEMPS 96

typedef struct gau_ctx {
    const char *fn;
    ts_device *dev;
    ts_dtype dt;
    int64_t b, n, d, e, s;
    ts_tensor *t[MAX_TEMPS];
    int nt;
} gau_ctx;

static ts_status keep(gau_ctx *g, ts_status st, ts_tensor **tp)
{
    if (st != TS_OK)
        return st;
    ts_tensor *t = *tp;
    if (g->nt == MAX_TEMPS) {
        ts_tensor_destroy(t);
        return tsi_fail(TS_ERR_INTERNAL, "%s: too many temporaries", g->fn);
    }
    g->t[g->nt++] = t;
    return TS_OK;
}

static ts_status tensor(gau_ctx *g, int nd, const int64_t *shape, ts_tensor **out)
{
    return keep(g, ts_tensor_create(g->dev, g->dt, nd, shape, out), out);
}

static ts_status slice(gau_ctx *g, const ts_tensor *t, int dim, int64_t a, int64_t z,
                       ts_tensor **out)
{
    return keep(g, ts_tensor_slice(t, dim, a, z, 1, out), out);
}

static ts_status reshape(gau_ctx *g, const ts_tensor *t, int nd, const int64_t *shape,
                         ts_tensor **out)
{
    return keep(g, ts_tensor_reshape(t, nd, shape, out), out);
}

static ts_status transpose(gau_ctx *g, const ts_tensor *t, ts_tensor **out)
{
    int nd = ts_tensor_ndim(t);
    return keep(g, ts_tensor_transpose(t, nd - 2, nd - 1, out), out);
}

/* An r x c matrix in g->dt with m[i][j] = 1 where keep(i, j), else 0:
 * kind 0 all ones, 1 lower triangle with the diagonal, 2 strictly lower. */
static ts_status mask_matrix(gau_ctx *g, int64_t r, int64_t c, int kind, ts_tensor **out)
{
    int64_t shape[2] = {r, c};
    ts_tensor *f;
    TSI_RETURN_IF_ERROR(keep(g, ts_tensor_create(g->dev, TS_F32, 2, shape, &f), &f));
    float *h = malloc((size_t)(r * c) * sizeof *h);
    TSI_CHECK(h, TS_ERR_OUT_OF_MEMORY, "%s: no memory for a %lldx%lld mask", g->fn,
              (long long)r, (long long)c);
    for (int64_t i = 0; i < r; i++)
        for (int64_t j = 0; j < c; j++)
            h[i * c + j] = kind == 0 || (kind == 1 && j <= i) || (kind == 2 && j < i);
    ts_status st = ts_tensor_write(f, h, (size_t)(r * c) * sizeof *h);
    free(h);
    TSI_RETURN_IF_ERROR(st);
    TSI_RETURN_IF_ERROR(tensor(g, 2, shape, out));
    return ts_cast(f, *out);
}

/* ---- validation ------------------------------------------------------------ */

static ts_status check_vec(gau_ctx *g, const char *what, const ts_tensor *t, int64_t n)
{
    char s[TSI_SHAPE_STR_LEN];
    TSI_RETURN_IF_ERROR(tsi_check_dtype(g->fn, what, t, g->dt));
    TSI_CHECK(t->ndim == 1 && t->shape[0] == n, TS_ERR_SHAPE, "%s: %s is %s, expected [%lld]",
              g->fn, what, tsi_shape_str(t->shape, t->ndim, s), (long long)n);
    return TS_OK;
}

static ts_status check_mat(gau_ctx *g, const char *what, const ts_tensor *t, int64_t r, int64_t c)
{
    char s[TSI_SHAPE_STR_LEN];
    TSI_RETURN_IF_ERROR(tsi_check_tensor(g->fn, what, t));
    TSI_RETURN_IF_ERROR(tsi_check_dtype(g->fn, what, t, g->dt));
    TSI_CHECK(t->ndim == 2 && (r < 0 || t->shape[0] == r) && (c < 0 || t->shape[1] == c),
              TS_ERR_SHAPE, "%s: %s is %s, expected [%lld, %lld]", g->fn, what,
              tsi_shape_str(t->shape, t->ndim, s), (long long)r, (long long)c);
    return TS_OK;
}

static ts_status check_args(gau_ctx *g, const ts_tensor *x, const ts_gau_weights *w,
                            const ts_gau_params *p, int rows, ts_tensor *out)
{
    char s[TSI_SHAPE_STR_LEN];
    TSI_RETURN_IF_ERROR(tsi_check_tensor(g->fn, "x", x));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(g->fn, "out", out));
    TSI_CHECK(w, TS_ERR_INVALID_ARGUMENT, "%s: weights is NULL", g->fn);
    TSI_RETURN_IF_ERROR(tsi_check_float(g->fn, "x", x));
    TSI_CHECK(x->ndim == 3, TS_ERR_SHAPE, "%s: x is %s, expected [B, n, d]", g->fn,
              tsi_shape_str(x->shape, x->ndim, s));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(g->fn, "x", x, "out", out));
    TSI_RETURN_IF_ERROR(tsi_check_same_shape(g->fn, "x", x, "out", out));
    g->dt = x->dtype;
    g->b = x->shape[0];
    g->n = x->shape[1];
    g->d = x->shape[2];
    TSI_RETURN_IF_ERROR(check_mat(g, "w_out", w->w_out, -1, g->d));
    g->e = w->w_out->shape[0];
    TSI_RETURN_IF_ERROR(check_mat(g, "w_in", w->w_in, g->d, -1));
    g->s = w->w_in->shape[1] - 2 * g->e;
    TSI_CHECK(g->e >= 1 && g->s >= 1, TS_ERR_SHAPE,
              "%s: w_in has %lld columns, must be 2e + s with e = %lld (from w_out) and s >= 1",
              g->fn, (long long)w->w_in->shape[1], (long long)g->e);
    TSI_RETURN_IF_ERROR(check_mat(g, "gamma", w->gamma, rows, g->s));
    TSI_RETURN_IF_ERROR(check_mat(g, "beta", w->beta, rows, g->s));
    if (w->b_in)
        TSI_RETURN_IF_ERROR(check_vec(g, "b_in", w->b_in, 2 * g->e + g->s));
    if (w->norm_weight)
        TSI_RETURN_IF_ERROR(check_vec(g, "norm_weight", w->norm_weight, g->d));
    if (w->norm_bias)
        TSI_RETURN_IF_ERROR(check_vec(g, "norm_bias", w->norm_bias, g->d));
    TSI_CHECK(p->norm_eps >= 0.0f && isfinite(p->norm_eps), TS_ERR_INVALID_ARGUMENT,
              "%s: norm_eps must be finite and >= 0, not %g", g->fn, (double)p->norm_eps);
    TSI_CHECK(p->chunk >= 0, TS_ERR_INVALID_ARGUMENT, "%s: chunk is %lld, must be >= 0", g->fn,
              (long long)p->chunk);
    if (p->bias)
        TSI_RETURN_IF_ERROR(tsi_check_same_dtype(g->fn, "x", x, "bias", p->bias));
    const ts_tensor *all[] = {x,       w->norm_weight, w->norm_bias, w->w_in, w->b_in,
                              w->gamma, w->beta,        w->w_out,     p->bias, out};
    TSI_RETURN_IF_ERROR(tsi_check_devices(g->fn, all, 10));
    TSI_RETURN_IF_ERROR(tsi_check_output(g->fn, "out", out, all, 9));
    TSI_RETURN_IF_ERROR(tsi_check_contiguous_output(g->fn, "out", out));
    g->dev = x->st->dev;
    return TS_OK;
}

/* ---- shared steps ---------------------------------------------------------- */

/* U, V, Z views of SiLU(LayerNorm(x).w_in + b_in). */
static ts_status projections(gau_ctx *g, const ts_tensor *x, const ts_gau_weights *w, float eps,
                             ts_tensor **u, ts_tensor **v, ts_tensor **z)
{
    int64_t xs[3] = {g->b, g->n, g->d}, hs[3] = {g->b, g->n, 2 * g->e + g->s};
    ts_tensor *xn, *h, *hb, *a;
    TSI_RETURN_IF_ERROR(tensor(g, 3, xs, &xn));
    TSI_RETURN_IF_ERROR(ts_layer_norm(x, w->norm_weight, w->norm_bias, eps, xn));
    TSI_RETURN_IF_ERROR(tensor(g, 3, hs, &h));
    TSI_RETURN_IF_ERROR(ts_matmul(xn, w->w_in, h));
    if (w->b_in) {
        TSI_RETURN_IF_ERROR(tensor(g, 3, hs, &hb));
        TSI_RETURN_IF_ERROR(ts_binary(TS_ADD, h, w->b_in, hb));
        h = hb;
    }
    TSI_RETURN_IF_ERROR(tensor(g, 3, hs, &a));
    TSI_RETURN_IF_ERROR(ts_unary(TS_SILU, h, a));
    TSI_RETURN_IF_ERROR(slice(g, a, 2, 0, g->e, u));
    TSI_RETURN_IF_ERROR(slice(g, a, 2, g->e, 2 * g->e, v));
    return slice(g, a, 2, 2 * g->e, 2 * g->e + g->s, z);
}

/* dst (any writable [B, n, s] view) = z * gamma[row] + beta[row]. */
static ts_status scale_offset(gau_ctx *g, const ts_tensor *z, const ts_gau_weights *w, int row,
                              ts_tensor *dst)
{
    int64_t zs[3] = {g->b, g->n, g->s};
    ts_tensor *gr, *br, *zg;
    TSI_RETURN_IF_ERROR(slice(g, w->gamma, 0, row, row + 1, &gr));
    TSI_RETURN_IF_ERROR(slice(g, w->beta, 0, row, row + 1, &br));
    TSI_RETURN_IF_ERROR(tensor(g, 3, zs, &zg));
    TSI_RETURN_IF_ERROR(ts_binary(TS_MUL, z, gr, zg));
    return ts_binary(TS_ADD, zg, br, dst);
}

/* out = (u * av).w_out + x */
static ts_status output(gau_ctx *g, const ts_tensor *u, const ts_tensor *av,
                        const ts_tensor *x, const ts_gau_weights *w, ts_tensor *out)
{
    int64_t us[3] = {g->b, g->n, g->e}, xs[3] = {g->b, g->n, g->d};
    ts_tensor *uav, *o;
    TSI_RETURN_IF_ERROR(tensor(g, 3, us, &uav));
    TSI_RETURN_IF_ERROR(ts_binary(TS_MUL, u, av, uav));
    TSI_RETURN_IF_ERROR(tensor(g, 3, xs, &o));
    TSI_RETURN_IF_ERROR(ts_matmul(uav, w->w_out, o));
    return ts_binary(TS_ADD, o, x, out);
}

/* relu^2(scale * qk (+ bias)) (* tri), all [.., r, c]. */
static ts_status relu2_kernel(gau_ctx *g, const ts_tensor *qk, float scale, const ts_tensor *bias,
                              const ts_tensor *tri, ts_tensor **out)
{
    int nd = ts_tensor_ndim(qk);
    int64_t shape[4];
    TSI_RETURN_IF_ERROR(ts_tensor_shape(qk, shape));
    ts_tensor *a, *ab, *r;
    TSI_RETURN_IF_ERROR(tensor(g, nd, shape, &a));
    TSI_RETURN_IF_ERROR(ts_scale_shift(qk, scale, 0.0f, a));
    if (bias) {
        TSI_RETURN_IF_ERROR(tensor(g, nd, shape, &ab));
        TSI_RETURN_IF_ERROR(ts_binary(TS_ADD, a, bias, ab));
        a = ab;
    }
    TSI_RETURN_IF_ERROR(tensor(g, nd, shape, &r));
    TSI_RETURN_IF_ERROR(ts_unary(TS_RELU2, a, r));
    if (!tri) {
        *out = r;
        return TS_OK;
    }
    TSI_RETURN_IF_ERROR(tensor(g, nd, shape, out));
    return ts_binary(TS_MUL, r, tri, *out);
}

static void release(gau_ctx *g)
{
    for (int i = g->nt - 1; i >= 0; i--)
        ts_tensor_destroy(g->t[i]);
    g->nt = 0;
}

/* ---- GAU --------------------------------------------------------------------- */

static ts_status gau_run(gau_ctx *g, const ts_tensor *x, const ts_gau_weights *w,
                         const ts_gau_params *p, ts_tensor *out)
{
    ts_tensor *u, *v, *z, *q, *k, *kt, *qk, *a, *av, *tri = NULL;
    float eps = p->norm_eps > 0.0f ? p->norm_eps : 1e-5f;
    TSI_RETURN_IF_ERROR(projections(g, x, w, eps, &u, &v, &z));
    int64_t zs[3] = {g->b, g->n, g->s}, as[3] = {g->b, g->n, g->n}, vs[3] = {g->b, g->n, g->e};
    TSI_RETURN_IF_ERROR(tensor(g, 3, zs, &q));
    TSI_RETURN_IF_ERROR(scale_offset(g, z, w, 0, q));
    TSI_RETURN_IF_ERROR(tensor(g, 3, zs, &k));
    TSI_RETURN_IF_ERROR(scale_offset(g, z, w, 1, k));
    TSI_RETURN_IF_ERROR(transpose(g, k, &kt));
    TSI_RETURN_IF_ERROR(tensor(g, 3, as, &qk));
    TSI_RETURN_IF_ERROR(ts_matmul(q, kt, qk));
    if (p->causal)
        TSI_RETURN_IF_ERROR(mask_matrix(g, g->n, g->n, 1, &tri));
    TSI_RETURN_IF_ERROR(relu2_kernel(g, qk, 1.0f / (float)g->n, p->bias, tri, &a));
    TSI_RETURN_IF_ERROR(tensor(g, 3, vs, &av));
    TSI_RETURN_IF_ERROR(ts_matmul(a, v, av));
    return output(g, u, av, x, w, out);
}

TS_API ts_status ts_gau(const ts_tensor *x, const ts_gau_weights *w, const ts_gau_params *params,
                        ts_tensor *out)
{
    gau_ctx g = {.fn = "ts_gau"};
    ts_gau_params defaults = {0};
    const ts_gau_params *p = params ? params : &defaults;
    TSI_RETURN_IF_ERROR(check_args(&g, x, w, p, 2, out));
    if (p->bias) {
        int64_t want[3] = {g.b, g.n, g.n};
        const ts_tensor *bias = p->bias;
        bool ok = bias->ndim >= 1 && bias->ndim <= 3;
        for (int i = 0; ok && i < bias->ndim; i++) {
            int64_t dim = bias->shape[bias->ndim - 1 - i];
            ok = dim == want[2 - i] || dim == 1;
        }
        char s[TSI_SHAPE_STR_LEN];
        TSI_CHECK(ok, TS_ERR_SHAPE, "%s: bias %s does not broadcast to [B, n, n] = [%lld, %lld, %lld]",
                  g.fn, tsi_shape_str(bias->shape, bias->ndim, s), (long long)g.b, (long long)g.n,
                  (long long)g.n);
    }
    if (tsi_numel(out->shape, out->ndim) == 0)
        return TS_OK;
    ts_status st = gau_run(&g, x, w, p, out);
    release(&g);
    return st;
}

/* ---- FLASH mixed-chunk ------------------------------------------------------- */

/* Zero-filled [B, N, c]: rows past n stay zero, so padded keys add nothing. */
static ts_status padded(gau_ctx *g, int64_t rows, int64_t c, ts_tensor **out)
{
    int64_t shape[3] = {g->b, rows, c};
    TSI_RETURN_IF_ERROR(tensor(g, 3, shape, out));
    size_t bytes = (size_t)(g->b * rows * c) * ts_dtype_size(g->dt);
    void *zeros = calloc(bytes ? bytes : 1, 1);
    TSI_CHECK(zeros, TS_ERR_OUT_OF_MEMORY, "%s: no memory for padding", g->fn);
    ts_status st = ts_tensor_write(*out, zeros, bytes);
    free(zeros);
    return st;
}

/* t [B, N, c] as [B, G, C, c]. */
static ts_status chunked(gau_ctx *g, const ts_tensor *t, int64_t nc, int64_t c, ts_tensor **out)
{
    int64_t shape[4] = {g->b, nc, ts_tensor_dim(t, 1) / nc, c};
    return reshape(g, t, 4, shape, out);
}

static ts_status flash_run(gau_ctx *g, const ts_tensor *x, const ts_gau_weights *w,
                           const ts_gau_params *p, ts_tensor *out)
{
    int64_t c = p->chunk > 0 ? p->chunk : 256;
    if (c > g->n)
        c = g->n;
    int64_t nc = (g->n + c - 1) / c, np = nc * c, s = g->s, e = g->e;
    float eps = p->norm_eps > 0.0f ? p->norm_eps : 1e-5f;
    ts_tensor *u, *v, *z, *qk4[4], *vp, *dst, *vdst;
    TSI_RETURN_IF_ERROR(projections(g, x, w, eps, &u, &v, &z));
    for (int r = 0; r < 4; r++) {
        ts_tensor *full;
        TSI_RETURN_IF_ERROR(padded(g, np, s, &full));
        TSI_RETURN_IF_ERROR(slice(g, full, 1, 0, g->n, &dst));
        TSI_RETURN_IF_ERROR(scale_offset(g, z, w, r, dst));
        TSI_RETURN_IF_ERROR(chunked(g, full, nc, s, &qk4[r]));
    }
    TSI_RETURN_IF_ERROR(padded(g, np, e, &vp));
    TSI_RETURN_IF_ERROR(slice(g, vp, 1, 0, g->n, &vdst));
    TSI_RETURN_IF_ERROR(ts_copy(v, vdst));
    ts_tensor *vg, *kt, *qk, *a, *quad, *tri = NULL;
    TSI_RETURN_IF_ERROR(chunked(g, vp, nc, e, &vg));

    /* Quadratic part inside each chunk. */
    int64_t qks[4] = {g->b, nc, c, c}, os[4] = {g->b, nc, c, e};
    TSI_RETURN_IF_ERROR(transpose(g, qk4[1], &kt));
    TSI_RETURN_IF_ERROR(tensor(g, 4, qks, &qk));
    TSI_RETURN_IF_ERROR(ts_matmul(qk4[0], kt, qk));
    if (p->causal)
        TSI_RETURN_IF_ERROR(mask_matrix(g, c, c, 1, &tri));
    TSI_RETURN_IF_ERROR(relu2_kernel(g, qk, 1.0f / (float)c, NULL, tri, &a));
    TSI_RETURN_IF_ERROR(tensor(g, 4, os, &quad));
    TSI_RETURN_IF_ERROR(ts_matmul(a, vg, quad));

    /* Linear part across chunks: per-chunk K3^T.V, mixed over chunks. */
    ts_tensor *k3t, *kv, *kv3, *mix, *kvc, *kvc3, *lin, *lins, *sum, *sum3, *av;
    int64_t kvs[4] = {g->b, nc, s, e}, kv3s[3] = {g->b, nc, s * e};
    TSI_RETURN_IF_ERROR(transpose(g, qk4[3], &k3t));
    TSI_RETURN_IF_ERROR(tensor(g, 4, kvs, &kv));
    TSI_RETURN_IF_ERROR(ts_matmul(k3t, vg, kv));
    TSI_RETURN_IF_ERROR(reshape(g, kv, 3, kv3s, &kv3));
    TSI_RETURN_IF_ERROR(mask_matrix(g, nc, nc, p->causal ? 2 : 0, &mix));
    TSI_RETURN_IF_ERROR(tensor(g, 3, kv3s, &kvc));
    TSI_RETURN_IF_ERROR(ts_matmul(mix, kv3, kvc));
    TSI_RETURN_IF_ERROR(reshape(g, kvc, 4, kvs, &kvc3));
    TSI_RETURN_IF_ERROR(tensor(g, 4, os, &lin));
    TSI_RETURN_IF_ERROR(ts_matmul(qk4[2], kvc3, lin));
    TSI_RETURN_IF_ERROR(tensor(g, 4, os, &lins));
    TSI_RETURN_IF_ERROR(ts_scale_shift(lin, 1.0f / (float)g->n, 0.0f, lins));
    TSI_RETURN_IF_ERROR(tensor(g, 4, os, &sum));
    TSI_RETURN_IF_ERROR(ts_binary(TS_ADD, quad, lins, sum));

    int64_t ps[3] = {g->b, np, e};
    TSI_RETURN_IF_ERROR(reshape(g, sum, 3, ps, &sum3));
    TSI_RETURN_IF_ERROR(slice(g, sum3, 1, 0, g->n, &av));
    return output(g, u, av, x, w, out);
}

TS_API ts_status ts_flash(const ts_tensor *x, const ts_gau_weights *w,
                          const ts_gau_params *params, ts_tensor *out)
{
    gau_ctx g = {.fn = "ts_flash"};
    ts_gau_params defaults = {0};
    const ts_gau_params *p = params ? params : &defaults;
    TSI_RETURN_IF_ERROR(check_args(&g, x, w, p, 4, out));
    TSI_CHECK(!p->bias, TS_ERR_INVALID_ARGUMENT,
              "%s: bias is for ts_gau; the mixed-chunk form takes none", g.fn);
    if (tsi_numel(out->shape, out->ndim) == 0)
        return TS_OK;
    ts_status st = flash_run(&g, x, w, p, out);
    release(&g);
    return st;
}
