/* Running the cases in a worker process (the default; --no-isolate runs
 * them in this one). Drivers crash and hang: a segfault in a shader
 * compiler, an abort inside an ICD, a kernel that never returns. In one
 * process that ends the run with no report; here it ends only the worker.
 * The case it was running is reported as an error naming the signal (or
 * the --timeout that passed), and a new worker goes on with the next case.
 *
 * The worker is this program started again with the run's own arguments
 * plus --worker-fd N --worker-from K. It creates the context (this
 * process loads no driver), selects the same devices and cases, and
 * writes fixed-size records into pipe N: a hello with the device count,
 * case count and each device's info, then a begin and an end record per
 * case, from flat index K (device-major, as conf_run.results) on. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conformance.h"

extern char **environ;

enum { REC_HELLO, REC_DEVICE, REC_BEGIN, REC_END };

typedef struct conf_record {
    int32_t kind;
    int32_t index;  /* hello: devices; device: its index; begin, end: flat case index */
    int32_t cases;  /* hello: selected cases */
    double seconds; /* end: the case's run time */
    union {
        tsc_result r;        /* end */
        ts_device_info info; /* device */
    } u;
} conf_record;

/* ---- the worker ------------------------------------------------------------ */

static int put(int fd, const conf_record *rec)
{
    const char *p = (const char *)rec;
    size_t left = sizeof *rec;
    while (left) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        left -= (size_t)n;
    }
    return 0;
}

int conf_worker(conf_run *run, ts_context *ctx)
{
    int fd = run->opt.worker_fd;
    int rc = conf_select_devices(run, ctx);
    if (!rc)
        rc = conf_select_cases(run);
    if (rc)
        return rc;
    conf_record rec = {.kind = REC_HELLO, .index = run->device_count, .cases = run->case_count};
    if (put(fd, &rec))
        return 3;
    for (int d = 0; d < run->device_count; d++) {
        rec = (conf_record){.kind = REC_DEVICE, .index = d, .u.info = run->devices[d]};
        if (put(fd, &rec))
            return 3;
    }
    conf_catch_interrupt(1);
    int total = run->device_count * run->case_count;
    for (int k = run->opt.worker_from; k < total && !conf_interrupted(); k++) {
        rec = (conf_record){.kind = REC_BEGIN, .index = k};
        if (put(fd, &rec))
            return 3;
        double t0 = conf_now();
        rec.u.r = tsc_run_case(run->cases[k % run->case_count], run->handles[k / run->case_count],
                               run->opt.seed);
        rec.kind = REC_END;
        rec.seconds = conf_now() - t0;
        if (put(fd, &rec))
            return 3;
    }
    conf_catch_interrupt(0);
    return 0;
}

/* ---- the supervisor --------------------------------------------------------- */

typedef struct worker {
    pid_t pid;
    int fd; /* read end */
    int said_hello, devices_seen;
    int ready; /* its hello and every device record arrived */
} worker;

/* Start a worker at flat index `from`: this executable (/proc/self/exe
 * where there is one, else argv[0] on PATH) with the run's arguments. */
static int spawn(const conf_run *run, int from, worker *w)
{
    int p[2];
    if (pipe(p) != 0) {
        fprintf(stderr, "tessel-conformance: pipe: %s\n", strerror(errno));
        return -1;
    }
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    char fd_arg[16], from_arg[16];
    snprintf(fd_arg, sizeof fd_arg, "%d", p[1]);
    snprintf(from_arg, sizeof from_arg, "%d", from);
    int argc = run->opt.argc;
    char **argv = calloc((size_t)argc + 5, sizeof *argv);
    if (!argv) {
        close(p[0]);
        close(p[1]);
        fprintf(stderr, "tessel-conformance: out of memory\n");
        return -1;
    }
    for (int i = 0; i < argc; i++)
        argv[i] = run->opt.argv[i];
    argv[argc] = "--worker-fd";
    argv[argc + 1] = fd_arg;
    argv[argc + 2] = "--worker-from";
    argv[argc + 3] = from_arg;
    int err = posix_spawn(&w->pid, "/proc/self/exe", NULL, NULL, argv, environ);
    if (err)
        err = posix_spawnp(&w->pid, argv[0], NULL, NULL, argv, environ);
    free(argv);
    close(p[1]);
    if (err) {
        close(p[0]);
        fprintf(stderr, "tessel-conformance: cannot start a worker process (%s): %s\n",
                run->opt.argv[0], strerror(err));
        return -1;
    }
    w->fd = p[0];
    return 0;
}

