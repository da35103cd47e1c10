/* tessel-tune --device ID [--op NAME] [--quick] [--json FILE]
 *
 * For each group of keys that applies to the device, time the built-in
 * values and every candidate set (tune_candidates.c) on the group's cases
 * (tune_cases.c): one checked warm-up run against the float64 reference,
 * then the median of repeats. A candidate that fails a check or a call is
 * rejected with a log line. The fastest set (geometric mean over the
 * group's cases) wins if it beats the built-in values by more than the
 * noise margin and slows none of the cases by more than WORST_CASE; the
 * winners go to the device's tuned file (<cache dir>/tuned/,
 * core/tuning_file.c), which every later context loads. A candidate that
 * crashes or hangs the driver is skipped by the next run (tune_journal.c).
 * Candidates are applied through core's internal override API
 * (core/tuning.h), so this tool links the static library. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/tool_log.h"
#include "core/tuning.h"
#include "tune.h"

/* Better than the built-in values by this factor, or no change: the
 * machines this runs on are noisy, and a change must be worth a file. */
#define MARGIN 0.95
/* No case may get slower than this (time ratio to the built-in values):
 * a geometric mean alone lets a big win on short rows buy a loss on long
 * ones (on the H200, q_tile 16 won 1.85x on L = 512 causal attention and
 * lost 0.82x on L = 2048 full). */
#define WORST_CASE 1.10
#define MAX_CASES 32
#define MAX_CANDS 64
#define ENTRIES_LEN 4096

typedef struct tune_group {
    const char *name;
    bool device_scope; /* read when the device opens: a new context per candidate */
    bool crossover;    /* scored from per-path timings (fftconv) */
    /* Keys no built-in row defines (CLBlast's parameters: CLBlast has its
     * own database): tried wherever a candidate fits. */
    bool own_keys;
    const char *opencl_gemm; /* TESSEL_OPENCL_GEMM while measuring, or NULL */
    /* The key whose built-in rows decide where the group applies (NULL:
     * its candidates' first key). gemm16.* keys are read over gemm.*, so
     * they apply wherever gemm.* does. */
    const char *gate;
    /* Keys read in place of the group's where it sets none ("gemm."): when
     * the built-in values stay but such a key got a winner, the built-in
     * values are written too, so that winner does not reach this group's
     * ops unmeasured. */
    const char *falls_back_to;
} tune_group;

static const tune_group groups[] = {
    /* On OpenCL the own GEMM kernel, which CLBlast otherwise replaces. */
    {"gemm", false, false, false, "own", NULL, NULL},
    /* f16 / bf16 operands' tiles (full sets, so f32's winner plays no part). */
    {"gemm16", false, false, false, "own", "gemm.bm", "gemm."},
    {"attention", false, false, false, NULL, NULL, NULL},
    {"rows", true, false, false, NULL, NULL, NULL},
    {"fftconv", false, true, false, NULL, NULL, NULL},
    /* Last: CLBlast keeps an override for the rest of the process. */
    {"clblast", true, false, true, "clblast", NULL, NULL},
};

typedef struct options {
    const char *device, *op, *json;
    bool quick, dry_run, no_shipped;
    int repeats;
} options;

typedef struct tuner {
    options opt;
    ts_context *ctx;
    ts_device *dev;
    ts_device_info info;
    bool tty;
    FILE *json;
    int json_rows;
    char winners[ENTRIES_LEN]; /* "key=value ..." of this run */
    char tuned_groups[256];    /* groups measured this run */
    tune_journal journal;      /* candidates that crashed or hung a run */
} tuner;

