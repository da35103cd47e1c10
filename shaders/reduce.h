/* Row reductions (TSI_OP_REDUCE): what the kernel and the host share.
 * Included by shaders/reduce.kern and backend-gpu/gpu_reduce.c. */
#ifndef TS_REDUCE_H
#define TS_REDUCE_H

/* WG invocations per row (a power of two); DT dtype of x; KIND the
 * TSI_REDUCE_* value (core/op.h), spelled RED_* below: constants, so each
 * variant's code is only its own (and no barrier sits under a branch). */
#define REDUCE_CONSTS(X) X(0, WG) X(1, DT) X(2, KIND)

/* y: one element per row, in x's dtype, or i32 for argmax. */
#define REDUCE_BUFS(X) X(0, RO, x) X(1, RW, y)

/* x contiguous [rows, n], y contiguous [rows], offsets in elements. */
#define REDUCE_PARAMS(X) X(u32, rows) X(u32, n) X(u32, x_off) X(u32, y_off)

#define RED_SUM 0u
#define RED_MEAN 1u
#define RED_MAX 2u
#define RED_ARGMAX 3u

#endif