/* 1: a whole record; 0: end of file; -1: interrupted or timed out (poll). */
static int get(worker *w, conf_record *rec, int timeout_ms)
{
    struct pollfd pf = {.fd = w->fd, .events = POLLIN};
    int n = poll(&pf, 1, timeout_ms);
    if (n <= 0)
        return -1;
    char *p = (char *)rec;
    size_t got = 0;
    while (got < sizeof *rec) {
        ssize_t r = read(w->fd, p + got, sizeof *rec - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return 0; /* a torn record is the end of a dead worker */
        got += (size_t)r;
    }
    return 1;
}

/* Wait for the worker to end; its wait status. */
static int reap(worker *w)
{
    int status = 0;
    close(w->fd);
    while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
        ;
    return status;
}

static void describe(int status, char *buf, size_t len)
{
    if (WIFSIGNALED(status))
        snprintf(buf, len, "died from signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
}

static void record(conf_run *run, int k, const tsc_result *r, double seconds)
{
    conf_result *res = &run->results[k];
    res->device = k / run->case_count;
    res->c = run->cases[k % run->case_count];
    res->r = *r;
    res->seconds = seconds;
    run->result_count = k + 1;
    conf_progress_end(run, res);
    if ((k + 1) % run->case_count == 0)
        conf_progress_device_done(run, res->device);
}

static void record_error(conf_run *run, int k, double seconds, const char *what)
{
    tsc_result r;
    memset(&r, 0, sizeof r);
    r.status = TSC_ERROR;
    int last = k + 1 == run->device_count * run->case_count;
    snprintf(r.message, sizeof r.message,
             "%s%s (--no-isolate runs it in one process, for a debugger)", what,
             last ? "" : "; the run went on in a new process");
    record(run, k, &r, seconds);
}

/* The hello and device records: the worker's selection must be this
 * process's (same arguments). The first worker's devices fill
 * run->devices; a later worker's must be the same. */
static int take_hello(conf_run *run, worker *w, const conf_record *rec)
{
    if (rec->kind == REC_HELLO) {
        if (w->said_hello || rec->cases != run->case_count || rec->index < 1 ||
            (run->devices && rec->index != run->device_count))
            return -1;
        w->said_hello = 1;
        if (!run->devices) {
            run->devices = calloc((size_t)rec->index, sizeof *run->devices);
            run->results =
                calloc((size_t)rec->index * (size_t)run->case_count + 1, sizeof *run->results);
            if (!run->devices || !run->results)
                return -1;
            run->device_count = rec->index;
        }
        return 0;
    }
    if (rec->kind != REC_DEVICE || !w->said_hello || rec->index != w->devices_seen)
        return -1;
    ts_device_info *mine = &run->devices[rec->index];
    if (mine->id[0] && strncmp(mine->id, rec->u.info.id, sizeof mine->id) != 0)
        return -1;
    *mine = rec->u.info;
    /* Strings as the worker wrote them, ended here all the same. */
    mine->id[sizeof mine->id - 1] = mine->backend[sizeof mine->backend - 1] = '\0';
    mine->name[sizeof mine->name - 1] = mine->vendor[sizeof mine->vendor - 1] = '\0';
    mine->driver[sizeof mine->driver - 1] = mine->features[sizeof mine->features - 1] = '\0';
    w->ready = ++w->devices_seen == run->device_count;
    return 0;
}

/* How a worker ended, beyond the cases it reported. */
typedef enum worker_end {
    END_OK,
    END_FAILED_AFTER, /* ran its last case, then failed: no case to blame */
    END_STOP,         /* the run cannot go on (said why) */
    END_USAGE,        /* a usage error before any case (the worker said why) */
    END_NO_WORKER,    /* none could start (qemu user emulation, valgrind) */
} worker_end;

/* Run one worker from flat index `from` until it ends or is killed.
 * Returns the next index to run, or -1 with *end saying why there is
 * none. */
static int supervise(conf_run *run, int from, worker_end *end)
{
    worker w = {0};
    *end = END_OK;
    if (spawn(run, from, &w) != 0) {
        *end = END_NO_WORKER;
        return -1;
    }
    int next = from, in_flight = -1, forwarded = 0;
    double begun = conf_now(); /* of the case in flight, or of the worker's start */
    for (;;) {
        if (conf_interrupted() && !forwarded) {
            kill(w.pid, SIGINT); /* it stops after its case, as this process would */
            forwarded = 1;
        }
        /* The timeout covers a case, and a worker's start (a driver can
         * hang creating its device too). */
        int timed = run->opt.timeout > 0 && (in_flight >= 0 || !w.ready);
        int wait_ms = -1;
        if (timed) {
            double left = run->opt.timeout - (conf_now() - begun);
            wait_ms = left > 0 ? (int)(left * 1000) + 1 : 0;
        }
        conf_record rec;
        int got = get(&w, &rec, wait_ms);
        if (got < 0) {
            if (!timed || conf_now() - begun < run->opt.timeout)
                continue; /* a signal (Ctrl-C) woke poll */
            kill(w.pid, SIGKILL);
            reap(&w);
            if (in_flight < 0) {
                fprintf(stderr,
                        "tessel-conformance: a worker process listed no devices within "
                        "%g s (--timeout)\n",
                        run->opt.timeout);
                *end = END_STOP;
                return -1;
            }
            char what[160];
            snprintf(what, sizeof what,
                     "timed out: no result after %g s (--timeout), the worker process was killed",
                     run->opt.timeout);
            record_error(run, in_flight, conf_now() - begun, what);
            return in_flight + 1;
        }
        if (got == 0)
            break;
        if (!w.ready) {
            if (take_hello(run, &w, &rec) != 0) {
                kill(w.pid, SIGKILL);
                reap(&w);
                fprintf(stderr, "tessel-conformance: a worker process selected other devices or "
                                "cases than this one\n");
                *end = END_STOP;
                return -1;
            }
            if (w.ready && from == 0)
                conf_print_header(run);
            continue;
        }
        int total = run->device_count * run->case_count;
        if (rec.kind == REC_BEGIN && rec.index == next && next < total) {
            in_flight = next;
            begun = conf_now();
            conf_progress_begin(run, in_flight, total, in_flight / run->case_count,
                                run->cases[in_flight % run->case_count]);
        } else if (rec.kind == REC_END && rec.index == in_flight) {
            rec.u.r.message[sizeof rec.u.r.message - 1] = '\0';
            record(run, in_flight, &rec.u.r, rec.seconds);
            next = in_flight + 1;
            in_flight = -1;
        }
    }
    int status = reap(&w);
    char how[96];
    describe(status, how, sizeof how);
    if (!w.ready) {
        /* A usage error (an unknown device: the worker said so, exit 2),
         * or no worker here (qemu user emulation cannot start one). */
        if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
            *end = END_USAGE;
        } else {
            *end = conf_interrupted() ? END_STOP : END_NO_WORKER;
            if (!conf_interrupted())
                fprintf(stderr, "tessel-conformance: the worker process %s before running a case\n",
                        how);
        }
        return -1;
    }
    char what[160];
    if (in_flight >= 0) {
        snprintf(what, sizeof what, "crashed: the worker process %s while running this case", how);
        record_error(run, in_flight, conf_now() - begun, what);
        return in_flight + 1;
    }
    int total = run->device_count * run->case_count;
    if (next < total && !conf_interrupted()) {
        /* Ended between cases: blame the next one, so the run moves on. */
        snprintf(what, sizeof what, "the worker process %s before this case began", how);
        conf_progress_begin(run, next, total, next / run->case_count,
                            run->cases[next % run->case_count]);
        record_error(run, next, 0, what);
        return next + 1;
    }
    /* After its last case: a sanitizer's report at exit, a crash in a
     * driver's teardown. */
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) && !conf_interrupted()) {
        *end = END_FAILED_AFTER;
        fprintf(stderr, "tessel-conformance: the worker process %s after its last case\n", how);
    }
    return next;
}

int conf_run_isolated(conf_run *run)
{
    double start = conf_now();
    int next = 0, failed = 0;
    conf_catch_interrupt(1);
    for (;;) {
        worker_end end;
        int at = supervise(run, next, &end);
        if (at < 0) {
            if (!run->devices) {
                conf_catch_interrupt(0);
                if (conf_interrupted())
                    return 130;
                return end == END_NO_WORKER ? CONF_NO_WORKER : 2;
            }
            failed = 1;
            break;
        }
        failed = end == END_FAILED_AFTER;
        if (at >= run->device_count * run->case_count || conf_interrupted())
            break;
        next = at;
        run->worker_restarts++;
    }
    conf_catch_interrupt(0);
    run->seconds = conf_now() - start;
    run->interrupted = conf_interrupted();
    run->worker_failed = failed;
    if (run->interrupted && run->result_count % run->case_count != 0)
        conf_progress_device_done(run, run->result_count / run->case_count);
    conf_progress_done(run);
    return 0;
}
