/* cpu_fft.c's transform steps for a caller that owns the rows, the
 * threads and the buffers: TSI_OP_FFT itself, and the fused FFT
 * convolution (cpu_fftconv.c), which keeps a row's spectra in its worker's
 * buffers from the forward transforms to the inverse instead of writing
 * them to memory between ops. */
#ifndef TESSEL_BACKEND_CPU_FFT_ROWS_H
#define TESSEL_BACKEND_CPU_FFT_ROWS_H

#include "backend-cpu/cpu_fft.h"
#include "backend-cpu/cpu_internal.h"
#include "core/fft_smooth.h"

/* Outputs this large are written once and read back, if ever, from
 * memory: streaming stores skip reading their lines into the caches. */
#define TSI_CPU_FFT_STREAM_BYTES ((int64_t)32 << 20)

typedef struct tsi_cpu_fft_job {
    const tsi_cpu_kernels *k;
    const tsi_cpu_fft_kernels *f;
    const tsi_cpu_fft_tables *pl;
    tsi_cpu_pool *pool; /* split each step over it; NULL: run it inline */
    int kind, inverse;
    ts_dtype in_dt;
    int64_t n, len, in_last, out_last;
    float scale;
    int store; /* how the output is written: TSI_FFT_OUT_INT or _STREAM */
    /* TSI_OP_FFT's rows and per-worker scratch (unused by row callers). */
    const char *x;
    char *y;
    float *ws;
    size_t ws_floats;
} tsi_cpu_fft_job;

/* A job for a TSI_FFT_* kind of length n on dev (its plan made or found):
 * input rows of in_last values of in_dt, output rows of out_last, every
 * output times scale; steps run inline. TS_ERR_OUT_OF_MEMORY when the plan
 * cannot be made. */
ts_status tsi_cpu_fft_job_init(tsi_device *dev, int kind, int64_t n, ts_dtype in_dt,
                               int64_t in_last, int64_t out_last, float scale, tsi_cpu_fft_job *j);
/* Floats in each buffer a row's steps use (2 len + 2, aligned), for the
 * job's complex length len. */
size_t tsi_cpu_fft_buffer_floats(int64_t len);
/* The whole complex transform: step 2's passes (cpu_fft.h), ping-ponging
 * between b0 and b1, the first reading `in` (the row's complex values
 * interleaved, conjugated when conj; only the first in_elems elements of
 * vw values, zeros after; in may be b1, which only the first pass reads,
 * never b0) when given, else the elements the table's load() put in b0;
 * then step 3 into dst (as store, a TSI_FFT_OUT_* mode, says: interleaved
 * floats below limit, or elements; times scale, conjugated when
 * out_conj), the last pass
 * and step 3 in one sweep where the plan allows. dst NULL: into whichever
 * of b0 and b1 the last step does not read, which is returned (else dst
 * is). */
float *tsi_cpu_fft_run(const tsi_cpu_fft_job *j, const float *in, int64_t in_elems, int conj,
                       float *b0, float *b1, float *dst, int64_t limit, float scale, int out_conj,
                       int store);

#endif
