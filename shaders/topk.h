/* Top-k per row (TSI_OP_TOPK): what the kernel and the host share.
 * Included by shaders/topk.kern and by backend-gpu/gpu_topk.c. */
#ifndef TS_TOPK_H
#define TS_TOPK_H

/* WG invocations per row (a power of two); DT dtype of x and vals. */
#define TOPK_CONSTS(X) X(0, WG) X(1, DT)

/* x [rows, n]; vals [rows, k] (x's dtype), idxs [rows, k] (i32). idxs is
 * read back too: a launch after the first restarts from the pick the
 * previous launch stored there. */
#define TOPK_BUFS(X) X(0, RO, x) X(1, RW, vals) X(2, RW, idxs)

/* Offsets in elements; this launch runs the selection rounds [j0, j1). */
#define TOPK_PARAMS(X)                                                                             \
    X(u32, rows) X(u32, n) X(u32, k) X(u32, x_off) X(u32, v_off) X(u32, i_off) X(u32, j0)          \
    X(u32, j1)

#endif
