/* float64 references of the elementwise ops: binary with broadcasting,
 * unary activations, scale_shift, gated linear units. */
#include <math.h>

#include "ref.h"

/* Row-major offset of the broadcast element o[] in a 4-d shape s. */
static int64_t bcast_offset(const int64_t *s, const int64_t *o)
{
    int64_t off = 0;
    for (int d = 0; d < 4; d++)
        off = off * s[d] + (s[d] == 1 ? 0 : o[d]);
    return off;
}

static double int_div(double a, double b)
{
    return b == 0.0 ? 0.0 : trunc(a / b);
}

void ref_binary(ts_binary_op op, int is_int, const double *a, const int64_t *ashape4,
                const double *b, const int64_t *bshape4, const int64_t *oshape4, double *out,
                double *mag)
{
    int64_t o[4];
    int64_t i = 0;
    for (o[0] = 0; o[0] < oshape4[0]; o[0]++)
        for (o[1] = 0; o[1] < oshape4[1]; o[1]++)
            for (o[2] = 0; o[2] < oshape4[2]; o[2]++)
                for (o[3] = 0; o[3] < oshape4[3]; o[3]++, i++) {
                    double x = a[bcast_offset(ashape4, o)], y = b[bcast_offset(bshape4, o)];
                    double r = 0.0, m;
                    switch (op) {
                    case TS_ADD:
                        r = x + y;
                        break;
                    case TS_SUB:
                        r = x - y;
                        break;
                    case TS_MUL:
                        r = x * y;
                        break;
                    case TS_DIV:
                        r = is_int ? int_div(x, y) : x / y;
                        break;
                    case TS_MAX: /* NaN propagates (docs/numerics.md) */
                        r = isnan(x) || isnan(y) ? NAN : x > y ? x : y;
                        break;
                    case TS_MIN:
                        r = isnan(x) || isnan(y) ? NAN : x < y ? x : y;
                        break;
                    }
                    /* add/sub round relative to the operands (cancellation). */
                    m = op == TS_ADD || op == TS_SUB ? fabs(x) + fabs(y) : fabs(r);
                    out[i] = r;
                    if (mag)
                        mag[i] = m;
                }
}

void ref_binary_c64(ts_binary_op op, const double *a, const int64_t *ashape4, const double *b,
                    const int64_t *bshape4, const int64_t *oshape4, double *out, double *mag)
{
    int64_t o[4];
    int64_t i = 0;
    for (o[0] = 0; o[0] < oshape4[0]; o[0]++)
        for (o[1] = 0; o[1] < oshape4[1]; o[1]++)
            for (o[2] = 0; o[2] < oshape4[2]; o[2]++)
                for (o[3] = 0; o[3] < oshape4[3]; o[3]++, i++) {
                    const double *x = a + 2 * bcast_offset(ashape4, o);
                    const double *y = b + 2 * bcast_offset(bshape4, o);
                    double re, im, ax = hypot(x[0], x[1]), ay = hypot(y[0], y[1]);
                    if (op == TS_MUL) {
                        re = x[0] * y[0] - x[1] * y[1];
                        im = x[0] * y[1] + x[1] * y[0];
                    } else if (op == TS_SUB) {
                        re = x[0] - y[0];
                        im = x[1] - y[1];
                    } else {
                        re = x[0] + y[0];
                        im = x[1] + y[1];
                    }
                    out[2 * i] = re;
                    out[2 * i + 1] = im;
                    if (mag)
                        mag[i] = op == TS_MUL ? ax * ay : ax + ay;
                }
}

static const double sqrt_2_over_pi = 0.79788456080286535588;

static double sigmoid(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

void ref_unary(ts_unary_op op, const double *x, int64_t n, double stat_k, double *out, double *mag)
{
    for (int64_t i = 0; i < n; i++) {
        double v = x[i], r = 0.0, m;
        switch (op) {
        case TS_NEG:
            r = -v;
            break;
        case TS_ABS:
            r = fabs(v);
            break;
        case TS_EXP:
            r = exp(v);
            break;
        case TS_LOG:
            r = log(v);
            break;
        case TS_SQRT:
            r = sqrt(v);
            break;
        case TS_RSQRT:
            r = 1.0 / sqrt(v);
            break;
        case TS_TANH:
            r = tanh(v);
            break;
        case TS_SIGMOID:
            r = sigmoid(v);
            break;
        case TS_RELU: /* NaN stays NaN (docs/numerics.md) */
            r = v > 0.0 || isnan(v) ? v : 0.0;
            break;
        case TS_RELU2:
            r = v > 0.0 || isnan(v) ? v * v : 0.0;
            break;
        case TS_GELU_ERF:
            r = 0.5 * v * (1.0 + erf(v / sqrt(2.0)));
            break;
        case TS_GELU_TANH:
            r = 0.5 * v * (1.0 + tanh(sqrt_2_over_pi * (v + 0.044715 * v * v * v)));
            break;
        case TS_SILU:
            r = v * sigmoid(v);
            break;
        case TS_SIN:
            r = sin(v);
            break;
        case TS_COS:
            r = cos(v);
            break;
        }
        m = fabs(r);
        switch (op) {
        case TS_LOG:
            m += stat_k;
            break;
        case TS_TANH:
        case TS_GELU_ERF:
        case TS_GELU_TANH:
        case TS_SILU:
            m += stat_k * fmin(fabs(v), 1.0);
            break;
        default:
            break;
        }
        out[i] = r;
        if (mag)
            mag[i] = m;
    }
}

void ref_scale_shift(const double *x, int64_t n, double a, double b, double *out, double *mag)
{
    for (int64_t i = 0; i < n; i++) {
        out[i] = a * x[i] + b;
        if (mag)
            mag[i] = fabs(a * x[i]) + fabs(b);
    }
}

void ref_glu(ts_glu_kind kind, const double *a, const double *b, int64_t n, double stat_k,
             double *out, double *mag)
{
    for (int64_t i = 0; i < n; i++) {
        double x = a[i], act = 0.0, absolute = 0.0;
        switch (kind) {
        case TS_GLU_SIGMOID:
            act = sigmoid(x);
            break;
        case TS_GLU_RELU:
            act = x > 0.0 ? x : 0.0;
            break;
        case TS_GLU_GELU:
            act = 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
            absolute = stat_k * fmin(fabs(x), 1.0);
            break;
        case TS_GLU_SILU:
            act = x * sigmoid(x);
            absolute = stat_k * fmin(fabs(x), 1.0);
            break;
        }
        out[i] = act * b[i];
        if (mag)
            mag[i] = fabs(out[i]) + absolute * fabs(b[i]);
    }
}
