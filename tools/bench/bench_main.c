/* tessel-bench: performance of tessel ops and layers against a baseline
 * run in the same process (vendor library or naive version), median of
 * repeats after warm-up. Usage:
 *   tessel-bench SUITE [--device ID] [--quick] [--sizes N[,N...]]
 *                      [--repeats N] [--json FILE]
 *   gemm also: [--dtype f32|f16|bf16[,...]] [--shape MxNxK ...]
 *              [--trans NN|NT|TN|TT] [--own]
 *   attention also: [--dtype ...] [--head-dim D] [--decode]
 *   moe also: [--dtype ...] [--experts E]
 *   any suite: [--compare-tuning] (built-in vs tuned values in one run)
 * Suites come from the table below (see bench_common.h to add one). */
#define _POSIX_C_SOURCE 200809L /* setenv: --compare-tuning */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tool_log.h"
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
    {"gemm", "GEMM (f32/f16/bf16, MxNxK, NN..TT) vs f32 OpenBLAS (cpu) / CLBlast (opencl)", bench_gemm},
    {"norm", "f32 fused residual+RMSNorm vs add then rms_norm, GB/s vs host memcpy", bench_norm},
    {"attention", "tiled attention vs naive, B=1 H=8 D=64, time + peak memory; --decode: "
                  "Lq=1 vs a 32k KV cache, GB/s vs memcpy", bench_attention},
    {"fft", "batched c2c/r2c/c2r FFTs and the fftconv path, GFLOP/s vs f32 GEMM", bench_fft},
    {"fftconv", "fftconv paths vs direct, B=1 C=256 f32, GFLOP/s by 5n log2 n; f32 GEMM for scale", bench_fftconv},
    {"moe", "MoE layer vs equal-FLOP dense FFN, top-2 E=8; routing share", bench_moe},
};
#define SUITE_COUNT (sizeof suites / sizeof suites[0])

