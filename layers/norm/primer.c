/* Primer (So et al. 2021) blocks: the squared-ReLU FFN and the
 * multi-dconv-head projection (a causal depthwise width-3 convolution along
 * the sequence after each of the Q, K and V projections). Op set v1 has no
 * matmul epilogue, so relu^2 is its own elementwise pass (TS_RELU2, one op
 * for bias-free FFNs) between the two GEMMs; the dconv is ts_conv1d_causal
 * with K = 3 and no bias. */
#include "layers/norm/norm_compose.h"

#define PRIMER_DCONV_WIDTH 3

TS_API ts_status ts_primer_ffn(const ts_tensor *x, const ts_tensor *w1, const ts_tensor *b1,
                               const ts_tensor *w2, const ts_tensor *b2, ts_tensor *out)
{
    tsi_nc_ffn f = {.x = x, .w1 = w1, .b1 = b1, .act = TS_RELU2, .w2 = w2, .b2 = b2, .out = out};
    return tsi_nc_ffn_run("ts_primer_ffn", &f);
}

/* x [B, L, D] or [L, D], w [D, C], dconv [C, 3], out like x with C last. */
static ts_status check_dconv_projection(const char *fn, const char *wname, const char *dname,
                                        const char *oname, const ts_tensor *x, const ts_tensor *w,
                                        const ts_tensor *dconv, const ts_tensor *out)
{
    char s1[TSI_SHAPE_STR_LEN];
    int64_t c = 0, width = 0;
    TSI_RETURN_IF_ERROR(tsi_nc_check_linear(fn, "x", x, wname, w, NULL, NULL, &c));
    TSI_CHECK(x->ndim == 2 || x->ndim == 3, TS_ERR_SHAPE,
              "%s: x must be [B, L, D] or [L, D], not %s", fn,
              tsi_shape_str(x->shape, x->ndim, s1));
    TSI_RETURN_IF_ERROR(
        tsi_nc_check_weight(fn, x->dtype, x->st->dev, c, dname, dconv, NULL, NULL, &width));
    TSI_CHECK(width == PRIMER_DCONV_WIDTH, TS_ERR_SHAPE,
              "%s: %s is %s, expected [%lld, %d] (one width-%d filter per channel)", fn, dname,
              tsi_shape_str(dconv->shape, dconv->ndim, s1), (long long)c, PRIMER_DCONV_WIDTH,
              PRIMER_DCONV_WIDTH);
    const ts_tensor *ins[] = {x, w, dconv};
    return tsi_nc_check_output(fn, oname, out, x, c, ins, 3);
}

static ts_status run_dconv_projection(const char *fn, const ts_tensor *x, const ts_tensor *w,
                                      const ts_tensor *dconv, ts_tensor *out)
{
    ts_tensor *p = NULL;
    TSI_RETURN_IF_ERROR(tsi_nc_temp(fn, x, w->shape[1], &p));
    ts_status st = ts_matmul(x, w, p);
    if (st == TS_OK)
        st = ts_conv1d_causal(p, dconv, NULL, out);
    ts_tensor_destroy(p);
    return st;
}

TS_API ts_status ts_primer_dconv_projection(const ts_tensor *x, const ts_tensor *w,
                                            const ts_tensor *dconv, ts_tensor *out)
{
    static const char fn[] = "ts_primer_dconv_projection";
    TSI_RETURN_IF_ERROR(check_dconv_projection(fn, "w", "dconv", "out", x, w, dconv, out));
    return run_dconv_projection(fn, x, w, dconv, out);
}

TS_API ts_status ts_primer_mdha_qkv(const ts_tensor *x, const ts_tensor *wq, const ts_tensor *wk,
                                    const ts_tensor *wv, const ts_tensor *dconv_q,
                                    const ts_tensor *dconv_k, const ts_tensor *dconv_v,
                                    ts_tensor *q, ts_tensor *k, ts_tensor *v)
{
    static const char fn[] = "ts_primer_mdha_qkv";
    static const char *const names[3][3] = {
        {"wq", "dconv_q", "q"}, {"wk", "dconv_k", "k"}, {"wv", "dconv_v", "v"}};
    const ts_tensor *ws[3] = {wq, wk, wv}, *ds[3] = {dconv_q, dconv_k, dconv_v};
    ts_tensor *outs[3] = {q, k, v};
    for (int i = 0; i < 3; i++)
        TSI_RETURN_IF_ERROR(check_dconv_projection(fn, names[i][0], names[i][1], names[i][2], x,
                                                   ws[i], ds[i], outs[i]));
    /* Each output must also stay clear of the other two and their inputs. */
    const ts_tensor *all[] = {x, wq, wk, wv, dconv_q, dconv_k, dconv_v, q, k};
    for (int i = 0; i < 3; i++)
        TSI_RETURN_IF_ERROR(tsi_check_output(fn, names[i][2], outs[i], all, 7 + i));
    for (int i = 0; i < 3; i++)
        TSI_RETURN_IF_ERROR(run_dconv_projection(fn, x, ws[i], ds[i], outs[i]));
    return TS_OK;
}
