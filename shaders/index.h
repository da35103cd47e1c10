/* Row indexing (TSI_OP_GATHER_ROWS, TSI_OP_SCATTER_ADD_ROWS): what the
 * kernels and the host share. Included by shaders/index.kern and by
 * backend-gpu/gpu_index.c. */
#ifndef TS_INDEX_H
#define TS_INDEX_H

/* WG invocations per workgroup; DT dtype of the rows; LPR lanes per row of
 * gather_rows and scatter_add (a power of two, or WG: shaders/index.kern). */
#define INDEX_CONSTS(X) X(0, WG) X(1, DT) X(2, LPR)

/* gather_rows: table [V, D], idx i32 [N], rows [N, D] (the output; `out` is
 * a GLSL keyword). */
#define GATHER_BUFS(X) X(0, RO, table) X(1, RO, idx) X(2, RW, rows)
#define GATHER_PARAMS(X) X(u32, v) X(u32, d) X(u32, n) X(u32, t_off) X(u32, i_off) X(u32, o_off)

/* scatter_add_rows: idx i32 [N], src [N, D], dst [V, D]; ws the plan's
 * workspace in 32-bit words: start[0..V] (CSR offsets), the fill cursors
 * [V+1 .. 2V], order[N] from word 2V+1 (SCATTER_WS_WORDS).
 * The plan's ws is CRW: written and read back by other invocations of the
 * workgroup within one launch (see shaders/index.kern). */
#define SCATTER_PLAN_BUFS(X) X(0, RO, idx) X(1, CRW, ws)
#define SCATTER_ADD_BUFS(X) X(0, RO, src) X(1, RW, dst) X(2, RO, ws)
/* phase: SCATTER_COUNT (counts and offsets) and / or SCATTER_FILL (fill
 * chunks [c0, c1) of WG rows, by invocation 0 alone when serial is 1: CPU
 * drivers, see shaders/index.kern). */
#define SCATTER_PARAMS(X)                                                                          \
    X(u32, v) X(u32, d) X(u32, n) X(u32, i_off) X(u32, s_off) X(u32, d_off) X(u32, phase)         \
    X(u32, c0) X(u32, c1) X(u32, serial)
#define SCATTER_COUNT 1u
#define SCATTER_FILL 2u

#define SCATTER_WS_WORDS(v, n) (2u * (v) + 1u + (n))

#endif
