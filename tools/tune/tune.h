/* tessel-tune: measures candidate tuning values on one device and writes
 * the winners to the device's tuned file (docs/tuning.md).
 *
 * Three tables drive it, so a new key or value is one line:
 *   - groups (tune_main.c): keys tuned together and the cases that score
 *     them; a group applies to a device whose built-in rows define its
 *     first key (the backend reads it);
 *   - candidates (tune_candidates.c): "key=value ..." sets per group, with
 *     the backends and device kinds they are tried on;
 *   - cases (tune_cases.c): the shape classes, each with a float64
 *     reference a candidate's result must match. */
#ifndef TESSEL_TUNE_H
#define TESSEL_TUNE_H

#include <stdbool.h>
#include <stdint.h>

#include <tessel/tessel.h>

/* ---- candidates ----------------------------------------------------------- */

typedef struct tune_candidate {
    const char *group;    /* "gemm" */
    const char *backends; /* "vulkan opencl"; NULL: any */
    const char *kinds;    /* "cpu": CPU-type devices (cpu, software), "gpu": the
                           * others, NULL: any */
    bool quick;           /* tried by --quick too */
    const char *values;   /* "gemm.bm=64 gemm.bn=64 ..." */
} tune_candidate;

extern const tune_candidate tune_candidates[];
extern const int tune_candidate_count;

bool tune_candidate_fits(const tune_candidate *c, const ts_device_info *info);
/* Is word one of the space-separated words of list? */
bool tune_listed(const char *list, const char *word);

/* ---- cases ----------------------------------------------------------------- */

typedef struct tune_work tune_work; /* a case's tensors and reference */

typedef struct tune_case {
    const char *op;    /* --op name: "matmul", "grouped_matmul", "attention", ... */
    const char *name;  /* "f32.large" */
    const char *group; /* the group it scores */
    bool quick;        /* part of --quick */
    ts_dtype dtype;
    int64_t d[4]; /* shape parameters, per op (tune_cases.c) */
    int variant;  /* per op: causal, fftconv path, ... */
} tune_case;

extern const tune_case tune_cases[];
extern const int tune_case_count;

/* Tensors, inputs and the float64 reference; NULL with why printed. */
tune_work *tune_work_create(const tune_case *c, ts_device *dev);
/* One call of the op plus ts_device_sync; TS_OK or the op's status. */
ts_status tune_work_run(tune_work *w);
/* Compare the last run's output to the reference: true when within the
 * tolerance; *err gets the worst error relative to it (1 = at the limit). */
bool tune_work_check(tune_work *w, double *err);
void tune_work_destroy(tune_work *w);

/* ---- the journal (tune_journal.c) ------------------------------------------- */

/* The candidate in progress, on disk beside the tuned file, and the
 * candidates that ended an earlier run with this driver. */
typedef struct tune_journal {
    bool on; /* false: no cache folder, nothing kept */
    char trying[4200], crashed[4200];
    char driver[128];
    char *list; /* the .crashed file's lines */
} tune_journal;

/* Reads what an earlier run left (saying so on stderr) and arms the journal. */
void tune_journal_open(tune_journal *j, const ts_device_info *info);
/* Did this group's values (or "built-in") end an earlier run? */
bool tune_journal_crashed(const tune_journal *j, const char *group, const char *values);
void tune_journal_begin(const tune_journal *j, const char *group, const char *values);
void tune_journal_end(const tune_journal *j);
void tune_journal_close(tune_journal *j);

#endif
