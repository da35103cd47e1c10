/* Context creation and teardown: which backends load (TESSEL_BACKENDS),
 * enumerating every device of every backend, and closing it all down in
 * the reverse order (devices, then backends, then module code last, since
 * shutdown runs code that lives in the module). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/registry.h"
#include "core/tuning.h"

static const char *const known_backends[] = {"cpu", "vulkan", "opencl"};
#define KNOWN_BACKEND_COUNT (sizeof known_backends / sizeof known_backends[0])

/* Is `name` listed in the comma-separated TESSEL_BACKENDS (unset: all)? */
static bool backend_wanted(const char *list, const char *name)
{
    if (!list || !*list)
        return true;
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return true;
        if (!end)
            break;
        p = end + 1;
    }
    return false;
}

static void warn_unknown_backends(const char *list)
{
    if (!list)
        return;
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        bool known = len == 0;
        for (size_t i = 0; i < KNOWN_BACKEND_COUNT && !known; i++)
            known = strlen(known_backends[i]) == len && strncmp(p, known_backends[i], len) == 0;
        if (!known)
            tsi_log(TS_LOG_WARN, "tessel: TESSEL_BACKENDS names unknown backend '%.*s' (ignored)",
                    (int)len, p);
        if (!end)
            break;
        p = end + 1;
    }
}

/* Load and init one backend into ctx->slots. TS_ERR_NOT_FOUND: skipped. */
static ts_status load_backend(ts_context *ctx, const char *name)
{
    const tsi_backend *vt = NULL;
    void *module = NULL;
    if (strcmp(name, "cpu") == 0) {
        vt = tsi_backend_cpu();
        if (!vt || vt->abi_version != TSI_BACKEND_ABI_VERSION || vt->op_size != sizeof(tsi_op))
            return tsi_fail(TS_ERR_INTERNAL, "ts_context_create: CPU backend ABI mismatch");
    } else if (tsi_module_load(name, &vt, &module) != TS_OK) {
        return TS_ERR_NOT_FOUND;
    }
    void *state = NULL;
    ts_status st = vt->init(tsi_host_services(), &state);
    if (st != TS_OK) {
        if (st == TS_ERR_NOT_FOUND)
            tsi_log(TS_LOG_INFO, "tessel: %s backend: no driver or device, skipped", name);
        else
            tsi_log(TS_LOG_WARN, "tessel: %s backend failed to start (%s): %s; skipped", name,
                    ts_status_str(st), ts_last_error(NULL));
        tsi_module_unload(module);
        /* The CPU backend is the floor every app relies on. */
        return module ? TS_ERR_NOT_FOUND : st;
    }
    tsi_backend_slot *slot = &ctx->slots[ctx->slot_count++];
    slot->vt = vt;
    slot->state = state;
    slot->module = module;
    return TS_OK;
}

static ts_status add_devices(ts_context *ctx, tsi_backend_slot *slot)
{
    int n = slot->vt->device_count(slot->state);
    if (n <= 0)
        return TS_OK;
    ts_device *grown = tsi_realloc(ctx->devices, sizeof *grown * (size_t)(ctx->device_count + n));
    if (!grown)
        return tsi_fail(TS_ERR_OUT_OF_MEMORY, "ts_context_create: out of host memory");
    ctx->devices = grown;
    for (int i = 0; i < n; i++) {
        ts_device *dev = &ctx->devices[ctx->device_count];
        memset(dev, 0, sizeof *dev);
        ts_status st = slot->vt->device_info(slot->state, i, &dev->info);
        if (st != TS_OK) {
            tsi_log(TS_LOG_WARN, "tessel: %s device %d: no info (%s): %s; skipped", slot->vt->name,
                    i, ts_status_str(st), ts_last_error(NULL));
            continue;
        }
        snprintf(dev->info.id, sizeof dev->info.id, "%s:%d", slot->vt->name, i);
        snprintf(dev->info.backend, sizeof dev->info.backend, "%s", slot->vt->name);
        dev->info.name[sizeof dev->info.name - 1] = '\0';
        dev->info.vendor[sizeof dev->info.vendor - 1] = '\0';
        dev->info.driver[sizeof dev->info.driver - 1] = '\0';
        dev->info.features[sizeof dev->info.features - 1] = '\0';
        dev->slot = slot;
        dev->index = i;
        ctx->device_count++;
    }
    return TS_OK;
}

