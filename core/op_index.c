/* Validation and dispatch of the indexing ops: gather_rows and
 * scatter_add_rows (flattened to the 2-d forms of core/op.h), and concat,
 * which is composite: one copy per input into a slice of out. */
#include "core/dispatch.h"

TS_API ts_status ts_gather_rows(const ts_tensor *table, const ts_tensor *idx, ts_tensor *out)
{
    static const char fn[] = "ts_gather_rows";
    char s1[TSI_SHAPE_STR_LEN], s2[TSI_SHAPE_STR_LEN];
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "table", table));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "idx", idx));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "out", out));
    TSI_RETURN_IF_ERROR(tsi_check_dtype(fn, "idx", idx, TS_I32));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "table", table, "out", out));
    TSI_RETURN_IF_ERROR(tsi_check_real(fn, "table", table));
    /* A table of any rank gathers along dim 0: its rows are the [D...]
     * blocks behind each index, flattened to [V, prod D] for the backend. */
    TSI_CHECK(table->ndim >= 1, TS_ERR_SHAPE, "%s: table must have a row dim", fn);
    int out_nd = idx->ndim + table->ndim - 1;
    TSI_CHECK(out_nd >= 1 && out_nd <= TS_MAX_DIMS, TS_ERR_SHAPE,
              "%s: idx has %d dims and table %d; out would have %d dims, at most %d", fn, idx->ndim,
              table->ndim, out_nd, TS_MAX_DIMS);
    int64_t want[TS_MAX_DIMS];
    for (int i = 0; i < idx->ndim; i++)
        want[i] = idx->shape[i];
    for (int i = 1; i < table->ndim; i++)
        want[idx->ndim + i - 1] = table->shape[i];
    bool same = out->ndim == out_nd;
    for (int i = 0; same && i < out->ndim; i++)
        same = out->shape[i] == want[i];
    TSI_CHECK(same, TS_ERR_SHAPE, "%s: out is %s, expected idx.shape + table.shape[1:] = %s", fn,
              tsi_shape_str(out->shape, out->ndim, s1), tsi_shape_str(want, out_nd, s2));
    const ts_tensor *all[] = {table, idx, out};
    TSI_RETURN_IF_ERROR(tsi_check_devices(fn, all, 3));
    TSI_RETURN_IF_ERROR(tsi_check_output(fn, "out", out, all, 2));
    TSI_RETURN_IF_ERROR(tsi_check_contiguous_output(fn, "out", out));
    int64_t n = tsi_numel(idx->shape, idx->ndim), v = table->shape[0];
    int64_t dim = tsi_numel(table->shape + 1, table->ndim - 1);
    if (n * dim == 0)
        return TS_OK;

    tsi_dispatch d = {.fn = fn, .hook = "gather_rows", .dev = table->st->dev};
    d.op.code = TSI_OP_GATHER_ROWS;
    d.op.n_in = 2;
    d.op.n_out = 1;
    d.contiguous_in[0] = true;
    d.contiguous_in[1] = true;
    tsi_view_of(out, &d.op.out[0]);
    d.op.out[0].shape[0] = d.op.out[0].shape[1] = 1;
    d.op.out[0].shape[2] = n;
    d.op.out[0].shape[3] = dim;
    d.op.out[0].stride[0] = d.op.out[0].stride[1] = 0;
    d.op.out[0].stride[2] = dim;
    d.op.out[0].stride[3] = 1;
    if (v == 0) {
        /* Every index is out of range of an empty table: all zero rows. */
        return tsi_dispatch_zero(&d);
    }
    tsi_view_of(table, &d.op.in[0]);
    tsi_view_of(idx, &d.op.in[1]);
    int64_t flat_table[4] = {1, 1, v, dim};
    d.flat_in[0] = flat_table;
    /* idx reaches the backend flattened to [1,1,1,N] (after a copy if strided). */
    int64_t flat[4] = {1, 1, 1, n};
    d.flat_in[1] = flat;
    return tsi_dispatch_run(&d);
}

TS_API ts_status ts_scatter_add_rows(ts_tensor *dst, const ts_tensor *idx, const ts_tensor *src)
{
    static const char fn[] = "ts_scatter_add_rows";
    char s1[TSI_SHAPE_STR_LEN], s2[TSI_SHAPE_STR_LEN], s3[TSI_SHAPE_STR_LEN];
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "dst", dst));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "idx", idx));
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "src", src));
    TSI_RETURN_IF_ERROR(tsi_check_dtype(fn, "idx", idx, TS_I32));
    TSI_RETURN_IF_ERROR(tsi_check_same_dtype(fn, "dst", dst, "src", src));
    TSI_RETURN_IF_ERROR(tsi_check_real(fn, "dst", dst));
    TSI_CHECK(dst->ndim == 2 && idx->ndim == 1 && src->ndim == 2 &&
                  src->shape[0] == idx->shape[0] && src->shape[1] == dst->shape[1],
              TS_ERR_SHAPE, "%s: need dst [V, D], idx [N], src [N, D]; got dst %s, idx %s, src %s",
              fn, tsi_shape_str(dst->shape, dst->ndim, s1),
              tsi_shape_str(idx->shape, idx->ndim, s2), tsi_shape_str(src->shape, src->ndim, s3));
    const ts_tensor *all[] = {idx, src, dst};
    TSI_RETURN_IF_ERROR(tsi_check_devices(fn, all, 3));
    TSI_RETURN_IF_ERROR(tsi_check_output(fn, "dst", dst, all, 2));
    TSI_RETURN_IF_ERROR(tsi_check_contiguous_output(fn, "dst", dst));
    if (tsi_numel(dst->shape, 2) == 0 || tsi_numel(src->shape, 2) == 0)
        return TS_OK;
    tsi_dispatch d = {.fn = fn, .hook = "scatter_add_rows", .dev = dst->st->dev};
    d.op.code = TSI_OP_SCATTER_ADD_ROWS;
    d.op.n_in = 2;
    d.op.n_out = 1;
    d.contiguous_in[0] = true;
    d.contiguous_in[1] = true;
    tsi_view_of(idx, &d.op.in[0]);
    tsi_view_of(src, &d.op.in[1]);
    tsi_view_of(dst, &d.op.out[0]);
    return tsi_dispatch_run(&d);
}

