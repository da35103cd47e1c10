/* `api` test: bad input to the MoE layer (include/tessel/moe.h): E = 0,
 * k > E, a negative capacity factor, weights whose shapes disagree, bad
 * plan outputs, another device, aliasing; and the capacity rule itself. */
#include <math.h>
#include <string.h>

#include "test_api.h"

typedef struct moe_fixture {
    ts_tensor *x, *out;
    ts_moe_weights w;
    ts_moe_params p;
} moe_fixture;

/* T 6, d 4, ff 5, E 3, k 2: every argument valid. */
static void fixture(moe_fixture *f)
{
    memset(f, 0, sizeof *f);
    f->x = T(cpu, F32, 6, 4);
    f->out = T(cpu, F32, 6, 4);
    f->w.router = T(cpu, F32, 4, 3);
    f->w.w1 = T(cpu, F32, 3, 4, 5);
    f->w.w2 = T(cpu, F32, 3, 5, 4);
    api_fill(f->x, 0.1f, 0.05f);
    api_fill((ts_tensor *)f->w.router, -0.3f, 0.07f);
    api_fill((ts_tensor *)f->w.w1, -0.5f, 0.01f);
    api_fill((ts_tensor *)f->w.w2, 0.4f, -0.01f);
    ts_moe_params_init(&f->p);
    f->p.n_experts = 3;
}

static void test_moe_params_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_moe_ffn";
    moe_fixture f;
    fixture(&f);
    ts_moe_params_init(NULL);
    EXPECT_OK(ts_moe_ffn(f.x, &f.w, &f.p, f.out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_moe_ffn(f.x, &f.w, NULL, f.out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_moe_ffn(f.x, NULL, &f.p, f.out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_moe_ffn(NULL, &f.w, &f.p, f.out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_moe_ffn(f.x, &f.w, &f.p, NULL));
    f.p.n_experts = 0; /* E = 0, also what ts_moe_params_init leaves */
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_moe_ffn(f.x, &f.w, &f.p, f.out));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, "ts_moe_route", ts_moe_route(f.x, &f.w, &f.p));
    f.p.n_experts = 3;
    f.p.k = 4; /* k > E */
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_moe_ffn(f.x, &f.w, &f.p, f.out));
    f.p.k = 0;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_moe_ffn(f.x, &f.w, &f.p, f.out));
    f.p.k = 2;
    f.p.capacity_factor = -1.0f; /* negative: an error; 0 is unlimited */
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_moe_ffn(f.x, &f.w, &f.p, f.out));
    f.p.capacity_factor = NAN;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_moe_ffn(f.x, &f.w, &f.p, f.out));
    f.p.capacity_factor = 0.0f;
    EXPECT_OK(ts_moe_ffn(f.x, &f.w, &f.p, f.out));
    f.p.min_capacity = -1;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_moe_ffn(f.x, &f.w, &f.p, f.out));
    f.p.min_capacity = 4;
    f.p.capacity = -2;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_moe_ffn(f.x, &f.w, &f.p, f.out));
    f.p.capacity = -1;
    f.p.router = (ts_moe_router_kind)7;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_moe_ffn(f.x, &f.w, &f.p, f.out));
    f.p.router = TS_MOE_ROUTER_SOFTMAX;
    f.p.activation = (ts_moe_activation)-1;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_moe_ffn(f.x, &f.w, &f.p, f.out));
    f.p.activation = TS_MOE_RELU;
    f.p.xmoe_temperature = INFINITY;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_moe_ffn(f.x, &f.w, &f.p, f.out));
    f.p.xmoe_temperature = 0.07f;
    f.p.aux_loss_weight = NAN;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_moe_ffn(f.x, &f.w, &f.p, f.out));
}

