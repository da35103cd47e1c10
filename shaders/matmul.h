/* Tiled GEMM (TSI_OP_MATMUL): what the kernel and the host share.
 * Included by shaders/matmul.kern and by backend-gpu/gpu_matmul.c. */
#ifndef TS_MATMUL_H
#define TS_MATMUL_H

/* WG = (BM / WM) * (BN / WN) invocations; DT dtype of a, b and c; a BM x BN
 * tile of c per workgroup, WM x WN outputs per invocation; SHARED 1: K is
 * walked in BK-deep slices staged in shared memory, 0: operands are read
 * straight from the buffers (and the host passes BK = 1). VEC: 0 the
 * scalar kernel; else (MATMUL_VEC_PATH) each invocation owns WN
 * neighbouring columns, and bit 0 (MATMUL_VEC_B) reads b and writes c 4
 * elements at a time, bit 1 (MATMUL_VEC_A) reads a 4 K-steps at a time.
 * The host sets bits 0 and 1 only where the views are 4-aligned
 * (gpu_matmul.c). */
#define MATMUL_CONSTS(X)                                                                           \
    X(0, WG) X(1, DT) X(2, BM) X(3, BN) X(4, BK) X(5, WM) X(6, WN) X(7, SHARED) X(8, VEC)

#define MATMUL_VEC_B 1u
#define MATMUL_VEC_A 2u
#define MATMUL_VEC_PATH 4u

#define MATMUL_BUFS(X) X(0, RO, a) X(1, RO, b) X(2, RW, c)

/* Offsets and strides in elements: a [B0, B1, M, K] by a_st0..3, b
 * [B0, B1, K, N] by b_st0..3 (0 on broadcast batch dims; a transpose is
 * swapped strides); c contiguous. groups = batches * mtiles * ntiles. */
#define MATMUL_PARAMS(X)                                                                           \
    X(u32, m) X(u32, n) X(u32, k) X(u32, nb1) X(u32, groups) X(u32, a_off) X(u32, a_st0)          \
    X(u32, a_st1) X(u32, a_st2) X(u32, a_st3) X(u32, b_off) X(u32, b_st0) X(u32, b_st1)           \
    X(u32, b_st2) X(u32, b_st3) X(u32, c_off)

#endif
