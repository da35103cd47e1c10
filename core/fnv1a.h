/* FNV-1a, 64 bits: the checksums and names of tessel's cache and tuning
 * files. Header-only, so backend modules (which cannot link core's
 * hidden symbols) use the same function as core. */
#ifndef TESSEL_CORE_FNV1A_H
#define TESSEL_CORE_FNV1A_H

#include <stddef.h>
#include <stdint.h>

#define TSI_FNV_BASIS 0xcbf29ce484222325ull

static inline uint64_t tsi_fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

#endif