static void test_moe_shapes_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_moe_ffn";
    moe_fixture f;
    fixture(&f);
    ts_moe_weights w = f.w;
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_moe_ffn(T(cpu, I32, 6, 4), &f.w, &f.p, T(cpu, I32, 6, 4)));
    EXPECT_ERR(TS_ERR_SHAPE, fn,
               ts_moe_ffn(T(cpu, F32, 1, 6, 4), &f.w, &f.p, T(cpu, F32, 1, 6, 4)));
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_moe_ffn(f.x, &f.w, &f.p, T(cpu, F32, 6, 5)));
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_moe_ffn(f.x, &f.w, &f.p, T(cpu, F16, 6, 4)));
    w.router = T(cpu, F32, 4, 4); /* E columns: 4, not n_experts 3 */
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_moe_ffn(f.x, &w, &f.p, f.out));
    w.router = NULL;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_moe_ffn(f.x, &w, &f.p, f.out));
    w = f.w;
    w.w1 = T(cpu, F32, 3, 5, 5); /* d 5 against x's 4 */
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_moe_ffn(f.x, &w, &f.p, f.out));
    w.w1 = T(cpu, F32, 2, 4, 5); /* 2 experts */
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_moe_ffn(f.x, &w, &f.p, f.out));
    w.w1 = T(cpu, F16, 3, 4, 5);
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_moe_ffn(f.x, &w, &f.p, f.out));
    w = f.w;
    w.w2 = T(cpu, F32, 3, 6, 4); /* ff 6 against w1's 5 */
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_moe_ffn(f.x, &w, &f.p, f.out));
    w.w2 = T(cpu, F32, 3, 5, 3);
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_moe_ffn(f.x, &w, &f.p, f.out));
    w = f.w;
    f.p.activation = TS_MOE_SWIGLU; /* needs w_gate */
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_moe_ffn(f.x, &w, &f.p, f.out));
    w.w_gate = T(cpu, F32, 3, 4, 6);
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_moe_ffn(f.x, &w, &f.p, f.out));
    w.w_gate = T(cpu, F32, 3, 4, 5);
    api_fill((ts_tensor *)w.w_gate, 0.2f, 0.01f);
    EXPECT_OK(ts_moe_ffn(f.x, &w, &f.p, f.out));
    f.p.activation = TS_MOE_GELU; /* w_gate set but unused: a caller's bug */
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_moe_ffn(f.x, &w, &f.p, f.out));
    /* X-MoE: its two weights, E rows of the embeddings, one d_r. */
    w = f.w;
    f.p.router = TS_MOE_ROUTER_XMOE;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_moe_ffn(f.x, &w, &f.p, f.out));
    w.xmoe_reduce = T(cpu, F32, 4, 2);
    w.xmoe_experts = T(cpu, F32, 4, 2);
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_moe_ffn(f.x, &w, &f.p, f.out));
    w.xmoe_experts = T(cpu, F32, 3, 3);
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_moe_ffn(f.x, &w, &f.p, f.out));
    w.xmoe_experts = T(cpu, F32, 3, 2);
    api_fill((ts_tensor *)w.xmoe_reduce, 0.3f, -0.1f);
    api_fill((ts_tensor *)w.xmoe_experts, -0.2f, 0.15f);
    EXPECT_OK(ts_moe_ffn(f.x, &w, &f.p, f.out));
    EXPECT_OK(ts_moe_route(f.x, &w, &f.p));
}

static void test_moe_plan_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_moe_route";
    moe_fixture f;
    fixture(&f);
    ts_moe_plan *pl = &f.p.plan;
    pl->expert = T(cpu, I32, 6, 3);
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_moe_route(f.x, &f.w, &f.p));
    pl->expert = T(cpu, F32, 6, 2);
    EXPECT_ERR(TS_ERR_DTYPE, fn, ts_moe_route(f.x, &f.w, &f.p));
    pl->expert = T(cpu, I32, 6, 2);
    pl->rows = pl->expert; /* two outputs, one tensor */
    EXPECT_ERR(TS_ERR_ALIASING, fn, ts_moe_route(f.x, &f.w, &f.p));
    pl->rows = NULL;
    pl->counts = T(cpu, I32, 4); /* [E] */
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_moe_route(f.x, &f.w, &f.p));
    pl->counts = T(cpu, I32, 3);
    pl->aux_loss = T(cpu2, F32, 1); /* another device */
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_moe_route(f.x, &f.w, &f.p));
    pl->aux_loss = T(cpu, F32, 1);
    pl->row_token = T(cpu, I32, 11); /* R = T k = 12 */
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_moe_route(f.x, &f.w, &f.p));
    pl->row_token = T(cpu, I32, 12);
    pl->logits = T(cpu, F32, 3, 6); /* [T, E] */
    EXPECT_ERR(TS_ERR_SHAPE, fn, ts_moe_route(f.x, &f.w, &f.p));
    ts_tensor *wide = T(cpu, F32, 6, 6), *half;
    EXPECT_OK(ts_tensor_slice(wide, 1, 0, 3, 1, &half));
    pl->logits = api_track(half); /* not contiguous */
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_moe_route(f.x, &f.w, &f.p));
    pl->logits = NULL;
    pl->dropped = T(cpu, I32, 1);
    EXPECT_OK(ts_moe_route(f.x, &f.w, &f.p));
    int32_t counts[3], dropped, total = 0;
    EXPECT_OK(ts_tensor_read(pl->counts, counts, sizeof counts));
    EXPECT_OK(ts_tensor_read(pl->dropped, &dropped, sizeof dropped));
    for (int i = 0; i < 3; i++) {
        assert_true(counts[i] >= 0 && counts[i] <= 5); /* C = ceil(2*6/3 * 1.25) = 5 */
        total += counts[i];
    }
    assert_int_equal(total + dropped, 12);
}

