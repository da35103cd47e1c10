/* float64 reference of the MoE layer (include/tessel/moe.h, LAYERS.md
 * "Mixture of experts"), plain loops over dense row-major arrays: router,
 * top-k, capacity placement, losses and the expert FFN. Written from the
 * definitions, never from the library's code. */
#ifndef TESSEL_TESTS_CASES_REF_MOE_LAYER_H
#define TESSEL_TESTS_CASES_REF_MOE_LAYER_H

#include <stdint.h>

#include <tessel/tessel.h>

typedef struct ref_moe_in {
    int64_t t, d, ff, e, k, dr;
    int xmoe, skip_token_norm, sigmoid, renormalize;
    ts_moe_activation act;
    double temperature, aux_weight;
    int64_t capacity;           /* from ref_moe_capacity: -1 unlimited */
    const double *x;            /* [T, d] */
    const double *router;       /* [d, E] */
    const double *wred, *emb;   /* [d, dr], [E, dr] (X-MoE) */
    const double *w1, *wg, *w2; /* [E, d, ff], [E, d, ff] (SwiGLU), [E, ff, d] */
    /* > 0: a token whose k-th choice is not clearly apart (the probabilities
     * at ranks c and c + 1 within this relative distance) takes the
     * device's choices (device_expert [T, k]) when they are an equally good
     * ranking; the placement then follows them exactly. 0: strict. */
    double ambiguity;
    const int32_t *device_expert;
    /* The f32 tolerance over the output dtype's: how much an f32 error of
     * a gate counts in the output's magnitude (1 for f32). */
    double gate_weight;
} ref_moe_in;

typedef struct ref_moe_out {
    double *logits, *logit_mag, *probs, *prob_mag; /* [T, E] */
    int32_t *expert;                               /* [T, k] */
    double *gate, *gate_mag;                       /* [T, k] */
    int32_t *rows;                                 /* [T, k] */
    int32_t *row_token;                            /* [R] */
    int32_t *counts, *offsets;                     /* [E], [E + 1] */
    int32_t dropped;
    double aux, aux_mag, z, z_mag;
    double *y, *y_mag; /* [T, d], or NULL: routing only */
    int adopted;       /* tokens whose near-tied ranking came from the device */
} ref_moe_out;

/* C and R exactly as include/tessel/moe.h defines them. */
void ref_moe_capacity(const ts_moe_params *p, int64_t t, int64_t *capacity, int64_t *rows);
/* Fills every field of out (arrays allocated by the caller; y may be NULL:
 * routing only). Where device_expert disagrees with a clear ranking,
 * out->expert keeps the reference's choices, so the exact check fails. */
void ref_moe_layer(const ref_moe_in *in, ref_moe_out *out);

#endif
