/* Turning validated tensors into the normalized tsi_op of core/op.h and
 * handing it to a backend: view normalization (4-d, left-padded,
 * broadcast), the checks every op shares (device, aliasing, writability),
 * contiguous temporaries for row-op inputs, supports() -> TS_ERR_UNSUPPORTED,
 * record, and the TESSEL_TEST_HOOK=corrupt:<op> fault. Each op family file
 * (op_*.c) validates its own shapes/dtypes and then calls into this. */
#ifndef TESSEL_CORE_DISPATCH_H
#define TESSEL_CORE_DISPATCH_H

#include "core/internal.h"

/* ---- views (op_view.c) ---------------------------------------------------- */

/* t as a 4-d view: shape left-padded with 1s (stride 0 there); a contiguous
 * tensor gets canonical row-major strides on its real dims. */
void tsi_view_of(const ts_tensor *t, tsi_view *v);
/* t broadcast to the 4-d shape `to` (numpy rules already checked). */
void tsi_view_broadcast(const ts_tensor *t, const int64_t to[4], tsi_view *v);
/* A contiguous view of `shape` over buf (offset 0). */
void tsi_view_contiguous(tsi_buffer *buf, ts_dtype dtype, const int64_t shape[4], tsi_view *v);
bool tsi_view_is_contiguous(const tsi_view *v);
int64_t tsi_view_numel(const tsi_view *v);
/* Left-pad a shape to 4 dims. */
void tsi_pad_shape(const int64_t *shape, int ndim, int64_t out[4]);

/* ---- shared checks (op_check.c) ------------------------------------------- */

/* Each returns TS_OK or fails with a message starting with fn. `what` names
 * the argument ("a", "out"). */
ts_status tsi_check_tensor(const char *fn, const char *what, const ts_tensor *t);
ts_status tsi_check_float(const char *fn, const char *what, const ts_tensor *t);
ts_status tsi_check_dtype(const char *fn, const char *what, const ts_tensor *t, ts_dtype want);
/* Not c64: for the ops that take i32 but have no complex meaning. */
ts_status tsi_check_real(const char *fn, const char *what, const ts_tensor *t);
ts_status tsi_check_same_dtype(const char *fn, const char *what_a, const ts_tensor *a,
                               const char *what_b, const ts_tensor *b);
ts_status tsi_check_same_shape(const char *fn, const char *what_a, const ts_tensor *a,
                               const char *what_b, const ts_tensor *b);
/* Every non-NULL tensor on one device. */
ts_status tsi_check_devices(const char *fn, const ts_tensor *const *ts, int n);
/* out writable (not a broadcast view), not overlapping any non-NULL input. */
ts_status tsi_check_output(const char *fn, const char *what, const ts_tensor *out,
                           const ts_tensor *const *ins, int n_in);
ts_status tsi_check_contiguous_output(const char *fn, const char *what, const ts_tensor *out);
/* Scalar arguments, checked alike in every public function
 * (docs/numerics.md): scale, alpha, shift... must be finite; eps must be
 * finite and > 0. */
ts_status tsi_check_finite(const char *fn, const char *what, float v);
ts_status tsi_check_positive(const char *fn, const char *what, float v);
/* Byte ranges of two tensors on one storage intersect. */
bool tsi_tensors_overlap(const ts_tensor *a, const ts_tensor *b);
/* numpy broadcast of a and b's shapes into a 4-d padded shape. */
ts_status tsi_broadcast_shapes(const char *fn, const ts_tensor *a, const ts_tensor *b,
                               int64_t out[4], int *out_ndim);

/* ---- recording (dispatch.c) ----------------------------------------------- */

