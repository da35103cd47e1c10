/* The family interface of the case registry (see registry.h for how a case
 * runs). A family is an op table x dtypes x a spec table; the registry
 * expands it into cases "<dtype>/<label>" (cast: "<src>-><dst>/<label>")
 * and calls the family's run function with a tsc_ctx, through which it
 * makes inputs and outputs (tsc_input, tsc_output), runs the op
 * (tsc_op_status), and compares each output with its float64 reference
 * (tsc_check). Everything a tsc_ctx hands out is freed by the registry
 * after run returns, so run functions can simply return early. */
#ifndef TESSEL_TESTS_CASES_FAMILY_H
#define TESSEL_TESTS_CASES_FAMILY_H

#include <stddef.h>

#include "registry.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TSC_DT(d) (1u << (unsigned)(d))
#define TSC_FLOATS (TSC_DT(TS_F32) | TSC_DT(TS_F16) | TSC_DT(TS_BF16))
#define TSC_ALL_DTYPES (TSC_FLOATS | TSC_DT(TS_I32))

/* Complex (TS_C64) in the harness: every array of logical values holds
 * tsc_parts(dt) doubles per element, (re, im) interleaved for c64:
 * tsc_input draws both parts, tsc_input_values reads 2 * numel values,
 * arg->v holds 2 * numel, and tsc_check takes a reference of 2 * numel
 * doubles. mag stays one double per element (a modulus: |a| + |b| for a
 * complex add, |a| |b| for a product). An element's error is the modulus
 * |got - ref|, compared with tol * max(mag, floor) (mag NULL: |ref|);
 * exact families (tol 0) need both parts equal to ref rounded to f32.
 * Outputs are poisoned with a NaN in each part. E.g. a c64 family:
 *
 *     tsc_arg *in = tsc_input(x, TS_C64, 2, shape, TSC_CONTIG, -1, 1);
 *     tsc_arg *out = in ? tsc_output(x, TS_C64, 2, shape, TSC_CONTIG) : NULL;
 *     if (!out || tsc_op_status(x, ts_foo(in->t, out->t), "ts_foo"))
 *         return;
 *     double *ref = tsc_alloc(x, 2 * (size_t)out->numel);  // re, im
 *     ...fill ref from in->v (in->v[2*i] re, in->v[2*i + 1] im)...
 *     tsc_check(x, out, ref, NULL);
 */
#define TSC_C64 TSC_DT(TS_C64)

typedef struct tsc_op_entry {
    const char *name; /* public op name: "add" */
    int kind;         /* family specific: ts_binary_op, ts_unary_op, ... */
    unsigned dtypes;  /* TSC_DT(...) mask of the dtypes it has cases for */
} tsc_op_entry;

/* How a tensor is laid out in device memory; the op always sees the same
 * logical shape and values, only strides and offset change.
 *   CONTIG      row-major
 *   TRANSPOSED  stored with the last two dims swapped, a transpose view
 *   SLICED      stored larger (dim 0 + 1, last dim 2n + 1), a view with an
 *               offset and step 2 in the last dim
 *   PERMUTED    stored with the dims reversed, a permute view
 *   BROADCAST   stored with dim 0 of size 1, a broadcast view (inputs only)
 * For a strided output view, elements outside the view must keep their
 * poison. */
typedef enum tsc_layout {
    TSC_CONTIG = 0,
    TSC_TRANSPOSED,
    TSC_SLICED,
    TSC_PERMUTED,
    TSC_BROADCAST
} tsc_layout;

/* Layouts of a spec's tensors, packed into tsc_spec.flags; family bits
 * start at TSC_FLAG_FAMILY. */
#define TSC_LAY_IN0(l) ((unsigned)(l))
#define TSC_LAY_IN1(l) ((unsigned)(l) << 3)
#define TSC_LAY_OUT(l) ((unsigned)(l) << 6)
#define TSC_IN0_LAYOUT(f) ((tsc_layout)((f)&7u))
#define TSC_IN1_LAYOUT(f) ((tsc_layout)(((f) >> 3) & 7u))
#define TSC_OUT_LAYOUT(f) ((tsc_layout)(((f) >> 6) & 7u))
#define TSC_FLAG_FAMILY (1u << 9)

