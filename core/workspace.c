/* The scratch memory kernels ask for through their plan (tsi_kernel.plan,
 * core/backend.h): one buffer per device, grown on demand and reused by
 * the next op, so small ops do not pay an allocation each; one that grew
 * past WORKSPACE_KEEP is returned after its op, so a one-off big op does
 * not pin its scratch for the device's lifetime. It counts in the device's
 * memory statistics like any internal temporary. Under the device lock;
 * the backend keeps a freed buffer alive until the work using it ran. */
#include "core/internal.h"

#define WORKSPACE_KEEP ((size_t)8 << 20)

ts_status tsi_workspace_get(ts_device *dev, size_t bytes, tsi_buffer **out)
{
    if (dev->ws && dev->ws_bytes >= bytes) {
        *out = dev->ws;
        return TS_OK;
    }
    tsi_workspace_release(dev);
    TSI_RETURN_IF_ERROR(tsi_buffer_alloc_locked(dev, bytes, &dev->ws));
    dev->ws_bytes = bytes;
    *out = dev->ws;
    return TS_OK;
}

void tsi_workspace_trim(ts_device *dev)
{
    if (dev->ws_bytes > WORKSPACE_KEEP)
        tsi_workspace_release(dev);
}

void tsi_workspace_release(ts_device *dev)
{
    if (dev->ws)
        tsi_buffer_free_locked(dev, dev->ws, dev->ws_bytes);
    dev->ws = NULL;
    dev->ws_bytes = 0;
}
