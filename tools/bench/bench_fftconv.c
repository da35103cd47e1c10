/* tessel-bench fftconv: ts_fftconv's paths on the chosen device, each
 * beside the direct path in the same process, and the device's f32 GEMM
 * rate from the same run for scale.
 *
 * B = 1, C = 256 channels, L in {1024, 8192, 65536} (and 262144 without
 * --quick; --sizes sets L), f32, one filter of L taps per channel shared
 * by the batch (Hyena's long filters), no D. Rows: "L<n> fft" and
 * "L<n> matmul" (forced through the params) with the direct path as the
 * baseline, so ratio = direct time / path time (> 1: the path is faster).
 *
 * GFLOP/s uses one nominal count for every path, 5 n log2 n per channel
 * row (a forward and an inverse real transform of the FFT length n >=
 * 2L - 1), so the column compares speeds at equal nominal work; the
 * direct path's real work is L^2 multiply-adds per row.
 *
 * A second table, short filters (C = 64, L = 8192, K in {16, 64, 256}),
 * times the direct and FFT paths where the direct one can win: the
 * fftconv.direct_max_taps crossover of the tuning table.
 *
 * The direct path costs L^2 per row: past 2^31 multiply-adds it is timed
 * on the first Cd channels only and scaled by C / Cd (and not at all when
 * one channel alone passes 2^33, L = 262144: said on screen); its row's name and
 * the baseline column then say "Cd of 256 ch, scaled", so the figure is
 * never taken for a full run. Every path is timed interleaved with the
 * direct one it is compared with (bench_compare). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

#define FC_B 1
#define FC_C 256
#define DIRECT_MAX_MACS ((double)(1ll << 31))

static const int64_t default_lengths[] = {1024, 8192, 65536, 262144};
static const int64_t quick_lengths[] = {1024, 8192, 65536};

typedef struct fc_bench {
    ts_device *dev;
    ts_tensor *u, *k, *out;
    ts_fftconv_params p;
} fc_bench;

static int run_conv(void *ctx)
{
    fc_bench *b = ctx;
    if (ts_fftconv(b->u, b->k, &b->p, b->out) != TS_OK)
        return 1;
    return ts_device_sync(b->dev) != TS_OK;
}

static int make(ts_device *dev, int nd, const int64_t *shape, uint64_t seed, ts_tensor **out)
{
    int64_t n = 1;
    for (int i = 0; i < nd; i++)
        n *= shape[i];
    float *host = malloc((size_t)n * sizeof *host);
    int rc = !host || ts_tensor_create(dev, TS_F32, nd, shape, out) != TS_OK;
    if (!rc) {
        bench_fill_random(host, n, seed);
        rc = ts_tensor_write(*out, host, (size_t)n * sizeof *host) != TS_OK;
    }
    free(host);
    return rc;
}

/* ---- the GEMM reference ---------------------------------------------------- */

static int gemm_row(const bench_args *args, int64_t n, bench_report *rep)
{
    bench_gemm_ref g;
    bench_result r;
    memset(&r, 0, sizeof r);
    int rc = bench_gemm_setup(args->dev, 2.0 * (double)n * (double)n * (double)n, &g) ||
             bench_compare(bench_gemm_run, &g, NULL, NULL, args->repeats, 0.0, &r);
    if (!rc) {
        snprintf(r.suite, sizeof r.suite, "fftconv");
        snprintf(r.name, sizeof r.name, "gemm f32 %lld^3 (scale)", (long long)g.n);
        snprintf(r.device, sizeof r.device, "%s", args->info.id);
        r.gflops = bench_gemm_flops(&g) / r.median_s * 1e-9;
        rc = bench_report_add(rep, &r);
    } else {
        fprintf(stderr, "tessel-bench fftconv: gemm: %s\n", ts_last_error(args->ctx));
    }
    bench_gemm_release(&g);
    bench_settle();
    return rc;
}

/* ---- one length -------------------------------------------------------------- */

static int64_t fft_length(int64_t l)
{
    for (int64_t n = 2 * l - 1;; n++) {
        int64_t m = n;
        static const int primes[] = {2, 3, 5, 7};
        for (int i = 0; i < 4; i++)
            while (m % primes[i] == 0)
                m /= primes[i];
        if (m == 1)
            return n;
    }
}

