/* The API fuzzer without libFuzzer (any compiler): runs every file of the
 * seed corpus, then --random N inputs from a seeded generator, and prints
 * one summary line. Everything else on stdout or stderr is a failure: the
 * ctest wrapper (run_replay.cmake) checks that the library printed nothing.
 *
 *     tessel-fuzz-replay [--random N] [--seed S] [--max-len L] [--timeout S]
 *                        [--keep-going] [PATH...]
 *
 * PATH: an input file or a folder of them. On a broken rule or a hang
 * (--timeout seconds per input, default 20) the input is named (file, or
 * the seed and index of a random one) and the exit status is 1; with
 * --keep-going the other inputs still run (a hang still ends the run). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_fuzz.h"

#define REPLAY_MAX_INPUT 4096

static char g_current[1024]; /* the input running now, for the alarm */
static int g_keep_going, g_broken;

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "tessel-fuzz-replay: input hangs: ";
    if (write(2, msg, sizeof msg - 1) < 0 || write(2, g_current, strlen(g_current)) < 0 ||
        write(2, "\n", 1) < 0)
        _exit(3);
    _exit(2);
}

static int run_one(const uint8_t *data, size_t size, unsigned timeout)
{
    const char *why = NULL;
    alarm(timeout);
    int rc = tsf_run(data, size, &why);
    alarm(0);
    if (rc != 0) {
        fprintf(stderr, "tessel-fuzz-replay: %s: %s\n", g_current, why);
        g_broken++;
    }
    return g_keep_going ? 0 : rc;
}

static int run_file(const char *path, unsigned timeout, long *files)
{
    static uint8_t buf[REPLAY_MAX_INPUT];
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "tessel-fuzz-replay: cannot open %s\n", path);
        return 1;
    }
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    snprintf(g_current, sizeof g_current, "%s", path);
    (*files)++;
    return run_one(buf, n, timeout);
}

static int run_path(const char *path, unsigned timeout, long *files)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        fprintf(stderr, "tessel-fuzz-replay: no such input %s\n", path);
        return 1;
    }
    if (!S_ISDIR(sb.st_mode))
        return run_file(path, timeout, files);
    struct dirent **names;
    int n = scandir(path, &names, NULL, alphasort), rc = 0;
    for (int i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.' && rc == 0) {
            char full[2048];
            snprintf(full, sizeof full, "%s/%s", path, names[i]->d_name);
            rc = run_file(full, timeout, files);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    long random_inputs = 0;
    unsigned long long seed = 1;
    size_t max_len = 256;
    unsigned timeout = 20;
    signal(SIGALRM, on_alarm);
    if (tsf_init() != 0) {
        fprintf(stderr, "tessel-fuzz-replay: no context or device\n");
        return 1;
    }
    long files = 0;
    int rc = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        if (strcmp(argv[i], "--random") == 0 && i + 1 < argc)
            random_inputs = atol(argv[++i]);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--max-len") == 0 && i + 1 < argc)
            max_len = (size_t)atol(argv[++i]);
        else if (strcmp(argv[i], "--keep-going") == 0)
            g_keep_going = 1;
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
            timeout = (unsigned)atoi(argv[++i]);
        else
            rc = run_path(argv[i], timeout, &files);
    }
    if (max_len < 1 || max_len > REPLAY_MAX_INPUT)
        max_len = REPLAY_MAX_INPUT;
    static uint8_t buf[REPLAY_MAX_INPUT];
    for (long i = 0; i < random_inputs && rc == 0; i++) {
        /* splitmix64 per input: input i of seed s is reproducible alone. */
        unsigned long long x = seed * 0x9E3779B97F4A7C15ull + (unsigned long long)i;
        size_t n = 0;
        for (size_t j = 0; j == 0 || j < n; j++) {
            x += 0x9E3779B97F4A7C15ull;
            unsigned long long z = x;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            z ^= z >> 31;
            if (j == 0)
                n = 1 + (size_t)(z % max_len);
            buf[j] = (uint8_t)z;
        }
        snprintf(g_current, sizeof g_current, "random input %ld of --seed %llu --max-len %zu", i,
                 seed, max_len);
        rc = run_one(buf, n, timeout);
    }
    tsf_stats st;
    tsf_stats_get(&st);
    tsf_shutdown();
    if (g_broken)
        rc = 1;
    if (rc == 0)
        printf("tessel-fuzz-replay: %lld inputs (%ld files, %ld random): %lld calls, %lld refused "
               "with a status and message, %lld skipped as too big to run; no rule broken\n",
               st.inputs, files, random_inputs, st.calls, st.failed, st.skipped);
    return rc;
}
