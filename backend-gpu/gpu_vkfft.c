/* VkFFT's routing, layout, staging ops, applications' cache and kernel
 * cache, shared by the Vulkan and OpenCL VkFFT paths (gpu_vkfft.h). No
 * VkFFT include: compiled into both modules whether or not VkFFT was
 * found. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend-gpu/gpu_kernels.h"
#include "backend-gpu/gpu_vkfft.h"
#include "core/fnv1a.h"

tsi_vkfft_mode tsi_vkfft_mode_get(void)
{
    const char *v = getenv("TESSEL_FFT");
    if (v && strcmp(v, "own") == 0)
        return TSI_VKFFT_OWN;
    if (v && strcmp(v, "vkfft") == 0)
        return TSI_VKFFT_ONLY;
    return TSI_VKFFT_AUTO;
}

void tsi_vkfft_shape_of(const tsi_op *op, tsi_vkfft_shape *out)
{
    const tsi_view *x = &op->in[0];
    int kind = op->p.fft.kind;
    int64_t n = op->p.fft.n;
    *out = (tsi_vkfft_shape){
        .kind = kind,
        .inverse = kind == TSI_FFT_C2R || (kind == TSI_FFT_C2C && op->p.fft.inverse),
        .n = n,
        .batch = x->shape[0] * x->shape[1] * x->shape[2],
        .row = kind == TSI_FFT_C2C ? n : n / 2 + 1,
    };
    /* Saturated: irfft's n is bounded only by core's 8n-byte check, and a
     * product past 64 bits is past every work limit, not a small buffer. */
    uint64_t row_bytes = (uint64_t)out->row * 8u;
    out->bytes = out->batch > 0 && row_bytes > UINT64_MAX / (uint64_t)out->batch
                     ? UINT64_MAX
                     : (uint64_t)out->batch * row_bytes;
}

bool tsi_vkfft_same_shape(const tsi_vkfft_shape *a, const tsi_vkfft_shape *b)
{
    return a->kind == b->kind && a->inverse == b->inverse && a->n == b->n && a->batch == b->batch;
}

bool tsi_vkfft_needs_zero(const tsi_op *op, const tsi_vkfft_shape *s)
{
    int64_t m = op->in[0].shape[3];
    return s->kind == TSI_FFT_C2R ? m < s->row : m < s->n;
}

/* work as a view with the leading dims of `like`: `cols` values per row,
 * rows `stride` values apart. */
static tsi_view work_view(const tsi_view *like, tsi_buffer *work, int64_t offset, ts_dtype dt,
                          int64_t cols, int64_t stride)
{
    tsi_view v = {.buf = work,
                  .offset = offset,
                  .dtype = dt,
                  .shape = {like->shape[0], like->shape[1], like->shape[2], cols}};
    v.stride[3] = 1;
    v.stride[2] = stride;
    v.stride[1] = like->shape[2] * stride;
    v.stride[0] = like->shape[1] * v.stride[1];
    return v;
}

/* A c64 view whose last dim is contiguous, read as its floats. */
static tsi_view as_floats(tsi_view v)
{
    v.dtype = TS_F32;
    v.offset *= 2;
    v.shape[3] *= 2;
    for (int i = 0; i < 3; i++)
        v.stride[i] *= 2;
    return v;
}

static void unary_op(tsi_op *out, int kind, float alpha, tsi_view in, tsi_view y)
{
    *out = (tsi_op){.size = (uint32_t)sizeof(tsi_op), .code = TSI_OP_UNARY, .n_in = 1, .n_out = 1};
    out->in[0] = in;
    out->out[0] = y;
    out->p.unary.kind = kind;
    out->p.unary.alpha = alpha;
    out->p.unary.beta = 0.0f;
}

void tsi_vkfft_stage_in(const tsi_op *op, const tsi_vkfft_shape *s, tsi_buffer *work, tsi_op *out)
{
    const tsi_view *x = &op->in[0];
    int64_t m = x->shape[3];
    /* R2C: the real signal with VkFFT's in-place row stride of 2(n/2 + 1)
     * floats; the copy casts f16 / bf16 to f32. */
    tsi_view w = s->kind == TSI_FFT_R2C ? work_view(x, work, 0, TS_F32, m, 2 * s->row)
                                        : work_view(x, work, 0, TS_C64, m, s->row);
    unary_op(out, TSI_UNARY_COPY, 1.0f, *x, w);
}

void tsi_vkfft_stage_out(const tsi_op *op, const tsi_vkfft_shape *s, tsi_buffer *work, tsi_op *out)
{
    const tsi_view *y = &op->out[0];
    float scale = op->p.fft.scale;
    int kind = scale == 1.0f ? TSI_UNARY_COPY : TSI_UNARY_SCALE_SHIFT;
    if (s->kind == TSI_FFT_C2R) {
        /* The first m samples of each real row. */
        unary_op(out, kind, scale, work_view(y, work, 0, TS_F32, y->shape[3], 2 * s->row), *y);
        return;
    }
    tsi_view w = work_view(y, work, 0, TS_C64, s->row, s->row);
    if (scale == 1.0f)
        unary_op(out, kind, scale, w, *y);
    else /* scaling a complex number is scaling its two floats */
        unary_op(out, kind, scale, as_floats(w), as_floats(*y));
}

