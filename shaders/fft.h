/* FFT along the last dim (TSI_OP_FFT, core/op.h): what the kernels and the
 * host share. Included by shaders/fft.kern and backend-gpu/gpu_fft.c.
 *
 * Two entries, one algorithm (Stockham autosort, forward butterflies;
 * the inverse conjugates on the way in and out):
 *  - fft_row: a workgroup keeps whole rows in shared memory and runs every
 *    pass of the transform in one launch;
 *  - fft_pass: one radix pass over global memory per launch, ping-ponging
 *    between the output and the plan's workspace, for rows that do not
 *    fit in shared memory. */
#ifndef TS_FFT_H
#define TS_FFT_H

/* One list for both entries: OpenCL builds the family's program once per
 * set of constants, so every entry must see every name (unused: 1).
 *  WG        invocations per workgroup (fft_row: TPR * rows per workgroup)
 *  DT        dtype of a real input (FFT_IN_REAL)
 *  RADICES   the radix of pass p in bits 4p..4p+3 (fft_pass: its one radix)
 *  NPASS     passes of fft_row
 *  IN_MODE   FFT_IN_*: how the first pass reads its input
 *  OUT_MODE  FFT_OUT_*: how the last pass writes its output
 *  N         transform length (fft_row)
 *  TPR       invocations per row (fft_row)
 *  MAXB      butterflies per invocation and pass, at most (fft_row)
 *  SMEM      floats of each of fft_row's two shared arrays (rows * N) */
#define FFT_CONSTS(X)                                                                              \
    X(0, WG)                                                                                       \
    X(1, DT) X(2, RADICES) X(3, NPASS) X(4, IN_MODE) X(5, OUT_MODE) X(6, N) X(7, TPR) X(8, MAXB)   \
        X(9, SMEM)

/* src: the input (or the previous pass's result), dst: the output (or the
 * workspace). They may be one buffer at disjoint offsets. */
#define FFT_BUFS(X) X(0, RO, src) X(1, RW, dst)

/* n        the transform length
 * rows     rows in the launch
 * m        input elements per row: complex values (FFT_IN_CPLX), real
 *          values (FFT_IN_REAL) or bins (FFT_IN_HERM); m <= n (bins:
 *          m <= n/2 + 1); what lies past m is zero
 * keep     outputs per row: the first keep complex values (FFT_OUT_CPLX)
 *          or real parts (FFT_OUT_REAL)
 * ns       fft_pass: the product of the radices of the passes before it
 * in_off   offset of the input in floats (complex: twice the element
 *          offset) or in DT elements (FFT_IN_REAL)
 * out_off  offset of the output in floats
 * scale    multiplies every output of the last pass
 * tw       pi / (4 n) rounded from double: the twiddle angle unit
 * tw2      the packed real modes: pi / (4 n) of the real length 2n
 * flags    FFT_CONJ_IN / FFT_CONJ_OUT (the inverse: conj(F(conj(x)))) */
#define FFT_PARAMS(X)                                                                              \
    X(u32, n)                                                                                      \
    X(u32, rows) X(u32, m) X(u32, keep) X(u32, ns) X(u32, in_off) X(u32, out_off) X(f32, scale)    \
        X(f32, tw) X(u32, flags) X(f32, tw2)

#define FFT_IN_CPLX 0u  /* c64 [rows, m], zero past m */
#define FFT_IN_REAL 1u  /* DT [rows, m], zero past m, imaginary parts zero */
#define FFT_IN_HERM 2u  /* c64 bins [rows, m]: X[n-k] = conj(X[k]), bins past m zero */
#define FFT_OUT_CPLX 0u /* c64 [rows, keep] */
#define FFT_OUT_REAL 1u /* f32 [rows, keep]: real parts */
/* fft_row only: a real transform of even length 2n as a complex one of
 * length n on z[j] = x[2j] + i x[2j+1] (Numerical Recipes 12.3).
 * R2C reads pairs of reals and untangles the bins from Z before storing;
 * C2R tangles the bins into Z on load and stores z as pairs of reals. */
#define FFT_IN_REAL_PAIRS 3u  /* DT [rows, m], m <= 2n */
#define FFT_IN_HERM_PAIRS 4u  /* c64 bins [rows, m], m <= n + 1 */
#define FFT_OUT_R2C_POST 2u   /* c64 [rows, keep], keep <= n + 1 */
#define FFT_OUT_REAL_PAIRS 3u /* f32 [rows, keep], keep <= 2n */

#define FFT_CONJ_IN 1u
#define FFT_CONJ_OUT 2u

/* The largest radix, and so the butterfly width the kernels hold. */
#define FFT_MAX_RADIX 8u

#endif