/* The direct path on the first cd channels (views of the full tensors). */
static int direct_views(const fc_bench *full, int64_t cd, fc_bench *d)
{
    *d = (fc_bench){.dev = full->dev};
    ts_fftconv_params_init(&d->p);
    d->p.path = TS_FFTCONV_DIRECT;
    return ts_tensor_slice(full->u, 1, 0, cd, 1, &d->u) != TS_OK ||
           ts_tensor_slice(full->k, 0, 0, cd, 1, &d->k) != TS_OK ||
           ts_tensor_slice(full->out, 1, 0, cd, 1, &d->out) != TS_OK;
}

static void scale_baseline(bench_result *r, double f)
{
    r->baseline_median_s *= f;
    r->pair_ratio *= f;
    r->baseline_spread.min_s *= f;
    r->baseline_spread.q1_s *= f;
    r->baseline_spread.q3_s *= f;
    r->baseline_spread.max_s *= f;
}

/* Each path row is timed interleaved with the direct path (on cd of the
 * channels, scaled to all); the direct row shows the direct side of the
 * first pair. */
static int one_length(const bench_args *args, bench_report *rep, int64_t l)
{
    fc_bench b = {.dev = args->dev}, d = {0};
    int64_t us[3] = {FC_B, FC_C, l}, ks[2] = {FC_C, l};
    int rc = make(args->dev, 3, us, 1, &b.u) || make(args->dev, 2, ks, 2, &b.k) ||
             ts_tensor_create(args->dev, TS_F32, 3, us, &b.out) != TS_OK;
    int64_t n = fft_length(l);
    double flops = (double)FC_B * FC_C * 5.0 * (double)n * log2((double)n);
    double macs_per_ch = (double)FC_B * (double)l * (double)(l + 1) / 2.0;
    int64_t cd = FC_C;
    while (cd > 1 && macs_per_ch * (double)cd > DIRECT_MAX_MACS)
        cd /= 2;
    /* Even one channel past 4x the budget (L = 262144: 3.4e10): no
     * direct figure at all rather than one that takes a quarter hour. */
    int skip_direct = macs_per_ch > 4.0 * DIRECT_MAX_MACS;
    if (!rc && !skip_direct)
        rc = direct_views(&b, cd, &d);
    if (!rc && skip_direct)
        printf("L%lld: direct path not timed (%.3g multiply-adds for one channel)\n", (long long)l,
               macs_per_ch);
    /* Fewer runs when one direct run takes long. */
    int repeats = cd < FC_C && args->repeats > 3 ? 3 : args->repeats;
    ts_fftconv_path autop = TS_FFTCONV_AUTO;
    int64_t auto_n = 0;
    if (!rc)
        rc = ts_fftconv_choose(args->dev, l, l, &autop, &auto_n) != TS_OK;
    static const ts_fftconv_path paths[] = {TS_FFTCONV_FFT, TS_FFTCONV_MATMUL};
    for (int i = 0; i < 2 && !rc; i++) {
        bench_result r;
        memset(&r, 0, sizeof r);
        snprintf(r.suite, sizeof r.suite, "fftconv");
        snprintf(r.device, sizeof r.device, "%s", args->info.id);
        ts_fftconv_params_init(&b.p);
        b.p.path = paths[i];
        rc = bench_compare(run_conv, &b, skip_direct ? NULL : run_conv, &d, repeats,
                           bench_settle_for(args), &r);
        if (rc)
            break;
        scale_baseline(&r, (double)FC_C / (double)cd);
        if (i == 0 && !skip_direct) {
            bench_result dr = r;
            memset(dr.baseline, 0, sizeof dr.baseline);
            dr.median_s = r.baseline_median_s;
            dr.spread = r.baseline_spread;
            dr.gflops = dr.median_s > 0 ? flops / dr.median_s * 1e-9 : 0;
            const char *a = autop == TS_FFTCONV_DIRECT ? " (auto)" : "";
            if (cd < FC_C)
                snprintf(dr.name, sizeof dr.name, "L%lld direct%s [%lld of %d ch, scaled]",
                         (long long)l, a, (long long)cd, FC_C);
            else
                snprintf(dr.name, sizeof dr.name, "L%lld direct%s", (long long)l, a);
            rc = bench_report_add(rep, &dr);
        }
        snprintf(r.name, sizeof r.name, "L%lld %s%s", (long long)l, ts_fftconv_path_name(paths[i]),
                 paths[i] == autop ? " (auto)" : "");
        if (!skip_direct && r.baseline_median_s > 0)
            snprintf(r.baseline, sizeof r.baseline,
                     cd < FC_C ? "direct (%lld of %d ch, scaled)" : "direct", (long long)cd, FC_C);
        r.gflops = r.median_s > 0 ? flops / r.median_s * 1e-9 : 0;
        char line[200] = "";
        if (paths[i] == TS_FFTCONV_FFT)
            /* The GEMM rate from the same minutes as the path's: a shared
             * machine's drift would otherwise skew the ratio. */
            rc = bench_roof(args, run_conv, &b, flops, "fft path", &r, line, sizeof line);
        rc = rc || bench_report_add(rep, &r);
        if (!rc)
            fputs(line, stdout);
    }
    if (rc)
        fprintf(stderr, "tessel-bench fftconv: L=%lld: %s\n", (long long)l,
                ts_last_error(args->ctx));
    ts_tensor_destroy(d.u);
    ts_tensor_destroy(d.k);
    ts_tensor_destroy(d.out);
    ts_tensor_destroy(b.u);
    ts_tensor_destroy(b.k);
    ts_tensor_destroy(b.out);
    bench_settle();
    return rc;
}

