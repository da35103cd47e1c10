/* tessel-bench moe: ts_moe_ffn (route, gather, two grouped GEMMs, combine)
 * against a dense FFN doing the same FLOPs in the same process: T*k
 * tokens through one d -> ff -> d FFN (ts_matmul, ReLU, ts_matmul), the
 * two sides' repeats interleaved. Cases, f32 and bf16:
 *   balanced  T 2048, d 1024, ff 4096, E 8, top-2, random router,
 *             unlimited capacity (exactly T*k expert rows: equal FLOPs);
 *   skewed    the same with half the tokens' first choice on expert 0,
 *             capacity factor 2 (C = 1024: expert 0 is exactly full, some
 *             second choices drop, so the MoE side does a little less);
 *   route     ts_moe_route's time against the whole layer's: the routing
 *             share (1 / ratio), at the balanced size and at T 65536,
 *             E 64, k 2 (d 512, ff 2048 there, f32 only, to fit memory).
 * Each MoE row is followed by a line giving MoE time / dense time: the
 * median over the back-to-back (MoE, dense) pairs (JSON
 * moe_over_dense_pairs, the inverse of the table's pairs column), and
 * the ratio of the two medians (moe_over_dense, the inverse of its ratio
 * column).
 * --quick: the same shapes at T 256, d 256, ff 512 (route share: T 4096,
 * E 64, d 128, ff 256) for CI and software GPUs. --sizes T1[,T2] sets the
 * token count of the main cases and of the E 64 routing-share case (not
 * run when T2 is not given). --experts E sets the main cases' expert
 * count (with skewed, capacity factor 2 then gives C = 4T/E); --dtype
 * picks the dtypes of the main cases (default f32 and bf16). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

typedef struct moe_shape {
    int64_t t, d, ff, e, k;
} moe_shape;

typedef struct moe_bench {
    ts_device *dev;
    moe_shape s;
    ts_tensor *x, *out, *router, *w1, *w2;
    ts_tensor *xd, *w1d, *w2d, *hd, *ad, *outd; /* the dense FFN */
    ts_moe_weights w;
    ts_moe_params p;     /* the layer */
    ts_moe_params route; /* routing alone, with the plan the layer uses */
    ts_tensor *expert, *gate, *rows, *row_token, *offsets;
} moe_bench;

static int run_moe(void *ctx)
{
    moe_bench *b = ctx;
    if (ts_moe_ffn(b->x, &b->w, &b->p, b->out) != TS_OK)
        return 1;
    return ts_device_sync(b->dev) != TS_OK;
}

static int run_route(void *ctx)
{
    moe_bench *b = ctx;
    if (ts_moe_route(b->x, &b->w, &b->route) != TS_OK)
        return 1;
    return ts_device_sync(b->dev) != TS_OK;
}

static int run_dense(void *ctx)
{
    moe_bench *b = ctx;
    if (ts_matmul(b->xd, b->w1d, b->hd) != TS_OK || ts_unary(TS_RELU, b->hd, b->ad) != TS_OK ||
        ts_matmul(b->ad, b->w2d, b->outd) != TS_OK)
        return 1;
    return ts_device_sync(b->dev) != TS_OK;
}

/* A tensor of dtype dt holding host values (through f32 and ts_cast). */
static int upload(ts_device *dev, ts_dtype dt, int nd, const int64_t *shape, const float *host,
                  ts_tensor **out)
{
    int64_t n = 1;
    for (int i = 0; i < nd; i++)
        n *= shape[i];
    ts_tensor *f = NULL;
    int rc = ts_tensor_create(dev, dt, nd, shape, out) != TS_OK ||
             ts_tensor_create(dev, TS_F32, nd, shape, &f) != TS_OK ||
             ts_tensor_write(f, host, (size_t)n * sizeof *host) != TS_OK ||
             ts_cast(f, *out) != TS_OK || ts_device_sync(dev) != TS_OK;
    ts_tensor_destroy(f);
    return rc;
}

static int random_tensor(ts_device *dev, ts_dtype dt, int nd, const int64_t *shape, float scale,
                         uint64_t seed, ts_tensor **out)
{
    int64_t n = 1;
    for (int i = 0; i < nd; i++)
        n *= shape[i];
    float *host = malloc((size_t)n * sizeof *host);
    if (!host)
        return 1;
    bench_fill_random(host, n, seed);
    for (int64_t i = 0; i < n; i++)
        host[i] *= scale;
    int rc = upload(dev, dt, nd, shape, host, out);
    free(host);
    return rc;
}

/* x and the router: random, or (skewed) tokens of the first half with a
 * strong positive feature 0 that only expert 0's router column reads. */
