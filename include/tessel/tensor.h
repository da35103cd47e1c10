/* tessel — tensors and views.
 *
 * A tensor has a dtype, 1 to 4 dims and element strides, and lives on one
 * device. Views (slice, permute, transpose, reshape, broadcast) share the
 * storage of their source; storage is freed when its last tensor is
 * destroyed. Every tensor handle, view or not, has one ts_tensor_destroy.
 * Shapes may contain 0 (an empty tensor). */
#ifndef TESSEL_TENSOR_H
#define TESSEL_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "tessel/context.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TS_MAX_DIMS 4

typedef enum ts_dtype {
    TS_F32 = 0,
    TS_F16 = 1,
    TS_BF16 = 2,
    TS_I32 = 3,
    /* complex: interleaved f32 (re, im), like numpy complex64; strides and
     * offsets count complex elements. Copy, cast, add/sub/mul and the FFT
     * ops take it; docs/complex.md. */
    TS_C64 = 4
} ts_dtype;
#define TS_DTYPE_COUNT 5

typedef struct ts_tensor ts_tensor;

TS_API const char *ts_dtype_name(ts_dtype dtype); /* "f32"; "?" if invalid */
TS_API size_t ts_dtype_size(ts_dtype dtype);      /* bytes; 0 if invalid */

/* New contiguous (row-major) tensor; contents undefined until written. */
TS_API ts_status ts_tensor_create(ts_device *dev, ts_dtype dtype, int ndim,
                                  const int64_t *shape, ts_tensor **out);
TS_API void ts_tensor_destroy(ts_tensor *t);

/* Host transfer. Data is row-major in the tensor's dtype (f16/bf16 as
 * uint16_t bit patterns, c64 as pairs of float (re, im)); bytes must equal
 * numel * dtype size.
 * write needs a contiguous tensor; read accepts any view and waits for the
 * work that produces it. */
TS_API ts_status ts_tensor_write(ts_tensor *t, const void *src, size_t bytes);
TS_API ts_status ts_tensor_read(const ts_tensor *t, void *dst, size_t bytes);

/* Copy to another device (or the same one): a new contiguous tensor. */
TS_API ts_status ts_tensor_copy_to(const ts_tensor *t, ts_device *dst, ts_tensor **out);

/* Views. dim may be negative (counted from the end). */
TS_API ts_status ts_tensor_slice(const ts_tensor *t, int dim, int64_t start, int64_t stop,
                                 int64_t step, ts_tensor **out);
TS_API ts_status ts_tensor_permute(const ts_tensor *t, const int *perm, ts_tensor **out);
TS_API ts_status ts_tensor_transpose(const ts_tensor *t, int dim0, int dim1, ts_tensor **out);
/* Reshape a view whose layout allows it without copying (any contiguous
 * tensor does); otherwise TS_ERR_SHAPE: ts_copy it into a new tensor first.
 * One entry of shape may be -1 (inferred). */
TS_API ts_status ts_tensor_reshape(const ts_tensor *t, int ndim, const int64_t *shape,
                                   ts_tensor **out);
/* Broadcast to a larger shape (numpy rules, stride 0). Read-only: using a
 * broadcast view as an op output is TS_ERR_ALIASING. */
TS_API ts_status ts_tensor_broadcast(const ts_tensor *t, int ndim, const int64_t *shape,
                                     ts_tensor **out);

/* Complex views, like torch.view_as_real / view_as_complex: no data
 * moves, the new view shares the storage (and is read-only when the source
 * is a broadcast view).
 * view_as_real: c64 [..., n] (1 to 3 dims) -> f32 [..., n, 2], the real
 * and imaginary parts of each element; strides double, the new last dim
 * has stride 1.
 * view_as_complex: f32 [..., 2] (2 to 4 dims) whose last dim has stride 1
 * and whose other strides and offset are even -> c64 [...]; any other
 * layout is TS_ERR_SHAPE (ts_copy it into a new tensor first). */
TS_API ts_status ts_tensor_view_as_real(const ts_tensor *c, ts_tensor **out);
TS_API ts_status ts_tensor_view_as_complex(const ts_tensor *f, ts_tensor **out);

/* Accessors; on a NULL tensor they return 0 / TS_F32 / NULL. */
TS_API ts_dtype ts_tensor_dtype(const ts_tensor *t);
TS_API int ts_tensor_ndim(const ts_tensor *t);
TS_API int64_t ts_tensor_dim(const ts_tensor *t, int dim); /* dim may be negative */
TS_API int64_t ts_tensor_numel(const ts_tensor *t);
TS_API int ts_tensor_is_contiguous(const ts_tensor *t);
TS_API ts_device *ts_tensor_device(const ts_tensor *t);
/* Copies ndim entries into shape / strides (element strides). */
TS_API ts_status ts_tensor_shape(const ts_tensor *t, int64_t *shape);
TS_API ts_status ts_tensor_strides(const ts_tensor *t, int64_t *strides);

#ifdef __cplusplus
}
#endif
#endif
