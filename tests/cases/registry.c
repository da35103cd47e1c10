/* The case list (every family expanded into op x dtype x spec cases) and
 * THE tolerance table. Adding a family: define it in cases_<name>.c, add
 * one row to `families` below with its tolerances, and the file to
 * CMakeLists.txt. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "family.h"

/* Tolerances per family x dtype {f32, f16, bf16, i32, c64}; a family
 * without c64 cases may leave the c64 entries out (0).
 *
 * An element passes when |got - ref| / max(m, floor) <= tol, where m is the
 * scale its rounding error grows with (the family's run function passes it:
 * |a|+|b| for add, sum |a_k b_k| for a dot product, |x - mean| + |x| terms
 * for a norm; |ref| by default). tol 0 is exact; i32 is always exact.
 * c64: |got - ref| is the modulus of the complex difference (family.h).
 *
 * Why these numbers: the backends compute in f32 and round once on store,
 * so a float16 result carries at most half an f16 ulp (2^-11 = 4.9e-4) of
 * rounding plus the f32 error, a bfloat16 result half a bf16 ulp (2^-8 =
 * 3.9e-3). f32 results are bounded by the f32 arithmetic of the kernel:
 * a few ulps (2^-24 = 6e-8 each) for elementwise math, more for long sums
 * (reductions over rows of 4099, dot products of K = 513) and for GPU
 * transcendentals (Vulkan allows exp 3 + 2|x| ulp). Floors default to the
 * bottom of each dtype's normal range so subnormal results are judged on
 * absolute error; rows that differ say why. */
typedef struct family_row {
    const tsc_family *fam;
    double tol[TS_DTYPE_COUNT];
    double floor[TS_DTYPE_COUNT];
} family_row;

/* clang-format off */
#define FLOORS {1e-30, 6.2e-5, 1e-30, 1.0, 1e-30}

