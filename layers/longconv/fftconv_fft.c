/* fftconv's FFT path on one channel block: spectra of u and k by ts_rfft
 * (n >= 2L - 1, so the circular convolution is the linear one), their c64
 * product broadcast over the batch, ts_irfft keeping the first L samples,
 * then + d*u. f16/bf16 inputs go to rfft as they are (its math is f32).
 *
 * The three spectra live in flat c64 buffers made once per call for the
 * largest block (lc_fft_bufs_make) and viewed per block: fresh buffers per
 * block cost the page faults and zeroing of every temporary each time
 * (a third of the whole call at C = 256, L = 65536 on the CPU), and small
 * reused blocks keep the spectra in the caches between the four steps. */
#include "layers/longconv/longconv_internal.h"

ts_status lc_fft_bufs_make(lc_temps *s, const lc_conv *cv, int64_t cb, lc_fft_bufs *bufs)
{
    int64_t bins = lc_fft_length(cv->l) / 2 + 1;
    int64_t nu = cv->b * cb * bins, nk = (cv->k_batched ? cv->b : 1) * cb * bins;
    TSI_RETURN_IF_ERROR(lc_new(s, TS_C64, 1, &nu, &bufs->uf));
    TSI_RETURN_IF_ERROR(lc_new(s, TS_C64, 1, &nk, &bufs->kf));
    return lc_new(s, TS_C64, 1, &nu, &bufs->prod);
}

/* The first numel(shape) values of a flat buffer as a contiguous [shape]. */
static ts_status view(lc_temps *s, ts_tensor *flat, int nd, const int64_t *shape, ts_tensor **out)
{
    ts_tensor *head;
    TSI_RETURN_IF_ERROR(lc_slice(s, flat, 0, 0, tsi_numel(shape, nd), 1, &head));
    return lc_reshape(s, head, nd, shape, out);
}

ts_status lc_fftconv_fft(const lc_conv *cv, const lc_fft_bufs *bufs)
{
    lc_temps s;
    lc_temps_init(&s, cv->fn, cv->dev);
    int64_t n = lc_fft_length(cv->l), bins = n / 2 + 1;
    int64_t ushape[3] = {cv->b, cv->c, bins};
    int64_t kshape[3] = {cv->k_batched ? cv->b : 1, cv->c, bins};
    int knd = cv->k->ndim;
    lc_fft_bufs own;
    ts_tensor *uf, *kf, *prod, *y = NULL;
    ts_status st = TS_OK;
    if (!bufs) {
        st = lc_fft_bufs_make(&s, cv, cv->c, &own);
        bufs = &own;
    }
    if (st == TS_OK)
        st = view(&s, bufs->uf, 3, ushape, &uf);
    if (st == TS_OK)
        st = view(&s, bufs->kf, knd, kshape + 3 - knd, &kf);
    if (st == TS_OK)
        st = view(&s, bufs->prod, 3, ushape, &prod);
    if (st == TS_OK)
        st = ts_rfft(cv->u, n, TS_FFT_BACKWARD, uf);
    if (st == TS_OK)
        st = ts_rfft(cv->k, n, TS_FFT_BACKWARD, kf);
    if (st == TS_OK)
        st = ts_binary(TS_MUL, uf, kf, prod);
    /* Straight into out when nothing is left to add or convert. */
    bool direct = !cv->d && cv->dt == TS_F32 && ts_tensor_is_contiguous(cv->out);
    if (st == TS_OK && direct)
        st = ts_irfft(prod, n, TS_FFT_BACKWARD, cv->out);
    if (st == TS_OK && !direct)
        st = lc_new(&s, TS_F32, 3, cv->out->shape, &y);
    if (st == TS_OK && !direct)
        st = ts_irfft(prod, n, TS_FFT_BACKWARD, y);
    if (st == TS_OK && !direct)
        st = lc_finish(&s, cv, y, NULL);
    lc_temps_free(&s);
    return st;
}
