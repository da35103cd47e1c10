/* The FFT lengths every backend kernel runs (header-only: backend modules
 * cannot call core symbols, and core needs the same test to pick
 * Bluestein for the rest). */
#ifndef TESSEL_CORE_FFT_SMOOTH_H
#define TESSEL_CORE_FFT_SMOOTH_H

#include <stdbool.h>
#include <stdint.h>

/* True when n >= 1 and every prime factor of n is 2, 3, 5 or 7. */
static inline bool tsi_fft_smooth(int64_t n)
{
    static const int primes[] = {2, 3, 5, 7};
    if (n < 1)
        return false;
    for (int i = 0; i < 4; i++)
        while (n % primes[i] == 0)
            n /= primes[i];
    return n == 1;
}

#endif