static int router_inputs(moe_bench *b, ts_dtype dt, int skewed)
{
    const moe_shape *s = &b->s;
    int64_t xs[2] = {s->t, s->d}, rs[2] = {s->d, s->e};
    float *x = malloc((size_t)(s->t * s->d) * sizeof *x);
    float *r = malloc((size_t)(s->d * s->e) * sizeof *r);
    int rc = !x || !r;
    if (!rc) {
        bench_fill_random(x, s->t * s->d, 11);
        bench_fill_random(r, s->d * s->e, 12);
        for (int64_t i = 0; i < s->d * s->e; i++)
            r[i] /= sqrtf((float)s->d);
        if (skewed) {
            for (int64_t t = 0; t < s->t; t++) {
                float v = fabsf(x[t * s->d]) + 0.5f;
                x[t * s->d] = t < s->t / 2 ? v : -v;
            }
            for (int64_t j = 0; j < s->e; j++)
                r[j] = j == 0 ? 50.0f : 0.0f;
        }
        rc = upload(b->dev, dt, 2, xs, x, &b->x) || upload(b->dev, TS_F32, 2, rs, r, &b->router);
    }
    free(x);
    free(r);
    return rc;
}

static void release(moe_bench *b)
{
    ts_tensor *all[] = {b->x,    b->out,  b->router,    b->w1,     b->w2,   b->xd,
                        b->w1d,  b->w2d,  b->hd,        b->ad,     b->outd, b->expert,
                        b->gate, b->rows, b->row_token, b->offsets};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        ts_tensor_destroy(all[i]);
    memset(b, 0, sizeof *b);
}

static int setup(moe_bench *b, ts_device *dev, ts_dtype dt, moe_shape s, int skewed, int dense)
{
    memset(b, 0, sizeof *b);
    b->dev = dev;
    b->s = s;
    int64_t xs[2] = {s.t, s.d}, w1s[3] = {s.e, s.d, s.ff}, w2s[3] = {s.e, s.ff, s.d};
    float ws = 1.0f / sqrtf((float)s.d), ws2 = 1.0f / sqrtf((float)s.ff);
    if (router_inputs(b, dt, skewed) || ts_tensor_create(dev, dt, 2, xs, &b->out) != TS_OK ||
        random_tensor(dev, dt, 3, w1s, ws, 13, &b->w1) ||
        random_tensor(dev, dt, 3, w2s, ws2, 14, &b->w2))
        return 1;
    b->w = (ts_moe_weights){.router = b->router, .w1 = b->w1, .w2 = b->w2};
    ts_moe_params_init(&b->p);
    b->p.n_experts = (int)s.e;
    b->p.k = (int)s.k;
    b->p.capacity_factor = skewed ? 2.0f : 0.0f;
    b->p.activation = TS_MOE_RELU;
    /* Routing alone writes the plan the layer uses internally. */
    int64_t cap, rows, tk[2] = {s.t, s.k}, e1 = s.e + 1;
    if (ts_moe_capacity(&b->p, s.t, &cap, &rows) != TS_OK ||
        ts_tensor_create(dev, TS_I32, 2, tk, &b->expert) != TS_OK ||
        ts_tensor_create(dev, TS_F32, 2, tk, &b->gate) != TS_OK ||
        ts_tensor_create(dev, TS_I32, 2, tk, &b->rows) != TS_OK ||
        ts_tensor_create(dev, TS_I32, 1, &rows, &b->row_token) != TS_OK ||
        ts_tensor_create(dev, TS_I32, 1, &e1, &b->offsets) != TS_OK)
        return 1;
    b->route = b->p;
    b->route.plan = (ts_moe_plan){.expert = b->expert,
                                  .gate = b->gate,
                                  .rows = b->rows,
                                  .row_token = b->row_token,
                                  .offsets = b->offsets};
    if (!dense)
        return 0;
    int64_t xds[2] = {s.t * s.k, s.d}, hs[2] = {s.t * s.k, s.ff}, w1d[2] = {s.d, s.ff},
            w2d[2] = {s.ff, s.d};
    return random_tensor(dev, dt, 2, xds, 1.0f, 15, &b->xd) ||
           random_tensor(dev, dt, 2, w1d, ws, 16, &b->w1d) ||
           random_tensor(dev, dt, 2, w2d, ws2, 17, &b->w2d) ||
           ts_tensor_create(dev, dt, 2, hs, &b->hd) != TS_OK ||
           ts_tensor_create(dev, dt, 2, hs, &b->ad) != TS_OK ||
           ts_tensor_create(dev, dt, 2, xds, &b->outd) != TS_OK;
}

