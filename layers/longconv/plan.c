/* The fftconv plan: which path runs a call on a device, and the transform
 * lengths of the FFT paths. Crossovers are data in the tuning table
 * (core/tuning_defaults.txt, fftconv.* keys; measured per device with
 * tessel-bench fftconv, docs/longconv.md), overridable by
 * TESSEL_FFTCONV_PATH. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "layers/longconv/longconv_internal.h"

static bool smooth(int64_t n)
{
    static const int primes[] = {2, 3, 5, 7};
    for (int i = 0; i < 4; i++)
        while (n % primes[i] == 0)
            n /= primes[i];
    return n == 1;
}

int64_t lc_fft_length(int64_t l)
{
    int64_t n = l > 1 ? 2 * l - 1 : 1;
    while (!smooth(n))
        n++;
    return n;
}

int64_t lc_fft_length_even(int64_t l)
{
    /* Even smooth lengths are twice smooth ones: 2m >= 2L - 1 iff m >= L. */
    int64_t m = l > 1 ? l : 1;
    while (!smooth(m))
        m++;
    return 2 * m;
}

/* GEMM flops per row of the matmul path (the forward and inverse DFT of
 * u; the filter's transform is amortized over the batch): the outer
 * stages cost 4 n m2 each (m2 = ceil(L / n1) rows carry data), the inner
 * complex stages 8 n n1 each. */
static double matmul_cost(int64_t l, int64_t n, int64_t n1)
{
    int64_t m2 = (l + n1 - 1) / n1;
    return (double)n * (8.0 * (double)m2 + 16.0 * (double)n1);
}

void lc_matmul_length(int64_t l, lc_fft_len *out)
{
    int64_t lo = l > 1 ? 2 * l - 1 : 1;
    *out = (lc_fft_len){.n = lc_fft_length(l), .n1 = 1, .n2 = lc_fft_length(l)};
    double best = INFINITY;
    /* A slightly longer smooth length can split far better (a prime-ish
     * cofactor forces a lopsided split): look a quarter past the minimum. */
    for (int64_t n = lo; n <= lo + lo / 4 + 1; n++) {
        if (!smooth(n))
            continue;
        for (int64_t n1 = 1; n1 * n1 <= n; n1++) {
            if (n % n1)
                continue;
            double c = matmul_cost(l, n, n1);
            if (c < best) {
                best = c;
                *out = (lc_fft_len){.n = n, .n1 = n1, .n2 = n / n1};
            }
        }
    }
}

static int64_t tuning(ts_device *dev, const char *key, int64_t fallback)
{
    return tsi_host_services()->tuning(&dev->info, key, fallback);
}

static ts_fftconv_path env_path(void)
{
    const char *e = getenv("TESSEL_FFTCONV_PATH");
    if (!e)
        return TS_FFTCONV_AUTO;
    if (strcmp(e, "direct") == 0)
        return TS_FFTCONV_DIRECT;
    if (strcmp(e, "fft") == 0)
        return TS_FFTCONV_FFT;
    if (strcmp(e, "matmul") == 0)
        return TS_FFTCONV_MATMUL;
    return TS_FFTCONV_AUTO;
}

ts_fftconv_path lc_fftconv_pick(ts_device *dev, ts_fftconv_path forced, int64_t l, int64_t k)
{
    if (forced != TS_FFTCONV_AUTO)
        return forced;
    ts_fftconv_path e = env_path();
    if (e != TS_FFTCONV_AUTO)
        return e;
    /* Direct work grows like L*K, an FFT's like L log L: short filters, or
     * short sequences, are direct. */
    if (k <= tuning(dev, "fftconv.direct_max_taps", 16) ||
        (double)l * (double)k <= (double)tuning(dev, "fftconv.direct_max_work", 1 << 16))
        return TS_FFTCONV_DIRECT;
    if (lc_fft_length(l) <= tuning(dev, "fftconv.matmul_max_n", 0))
        return TS_FFTCONV_MATMUL;
    return TS_FFTCONV_FFT;
}

int64_t lc_channel_block(ts_device *dev, ts_fftconv_path path, int64_t b, int64_t c, int64_t l)
{
    int64_t budget = tuning(dev, "fftconv.block_bytes", (int64_t)256 << 20);
    lc_fft_len fl = {.n = lc_fft_length(l)};
    if (path == TS_FFTCONV_MATMUL)
        lc_matmul_length(l, &fl);
    /* Per channel and batch row: the FFT path holds about three spectra
     * (8 bytes per bin, n/2 + 1 bins) and an f32 row; the matmul path
     * four work planes of 2n f32, the spectrum and the filter's. */
    double per = path == TS_FFTCONV_MATMUL ? 56.0 * (double)fl.n
                                           : 12.0 * (double)fl.n + 8.0 * (double)l;
    double rows = (double)budget / (per * (double)(b > 0 ? b : 1));
    int64_t cb = rows < 1.0 ? 1 : rows > (double)c ? c : (int64_t)rows;
    /* A multiple of 8 rows when it can be: a CPU pool of 2, 4 or 8
     * workers then shares each block's rows evenly (15 rows on 2 workers
     * leave one idle for a sixteenth of the time). */
    if (cb > 8 && cb < c)
        cb -= cb % 8;
    return cb > 0 ? cb : 1;
}

TS_API const char *ts_fftconv_path_name(ts_fftconv_path path)
{
    static const char *const names[] = {"auto", "direct", "fft", "matmul"};
    return (unsigned)path < 4 ? names[path] : "?";
}

TS_API ts_status ts_fftconv_choose(ts_device *dev, int64_t l, int64_t lk, ts_fftconv_path *path,
                                   int64_t *n)
{
    static const char fn[] = "ts_fftconv_choose";
    TSI_CHECK(dev && path && n, TS_ERR_INVALID_ARGUMENT, "%s: dev, path and n must not be NULL",
              fn);
    TSI_CHECK(l >= 1 && lk >= 1, TS_ERR_INVALID_ARGUMENT,
              "%s: L (%lld) and Lk (%lld) must be >= 1", fn, (long long)l, (long long)lk);
    /* No tensor is that long; keeps 2L - 1 and the length search in range. */
    TSI_CHECK(l <= ((int64_t)1 << 40), TS_ERR_OVERFLOW, "%s: L (%lld) is longer than 2^40", fn,
              (long long)l);
    int64_t k = lk < l ? lk : l;
    *path = lc_fftconv_pick(dev, TS_FFTCONV_AUTO, l, k);
    *n = 0;
    if (*path == TS_FFTCONV_FFT) {
        *n = lc_fft_length(l);
    } else if (*path == TS_FFTCONV_MATMUL) {
        lc_fft_len fl;
        lc_matmul_length(l, &fl);
        *n = fl.n;
    }
    return TS_OK;
}
