/* The MoE backend ops (TSI_OP_GROUPED_MATMUL, TSI_OP_MOE_PLACE,
 * TSI_OP_MOE_COMBINE): what shaders/moe.kern and backend-gpu/gpu_moe.c
 * share. Every offset below is in elements of its buffer. */
#ifndef TS_MOE_H
#define TS_MOE_H

/* One constant list for the family: OpenCL builds the whole family file
 * for each launch's constants, so every entry sees every name. WG is the
 * workgroup width. grouped_matmul: WG = (BM / WM) * (BN / WN); DT the
 * dtype of x, w, bias and y; tiles as in shaders/matmul.h (SHARED 1:
 * BK-deep slices staged in shared memory; VEC the MATMUL_VEC_* bits of
 * shaders/matmul.h on the direct path, with x's rows as a and w's as b).
 * moe_combine: DT of h and y. moe_place: WG only; the others are 1 (DT,
 * SHARED and VEC 0) where unused. */
#define MOE_CONSTS(X)                                                                              \
    X(0, WG) X(1, DT) X(2, BM) X(3, BN) X(4, BK) X(5, WM) X(6, WN) X(7, SHARED) X(8, VEC)

/* ---- grouped_matmul -------------------------------------------------------- */

/* x [R, K], w [E, K, N], offs i32 [E + 1], bias [E, N] (a dummy binding
 * without GMM_BIAS), y [R, N]; all contiguous. */
#define GMM_BUFS(X) X(0, RO, x) X(1, RO, w) X(2, RO, offs) X(3, RO, bias) X(4, RW, y)

/* groups = row tiles (an upper bound: ceil(R / BM) + E) * column tiles. */
#define GMM_PARAMS(X)                                                                              \
    X(u32, r) X(u32, k) X(u32, n) X(u32, e) X(u32, groups) X(u32, flags) X(u32, x_off)            \
    X(u32, w_off) X(u32, o_off) X(u32, b_off) X(u32, y_off)

#define GMM_BIAS 1u

/* ---- moe_place -------------------------------------------------------------
 * Three launches over blocks of WG choices; block b holds choice
 * c = b / nbt of tokens (b % nbt) * WG .. + WG - 1, so blocks follow claim
 * order and no block mixes two choices. The workspace ws (32-bit words):
 * hist[nb][E + 1] (per block and expert, column E counting experts out of
 * range; place_scan turns counts into each block's first position), then
 * the group offsets [E + 1] again at word nb * (E + 1). */
#define PLACE_COUNT_BUFS(X) X(0, RO, expert) X(1, RW, ws)
/* ws and stats are read back by other invocations of the one workgroup. */
#define PLACE_SCAN_BUFS(X) X(0, CRW, ws) X(1, CRW, stats)
/* row_token: a dummy binding without PLACE_ROW_TOKEN (R = 0). */
#define PLACE_ROWS_BUFS(X) X(0, RO, expert) X(1, RO, ws) X(2, RW, rows) X(3, RW, row_token)

/* t tokens, k choices, e experts, cap < 0 unlimited; nbt blocks per
 * choice, nb = k * nbt; r = rows of row_token. */
#define PLACE_PARAMS(X)                                                                            \
    X(u32, t) X(u32, k) X(u32, e) X(i32, cap) X(u32, nbt) X(u32, nb) X(u32, r) X(u32, flags)      \
    X(u32, x_off) X(u32, rows_off) X(u32, s_off) X(u32, rt_off)

#define PLACE_ROW_TOKEN 1u

/* ---- moe_combine -----------------------------------------------------------
 * One invocation per element of y [T, D]. */
/* h [R, D], rows i32 [T, k], gates f32 [T, k], y [T, D] (`out` is a GLSL
 * keyword). */
#define COMBINE_BUFS(X) X(0, RO, h) X(1, RO, rows) X(2, RO, gates) X(3, RW, y)

#define COMBINE_PARAMS(X)                                                                          \
    X(u32, r) X(u32, d) X(u32, k) X(u32, total) X(u32, h_off) X(u32, rows_off) X(u32, g_off)      \
    X(u32, y_off)

#endif
