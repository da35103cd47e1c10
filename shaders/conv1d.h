/* Causal depthwise convolution (TSI_OP_CONV1D_CAUSAL): what the kernel
 * and the host share. Included by shaders/conv1d.kern and
 * backend-gpu/gpu_conv1d.c. */
#ifndef TS_CONV1D_H
#define TS_CONV1D_H

/* WG invocations; DT dtype of x, w, bias and y; ROWS 1: the grid is
 * (chunks of C channels, B * L steps in y * z), 0: flat, one element per
 * invocation. A constant, so each launch compiles only its own indexing. */
#define CONV1D_CONSTS(X) X(0, WG) X(1, DT) X(2, ROWS)

/* bias: absent without CONV1D_BIAS (a dummy binding). */
#define CONV1D_BUFS(X) X(0, RO, x) X(1, RO, w) X(2, RO, bias) X(3, RW, y)

/* x, y [B, L, C] and w [C, K] contiguous, bias [C]; offsets in elements;
 * steps = B * L, total = B * L * C. */
#define CONV1D_PARAMS(X)                                                                           \
    X(u32, l)                                                                                      \
    X(u32, ch) X(u32, k) X(u32, steps) X(u32, total) X(u32, flags) X(u32, x_off) X(u32, w_off)     \
        X(u32, b_off) X(u32, y_off)

#define CONV1D_BIAS 1u

#endif