typedef struct tsi_dispatch {
    const char *fn;   /* "ts_softmax": prefix of messages */
    const char *hook; /* "softmax": name for TESSEL_TEST_HOOK=corrupt:<hook>, or NULL */
    /* The registry's op name where it is finer than hook ("add" for hook
     * "binary", "exp" for "unary", "reduce_sum" for "reduce"): also arms
     * the hook, so corrupt:<op> works for every op the tests name. */
    const char *hook_op;
    ts_device *dev;
    tsi_op op;
    /* Input slots that must reach the backend contiguous (row-op inputs):
     * a non-contiguous one is first copied into an internal temporary. */
    bool contiguous_in[TSI_MAX_IN];
    /* For contiguous slots: a 4-d shape of the same element count the slot
     * is presented as once contiguous (gather's idx flattened to [1,1,1,N]);
     * NULL keeps the shape. */
    const int64_t *flat_in[TSI_MAX_IN];
    /* The op as a composition of simpler ops, for a backend without a
     * kernel for it (supports() false): tsi_dispatch_run then calls
     * fallback(fallback_ctx) with the device lock released, so it may call
     * public ops, instead of failing (core/fallback.c). NULL: no fallback,
     * the caller gets TS_ERR_UNSUPPORTED. Set it for every fused op. */
    ts_status (*fallback)(void *fallback_ctx);
    void *fallback_ctx;
} tsi_dispatch;

/* Lock the device, record d (temporaries, supports, record, corrupt hook),
 * unlock; or, when the backend declines an op that has a fallback, unlock
 * and run the fallback. */
ts_status tsi_dispatch_run(tsi_dispatch *d);
/* The same with the device lock already held (composite ops); this one
 * never falls back (a composition needs the lock free). */
ts_status tsi_dispatch_locked(tsi_dispatch *d);
/* Instead of recording d: its (contiguous) out[0] is all zeros because an
 * input is empty (matmul with K = 0, sum of empty rows, gather from an
 * empty table). Honors the corrupt hook like a recorded op. */
ts_status tsi_dispatch_zero(tsi_dispatch *d);
/* Does the device's backend have a kernel that runs op (its table row and
 * supports())? Lock held; stamps op->size. */
bool tsi_op_supported_locked(ts_device *dev, tsi_op *op);
/* Plan, allocate the plan's workspace, record (lock held). The caller has
 * checked tsi_op_supported_locked. */
ts_status tsi_op_record_locked(ts_device *dev, tsi_op *op);
/* Record dst = src (a copy or cast) with the lock held; fn for messages. */
ts_status tsi_record_copy_locked(const char *fn, ts_device *dev, const tsi_view *src,
                                 const tsi_view *dst);
/* Apply the corrupt hook for `hook` to view y if armed; lock held. */
ts_status tsi_corrupt_locked(ts_device *dev, const char *hook, const tsi_view *y);
/* "gelu_tanh" for a ts_unary_op / TSI_UNARY_* kind. */
const char *tsi_unary_name(int kind);
/* "swiglu" for a ts_glu_kind (op_glu.c). */
const char *tsi_glu_name(int kind);
/* "bf16 softmax" for unsupported-op messages. */
const char *tsi_op_label(const tsi_op *op, char *buf, size_t len);

/* ---- fallbacks (fallback.c) ----------------------------------------------- */

/* Has the device a kernel for d->op (false under TESSEL_TEST_HOOK=
 * decline:<op> too)? For a layer whose plan picks a fused kernel where one
 * exists and otherwise composes the same result as its normal path on that
 * device (not a fallback: nothing is counted or logged). Takes the lock. */
bool tsi_dispatch_has_kernel(tsi_dispatch *d);

/* Lock held, before d->op is recorded: TS_OK when the backend has a kernel
 * for it. Otherwise TS_ERR_UNSUPPORTED: with `declined` (tsi_dispatch_run)
 * and a fallback, *declined is set and the fallback runs next; else the
 * message names the op and the device ("bf16 softmax ... opencl:0").
 * TESSEL_TEST_HOOK=decline:<op> (hook or hook_op) makes the backend look
 * kernel-less for that op, so tests reach fallbacks, and compositions with
 * a missing piece, on devices that have every kernel. */
ts_status tsi_fallback_check_locked(tsi_dispatch *d, bool *declined);
/* d's fallback, for tsi_dispatch_run once the backend declined d->op and
 * the lock is released: counts and logs it, runs it, applies the corrupt
 * hook to out[0], and names d->fn in a failing piece's message. */
ts_status tsi_fallback_run(tsi_dispatch *d);

#endif
