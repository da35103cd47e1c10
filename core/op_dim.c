/* The row ops along any dim (ts_softmax_dim, ts_reduce_dim, ts_argmax_dim,
 * ts_topk_dim) and ts_gather along any dim. The caller copies nothing;
 * core composes them from the last-dim ops: x viewed with `dim` swapped
 * to the end (dispatch.c copies that strided view into a contiguous
 * temporary, as for any strided row-op input), the op into a contiguous
 * temporary, and a ts_copy of the temporary, swapped back, into out. That
 * costs one extra pass over the input and the output; dim == last (and,
 * for ts_gather, dim == 0) runs the op directly with no temporary. */
#include "core/dispatch.h"

static ts_status norm_dim(const char *fn, const ts_tensor *x, int dim, int *out)
{
    TSI_CHECK(dim >= -x->ndim && dim < x->ndim, TS_ERR_INVALID_ARGUMENT,
              "%s: dim %d is out of range for %d dims", fn, dim, x->ndim);
    *out = dim < 0 ? dim + x->ndim : dim;
    return TS_OK;
}

/* out must be x's shape with dim d replaced by `len`; out any writable view. */
static ts_status check_dim_output(const char *fn, const char *what, const ts_tensor *x, int d,
                                  int64_t len, const ts_tensor *out, const ts_tensor *const *ins,
                                  int n_in)
{
    int64_t want[TS_MAX_DIMS];
    for (int i = 0; i < x->ndim; i++)
        want[i] = i == d ? len : x->shape[i];
    bool same = out->ndim == x->ndim;
    for (int i = 0; same && i < x->ndim; i++)
        same = out->shape[i] == want[i];
    char so[TSI_SHAPE_STR_LEN], sw[TSI_SHAPE_STR_LEN];
    TSI_CHECK(same, TS_ERR_SHAPE, "%s: %s is %s, expected %s", fn, what,
              tsi_shape_str(out->shape, out->ndim, so), tsi_shape_str(want, x->ndim, sw));
    return tsi_check_output(fn, what, out, ins, n_in);
}

/* The temporaries of one composed call. */
typedef struct dim_run {
    ts_tensor *xt;     /* x with dims a and b swapped (a view) */
    ts_tensor *tmp[2]; /* contiguous results in the swapped layout */
    ts_tensor *back;   /* tmp[i] swapped back (a view), reused per output */
} dim_run;

static void dim_free(dim_run *r)
{
    ts_tensor_destroy(r->xt);
    ts_tensor_destroy(r->tmp[0]);
    ts_tensor_destroy(r->tmp[1]);
    ts_tensor_destroy(r->back);
    *r = (dim_run){0};
}

/* xt = x with dims a and b swapped; tmp[i] shaped like outs[i] swapped. */
static ts_status dim_begin(const ts_tensor *x, int a, int b, ts_tensor *const *outs, int n_out,
                           dim_run *r)
{
    *r = (dim_run){0};
    ts_status st = ts_tensor_transpose(x, a, b, &r->xt);
    for (int i = 0; i < n_out && st == TS_OK; i++) {
        int64_t shape[TS_MAX_DIMS];
        for (int j = 0; j < outs[i]->ndim; j++)
            shape[j] = outs[i]->shape[j];
        int64_t t = shape[a];
        shape[a] = shape[b];
        shape[b] = t;
        st = ts_tensor_create(x->st->dev, outs[i]->dtype, outs[i]->ndim, shape, &r->tmp[i]);
    }
    if (st != TS_OK)
        dim_free(r);
    return st;
}

/* After the op ran with status st: each tmp[i], swapped back, into outs[i]. */
static ts_status dim_end(ts_status st, int a, int b, ts_tensor *const *outs, int n_out, dim_run *r)
{
    for (int i = 0; i < n_out && st == TS_OK; i++) {
        ts_tensor_destroy(r->back);
        r->back = NULL;
        st = ts_tensor_transpose(r->tmp[i], a, b, &r->back);
        if (st == TS_OK)
            st = ts_copy(r->back, outs[i]);
    }
    dim_free(r);
    return st;
}

static bool any_empty(const ts_tensor *t)
{
    return tsi_numel(t->shape, t->ndim) == 0;
}

TS_API ts_status ts_softmax_dim(const ts_tensor *x, int dim, float scale, ts_tensor *out)
{
    static const char fn[] = "ts_softmax_dim";
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "x", x));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "out", out));
    int d = 0;
    TSI_RETURN_IF_ERROR(norm_dim(fn, x, dim, &d));
    TSI_RETURN_IF_ERROR(tsi_check_float(fn, "x", x));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "x", x, "out", out));
    TSI_RETURN_IF_ERROR(tsi_check_finite(fn, "scale", scale));
    const ts_tensor *all[] = {x, out};
    TSI_RETURN_IF_ERROR(tsi_check_devices(fn, all, 2));
    TSI_RETURN_IF_ERROR(check_dim_output(fn, "out", x, d, x->shape[d], out, all, 1));
    if (d == x->ndim - 1 && tsi_strides_contiguous(out->shape, out->stride, out->ndim))
        return ts_softmax(x, scale, 0, out);
    if (any_empty(out))
        return TS_OK;
    dim_run r = {0};
    TSI_RETURN_IF_ERROR(dim_begin(x, d, x->ndim - 1, &out, 1, &r));
    return dim_end(ts_softmax(r.xt, scale, 0, r.tmp[0]), d, x->ndim - 1, &out, 1, &r);
}

