/* Command-line options of tessel-conformance. Both "--op add" and
 * "--op=add" are accepted so reproduction lines paste into any shell. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tool_log.h"
#include "conformance.h"

/* Fixed by default so two CI runs of the same tree check the same inputs;
 * --seed explores others. */
#define CONF_DEFAULT_SEED 20240611u

static const char usage_text[] =
    "usage: tessel-conformance [options]\n"
    "Checks every op, dtype and shape of the case registry on every device\n"
    "against a float64 reference.\n"
    "\n"
    "  --device ID     run on this device (\"cpu:0\", \"vulkan:1\") or on every\n"
    "                  device of a backend (\"opencl\"); repeatable;\n"
    "                  default: every device found\n"
    "  --op NAME       only ops whose name starts with NAME, or the family NAME\n"
    "                  (\"--op reduce\"); repeatable\n"
    "  --case NAME     only the case with exactly this name (quick or full)\n"
    "  --quick         the CI-sized case set (default)\n"
    "  --full          every case: more shapes, larger sizes\n"
    "  --seed N        seed of the random inputs (default %u)\n"
    "  --json FILE     write every result as JSON\n"
    "  --junit FILE    write JUnit XML (one testsuite per device)\n"
    "  --list          print the devices and cases that would run, run nothing\n"
    "  --timeout S     a case that gives no result within S seconds is an error\n"
    "                  (its worker process is killed; default: no limit)\n"
    "  --no-isolate    run the cases in this process (for a debugger); by\n"
    "                  default they run in a worker process, so that a driver\n"
    "                  that crashes or hangs costs one case, reported as an\n"
    "                  error, and a new worker goes on with the next\n"
    "  -v, --verbose   one line per case\n" TOOL_LOG_USAGE "  -h, --help      this text\n"
    "\n"
    "Exit status: 0 when no case failed or errored, 1 when one did, 2 on a\n"
    "usage error, 130 when Ctrl-C stopped the run (reports hold what ran).\n"
    "Every TESSEL_* variable applies (TESSEL_BACKENDS, TESSEL_MODULE_PATH,\n"
    "TESSEL_GPU_LIMITS, TESSEL_VULKAN_VALIDATION, ...); the JSON report\n"
    "records them and each rerun line carries them.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fputs("tessel-conformance: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n(see tessel-conformance --help)\n", stderr);
    return 2;
}

/* "--name value" or "--name=value"; *value NULL when this is not --name. */
static int option_value(int argc, char **argv, int *i, const char *name, const char **value)
{
    size_t n = strlen(name);
    *value = NULL;
    if (strncmp(argv[*i], name, n) != 0)
        return 0;
    if (argv[*i][n] == '=') {
        *value = argv[*i] + n + 1;
        return 0;
    }
    if (argv[*i][n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return usage_error("%s needs a value", name);
    *value = argv[++*i];
    return 0;
}

static int push(const char **list, int *count, const char *value, const char *name)
{
    if (*count >= CONF_MAX_LIST)
        return usage_error("too many %s options", name);
    if (!*value)
        return usage_error("%s needs a non-empty value", name);
    list[(*count)++] = value;
    return 0;
}

static int parse_seed(const char *s, uint64_t *seed)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end || s[0] == '-')
        return usage_error("--seed wants a non-negative integer, not '%s'", s);
    *seed = (uint64_t)v;
    return 0;
}

static int parse_timeout(const char *s, double *timeout)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= 0) || v > 1e6)
        return usage_error("--timeout wants seconds from 0 (no limit) to 1e6, not '%s'", s);
    *timeout = v;
    return 0;
}

/* The hidden options of a worker process (isolate.c). */
static int parse_int(const char *s, const char *name, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > INT32_MAX)
        return usage_error("%s wants a non-negative integer", name);
    *out = (int)v;
    return 0;
}

static int parse_one(int argc, char **argv, int *i, conf_options *opt)
{
    const char *a = argv[*i], *v;
    int rc;
    if (strcmp(a, "--quick") == 0) {
        opt->full = 0;
        return 0;
    }
    if (strcmp(a, "--full") == 0) {
        opt->full = 1;
        return 0;
    }
    if (strcmp(a, "--list") == 0) {
        opt->list = 1;
        return 0;
    }
    if (strcmp(a, "--no-isolate") == 0) {
        opt->isolate = 0;
        return 0;
    }
    if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
        opt->verbose = 1;
        return 0;
    }
    if ((rc = option_value(argc, argv, i, "--device", &v)) || v)
        return rc ? rc : push(opt->devices, &opt->device_count, v, "--device");
    if ((rc = option_value(argc, argv, i, "--op", &v)) || v)
        return rc ? rc : push(opt->ops, &opt->op_count, v, "--op");
    if ((rc = option_value(argc, argv, i, "--case", &v)) || v) {
        opt->case_name = v;
        return rc;
    }
    if ((rc = option_value(argc, argv, i, "--seed", &v)) || v)
        return rc ? rc : parse_seed(v, &opt->seed);
    if ((rc = option_value(argc, argv, i, "--timeout", &v)) || v)
        return rc ? rc : parse_timeout(v, &opt->timeout);
    if ((rc = option_value(argc, argv, i, "--worker-fd", &v)) || v)
        return rc ? rc : parse_int(v, "--worker-fd", &opt->worker_fd);
    if ((rc = option_value(argc, argv, i, "--worker-from", &v)) || v)
        return rc ? rc : parse_int(v, "--worker-from", &opt->worker_from);
    if ((rc = option_value(argc, argv, i, "--json", &v)) || v) {
        opt->json_path = v;
        return rc;
    }
    if ((rc = option_value(argc, argv, i, "--junit", &v)) || v) {
        opt->junit_path = v;
        return rc;
    }
    if ((rc = option_value(argc, argv, i, "--log", &v)) || v) {
        if (!rc && tool_log_start("tessel-conformance", v) != 0)
            return usage_error("--log wants debug, info, warn or error, not '%s'", v);
        return rc;
    }
    return usage_error("unknown option '%s'", a);
}

int conf_parse_options(int argc, char **argv, conf_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->seed = CONF_DEFAULT_SEED;
    opt->argv0 = argc > 0 ? argv[0] : "tessel-conformance";
    opt->argc = argc;
    opt->argv = argv;
    opt->isolate = 1;
    opt->worker_fd = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            printf(usage_text, CONF_DEFAULT_SEED);
            return 1;
        }
        int rc = parse_one(argc, argv, &i, opt);
        if (rc)
            return rc;
    }
    if (opt->timeout > 0 && !opt->isolate)
        return usage_error("%s: a timeout needs the worker process (drop --no-isolate)",
                           "--timeout");
    return 0;
}