static void test_moe_devices_bad(void **state)
{
    (void)state;
    static const char fn[] = "ts_moe_ffn";
    moe_fixture f;
    fixture(&f);
    ts_moe_weights w = f.w;
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_moe_ffn(f.x, &f.w, &f.p, T(cpu2, F32, 6, 4)));
    w.w2 = T(cpu2, F32, 3, 5, 4);
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_moe_ffn(f.x, &w, &f.p, f.out));
    w = f.w;
    w.router = T(cpu2, F32, 4, 3);
    EXPECT_ERR(TS_ERR_DEVICE_MISMATCH, fn, ts_moe_ffn(f.x, &w, &f.p, f.out));
    EXPECT_ERR(TS_ERR_ALIASING, fn, ts_moe_ffn(f.x, &f.w, &f.p, f.x));
    /* out and the gates share storage. */
    ts_tensor *big = T(cpu, F32, 48), *a, *b, *out, *gate;
    EXPECT_OK(ts_tensor_slice(big, 0, 0, 24, 1, &a));
    EXPECT_OK(ts_tensor_slice(big, 0, 12, 24, 1, &b));
    api_track(a);
    api_track(b);
    EXPECT_OK(ts_tensor_reshape(a, 2, SHAPE(6, 4), &out));
    EXPECT_OK(ts_tensor_reshape(b, 2, SHAPE(6, 2), &gate));
    api_track(out);
    f.p.plan.gate = api_track(gate);
    EXPECT_ERR(TS_ERR_ALIASING, fn, ts_moe_ffn(f.x, &f.w, &f.p, out));
}

static void test_moe_capacity(void **state)
{
    (void)state;
    static const char fn[] = "ts_moe_capacity";
    ts_moe_params p;
    int64_t c, r;
    ts_moe_params_init(&p);
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_moe_capacity(&p, 10, &c, &r)); /* E = 0 */
    p.n_experts = 4;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_moe_capacity(&p, 10, NULL, &r));
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_moe_capacity(&p, -1, &c, &r));
    EXPECT_OK(ts_moe_capacity(&p, 10, &c, &r)); /* ceil(2*10/4 * 1.25) = 7 */
    assert_int_equal(c, 7);
    assert_int_equal(r, 20);
    p.min_capacity = 8;
    EXPECT_OK(ts_moe_capacity(&p, 10, &c, &r));
    assert_int_equal(c, 8);
    p.capacity_factor = 0.1f; /* ceil(0.5) = 1 -> min 8 */
    EXPECT_OK(ts_moe_capacity(&p, 10, &c, &r));
    assert_int_equal(c, 8);
    p.min_capacity = 0;
    EXPECT_OK(ts_moe_capacity(&p, 10, &c, &r));
    assert_int_equal(c, 1);
    assert_int_equal(r, 4); /* E full groups of 1 */
    p.capacity_factor = 0.0f;
    EXPECT_OK(ts_moe_capacity(&p, 10, &c, &r));
    assert_int_equal(c, -1);
    assert_int_equal(r, 20);
    p.capacity = 0;
    EXPECT_OK(ts_moe_capacity(&p, 10, &c, &r));
    assert_int_equal(c, 0);
    assert_int_equal(r, 0);
    p.capacity_factor = -0.5f;
    EXPECT_ERR(TS_ERR_INVALID_ARGUMENT, fn, ts_moe_capacity(&p, 10, &c, &r));
}

const struct CMUnitTest api_moe_tests[] = {
    cmocka_unit_test_setup_teardown(test_moe_params_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_moe_shapes_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_moe_plan_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_moe_devices_bad, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_moe_capacity, api_setup, api_teardown),
};
const size_t api_moe_test_count = sizeof api_moe_tests / sizeof api_moe_tests[0];
