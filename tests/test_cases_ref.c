/* Checks of the case registry itself: the float64 references against
 * hand-computed values, the f16/bf16 codecs against their definitions, the
 * shape of the case list (unique names, every op of include/tessel/ops.h
 * in the quick set for each float dtype), and the harness on the CPU
 * device (unwritten outputs, writes outside a view, small errors fail). */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "family.h"
#include "ref.h"

static void near(double got, double want)
{
    if (!(fabs(got - want) <= 1e-12 * fmax(1.0, fabs(want))))
        fail_msg("got %.17g, want %.17g", got, want);
}

static void test_codecs(void **state)
{
    /* Every f16 bit pattern decodes to its definition (-1)^s 2^(e-15) 1.m,
     * and encoding that value gives the pattern back. */
    for (uint32_t h = 0; h < 0x10000u; h++) {
        uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
        if (e == 31)
            continue;
        double v = e ? ldexp(1.0 + m / 1024.0, (int)e - 15) : ldexp(m / 1024.0, -14);
        if (h & 0x8000u)
            v = -v;
        near(tsc_f16_to_f32((uint16_t)h), v);
        if (tsc_f32_to_f16((float)v) != h && !(v == 0.0 && (h & 0x7fffu) == 0))
            fail_msg("f16 %04x does not round-trip", h);
    }
    /* Ties go to even; halfway above 65504 overflows to inf. */
    assert_int_equal(tsc_f32_to_f16(1.0f + 1.0f / 2048), 0x3c00);
    assert_int_equal(tsc_f32_to_f16(1.0f + 3.0f / 2048), 0x3c02);
    assert_int_equal(tsc_f32_to_f16(65520.0f), 0x7c00);
    assert_int_equal(tsc_f32_to_f16(0x1p-25f), 0x0000);
    assert_int_equal(tsc_f32_to_f16(0x1.8p-25f), 0x0001);
    assert_int_equal(tsc_f32_to_bf16(1.0f + 1.0f / 256), 0x3f80);
    assert_int_equal(tsc_f32_to_bf16(1.0f + 3.0f / 256), 0x3f82);
    near(tsc_bf16_to_f32(0xc0a0), -5.0);
    near(tsc_round(TS_I32, -2.7), -2.0);
    near(tsc_round(TS_I32, 2.7), 2.0);
    near(tsc_round(TS_F16, 1.0 / 3), 0.333251953125);
}

static void test_elementwise(void **state)
{
    /* a [2,1] (op) b [3] broadcasts to [2,3]. */
    double a[2] = {1, 10}, b[3] = {1, 2, 3}, o[6];
    int64_t a4[4] = {1, 1, 2, 1}, b4[4] = {1, 1, 1, 3}, o4[4] = {1, 1, 2, 3};
    ref_binary(TS_SUB, 0, a, a4, b, b4, o4, o, NULL);
    const double sub[6] = {0, -1, -2, 9, 8, 7};
    for (int i = 0; i < 6; i++)
        near(o[i], sub[i]);
    /* i32 division truncates toward zero, x / 0 = 0. */
    double c[2] = {-7, 7}, d[3] = {2, 0, -2};
    ref_binary(TS_DIV, 1, c, a4, d, b4, o4, o, NULL);
    const double div[6] = {-3, 0, 3, 3, 0, -3};
    for (int i = 0; i < 6; i++)
        near(o[i], div[i]);

    double x[3] = {-1, 0, 2};
    ref_unary(TS_GELU_ERF, x, 3, 0.0, o, NULL);
    near(o[0], -0.15865525393145707);
    near(o[2], 1.9544997361036416);
    ref_unary(TS_GELU_TANH, x, 3, 0.0, o, NULL);
    near(o[0], -0.15880800939172324);
    ref_unary(TS_SILU, x, 3, 0.0, o, NULL);
    near(o[2], 1.7615941559557649);
    ref_unary(TS_RELU2, x, 3, 0.0, o, NULL);
    near(o[0], 0.0);
    near(o[2], 4.0);
    ref_unary(TS_RSQRT, x + 2, 1, 0.0, o, NULL);
    near(o[0], 0.70710678118654752);
    ref_scale_shift(x, 3, 2.0, 0.5, o, NULL);
    near(o[0], -1.5);

    /* Gated linear units: act(x) * g for x = -1, 0, 2 and g = 3, -2, 0.5. */
    double g[3] = {3, -2, 0.5}, m[3];
    ref_glu(TS_GLU_SIGMOID, x, g, 3, 0.0, o, NULL);
    near(o[0], 0.8068242641099853);
    near(o[1], -1.0);
    near(o[2], 0.44039853898894116);
    ref_glu(TS_GLU_RELU, x, g, 3, 0.0, o, NULL);
    near(o[0], 0.0);
    near(o[2], 1.0);
    ref_glu(TS_GLU_GELU, x, g, 3, 0.0, o, NULL);
    near(o[0], -0.4759657617943712);
    near(o[2], 0.9772498680518208);
    /* mag adds stat_k min(|x|, 1) |g| where silu / gelu cancel. */
    ref_glu(TS_GLU_SILU, x, g, 3, 0.5, o, m);
    near(o[0], -0.8068242641099853);
    near(o[2], 0.8807970779778823);
    near(m[0], 0.8068242641099853 + 0.5 * 3);
    near(m[1], 0.0);
}

