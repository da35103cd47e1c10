/* The tsi_host table lent to every backend: the only core services a
 * backend module may use (it cannot link core symbols, they are hidden). */
#include "core/internal.h"
#include "core/tuning.h"

static const tsi_host host_services = {
    .abi_version = TSI_BACKEND_ABI_VERSION,
    .set_error = tsi_set_error,
    .log = tsi_log,
    .cache_dir = tsi_cache_dir,
    .cache_load = tsi_cache_load,
    .cache_store = tsi_cache_store,
    .test_hook = tsi_test_hook,
    .tuning = tsi_tuning_lookup,
};

const tsi_host *tsi_host_services(void)
{
    return &host_services;
}
