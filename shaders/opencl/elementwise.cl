/* Elementwise ops over strided 4-d views: unary (with copy, cast and
 * scale_shift), binary, and a raw same-dtype copy.
 *
 * Launch: a 3-d grid (dim 3, dim 2, dims 0*1) whose every axis loops with
 * its global size as the step, so any shape fits any grid and the host can
 * cap grid sizes at what the device takes. Inputs arrive broadcast to the
 * output shape (stride 0), so one 4-d index addresses every view. */

/* Kind numbers follow ts_unary_op, then TSI_UNARY_COPY, TSI_UNARY_SCALE_SHIFT. */
#define U_NEG 0
#define U_ABS 1
#define U_EXP 2
#define U_LOG 3
#define U_SQRT 4
#define U_RSQRT 5
#define U_TANH 6
#define U_SIGMOID 7
#define U_RELU 8
#define U_RELU2 9
#define U_GELU_ERF 10
#define U_GELU_TANH 11
#define U_SILU 12
#define U_COPY 13
#define U_SCALE_SHIFT 14

#if TS_IS_FLOAT
inline float ts_unary(int kind, float x, float alpha, float beta)
{
    switch (kind) {
    case U_NEG: return -x;
    case U_ABS: return fabs(x);
    case U_EXP: return exp(x);
    case U_LOG: return log(x);
    case U_SQRT: return sqrt(x);
    case U_RSQRT: return 1.0f / sqrt(x); /* rsqrt() may be 2 ulp off on some drivers */
    case U_TANH: return tanh(x);
    case U_SIGMOID: return 1.0f / (1.0f + exp(-x));
    case U_RELU: return x > 0.0f ? x : 0.0f;
    case U_RELU2: { float r = x > 0.0f ? x : 0.0f; return r * r; }
    case U_GELU_ERF: return 0.5f * x * (1.0f + erf(x * 0.70710678118654752f));
    case U_GELU_TANH: {
        float u = 0.79788456080286536f * (x + 0.044715f * x * x * x);
        return 0.5f * x * (1.0f + tanh(u));
    }
    case U_SILU: return x / (1.0f + exp(-x));
    case U_SCALE_SHIFT: return alpha * x + beta;
    default: return x;
    }
}
#else
/* Integer math wraps (two's complement) like the reference: go through uint. */
inline int ts_unary(int kind, int x, float alpha, float beta)
{
    switch (kind) {
    case U_NEG: return (int)(0u - (uint)x);
    case U_ABS: return x < 0 ? (int)(0u - (uint)x) : x;
    case U_RELU: return x > 0 ? x : 0;
    case U_RELU2: { uint r = x > 0 ? (uint)x : 0u; return (int)(r * r); }
    default: return x;
    }
}
#endif

/* Conversion between the arithmetic types of DT and ODT. float -> i32
 * truncates toward zero and saturates, NaN -> 0 (tessel's cast rule). */
#if ODT == TS_I32 && DT != TS_I32
#define CVT(v) (isnan(v) ? 0 : convert_int_sat_rtz(v))
#elif ODT != TS_I32 && DT == TS_I32
#define CVT(v) convert_float(v)
#else
#define CVT(v) (v)
#endif

/* The loop nest shared by every kernel here; BODY sees xr/yr-style row
 * bases via the OFF() helper and the innermost index i3. */
#define EW_LOOP(BODY)                                                                   \
    long n01 = shape.s0 * shape.s1;                                                     \
    for (long i01 = get_global_id(2); i01 < n01; i01 += get_global_size(2)) {          \
        long i0 = i01 / shape.s1, i1 = i01 - i0 * shape.s1;                            \
        for (long i2 = get_global_id(1); i2 < shape.s2; i2 += get_global_size(1)) {     \
            for (long i3 = get_global_id(0); i3 < shape.s3; i3 += get_global_size(0)) { \
                BODY;                                                                   \
            }                                                                           \
        }                                                                               \
    }
#define OFF(off, s) ((off) + i0 * (s).s0 + i1 * (s).s1 + i2 * (s).s2 + i3 * (s).s3)

kernel void unary(global const T_S *x, long x_off, long4 xs, global O_S *y, long y_off, long4 ys,
                  long4 shape, int kind, float alpha, float beta)
{
    EW_LOOP(ST_O(y, OFF(y_off, ys), CVT(ts_unary(kind, LD(x, OFF(x_off, xs)), alpha, beta))))
}

kernel void copy_raw(global const T_R *x, long x_off, long4 xs, global T_R *y, long y_off, long4 ys,
                     long4 shape)
{
    EW_LOOP(y[OFF(y_off, ys)] = x[OFF(x_off, xs)])
}

#define B_ADD 0
#define B_SUB 1
#define B_MUL 2
#define B_DIV 3
#define B_MAX 4
#define B_MIN 5

#if TS_IS_FLOAT
inline float ts_binary(int kind, float a, float b)
{
    switch (kind) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_DIV: return a / b;
    case B_MAX: return fmax(a, b);
    default: return fmin(a, b);
    }
}
#else
/* Division truncates toward zero; x / 0 = 0; INT_MIN / -1 wraps. */
inline int ts_binary(int kind, int a, int b)
{
    switch (kind) {
    case B_ADD: return (int)((uint)a + (uint)b);
    case B_SUB: return (int)((uint)a - (uint)b);
    case B_MUL: return (int)((uint)a * (uint)b);
    case B_DIV: return b == 0 ? 0 : b == -1 ? (int)(0u - (uint)a) : a / b;
    case B_MAX: return max(a, b);
    default: return min(a, b);
    }
}
#endif

kernel void binary(global const T_S *a, long a_off, long4 as, global const T_S *b, long b_off,
                   long4 bs, global T_S *y, long y_off, long4 ys, long4 shape, int kind)
{
    EW_LOOP(ST(y, OFF(y_off, ys), ts_binary(kind, LD(a, OFF(a_off, as)), LD(b, OFF(b_off, bs)))))
}
