/* The CPU FFT's plan and its vector kernels (cpu_fft.c, cpu_fft_plan.c,
 * cpu_fft_kernels.inc).
 *
 * A complex transform of length n runs as a four-step FFT over a matrix
 * of n1 = n / vw rows and vw columns (vw = the kernel table's lanes):
 *   1. the row x[a*vw .. a*vw + vw) becomes one "element", a vector of vw
 *      complex values stored block-split (vw real parts, then vw imaginary
 *      parts), so the vw column transforms run side by side;
 *   2. Stockham autosort passes (radix 16 or 8, then 4, 2, 3, 5, 7)
 *      transform the columns, every butterfly a vertical vector operation;
 *      the first pass reads the caller's interleaved row directly;
 *   3. each result element k1 is multiplied by w_n^(b k1) lane by lane, vw
 *      of them are transposed in registers, and one vw-point butterfly
 *      across them gives the outputs k1 + n1 * k2, stored interleaved and
 *      contiguous along k1.
 * Only the first pass's loads and step 3 cross lanes (one vw x vw
 * transpose per vw outputs). When step 2's last pass has no twiddles
 * (m = 1), it and step 3 run as one sweep (last_cols): each group of vw
 * butterflies leaves its outputs in an L1 scratch, where they are exactly
 * the inputs of radix step-3 blocks, so the buffer is not written and
 * read once more in between. The inverse is the forward transform of the
 * conjugate, conjugated. Real transforms of even n run a complex one of
 * n/2 points (the real row read as complex values) plus a pre- or
 * post-processing pass; odd n runs a complex one of n points. Lengths
 * that vw x vw blocks do not tile run on a narrower table (AVX-512 ->
 * AVX2 -> scalar, where vw = 1 makes steps 1 and 3 plain copies).
 * Twiddles are computed in double from the exactly reduced angle
 * (j*k mod n) / n and rounded once to float. */
#ifndef TESSEL_BACKEND_CPU_FFT_H
#define TESSEL_BACKEND_CPU_FFT_H

#include <stdint.h>

#define TSI_CPU_FFT_MAX_PASSES 40

/* One Stockham pass over a sequence of n' = radix * m elements at stride s
 * (s * n' = the column length): for p < m, q < s,
 *   y[q + s (radix p + k)] = w_{n'}^(p k) sum_j x[q + s (p + j m)] w_radix^(j k). */
typedef struct tsi_cpu_fft_pass {
    int radix;
    int64_t m, s;
    const float *tw; /* [m][radix - 1] (re, im): w_{n'}^(p k), k >= 1 */
} tsi_cpu_fft_pass;

typedef struct tsi_cpu_fft_tables {
    int64_t n;  /* complex length */
    int vw;     /* lanes of the kernel table it was made for */
    int64_t n1; /* n / vw: column length, elements */
    int n_pass;
    tsi_cpu_fft_pass pass[TSI_CPU_FFT_MAX_PASSES]; /* step 2 (column length n1) */
    /* Step 3's twiddles w_n^(b k1), b < vw, k1 = vw blk + i, as the product
     * of col_tw[blk] = w_n^(b vw blk) and col_tw_lane[i] = w_n^(b i), each
     * an element (block-split): n / vw + vw of them instead of n1. */
    const float *col_tw, *col_tw_lane;
    /* Real transforms of length 2n: w_{2n}^k for k <= n is the product of
     * real_blk[k / vw] (re, im pairs) and lane k % vw of real_lane (one
     * element, block-split). */
    const float *real_blk, *real_lane;
    float *mem; /* every table above, one allocation */
    struct tsi_cpu_fft_tables *next;
} tsi_cpu_fft_tables;

/* How step 3 writes its outputs: interleaved complex values, the same
 * with streaming stores (past the caches; ordinary ones where dst is not
 * aligned for them), or block-split elements for a step that reads them
 * as such (the fused convolution's conv_mid). */
enum { TSI_FFT_OUT_INT, TSI_FFT_OUT_STREAM, TSI_FFT_OUT_SPLIT };

/* The FFT row of a SIMD kernel table (tsi_cpu_kernels.fft). Elements and
 * buffers are block-split (see above) unless called interleaved. */
typedef struct tsi_cpu_fft_kernels {
    int vw;
    /* dst[0 .. n) elements = src's first `count` complex values (interleaved
     * re, im; real ones with imaginary part 0 when real), zeros after;
     * conjugated when conj. */
    void (*load)(const float *src, int64_t count, int real, int conj, float *dst, int64_t n);
    /* Butterflies [i0, i1) of a pass (i = p s + q, m s of them). in_mode 0:
     * x holds elements; 1: x holds the row's complex values interleaved
     * (the first pass reads the input directly); 2: the same, conjugated.
     * In modes 1 and 2 only the first in_elems elements (VW values each)
     * are in x, the rest are zeros: a zero-padded row needs no copy. */
    void (*pass)(const tsi_cpu_fft_pass *ps, const float *x, float *y, int64_t i0, int64_t i1,
                 int in_mode, int64_t in_elems);
    /* Step 3 for blocks [b0, b1) of vw consecutive k1: y holds the column
     * results; the outputs go to dst as `store` (TSI_FFT_OUT_*) says,
     * times scale, conjugated when conj; interleaved, only floats below
     * limit are written. */
    void (*cols)(const tsi_cpu_fft_tables *pl, const float *y, float *dst, int64_t limit,
                 float scale, int conj, int store, int64_t b0, int64_t b1);
    /* The last pass ps of step 2 (m = 1, ps->s % vw == 0) and step 3 in
     * one sweep, for groups [g0, g1) of vw consecutive butterflies (ps->s /
     * vw groups): x holds the last pass's input elements; the rest as
     * cols. */
    void (*last_cols)(const tsi_cpu_fft_tables *pl, const tsi_cpu_fft_pass *ps, const float *x,
                      float *dst, int64_t limit, float scale, int conj, int store, int64_t g0,
                      int64_t g1);
    /* Real transforms of length 2n from the complex one of n points, on
     * interleaved values, outputs k in [k0, k1):
     * r2c_post: bins X[k], k <= n, times scale, from Z = FFT(x[2j] + i x[2j+1])
     *   in src[0 .. n] (src[n] = src[0]);
     * c2r_pre: Z[k], k < n, whose inverse is x[2j] + i x[2j+1], from bins
     *   0..n in src. */
    void (*r2c_post)(const tsi_cpu_fft_tables *pl, const float *src, float *dst, float scale,
                     int64_t k0, int64_t k1);
    void (*c2r_pre)(const tsi_cpu_fft_tables *pl, const float *src, float *dst, int64_t k0,
                    int64_t k1);
    /* The fused FFT convolution's middle step, elements [e0, e1): from
     * zu and zk, block-split complex transforms of two real rows (each the
     * row's even and odd samples as one complex value), the block-split
     * conjugated Z' whose transform, conjugated and divided by 4, is the
     * real row of their spectra's product: r2c_post on both, the product
     * and c2r_pre in one sweep. */
    void (*conv_mid)(const tsi_cpu_fft_tables *pl, const float *zu, const float *zk, float *dst,
                     int64_t e0, int64_t e1);
} tsi_cpu_fft_kernels;

/* A plan for n on a table with vw lanes (n % (vw * vw) == 0), or NULL when
 * out of memory. tsi_cpu_fft_tables_free frees a list. */
tsi_cpu_fft_tables *tsi_cpu_fft_tables_create(int64_t n, int vw);
void tsi_cpu_fft_tables_free(tsi_cpu_fft_tables *list);

#endif
