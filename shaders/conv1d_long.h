/* Direct causal long convolution (TSI_OP_CONV1D_LONG, core/op.h): what the
 * kernel and the host share. Included by shaders/conv1d_long.kern and
 * backend-gpu/gpu_conv1d_long.c. */
#ifndef TS_CONV1D_LONG_H
#define TS_CONV1D_LONG_H

/* WG invocations; DT dtype of u, k, d and y; OPT outputs per invocation
 * (a tile of WG * OPT steps per workgroup); KT taps per shared chunk. */
#define CONV1D_LONG_CONSTS(X) X(0, WG) X(1, DT) X(2, OPT) X(3, KT)

/* d: absent without CONV1D_LONG_D (a dummy binding). The kernel buffer is
 * `kw` (k is a parameter name). */
#define CONV1D_LONG_BUFS(X) X(0, RO, u) X(1, RO, kw) X(2, RO, d) X(3, RW, y)

/* u, y [B, C, L], kw [Bk, C, K], d [C], contiguous; offsets in elements.
 * rows = B * C; tiles = ceil(L / (WG * OPT)) per row; kw_rows = Bk * C
 * (C: one kernel per channel shared by the batch). */
#define CONV1D_LONG_PARAMS(X)                                                                      \
    X(u32, l)                                                                                      \
    X(u32, k) X(u32, ch) X(u32, rows) X(u32, tiles) X(u32, kw_rows) X(u32, flags) X(u32, u_off)    \
        X(u32, k_off) X(u32, d_off) X(u32, y_off)

#define CONV1D_LONG_D 1u

#endif
