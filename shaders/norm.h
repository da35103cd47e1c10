/* LayerNorm / RMSNorm with an optional residual (TSI_OP_NORM): what the
 * kernel and the host share. Included by shaders/norm.kern and
 * backend-gpu/gpu_norm.c. */
#ifndef TS_NORM_H
#define TS_NORM_H

/* WG invocations per row (a power of two); DT dtype of every buffer; RMS
 * 1 for RMSNorm, 0 for LayerNorm; FLAGS the NORM_HAS_* inputs and outputs
 * present. Constants, so each variant's code is only its own: the mean's
 * reduction (and its barriers) exist only in LayerNorm's, and the loops
 * test nothing per element (with FLAGS a parameter, LayerNorm ran 1.7x
 * and RMSNorm 1.25x slower on llvmpipe). */
#define NORM_CONSTS(X) X(0, WG) X(1, DT) X(2, RMS) X(3, FLAGS)

/* f residual, w weight, b bias, s the sum alpha*x + f: each present only
 * with its NORM_HAS_* flag (a dummy binding otherwise). */
#define NORM_BUFS(X) X(0, RO, x) X(1, RO, f) X(2, RO, w) X(3, RO, b) X(4, RW, y) X(5, RW, s)

/* x, f, y, s contiguous [rows, n], w and b [n]; offsets in elements. */
#define NORM_PARAMS(X)                                                                             \
    X(u32, rows) X(u32, n) X(u32, x_off) X(u32, f_off) X(u32, w_off) X(u32, b_off) X(u32, y_off)   \
    X(u32, s_off) X(f32, eps) X(f32, alpha)

#define NORM_HAS_F 1u
#define NORM_HAS_W 2u
#define NORM_HAS_B 4u
#define NORM_HAS_S 8u

#endif
