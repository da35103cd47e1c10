/* Sub-LN (Magneto) placement helpers: the extra LayerNorm sits in front of
 * the attention output projection and in front of the FFN's second linear,
 * inside the pre-LN sublayer. Both are composed from norm, matmul and
 * elementwise ops (norm_compose.c), so they run wherever those do. */
#include <math.h>

#include "core/layer_api.h"
#include "layers/norm/norm_compose.h"

TS_API ts_status ts_subln_attention_output(const ts_tensor *attn, const ts_tensor *ln_weight,
                                           const ts_tensor *ln_bias, float eps,
                                           const ts_tensor *w_out, const ts_tensor *b_out,
                                           ts_tensor *out)
{
    static const char fn[] = "ts_subln_attention_output";
    int64_t n = 0;
    TSI_RETURN_IF_ERROR(tsi_nc_check_linear(fn, "attn", attn, "w_out", w_out, "b_out", b_out, &n));
    int64_t d = attn->shape[attn->ndim - 1];
    TSI_RETURN_IF_ERROR(
        tsi_nc_check_vector(fn, "ln_weight", ln_weight, attn->dtype, attn->st->dev, d));
    TSI_RETURN_IF_ERROR(tsi_nc_check_vector(fn, "ln_bias", ln_bias, attn->dtype, attn->st->dev, d));
    TSI_CHECK(eps > 0.0f && isfinite(eps), TS_ERR_INVALID_ARGUMENT,
              "%s: eps must be a finite value > 0, not %g", fn, (double)eps);
    const ts_tensor *ins[] = {attn, ln_weight, ln_bias, w_out, b_out};
    TSI_RETURN_IF_ERROR(tsi_nc_check_output(fn, "out", out, attn, n, ins, 5));

    ts_tensor *normed = NULL;
    TSI_RETURN_IF_ERROR(tsi_nc_temp(fn, attn, d, &normed));
    ts_status st = tsi_norm_named(fn, NULL, TSI_NORM_LAYER, attn, NULL, 1.0f, ln_weight, ln_bias,
                                  eps, normed, NULL);
    if (st == TS_OK)
        st = tsi_nc_linear(fn, normed, w_out, b_out, out);
    ts_tensor_destroy(normed);
    return st;
}

TS_API ts_status ts_subln_ffn(const ts_tensor *x, const ts_tensor *w1, const ts_tensor *b1,
                              ts_unary_op act, const ts_tensor *ln_weight, const ts_tensor *ln_bias,
                              float eps, const ts_tensor *w2, const ts_tensor *b2, ts_tensor *out)
{
    tsi_nc_ffn f = {.x = x,
                    .w1 = w1,
                    .b1 = b1,
                    .act = act,
                    .with_ln = 1,
                    .ln_weight = ln_weight,
                    .ln_bias = ln_bias,
                    .eps = eps,
                    .w2 = w2,
                    .b2 = b2,
                    .out = out};
    return tsi_nc_ffn_run("ts_subln_ffn", &f);
}
