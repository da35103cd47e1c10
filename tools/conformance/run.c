/* Choosing what runs (devices, cases), running it, and the two questions
 * every report asks of the results: how many passed per device and family,
 * and which command reruns one case alone. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conformance.h"

double conf_now(void)
{
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void list_device_ids(ts_context *ctx)
{
    int n = 0;
    ts_device_count(ctx, &n);
    fprintf(stderr, "devices here:");
    for (int i = 0; i < n; i++) {
        ts_device *dev;
        ts_device_info info;
        if (ts_device_get(ctx, i, &dev) == TS_OK && ts_device_info_get(dev, &info) == TS_OK)
            fprintf(stderr, " %s", info.id);
    }
    fprintf(stderr, n ? "\n" : " none\n");
}

static int add_device(conf_run *run, ts_device *dev)
{
    for (int i = 0; i < run->device_count; i++)
        if (run->handles[i] == dev)
            return 0; /* named twice: run once */
    if (ts_device_info_get(dev, &run->devices[run->device_count]) != TS_OK) {
        fprintf(stderr, "tessel-conformance: %s\n", ts_last_error(NULL));
        return 2;
    }
    run->handles[run->device_count++] = dev;
    return 0;
}

/* Every device whose id is `want`, or whose backend is `want` ("vulkan":
 * all Vulkan devices). 0 when some matched, 2 when none did. */
static int add_matching(conf_run *run, ts_context *ctx, int n, const char *want)
{
    int matched = 0;
    for (int i = 0; i < n; i++) {
        ts_device *dev;
        ts_device_info info;
        if (ts_device_get(ctx, i, &dev) != TS_OK || ts_device_info_get(dev, &info) != TS_OK)
            continue;
        if (strcmp(info.id, want) != 0 && strcmp(info.backend, want) != 0)
            continue;
        int rc = add_device(run, dev);
        if (rc)
            return rc;
        matched = 1;
    }
    if (matched)
        return 0;
    fprintf(stderr, "tessel-conformance: no device '%s'; ", want);
    list_device_ids(ctx);
    return 2;
}

int conf_select_devices(conf_run *run, ts_context *ctx)
{
    int n = 0;
    ts_device_count(ctx, &n);
    /* Each device at most once, however many --device options name it. */
    run->handles = calloc((size_t)n + 1, sizeof *run->handles);
    run->devices = calloc((size_t)n + 1, sizeof *run->devices);
    if (!run->handles || !run->devices) {
        fprintf(stderr, "tessel-conformance: out of memory\n");
        return 2;
    }
    for (int i = 0; i < run->opt.device_count; i++) {
        int rc = add_matching(run, ctx, n, run->opt.devices[i]);
        if (rc)
            return rc;
    }
    for (int i = 0; i < n && !run->opt.device_count; i++) {
        ts_device *dev;
        int rc = ts_device_get(ctx, i, &dev) == TS_OK ? add_device(run, dev) : 2;
        if (rc)
            return rc;
    }
    if (run->device_count == 0) {
        fprintf(stderr, "tessel-conformance: tessel found no device\n");
        return 2;
    }
    return 0;
}

static int op_selected(const conf_options *opt, const tsc_case *c)
{
    if (opt->op_count == 0)
        return 1;
    for (int i = 0; i < opt->op_count; i++)
        if (tsc_case_matches_op(c, opt->ops[i]))
            return 1;
    return 0;
}

static int case_selected(const conf_options *opt, const tsc_case *c)
{
    if (!op_selected(opt, c))
        return 0;
    if (opt->case_name)
        return strcmp(c->name, opt->case_name) == 0;
    return opt->full || !c->full_only;
}

int conf_select_cases(conf_run *run)
{
    const conf_options *opt = &run->opt;
    int n = tsc_case_count();
    run->cases = calloc((size_t)n + 1, sizeof *run->cases);
    if (!run->cases) {
        fprintf(stderr, "tessel-conformance: out of memory\n");
        return 2;
    }
    /* A reproduction line names one op exactly: prefer that case alone
     * over prefix matches ("add" would also match an op "add_rows"). */
    const tsc_case *exact =
        opt->case_name && opt->op_count == 1 ? tsc_case_find(opt->ops[0], opt->case_name) : NULL;
    if (exact) {
        run->cases[run->case_count++] = exact;
        return 0;
    }
    for (int i = 0; i < n; i++) {
        const tsc_case *c = tsc_case_at(i);
        if (c && case_selected(opt, c))
            run->cases[run->case_count++] = c;
    }
    if (run->case_count == 0) {
        fprintf(stderr, "tessel-conformance: no case matches the --op/--case filters "
                        "(--list shows every case)\n");
        return 2;
    }
    return 0;
}

void conf_list(FILE *f, const conf_run *run)
{
    fprintf(f, "devices (%d):\n", run->device_count);
    for (int d = 0; d < run->device_count; d++)
        fprintf(f, "  %-12s %s (%s)\n", run->devices[d].id, run->devices[d].name,
                run->devices[d].driver);
    fprintf(f, "cases (%d, %s):\n", run->case_count, run->opt.full ? "full" : "quick");
    for (int i = 0; i < run->case_count; i++) {
        const tsc_case *c = run->cases[i];
        fprintf(f, "  %-10s %-14s %-5s %s%s\n", c->family, c->op, ts_dtype_name(c->dtype), c->name,
                c->full_only ? "  [full]" : "");
    }
}

/* Ctrl-C during a long GPU run stops after the current case; the table
 * and the files then report what ran. */
static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

