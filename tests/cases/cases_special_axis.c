/* Cases of the ops along any dim: ts_softmax_dim, ts_reduce_dim,
 * ts_argmax_dim, ts_topk_dim, ts_gather (torch.index_select), and
 * ts_gather_rows on a table of rank 3. The references move the dim last
 * (or first) in float64 and run the plain last-dim loops of ref.h. Each
 * spec: shape, p[0] = dim, p[1] = k (topk) or n (gather); S(out) writes
 * through a strided output view. */
#include "family.h"
#include "ref.h"

enum { K_SOFTMAX, K_SUM, K_MAX, K_ARGMAX, K_TOPK, K_GATHER, K_GATHER_ROWS };

/* clang-format off */
static const tsc_op_entry ops[] = {
    {"softmax_dim", K_SOFTMAX, TSC_FLOATS},
    {"reduce_sum_dim", K_SUM, TSC_FLOATS | TSC_DT(TS_I32)},
    {"reduce_max_dim", K_MAX, TSC_FLOATS | TSC_DT(TS_I32)},
    {"argmax_dim", K_ARGMAX, TSC_FLOATS | TSC_DT(TS_I32)},
    {"topk_dim", K_TOPK, TSC_FLOATS | TSC_DT(TS_I32)},
    {"gather", K_GATHER, TSC_FLOATS | TSC_DT(TS_I32)},
    {"gather_rows_rank3", K_GATHER_ROWS, TSC_FLOATS | TSC_DT(TS_I32)},
};

static const tsc_spec specs[] = {
    {"5x7x6 dim 0", 3, {5, 7, 6}, 0, {0}, {0, 3}, {0.5}, 0, 0},
    {"5x7x6 dim 1", 3, {5, 7, 6}, 0, {0}, {1, 2}, {1.0}, 0, 0},
    {"5x7x6 dim -1", 3, {5, 7, 6}, 0, {0}, {-1, 4}, {1.0}, 0, 0},
    {"2x3x9x4 dim 2 T(x)", 4, {2, 3, 9, 4}, 0, {0}, {2, 5}, {2.0},
     TSC_LAY_IN0(TSC_TRANSPOSED), 0},
    {"33 dim 0", 1, {33}, 0, {0}, {0, 7}, {1.0}, 0, 0},
    {"4x11x3 dim 1 S(out)", 3, {4, 11, 3}, 0, {0}, {1, 3}, {1.0}, TSC_LAY_OUT(TSC_SLICED), 0},
    {"6x130x5 dim 1", 3, {6, 130, 5}, 0, {0}, {1, 9}, {1.0}, 0, 1},
};
/* clang-format on */

/* x (dense, shape s of nd dims) with dims a and b swapped, into y; t gets
 * the swapped shape. */
static void swap_dims(const double *x, int nd, const int64_t *s, int a, int b, double *y,
                      int64_t *t)
{
    for (int i = 0; i < nd; i++)
        t[i] = s[i];
    t[a] = s[b];
    t[b] = s[a];
    int64_t n = tsc_numel(nd, s), idx[4];
    for (int64_t i = 0; i < n; i++) {
        int64_t r = i;
        for (int d = nd - 1; d >= 0; d--) {
            idx[d] = r % s[d];
            r /= s[d];
        }
        int64_t tmp = idx[a];
        idx[a] = idx[b];
        idx[b] = tmp;
        int64_t o = 0;
        for (int d = 0; d < nd; d++)
            o = o * t[d] + idx[d];
        y[o] = x[i];
    }
}