/* Shared by reduce and argmax: one output, dim d shrunk to 1. */
static ts_status reduce_dim(const char *fn, int op, const ts_tensor *x, int dim, ts_tensor *out)
{
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "x", x));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "out", out));
    int d = 0;
    TSI_RETURN_IF_ERROR(norm_dim(fn, x, dim, &d));
    const ts_tensor *all[] = {x, out};
    TSI_RETURN_IF_ERROR(tsi_check_devices(fn, all, 2));
    TSI_RETURN_IF_ERROR(check_dim_output(fn, "out", x, d, 1, out, all, 1));
    bool direct = d == x->ndim - 1 && tsi_strides_contiguous(out->shape, out->stride, out->ndim);
    dim_run r = {0};
    if (!direct) {
        if (any_empty(out))
            return TS_OK;
        TSI_RETURN_IF_ERROR(dim_begin(x, d, x->ndim - 1, &out, 1, &r));
    }
    const ts_tensor *src = direct ? x : r.xt;
    ts_tensor *dst = direct ? out : r.tmp[0];
    ts_status st = op < 0 ? ts_argmax(src, dst) : ts_reduce((ts_reduce_op)op, src, dst);
    return direct ? st : dim_end(st, d, x->ndim - 1, &out, 1, &r);
}

TS_API ts_status ts_reduce_dim(ts_reduce_op op, const ts_tensor *x, int dim, ts_tensor *out)
{
    static const char fn[] = "ts_reduce_dim";
    TSI_CHECK((unsigned)op <= TS_REDUCE_MAX, TS_ERR_INVALID_ARGUMENT, "%s: invalid op %d", fn,
              (int)op);
    return reduce_dim(fn, (int)op, x, dim, out);
}

TS_API ts_status ts_argmax_dim(const ts_tensor *x, int dim, ts_tensor *out)
{
    return reduce_dim("ts_argmax_dim", -1, x, dim, out);
}

TS_API ts_status ts_topk_dim(const ts_tensor *x, int dim, int k, ts_tensor *values,
                             ts_tensor *indices)
{
    static const char fn[] = "ts_topk_dim";
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "x", x));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "values", values));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "indices", indices));
    int d = 0;
    TSI_RETURN_IF_ERROR(norm_dim(fn, x, dim, &d));
    TSI_CHECK(k >= 1 && k <= x->shape[d], TS_ERR_INVALID_ARGUMENT,
              "%s: k is %d, must be in 1..%lld", fn, k, (long long)x->shape[d]);
    const ts_tensor *all[] = {x, values, indices};
    TSI_RETURN_IF_ERROR(tsi_check_devices(fn, all, 3));
    TSI_RETURN_IF_ERROR(check_dim_output(fn, "values", x, d, k, values, all, 1));
    TSI_RETURN_IF_ERROR(check_dim_output(fn, "indices", x, d, k, indices, all, 2));
    ts_tensor *outs[2] = {values, indices};
    bool direct = d == x->ndim - 1;
    for (int i = 0; i < 2; i++)
        direct = direct && tsi_strides_contiguous(outs[i]->shape, outs[i]->stride, x->ndim);
    if (direct)
        return ts_topk(x, k, values, indices);
    if (any_empty(values))
        return TS_OK;
    dim_run r = {0};
    TSI_RETURN_IF_ERROR(dim_begin(x, d, x->ndim - 1, outs, 2, &r));
    return dim_end(ts_topk(r.xt, k, r.tmp[0], r.tmp[1]), d, x->ndim - 1, outs, 2, &r);
}

/* torch.index_select: out = x with dim d replaced by idx's n entries,
 * out[..., i, ...] = x[..., idx[i], ...]; an index outside [0, x.shape[d])
 * gives zeros there (as ts_gather_rows; no host sync to raise an error).
 * Composed as a ts_gather_rows along dim 0 of x with d swapped to the
 * front. */
TS_API ts_status ts_gather(const ts_tensor *x, int dim, const ts_tensor *idx, ts_tensor *out)
{
    static const char fn[] = "ts_gather";
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "x", x));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "idx", idx));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "out", out));
    int d = 0;
    TSI_RETURN_IF_ERROR(norm_dim(fn, x, dim, &d));
    TSI_RETURN_IF_ERROR(tsi_check_dtype(fn, "idx", idx, TS_I32));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "x", x, "out", out));
    TSI_RETURN_IF_ERROR(tsi_check_real(fn, "x", x));
    char si[TSI_SHAPE_STR_LEN];
    TSI_CHECK(idx->ndim == 1, TS_ERR_SHAPE, "%s: idx must be 1-d [n], not %s", fn,
              tsi_shape_str(idx->shape, idx->ndim, si));
    const ts_tensor *all[] = {x, idx, out};
    TSI_RETURN_IF_ERROR(tsi_check_devices(fn, all, 3));
    TSI_RETURN_IF_ERROR(check_dim_output(fn, "out", x, d, idx->shape[0], out, all, 2));
    if (d == 0 && tsi_strides_contiguous(out->shape, out->stride, out->ndim))
        return ts_gather_rows(x, idx, out);
    if (any_empty(out))
        return TS_OK;
    dim_run r = {0};
    TSI_RETURN_IF_ERROR(dim_begin(x, d, 0, &out, 1, &r));
    return dim_end(ts_gather_rows(r.xt, idx, r.tmp[0]), d, 0, &out, 1, &r);
}