static void test_linalg(void **state)
{
    /* [2,3] . [2 batches of 3x2]: the first batch by hand, the second a
     * selection matrix. */
    double a[6] = {1, 2, 3, 4, 5, 6}, b[12] = {7, 8, 9, 10, 11, 12, 1, 0, 0, 1, 0, 0}, o[8];
    int64_t a4[4] = {1, 1, 2, 3}, b4[4] = {1, 2, 3, 2};
    ref_matmul(a, a4, b, b4, o, NULL);
    const double want[8] = {58, 64, 139, 154, 1, 2, 4, 5};
    for (int i = 0; i < 8; i++)
        near(o[i], want[i]);
    /* x = 1, 2, 3; w = [10, 1]; bias 100: 110, 121, 132. */
    double x[3] = {1, 2, 3}, w[2] = {10, 1}, bias[1] = {100}, y[3];
    ref_conv1d_causal(x, 1, 3, 1, w, 2, bias, y, NULL);
    near(y[0], 110);
    near(y[1], 121);
    near(y[2], 132);
}

static void test_rows(void **state)
{
    /* Causal M=2, N=3: row 0 sees columns 0..1, row 1 all three. */
    double x[6] = {0, 0, 5, 0, 0, 0}, o[6];
    ref_softmax(x, 2, 2, 3, 1.0, 1, o, NULL);
    near(o[0], 0.5);
    near(o[1], 0.5);
    near(o[2], 0.0);
    near(o[3], 1.0 / 3);
    /* M=3 > N=2: row 0 is fully masked (zeros), row 2 sees both. */
    double y[6] = {1, 2, 3, 4, 5, 6};
    ref_softmax(y, 3, 3, 2, 1.0, 1, o, NULL);
    near(o[0], 0.0);
    near(o[1], 0.0);
    near(o[2], 1.0);
    near(o[3], 0.0);
    near(o[4] + o[5], 1.0);

    /* Ties go to the lower index. */
    double t[5] = {1, 3, 3, 2, 3}, v[3], idx[3], am[1], r[1];
    ref_topk(t, 1, 5, 3, v, idx);
    near(idx[0], 1);
    near(idx[1], 2);
    near(idx[2], 4);
    near(v[2], 3);
    ref_argmax(t, 1, 5, am);
    near(am[0], 1);
    ref_reduce(TS_REDUCE_MEAN, t, 1, 5, r, NULL);
    near(r[0], 2.4);

    double n[3] = {1, 2, 3};
    ref_layer_norm(n, 1, 3, NULL, NULL, 0.0, 0.0, o, NULL);
    near(o[0], -1.2247448713915890);
    near(o[1], 0.0);
    ref_rms_norm(n, 1, 3, NULL, 0.0, o, NULL);
    near(o[2], 3 / sqrt(14.0 / 3));
}

