/* The CPU backend's kept buffers (cpu_spare_buffers.c): a kept buffer is
 * handed back only for a request of exactly its length, newest first; the
 * slot and byte bounds evict the oldest; a buffer over the byte bound is
 * refused (the caller frees it); clear frees everything. Run under ASan,
 * a lost or doubly freed buffer fails too. */
#include <stdio.h>
#include <stdlib.h>

#include "backend-cpu/cpu_internal.h"

static int failures;

static void expect(int ok, const char *what)
{
    if (!ok) {
        printf("FAIL: %s\n", what);
        failures++;
    }
}

#define MIB ((size_t)1 << 20)

int main(void)
{
    tsi_cpu_spares s = {0};
    void *a = malloc(16), *b = malloc(16), *c = malloc(16);
    expect(tsi_cpu_spares_take(&s, 64 * MIB) == NULL, "take from empty");
    expect(tsi_cpu_spares_keep(&s, a, 64 * MIB), "keep a");
    expect(tsi_cpu_spares_keep(&s, b, 64 * MIB), "keep b");
    expect(tsi_cpu_spares_keep(&s, c, 16 * MIB), "keep c");
    expect(s.n == 3 && s.bytes == 144 * MIB, "3 kept, 144 MiB");
    expect(tsi_cpu_spares_take(&s, 32 * MIB) == NULL, "no inexact match");
    expect(tsi_cpu_spares_take(&s, 64 * MIB) == b, "newest of the length first");
    expect(tsi_cpu_spares_take(&s, 16 * MIB) == c, "take c");
    expect(s.n == 1 && s.bytes == 64 * MIB && s.p[0] == a, "a left");
    free(b);
    free(c);

    /* Bytes bound: 64 + 200 > 256, so a (the oldest) goes, freed here. */
    void *d = malloc(16);
    expect(tsi_cpu_spares_keep(&s, d, 200 * MIB), "keep d");
    expect(s.n == 1 && s.p[0] == d && s.bytes == 200 * MIB, "a evicted by the byte bound");
    /* Over the bound alone: refused (still the caller's), nothing evicted. */
    void *e = malloc(16);
    expect(!tsi_cpu_spares_keep(&s, e, TSI_CPU_SPARE_MAX_BYTES + 2 * MIB), "too big refused");
    expect(s.n == 1 && s.p[0] == d, "d still kept");
    free(e);
    tsi_cpu_spares_clear(&s);
    expect(s.n == 0 && s.bytes == 0, "clear empties");

    /* Slot bound: the ninth buffer evicts the first. */
    void *first = NULL;
    for (int i = 0; i <= TSI_CPU_SPARE_SLOTS; i++) {
        void *p = malloc(16);
        if (i == 0)
            first = p;
        expect(tsi_cpu_spares_keep(&s, p, 4 * MIB), "keep small");
    }
    expect(s.n == TSI_CPU_SPARE_SLOTS && s.bytes == TSI_CPU_SPARE_SLOTS * 4 * MIB,
           "slot bound holds");
    int found = 0;
    for (int i = 0; i < s.n; i++)
        found |= s.p[i] == first;
    expect(!found, "the oldest evicted by the slot bound");
    tsi_cpu_spares_clear(&s);

    if (failures)
        return 1;
    printf("cpu_spare_buffers: ok\n");
    return 0;
}
