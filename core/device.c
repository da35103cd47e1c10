/* Device handles: lookup, the default-device ranking, lazy opening under
 * the per-device lock, sync, and memory accounting. Every backend call for
 * a device happens between tsi_device_lock and tsi_device_unlock, which is
 * what makes the handles thread-safe without locking in the backends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

TS_API ts_status ts_device_count(ts_context *ctx, int *count)
{
    TSI_CHECK(ctx, TS_ERR_INVALID_ARGUMENT, "ts_device_count: ctx is NULL");
    TSI_CHECK(count, TS_ERR_INVALID_ARGUMENT, "ts_device_count: count is NULL");
    *count = ctx->device_count;
    return TS_OK;
}

TS_API ts_status ts_device_get(ts_context *ctx, int index, ts_device **out)
{
    TSI_CHECK(ctx, TS_ERR_INVALID_ARGUMENT, "ts_device_get: ctx is NULL");
    TSI_CHECK(out, TS_ERR_INVALID_ARGUMENT, "ts_device_get: out is NULL");
    TSI_CHECK(index >= 0 && index < ctx->device_count, TS_ERR_NOT_FOUND,
              "ts_device_get: index %d is out of range (%d devices)", index, ctx->device_count);
    *out = &ctx->devices[index];
    return TS_OK;
}

static ts_device *find_device(ts_context *ctx, const char *id)
{
    for (int i = 0; i < ctx->device_count; i++)
        if (strcmp(ctx->devices[i].info.id, id) == 0)
            return &ctx->devices[i];
    return NULL;
}

TS_API ts_status ts_device_find(ts_context *ctx, const char *id, ts_device **out)
{
    TSI_CHECK(ctx, TS_ERR_INVALID_ARGUMENT, "ts_device_find: ctx is NULL");
    TSI_CHECK(id, TS_ERR_INVALID_ARGUMENT, "ts_device_find: id is NULL");
    TSI_CHECK(out, TS_ERR_INVALID_ARGUMENT, "ts_device_find: out is NULL");
    ts_device *dev = find_device(ctx, id);
    TSI_CHECK(dev, TS_ERR_NOT_FOUND, "ts_device_find: no device '%s'", id);
    *out = dev;
    return TS_OK;
}

/* Lower is preferred; indexed by ts_device_kind. */
static const int kind_rank[] = {
    [TS_DEVICE_DISCRETE_GPU] = 0, [TS_DEVICE_INTEGRATED_GPU] = 1, [TS_DEVICE_CPU] = 2,
    [TS_DEVICE_SOFTWARE] = 3,     [TS_DEVICE_OTHER] = 4,
};

static int rank_of(const ts_device *dev)
{
    unsigned k = (unsigned)dev->info.kind;
    return k < sizeof kind_rank / sizeof kind_rank[0] ? kind_rank[k] : 5;
}

TS_API ts_status ts_device_default(ts_context *ctx, ts_device **out)
{
    TSI_CHECK(ctx, TS_ERR_INVALID_ARGUMENT, "ts_device_default: ctx is NULL");
    TSI_CHECK(out, TS_ERR_INVALID_ARGUMENT, "ts_device_default: out is NULL");
    const char *want = getenv("TESSEL_DEVICE");
    if (want && *want) {
        ts_device *dev = find_device(ctx, want);
        if (dev) {
            *out = dev;
            return TS_OK;
        }
        tsi_log(TS_LOG_WARN, "tessel: TESSEL_DEVICE=%s not found; picking by kind", want);
    }
    ts_device *best = NULL;
    for (int i = 0; i < ctx->device_count; i++)
        if (!best || rank_of(&ctx->devices[i]) < rank_of(best))
            best = &ctx->devices[i];
    TSI_CHECK(best, TS_ERR_NOT_FOUND, "ts_device_default: no device available");
    *out = best;
    return TS_OK;
}

TS_API ts_status ts_device_info_get(const ts_device *dev, ts_device_info *out)
{
    TSI_CHECK(dev, TS_ERR_INVALID_ARGUMENT, "ts_device_info_get: dev is NULL");
    TSI_CHECK(out, TS_ERR_INVALID_ARGUMENT, "ts_device_info_get: out is NULL");
    *out = dev->info;
    return TS_OK;
}

ts_status tsi_device_lock(ts_device *dev)
{
    pthread_mutex_lock(&dev->lock);
    if (dev->bdev)
        return TS_OK;
    tsi_device *bdev = NULL;
    ts_status st = dev->slot->vt->device_open(dev->slot->state, dev->index, &bdev);
    if (st == TS_OK && !bdev)
        st = tsi_fail(TS_ERR_INTERNAL, "%s: device_open returned no device", dev->info.id);
    if (st != TS_OK) {
        pthread_mutex_unlock(&dev->lock);
        return st;
    }
    dev->bdev = bdev;
    return TS_OK;
}

void tsi_device_unlock(ts_device *dev)
{
    pthread_mutex_unlock(&dev->lock);
}

const char *tsi_device_label(const ts_device *dev, char *buf, size_t len)
{
    snprintf(buf, len, "%s (%s)", dev->info.id, dev->info.name);
    return buf;
}

TS_API ts_status ts_device_sync(ts_device *dev)
{
    TSI_CHECK(dev, TS_ERR_INVALID_ARGUMENT, "ts_device_sync: dev is NULL");
    pthread_mutex_lock(&dev->lock);
    ts_status st = dev->bdev ? dev->slot->vt->sync(dev->bdev) : TS_OK;
    pthread_mutex_unlock(&dev->lock);
    return st;
}

ts_status tsi_buffer_alloc_locked(ts_device *dev, size_t bytes, tsi_buffer **out)
{
    if (tsi_alloc_should_fail())
        return tsi_fail(TS_ERR_OUT_OF_MEMORY, "%s: out of device memory for %zu bytes (test hook)",
                        dev->info.id, bytes);
    ts_status st = dev->slot->vt->buffer_alloc(dev->bdev, bytes, out);
    if (st != TS_OK)
        return st;
    dev->mem_in_use += bytes;
    if (dev->mem_in_use > dev->mem_peak)
        dev->mem_peak = dev->mem_in_use;
    return TS_OK;
}

void tsi_buffer_free_locked(ts_device *dev, tsi_buffer *buf, size_t bytes)
{
    if (!buf)
        return;
    dev->slot->vt->buffer_free(dev->bdev, buf);
    dev->mem_in_use -= bytes;
}

TS_API ts_status ts_device_memory_stats(const ts_device *dev, uint64_t *in_use, uint64_t *peak)
{
    TSI_CHECK(dev, TS_ERR_INVALID_ARGUMENT, "ts_device_memory_stats: dev is NULL");
    ts_device *d = (ts_device *)dev; /* the lock is not part of the observable state */
    pthread_mutex_lock(&d->lock);
    if (in_use)
        *in_use = d->mem_in_use;
    if (peak)
        *peak = d->mem_peak;
    pthread_mutex_unlock(&d->lock);
    return TS_OK;
}

TS_API ts_status ts_device_memory_reset_peak(ts_device *dev)
{
    TSI_CHECK(dev, TS_ERR_INVALID_ARGUMENT, "ts_device_memory_reset_peak: dev is NULL");
    pthread_mutex_lock(&dev->lock);
    dev->mem_peak = dev->mem_in_use;
    pthread_mutex_unlock(&dev->lock);
    return TS_OK;
}