static void test_index(void **state)
{
    double table[4] = {1, 2, 3, 4}, idx[3] = {1, -1, 2}, o[6];
    ref_gather_rows(table, 2, 2, idx, 3, o);
    const double g[6] = {3, 4, 0, 0, 0, 0};
    for (int i = 0; i < 6; i++)
        near(o[i], g[i]);
    double dst[2] = {10, 20}, ix[4] = {0, 0, 5, 1}, src[4] = {1, 2, 3, 4}, out[2];
    ref_scatter_add_rows(dst, 2, 1, ix, src, 4, out, NULL);
    near(out[0], 13);
    near(out[1], 24);
    /* A partial sum past f32's range stays inf though the total is back in
     * range (f32 accumulation in index order); +inf then meets -inf as NaN. */
    double big[2] = {-FLT_MAX, FLT_MAX}, bi[4] = {0, 0, 1, 1};
    double bs[4] = {-FLT_MAX, FLT_MAX, FLT_MAX, -INFINITY};
    ref_scatter_add_rows(big, 2, 1, bi, bs, 4, out, NULL);
    assert_true(isinf(out[0]) && out[0] < 0);
    assert_true(isnan(out[1]));
    double edge[1] = {FLT_MAX}, e0[1] = {0}, small[1] = {0x1p102};
    ref_scatter_add_rows(edge, 1, 1, e0, small, 1, out, NULL);
    assert_true(out[0] == (double)FLT_MAX + 0x1p102);
    double p[2] = {1, 2}, q[4] = {3, 4, 5, 6}, c[6];
    const double *in[2] = {p, q};
    const int64_t shapes[2][4] = {{1, 1, 2, 1}, {1, 1, 2, 2}};
    ref_concat(in, shapes, 2, 3, c);
    const double cat[6] = {1, 3, 4, 2, 5, 6};
    for (int i = 0; i < 6; i++)
        near(c[i], cat[i]);
}

/* ---- the harness itself, on the CPU device: a fake family whose run
 * function misbehaves on purpose, so each check is seen to bite. ---- */

enum {
    H_UNWRITTEN,
    H_OUTSIDE,
    H_GOOD_STRIDED,
    H_OFF_BY_ULP,
    H_LAYOUTS,
    H_CLASS_GOOD,  /* specials copied, compared by class: pass */
    H_CLASS_INF,   /* -inf where the reference has +inf: fail */
    H_CLASS_NAN,   /* NaN where the reference is finite: fail */
    H_CLASS_ZERO,  /* -0 where the reference has +0, signed zeros on: fail */
    H_CLASS_NEAR,  /* finite values off by 1e-5 relative: fail on tolerance */
};
static const tsc_op_entry harness_ops[] = {{"harness", 0, TSC_DT(TS_F32)}};
static const tsc_spec harness_spec = {"5", 1, {5}, 0, {0}, {0}, {0}, 0, 0};
static int harness_mode;

/* Each layout's view, read back through the core's strided read, shows
 * exactly the logical values the registry recorded for it: the registry's
 * own index mapping checked against the library's. */
static void harness_layouts(tsc_ctx *x)
{
    /* [4, 3] stored as: [4, 3]; [3, 4]; [5, 7] sliced; [3, 4]; [1, 3]. */
    static const int64_t want_strides[][2] = {{3, 1}, {1, 4}, {7, 2}, {1, 4}, {0, 1}};
    int64_t shape[2] = {4, 3};
    for (int lay = TSC_CONTIG; lay <= TSC_BROADCAST; lay++) {
        tsc_arg *a = tsc_input(x, TS_F32, 2, shape, (tsc_layout)lay, -2, 2);
        float got[12];
        int64_t strides[2];
        if (!a || tsc_op_status(x, ts_tensor_read(a->t, got, sizeof got), "read") ||
            tsc_op_status(x, ts_tensor_strides(a->t, strides), "strides"))
            return;
        if (strides[0] != want_strides[lay][0] || strides[1] != want_strides[lay][1])
            tsc_fail(x, 1, "layout %d: strides %lld,%lld", lay, (long long)strides[0],
                     (long long)strides[1]);
        for (int i = 0; i < 12; i++)
            if ((double)got[i] != a->v[i])
                tsc_fail(x, 1, "layout %d: element %d reads %g, registry has %g", lay, i,
                         (double)got[i], a->v[i]);
    }
    tsc_arg *out = tsc_output(x, TS_F32, 2, shape, TSC_CONTIG);
    tsc_arg *in = tsc_input(x, TS_F32, 2, shape, TSC_PERMUTED, -2, 2);
    if (in && out && !tsc_op_status(x, ts_copy(in->t, out->t), "ts_copy"))
        tsc_check(x, out, in->v, NULL);
}