static void progress(const tuner *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void progress(const tuner *t, const char *fmt, ...)
{
    if (!t->tty)
        return;
    char line[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\r\033[K%s", line);
    fflush(stderr);
}

static void end_progress(const tuner *t)
{
    if (t->tty)
        fprintf(stderr, "\r\033[K");
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- the device -------------------------------------------------------------- */

static int open_device(tuner *t)
{
    if (ts_context_create(&t->ctx) != TS_OK ||
        ts_device_find(t->ctx, t->opt.device, &t->dev) != TS_OK ||
        ts_device_info_get(t->dev, &t->info) != TS_OK) {
        fprintf(stderr, "tessel-tune: %s: %s\n", t->opt.device, ts_last_error(NULL));
        ts_context_destroy(t->ctx);
        t->ctx = NULL;
        return 1;
    }
    return 0;
}

static void close_device(tuner *t)
{
    ts_context_destroy(t->ctx);
    t->ctx = NULL;
    t->dev = NULL;
}

/* Apply "key=value ..." as overrides (NULL: none, the built-in values). */
static int apply(const tuner *t, const char *values)
{
    tsi_tuning_override_clear();
    if (!values)
        return 0;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", values);
    for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq)
            return 1;
        *eq = '\0';
        if (tsi_tuning_override(&t->info, tok, strtoll(eq + 1, NULL, 0)) != TS_OK)
            return 1;
    }
    return 0;
}

/* A key's value as the backends read it without this run's overrides:
 * gemm16.<name> falls back to gemm.<name> (backend-gpu/gpu_gemm_tiles.c). */
static bool resolve_builtin(const tuner *t, const char *key, int64_t *v)
{
    if (tsi_tuning_resolve(&t->info, key, v, NULL, NULL, 0))
        return true;
    char f32_key[64];
    if (strncmp(key, "gemm16.", 7) != 0 ||
        snprintf(f32_key, sizeof f32_key, "gemm.%s", key + 7) >= (int)sizeof f32_key)
        return false;
    return tsi_tuning_resolve(&t->info, f32_key, v, NULL, NULL, 0);
}

/* The built-in values of the keys a candidate names, for the log. */
static void builtin_values(const tuner *t, const char *like, char *out, size_t len)
{
    char buf[1024];
    size_t pos = 0;
    out[0] = '\0';
    snprintf(buf, sizeof buf, "%s", like);
    for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        if (eq)
            *eq = '\0';
        int64_t v;
        int n = resolve_builtin(t, tok, &v)
                    ? snprintf(out + pos, len - pos, "%s%s=%lld", pos ? " " : "", tok, (long long)v)
                    : snprintf(out + pos, len - pos, "%s%s=(none)", pos ? " " : "", tok);
        if (n < 0 || (size_t)n >= len - pos)
            return;
        pos += (size_t)n;
    }
}

/* A JSON string: error messages may hold quotes and backslashes. */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", (unsigned char)*s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static void json_row(tuner *t, const char *group, const char *values, const char *cs, double median,
                     bool ok, const char *why)
{
    if (!t->json)
        return;
    fprintf(t->json, "%s    {\"group\": ", t->json_rows++ ? ",\n" : "");
    json_str(t->json, group);
    fprintf(t->json, ", \"candidate\": ");
    json_str(t->json, values);
    fprintf(t->json, ", \"case\": ");
    json_str(t->json, cs);
    fprintf(t->json, ", \"median_s\": %.9g, \"ok\": %s, \"error\": ", ok ? median : 0.0,
            ok ? "true" : "false");
    json_str(t->json, why);
    fprintf(t->json, "}");
}

/* ---- measuring ----------------------------------------------------------------- */

/* Check once (the warm-up), then the median of the repeats, each sample
 * long enough (several calls of a short case) for the clock and the
 * machine's noise. false: the call failed or the result is wrong; why
 * says which. */
static bool measure(const tuner *t, tune_work *w, double *median, char *why, size_t len)
{
    double t0 = now();
    ts_status st = tune_work_run(w);
    double once = now() - t0, err;
    if (st != TS_OK) {
        snprintf(why, len, "%s: %s", ts_status_str(st), ts_last_error(NULL));
        return false;
    }
    if (!tune_work_check(w, &err)) {
        snprintf(why, len, "result off the float64 reference (%.3g x the tolerance)", err);
        return false;
    }
    double min_sample = t->opt.quick ? 0.01 : 0.03;
    int calls = once > 0 && once < min_sample ? (int)ceil(min_sample / once) : 1;
    calls = calls > 1000 ? 1000 : calls;
    double v[32];
    int n = t->opt.repeats < 32 ? t->opt.repeats : 32;
    for (int i = 0; i < n; i++) {
        t0 = now();
        for (int c = 0; c < calls; c++)
            if (tune_work_run(w) != TS_OK) {
                snprintf(why, len, "failed when repeated: %s", ts_last_error(NULL));
                return false;
            }
        v[i] = (now() - t0) / calls;
    }
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    *median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    return true;
}