typedef struct tsc_spec {
    const char *label; /* shape and what is special: "7x13 T(a)" */
    int nd;            /* first shape (the main input) */
    int64_t shape[4];
    int nd2; /* second shape (b of a binary op or matmul), family specific */
    int64_t shape2[4];
    int64_t p[4];   /* family-specific integers (k, dim, counts) */
    double f[2];    /* family-specific reals (scale, eps) */
    unsigned flags; /* TSC_LAY_* and family bits */
    int full_only;  /* 1: only in the --full set */
} tsc_spec;

typedef struct tsc_ctx tsc_ctx;

struct tsc_family {
    const char *name;
    const tsc_op_entry *ops;
    int n_ops;
    const tsc_spec *specs;
    int n_specs;
    /* Nonzero: cases per source dtype x target dtype in this mask (cast). */
    unsigned targets;
    /* With targets: which source x target pairs get cases; NULL: all. */
    int (*pair_applies)(ts_dtype src, ts_dtype dst);
    /* Which specs an op x dtype gets; NULL: all of them. */
    int (*applies)(const tsc_op_entry *op, ts_dtype dtype, const tsc_spec *s);
    /* Runs one case; reports through tsc_op_status / tsc_check / tsc_fail. */
    void (*run)(tsc_ctx *x);
    /* Nonzero: the cases place f32 subnormals. On a device that does not
     * promise to keep them, a failed case runs once more with subnormal
     * inputs and references flushed to signed zeros (tsc_ctx_ftz) and is
     * TSC_FTZ if it then matches. */
    int places_subnormals;
};

/* ---- what run sees ------------------------------------------------------ */

const tsc_case *tsc_ctx_case(const tsc_ctx *x);
const tsc_op_entry *tsc_ctx_op(const tsc_ctx *x);
const tsc_spec *tsc_ctx_spec(const tsc_ctx *x);
ts_device *tsc_ctx_device(const tsc_ctx *x);
/* Nonzero in the flushed rerun (places_subnormals above): tsc_input_values
 * gives the device the subnormals but keeps them as signed zeros in
 * arg->v, and tsc_check_class flushes subnormal references, so a family's
 * reference code needs no change. */
int tsc_ctx_ftz(const tsc_ctx *x);

/* ---- random numbers (the case's own stream) ------------------------------ */

uint64_t tsc_rand_u64(tsc_ctx *x);
double tsc_uniform(tsc_ctx *x, double lo, double hi);     /* [lo, hi) */
int64_t tsc_rand_int(tsc_ctx *x, int64_t lo, int64_t hi); /* [lo, hi] */

/* Zero-filled scratch memory freed after the case; NULL when allocation
 * fails (the case is then ERROR). */
double *tsc_alloc(tsc_ctx *x, size_t n);

/* ---- tensors ------------------------------------------------------------- */

typedef struct tsc_arg {
    ts_tensor *t; /* what the op gets: the view, or the storage itself */
    ts_dtype dtype;
    int nd;
    int64_t shape[4];
    int64_t numel;
    /* logical values, row-major over shape, as stored (rounded); c64: re,
     * im interleaved (2 * numel doubles) */
    double *v;
    /* private */
    ts_tensor *store;
    tsc_layout layout;
    int64_t store_shape[4];
    int64_t store_numel;
    int is_output;
} tsc_arg;

/* An input with values uniform in [lo, hi) rounded to dtype (i32: integers
 * in [lo, hi]; c64: re and im each uniform); never all zeros. NULL on
 * failure (the case is over). */
tsc_arg *tsc_input(tsc_ctx *x, ts_dtype dt, int nd, const int64_t *shape, tsc_layout lay, double lo,
                   double hi);
/* An input holding the given logical values (c64: 2 * numel, re and im
 * interleaved), rounded to dtype (nonzero
 * f16 values below 2^-14 become +-2^-14: subnormal policy is the driver's).
 * A strided input's gaps hold NaN poison, so reading outside the view
 * shows up as NaN. */
tsc_arg *tsc_input_values(tsc_ctx *x, ts_dtype dt, int nd, const int64_t *shape, tsc_layout lay,
                          const double *values);
/* An output, poisoned; lay CONTIG, or a strided view for the ops that
 * accept one. */