/* tsc_check_class on a copy of [NaN, +inf, -inf, -0, 1]. */
static void harness_class(tsc_ctx *x)
{
    int64_t shape[1] = {5};
    double v[5] = {NAN, INFINITY, -INFINITY, -0.0, 1.0}, ref[5];
    for (int i = 0; i < 5; i++)
        ref[i] = v[i];
    if (harness_mode == H_CLASS_INF)
        ref[2] = INFINITY;
    else if (harness_mode == H_CLASS_NAN)
        ref[0] = 1.0;
    else if (harness_mode == H_CLASS_ZERO)
        ref[3] = 0.0;
    else if (harness_mode == H_CLASS_NEAR)
        ref[4] = 1.0 + 1e-5;
    tsc_arg *in = tsc_input_values(x, TS_F32, 1, shape, TSC_CONTIG, v);
    tsc_arg *out = in ? tsc_output(x, TS_F32, 1, shape, TSC_CONTIG) : NULL;
    if (out && !tsc_op_status(x, ts_copy(in->t, out->t), "ts_copy"))
        tsc_check_class(x, out, ref, NULL, TSC_CLASS_SIGNED_ZERO);
}

static void harness_run(tsc_ctx *x)
{
    if (harness_mode == H_LAYOUTS) {
        harness_layouts(x);
        return;
    }
    if (harness_mode >= H_CLASS_GOOD) {
        harness_class(x);
        return;
    }
    int64_t shape[1] = {5};
    double zeros[5] = {0}, ones[11];
    for (int i = 0; i < 11; i++)
        ones[i] = 1.0;
    tsc_arg *in = tsc_input_values(x, TS_F32, 1, shape, TSC_SLICED, ones);
    tsc_arg *out =
        tsc_output(x, TS_F32, 1, shape, harness_mode == H_UNWRITTEN ? TSC_CONTIG : TSC_SLICED);
    if (!in || !out)
        return;
    switch (harness_mode) {
    case H_UNWRITTEN:
        tsc_check(x, out, zeros, NULL);
        break;
    case H_OUTSIDE: {
        /* Fills the whole storage, gaps included: must fail. */
        float all[11] = {0};
        if (!tsc_op_status(x, ts_tensor_write(out->store, all, sizeof all), "write"))
            tsc_check(x, out, zeros, NULL);
        break;
    }
    case H_GOOD_STRIDED:
        if (!tsc_op_status(x, ts_copy(in->t, out->t), "ts_copy"))
            tsc_check(x, out, ones, NULL);
        break;
    case H_OFF_BY_ULP: {
        double off[5];
        for (int i = 0; i < 5; i++)
            off[i] = 1.0 + 1e-5;
        if (!tsc_op_status(x, ts_copy(in->t, out->t), "ts_copy"))
            tsc_check(x, out, off, NULL);
        break;
    }
    }
}

static const tsc_family harness_family = {
    .name = "binary",
    .ops = harness_ops,
    .n_ops = 1,
    .specs = &harness_spec,
    .n_specs = 1,
    .run = harness_run,
};

static tsc_result harness(ts_device *dev, int mode)
{
    tsc_case c;
    memset(&c, 0, sizeof c);
    c.op = "harness";
    c.family = "binary";
    strcpy(c.name, "f32/5");
    c.dtype = c.dtype2 = TS_F32;
    c.fam = &harness_family;
    harness_mode = mode;
    return tsc_run_case(&c, dev, 1);
}

