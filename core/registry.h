/* Where backends come from: the CPU backend compiled into libtessel, and
 * run-time modules (libtessel-vulkan.so, libtessel-opencl.so) found by
 * module_loader.c. Kept apart from internal.h so backend-cpu/ can include
 * just this to see the entry it must provide. */
#ifndef TESSEL_CORE_REGISTRY_H
#define TESSEL_CORE_REGISTRY_H

#include "core/backend.h"

/* Provided by backend-cpu/. */
const tsi_backend *tsi_backend_cpu(void);

/* Find, dlopen and check the module of backend `name` ("vulkan"). Search
 * order: each folder of $TESSEL_MODULE_PATH (':'-separated), the folder of
 * the loaded libtessel and its "tessel/" subfolder, then TESSEL_MODULE_DIR.
 * TS_ERR_NOT_FOUND when no usable module exists (logged, no message). On
 * success *handle is the dlopen handle to dlclose after shutdown. */
ts_status tsi_module_load(const char *name, const tsi_backend **vt, void **handle);
void tsi_module_unload(void *handle);

#endif
