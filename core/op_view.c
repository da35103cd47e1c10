/* Normalizing tensors into the 4-d views of core/op.h. One place decides
 * padding and broadcast strides, so every backend sees the same layout. */
#include "core/dispatch.h"

void tsi_pad_shape(const int64_t *shape, int ndim, int64_t out[4])
{
    int pad = 4 - ndim;
    for (int i = 0; i < 4; i++)
        out[i] = i < pad ? 1 : shape[i - pad];
}

int64_t tsi_view_numel(const tsi_view *v)
{
    return v->shape[0] * v->shape[1] * v->shape[2] * v->shape[3];
}

bool tsi_view_is_contiguous(const tsi_view *v)
{
    return tsi_strides_contiguous(v->shape, v->stride, 4);
}

void tsi_view_of(const ts_tensor *t, tsi_view *v)
{
    int pad = 4 - t->ndim;
    v->buf = t->st->buf;
    v->offset = t->offset;
    v->dtype = t->dtype;
    tsi_pad_shape(t->shape, t->ndim, v->shape);
    int64_t canon[TS_MAX_DIMS];
    bool contig = tsi_strides_contiguous(t->shape, t->stride, t->ndim);
    tsi_contiguous_strides(t->shape, t->ndim, canon);
    for (int i = 0; i < 4; i++) {
        if (i < pad)
            v->stride[i] = 0;
        else
            v->stride[i] = contig ? canon[i - pad] : t->stride[i - pad];
    }
}

void tsi_view_broadcast(const ts_tensor *t, const int64_t to[4], tsi_view *v)
{
    tsi_view_of(t, v);
    for (int i = 0; i < 4; i++) {
        if (v->shape[i] != to[i]) {
            v->shape[i] = to[i];
            v->stride[i] = 0;
        }
    }
}

void tsi_view_contiguous(tsi_buffer *buf, ts_dtype dtype, const int64_t shape[4], tsi_view *v)
{
    v->buf = buf;
    v->offset = 0;
    v->dtype = dtype;
    for (int i = 0; i < 4; i++)
        v->shape[i] = shape[i];
    v->stride[3] = 1;
    for (int i = 2; i >= 0; i--)
        v->stride[i] = v->stride[i + 1] * shape[i + 1];
    /* Leading 1s read as padding, which op.h gives stride 0. */
    for (int i = 0; i < 3 && shape[i] == 1; i++)
        v->stride[i] = 0;
}
