/* Limits every GPU kernel shares: 32-bit element indices and one binding
 * per view, and workgroup grids within the device's counts. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend-gpu/gpu.h"
#include "core/plan_util.h"

static uint32_t dtype_bytes(ts_dtype t)
{
    return t == TS_C64 ? 8u : t == TS_F16 || t == TS_BF16 ? 2u : 4u;
}

bool tsi_gpu_view_fits(const tsi_gpu_caps *c, const tsi_view *v)
{
    if (!v->buf)
        return true;
    int64_t lo = v->offset, hi = v->offset;
    for (int i = 0; i < 4; i++) {
        if (v->shape[i] <= 0)
            return true; /* empty: nothing is touched */
        int64_t span = (v->shape[i] - 1) * v->stride[i];
        if (span < 0)
            lo += span;
        else
            hi += span;
    }
    if (lo < 0 || hi >= INT32_MAX)
        return false;
    /* Against the binding limit, not v->buf: core validated the view
     * against its buffer, and asks before it copies a strided input into a
     * contiguous temporary (when the view still shows the source). */
    return (uint64_t)(hi + 1) * dtype_bytes(v->dtype) <= c->max_binding;
}

bool tsi_gpu_views_fit(const tsi_gpu_caps *c, const tsi_op *op)
{
    for (int i = 0; i < op->n_in; i++)
        if (!tsi_gpu_view_fits(c, &op->in[i]))
            return false;
    for (int i = 0; i < op->n_out; i++)
        if (!tsi_gpu_view_fits(c, &op->out[i]))
            return false;
    return true;
}

bool tsi_gpu_grid(const tsi_gpu_caps *c, uint64_t groups, uint32_t out[3])
{
    uint64_t mx = c->max_groups[0] ? c->max_groups[0] : 65535u;
    uint64_t my = c->max_groups[1] ? c->max_groups[1] : 65535u;
    if (groups == 0)
        groups = 1;
    if (groups > mx * my)
        return false;
    out[0] = (uint32_t)(groups < mx ? groups : mx);
    out[1] = (uint32_t)tsi_gpu_ceil_div(groups, out[0]);
    out[2] = 1;
    return true;
}

ts_status tsi_gpu_fail(tsi_device *dev, ts_status status, const char *fmt, ...)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_of(dev);
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->host->set_error("%s: %s", c->backend, msg);
    return status;
}

bool tsi_gpu_texels(tsi_device *dev, const tsi_buffer *a, const tsi_buffer *b)
{
    const tsi_gpu_caps *c = tsi_gpu_caps_of(dev);
    if (!c->texel_words)
        return false;
    const char *env = getenv("TESSEL_VULKAN_TEXEL");
    bool want = env && (env[0] == '0' || env[0] == '1') && env[1] == '\0'
                    ? env[0] == '1'
                    : c->host->tuning(c->info, "texel", 0) == 1;
    return want && tsi_gpu_texel_ok(dev, a) && (!b || tsi_gpu_texel_ok(dev, b));
}

const tsi_gpu_caps *tsi_gpu_family_caps_find(const tsi_gpu_family_caps *t, const tsi_gpu_caps *dev,
                                             const char *family)
{
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->family[i], family) == 0)
            return &t->caps[i];
    return dev;
}

bool tsi_gpu_family_lower_wg(tsi_gpu_family_caps *t, const tsi_gpu_caps *dev, const char *family,
                             uint64_t wg)
{
    const tsi_gpu_caps *now = tsi_gpu_family_caps_find(t, dev, family);
    if (wg == 0 || tsi_pow2_floor(wg) >= now->max_wg)
        return false;
    tsi_gpu_caps *c;
    if (now != dev) {
        c = &t->caps[now - t->caps];
    } else {
        if (t->n == TSI_GPU_MAX_FAMILIES)
            return false;
        t->family[t->n] = family;
        c = &t->caps[t->n++];
        *c = *dev;
    }
    uint32_t cap = tsi_pow2_floor(wg);
    c->max_wg = cap;
    /* The row and elementwise widths (0 reads as 64 in the plans). */
    if (c->row_wg > cap || (!c->row_wg && cap < 64))
        c->row_wg = cap;
    if (c->elem_wg > cap || (!c->elem_wg && cap < 64))
        c->elem_wg = cap;
    return true;
}
