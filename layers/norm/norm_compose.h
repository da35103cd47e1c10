/* Building blocks the composed normalization layers share (Sub-LN helpers,
 * Primer blocks): checks for a linear step x · W (+ b) that name the public
 * function, device temporaries shaped like an activation, and the FFN chain
 * (projection, bias, activation, optional LayerNorm, projection) that the
 * Sub-LN FFN and Primer's squared-ReLU FFN both are. Op set v1 has no matmul
 * epilogue, so bias and activation run as their own elementwise ops between
 * two ping-pong temporaries. */
#ifndef TESSEL_LAYERS_NORM_COMPOSE_H
#define TESSEL_LAYERS_NORM_COMPOSE_H

#include "core/layer_api.h"

/* v [n] in dtype on dev (dev NULL: not checked); NULL passes (optional). */
ts_status tsi_nc_check_vector(const char *fn, const char *what, const ts_tensor *v, ts_dtype dtype,
                              const ts_device *dev, int64_t n);

/* w [k, N] and b [N] (or NULL) in dtype on dev (dev NULL: not checked).
 * *n = N. Names are the caller's argument names. */
ts_status tsi_nc_check_weight(const char *fn, ts_dtype dtype, const ts_device *dev, int64_t k,
                              const char *wname, const ts_tensor *w, const char *bname,
                              const ts_tensor *b, int64_t *n);

/* x [.., K] with 2 to 4 dims, a float dtype; w [K, N] and b [N] (or NULL) in
 * x's dtype on x's device. *n = N. */
ts_status tsi_nc_check_linear(const char *fn, const char *xname, const ts_tensor *x,
                              const char *wname, const ts_tensor *w, const char *bname,
                              const ts_tensor *b, int64_t *n);

/* out: x's dtype, shape x[:-1] + [n], on x's device, contiguous, writable and
 * overlapping none of the n_in inputs. */
ts_status tsi_nc_check_output(const char *fn, const char *what, const ts_tensor *out,
                              const ts_tensor *x, int64_t n, const ts_tensor *const *ins, int n_in);

/* A new contiguous tensor of x's dtype and device, shape x[:-1] + [n]. */
ts_status tsi_nc_temp(const char *fn, const ts_tensor *x, int64_t n, ts_tensor **out);

/* out = x · w (+ b), arguments already checked; a bias needs one temporary. */
ts_status tsi_nc_linear(const char *fn, const ts_tensor *x, const ts_tensor *w, const ts_tensor *b,
                        ts_tensor *out);

/* The FFN chain: h = act(x · w1 + b1); with_ln: h = LayerNorm(h) * ln_weight
 * + ln_bias; out = h · w2 + b2. Validates everything (messages start with
 * fn), then records. */
typedef struct tsi_nc_ffn {
    const ts_tensor *x, *w1, *b1;
    ts_unary_op act;
    int with_ln;
    const ts_tensor *ln_weight, *ln_bias;
    float eps;
    const ts_tensor *w2, *b2;
    ts_tensor *out;
} tsi_nc_ffn;

ts_status tsi_nc_ffn_run(const char *fn, const tsi_nc_ffn *f);

#endif
