/* TEMPORARY: a weak stand-in for backend-cpu's tsi_backend_cpu() so the
 * tree links before the real CPU backend lands (the real, strong symbol
 * wins automatically). Runs only f32/i32 copy, scale_shift and binary ops,
 * enough for core's own smoke checks. Delete once backend-cpu/ provides
 * tsi_backend_cpu. */
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/registry.h"

struct tsi_buffer {
    unsigned char *data;
};
struct tsi_device {
    int unused;
};

static ts_status stub_init(const tsi_host *host, void **state)
{
    (void)host;
    *state = NULL;
    return TS_OK;
}
static void stub_shutdown(void *state)
{
    (void)state;
}
static int stub_count(void *state)
{
    return 1;
}
static ts_status stub_info(void *state, int index, ts_device_info *out)
{
    memset(out, 0, sizeof *out);
    strcpy(out->name, "cpu stub");
    strcpy(out->vendor, "tessel");
    strcpy(out->driver, "stub");
    strcpy(out->features, "scalar");
    out->kind = TS_DEVICE_CPU;
    out->memory_bytes = 1ull << 34;
    out->max_alloc_bytes = 1ull << 32;
    out->compute_units = 1;
    out->unified_memory = 1;
    return TS_OK;
}
static ts_status stub_open(void *state, int index, tsi_device **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? TS_OK : TS_ERR_OUT_OF_MEMORY;
}
static void stub_close(tsi_device *dev)
{
    free(dev);
}
static ts_status stub_alloc(tsi_device *dev, size_t bytes, tsi_buffer **out)
{
    tsi_buffer *b = malloc(sizeof *b);
    if (b)
        b->data = malloc(bytes);
    if (!b || !b->data) {
        free(b);
        tsi_set_error("cpu stub: out of memory");
        return TS_ERR_OUT_OF_MEMORY;
    }
    *out = b;
    return TS_OK;
}
static void stub_free(tsi_device *dev, tsi_buffer *buf)
{
    free(buf->data);
    free(buf);
}
static ts_status stub_write(tsi_device *dev, tsi_buffer *buf, size_t off, const void *src, size_t n)
{
    memcpy(buf->data + off, src, n);
    return TS_OK;
}
static ts_status stub_read(tsi_device *dev, tsi_buffer *buf, size_t off, void *dst, size_t n)
{
    memcpy(dst, buf->data + off, n);
    return TS_OK;
}
static bool stub_supports(tsi_device *dev, const tsi_op *op)
{
    for (int i = 0; i < op->n_in; i++)
        if (op->in[i].dtype != op->out[0].dtype)
            return false;
    if (op->out[0].dtype != TS_F32 && op->out[0].dtype != TS_I32)
        return false;
    if (op->code == TSI_OP_BINARY)
        return true;
    return op->code == TSI_OP_UNARY &&
           (op->p.unary.kind == TSI_UNARY_COPY ||
            (op->p.unary.kind == TSI_UNARY_SCALE_SHIFT && op->out[0].dtype == TS_F32));
}
static int64_t at(const tsi_view *v, const int64_t i[4])
{
    return v->offset + i[0] * v->stride[0] + i[1] * v->stride[1] + i[2] * v->stride[2] +
           i[3] * v->stride[3];
}
static double load(const tsi_view *v, const int64_t i[4])
{
    if (v->dtype == TS_F32)
        return ((float *)v->buf->data)[at(v, i)];
    return ((int32_t *)v->buf->data)[at(v, i)];
}
static void store(const tsi_view *v, const int64_t i[4], double x)
{
    if (v->dtype == TS_F32)
        ((float *)v->buf->data)[at(v, i)] = (float)x;
    else
        ((int32_t *)v->buf->data)[at(v, i)] = (int32_t)x;
}
static ts_status stub_record(tsi_device *dev, const tsi_op *op)
{
    const tsi_view *y = &op->out[0];
    int64_t i[4];
    for (i[0] = 0; i[0] < y->shape[0]; i[0]++)
        for (i[1] = 0; i[1] < y->shape[1]; i[1]++)
            for (i[2] = 0; i[2] < y->shape[2]; i[2]++)
                for (i[3] = 0; i[3] < y->shape[3]; i[3]++) {
                    double a = load(&op->in[0], i), r = a;
                    if (op->code == TSI_OP_UNARY) {
                        if (op->p.unary.kind == TSI_UNARY_SCALE_SHIFT)
                            r = op->p.unary.alpha * a + op->p.unary.beta;
                    } else {
                        double b = load(&op->in[1], i);
                        switch (op->p.binary.kind) {
                        case TS_ADD:
                            r = a + b;
                            break;
                        case TS_SUB:
                            r = a - b;
                            break;
                        case TS_MUL:
                            r = a * b;
                            break;
                        case TS_DIV:
                            r = b != 0 ? a / b : 0;
                            break;
                        case TS_MAX:
                            r = a > b ? a : b;
                            break;
                        default:
                            r = a < b ? a : b;
                            break;
                        }
                    }
                    store(y, i, r);
                }
    return TS_OK;
}
static ts_status stub_sync(tsi_device *dev)
{
    return TS_OK;
}

static const tsi_backend stub_backend = {
    TSI_BACKEND_ABI_VERSION,
    "cpu",
    stub_init,
    stub_shutdown,
    stub_count,
    stub_info,
    stub_open,
    stub_close,
    stub_alloc,
    stub_free,
    stub_write,
    stub_read,
    stub_supports,
    stub_record,
    stub_sync,
};

__attribute__((weak)) const tsi_backend *tsi_backend_cpu(void)
{
    return &stub_backend;
}