void conf_catch_interrupt(int on)
{
    /* A run started with SIGINT ignored (nohup, a background job) keeps it so. */
    if (signal(SIGINT, on ? on_interrupt : SIG_DFL) == SIG_IGN)
        signal(SIGINT, SIG_IGN);
}

int conf_interrupted(void)
{
    return interrupted != 0;
}

void conf_print_header(const conf_run *run)
{
    const conf_options *o = &run->opt;
    printf("tessel %s conformance: %d %s cases x %d device%s, seed %llu\n", ts_version(),
           run->case_count,
           o->case_name ? "selected"
           : o->full    ? "full"
                        : "quick",
           run->device_count, run->device_count == 1 ? "" : "s", (unsigned long long)o->seed);
    fflush(stdout);
}

int conf_run_all(conf_run *run)
{
    if (run->opt.isolate)
        return conf_run_isolated(run);
    conf_print_header(run);
    int total = run->device_count * run->case_count;
    run->results = calloc((size_t)total + 1, sizeof *run->results);
    if (!run->results) {
        fprintf(stderr, "tessel-conformance: out of memory\n");
        return 2;
    }
    double start = conf_now();
    conf_catch_interrupt(1);
    for (int d = 0; d < run->device_count && !interrupted; d++) {
        for (int i = 0; i < run->case_count && !interrupted; i++) {
            conf_result *res = &run->results[run->result_count];
            res->device = d;
            res->c = run->cases[i];
            conf_progress_begin(run, run->result_count, total, d, res->c);
            double t0 = conf_now();
            res->r = tsc_run_case(res->c, run->handles[d], run->opt.seed);
            res->seconds = conf_now() - t0;
            run->result_count++;
            conf_progress_end(run, res);
        }
        conf_progress_device_done(run, d);
    }
    conf_catch_interrupt(0);
    run->seconds = conf_now() - start;
    run->interrupted = interrupted != 0;
    conf_progress_done(run);
    return 0;
}

void conf_run_free(conf_run *run)
{
    free(run->handles);
    free(run->devices);
    free(run->cases);
    free(run->results);
}

conf_counts conf_count(const conf_run *run, int device, const char *family)
{
    conf_counts k = {{0}};
    for (int i = 0; i < run->result_count; i++) {
        const conf_result *r = &run->results[i];
        if ((device >= 0 && r->device != device) || (family && strcmp(r->c->family, family) != 0))
            continue;
        if ((unsigned)r->r.status < CONF_STATUS_COUNT)
            k.n[r->r.status]++;
    }
    return k;
}

int conf_any_failed(const conf_run *run)
{
    if (run->worker_failed)
        return 1;
    for (int i = 0; i < run->result_count; i++)
        if (run->results[i].r.status == TSC_FAIL || run->results[i].r.status == TSC_ERROR)
            return 1;
    return 0;
}

/* ---- reproduction lines --------------------------------------------------- */

typedef struct strbuf {
    char *p;
    size_t len, cap;
} strbuf;

static void sb_put(strbuf *b, const char *s)
{
    for (; *s && b->len + 1 < b->cap; s++)
        b->p[b->len++] = *s;
    b->p[b->len] = '\0';
}

static int shell_safe(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=,+-@%", *s))
            return 0;
    return 1;
}

/* One shell word: as is when safe, else in single quotes ('\'' inside). */
static void sb_word(strbuf *b, const char *s)
{
    if (shell_safe(s)) {
        sb_put(b, s);
        return;
    }
    sb_put(b, "'");
    for (; *s; s++) {
        char one[2] = {*s, '\0'};
        sb_put(b, *s == '\'' ? "'\\''" : one);
    }
    sb_put(b, "'");
}

extern char **environ; /* POSIX: the application declares it */

static int by_name(const void *a, const void *b)
{
    return strcmp(((const conf_env *)a)->name, ((const conf_env *)b)->name);
}

int conf_tessel_env(conf_env *out, int max)
{
    int n = 0;
    for (char **e = environ; e && *e && n < max; e++) {
        const char *eq = strchr(*e, '=');
        if (strncmp(*e, "TESSEL_", 7) != 0 || !eq || (size_t)(eq - *e) >= sizeof out->name ||
            strncmp(*e, "TESSEL_REQUIRE_BACKENDS=", 24) == 0)
            continue;
        snprintf(out[n].name, sizeof out[n].name, "%.*s", (int)(eq - *e), *e);
        out[n++].value = eq + 1;
    }
    qsort(out, (size_t)n, sizeof *out, by_name);
    return n;
}

void conf_repro_command(const conf_run *run, const conf_result *res, char *buf, size_t len)
{
    strbuf b = {buf, 0, len};
    char num[32];
    if (!len)
        return;
    buf[0] = '\0';
    conf_env env[CONF_MAX_ENV];
    int n_env = conf_tessel_env(env, CONF_MAX_ENV);
    for (int i = 0; i < n_env; i++) {
        if (!env[i].value[0])
            continue;
        sb_put(&b, env[i].name);
        sb_put(&b, "=");
        sb_word(&b, env[i].value);
        sb_put(&b, " ");
    }
    sb_word(&b, run->opt.argv0);
    sb_put(&b, " --device ");
    sb_word(&b, run->devices[res->device].id);
    sb_put(&b, " --op ");
    sb_word(&b, res->c->op);
    sb_put(&b, " --case ");
    sb_word(&b, res->c->name);
    snprintf(num, sizeof num, " --seed %llu", (unsigned long long)run->opt.seed);
    sb_put(&b, num);
}
