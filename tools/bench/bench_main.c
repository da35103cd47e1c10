/* tessel-bench: performance of tessel ops and layers against a baseline
 * run in the same process (vendor library or naive version), median of
 * repeats after warm-up. Usage:
 *   tessel-bench SUITE [--device ID] [--quick] [--sizes N[,N...]]
 *                      [--repeats N] [--json FILE]
 * Suites come from the table below (see bench_common.h to add one). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

int bench_gemm(const bench_args *args, bench_report *rep);
int bench_norm(const bench_args *args, bench_report *rep);
int bench_attention(const bench_args *args, bench_report *rep);
int bench_fftconv(const bench_args *args, bench_report *rep);
int bench_fft(const bench_args *args, bench_report *rep);
int bench_moe(const bench_args *args, bench_report *rep);

typedef struct bench_suite {
    const char *name;
    const char *what;
    bench_suite_fn run;
} bench_suite;

/* One row per suite. */
static const bench_suite suites[] = {
    {"gemm", "f32 GEMM n x n x n vs OpenBLAS (cpu) / the backend's vendor BLAS", bench_gemm},
    {"norm", "f32 fused residual+RMSNorm vs add then rms_norm, GB/s vs host memcpy", bench_norm},
    {"attention", "tiled attention vs naive, B=1 H=8 D=64, time + peak memory", bench_attention},
    {"fft", "batched c2c/r2c/c2r FFTs and the fftconv path, GFLOP/s vs f32 GEMM", bench_fft},
    {"fftconv", "fftconv paths vs direct, B=1 C=256 f32, GFLOP/s by 5n log2 n; f32 GEMM for scale", bench_fftconv},
    {"moe", "MoE layer vs equal-FLOP dense FFN, top-2 E=8; routing share", bench_moe},
};
#define SUITE_COUNT (sizeof suites / sizeof suites[0])

static void usage(FILE *fp)
{
    fprintf(fp, "usage: tessel-bench SUITE [--device ID] [--quick] [--sizes N[,N...]] "
                "[--repeats N] [--json FILE]\nsuites:\n");
    for (size_t i = 0; i < SUITE_COUNT; i++)
        fprintf(fp, "  %-12s %s\n", suites[i].name, suites[i].what);
}

static int parse_sizes(bench_args *a, const char *s)
{
    while (*s) {
        char *end;
        long long v = strtoll(s, &end, 10);
        if (end == s || v <= 0 || a->n_sizes == BENCH_MAX_SIZES)
            return 1;
        a->sizes[a->n_sizes++] = v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return 1;
    }
    return 0;
}

static int parse(int argc, char **argv, bench_args *a, const char **device)
{
    if (argc < 2 || argv[1][0] == '-')
        return 1;
    a->suite = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(o, "--quick") == 0) {
            a->quick = 1;
        } else if (strcmp(o, "--device") == 0 && v) {
            *device = v;
            i++;
        } else if (strcmp(o, "--json") == 0 && v) {
            a->json_path = v;
            i++;
        } else if (strcmp(o, "--repeats") == 0 && v) {
            a->repeats = atoi(v);
            if (a->repeats < 1)
                return 1;
            i++;
        } else if (strcmp(o, "--sizes") == 0 && v) {
            /* "--sizes 256,512" or "--sizes 256 512" */
            if (parse_sizes(a, v))
                return 1;
            for (i++; i + 1 < argc && argv[i + 1][0] != '-'; i++)
                if (parse_sizes(a, argv[i + 1]))
                    return 1;
        } else {
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    bench_args a = {.repeats = 5};
    const char *device = NULL;
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (parse(argc, argv, &a, &device) != 0) {
        usage(stderr);
        return 2;
    }
    const bench_suite *suite = NULL;
    for (size_t i = 0; i < SUITE_COUNT; i++)
        if (strcmp(suites[i].name, a.suite) == 0)
            suite = &suites[i];
    if (!suite) {
        fprintf(stderr, "tessel-bench: unknown suite '%s'\n", a.suite);
        usage(stderr);
        return 2;
    }
    if (ts_context_create(&a.ctx) != TS_OK) {
        fprintf(stderr, "tessel-bench: %s\n", ts_last_error(NULL));
        return 1;
    }
    ts_status st =
        device ? ts_device_find(a.ctx, device, &a.dev) : ts_device_default(a.ctx, &a.dev);
    if (st == TS_OK)
        st = ts_device_info_get(a.dev, &a.info);
    if (st != TS_OK) {
        fprintf(stderr, "tessel-bench: %s\n", ts_last_error(NULL));
        ts_context_destroy(a.ctx);
        return 1;
    }
    printf("device %s: %s [%s]\n", a.info.id, a.info.name, a.info.features);
    bench_report rep = {0};
    int rc = suite->run(&a, &rep);
    if (rc == 0 && a.json_path)
        rc = bench_report_write_json(&rep, a.json_path);
    bench_report_free(&rep);
    ts_context_destroy(a.ctx);
    return rc ? 1 : 0;
}