static const family_row families[] = {
    /* c64: a complex product's parts are sums of two f32 products, each
     * within 2^-24 |a| |b|, the mag ref_binary_c64 gives it. */
    {&tsc_family_binary, {1e-6, 1e-3, 8e-3, 0, 1e-6}, FLOORS},
    /* f32 floor 1e-2: GPU tanh/erf are accurate in absolute, not relative,
     * terms near 0 (Vulkan defines tanh through exp), so results below
     * 1e-2 are judged on an absolute 1e-7. */
    {&tsc_family_unary, {1e-5, 1.5e-3, 1e-2, 0}, {1e-2, 6.2e-5, 1e-6, 1.0}},
    {&tsc_family_scale_shift, {1e-6, 1e-3, 8e-3, 0}, FLOORS},
    /* The unary row: act's f32 error as for ts_unary, and f16/bf16 results
     * rounded twice by the fallback, which holds act(a) in the op's dtype
     * (core/op_glu.c): <= 2 half-ulps (9.8e-4, 7.8e-3) plus act's error;
     * measured worst 9.6e-4 and 7.6e-3 on cpu:0 (--full). */
    {&tsc_family_glu, {1e-5, 1.5e-3, 1e-2, 0}, {1e-2, 6.2e-5, 1e-6, 1.0}},
    {&tsc_family_cast, {0, 0, 0, 0}, FLOORS},
    {&tsc_family_copy, {0, 0, 0, 0}, FLOORS},
    {&tsc_family_matmul, {2e-5, 1.5e-3, 1e-2, 0}, {1e-6, 6.2e-5, 1e-6, 1.0}},
    /* exp of arguments down to -16 costs Vulkan up to 35 ulp (4e-6). */
    {&tsc_family_softmax, {2e-5, 1.5e-3, 1e-2, 0}, {1e-6, 6.2e-5, 1e-6, 1.0}},
    {&tsc_family_reduce, {2e-5, 1.5e-3, 1e-2, 0}, {1e-6, 6.2e-5, 1e-6, 1.0}},
    {&tsc_family_index, {1e-6, 1.5e-3, 1e-2, 0}, FLOORS},
    {&tsc_family_norm, {1e-5, 1.5e-3, 1e-2, 0}, {1e-3, 1e-3, 1e-3, 1.0}},
    {&tsc_family_conv, {2e-6, 1.5e-3, 1e-2, 0}, {1e-6, 6.2e-5, 1e-6, 1.0}},
    {&tsc_family_residual_norm, {2e-5, 1.5e-3, 1e-2, 0}, {1e-6, 1e-6, 1e-6, 1.0}},
    {&tsc_family_subln, {2e-5, 3e-3, 2e-2, 0}, {1e-6, 1e-6, 1e-6, 1.0}},
    {&tsc_family_primer, {2e-5, 3e-3, 2e-2, 0}, {1e-6, 1e-6, 1e-6, 1.0}},
    {&tsc_family_attention, {2e-5, 1.5e-3, 1e-2, 0}, {1e-6, 6.2e-5, 1e-6, 1.0}},
    {&tsc_family_attention_decode, {2e-5, 1.5e-3, 1e-2, 0}, {1e-6, 6.2e-5, 1e-6, 1.0}},
    {&tsc_family_gau, {1e-4, 1e-2, 6e-2, 0}, {1e-6, 6.2e-5, 1e-6, 1.0}},
    /* Outputs are c64 (or f32 for irfft) whatever the input dtype; mag is
     * |scale| * ||row||_2 * (1 + log2 n) (cases_fft.c), so 1e-6 allows
     * about 16 f32 ulps of the row norm per level of the transform. */
    {&tsc_family_fft, {1e-6, 0, 0, 0, 1e-6}, {1e-30, 0, 0, 1.0, 1e-30}},
    /* Grouped GEMM and combine as matmul: dot products in f32, one rounding
     * on store; placement (i32) exact. */
    {&tsc_family_moe_ops, {2e-5, 1.5e-3, 1e-2, 0}, {1e-6, 6.2e-5, 1e-6, 1.0}},
    /* The MoE layer: router in f32 (mag from cases_moe.c: logit sums and
     * the exponent's size), expert FFNs rounding h, act(h) and the output
     * to the dtype (mag: each hidden unit's error scale through w2). */
    {&tsc_family_moe, {2e-5, 1.5e-3, 1e-2, 0}, {1e-6, 6.2e-5, 1e-6, 1.0}},
    /* Per element: err / (log2(n) (sum |k u| + |k|_2 |u|_2 / sqrt L) + |D u|):
     * FFT rounding grows like log n (cases_fftconv.c); f16 / bf16 add
     * their half-ulp on store. */
    {&tsc_family_fftconv, {2e-7, 1e-3, 8e-3, 0}, {1e-6, 6.2e-5, 1e-6, 1.0}},
    /* The same pipeline on absolute values is the error scale (FFT terms
     * times log2 n as for fftconv); f16 / bf16 round every intermediate
     * (z, the gates, each convolution) to the storage dtype. */
    {&tsc_family_hyena, {2e-7, 4e-3, 3e-2, 0}, {1e-6, 6.2e-5, 1e-6, 1.0}},
    /* err / (|x| + log2(HW) * the output RMS the MLP on absolute values
     * gives): FFT rounding spreads over the whole plane. */
    {&tsc_family_afno, {2e-7, 1e-3, 8e-3, 0}, {1e-6, 6.2e-5, 1e-6, 1.0}},
    /* Special values (docs/numerics.md): judged on class first; the finite
     * rest as the loosest of the ordinary families above (unary's GPU
     * transcendentals, attention's scores), whose own cases judge accuracy. */
    {&tsc_family_special, {2e-5, 1.5e-3, 1e-2, 0, 1e-6}, {1e-2, 6.2e-5, 1e-2, 1.0, 1e-30}},
    /* The row ops and gathers along any dim: as softmax, reduce, index. */
    {&tsc_family_axis, {2e-5, 1.5e-3, 1e-2, 0}, {1e-6, 6.2e-5, 1e-6, 1.0}},
};
/* clang-format on */
#define N_FAMILIES ((int)(sizeof families / sizeof families[0]))