/* TESSEL_TEST_HOOK=tune_prefer:<key=value>, a test's stand-in for the
 * clock (ctest tune_gemm16_vulkan): every candidate still runs and is
 * checked as usual, but each case counts 1 s, or 0.5 s for a candidate
 * whose values hold that key=value, so which set wins does not depend on
 * how busy the machine is. */
static double hooked_time(const char *values, double measured)
{
    static const char prefix[] = "tune_prefer:";
    const char *hook = getenv("TESSEL_TEST_HOOK");
    if (!hook || strncmp(hook, prefix, sizeof prefix - 1) != 0)
        return measured;
    return values && tune_listed(values, hook + sizeof prefix - 1) ? 0.5 : 1.0;
}

static bool case_selected(const tuner *t, const tune_case *c, const char *group)
{
    return strcmp(c->group, group) == 0 && (!t->opt.quick || c->quick) &&
           (!t->opt.op || strcmp(t->opt.op, c->op) == 0);
}

/* TESSEL_TEST_HOOK=tune_crash:<key=value>: the process aborts inside a
 * candidate whose values hold that key=value, as a driver that cannot
 * build its kernels would (ctest tune_crash_cpu). */
static void hooked_crash(const char *values)
{
    static const char prefix[] = "tune_crash:";
    const char *hook = getenv("TESSEL_TEST_HOOK");
    if (values && hook && strncmp(hook, prefix, sizeof prefix - 1) == 0 &&
        tune_listed(values, hook + sizeof prefix - 1))
        abort();
}

/* Time one candidate (NULL: built-in) on every case; false: rejected.
 * works: the cases' tensors, made once per group (NULL: made here, for
 * device-wide keys, whose candidates each open the device afresh). */
static bool run_cases(tuner *t, const tune_group *g, const char *values, const int *cases,
                      int n_cases, tune_work **works, double *times)
{
    hooked_crash(values);
    if (apply(t, values) != 0) {
        fprintf(stderr, "tessel-tune: %s: candidate '%s' rejected: bad values\n", g->name, values);
        return false;
    }
    if (g->device_scope) {
        close_device(t);
        if (open_device(t) != 0)
            return false;
    }
    bool ok = true;
    for (int i = 0; i < n_cases && ok; i++) {
        const tune_case *c = &tune_cases[cases[i]];
        progress(t, "tessel-tune %s: %s [%s] %s %s", t->info.id, g->name,
                 values ? values : "built-in", c->op, c->name);
        char why[512] = "setup failed";
        tune_work *w = works ? works[i] : tune_work_create(c, t->dev);
        ok = w && measure(t, w, &times[i], why, sizeof why);
        if (ok)
            times[i] = hooked_time(values, times[i]);
        if (!works)
            tune_work_destroy(w);
        json_row(t, g->name, values ? values : "built-in", c->name, times[i], ok, ok ? "" : why);
        if (!ok) {
            end_progress(t);
            fprintf(stderr, "tessel-tune: %s: %s: candidate '%s' rejected on %s %s: %s\n",
                    t->info.id, g->name, values ? values : "built-in", c->op, c->name, why);
        }
    }
    return ok;
}

/* run_cases, unless this candidate ended an earlier run (the journal),
 * with the journal saying what is being tried meanwhile. */
static bool run_candidate(tuner *t, const tune_group *g, const char *values, const int *cases,
                          int n_cases, tune_work **works, double *times)
{
    const char *shown = values ? values : "built-in";
    if (tune_journal_crashed(&t->journal, g->name, shown)) {
        end_progress(t);
        fprintf(stderr,
                "tessel-tune: %s: %s: candidate '%s' skipped: it ended an earlier run (%s)\n",
                t->info.id, g->name, shown, t->journal.crashed);
        return false;
    }
    tune_journal_begin(&t->journal, g->name, shown);
    bool ok = run_cases(t, g, values, cases, n_cases, works, times);
    tune_journal_end(&t->journal);
    return ok;
}