static void test_harness(void **state)
{
    ts_context *ctx = NULL;
    ts_device *dev = NULL;
    assert_int_equal(ts_context_create(&ctx), TS_OK);
    assert_int_equal(ts_device_find(ctx, "cpu:0", &dev), TS_OK);
    tsc_result r = harness(dev, H_UNWRITTEN);
    assert_int_equal(r.status, TSC_FAIL);
    assert_true(isnan(r.max_rel_err));
    r = harness(dev, H_OUTSIDE);
    assert_int_equal(r.status, TSC_FAIL);
    assert_non_null(strstr(r.message, "outside the output view"));
    r = harness(dev, H_GOOD_STRIDED);
    if (r.status != TSC_PASS)
        fail_msg("strided copy: %s", r.message);
    r = harness(dev, H_LAYOUTS);
    if (r.status != TSC_PASS)
        fail_msg("layouts: %s", r.message);
    r = harness(dev, H_OFF_BY_ULP);
    assert_int_equal(r.status, TSC_FAIL);
    assert_true(r.max_rel_err > r.tol && r.tol > 0.0);
    r = harness(dev, H_CLASS_GOOD);
    if (r.status != TSC_PASS)
        fail_msg("class check of equal specials: %s", r.message);
    for (int mode = H_CLASS_INF; mode <= H_CLASS_NEAR; mode++) {
        r = harness(dev, mode);
        if (r.status != TSC_FAIL)
            fail_msg("class mode %d passed: %s", mode, r.message);
    }
    ts_context_destroy(ctx);
}

/* ---- complex (c64) in the harness: both parts are checked, poisoned and
 * read back through strided views. ---- */

enum { C_GOOD, C_IM_OFF, C_UNWRITTEN_IM, C_BINARY };
static int c64_mode;

static void c64_run(tsc_ctx *x)
{
    int64_t shape[2] = {3, 4};
    tsc_arg *in = tsc_input(x, TS_C64, 2, shape, TSC_TRANSPOSED, -2, 2);
    tsc_arg *out = in ? tsc_output(x, TS_C64, 2, shape, TSC_SLICED) : NULL;
    if (!out)
        return;
    double ref[24];
    for (int i = 0; i < 24; i++)
        ref[i] = in->v[i];
    if (c64_mode == C_BINARY) {
        /* in * in through ts_binary against (a^2 - b^2, 2ab). */
        if (tsc_op_status(x, ts_binary(TS_MUL, in->t, in->t, out->t), "ts_binary"))
            return;
        for (int i = 0; i < 12; i++) {
            ref[2 * i] = in->v[2 * i] * in->v[2 * i] - in->v[2 * i + 1] * in->v[2 * i + 1];
            ref[2 * i + 1] = 2.0 * in->v[2 * i] * in->v[2 * i + 1];
        }
        tsc_check(x, out, ref, NULL);
        return;
    }
    ts_tensor *src = in->t;
    ts_tensor *real = NULL, *real_out = NULL;
    if (c64_mode == C_UNWRITTEN_IM) {
        /* Copy only the real parts: the imaginary parts keep their poison. */
        if (tsc_op_status(x, ts_tensor_view_as_real(in->t, &real), "view_as_real") ||
            tsc_op_status(x, ts_tensor_view_as_real(out->t, &real_out), "view_as_real"))
            return;
        ts_tensor *re = NULL, *re_out = NULL;
        ts_status st = ts_tensor_slice(real, -1, 0, 1, 1, &re);
        if (st == TS_OK)
            st = ts_tensor_slice(real_out, -1, 0, 1, 1, &re_out);
        if (st == TS_OK)
            st = ts_copy(re, re_out);
        ts_tensor_destroy(re);
        ts_tensor_destroy(re_out);
        ts_tensor_destroy(real);
        ts_tensor_destroy(real_out);
        if (tsc_op_status(x, st, "copying the real parts"))
            return;
        tsc_check(x, out, ref, NULL);
        return;
    }
    if (tsc_op_status(x, ts_copy(src, out->t), "ts_copy"))
        return;
    if (c64_mode == C_IM_OFF)
        ref[7] += 1e-6;
    tsc_check(x, out, ref, NULL);
}

static const tsc_op_entry c64_ops[] = {{"harness_c64", 0, TSC_C64}};
static const tsc_spec c64_spec = {"3x4", 2, {3, 4}, 0, {0}, {0}, {0}, 0, 0};
static const tsc_family c64_family = {
    .name = "copy", /* exact */
    .ops = c64_ops,
    .n_ops = 1,
    .specs = &c64_spec,
    .n_specs = 1,
    .run = c64_run,
};
static const tsc_family c64_binary_family = {
    .name = "binary", /* c64 tol 1e-6 */
    .ops = c64_ops,
    .n_ops = 1,
    .specs = &c64_spec,
    .n_specs = 1,
    .run = c64_run,
};