int tsi_vkfft_clear_imag(const tsi_op *op, const tsi_vkfft_shape *s, tsi_buffer *work,
                         tsi_op out[2])
{
    if (s->kind != TSI_FFT_C2R)
        return 0;
    /* numpy ignores the imaginary parts of bin 0 and (even n) bin n/2;
     * VkFFT's C2R folds them into the result. 0 * x + 0 in place (an inf
     * or NaN there would still spread, where numpy ignores it). */
    const tsi_view *x = &op->in[0];
    int count = 0;
    int64_t bins[2] = {0, s->n / 2};
    for (int i = 0; i < (s->n % 2 == 0 ? 2 : 1); i++) {
        if (bins[i] >= x->shape[3])
            continue;
        tsi_view v = work_view(x, work, 2 * bins[i] + 1, TS_F32, 1, 2 * s->row);
        unary_op(&out[count++], TSI_UNARY_SCALE_SHIFT, 0.0f, v, v);
    }
    return count;
}

bool tsi_vkfft_stages_supported(tsi_device *dev, const tsi_op *op, const tsi_vkfft_shape *s)
{
    /* The views are checked against the binding limit only, so any
     * non-NULL stand-in serves for work here. */
    tsi_buffer *work = op->out[0].buf;
    tsi_op st[4];
    int n = 2;
    tsi_vkfft_stage_in(op, s, work, &st[0]);
    tsi_vkfft_stage_out(op, s, work, &st[1]);
    n += tsi_vkfft_clear_imag(op, s, work, &st[2]);
    for (int i = 0; i < n; i++)
        if (!tsi_gpu_elementwise_supports(dev, &st[i]))
            return false;
    return true;
}

ts_status tsi_vkfft_record_stage(tsi_device *dev, const tsi_op *op, const tsi_vkfft_shape *s,
                                 tsi_buffer *work, bool after)
{
    tsi_op st[3];
    int n = 1;
    if (after) {
        tsi_vkfft_stage_out(op, s, work, &st[0]);
    } else {
        tsi_vkfft_stage_in(op, s, work, &st[0]);
        n += tsi_vkfft_clear_imag(op, s, work, &st[1]);
    }
    for (int i = 0; i < n; i++) {
        ts_status status = tsi_gpu_elementwise_record(dev, &st[i]);
        if (status != TS_OK)
            return status;
    }
    return TS_OK;
}

/* ---- the kernel table's row ------------------------------------------------- */

/* What VkFFT can be asked for before an application is made: the op's
 * dtypes, a length VkFFT handles (length 1 is a copy VkFFT does not plan;
 * the own kernels do it), a buffer within the device's limits, and
 * staging ops the elementwise kernels run. */
static bool vkfft_may_run(const tsi_vkfft_driver *drv, tsi_device *dev, const tsi_op *op,
                          const tsi_vkfft_shape *s)
{
    ts_dtype x = op->in[0].dtype, y = op->out[0].dtype;
    bool dtypes = s->kind == TSI_FFT_C2C ? x == TS_C64 && y == TS_C64
                  : s->kind == TSI_FFT_R2C
                      ? (x == TS_F32 || x == TS_F16 || x == TS_BF16) && y == TS_C64
                      : x == TS_C64 && y == TS_F32;
    return dtypes && s->n >= 2 && s->batch >= 1 && s->bytes <= drv->work_limit(dev) &&
           tsi_vkfft_stages_supported(dev, op, s);
}

/* The application for s, made on first use; NULL when VkFFT cannot run
 * it here (or a full cache could not drop one). */
static void *app_get(const tsi_vkfft_driver *drv, tsi_device *dev, const tsi_vkfft_shape *s)
{
    tsi_vkfft_apps *c = drv->apps(dev);
    if (!c)
        return NULL;
    for (int i = 0; i < c->n; i++)
        if (tsi_vkfft_same_shape(&c->slot[i].shape, s)) {
            c->slot[i].used = ++c->tick;
            return c->slot[i].app;
        }
    if (c->n == TSI_VKFFT_APPS) {
        int lru = 0;
        for (int i = 1; i < c->n; i++)
            if (c->slot[i].used < c->slot[lru].used)
                lru = i;
        void *old = c->slot[lru].app;
        if (old && drv->retire && !drv->retire(dev, old))
            return NULL;
        if (old)
            drv->destroy(dev, old);
        c->slot[lru] = c->slot[--c->n];
    }
    void *app = drv->make(dev, s);
    c->slot[c->n].shape = *s;
    c->slot[c->n].used = ++c->tick;
    c->slot[c->n++].app = app;
    return app;
}

typedef enum { ROUTE_NONE, ROUTE_OWN, ROUTE_VKFFT } route;