/* Record the winner's values (and the group as measured). */
static void keep_winner(tuner *t, const char *values)
{
    size_t pos = strlen(t->winners);
    snprintf(t->winners + pos, sizeof t->winners - pos, "%s%s", pos ? " " : "", values);
}

/* Has this run a winner whose key starts with prefix? */
static bool won_with_prefix(const tuner *t, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = t->winners; (p = strstr(p, prefix)) != NULL; p += n)
        if (p == t->winners || p[-1] == ' ')
            return true;
    return false;
}

static double score(const double *times, const double *base, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += log(times[i] / base[i]);
    return exp(s / n);
}

/* The case that lost most against the built-in values, and its ratio. */
static int worst_case(const double *times, const double *base, int n, double *ratio)
{
    int w = 0;
    for (int i = 1; i < n; i++)
        if (times[i] / base[i] > times[w] / base[w])
            w = i;
    *ratio = times[w] / base[w];
    return w;
}

/* Built-in against the winner, interleaved, three rounds: the winner
 * must hold its lead when both see the same share of a noisy machine. */
static double confirm(tuner *t, const tune_group *g, const char *values, const int *cases,
                      int n_cases, tune_work **works)
{
    double ratios[3];
    for (int r = 0; r < 3; r++) {
        double base[MAX_CASES], times[MAX_CASES];
        if (!run_candidate(t, g, NULL, cases, n_cases, works, base) ||
            !run_candidate(t, g, values, cases, n_cases, works, times))
            return INFINITY;
        ratios[r] = score(times, base, n_cases);
    }
    qsort(ratios, 3, sizeof ratios[0], cmp_double);
    return ratios[1];
}

static void tune_plain(tuner *t, const tune_group *g, const int *cases, int n_cases,
                       const int *cands, int n_cands)
{
    double base[MAX_CASES], times[MAX_CASES], best = 1.0;
    int winner = -1;
    char builtin[512];
    builtin_values(t, tune_candidates[cands[0]].values, builtin, sizeof builtin);
    tune_work *works[MAX_CASES] = {NULL};
    bool made = true;
    if (!g->device_scope)
        for (int i = 0; i < n_cases && made; i++)
            made = (works[i] = tune_work_create(&tune_cases[cases[i]], t->dev)) != NULL;
    tune_work **w = g->device_scope ? NULL : works;
    if (!made || !run_candidate(t, g, NULL, cases, n_cases, w, base)) {
        fprintf(stderr, "tessel-tune: %s: %s: the built-in values fail; not tuning it\n",
                t->info.id, g->name);
        goto done;
    }
    printf("  %-9s built-in  %s\n", g->name, g->own_keys ? "(the library's own tuning)" : builtin);
    for (int k = 0; k < n_cands; k++) {
        const char *values = tune_candidates[cands[k]].values;
        char same[1024];
        apply(t, NULL);
        builtin_values(t, values, same, sizeof same);
        if (strcmp(same, values) == 0)
            continue; /* the built-in values themselves */
        if (!run_candidate(t, g, values, cases, n_cases, w, times))
            continue;
        double s = score(times, base, n_cases), lost;
        int wc = worst_case(times, base, n_cases, &lost);
        end_progress(t);
        printf("  %-9s %6.3fx   %s\n", g->name, 1.0 / s, values);
        if (lost > WORST_CASE) {
            printf("  %-9s           (not eligible: %s %s at %.2fx)\n", g->name,
                   tune_cases[cases[wc]].op, tune_cases[cases[wc]].name, 1.0 / lost);
            continue;
        }
        if (s < best) {
            best = s;
            winner = cands[k];
        }
    }
    if (winner >= 0 && best < MARGIN) {
        best = confirm(t, g, tune_candidates[winner].values, cases, n_cases, w);
        end_progress(t);
        printf("  %-9s confirm   %.3fx (built-in and candidate interleaved)\n", g->name,
               1.0 / best);
    }
    apply(t, NULL);
    if (g->device_scope) {
        close_device(t);
        open_device(t);
    }
    if (winner >= 0 && best < MARGIN) {
        printf("  %-9s winner    %s (%.2fx the built-in values)\n", g->name,
               tune_candidates[winner].values, 1.0 / best);
        keep_winner(t, tune_candidates[winner].values);
    } else {
        printf("  %-9s winner    built-in (no candidate %.0f%% faster)\n", g->name,
               (1.0 / MARGIN - 1.0) * 100.0);
        if (g->falls_back_to && won_with_prefix(t, g->falls_back_to) &&
            !strstr(builtin, "(none)")) {
            printf("  %-9s kept      %s (over the new %s* values)\n", g->name, builtin,
                   g->falls_back_to);
            keep_winner(t, builtin);
        }
    }
done:
    for (int i = 0; i < n_cases; i++)
        tune_work_destroy(works[i]);
}

