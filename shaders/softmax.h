/* Row softmax (TSI_OP_SOFTMAX): what the kernel and the host share.
 * Included by shaders/softmax.kern and backend-gpu/gpu_softmax.c. */
#ifndef TS_SOFTMAX_H
#define TS_SOFTMAX_H

/* WG invocations per row (a power of two); DT dtype of x and y. */
#define SOFTMAX_CONSTS(X) X(0, WG) X(1, DT)

#define SOFTMAX_BUFS(X) X(0, RO, x) X(1, RW, y)

/* x and y contiguous [rows, n] from their offsets (elements); m rows per
 * trailing matrix (the causal mask's row index is row % m). */
#define SOFTMAX_PARAMS(X)                                                                          \
    X(u32, rows) X(u32, n) X(u32, m) X(u32, causal) X(u32, x_off) X(u32, y_off) X(f32, scale)

#endif