static tsc_result c64_case(ts_device *dev, int mode)
{
    tsc_case c;
    memset(&c, 0, sizeof c);
    c.op = "harness_c64";
    c.family = mode == C_BINARY ? "binary" : "copy";
    strcpy(c.name, "c64/3x4");
    c.dtype = c.dtype2 = TS_C64;
    c.fam = mode == C_BINARY ? &c64_binary_family : &c64_family;
    c64_mode = mode;
    return tsc_run_case(&c, dev, 1);
}

static void test_harness_c64(void **state)
{
    ts_context *ctx = NULL;
    ts_device *dev = NULL;
    assert_int_equal(tsc_parts(TS_C64), 2);
    assert_int_equal(tsc_parts(TS_F32), 1);
    assert_int_equal(ts_context_create(&ctx), TS_OK);
    assert_int_equal(ts_device_find(ctx, "cpu:0", &dev), TS_OK);
    tsc_result r = c64_case(dev, C_GOOD);
    if (r.status != TSC_PASS)
        fail_msg("c64 copy: %s", r.message);
    assert_int_equal(r.checked, 12);
    r = c64_case(dev, C_IM_OFF);
    assert_int_equal(r.status, TSC_FAIL);
    assert_non_null(strstr(r.message, "first at [0,3]: got ("));
    r = c64_case(dev, C_UNWRITTEN_IM);
    assert_int_equal(r.status, TSC_FAIL);
    assert_true(isnan(r.max_rel_err));
    r = c64_case(dev, C_BINARY);
    if (r.status != TSC_PASS)
        fail_msg("c64 mul: %s", r.message);
    assert_true(r.max_rel_err > 0.0 && r.max_rel_err <= 1e-6);
    ts_context_destroy(ctx);
}

/* Every public op of ops.h has quick cases; names are unique per op. */
static void test_case_list(void **state)
{
    static const char *const required[] = {
        "add",
        "sub",
        "mul",
        "div",
        "max",
        "min",
        "neg",
        "abs",
        "exp",
        "log",
        "sqrt",
        "rsqrt",
        "tanh",
        "sigmoid",
        "relu",
        "relu2",
        "gelu_erf",
        "gelu_tanh",
        "silu",
        "sin",
        "cos",
        "scale_shift",
        "glu",
        "reglu",
        "geglu",
        "swiglu",
        "cast",
        "copy",
        "matmul",
        "softmax",
        "reduce_sum",
        "reduce_mean",
        "reduce_max",
        "argmax",
        "topk",
        "gather_rows",
        "scatter_add_rows",
        "concat",
        "layer_norm",
        "rms_norm",
        "conv1d_causal",
    };
    int n = tsc_case_count();
    assert_true(n > 0);
    for (size_t r = 0; r < sizeof required / sizeof required[0]; r++) {
        unsigned dtypes = 0;
        for (int i = 0; i < n; i++) {
            const tsc_case *c = tsc_case_at(i);
            if (strcmp(c->op, required[r]) == 0 && !c->full_only)
                dtypes |= TSC_DT(c->dtype);
        }
        if ((dtypes & TSC_FLOATS) != TSC_FLOATS)
            fail_msg("%s lacks quick cases for some float dtype", required[r]);
    }
    for (int i = 0; i < n; i++) {
        const tsc_case *c = tsc_case_at(i);
        assert_ptr_equal(tsc_case_find(c->op, c->name), c);
    }
    assert_null(tsc_case_find("add", "no such case"));
    assert_true(tsc_case_matches_op(tsc_case_find("argmax", "f32/1"), "reduce"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codecs),  cmocka_unit_test(test_elementwise),
        cmocka_unit_test(test_linalg),  cmocka_unit_test(test_rows),
        cmocka_unit_test(test_index),   cmocka_unit_test(test_case_list),
        cmocka_unit_test(test_harness), cmocka_unit_test(test_harness_c64),
    };
    return cmocka_run_group_tests_name("cases_reference", tests, NULL, NULL);
}
