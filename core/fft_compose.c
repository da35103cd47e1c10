/* FFTs as compositions of simpler ops, for what a backend's kernel
 * declines (core/fallback.c counts and logs each use):
 *  - Bluestein's chirp-z algorithm for a length n with a prime factor above
 *    7: jk = (j^2 + k^2 - (k-j)^2) / 2 turns the transform into a circular
 *    convolution of length M >= 2n - 1, which runs as two smooth FFTs;
 *  - a real transform as a complex one (twice the work of a real kernel);
 *  - the complex-to-real inverse without building the Hermitian half:
 *    y_t = Re sum_{k <= n/2} w_k X_k e^{+2 pi i k t / n} with w_0 = 1,
 *    w_{n/2} = 1 (n even) and 2 between, which is numpy's irfft (it also
 *    ignores the imaginary parts of bins 0 and n/2).
 * Every constant is computed on the host in double with exact angle
 * reduction and written once per call; the device work is public ops. */
#include <math.h>
#include <stdlib.h>

#include "core/fft_internal.h"

/* Temporaries of one composition, destroyed together. */
typedef struct tmp_set {
    ts_tensor *t[8];
    int n;
} tmp_set;

static ts_status tmp_new(tmp_set *s, ts_device *dev, ts_dtype dt, int nd, const int64_t *shape,
                         ts_tensor **out)
{
    ts_status st = ts_tensor_create(dev, dt, nd, shape, out);
    if (st == TS_OK)
        s->t[s->n++] = *out;
    return st;
}

static void tmp_free(tmp_set *s)
{
    for (int i = 0; i < s->n; i++)
        ts_tensor_destroy(s->t[i]);
    s->n = 0;
}

/* A shape equal to t's with the last dim replaced. */
static void shape_with_last(const ts_tensor *t, int64_t last, int64_t *shape)
{
    for (int i = 0; i < t->ndim; i++)
        shape[i] = t->shape[i];
    shape[t->ndim - 1] = last;
}

/* The first `keep` elements of t's last dim, as a view (not a handle). */
static ts_tensor crop_last(const ts_tensor *t, int64_t keep)
{
    ts_tensor v = *t;
    v.shape[v.ndim - 1] = keep;
    return v;
}

/* A 1-d c64 tensor holding pairs (re, im) from the host. */
static ts_status c64_vector(tmp_set *s, ts_device *dev, const float *pairs, int64_t n,
                            ts_tensor **out)
{
    TSI_RETURN_IF_ERROR(tmp_new(s, dev, TS_C64, 1, &n, out));
    return ts_tensor_write(*out, pairs, (size_t)n * 2 * sizeof(float));
}

/* The smallest 2^a 3^b 5^c >= n. */
static int64_t smooth_at_least(int64_t n)
{
    int64_t best = INT64_MAX;
    for (int64_t p2 = 1; p2 < best && p2 <= INT64_MAX / 2; p2 *= 2)
        for (int64_t p3 = p2; p3 < best && p3 <= INT64_MAX / 3; p3 *= 3)
            for (int64_t p5 = p3; p5 < best && p5 <= INT64_MAX / 5; p5 *= 5)
                if (p5 >= n) {
                    best = p5;
                    break;
                }
    return best;
}

/* exp(sign * i pi j^2 / n) for j < count, with j^2 reduced mod 2n exactly
 * so the angle keeps its precision for large j. */
static void chirp(int sign, int64_t n, int64_t count, bool conj, float *pairs)
{
    const double pi = 3.14159265358979323846;
    uint64_t two_n = 2u * (uint64_t)n;
    for (int64_t j = 0; j < count; j++) {
        uint64_t r = (uint64_t)(((unsigned __int128)(uint64_t)j * (uint64_t)j) % two_n);
        double a = sign * pi * (double)r / (double)n;
        pairs[2 * j] = (float)cos(a);
        pairs[2 * j + 1] = (float)(conj ? -sin(a) : sin(a));
    }
}