/* fftconv: each filter length through both paths once; a candidate
 * threshold V costs direct time for K <= V, FFT time above. */
static void tune_crossover(tuner *t, const tune_group *g, const int *cases, int n_cases,
                           const int *cands, int n_cands)
{
    /* Three interleaved rounds over the cases, the median of each: both
     * paths see the same share of a noisy machine. */
    double times[MAX_CASES], rounds[MAX_CASES][3];
    tune_work *works[MAX_CASES] = {NULL};
    for (int i = 0; i < n_cases; i++)
        works[i] = tune_work_create(&tune_cases[cases[i]], t->dev);
    for (int r = 0; r < 3; r++)
        for (int i = 0; i < n_cases; i++) {
            double one = INFINITY;
            if (!works[i] || !run_candidate(t, g, NULL, &cases[i], 1, &works[i], &one))
                one = INFINITY;
            rounds[i][r] = one;
        }
    for (int i = 0; i < n_cases; i++) {
        qsort(rounds[i], 3, sizeof rounds[i][0], cmp_double);
        times[i] = rounds[i][1];
        tune_work_destroy(works[i]);
    }
    const char *key = "fftconv.direct_max_taps";
    int64_t current = 0;
    tsi_tuning_resolve(&t->info, key, &current, NULL, NULL, 0);
    double cost[MAX_CANDS + 1];
    int64_t value[MAX_CANDS + 1];
    for (int k = 0; k <= n_cands; k++) {
        const char *eq = k < n_cands ? strchr(tune_candidates[cands[k]].values, '=') : NULL;
        value[k] = eq ? strtoll(eq + 1, NULL, 0) : current;
        cost[k] = 0;
        for (int i = 0; i < n_cases; i++) {
            const tune_case *c = &tune_cases[cases[i]];
            bool direct = c->variant == TS_FFTCONV_DIRECT;
            if (direct == (c->d[2] <= value[k]))
                cost[k] += times[i];
        }
    }
    printf("  %-9s built-in  %s=%lld: %.4f s over the cases\n", g->name, key, (long long)current,
           cost[n_cands]);
    int winner = -1;
    double best = cost[n_cands] * MARGIN;
    for (int k = 0; k < n_cands; k++) {
        printf("  %-9s %6.3fx   %s\n", g->name, cost[n_cands] / cost[k],
               tune_candidates[cands[k]].values);
        if (cost[k] < best && isfinite(cost[k])) {
            best = cost[k];
            winner = k;
        }
    }
    if (!isfinite(cost[n_cands]) && winner < 0)
        fprintf(stderr, "tessel-tune: %s: fftconv: a path failed; keeping the built-in value\n",
                t->info.id);
    if (winner >= 0) {
        printf("  %-9s winner    %s\n", g->name, tune_candidates[cands[winner]].values);
        keep_winner(t, tune_candidates[cands[winner]].values);
    } else {
        printf("  %-9s winner    built-in\n", g->name);
    }
}