static void usage(FILE *fp)
{
    fprintf(fp, "usage: tessel-bench SUITE [--device ID] [--quick] [--sizes N[,N...]] "
                "[--repeats N] [--json FILE]\n"
                "       gemm also: [--dtype f32|f16|bf16[,...]] [--shape MxNxK ...] "
                "[--trans NN|NT|TN|TT] [--own]\n"
                "       attention also: [--dtype ...] [--head-dim D] [--decode]\n"
                "       moe also: [--dtype f32|bf16|f16[,...]] [--experts E]\n"
                "       any suite: [--compare-tuning] (built-in vs tuned values, one run)\n"
                "                  [--log debug|info|warn|error] (tessel's log on stderr)\n"
                "suites:\n");
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

/* "bf16" or "f32,f16": appended to a->dtypes. */
static int parse_dtypes(bench_args *a, const char *s)
{
    static const struct {
        const char *name;
        ts_dtype dt;
    } known[] = {{"f32", TS_F32}, {"f16", TS_F16}, {"bf16", TS_BF16}};
    while (*s) {
        size_t len = strcspn(s, ",");
        int found = 0;
        for (size_t i = 0; i < sizeof known / sizeof known[0] && !found; i++) {
            if (strlen(known[i].name) == len && strncmp(s, known[i].name, len) == 0) {
                found = 1;
                for (int j = 0; j < a->n_dtypes; j++)
                    found += a->dtypes[j] == known[i].dt; /* named twice: once */
                if (found == 1 && a->n_dtypes == BENCH_MAX_DTYPES)
                    return 1;
                if (found == 1)
                    a->dtypes[a->n_dtypes++] = known[i].dt;
            }
        }
        if (!found)
            return 1;
        s += len;
        if (*s == ',' && *++s == '\0')
            return 1;
    }
    return 0;
}

/* "4096x512x14336" (M x N x K) or a comma list of them. */
static int parse_shapes(bench_args *a, const char *s)
{
    while (*s) {
        long long v[3];
        for (int i = 0; i < 3; i++) {
            char *end;
            v[i] = strtoll(s, &end, 10);
            if (end == s || v[i] <= 0 || (i < 2 && *end != 'x'))
                return 1;
            s = i < 2 ? end + 1 : end;
        }
        if (a->n_shapes == BENCH_MAX_SHAPES || (*s && *s != ','))
            return 1;
        a->shapes[a->n_shapes++] = (bench_shape){v[0], v[1], v[2]};
        if (*s == ',' && *++s == '\0')
            return 1;
    }
    return 0;
}

static int parse_trans(bench_args *a, const char *s)
{
    if (strlen(s) != 2 || strspn(s, "NT") != 2)
        return 1;
    a->trans_a = s[0] == 'T';
    a->trans_b = s[1] == 'T';
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
        } else if (strcmp(o, "--log") == 0 && v) {
            if (tool_log_start("tessel-bench", v) != 0)
                return 1;
            i++;
        } else if (strcmp(o, "--compare-tuning") == 0) {
            a->compare_tuning = 1;
        } else if (strcmp(o, "--own") == 0) {
            a->own = 1;
        } else if (strcmp(o, "--decode") == 0) {
            a->decode = 1;
        } else if (strcmp(o, "--head-dim") == 0 && v) {
            a->head_dim = atoi(v);
            if (a->head_dim < 1)
                return 1;
            i++;
        } else if (strcmp(o, "--experts") == 0 && v) {
            a->experts = atoi(v);
            if (a->experts < 1)
                return 1;
            i++;
        } else if (strcmp(o, "--dtype") == 0 && v) {
            if (parse_dtypes(a, v))
                return 1;
            i++;
        } else if (strcmp(o, "--trans") == 0 && v) {
            if (parse_trans(a, v))
                return 1;
            i++;
        } else if (strcmp(o, "--shape") == 0 && v) {
            /* "--shape 256x256x256,64x64x64" or "--shape A B" */
            if (parse_shapes(a, v))
                return 1;
            for (i++; i + 1 < argc && argv[i + 1][0] != '-'; i++)
                if (parse_shapes(a, argv[i + 1]))
                    return 1;
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

/* Record in rows [first, count) the tuning values they ran with, and tag
 * their names (" [built-in]"; NULL: no tag). */
static void tag_rows(bench_report *rep, int first, const ts_device *dev, const char *tag)
{
    char line[1024];
    if (ts_device_tuning_summary(dev, line, sizeof line) != TS_OK)
        line[0] = '\0';
    for (int i = first; i < rep->count; i++) {
        bench_result *r = &rep->rows[i];
        snprintf(r->tuning, sizeof r->tuning, "%s", line);
        size_t n = strlen(r->name);
        if (tag && n + 1 < sizeof r->name)
            snprintf(r->name + n, sizeof r->name - n, " %s", tag);
    }
}

static int reopen(bench_args *a, const char *device)
{
    ts_context_destroy(a->ctx);
    a->ctx = NULL;
    ts_status st = ts_context_create(&a->ctx);
    if (st == TS_OK)
        st = device ? ts_device_find(a->ctx, device, &a->dev) : ts_device_default(a->ctx, &a->dev);
    if (st != TS_OK) {
        fprintf(stderr, "tessel-bench: %s\n", ts_last_error(NULL));
        return 1;
    }
    return 0;
}

/* --compare-tuning: the suite with the built-in tuning values (tuned files
 * off, a fresh context so device-wide values apply too), then with the
 * tuned ones, in one process; rows tagged [built-in] / [tuned]. */
static int compare_tuning(const bench_suite *suite, bench_args *a, const char *device,
                          bench_report *rep)
{
    const char *env = getenv("TESSEL_TUNED");
    char saved[64] = "";
    if (env)
        snprintf(saved, sizeof saved, "%s", env);
    setenv("TESSEL_TUNED", "off", 1);
    int rc = reopen(a, device);
    char line[1024] = "";
    if (rc == 0 && ts_device_tuning_summary(a->dev, line, sizeof line) == TS_OK)
        printf("built-in tuning: %s\n", line);
    if (rc == 0)
        rc = suite->run(a, rep);
    if (rc == 0)
        tag_rows(rep, 0, a->dev, "[built-in]");
    int first = rep->count;
    if (saved[0])
        setenv("TESSEL_TUNED", saved, 1);
    else
        unsetenv("TESSEL_TUNED");
    if (rc == 0)
        rc = reopen(a, device);
    if (rc == 0 && ts_device_tuning_summary(a->dev, line, sizeof line) == TS_OK)
        printf("tuned:           %s\n", line);
    if (rc == 0)
        rc = suite->run(a, rep);
    if (rc == 0)
        tag_rows(rep, first, a->dev, "[tuned]");
    for (int i = 0; rc == 0 && i < first && first + i < rep->count; i++) {
        const bench_result *b = &rep->rows[i], *t = &rep->rows[first + i];
        printf("%-40s built-in %10.4f ms  tuned %10.4f ms  %.2fx\n", b->name, b->median_s * 1e3,
               t->median_s * 1e3, t->median_s > 0 ? b->median_s / t->median_s : 0.0);
    }
    return rc;
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
    int rc = a.compare_tuning ? compare_tuning(suite, &a, device, &rep) : suite->run(&a, &rep);
    if (!a.compare_tuning)
        tag_rows(&rep, 0, a.dev, NULL);
    if (rc == 0 && a.json_path)
        rc = bench_report_write_json(&rep, a.json_path);
    bench_report_free(&rep);
    ts_context_destroy(a.ctx);
    return rc ? 1 : 0;
}