static void run(tsc_ctx *x)
{
    const tsc_spec *s = tsc_ctx_spec(x);
    int kind = tsc_ctx_op(x)->kind;
    ts_dtype dt = tsc_ctx_case(x)->dtype;
    int nd = s->nd, dim = (int)s->p[0], d = dim < 0 ? dim + nd : dim;
    if (kind == K_GATHER_ROWS) { /* along dim 0 of the whole rank-nd table */
        dim = d = 0;
    }
    int last = kind == K_GATHER || kind == K_GATHER_ROWS ? 0 : nd - 1;
    int64_t len = s->shape[d];
    int64_t olen = kind == K_SOFTMAX  ? len
                   : kind == K_TOPK   ? s->p[1]
                   : kind >= K_GATHER ? 2 * s->p[1] + 1
                                      : 1;
    int64_t oshape[4], xt_shape[4], ot_shape[4];
    for (int i = 0; i < nd; i++)
        oshape[i] = i == d ? olen : s->shape[i];
    tsc_arg *in = tsc_input(x, dt, nd, s->shape, TSC_IN0_LAYOUT(s->flags), dt == TS_I32 ? -50 : -2,
                            dt == TS_I32 ? 50 : 2);
    int64_t numel = tsc_numel(nd, s->shape), onumel = tsc_numel(nd, oshape);
    double *xt = tsc_alloc(x, (size_t)numel), *rt = tsc_alloc(x, (size_t)onumel);
    double *rt2 = tsc_alloc(x, (size_t)onumel), *ref = tsc_alloc(x, (size_t)onumel);
    double *ref2 = tsc_alloc(x, (size_t)onumel), *mag = tsc_alloc(x, (size_t)onumel);
    double *magt = tsc_alloc(x, (size_t)onumel), *iv = tsc_alloc(x, (size_t)olen);
    if (!in || !xt || !rt || !rt2 || !ref || !ref2 || !mag || !magt || !iv)
        return;
    swap_dims(in->v, nd, s->shape, d, last, xt, xt_shape);
    for (int i = 0; i < nd; i++)
        ot_shape[i] = xt_shape[i];
    ot_shape[last] = olen;
    int64_t rows = numel / len;
    ts_dtype odt = kind == K_ARGMAX ? TS_I32 : dt;
    /* The *_dim forms and ts_gather write any view; ts_gather_rows needs a
     * contiguous out. */
    tsc_layout olay = kind == K_GATHER_ROWS ? TSC_CONTIG : TSC_OUT_LAYOUT(s->flags);
    tsc_arg *out = tsc_output(x, odt, nd, oshape, olay);
    if (!out)
        return;
    ts_status st;
    const char *what = tsc_ctx_op(x)->name;
    tsc_arg *out2 = NULL, *idx = NULL;
    switch (kind) {
    case K_SOFTMAX:
        st = ts_softmax_dim(in->t, dim, (float)s->f[0], out->t);
        ref_softmax(xt, rows, 1, len, s->f[0], 0, rt, magt);
        break;
    case K_SUM:
    case K_MAX: {
        ts_reduce_op op = kind == K_SUM ? TS_REDUCE_SUM : TS_REDUCE_MAX;
        st = ts_reduce_dim(op, in->t, dim, out->t);
        ref_reduce(op, xt, rows, len, rt, magt);
        break;
    }
    case K_ARGMAX:
        st = ts_argmax_dim(in->t, dim, out->t);
        ref_argmax(xt, rows, len, rt);
        break;
    case K_TOPK:
        out2 = tsc_output(x, TS_I32, nd, oshape, olay);
        if (!out2)
            return;
        st = ts_topk_dim(in->t, dim, (int)olen, out->t, out2->t);
        ref_topk(xt, rows, len, olen, rt, rt2);
        break;
    default: {
        /* Indices in range plus one past each end (zeros there). */
        for (int64_t i = 0; i < olen; i++)
            iv[i] = (double)tsc_rand_int(x, -1, len);
        int64_t ishape[1] = {olen};
        idx = tsc_input_values(x, TS_I32, 1, ishape, TSC_CONTIG, iv);
        if (!idx)
            return;
        st = kind == K_GATHER ? ts_gather(in->t, dim, idx->t, out->t)
                              : ts_gather_rows(in->t, idx->t, out->t);
        int64_t inner = numel / len;
        ref_gather_rows(xt, len, inner, iv, olen, rt);
        break;
    }
    }
    if (tsc_op_status(x, st, what))
        return;
    /* Results in the swapped layout back to out's. */
    swap_dims(rt, nd, ot_shape, d, last, ref, oshape);
    if (kind == K_SOFTMAX || kind == K_SUM || kind == K_MAX) {
        swap_dims(magt, nd, ot_shape, d, last, mag, oshape);
        tsc_check(x, out, ref, mag);
        return;
    }
    if (kind == K_TOPK) {
        swap_dims(rt2, nd, ot_shape, d, last, ref2, oshape);
        if (tsc_check(x, out2, ref2, NULL) == 0)
            tsc_check(x, out, ref, NULL);
        return;
    }
    tsc_check(x, out, ref, NULL);
}

const tsc_family tsc_family_axis = {
    .name = "axis",
    .ops = ops,
    .n_ops = sizeof ops / sizeof ops[0],
    .specs = specs,
    .n_specs = sizeof specs / sizeof specs[0],
    .run = run,
};