static void tune_group_run(tuner *t, const tune_group *g)
{
    int cases[MAX_CASES], cands[MAX_CANDS], n_cases = 0, n_cands = 0;
    for (int i = 0; i < tune_case_count && n_cases < MAX_CASES; i++)
        if (case_selected(t, &tune_cases[i], g->name))
            cases[n_cases++] = i;
    for (int i = 0; i < tune_candidate_count && n_cands < MAX_CANDS; i++) {
        const tune_candidate *c = &tune_candidates[i];
        if (strcmp(c->group, g->name) == 0 && (!t->opt.quick || c->quick) &&
            tune_candidate_fits(c, &t->info))
            cands[n_cands++] = i;
    }
    if (!n_cases || !n_cands)
        return;
    /* The group applies where the device's rows define its gate key. */
    char first[64];
    snprintf(first, sizeof first, "%s", g->gate ? g->gate : tune_candidates[cands[0]].values);
    char *eq = strchr(first, '=');
    if (eq)
        *eq = '\0';
    int64_t v;
    if (!g->own_keys && !tsi_tuning_resolve(&t->info, first, &v, NULL, NULL, 0))
        return;
    /* The path the group measures, with the device opened afresh. */
    if (strcmp(t->info.backend, "opencl") == 0) {
        if (g->opencl_gemm)
            setenv("TESSEL_OPENCL_GEMM", g->opencl_gemm, 1);
        else
            unsetenv("TESSEL_OPENCL_GEMM");
        close_device(t);
        if (open_device(t) != 0)
            return;
    }
    double t0 = now();
    if (g->crossover)
        tune_crossover(t, g, cases, n_cases, cands, n_cands);
    else
        tune_plain(t, g, cases, n_cases, cands, n_cands);
    end_progress(t);
    printf("  %-9s %.1f s\n", g->name, now() - t0);
    size_t pos = strlen(t->tuned_groups);
    snprintf(t->tuned_groups + pos, sizeof t->tuned_groups - pos, " %s ", g->name);
    fflush(stdout);
}

/* ---- the tuned file ------------------------------------------------------------ */

/* Which group a key belongs to: the group of the first candidate naming it. */
static const char *group_of_key(const char *key)
{
    size_t n = strlen(key);
    for (int i = 0; i < tune_candidate_count; i++) {
        const char *p = tune_candidates[i].values;
        for (; (p = strstr(p, key)) != NULL; p += n)
            if ((p == tune_candidates[i].values || p[-1] == ' ') && p[n] == '=')
                return tune_candidates[i].group;
    }
    return NULL;
}

/* Entries of the device's current tuned file that this run did not
 * measure: a run with --op keeps the others. */
static void kept_entries(const tuner *t, char *out, size_t len)
{
    size_t pos = 0;
    out[0] = '\0';
    char seen[ENTRIES_LEN] = " ";
    for (int i = 0; i < tune_candidate_count; i++) {
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", tune_candidates[i].values);
        for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok;
             tok = strtok_r(NULL, " ", &save)) {
            char *eq = strchr(tok, '=');
            if (eq)
                *eq = '\0';
            char probe[80];
            snprintf(probe, sizeof probe, " %s ", tok);
            if (strstr(seen, probe))
                continue;
            size_t sl = strlen(seen);
            snprintf(seen + sl, sizeof seen - sl, "%s ", tok);
            int64_t v;
            tsi_tuning_source src;
            if (!tsi_tuning_resolve(&t->info, tok, &v, &src, NULL, 0) || src != TSI_TUNING_TUNED)
                continue;
            int n = snprintf(out + pos, len - pos, "%s%s=%lld", pos ? " " : "", tok, (long long)v);
            if (n < 0 || (size_t)n >= len - pos)
                return;
            pos += (size_t)n;
        }
    }
}

