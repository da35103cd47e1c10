/* What a person sees: a progress bar while running (only on a terminal, so
 * CI logs stay clean), a device x family table of counts, and one line per
 * failure with the command that reruns it. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conformance.h"

/* A CI log with thousands of identical failures helps nobody; the files
 * keep them all. */
#define CONF_MAX_FAILURE_LINES 200
#define CONF_BAR_WIDTH 28
#define CONF_MAX_MESSAGE 300

static int stdout_is_tty(void)
{
    static int tty = -1;
    if (tty < 0)
        tty = isatty(fileno(stdout)) ? 1 : 0;
    return tty;
}

static int terminal_columns(void)
{
    const char *c = getenv("COLUMNS");
    int n = c ? atoi(c) : 0;
    return n >= 40 && n <= 1000 ? n : 80;
}

static void clear_bar(void)
{
    printf("\r%*s\r", terminal_columns() - 1, "");
}

static void print_case_line(const conf_run *run, const conf_result *r)
{
    char name[TSC_NAME_LEN];
    printf("%-10s %-14s %-32s %-11s rel %.3g (tol %.3g) %.3fs\n", run->devices[r->device].id,
           r->c->op, conf_text(name, sizeof name, r->c->name), tsc_status_name(r->r.status),
           r->r.max_rel_err, r->r.tol, r->seconds);
}

/* Before a case runs, so a hang shows which case hangs: the bar names it
 * on a TTY; a log gets a line as each family starts on a device. */
void conf_progress_begin(const conf_run *run, int done, int total, int device, const tsc_case *c)
{
    const char *id = run->devices[device].id;
    if (!stdout_is_tty()) {
        const conf_result *prev = done > 0 ? &run->results[done - 1] : NULL;
        int new_group = !prev || prev->device != device || strcmp(prev->c->family, c->family) != 0;
        if (!run->opt.verbose && new_group) {
            printf("[%d/%d] %s %s\n", done, total, id, c->family);
            fflush(stdout);
        }
        return;
    }
    int filled = total ? (int)((long long)done * CONF_BAR_WIDTH / total) : CONF_BAR_WIDTH;
    char bar[CONF_BAR_WIDTH + 1];
    for (int i = 0; i < CONF_BAR_WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[CONF_BAR_WIDTH] = '\0';
    char line[512], name[TSC_NAME_LEN];
    int n = snprintf(line, sizeof line, "\r[%s] %d/%d  %s  %s %s", bar, done, total, id, c->op,
                     conf_text(name, sizeof name, c->name));
    int width = terminal_columns() - 1;
    if (n > width + 1)
        line[width + 1] = '\0';
    printf("%-*s", width + 1, line);
    fflush(stdout);
}

void conf_progress_end(const conf_run *run, const conf_result *r)
{
    if (!run->opt.verbose)
        return;
    if (stdout_is_tty())
        clear_bar();
    print_case_line(run, r);
}

void conf_progress_device_done(const conf_run *run, int device)
{
    conf_counts k = conf_count(run, device, NULL);
    if (stdout_is_tty())
        clear_bar();
    printf("%s (%s): %d pass, %d fallback, %d ftz, %d fail, %d unsupported, %d error\n",
           run->devices[device].id, run->devices[device].name, k.n[TSC_PASS], k.n[TSC_FALLBACK],
           k.n[TSC_FTZ], k.n[TSC_FAIL], k.n[TSC_UNSUPPORTED], k.n[TSC_ERROR]);
    fflush(stdout);
}

void conf_progress_done(const conf_run *run)
{
    (void)run;
    fflush(stdout);
}

static void print_row(FILE *f, const char *device, const char *family, conf_counts k)
{
    fprintf(f, "%-12s %-14s %6d %8d %6d %6d %6d %6d\n", device, family, k.n[TSC_PASS],
            k.n[TSC_FALLBACK], k.n[TSC_FTZ], k.n[TSC_FAIL], k.n[TSC_UNSUPPORTED], k.n[TSC_ERROR]);
}

void conf_print_table(FILE *f, const conf_run *run)
{
    /* fallback: passed, but through core's composition of an op the device
     * has no kernel for; apart from pass so a missing kernel stays visible.
     * ftz: matched only with f32 subnormals flushed (docs/numerics.md). */
    fprintf(f, "\n%-12s %-14s %6s %8s %6s %6s %6s %6s\n", "device", "family", "pass", "fallback",
            "ftz", "fail", "unsup", "error");
    for (int d = 0; d < run->device_count; d++) {
        for (int i = 0; i < tsc_family_count(); i++) {
            const char *fam = tsc_family_name(i);
            conf_counts k = conf_count(run, d, fam);
            if (k.n[0] + k.n[1] + k.n[2] + k.n[3] + k.n[4] + k.n[5] > 0)
                print_row(f, run->devices[d].id, fam, k);
        }
        print_row(f, run->devices[d].id, "(all)", conf_count(run, d, NULL));
        if (d + 1 < run->device_count)
            fputc('\n', f);
    }
}

static void print_failure(FILE *f, const conf_run *run, const conf_result *r)
{
    /* The message is cut so each failure stays one line; the files keep
     * it whole. */
    char repro[1024], safe[1024], name[TSC_NAME_LEN], msg[CONF_MAX_MESSAGE];
    conf_repro_command(run, r, repro, sizeof repro);
    conf_text(msg, sizeof msg, r->r.message[0] ? r->r.message : "no message");
    for (size_t n = strlen(msg); n > 0 && msg[n - 1] == ' '; n--)
        msg[n - 1] = '\0';
    fprintf(f, "%s %s %s [%s]: ", r->r.status == TSC_FAIL ? "FAIL" : "ERROR",
            run->devices[r->device].id, r->c->op, conf_text(name, sizeof name, r->c->name));
    if (r->r.status == TSC_FAIL)
        fprintf(f, "max_rel_err %.3g > tol %.3g (max_abs_err %.3g); ", r->r.max_rel_err, r->r.tol,
                r->r.max_abs_err);
    fprintf(f, "%s | rerun: %s\n", msg, conf_text(safe, sizeof safe, repro));
}

void conf_print_failures(FILE *f, const conf_run *run)
{
    int shown = 0, total = 0;
    for (int i = 0; i < run->result_count; i++) {
        const conf_result *r = &run->results[i];
        if (r->r.status != TSC_FAIL && r->r.status != TSC_ERROR)
            continue;
        if (total++ == 0)
            fputc('\n', f);
        if (shown < CONF_MAX_FAILURE_LINES) {
            print_failure(f, run, r);
            shown++;
        }
    }
    if (total > shown)
        fprintf(f, "... and %d more failures (every one is in the --json / --junit files)\n",
                total - shown);
}
