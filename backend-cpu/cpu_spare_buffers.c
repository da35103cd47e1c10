/* Freed huge buffers kept for the next allocation of the same size.
 *
 * A layer's temporaries (the MoE FFN allocates 160 MiB of them per f32
 * call at T 2048, d 1024, ff 4096) are fresh memory every call, and fresh
 * memory costs a page fault and a kernel zeroing pass per page on first
 * touch. With huge pages that is usually a few ms per 64 MiB, but the
 * kernel sometimes has to compact memory for a huge page first: then one
 * 64 MiB buffer's first touch took 0.4 s on the shared build machine, and
 * ts_moe_ffn spent 0.7-0.9 s of a 2.7 s call in the kernel. Reusing the
 * last call's buffers makes the cost zero and the timing steady.
 *
 * Bounded so the memory held stays predictable: at most
 * TSI_CPU_SPARE_SLOTS buffers and TSI_CPU_SPARE_MAX_BYTES in all, oldest
 * evicted first, everything returned when the device closes. A buffer is
 * reused only for a request of exactly its (2 MiB rounded) length, so a
 * tensor never holds more memory than a fresh allocation would. Core calls
 * buffer_alloc / buffer_free under the device lock, so no lock here. */
#include <stdlib.h>
#include <string.h>

#include "backend-cpu/cpu_internal.h"

void *tsi_cpu_spares_take(tsi_cpu_spares *s, size_t len)
{
    for (int i = s->n - 1; i >= 0; i--) {
        if (s->len[i] != len)
            continue;
        void *p = s->p[i];
        s->bytes -= len;
        s->n--;
        memmove(&s->p[i], &s->p[i + 1], (size_t)(s->n - i) * sizeof s->p[0]);
        memmove(&s->len[i], &s->len[i + 1], (size_t)(s->n - i) * sizeof s->len[0]);
        return p;
    }
    return NULL;
}

static void drop_oldest(tsi_cpu_spares *s)
{
    free(s->p[0]);
    s->bytes -= s->len[0];
    s->n--;
    memmove(&s->p[0], &s->p[1], (size_t)s->n * sizeof s->p[0]);
    memmove(&s->len[0], &s->len[1], (size_t)s->n * sizeof s->len[0]);
}

bool tsi_cpu_spares_keep(tsi_cpu_spares *s, void *p, size_t len)
{
    if (len > TSI_CPU_SPARE_MAX_BYTES)
        return false;
    while (s->n > 0 && (s->n == TSI_CPU_SPARE_SLOTS || s->bytes + len > TSI_CPU_SPARE_MAX_BYTES))
        drop_oldest(s);
    s->p[s->n] = p;
    s->len[s->n] = len;
    s->n++;
    s->bytes += len;
    return true;
}

void tsi_cpu_spares_clear(tsi_cpu_spares *s)
{
    while (s->n > 0)
        drop_oldest(s);
}