static route route_of(tsi_device *dev, const tsi_op *op, void **app)
{
    tsi_vkfft_mode mode = tsi_vkfft_mode_get();
    const tsi_vkfft_driver *drv = tsi_gpu_vkfft_driver();
    *app = NULL;
    if (mode == TSI_VKFFT_OWN)
        return ROUTE_OWN;
    tsi_vkfft_shape s;
    tsi_vkfft_shape_of(op, &s);
    if (drv && vkfft_may_run(drv, dev, op, &s) && (*app = app_get(drv, dev, &s)) != NULL)
        return ROUTE_VKFFT;
    return mode == TSI_VKFFT_ONLY ? ROUTE_NONE : ROUTE_OWN;
}

bool tsi_gpu_vkfft_supports(tsi_device *dev, const tsi_op *op)
{
    void *app;
    route r = route_of(dev, op, &app);
    return r == ROUTE_VKFFT || (r == ROUTE_OWN && tsi_gpu_fft_supports(dev, op));
}

ts_status tsi_gpu_vkfft_plan(tsi_device *dev, const tsi_op *op, tsi_plan *out)
{
    void *app;
    *out = (tsi_plan){0};
    return route_of(dev, op, &app) == ROUTE_OWN ? tsi_gpu_fft_plan(dev, op, out) : TS_OK;
}

ts_status tsi_gpu_vkfft_record(tsi_device *dev, const tsi_op *op)
{
    void *app;
    switch (route_of(dev, op, &app)) {
    case ROUTE_VKFFT:
        return tsi_gpu_vkfft_driver()->record(dev, op, app);
    case ROUTE_OWN:
        return tsi_gpu_fft_record(dev, op);
    default:
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED,
                            "%s: VkFFT cannot run this FFT (TESSEL_FFT=vkfft)",
                            tsi_gpu_caps_of(dev)->backend);
    }
}

ts_status tsi_vkfft_launch_failed(tsi_device *dev, const tsi_vkfft_shape *shape, int vkfft_error)
{
    const tsi_vkfft_shape s_copy = *shape, *s = &s_copy; /* shape may live in the app */
    const tsi_vkfft_driver *drv = tsi_gpu_vkfft_driver();
    tsi_vkfft_apps *c = drv ? drv->apps(dev) : NULL;
    for (int i = 0; c && i < c->n; i++) {
        void *app = c->slot[i].app;
        if (!app || !tsi_vkfft_same_shape(&c->slot[i].shape, s) ||
            (drv->retire && !drv->retire(dev, app)))
            continue;
        drv->destroy(dev, app);
        c->slot[i].app = NULL;
    }
    const tsi_gpu_caps *caps = tsi_gpu_caps_of(dev);
    caps->host->log(TS_LOG_INFO,
                    "%s: %s: VkFFT could not launch its kernels for an FFT of length %lld "
                    "(VkFFT error %d); %s",
                    caps->backend, caps->info->name, (long long)s->n, vkfft_error,
                    tsi_vkfft_mode_get() == TSI_VKFFT_ONLY
                        ? "that shape is unsupported (TESSEL_FFT=vkfft)"
                        : "the own kernels take that shape");
    return tsi_gpu_fail(dev, TSI_REPLAN,
                        "VkFFT could not launch an FFT of length %lld: VkFFT error %d",
                        (long long)s->n, vkfft_error);
}

/* ---- the kernel cache -------------------------------------------------------- */

#define VKFFT_MAGIC "TSVKFFT1"

static const char *kind_name(int kind)
{
    return kind == TSI_FFT_C2C ? "c2c" : kind == TSI_FFT_R2C ? "r2c" : "c2r";
}

void tsi_vkfft_key(char *buf, size_t len, const char *backend, const ts_device_info *info,
                   int vkfft_version, const tsi_vkfft_shape *s)
{
    snprintf(buf, len, "vkfft %d cfg %d|%s|%s|%s|%s|%04x:%04x|%s%s n=%lld batch=%lld",
             vkfft_version, TSI_VKFFT_CONFIG_VERSION, backend, info->name, info->vendor,
             info->driver, info->vendor_id, info->device_id, kind_name(s->kind),
             s->inverse ? " inverse" : "", (long long)s->n, (long long)s->batch);
}

/* <cache>/vkfft/<hash of key>.bin, a checked cache file (host->cache_load,
 * core/cache_file.c) that holds the key itself. */
static void entry_name(const char *key, char *name, size_t len)
{
    snprintf(name, len, "vkfft/%016llx.bin",
             (unsigned long long)tsi_fnv1a(TSI_FNV_BASIS, key, strlen(key)));
}

void *tsi_vkfft_cache_load(const tsi_host *host, const char *key, size_t *size)
{
    char name[64];
    entry_name(key, name, sizeof name);
    return host->cache_load(name, VKFFT_MAGIC, key, strlen(key), (size_t)1 << 30, size);
}

void tsi_vkfft_cache_store(const tsi_host *host, const char *key, const void *data, size_t size)
{
    char name[64];
    entry_name(key, name, sizeof name);
    host->cache_store(name, VKFFT_MAGIC, key, strlen(key), data, size);
}