static void name_row(bench_result *r, const bench_args *args, const char *what, moe_shape s,
                     ts_dtype dt)
{
    memset(r, 0, sizeof *r);
    snprintf(r->suite, sizeof r->suite, "moe");
    snprintf(r->name, sizeof r->name, "%s T%lld d%lld ff%lld E%lld k%lld %s", what, (long long)s.t,
             (long long)s.d, (long long)s.ff, (long long)s.e, (long long)s.k, ts_dtype_name(dt));
    snprintf(r->device, sizeof r->device, "%s", args->info.id);
}

/* The layer beside the equal-FLOP dense FFN; with route, also the routing
 * share. */
static int one_case(const bench_args *args, bench_report *rep, ts_dtype dt, moe_shape s, int skewed,
                    int dense)
{
    moe_bench b;
    bench_result r;
    const char *what = skewed ? "skewed" : "balanced";
    name_row(&r, args, what, s, dt);
    if (setup(&b, args->dev, dt, s, skewed, dense)) {
        fprintf(stderr, "tessel-bench moe: setup %s: %s\n", r.name, ts_last_error(args->ctx));
        release(&b);
        return 1;
    }
    /* FLOPs of T*k rows through d -> ff -> d (the dense side exactly). */
    double flops = 4.0 * (double)s.t * (double)s.k * (double)s.d * (double)s.ff;
    int rc = 0;
    if (dense) {
        snprintf(r.baseline, sizeof r.baseline, "dense FFN, T*k tokens");
        rc = bench_compare(run_moe, &b, run_dense, &b, args->repeats, 0.3, &r);
        r.gflops = rc == 0 && r.median_s > 0 ? flops / r.median_s * 1e-9 : 0;
        /* The table's ratio is dense / MoE (> 1: MoE faster); the layer's
         * cost is usually read the other way round, so say it too. */
        double over = rc == 0 && r.baseline_median_s > 0 ? r.median_s / r.baseline_median_s : 0;
        double over_pairs = rc == 0 && r.pair_ratio > 0 ? 1.0 / r.pair_ratio : 0;
        if (rc == 0)
            snprintf(r.extra_json, sizeof r.extra_json,
                     "\"moe_over_dense\":%.6g,\"moe_over_dense_pairs\":%.6g", over, over_pairs);
        rc = rc || bench_report_add(rep, &r);
        if (rc == 0)
            printf("moe: %s takes %.2fx the time of the equal-FLOP dense FFN (median of "
                   "back-to-back pairs; %.2fx from the two medians)\n",
                   r.name, over_pairs, over);
    }
    if (rc == 0 && !skewed) {
        /* Routing against the whole layer, interleaved too. */
        bench_settle();
        name_row(&r, args, "route", s, dt);
        snprintf(r.baseline, sizeof r.baseline, "whole layer (ts_moe_ffn)");
        rc = bench_compare(run_route, &b, run_moe, &b, args->repeats, 0.3, &r);
        if (rc == 0) {
            printf("moe: routing share %s: %.2f %% of the layer (%.3f of %.3f ms)\n", r.name,
                   100.0 * r.median_s / r.baseline_median_s, r.median_s * 1e3,
                   r.baseline_median_s * 1e3);
            rc = bench_report_add(rep, &r);
        }
    }
    if (rc)
        fprintf(stderr, "tessel-bench moe: %s: %s\n", r.name, ts_last_error(args->ctx));
    release(&b);
    bench_settle();
    return rc;
}

int bench_moe(const bench_args *args, bench_report *rep)
{
    moe_shape main = {2048, 1024, 4096, 8, 2}, big = {65536, 512, 2048, 64, 2};
    if (args->quick) {
        main = (moe_shape){256, 256, 512, 8, 2};
        big = (moe_shape){4096, 128, 256, 64, 2};
    }
    if (args->n_sizes > 0) {
        main.t = args->sizes[0];
        big.t = args->n_sizes > 1 ? args->sizes[1] : 0;
    }
    if (args->experts > 0)
        main.e = args->experts;
    static const ts_dtype both[] = {TS_F32, TS_BF16};
    const ts_dtype *dtypes = args->n_dtypes > 0 ? args->dtypes : both;
    int n_dtypes = args->n_dtypes > 0 ? args->n_dtypes : 2;
    int rc = 0;
    for (int di = 0; di < n_dtypes && rc == 0; di++) {
        rc = one_case(args, rep, dtypes[di], main, 0, 1);
        if (rc == 0)
            rc = one_case(args, rep, dtypes[di], main, 1, 1);
    }
    if (rc == 0 && big.t > 0)
        rc = one_case(args, rep, TS_F32, big, 0, 0);
    return rc;
}