static ts_status check_concat(const char *fn, const ts_tensor *const *inputs, int count, int d,
                              const ts_tensor *out)
{
    char s1[TSI_SHAPE_STR_LEN], s2[TSI_SHAPE_STR_LEN];
    int64_t total = 0;
    for (int i = 0; i < count; i++) {
        const ts_tensor *t = inputs[i];
        TSI_CHECK(t, TS_ERR_INVALID_ARGUMENT, "%s: inputs[%d] is NULL", fn, i);
        TSI_CHECK(t->dtype == out->dtype, TS_ERR_DTYPE, "%s: inputs[%d] is %s, out is %s", fn, i,
                  ts_dtype_name(t->dtype), ts_dtype_name(out->dtype));
        bool same = t->ndim == out->ndim;
        for (int k = 0; same && k < t->ndim; k++)
            same = k == d || t->shape[k] == out->shape[k];
        TSI_CHECK(
            same, TS_ERR_SHAPE, "%s: inputs[%d] is %s, which does not fit out %s along dim %d", fn,
            i, tsi_shape_str(t->shape, t->ndim, s1), tsi_shape_str(out->shape, out->ndim, s2), d);
        TSI_CHECK(t->st->dev == out->st->dev, TS_ERR_DEVICE_MISMATCH,
                  "%s: inputs[%d] lives on %s, out on %s; use ts_tensor_copy_to", fn, i,
                  t->st->dev->info.id, out->st->dev->info.id);
        /* Checked before adding: huge broadcast inputs must not overflow. */
        TSI_CHECK(t->shape[d] <= out->shape[d] - total, TS_ERR_SHAPE,
                  "%s: inputs[0..%d] add up to more than out's %lld along dim %d", fn, i,
                  (long long)out->shape[d], d);
        total += t->shape[d];
    }
    TSI_CHECK(total == out->shape[d], TS_ERR_SHAPE,
              "%s: inputs add up to %lld along dim %d but out has %lld", fn, (long long)total, d,
              (long long)out->shape[d]);
    TSI_CHECK(!out->read_only, TS_ERR_ALIASING, "%s: out is a broadcast view (read-only)", fn);
    for (int i = 0; i < count; i++)
        TSI_CHECK(!tsi_tensors_overlap(out, inputs[i]), TS_ERR_ALIASING,
                  "%s: out overlaps inputs[%d]", fn, i);
    return TS_OK;
}

TS_API ts_status ts_concat(const ts_tensor *const *inputs, int count, int dim, ts_tensor *out)
{
    static const char fn[] = "ts_concat";
    TSI_CHECK(inputs, TS_ERR_INVALID_ARGUMENT, "%s: inputs is NULL", fn);
    TSI_CHECK(count >= 1, TS_ERR_INVALID_ARGUMENT, "%s: count is %d, need at least 1", fn, count);
    TSI_RETURN_IF_ERROR(tsi_check_tensor(fn, "out", out));
    int d = tsi_norm_dim(dim, out->ndim);
    TSI_CHECK(d >= 0, TS_ERR_INVALID_ARGUMENT, "%s: dim %d is out of range for %d dims", fn, dim,
              out->ndim);
    TSI_RETURN_IF_ERROR(check_concat(fn, inputs, count, d, out));
    if (tsi_numel(out->shape, out->ndim) == 0)
        return TS_OK;
    ts_device *dev = out->st->dev;
    TSI_RETURN_IF_ERROR(tsi_device_lock(dev));
    ts_status st = TS_OK;
    int64_t at = 0;
    /* Each input lands in out's slice [at, at + n) along d: out's view with
     * that dim narrowed, exactly what ts_tensor_slice would build. */
    for (int i = 0; i < count && st == TS_OK; i++) {
        const ts_tensor *t = inputs[i];
        int64_t n = t->shape[d];
        if (tsi_numel(t->shape, t->ndim) > 0) {
            ts_tensor part = *out;
            part.offset += at * out->stride[d];
            part.shape[d] = n;
            tsi_view src, dst;
            tsi_view_of(t, &src);
            tsi_view_of(&part, &dst);
            st = tsi_record_copy_locked(fn, dev, &src, &dst);
        }
        at += n;
    }
    if (st == TS_OK) {
        tsi_view y;
        tsi_view_of(out, &y);
        st = tsi_corrupt_locked(dev, "concat", &y);
    }
    tsi_device_unlock(dev);
    return st;
}
