/* Small pieces every backend's plan hooks share (header-only: modules
 * cannot call core symbols). */
#ifndef TESSEL_CORE_PLAN_UTIL_H
#define TESSEL_CORE_PLAN_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static inline int64_t tsi_pow2_ceil(int64_t n)
{
    int64_t p = 1;
    while (p < n)
        p *= 2;
    return p;
}

/* The largest power of two <= v (1 for v <= 1), at most 2^31: workgroup
 * widths from a device's or a driver's limit. */
static inline uint32_t tsi_pow2_floor(uint64_t v)
{
    uint32_t p = 1;
    while ((uint64_t)p * 2 <= v && p < (1u << 31))
        p *= 2;
    return p;
}

/* A tile much larger than the problem only wastes scratch and idle lanes
 * (Lq = 1 decoding gets one-row query tiles); rounding to a power of two
 * keeps the number of distinct kernel builds (one per tile size on GPUs)
 * small. */
static inline int tsi_tile_fit(int tile, int64_t n)
{
    if (n >= 1 && tile > tsi_pow2_ceil(n))
        return (int)tsi_pow2_ceil(n);
    return tile;
}

/* "a,b" from the environment variable `var` (hand tuning and tests that
 * want many ragged tiles), each in 1..4096; false when unset or invalid. */
static inline int tsi_env_tile_pair(const char *var, int *a, int *b)
{
    const char *s = getenv(var);
    int x, y;
    if (!s || sscanf(s, "%d,%d", &x, &y) != 2 || x < 1 || y < 1 || x > 4096 || y > 4096)
        return 0;
    *a = x;
    *b = y;
    return 1;
}

#endif