tsc_arg *tsc_output(tsc_ctx *x, ts_dtype dt, int nd, const int64_t *shape, tsc_layout lay);

/* Records an op's status: TS_OK -> 0 (go on and check); UNSUPPORTED or an
 * error end the case (returns 1). */
int tsc_op_status(tsc_ctx *x, ts_status st, const char *what);

/* Reads out back into out->v (its logical values, as tsc_check does
 * before comparing), for a case whose reference depends on what the
 * device returned. Returns 1 when the read failed (the case is over). */
int tsc_read(tsc_ctx *x, tsc_arg *out);
/* Reads out back and compares it with ref (row-major over out's shape;
 * c64: 2 * numel doubles, re and im interleaved, see "Complex" above);
 * storage outside a strided output view must still hold its poison.
 * mag: the per-element error scale (NULL: |ref|). Tolerance and floor come
 * from the registry's table for the case's family x dtype; i32 outputs and
 * tol 0 are exact (got == ref rounded to the dtype). Returns 0 when it
 * matched, 1 otherwise (the case is then FAIL). */
int tsc_check(tsc_ctx *x, tsc_arg *out, const double *ref, const double *mag);
/* tsc_check for special values (docs/numerics.md): where ref, rounded to
 * out's dtype, is NaN or +-inf, got must be NaN or that same inf; where
 * it is finite, got must be finite and within tolerance. With
 * TSC_CLASS_SIGNED_ZERO, a zero ref and a zero got must also agree in
 * sign (for ops where IEEE fixes it). */
#define TSC_CLASS_SIGNED_ZERO 1u
int tsc_check_class(tsc_ctx *x, tsc_arg *out, const double *ref, const double *mag, unsigned flags);

/* Ends the case as FAIL (fail != 0) or ERROR with a message. */
void tsc_fail(tsc_ctx *x, int fail, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
int tsc_failed(const tsc_ctx *x);

/* ---- dtype helpers ------------------------------------------------------- */

/* Doubles per element in the harness's value arrays: 2 for c64, else 1. */
int tsc_parts(ts_dtype dt);

/* The value v becomes when stored as dt (through f32, as the backends
 * compute: f16/bf16 round to nearest even; i32 truncates toward zero). */
double tsc_round(ts_dtype dt, double v);
/* Bit-level codecs, independent of core/half.h on purpose. */
uint16_t tsc_f32_to_f16(float f);
float tsc_f16_to_f32(uint16_t h);
uint16_t tsc_f32_to_bf16(float f);
float tsc_bf16_to_f32(uint16_t h);

/* Product of the first nd entries. */
int64_t tsc_numel(int nd, const int64_t *shape);
/* shape right-aligned into 4 dims, leading 1s. */
void tsc_pad4(int nd, const int64_t *shape, int64_t *out4);

/* ---- the registry's side ------------------------------------------------- */

/* Tolerance and floor for a family x dtype (registry.c's table). */
void tsc_tolerance(const char *family, ts_dtype dt, double *tol, double *floor);

/* The families, declared here so registry.c can list them. */
extern const tsc_family tsc_family_binary;
extern const tsc_family tsc_family_unary;
extern const tsc_family tsc_family_scale_shift;
extern const tsc_family tsc_family_glu;
extern const tsc_family tsc_family_cast;
extern const tsc_family tsc_family_copy;
extern const tsc_family tsc_family_matmul;
extern const tsc_family tsc_family_softmax;
extern const tsc_family tsc_family_reduce;
extern const tsc_family tsc_family_index;
extern const tsc_family tsc_family_norm;
extern const tsc_family tsc_family_conv;
extern const tsc_family tsc_family_attention;
extern const tsc_family tsc_family_attention_decode;
extern const tsc_family tsc_family_gau;
extern const tsc_family tsc_family_residual_norm;
extern const tsc_family tsc_family_subln;
extern const tsc_family tsc_family_primer;
extern const tsc_family tsc_family_fft;
extern const tsc_family tsc_family_moe_ops;
extern const tsc_family tsc_family_moe;
extern const tsc_family tsc_family_fftconv;
extern const tsc_family tsc_family_hyena;
extern const tsc_family tsc_family_afno;
extern const tsc_family tsc_family_special;
extern const tsc_family tsc_family_axis;

#ifdef __cplusplus
}
#endif
#endif
