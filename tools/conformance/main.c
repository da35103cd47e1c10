/* tessel-conformance: runs the shared case registry (tests/cases) on every
 * device tessel finds, or on those named, and reports a table, one
 * reproduction line per failure, and optionally JSON and JUnit XML.
 * Exit status 0 only when no case failed or errored (unsupported cases are
 * counted, never passed; `fallback` cases passed through core's composition
 * of an op the device has no kernel for, and count as passing; `ftz`
 * cases matched only with f32 subnormals flushed, on a device that does
 * not promise to keep them: a documented deviation, not a failure). */
#include <stdbool.h>
#include <stdio.h>

#include "conformance.h"

static int write_reports(const conf_run *run)
{
    int rc = 0;
    if (run->opt.json_path && conf_write_json(run, run->opt.json_path) != 0)
        rc = 2;
    if (run->opt.junit_path && conf_write_junit(run, run->opt.junit_path) != 0)
        rc = 2;
    return rc;
}

static void print_summary(const conf_run *run)
{
    conf_counts all = conf_count(run, -1, NULL);
    if (run->interrupted)
        printf("\ninterrupted: %d of %d cases ran\n", run->result_count,
               run->case_count * run->device_count);
    printf("\n%d cases on %d device%s in %.2f s (seed %llu): %d pass, %d fallback, %d ftz, "
           "%d fail, %d unsupported, %d error\n",
           run->case_count, run->device_count, run->device_count == 1 ? "" : "s", run->seconds,
           (unsigned long long)run->opt.seed, all.n[TSC_PASS], all.n[TSC_FALLBACK], all.n[TSC_FTZ],
           all.n[TSC_FAIL], all.n[TSC_UNSUPPORTED], all.n[TSC_ERROR]);
    if (run->worker_restarts)
        printf("worker processes restarted %d time%s after a crash or timeout (the errors "
               "above)\n",
               run->worker_restarts, run->worker_restarts == 1 ? "" : "s");
    if (run->opt.json_path)
        printf("json:  %s\n", run->opt.json_path);
    if (run->opt.junit_path)
        printf("junit: %s\n", run->opt.junit_path);
}

static int open_context(ts_context **ctx)
{
    ts_status st = ts_context_create(ctx);
    if (st == TS_OK)
        return 0;
    fprintf(stderr, "tessel-conformance: cannot create a context: %s: %s\n", ts_status_str(st),
            ts_last_error(NULL));
    return 2;
}

/* Select and run. An isolated run (the default) leaves the devices to its
 * workers and creates no context here, unless no worker can start (qemu
 * user emulation): then the cases run in this process. */
static int run_selected(conf_run *run, ts_context **ctx)
{
    bool here = !run->opt.isolate || run->opt.list;
    int rc = here ? open_context(ctx) : 0;
    if (!rc && here)
        rc = conf_select_devices(run, *ctx);
    if (!rc)
        rc = conf_select_cases(run);
    if (rc)
        return rc;
    if (run->opt.list) {
        conf_list(stdout, run);
        return 0;
    }
    rc = conf_run_all(run);
    if (rc == CONF_NO_WORKER) {
        fprintf(stderr, "tessel-conformance: running the cases in this process instead%s\n",
                run->opt.timeout > 0 ? " (no --timeout there)" : "");
        run->opt.isolate = 0;
        rc = open_context(ctx);
        if (!rc)
            rc = conf_select_devices(run, *ctx);
        if (!rc)
            rc = conf_run_all(run);
    }
    if (rc)
        return rc;
    conf_print_table(stdout, run);
    conf_print_failures(stdout, run);
    print_summary(run);
    rc = write_reports(run);
    if (rc)
        return rc;
    if (run->interrupted)
        return 130; /* as a shell reports a SIGINT */
    return conf_any_failed(run) ? 1 : 0;
}

int main(int argc, char **argv)
{
    conf_run run = {0};
    int rc = conf_parse_options(argc, argv, &run.opt);
    if (rc)
        return rc == 1 ? 0 : rc;
    ts_context *ctx = NULL;
    if (run.opt.worker_fd >= 0) {
        rc = open_context(&ctx);
        if (!rc)
            rc = conf_worker(&run, ctx);
    } else {
        rc = run_selected(&run, &ctx);
    }
    fflush(stdout);
    conf_run_free(&run);
    ts_context_destroy(ctx);
    return rc;
}