void tsc_tolerance(const char *family, ts_dtype dt, double *tol, double *floor)
{
    *tol = 0.0;
    *floor = 1.0;
    for (int i = 0; i < N_FAMILIES; i++) {
        if (strcmp(families[i].fam->name, family) == 0 && (unsigned)dt < TS_DTYPE_COUNT) {
            *tol = families[i].tol[dt];
            *floor = families[i].floor[dt];
            return;
        }
    }
}

/* ---- the case list --------------------------------------------------------- */

static tsc_case *cases;
static int n_cases;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int applies(const tsc_family *f, const tsc_op_entry *op, ts_dtype dt, const tsc_spec *s)
{
    return (op->dtypes & TSC_DT(dt)) && (!f->applies || f->applies(op, dt, s));
}

/* Two passes over every family: count, then fill. */
static int expand(tsc_case *out)
{
    int n = 0;
    for (int fi = 0; fi < N_FAMILIES; fi++) {
        const tsc_family *f = families[fi].fam;
        for (int oi = 0; oi < f->n_ops; oi++) {
            const tsc_op_entry *op = &f->ops[oi];
            for (int dt = 0; dt < TS_DTYPE_COUNT; dt++) {
                for (int dt2 = 0; dt2 < (f->targets ? TS_DTYPE_COUNT : 1); dt2++) {
                    if (f->targets &&
                        (!(f->targets & TSC_DT(dt2)) ||
                         (f->pair_applies && !f->pair_applies((ts_dtype)dt, (ts_dtype)dt2))))
                        continue;
                    for (int si = 0; si < f->n_specs; si++) {
                        const tsc_spec *s = &f->specs[si];
                        if (!applies(f, op, (ts_dtype)dt, s))
                            continue;
                        if (out) {
                            tsc_case *c = &out[n];
                            c->op = op->name;
                            c->family = f->name;
                            if (f->targets)
                                snprintf(c->name, sizeof c->name, "%s->%s/%s",
                                         ts_dtype_name((ts_dtype)dt), ts_dtype_name((ts_dtype)dt2),
                                         s->label);
                            else
                                snprintf(c->name, sizeof c->name, "%s/%s",
                                         ts_dtype_name((ts_dtype)dt), s->label);
                            c->dtype = (ts_dtype)dt;
                            c->dtype2 = f->targets ? (ts_dtype)dt2 : (ts_dtype)dt;
                            c->full_only = s->full_only;
                            c->fam = f;
                            c->op_index = oi;
                            c->spec_index = si;
                        }
                        n++;
                    }
                }
            }
        }
    }
    return n;
}

static void build(void)
{
    int n = expand(NULL);
    cases = calloc((size_t)n, sizeof *cases);
    if (cases)
        n_cases = expand(cases);
}

int tsc_case_count(void)
{
    pthread_once(&once, build);
    return n_cases;
}

const tsc_case *tsc_case_at(int i)
{
    pthread_once(&once, build);
    return i >= 0 && i < n_cases ? &cases[i] : NULL;
}

const tsc_case *tsc_case_find(const char *op, const char *name)
{
    pthread_once(&once, build);
    if (!op || !name)
        return NULL;
    for (int i = 0; i < n_cases; i++)
        if (strcmp(cases[i].op, op) == 0 && strcmp(cases[i].name, name) == 0)
            return &cases[i];
    return NULL;
}

int tsc_family_count(void)
{
    return N_FAMILIES;
}

const char *tsc_family_name(int i)
{
    return i >= 0 && i < N_FAMILIES ? families[i].fam->name : NULL;
}

int tsc_case_matches_op(const tsc_case *c, const char *pattern)
{
    if (!c || !pattern)
        return 0;
    return strncmp(c->op, pattern, strlen(pattern)) == 0 || strcmp(c->family, pattern) == 0;
}

const char *tsc_status_name(tsc_status s)
{
    static const char *const names[] = {"pass",  "fail",     "unsupported",
                                        "error", "fallback", "ftz"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}
