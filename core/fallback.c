/* Fallbacks: a fused op that a backend has no kernel for (or declines for
 * a shape) runs as a composition of simpler ops instead of failing.
 *
 * An op offers its composition by setting tsi_dispatch.fallback (and
 * fallback_ctx) before tsi_dispatch_run. The question "kernel or not" is
 * asked here (tsi_fallback_check_locked, dispatch's one call into this
 * file under the lock): when the backend has no kernel for that op itself
 * (not for a contiguous copy; a record error is never a reason), dispatch
 * stops before recording anything, releases the device lock and calls
 * tsi_fallback_run. The one reason found while recording: a backend that
 * learns from the driver that it cannot run the op after all (TSI_REPLAN,
 * then supports() says no; dispatch.c). The composition runs unlocked because
 * it is written with public ops (ts_unary, ts_matmul, ...): each one
 * validates, locks and dispatches on its own, and may itself fall back.
 *
 * Every fallback is counted per device (ts_device_fallback_count, which the
 * conformance runner reads to report `fallback`) and logged: at info level
 * the first time an op code falls back on a device, at debug level after
 * that, so a model calling the op once per token does not flood an info log
 * with one identical line per call. */
#include <stdio.h>
#include <string.h>

#include "core/dispatch.h"

/* fallback_logged keeps one bit per op code. */
_Static_assert(TSI_OP_COUNT <= 64, "ts_device.fallback_logged needs more bits");

/* TESSEL_TEST_HOOK=decline:<op> names this op (its family hook or its
 * registry name). */
static bool hook_declines(const tsi_dispatch *d)
{
    const char *want = d->dev->ctx->decline_op;
    return want[0] && ((d->hook && strcmp(d->hook, want) == 0) ||
                       (d->hook_op && strcmp(d->hook_op, want) == 0));
}

ts_status tsi_fallback_check_locked(tsi_dispatch *d, bool *declined)
{
    bool hooked = hook_declines(d);
    if (!hooked && tsi_op_supported_locked(d->dev, &d->op))
        return TS_OK;
    if (declined && d->fallback) {
        *declined = true;
        return TS_ERR_UNSUPPORTED;
    }
    char label[64], what[96];
    tsi_device_label(d->dev, label, sizeof label);
    tsi_op_label(&d->op, what, sizeof what);
    if (hooked)
        return tsi_fail(TS_ERR_UNSUPPORTED,
                        "%s: %s does not support %s (TESSEL_TEST_HOOK=decline:%s)", d->fn, label,
                        what, d->dev->ctx->decline_op);
    return tsi_fail(TS_ERR_UNSUPPORTED, "%s: %s does not support %s", d->fn, label, what);
}

bool tsi_dispatch_has_kernel(tsi_dispatch *d)
{
    if (hook_declines(d) || tsi_device_lock(d->dev) != TS_OK)
        return false;
    bool has = tsi_op_supported_locked(d->dev, &d->op);
    tsi_device_unlock(d->dev);
    return has;
}

/* Count one fallback of `code` on dev; true when it is the first of that
 * op code there. */
static bool count_fallback(ts_device *dev, tsi_op_code code)
{
    uint64_t bit = 1ull << ((unsigned)code & 63u);
    pthread_mutex_lock(&dev->lock);
    dev->fallbacks++;
    bool first = (dev->fallback_logged & bit) == 0;
    dev->fallback_logged |= bit;
    pthread_mutex_unlock(&dev->lock);
    return first;
}

/* The same choice as dispatch.c makes for a recorded op: the registry's op
 * name (hook_op) when the corrupt hook names it, else the family's hook. */
static const char *armed_hook(const tsi_dispatch *d)
{
    const char *want = d->dev->ctx->corrupt_op;
    return d->hook_op && strcmp(d->hook_op, want) == 0 ? d->hook_op : d->hook;
}

/* TESSEL_TEST_HOOK=corrupt:<op> breaks a composed result exactly as it
 * breaks a kernel's, so the tests prove conformance checks fallbacks too. */
static ts_status corrupt_hook(tsi_dispatch *d)
{
    if (!d->dev->ctx->corrupt_op[0])
        return TS_OK;
    TSI_RETURN_IF_ERROR(tsi_device_lock(d->dev));
    ts_status st = tsi_corrupt_locked(d->dev, armed_hook(d), &d->op.out[0]);
    tsi_device_unlock(d->dev);
    return st;
}

ts_status tsi_fallback_run(tsi_dispatch *d)
{
    char what[96], piece[768];
    const char *id = d->dev->info.id;
    tsi_op_label(&d->op, what, sizeof what);
    bool first = count_fallback(d->dev, d->op.code);
    tsi_log(first ? TS_LOG_INFO : TS_LOG_DEBUG,
            "%s: %s has no kernel for %s, running its composition", d->fn, id, what);
    ts_status st = d->fallback(d->fallback_ctx);
    if (st == TS_OK)
        return corrupt_hook(d);
    /* The piece that failed wrote its own message ("ts_unary: ..."); keep
     * it, but say which op the caller called and why it was composed. */
    snprintf(piece, sizeof piece, "%s", ts_last_error(NULL));
    if (st == TS_ERR_UNSUPPORTED)
        return tsi_fail(st, "%s: %s has no kernel for %s, and its composition cannot run there: %s",
                        d->fn, id, what, piece);
    return tsi_fail(st, "%s: running its composition on %s (no kernel for %s): %s", d->fn, id, what,
                    piece);
}

TS_API ts_status ts_device_fallback_count(const ts_device *dev, uint64_t *count)
{
    TSI_CHECK(dev, TS_ERR_INVALID_ARGUMENT, "ts_device_fallback_count: dev is NULL");
    TSI_CHECK(count, TS_ERR_INVALID_ARGUMENT, "ts_device_fallback_count: count is NULL");
    ts_device *d = (ts_device *)dev; /* the lock is not part of the observable state */
    pthread_mutex_lock(&d->lock);
    *count = d->fallbacks;
    pthread_mutex_unlock(&d->lock);
    return TS_OK;
}
