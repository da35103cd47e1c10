/* fftconv's FFT path on one channel block: spectra of u and k by ts_rfft
 * (n >= 2L - 1, so the circular convolution is the linear one), their c64
 * product broadcast over the batch, ts_irfft keeping the first L samples,
 * then + d*u. f16/bf16 inputs go to rfft as they are (its math is f32). */
#include "layers/longconv/longconv_internal.h"

ts_status lc_fftconv_fft(const lc_conv *cv)
{
    lc_temps s;
    lc_temps_init(&s, cv->fn, cv->dev);
    int64_t n = lc_fft_length(cv->l), bins = n / 2 + 1;
    int64_t ushape[3] = {cv->b, cv->c, bins};
    int64_t kshape[3] = {cv->k_batched ? cv->b : 1, cv->c, bins};
    ts_tensor *uf, *kf, *prod, *y = NULL;
    ts_status st = lc_new(&s, TS_C64, 3, ushape, &uf);
    if (st == TS_OK)
        st = lc_new(&s, TS_C64, cv->k->ndim, kshape + 3 - cv->k->ndim, &kf);
    if (st == TS_OK)
        st = ts_rfft(cv->u, n, TS_FFT_BACKWARD, uf);
    if (st == TS_OK)
        st = ts_rfft(cv->k, n, TS_FFT_BACKWARD, kf);
    if (st == TS_OK)
        st = lc_new(&s, TS_C64, 3, ushape, &prod);
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
