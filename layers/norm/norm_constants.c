/* DeepNorm (DeepNet, Wang et al. 2022, table 1) and Sub-LN (Magneto, Wang
 * et al. 2022) constants as functions of the layer counts: N encoder layers,
 * M decoder layers. Computed in double, returned as float. Which counts each
 * stack needs is a table, so the checks and messages are the same for both
 * functions. */
#include <math.h>

#include "core/layer_api.h"

typedef struct stack_rule {
    const char *name;
    bool needs_n, needs_m;
} stack_rule;

static const stack_rule stack_rules[TS_STACK_ARCH_COUNT] = {
    [TS_STACK_ENCODER_ONLY] = {"an encoder-only stack", true, false},
    [TS_STACK_DECODER_ONLY] = {"a decoder-only stack", false, true},
    [TS_STACK_ENCDEC_ENCODER] = {"the encoder of an encoder-decoder", true, true},
    [TS_STACK_ENCDEC_DECODER] = {"the decoder of an encoder-decoder", true, true},
};

static ts_status check_counts(const char *fn, ts_stack_arch arch, int n, int m)
{
    TSI_CHECK((unsigned)arch < TS_STACK_ARCH_COUNT, TS_ERR_INVALID_ARGUMENT,
              "%s: invalid arch %d (use a ts_stack_arch value)", fn, (int)arch);
    const stack_rule *r = &stack_rules[arch];
    TSI_CHECK(!r->needs_n || n >= 1, TS_ERR_INVALID_ARGUMENT,
              "%s: %s needs N >= 1 encoder layers, got N = %d", fn, r->name, n);
    TSI_CHECK(r->needs_n || n == 0, TS_ERR_INVALID_ARGUMENT,
              "%s: %s has no encoder layers: N must be 0, got %d", fn, r->name, n);
    TSI_CHECK(!r->needs_m || m >= 1, TS_ERR_INVALID_ARGUMENT,
              "%s: %s needs M >= 1 decoder layers, got M = %d", fn, r->name, m);
    TSI_CHECK(r->needs_m || m == 0, TS_ERR_INVALID_ARGUMENT,
              "%s: %s has no decoder layers: M must be 0, got %d", fn, r->name, m);
    return TS_OK;
}

TS_API ts_status ts_deepnorm_constants(ts_stack_arch arch, int n_encoder, int m_decoder,
                                       float *alpha, float *beta)
{
    TSI_RETURN_IF_ERROR(check_counts("ts_deepnorm_constants", arch, n_encoder, m_decoder));
    double n = n_encoder, m = m_decoder, a = 1.0, b = 1.0;
    switch (arch) {
    case TS_STACK_ENCODER_ONLY:
        a = pow(2.0 * n, 0.25);
        b = pow(8.0 * n, -0.25);
        break;
    case TS_STACK_DECODER_ONLY:
        a = pow(2.0 * m, 0.25);
        b = pow(8.0 * m, -0.25);
        break;
    case TS_STACK_ENCDEC_ENCODER:
        /* N <= 2^31 keeps N^4 M far inside double's range. */
        a = 0.81 * pow(pow(n, 4.0) * m, 1.0 / 16.0);
        b = 0.87 * pow(pow(n, 4.0) * m, -1.0 / 16.0);
        break;
    case TS_STACK_ENCDEC_DECODER:
        a = pow(3.0 * m, 0.25);
        b = pow(12.0 * m, -0.25);
        break;
    }
    if (alpha)
        *alpha = (float)a;
    if (beta)
        *beta = (float)b;
    return TS_OK;
}

TS_API ts_status ts_subln_gain(ts_stack_arch arch, int n_encoder, int m_decoder, float *gamma)
{
    TSI_RETURN_IF_ERROR(check_counts("ts_subln_gain", arch, n_encoder, m_decoder));
    double n = n_encoder, m = m_decoder, g = 1.0;
    switch (arch) {
    case TS_STACK_ENCODER_ONLY:
        g = sqrt(log(2.0 * n));
        break;
    case TS_STACK_DECODER_ONLY:
        g = sqrt(log(2.0 * m));
        break;
    case TS_STACK_ENCDEC_ENCODER:
        g = sqrt(log(3.0 * m) * log(2.0 * n) / 3.0);
        break;
    case TS_STACK_ENCDEC_DECODER:
        g = sqrt(log(3.0 * m));
        break;
    }
    if (gamma)
        *gamma = (float)g;
    return TS_OK;
}
