/* --junit FILE: JUnit XML as CI systems (GitLab, Jenkins, GitHub test
 * reporters) read it: one <testsuite> per device, one <testcase> per case
 * (classname "<device>.<op>", name the case), <failure> for a wrong output,
 * <error> for a case that could not run, <skipped> for unsupported, each
 * carrying the message and the command that reruns the case. A `fallback`
 * case passed (JUnit has no other outcome for it), so it is a plain passing
 * testcase whose <system-out> says it ran as core's composition. */
#include <stdio.h>
#include <string.h>

#include "conformance.h"

static void attr(FILE *f, const char *name, const char *value)
{
    fprintf(f, " %s=\"", name);
    conf_xml_string(f, value, 1);
    fputc('"', f);
}

static void property(FILE *f, const char *name, const char *value)
{
    fputs("      <property", f);
    attr(f, "name", name);
    attr(f, "value", value);
    fputs("/>\n", f);
}

static double device_seconds(const conf_run *run, int device)
{
    double s = 0;
    for (int i = 0; i < run->result_count; i++)
        if (run->results[i].device == device)
            s += run->results[i].seconds;
    return s;
}

static void write_outcome(FILE *f, const conf_run *run, const conf_result *r)
{
    char head[sizeof r->r.message], repro[1024];
    conf_repro_command(run, r, repro, sizeof repro);
    switch (r->r.status) {
    case TSC_PASS:
        return;
    case TSC_FALLBACK:
    case TSC_FTZ: /* a documented device deviation: not a failure */
        fprintf(f, "      <system-out>%s: ", tsc_status_name(r->r.status));
        conf_xml_string(f, r->r.message, 0);
        fputs("</system-out>\n", f);
        return;
    case TSC_UNSUPPORTED:
        fputs("      <skipped", f);
        attr(f, "message", r->r.message[0] ? r->r.message : "unsupported on this device");
        fputs("/>\n", f);
        return;
    case TSC_FAIL:
        snprintf(head, sizeof head, "max_rel_err %.6g > tol %.6g (max_abs_err %.6g)",
                 r->r.max_rel_err, r->r.tol, r->r.max_abs_err);
        fputs("      <failure type=\"fail\"", f);
        attr(f, "message", head);
        break;
    default:
        snprintf(head, sizeof head, "%s", r->r.message[0] ? r->r.message : "error");
        head[strcspn(head, "\n")] = '\0'; /* the first line; the body has all */
        fputs("      <error type=\"error\"", f);
        attr(f, "message", head);
        break;
    }
    fputc('>', f);
    conf_xml_string(f, r->r.message, 0);
    fputs("\nrerun: ", f);
    conf_xml_string(f, repro, 0);
    fputs(r->r.status == TSC_FAIL ? "</failure>\n" : "</error>\n", f);
}

static void write_case(FILE *f, const conf_run *run, const conf_result *r)
{
    char classname[160], seconds[32];
    snprintf(classname, sizeof classname, "%s.%s", run->devices[r->device].id, r->c->op);
    snprintf(seconds, sizeof seconds, "%.6f", r->seconds);
    fputs("    <testcase", f);
    attr(f, "classname", classname);
    attr(f, "name", r->c->name);
    attr(f, "time", seconds);
    if (r->r.status == TSC_PASS) {
        fputs("/>\n", f);
        return;
    }
    fputs(">\n", f);
    write_outcome(f, run, r);
    fputs("    </testcase>\n", f);
}

static void write_suite(FILE *f, const conf_run *run, int d)
{
    const ts_device_info *info = &run->devices[d];
    conf_counts k = conf_count(run, d, NULL);
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)run->opt.seed);
    fputs("  <testsuite", f);
    attr(f, "name", info->id);
    fprintf(f, " tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\">\n",
            k.n[TSC_PASS] + k.n[TSC_FALLBACK] + k.n[TSC_FTZ] + k.n[TSC_FAIL] +
                k.n[TSC_UNSUPPORTED] + k.n[TSC_ERROR],
            k.n[TSC_FAIL], k.n[TSC_ERROR], k.n[TSC_UNSUPPORTED], device_seconds(run, d));
    fputs("    <properties>\n", f);
    property(f, "backend", info->backend);
    property(f, "name", info->name);
    property(f, "vendor", info->vendor);
    property(f, "driver", info->driver);
    property(f, "features", info->features);
    property(f, "tessel_version", ts_version());
    property(f, "seed", seed);
    property(f, "set", run->opt.full ? "full" : "quick");
    conf_env env[CONF_MAX_ENV];
    int n_env = conf_tessel_env(env, CONF_MAX_ENV);
    for (int i = 0; i < n_env; i++)
        property(f, env[i].name, env[i].value);
    fputs("    </properties>\n", f);
    for (int i = 0; i < run->result_count; i++)
        if (run->results[i].device == d)
            write_case(f, run, &run->results[i]);
    fputs("  </testsuite>\n", f);
}

int conf_write_junit(const conf_run *run, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    conf_counts all = conf_count(run, -1, NULL);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fprintf(f,
            "<testsuites name=\"tessel-conformance\" tests=\"%d\" failures=\"%d\" errors=\"%d\" "
            "skipped=\"%d\" time=\"%.3f\">\n",
            all.n[TSC_PASS] + all.n[TSC_FALLBACK] + all.n[TSC_FTZ] + all.n[TSC_FAIL] +
                all.n[TSC_UNSUPPORTED] + all.n[TSC_ERROR],
            all.n[TSC_FAIL], all.n[TSC_ERROR], all.n[TSC_UNSUPPORTED], run->seconds);
    for (int d = 0; d < run->device_count; d++)
        write_suite(f, run, d);
    fputs("</testsuites>\n", f);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        perror(path);
        return 1;
    }
    return 0;
}
