/* Allocation-failure injection, test only: fail exactly the N-th host
 * allocation of core or device buffer allocation counted from the moment
 * the hook is armed (TESSEL_TEST_HOOK=fail_alloc:N at ts_context_create,
 * or tsi_alloc_hook_arm from a test linked to the static library). A test
 * sweeps N over every allocation of a workload and checks that each one
 * ends in TS_ERR_OUT_OF_MEMORY with a message, leaks nothing and leaves
 * the device usable (tests/test_alloc_failure.c).
 *
 * Disarmed, an allocation pays one relaxed atomic load and a predictable
 * branch (tsi_alloc_should_fail in internal.h); the counting below runs
 * only while armed. */
#include <stdlib.h>

#include "core/internal.h"

atomic_int tsi_alloc_hook_armed;
static atomic_llong seen;   /* allocations counted since armed */
static atomic_llong target; /* the one that fails (1-based) */
static atomic_int fired;

void tsi_alloc_hook_arm(long long n)
{
    atomic_store(&tsi_alloc_hook_armed, 0);
    atomic_store(&seen, 0);
    atomic_store(&target, n);
    atomic_store(&fired, 0);
    if (n > 0)
        atomic_store(&tsi_alloc_hook_armed, 1);
}

long long tsi_alloc_hook_seen(void)
{
    return atomic_load(&seen);
}

bool tsi_alloc_hook_fired(void)
{
    return atomic_load(&fired) != 0;
}

bool tsi_alloc_hook_hit(void)
{
    if (atomic_fetch_add(&seen, 1) + 1 != atomic_load(&target))
        return false;
    atomic_store(&fired, 1);
    return true;
}

void *tsi_malloc(size_t bytes)
{
    return tsi_alloc_should_fail() ? NULL : malloc(bytes);
}

void *tsi_calloc(size_t count, size_t size)
{
    return tsi_alloc_should_fail() ? NULL : calloc(count, size);
}

void *tsi_realloc(void *p, size_t bytes)
{
    return tsi_alloc_should_fail() ? NULL : realloc(p, bytes);
}
