/* Validation and dispatch of ts_matmul: batched a[..,M,K] x b[..,K,N] with
 * numpy-broadcast batch dims (stride 0 in the views the backend gets) and
 * strided operands passed through unchanged, so a transpose view costs no
 * copy. */
#include "core/dispatch.h"

TS_API ts_status ts_matmul(const ts_tensor *a, const ts_tensor *b, ts_tensor *out)
{
    static const char fn[] = "ts_matmul";
    char sa[TSI_SHAPE_STR_LEN], sb[TSI_SHAPE_STR_LEN], so[TSI_SHAPE_STR_LEN], sw[TSI_SHAPE_STR_LEN];
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "a", a));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "b", b));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "out", out));
    TSI_RETURN_IF_ERROR(tsi_check_float(fn, "a", a));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "a", a, "b", b));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "a", a, "out", out));
    TSI_CHECK(a->ndim >= 2 && b->ndim >= 2, TS_ERR_SHAPE,
              "%s: operands need at least 2 dims (a is %s, b is %s); reshape a vector to "
              "[1, K] or [K, 1]",
              fn, tsi_shape_str(a->shape, a->ndim, sa), tsi_shape_str(b->shape, b->ndim, sb));
    int64_t pa[4], pb[4], po[4], want[4];
    tsi_pad_shape(a->shape, a->ndim, pa);
    tsi_pad_shape(b->shape, b->ndim, pb);
    TSI_CHECK(pa[3] == pb[2], TS_ERR_SHAPE, "%s: inner dims differ: a is %s, b is %s", fn,
              tsi_shape_str(a->shape, a->ndim, sa), tsi_shape_str(b->shape, b->ndim, sb));
    for (int i = 0; i < 2; i++) {
        TSI_CHECK(pa[i] == pb[i] || pa[i] == 1 || pb[i] == 1, TS_ERR_SHAPE,
                  "%s: batch dims do not broadcast: a is %s, b is %s", fn,
                  tsi_shape_str(a->shape, a->ndim, sa), tsi_shape_str(b->shape, b->ndim, sb));
        want[i] = pa[i] == 1 ? pb[i] : pa[i];
    }
    want[2] = pa[2];
    want[3] = pb[3];
    int ndim = a->ndim > b->ndim ? a->ndim : b->ndim;
    tsi_pad_shape(out->shape, out->ndim, po);
    bool same = out->ndim == ndim;
    for (int i = 0; i < 4; i++)
        same = same && po[i] == want[i];
    TSI_CHECK(same, TS_ERR_SHAPE, "%s: out is %s, expected %s for a %s and b %s", fn,
              tsi_shape_str(out->shape, out->ndim, so), tsi_shape_str(want + 4 - ndim, ndim, sw),
              tsi_shape_str(a->shape, a->ndim, sa), tsi_shape_str(b->shape, b->ndim, sb));
    const ts_tensor *all[] = {a, b, out};
    TSI_RETURN_IF_ERROR(tsi_check_devices(fn, all, 3));
    TSI_RETURN_IF_ERROR(tsi_check_output(fn, "out", out, all, 2));
    TSI_RETURN_IF_ERROR(tsi_check_contiguous_output(fn, "out", out));
    if (tsi_numel(out->shape, out->ndim) == 0)
        return TS_OK;

    tsi_dispatch d = {.fn = fn, .hook = "matmul", .dev = a->st->dev};
    d.op.code = TSI_OP_MATMUL;
    d.op.n_in = 2;
    d.op.n_out = 1;
    tsi_view_of(out, &d.op.out[0]);
    if (pa[3] == 0) {
        /* An empty sum: the product is all zeros and there is nothing to read. */
        return tsi_dispatch_zero(&d);
    }
    int64_t sha[4] = {want[0], want[1], pa[2], pa[3]}, shb[4] = {want[0], want[1], pb[2], pb[3]};
    tsi_view_broadcast(a, sha, &d.op.in[0]);
    tsi_view_broadcast(b, shb, &d.op.in[1]);
    return tsi_dispatch_run(&d);
}
