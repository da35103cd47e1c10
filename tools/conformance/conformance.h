/* tessel-conformance: the run's data shared by the option parser, the
 * runner and the three reports (terminal table, JSON, JUnit XML). The
 * reports only read a finished conf_run, so each can be written, tested
 * and changed on its own. */
#ifndef TESSEL_CONFORMANCE_H
#define TESSEL_CONFORMANCE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <tessel/tessel.h>

#include "registry.h"

#define CONF_MAX_LIST 64

typedef struct conf_options {
    const char *devices[CONF_MAX_LIST]; /* --device; none: every device */
    int device_count;
    const char *ops[CONF_MAX_LIST]; /* --op; none: every op */
    int op_count;
    const char *case_name; /* --case: exact case name, quick or full */
    int full;              /* --full (else --quick) */
    uint64_t seed;
    const char *json_path;
    const char *junit_path;
    int list;    /* --list: print the selection, run nothing */
    int verbose; /* -v: one line per case */
    int isolate; /* run the cases in worker processes (default; --no-isolate) */
    double timeout;  /* --timeout: seconds a case may take in a worker; 0 none */
    int worker_fd;   /* >= 0: this process is a worker writing into this pipe */
    int worker_from; /* a worker's first flat case index */
    const char *argv0;
    int argc; /* the command line, for starting workers */
    char **argv;
} conf_options;

/* 0: options parsed; 1: --help printed (exit 0); 2: usage error printed. */
int conf_parse_options(int argc, char **argv, conf_options *opt);

typedef struct conf_result {
    int device; /* index into conf_run.devices */
    const tsc_case *c;
    tsc_result r;
    double seconds;
} conf_result;

/* Counts per tsc_status (TSC_PASS .. TSC_FTZ). */
#define CONF_STATUS_COUNT 6
typedef struct conf_counts {
    int n[CONF_STATUS_COUNT];
} conf_counts;

typedef struct conf_run {
    conf_options opt;
    ts_device **handles;
    ts_device_info *devices;
    int device_count;
    const tsc_case **cases; /* the selection, registry order */
    int case_count;
    conf_result *results; /* device-major: device d, case i at d * case_count + i */
    int result_count;     /* filled so far */
    double seconds;
    int interrupted; /* SIGINT stopped the run early */
    int worker_restarts; /* workers started after a crash or timeout */
    int worker_failed;   /* a worker ended badly with no case to blame */
} conf_run;

/* ---- selecting and running (run.c); 0 on success, 2 on a usage error ---- */

/* Seconds on the wall clock, for case and run times. */
double conf_now(void);
int conf_select_devices(conf_run *run, ts_context *ctx);
int conf_select_cases(conf_run *run);
void conf_list(FILE *f, const conf_run *run);
/* Prints the header line, then runs every selected case: in worker
 * processes (isolate.c), or in this process with --no-isolate. */
int conf_run_all(conf_run *run);
void conf_print_header(const conf_run *run);
void conf_run_free(conf_run *run);
/* Ctrl-C stops a run after the current case: catch SIGINT (on) or restore
 * the default (off); whether one came. */
void conf_catch_interrupt(int on);
int conf_interrupted(void);

/* ---- worker processes (isolate.c) ------------------------------------------ */

/* A worker's whole life: select what the run selects on ctx, tell the
 * supervisor, run the cases from opt.worker_from; a process exit status. */
int conf_worker(conf_run *run, ts_context *ctx);
/* The supervisor's side of conf_run_all: no context in this process;
 * run->devices come from the first worker. 0, or an exit status when no
 * case could run (2: the worker's usage error, 130: Ctrl-C), or
 * CONF_NO_WORKER: no worker could start (conf_run_all then runs the cases
 * in this process). */
#define CONF_NO_WORKER (-1)
int conf_run_isolated(conf_run *run);
int conf_any_failed(const conf_run *run);

/* Totals of one device (device < 0: all; family NULL: every family). */
conf_counts conf_count(const conf_run *run, int device, const char *family);

/* The TESSEL_* variables set, sorted by name: at most max into out;
 * returns how many. Any of them may change what a case does
 * (TESSEL_GPU_LIMITS, TESSEL_CPU_SIMD, TESSEL_FFT, a test hook, ...), so
 * reports record them and reruns carry them. Not the test suite's
 * TESSEL_REQUIRE_BACKENDS, which the library never reads. */
typedef struct conf_env {
    char name[64];
    const char *value; /* in the environment */
} conf_env;
int conf_tessel_env(conf_env *out, int max);
#define CONF_MAX_ENV 64

/* The shell command that reruns exactly this case on this device, with
 * every TESSEL_* variable of this run. */
void conf_repro_command(const conf_run *run, const conf_result *res, char *buf, size_t len);

/* ---- terminal (report_table.c) ------------------------------------------ */

/* Progress while running: a bar on a TTY, a line per op family otherwise
 * (one line per case with -v); begin runs before a case, end after it.
 * conf_progress_done clears the bar. */
void conf_progress_begin(const conf_run *run, int done, int total, int device, const tsc_case *c);
void conf_progress_end(const conf_run *run, const conf_result *r);
void conf_progress_device_done(const conf_run *run, int device);
void conf_progress_done(const conf_run *run);
/* The device x family table, then one line per failure or error. */
void conf_print_table(FILE *f, const conf_run *run);
void conf_print_failures(FILE *f, const conf_run *run);

/* ---- files (report_json.c, report_junit.c); 0 on success ----------------- */

int conf_write_json(const conf_run *run, const char *path);
int conf_write_junit(const conf_run *run, const char *path);

/* ---- escaping (escape.c) -------------------------------------------------- */

/* A JSON string literal, quotes included. */
void conf_json_string(FILE *f, const char *s);
/* XML character data (attribute != 0: for a quoted attribute value). */
void conf_xml_string(FILE *f, const char *s, int attribute);
/* s made safe for a terminal, into dst (truncated to len): newlines and
 * tabs become spaces, other control bytes and invalid UTF-8 '?'. */
const char *conf_text(char *dst, size_t len, const char *s);
/* JSON number or null (NaN / inf), into buf. */
const char *conf_json_number(double v, char *buf, size_t len);

#endif
