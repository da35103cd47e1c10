/* TSI_OP_GROUPED_MATMUL's fallback: one ts_matmul per group, for a device
 * whose backend has no grouped GEMM kernel or declines one (a Vulkan
 * device with the required minimum of 4 storage buffers per stage cannot
 * bind the kernel's five).
 *
 * The groups' rows are known only on the device, so the composition reads
 * the offsets back first: that waits for the work that produces them (the
 * MoE placement), which the fused kernel never does. It is a fallback for
 * correctness on such devices, not a fast path. Offsets are taken as the
 * kernels take them (core/op.h): o[0] = 0, o[e] = min(max(offsets[e],
 * o[e-1]), R). */
#include <stdlib.h>

#include "core/layer_api.h"
#include "layers/moe/moe_ops.h"

/* A view of rows [r0, r1) of a 2-d tensor. */
static ts_status rows_of(const ts_tensor *t, int64_t r0, int64_t r1, ts_tensor **out)
{
    return ts_tensor_slice(t, 0, r0, r1, 1, out);
}

/* Group e's [K, N] weights and [1, N] bias row (NULL when no bias). */
static ts_status expert_of(const tsi_grouped_matmul_call *c, int64_t e, ts_tensor **w,
                           ts_tensor **b)
{
    ts_tensor *w3 = NULL;
    ts_status st = ts_tensor_slice(c->w, 0, e, e + 1, 1, &w3);
    if (st == TS_OK)
        st = ts_tensor_reshape(w3, 2, &c->w->shape[1], w);
    ts_tensor_destroy(w3);
    if (st == TS_OK && c->bias)
        st = rows_of(c->bias, e, e + 1, b);
    return st;
}

/* out rows [r0, r1) = x rows . w[e] (+ bias[e]); tmp: [R, N] scratch for
 * the product when there is a bias (ops never write over an input). */
static ts_status run_group(const tsi_grouped_matmul_call *c, ts_tensor *tmp, int64_t e, int64_t r0,
                           int64_t r1)
{
    ts_tensor *w = NULL, *b = NULL, *xs = NULL, *ys = NULL, *ts = NULL;
    ts_status st = expert_of(c, e, &w, &b);
    if (st == TS_OK)
        st = rows_of(c->x, r0, r1, &xs);
    if (st == TS_OK)
        st = rows_of(c->out, r0, r1, &ys);
    if (st == TS_OK && b)
        st = rows_of(tmp, r0, r1, &ts);
    if (st == TS_OK)
        st = ts_matmul(xs, w, b ? ts : ys);
    if (st == TS_OK && b)
        st = ts_binary(TS_ADD, ts, b, ys);
    ts_tensor *views[] = {w, b, xs, ys, ts};
    for (size_t i = 0; i < sizeof views / sizeof views[0]; i++)
        ts_tensor_destroy(views[i]);
    return st;
}

/* Rows [r0, R) of out, past the last group, are zeros. */
static ts_status zero_tail(const tsi_grouped_matmul_call *c, int64_t r0)
{
    if (r0 >= c->out->shape[0])
        return TS_OK;
    ts_tensor *tail = NULL;
    TSI_RETURN_IF_ERROR(rows_of(c->out, r0, c->out->shape[0], &tail));
    tsi_dispatch d = {.fn = "ts_grouped_matmul", .dev = c->out->st->dev};
    tsi_view_of(tail, &d.op.out[0]);
    ts_status st = tsi_dispatch_zero(&d);
    ts_tensor_destroy(tail);
    return st;
}

ts_status tsi_grouped_matmul_compose(void *arg)
{
    const tsi_grouped_matmul_call *c = arg;
    int64_t e_count = c->w->shape[0], r = c->x->shape[0];
    int32_t *o = malloc((size_t)(e_count + 1) * sizeof *o);
    TSI_CHECK(o, TS_ERR_OUT_OF_MEMORY, "ts_grouped_matmul: out of host memory");
    ts_status st = ts_tensor_read(c->offsets, o, (size_t)(e_count + 1) * sizeof *o);
    ts_tensor *tmp = NULL;
    if (st == TS_OK && c->bias)
        st = ts_tensor_create(c->x->st->dev, c->out->dtype, 2, c->out->shape, &tmp);
    int64_t lo = 0;
    for (int64_t e = 0; st == TS_OK && e < e_count; e++) {
        int64_t hi = o[e + 1] < lo ? lo : o[e + 1] > r ? r : o[e + 1];
        if (hi > lo)
            st = run_group(c, tmp, e, lo, hi);
        lo = hi;
    }
    if (st == TS_OK)
        st = zero_tail(c, lo);
    ts_tensor_destroy(tmp);
    free(o);
    return st;
}