ts_status tsi_fft_bluestein(const char *fn, int inverse, const ts_tensor *x, int64_t n,
                            float scale, ts_tensor *out)
{
    ts_device *dev = x->st->dev;
    int sign = inverse ? 1 : -1;
    int64_t m = x->shape[x->ndim - 1]; /* <= n: tsi_fft1d cropped it */
    TSI_CHECK(n <= (INT64_MAX - 1) / 2, TS_ERR_OVERFLOW, "%s: length %lld is too long", fn,
              (long long)n);
    int64_t big = smooth_at_least(2 * n - 1);
    TSI_CHECK((uint64_t)big <= SIZE_MAX / (2 * sizeof(float)), TS_ERR_OVERFLOW,
              "%s: length %lld is too long", fn, (long long)n);
    float *host = calloc((size_t)big * 2, sizeof(float));
    TSI_CHECK(host, TS_ERR_OUT_OF_MEMORY, "%s: out of host memory for %lld chirp values", fn,
              (long long)big);

    tmp_set s = {.n = 0};
    ts_tensor *c_in = NULL, *c_out = NULL, *b = NULL, *bf = NULL, *a = NULL, *fa = NULL, *p = NULL;
    int64_t shape[TS_MAX_DIMS];
    /* The chirp, for the input (m values) and the output (n values). */
    chirp(sign, n, n, false, host);
    ts_status st = c64_vector(&s, dev, host, m, &c_in);
    if (st == TS_OK)
        st = c64_vector(&s, dev, host, n, &c_out);
    /* b_j = conj(chirp_j) at j and M - j: the circular kernel. Its
     * transform carries the output scale and the inverse's 1/M. */
    if (st == TS_OK) {
        chirp(sign, n, n, true, host);
        for (int64_t j = 1; j < n; j++) {
            host[2 * (big - j)] = host[2 * j];
            host[2 * (big - j) + 1] = host[2 * j + 1];
        }
        for (int64_t j = n; j <= big - n; j++)
            host[2 * j] = host[2 * j + 1] = 0.0f;
        st = c64_vector(&s, dev, host, big, &b);
    }
    free(host);
    if (st == TS_OK)
        st = tmp_new(&s, dev, TS_C64, 1, &big, &bf);
    if (st == TS_OK)
        st = tsi_fft1d(fn, TSI_FFT_C2C, 0, b, big, (float)((double)scale / (double)big), bf);
    /* a = x * chirp, transformed at length M (zero-padded). */
    shape_with_last(x, m, shape);
    if (st == TS_OK)
        st = tmp_new(&s, dev, TS_C64, x->ndim, shape, &a);
    if (st == TS_OK)
        st = ts_binary(TS_MUL, x, c_in, a);
    shape_with_last(x, big, shape);
    if (st == TS_OK)
        st = tmp_new(&s, dev, TS_C64, x->ndim, shape, &fa);
    if (st == TS_OK)
        st = tsi_fft1d(fn, TSI_FFT_C2C, 0, a, big, 1.0f, fa);
    if (st == TS_OK)
        st = tmp_new(&s, dev, TS_C64, x->ndim, shape, &p);
    if (st == TS_OK)
        st = ts_binary(TS_MUL, fa, bf, p);
    /* The circular convolution back into fa, then out = conv[:n] * chirp. */
    if (st == TS_OK)
        st = tsi_fft1d(fn, TSI_FFT_C2C, 1, p, big, 1.0f, fa);
    if (st == TS_OK) {
        ts_tensor conv = crop_last(fa, n);
        st = ts_binary(TS_MUL, &conv, c_out, out);
    }
    tmp_free(&s);
    return st;
}

ts_status tsi_fft_r2c_via_c2c(const char *fn, const ts_tensor *x, int64_t n, float scale,
                              ts_tensor *out)
{
    ts_device *dev = x->st->dev;
    tmp_set s = {.n = 0};
    ts_tensor *xc = NULL, *full = NULL;
    int64_t shape[TS_MAX_DIMS];
    shape_with_last(x, x->shape[x->ndim - 1], shape);
    ts_status st = tmp_new(&s, dev, TS_C64, x->ndim, shape, &xc);
    if (st == TS_OK)
        st = ts_cast(x, xc);
    shape_with_last(x, n, shape);
    if (st == TS_OK)
        st = tmp_new(&s, dev, TS_C64, x->ndim, shape, &full);
    if (st == TS_OK)
        st = tsi_fft1d(fn, TSI_FFT_C2C, 0, xc, n, scale, full);
    if (st == TS_OK) {
        ts_tensor half = crop_last(full, n / 2 + 1);
        st = ts_copy(&half, out);
    }
    tmp_free(&s);
    return st;
}

ts_status tsi_fft_c2r_via_c2c(const char *fn, const ts_tensor *x, int64_t n, float scale,
                              ts_tensor *out)
{
    ts_device *dev = x->st->dev;
    int64_t bins = x->shape[x->ndim - 1]; /* <= n/2 + 1: tsi_fft1d cropped it */
    float *host = malloc((size_t)bins * 2 * sizeof(float));
    TSI_CHECK(host, TS_ERR_OUT_OF_MEMORY, "%s: out of host memory", fn);
    for (int64_t k = 0; k < bins; k++) {
        host[2 * k] = k == 0 || 2 * k == n ? 1.0f : 2.0f;
        host[2 * k + 1] = 0.0f;
    }
    tmp_set s = {.n = 0};
    ts_tensor *w = NULL, *z = NULL, *y = NULL;
    int64_t shape[TS_MAX_DIMS];
    ts_status st = c64_vector(&s, dev, host, bins, &w);
    free(host);
    shape_with_last(x, bins, shape);
    if (st == TS_OK)
        st = tmp_new(&s, dev, TS_C64, x->ndim, shape, &z);
    if (st == TS_OK)
        st = ts_binary(TS_MUL, x, w, z);
    shape_with_last(x, n, shape);
    if (st == TS_OK)
        st = tmp_new(&s, dev, TS_C64, x->ndim, shape, &y);
    if (st == TS_OK)
        st = tsi_fft1d(fn, TSI_FFT_C2C, 1, z, n, scale, y);
    if (st == TS_OK) {
        ts_tensor head = crop_last(y, out->shape[out->ndim - 1]);
        st = ts_cast(&head, out);
    }
    tmp_free(&s);
    return st;
}
