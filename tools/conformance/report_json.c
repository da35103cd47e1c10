/* --json FILE: every result, for dashboards and for diffing two GPUs.
 * Schema (issue 5):
 *   {"version", "run": {"set","seed","environment": {"TESSEL_...": value}},
 *    "devices": [{"id","backend","name","vendor","driver","features"}],
 *    "results": [{"device","op","dtype","case","status","max_abs_err",
 *                 "max_rel_err","tol","seed"}],
 *    "summary": {"<device id>": {"pass","fallback","ftz","fail",
 *                                "unsupported","error"}}}
 * status is "pass", "fallback" (passed through core's composition of an op
 * the device has no kernel for: a pass, counted apart), "ftz" (matched
 * only with f32 subnormals flushed on a device that does not promise to
 * keep them: a documented deviation, docs/numerics.md), "fail",
 * "unsupported" or "error". A NaN or infinite error (an unwritten or non-finite output) is null,
 * since JSON has no NaN. */
#include <math.h>
#include <stdio.h>

#include "conformance.h"

const char *conf_json_number(double v, char *buf, size_t len)
{
    if (!isfinite(v))
        snprintf(buf, len, "null");
    else
        snprintf(buf, len, "%.9g", v);
    return buf;
}

static void write_devices(FILE *f, const conf_run *run)
{
    fputs("  \"devices\": [", f);
    for (int d = 0; d < run->device_count; d++) {
        const ts_device_info *i = &run->devices[d];
        fputs(d ? ",\n    {\"id\": " : "\n    {\"id\": ", f);
        conf_json_string(f, i->id);
        fputs(", \"backend\": ", f);
        conf_json_string(f, i->backend);
        fputs(", \"name\": ", f);
        conf_json_string(f, i->name);
        fputs(", \"vendor\": ", f);
        conf_json_string(f, i->vendor);
        fputs(", \"driver\": ", f);
        conf_json_string(f, i->driver);
        fputs(", \"features\": ", f);
        conf_json_string(f, i->features);
        fputs("}", f);
    }
    fputs("\n  ],\n", f);
}

/* What makes two runs comparable: the case set, the seed and every
 * TESSEL_* variable (TESSEL_GPU_LIMITS=min runs other plans). */
static void write_run(FILE *f, const conf_run *run)
{
    fprintf(f, "  \"run\": {\"set\": \"%s\", \"seed\": %llu, \"environment\": {",
            run->opt.full ? "full" : "quick", (unsigned long long)run->opt.seed);
    conf_env env[CONF_MAX_ENV];
    int n = conf_tessel_env(env, CONF_MAX_ENV);
    for (int i = 0; i < n; i++) {
        fputs(i ? ", " : "", f);
        conf_json_string(f, env[i].name);
        fputs(": ", f);
        conf_json_string(f, env[i].value);
    }
    fputs("}},\n", f);
}

static void write_result(FILE *f, const conf_run *run, const conf_result *r)
{
    char a[40], b[40], t[40];
    fputs("{\"device\": ", f);
    conf_json_string(f, run->devices[r->device].id);
    fputs(", \"op\": ", f);
    conf_json_string(f, r->c->op);
    fputs(", \"dtype\": ", f);
    conf_json_string(f, ts_dtype_name(r->c->dtype));
    fputs(", \"case\": ", f);
    conf_json_string(f, r->c->name);
    fputs(", \"status\": ", f);
    conf_json_string(f, tsc_status_name(r->r.status));
    fprintf(f, ", \"max_abs_err\": %s, \"max_rel_err\": %s, \"tol\": %s, \"seed\": %llu}",
            conf_json_number(r->r.max_abs_err, a, sizeof a),
            conf_json_number(r->r.max_rel_err, b, sizeof b),
            conf_json_number(r->r.tol, t, sizeof t), (unsigned long long)run->opt.seed);
}

static void write_summary(FILE *f, const conf_run *run)
{
    fputs("  \"summary\": {", f);
    for (int d = 0; d < run->device_count; d++) {
        conf_counts k = conf_count(run, d, NULL);
        fputs(d ? ",\n    " : "\n    ", f);
        conf_json_string(f, run->devices[d].id);
        fprintf(f,
                ": {\"pass\": %d, \"fallback\": %d, \"ftz\": %d, \"fail\": %d, "
                "\"unsupported\": %d, \"error\": %d}",
                k.n[TSC_PASS], k.n[TSC_FALLBACK], k.n[TSC_FTZ], k.n[TSC_FAIL],
                k.n[TSC_UNSUPPORTED], k.n[TSC_ERROR]);
    }
    fputs("\n  }\n", f);
}

int conf_write_json(const conf_run *run, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    fputs("{\n  \"version\": ", f);
    conf_json_string(f, ts_version());
    fputs(",\n", f);
    write_run(f, run);
    write_devices(f, run);
    fputs("  \"results\": [", f);
    for (int i = 0; i < run->result_count; i++) {
        fputs(i ? ",\n    " : "\n    ", f);
        write_result(f, run, &run->results[i]);
    }
    fputs("\n  ],\n", f);
    write_summary(f, run);
    fputs("}\n", f);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        perror(path);
        return 1;
    }
    return 0;
}