static int write_file(tuner *t, const char *kept, char *path, size_t len)
{
    char entries[2 * ENTRIES_LEN] = "";
    size_t pos = 0;
    /* Kept entries of groups not measured now, then this run's winners. */
    char buf[ENTRIES_LEN];
    snprintf(buf, sizeof buf, "%s", kept);
    for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save)) {
        char key[80], probe[90];
        snprintf(key, sizeof key, "%.*s", (int)strcspn(tok, "="), tok);
        const char *g = group_of_key(key);
        snprintf(probe, sizeof probe, " %s ", g ? g : "");
        if (g && strstr(t->tuned_groups, probe))
            continue;
        pos += (size_t)snprintf(entries + pos, sizeof entries - pos, "%s%s", pos ? " " : "", tok);
    }
    if (t->winners[0])
        snprintf(entries + pos, sizeof entries - pos, "%s%s", pos ? " " : "", t->winners);
    if (!entries[0]) {
        /* An old file would still apply: it is replaced by one without rows. */
        printf("no tuned values for %s: the built-in values won everywhere\n", t->info.id);
    }
    if (!tsi_tuned_file_path(&t->info, path, len)) {
        fprintf(stderr, "tessel-tune: no cache folder (set XDG_CACHE_HOME or HOME)\n");
        return 1;
    }
    char *text = NULL;
    ts_status st = tsi_tuned_file_format(&t->info, entries, &text);
    if (st != TS_OK) {
        fprintf(stderr, "tessel-tune: cannot format the tuned file: %s\n", ts_status_str(st));
        return 1;
    }
    if (t->opt.dry_run) {
        printf("%s", text);
        free(text);
        return 0;
    }
    st = tsi_tuned_file_write(path, text);
    free(text);
    if (st != TS_OK) {
        fprintf(stderr, "tessel-tune: %s\n", ts_last_error(NULL));
        return 1;
    }
    printf("wrote %s\n", path);
    return 0;
}

/* ---- main ------------------------------------------------------------------------ */

static void usage(FILE *f)
{
    fprintf(f, "usage: tessel-tune --device ID [--op NAME] [--quick] [--json FILE]\n"
               "                   [--repeats N] [--dry-run] [--no-shipped] [--log LEVEL]\n"
               "Times candidate tuning values on one device (median of repeats after a\n"
               "checked warm-up), rejects any whose results are off the float64\n"
               "reference, and writes the winners to the device's tuned file in the\n"
               "cache folder, which later contexts load (docs/tuning.md).\n"
               "  --op NAME    only cases of this op: matmul, grouped_matmul, attention,\n"
               "               norm, softmax, fftconv\n"
               "  --quick      fewer cases and candidates (CI: minutes on a software device)\n"
               "  --json FILE  every measurement, for the record\n"
               "  --dry-run    print the tuned file instead of writing it\n"
               "  --no-shipped measure against the hand-written rows alone, not the shipped\n"
               "               tuned files (to regenerate core/tuned/)\n"
               "  --log LEVEL  tessel's log lines of LEVEL and above on stderr (debug, info,\n"
               "               warn, error)\n");
}

static int parse(int argc, char **argv, options *o)
{
    *o = (options){.repeats = 0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (strcmp(a, "--device") == 0 && has)
            o->device = argv[++i];
        else if (strcmp(a, "--op") == 0 && has)
            o->op = argv[++i];
        else if (strcmp(a, "--json") == 0 && has)
            o->json = argv[++i];
        else if (strcmp(a, "--repeats") == 0 && has)
            o->repeats = atoi(argv[++i]);
        else if (strcmp(a, "--log") == 0 && has && tool_log_start("tessel-tune", argv[i + 1]) == 0)
            i++;
        else if (strcmp(a, "--quick") == 0)
            o->quick = true;
        else if (strcmp(a, "--dry-run") == 0)
            o->dry_run = true;
        else if (strcmp(a, "--no-shipped") == 0)
            o->no_shipped = true;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else {
            usage(stderr);
            return 1;
        }
    }
    if (!o->device) {
        usage(stderr);
        return 1;
    }
    if (o->op) {
        bool known = false;
        for (int i = 0; i < tune_case_count; i++)
            known |= strcmp(tune_cases[i].op, o->op) == 0;
        if (!known) {
            fprintf(stderr, "tessel-tune: unknown --op %s\n", o->op);
            return 1;
        }
    }
    if (o->repeats <= 0)
        o->repeats = o->quick ? 5 : 9;
    return 0;
}

