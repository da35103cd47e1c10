/* Elementwise ops (TSI_OP_UNARY incl. copy, cast and scale_shift;
 * TSI_OP_BINARY): what the kernels and the host share. Included by
 * shaders/elementwise.kern and backend-gpu/gpu_elementwise.c. */
#ifndef TS_ELEMENTWISE_H
#define TS_ELEMENTWISE_H

/* WG invocations; DT dtype of the inputs, DTO of the output (a cast's
 * target; DT for every other op); LAYOUT the EW_* bits below. One list for
 * both entries: an OpenCL program holds both and is built with one set of
 * -D constants. */
#define EW_CONSTS(X) X(0, WG) X(1, DT) X(2, DTO) X(3, LAYOUT)

#define EW_UNARY_BUFS(X) X(0, RO, x) X(1, RW, y)
#define EW_BINARY_BUFS(X) X(0, RO, a) X(1, RO, b) X(2, RW, y)

/* The views after the host merged their dims (gpu_elementwise.c): nd
 * dims (1..4), the last nd of n0..n3 (n0 is never needed); offsets and
 * strides in elements, stride 0 on broadcast dims. total elements;
 * count: rows (n0 n1 n2) with EW_ROWS, else invocations (elements, or
 * output words with EW_PAIR). */
#define EW_SHAPE_PARAMS(X) X(u32, nd) X(u32, n1) X(u32, n2) X(u32, n3) X(u32, total) X(u32, count)
#define EW_VIEW_PARAMS(X, v)                                                                       \
    X(u32, v##_off) X(i32, v##_s0) X(i32, v##_s1) X(i32, v##_s2) X(i32, v##_s3)

#define EW_UNARY_PARAMS(X)                                                                         \
    EW_SHAPE_PARAMS(X)                                                                             \
    EW_VIEW_PARAMS(X, x) EW_VIEW_PARAMS(X, y) X(u32, kind) X(f32, alpha) X(f32, beta)
#define EW_BINARY_PARAMS(X)                                                                        \
    EW_SHAPE_PARAMS(X) EW_VIEW_PARAMS(X, a) EW_VIEW_PARAMS(X, b) EW_VIEW_PARAMS(X, y) X(u32, kind)

/* LAYOUT bits: constants, not parameters, so that the compiler drops the
 * paths a launch does not take (llvmpipe runs every path of a kernel
 * under lane masks, uniform branches included).
 * EW_PAIR: y is one contiguous run of 16-bit elements, and each invocation
 * writes one whole 32-bit word of it (two elements) with a plain store;
 * only a partial first or last word takes a 16-bit store.
 * EW_FLAT: the views merged into one dim (nd = 1): no index division.
 * EW_ROWS: nd > 1 and rows long enough for a 2-d grid: x over the last
 * dim, y and z over the rows (with EW_PAIR: an even row length and y_off).
 * EW_CAST: a unary copy or cast; no function to apply. */
#define EW_PAIR 1u
#define EW_FLAT 2u
#define EW_ROWS 4u
#define EW_CAST 8u

/* Unary kinds: ts_unary_op (include/tessel/ops.h), then TSI_UNARY_COPY
 * and TSI_UNARY_SCALE_SHIFT (core/op.h); gpu_elementwise.c checks. */
#define EW_NEG 0u
#define EW_ABS 1u
#define EW_EXP 2u
#define EW_LOG 3u
#define EW_SQRT 4u
#define EW_RSQRT 5u
#define EW_TANH 6u
#define EW_SIGMOID 7u
#define EW_RELU 8u
#define EW_RELU2 9u
#define EW_GELU_ERF 10u
#define EW_GELU_TANH 11u
#define EW_SILU 12u
#define EW_SIN 13u
#define EW_COS 14u
#define EW_COPY 15u
#define EW_SCALE_SHIFT 16u

/* Binary kinds: ts_binary_op. */
#define EW_ADD 0u
#define EW_SUB 1u
#define EW_MUL 2u
#define EW_DIV 3u
#define EW_MAX 4u
#define EW_MIN 5u

#endif