static void read_test_hook(ts_context *ctx)
{
    const char *hook = getenv("TESSEL_TEST_HOOK");
    static const char prefix[] = "corrupt:";
    if (hook && strncmp(hook, prefix, sizeof prefix - 1) == 0)
        snprintf(ctx->corrupt_op, sizeof ctx->corrupt_op, "%s", hook + sizeof prefix - 1);
    static const char decline[] = "decline:";
    if (hook && strncmp(hook, decline, sizeof decline - 1) == 0)
        snprintf(ctx->decline_op, sizeof ctx->decline_op, "%s", hook + sizeof decline - 1);
    static const char fail_alloc[] = "fail_alloc:"; /* alloc_hook.c */
    if (hook && strncmp(hook, fail_alloc, sizeof fail_alloc - 1) == 0)
        tsi_alloc_hook_arm(strtoll(hook + sizeof fail_alloc - 1, NULL, 10));
}

TS_API ts_status ts_context_create(ts_context **out)
{
    TSI_CHECK(out, TS_ERR_INVALID_ARGUMENT, "ts_context_create: out is NULL");
    *out = NULL;
    ts_context *ctx = tsi_calloc(1, sizeof *ctx);
    if (ctx)
        ctx->slots = tsi_calloc(KNOWN_BACKEND_COUNT, sizeof *ctx->slots);
    if (!ctx || !ctx->slots) {
        free(ctx);
        return tsi_fail(TS_ERR_OUT_OF_MEMORY, "ts_context_create: out of host memory");
    }
    read_test_hook(ctx);
    const char *list = getenv("TESSEL_BACKENDS");
    warn_unknown_backends(list);
    /* Before any backend opens a device, so every device of this context
     * sees the tuning files as they are now. */
    ts_status st = tsi_tuning_load();
    for (size_t i = 0; i < KNOWN_BACKEND_COUNT && st == TS_OK; i++) {
        if (!backend_wanted(list, known_backends[i]))
            continue;
        st = load_backend(ctx, known_backends[i]);
        if (st == TS_ERR_NOT_FOUND)
            st = TS_OK;
        else if (st == TS_OK)
            st = add_devices(ctx, &ctx->slots[ctx->slot_count - 1]);
    }
    /* Locks are made only now: the device array moved while it grew. */
    for (int i = 0; i < ctx->device_count && st == TS_OK; i++) {
        if (pthread_mutex_init(&ctx->devices[i].lock, NULL) != 0)
            st = tsi_fail(TS_ERR_INTERNAL, "ts_context_create: cannot create a device lock");
        else
            ctx->devices[i].ctx = ctx;
    }
    if (st != TS_OK) {
        ts_context_destroy(ctx);
        return st;
    }
    *out = ctx;
    return TS_OK;
}

TS_API void ts_context_destroy(ts_context *ctx)
{
    if (!ctx)
        return;
    for (int i = 0; i < ctx->device_count; i++) {
        ts_device *dev = &ctx->devices[i];
        if (dev->bdev) {
            tsi_workspace_release(dev);
            dev->slot->vt->device_close(dev->bdev);
        }
        if (dev->ctx)
            pthread_mutex_destroy(&dev->lock);
    }
    free(ctx->devices);
    for (int i = ctx->slot_count - 1; i >= 0; i--)
        ctx->slots[i].vt->shutdown(ctx->slots[i].state);
    for (int i = ctx->slot_count - 1; i >= 0; i--)
        tsi_module_unload(ctx->slots[i].module);
    free(ctx->slots);
    free(ctx);
}