/* Linked statically, core finds backend modules next to this executable,
 * not next to a libtessel.so: point it at ../lib (the build tree) and
 * ../lib/tessel (an install), after any TESSEL_MODULE_PATH of the user. */
static void module_path(void)
{
    char exe[2048], path[8192];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return;
    *slash = '\0';
    const char *user = getenv("TESSEL_MODULE_PATH");
    snprintf(path, sizeof path, "%s%s%s/../lib:%s/../lib/tessel", user ? user : "", user ? ":" : "",
             exe, exe);
    setenv("TESSEL_MODULE_PATH", path, 1);
}

int main(int argc, char **argv)
{
    tuner t = {.tty = isatty(2) != 0};
    setvbuf(stdout, NULL, _IOLBF, 0); /* results as they come, into a log too */
    if (parse(argc, argv, &t.opt) != 0)
        return 2;
    module_path();
    /* Variables the backends read on top of the database would hide the
     * candidates. */
    static const char *const masks[] = {"TESSEL_GEMM_TILES",   "TESSEL_ATTENTION_TILES",
                                        "TESSEL_VULKAN_WG",    "TESSEL_OPENCL_TUNE",
                                        "TESSEL_FFTCONV_PATH", "TESSEL_OPENCL_GEMM"};
    for (size_t i = 0; i < sizeof masks / sizeof masks[0]; i++)
        if (getenv(masks[i])) {
            fprintf(stderr, "tessel-tune: ignoring %s while tuning\n", masks[i]);
            unsetenv(masks[i]);
        }
    unsetenv("TESSEL_TUNED");
    if (open_device(&t) != 0)
        return 1;
    char kept[ENTRIES_LEN];
    kept_entries(&t, kept, sizeof kept);
    /* Measure against the built-in values, not an older tuned file. */
    setenv("TESSEL_TUNED", t.opt.no_shipped ? "off" : "shipped", 1);
    close_device(&t);
    if (open_device(&t) != 0)
        return 1;
    if (t.opt.json && !(t.json = fopen(t.opt.json, "w"))) {
        fprintf(stderr, "tessel-tune: cannot write %s\n", t.opt.json);
        close_device(&t);
        return 1;
    }
    if (t.json) {
        fprintf(t.json, "{\n  \"device\": \"%s\",\n  \"name\": ", t.info.id);
        json_str(t.json, t.info.name);
        fprintf(t.json, ",\n  \"driver\": ");
        json_str(t.json, t.info.driver);
        fprintf(t.json, ",\n  \"quick\": %s,\n  \"results\": [\n", t.opt.quick ? "true" : "false");
    }
    printf("tessel-tune %s: %s (%s)%s\n", t.info.id, t.info.name, t.info.driver,
           t.opt.quick ? ", quick" : "");
    fflush(stdout);
    tune_journal_open(&t.journal, &t.info);
    double t0 = now();
    for (size_t i = 0; i < sizeof groups / sizeof groups[0] && t.ctx; i++)
        tune_group_run(&t, &groups[i]);
    printf("measured in %.1f s\n", now() - t0);
    char path[4096] = "";
    int rc = t.ctx ? write_file(&t, kept, path, sizeof path) : 1;
    if (t.json) {
        fprintf(t.json, "\n  ],\n  \"winners\": ");
        json_str(t.json, t.winners);
        fprintf(t.json, ",\n  \"file\": ");
        json_str(t.json, t.opt.dry_run ? "" : path);
        fprintf(t.json, ",\n  \"seconds\": %.1f\n}\n", now() - t0);
        fclose(t.json);
    }
    close_device(&t);
    tune_journal_close(&t.journal);
    /* What the next context sees. */
    unsetenv("TESSEL_TUNED");
    if (rc == 0 && !t.opt.dry_run && open_device(&t) == 0) {
        char line[4096];
        if (ts_device_tuning_summary(t.dev, line, sizeof line) == TS_OK)
            printf("tuning: %s\n", line);
        close_device(&t);
    }
    return rc;
}
