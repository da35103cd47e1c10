/* FFT plans of the CPU backend (cpu_fft.h): the radix schedule of the
 * column passes and of the lane transform, and every twiddle table, made
 * once per (length, lanes) and kept in the device. */
#include <math.h>
#include <stdlib.h>

#include "backend-cpu/cpu_fft.h"

/* exp(-2 pi i num / den) rounded once to float; num is reduced exactly
 * first, so the angle's error does not grow with j*k. */
static void twiddle(int64_t num, int64_t den, float *re, float *im)
{
    static const double two_pi = 6.283185307179586476925286766559;
    double a = two_pi * (double)(num % den) / (double)den;
    *re = (float)cos(a);
    *im = (float)-sin(a);
}

/* Radices for a length whose prime factors are 2, 3, 5 and 7: the power
 * of two in as few passes over memory as fit (radix 16 where the vector
 * registers hold its 16 elements, else 8), then 3, 5, 7. 0 when len has
 * another factor. */
static int schedule(int64_t len, int max_radix, int *radix, int max)
{
    int count = 0, twos = 0;
    while (len % 2 == 0) {
        len /= 2;
        twos++;
    }
    int bits = max_radix == 16 ? 4 : 3;
    int big = twos / bits, rest = twos % bits;
    /* A lone radix 2 costs a whole pass: merge it with a big one into two
     * mid-sized ones (16 * 2 = 8 * 4, 8 * 2 = 4 * 4). */
    int pair = rest == 1 && big > 0;
    if (pair)
        big--;
    for (int i = 0; i < big && count < max; i++)
        radix[count++] = max_radix;
    if (pair && count + 2 <= max) {
        radix[count++] = bits == 4 ? 8 : 4;
        radix[count++] = 4;
    } else if (rest > 0 && count < max) {
        radix[count++] = 1 << rest;
    }
    static const int odd[] = {3, 5, 7};
    for (int i = 0; i < 3; i++)
        while (len % odd[i] == 0 && count < max) {
            len /= odd[i];
            radix[count++] = odd[i];
        }
    return len == 1 ? count : 0;
}

/* Floats of twiddles the passes of a schedule need. */
static size_t pass_floats(const int *radix, int count, int64_t len)
{
    size_t total = 0;
    int64_t s = 1;
    for (int i = 0; i < count; i++) {
        int64_t m = len / (s * radix[i]);
        total += (size_t)(m * (radix[i] - 1) * 2);
        s *= radix[i];
    }
    return total;
}

/* Fill passes and their twiddles (at *tw, advanced past them). */
static void fill_passes(const int *radix, int count, int64_t len, tsi_cpu_fft_pass *ps, float **tw)
{
    int64_t s = 1;
    for (int i = 0; i < count; i++) {
        int r = radix[i];
        int64_t m = len / (s * r), np = r * m;
        ps[i].radix = r;
        ps[i].m = m;
        ps[i].s = s;
        ps[i].tw = *tw;
        for (int64_t p = 0; p < m; p++)
            for (int k = 1; k < r; k++) {
                float *t = *tw + (p * (r - 1) + k - 1) * 2;
                twiddle(p * k, np, &t[0], &t[1]);
            }
        *tw += m * (r - 1) * 2;
        s *= r;
    }
}

tsi_cpu_fft_tables *tsi_cpu_fft_tables_create(int64_t n, int vw)
{
    if (n < 1 || vw < 1 || n % ((int64_t)vw * vw) != 0)
        return NULL;
    tsi_cpu_fft_tables *pl = calloc(1, sizeof *pl);
    if (!pl)
        return NULL;
    pl->n = n;
    pl->vw = vw;
    pl->n1 = n / vw;
    int rad[TSI_CPU_FFT_MAX_PASSES];
    pl->n_pass = schedule(pl->n1, vw >= 16 ? 16 : 8, rad, TSI_CPU_FFT_MAX_PASSES);
    if (pl->n_pass == 0 && pl->n1 > 1) {
        free(pl);
        return NULL;
    }
    size_t blocks = (size_t)(n / vw + 1);
    size_t floats = pass_floats(rad, pl->n_pass, pl->n1) + (size_t)(2 * (pl->n1 / vw + vw) * vw) +
                    2 * blocks + (size_t)(2 * vw);
    pl->mem = malloc(floats * sizeof(float));
    if (!pl->mem) {
        free(pl);
        return NULL;
    }
    float *tw = pl->mem;
    fill_passes(rad, pl->n_pass, pl->n1, pl->pass, &tw);
    /* Elements: lanes b hold real parts, then imaginary parts. */
    pl->col_tw = tw;
    for (int64_t blk = 0; blk < pl->n1 / vw; blk++)
        for (int b = 0; b < vw; b++)
            twiddle((int64_t)b * blk * vw, n, &tw[blk * 2 * vw + b], &tw[blk * 2 * vw + vw + b]);
    tw += 2 * (pl->n1 / vw) * vw;
    pl->col_tw_lane = tw;
    for (int i = 0; i < vw; i++)
        for (int b = 0; b < vw; b++)
            twiddle((int64_t)b * i, n, &tw[i * 2 * vw + b], &tw[i * 2 * vw + vw + b]);
    tw += 2 * vw * vw;
    pl->real_blk = tw;
    for (size_t b = 0; b < blocks; b++)
        twiddle((int64_t)b * vw, 2 * n, &tw[2 * b], &tw[2 * b + 1]);
    tw += 2 * blocks;
    pl->real_lane = tw;
    for (int i = 0; i < vw; i++)
        twiddle(i, 2 * n, &tw[i], &tw[vw + i]);
    return pl;
}

void tsi_cpu_fft_tables_free(tsi_cpu_fft_tables *list)
{
    while (list) {
        tsi_cpu_fft_tables *next = list->next;
        free(list->mem);
        free(list);
        list = next;
    }
}