/* Short filters: direct vs FFT at K taps (C = 64, L = 8192). */
static int short_filter(const bench_args *args, bench_report *rep, int64_t k)
{
    enum { C = 64, L = 8192 };
    fc_bench b = {.dev = args->dev};
    int64_t us[3] = {1, C, L}, ks[2] = {C, k};
    int rc = make(args->dev, 3, us, 3, &b.u) || make(args->dev, 2, ks, 4, &b.k) ||
             ts_tensor_create(args->dev, TS_F32, 3, us, &b.out) != TS_OK;
    bench_result r;
    memset(&r, 0, sizeof r);
    snprintf(r.suite, sizeof r.suite, "fftconv");
    snprintf(r.name, sizeof r.name, "short C%d L%d K%lld fft", C, L, (long long)k);
    snprintf(r.device, sizeof r.device, "%s", args->info.id);
    snprintf(r.baseline, sizeof r.baseline, "direct");
    fc_bench d = b; /* the same tensors, the direct path */
    if (!rc) {
        ts_fftconv_params_init(&b.p);
        b.p.path = TS_FFTCONV_FFT;
        d.p = b.p;
        d.p.path = TS_FFTCONV_DIRECT;
        rc = bench_compare(run_conv, &b, run_conv, &d, args->repeats, bench_settle_for(args), &r);
    }
    int64_t n = fft_length(L);
    if (!rc) {
        r.gflops = (double)C * 5.0 * (double)n * log2((double)n) / r.median_s * 1e-9;
        rc = bench_report_add(rep, &r);
    } else {
        fprintf(stderr, "tessel-bench fftconv: K=%lld: %s\n", (long long)k,
                ts_last_error(args->ctx));
    }
    ts_tensor_destroy(b.u);
    ts_tensor_destroy(b.k);
    ts_tensor_destroy(b.out);
    bench_settle();
    return rc;
}

int bench_fftconv(const bench_args *args, bench_report *rep)
{
    const int64_t *lengths = args->quick ? quick_lengths : default_lengths;
    int n = args->quick ? (int)(sizeof quick_lengths / sizeof quick_lengths[0])
                        : (int)(sizeof default_lengths / sizeof default_lengths[0]);
    if (args->n_sizes) {
        lengths = args->sizes;
        n = args->n_sizes;
    }
    printf("fftconv: B=%d C=%d f32, filters of L taps; GFLOP/s = 5 n log2 n per channel "
           "(n = FFT length >= 2L-1) for every path; ratio = direct / path\n",
           FC_B, FC_C);
    int rc = gemm_row(args, args->quick ? 512 : 1024, rep);
    for (int i = 0; i < n && rc == 0; i++)
        rc = one_length(args, rep, lengths[i]);
    static const int64_t taps[] = {16, 64, 256};
    for (int i = 0; i < 3 && rc == 0; i++)
        rc = short_filter(args, rep, taps[i]);
    return rc;
}
