/* Damaged caches never break a call. The cache folder
 * ($XDG_CACHE_HOME/tessel: the Vulkan pipeline cache, OpenCL program
 * binaries, the user tuning file) is filled by a first run, then damaged,
 * and a run on the damaged folder must give TS_OK from every call and the
 * right numbers, twice (the second run reads what the first rewrote):
 *
 *   truncated    every file cut to half its length
 *   empty        every file cut to zero bytes
 *   corrupt      every file overwritten with noise of its own length
 *   unwritable   every file replaced by a folder of that name (no write can
 *                succeed, root or not), and a fresh folder's opencl/ a file
 *   read_only    the folder and its files chmod a-w (root writes anyway;
 *                the other cases cover root)
 *   not_a_folder $XDG_CACHE_HOME/tessel is a regular file
 *   unreachable  $XDG_CACHE_HOME cannot be created (under /proc)
 *
 * The cache folder is looked up once per process, so each case runs in a
 * child process of its own (and this process never loads a driver).
 *
 *     test_cache_damage --backend cpu|vulkan|opencl --dir SCRATCH */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_reliability.h"

#define N 24

static const char *g_backend;
static char g_dir[900];

/* x * x, a [4, 6] x [6, 4] product of it with itself transposed, and a
 * softmax of that: the kernels of three families, so each backend compiles
 * (and caches) several programs. 0: right numbers, else the failure. */
static int run_ops(void)
{
    ts_context *ctx = NULL;
    ts_device *dev = NULL;
    ts_tensor *x = NULL, *sq = NULL, *xt = NULL, *mm = NULL, *sm = NULL;
    float xh[N], got[16];
    int rc = 1;
    for (int i = 0; i < N; i++)
        xh[i] = (float)(i % 7) / 7.0f - 0.4f;
    ts_status st = ts_context_create(&ctx);
    char id[32];
    snprintf(id, sizeof id, "%s:0", g_backend);
    if (st == TS_OK)
        st = ts_device_find(ctx, id, &dev);
    if (st == TS_OK)
        st = ts_tensor_create(dev, TS_F32, 2, (int64_t[]){4, 6}, &x);
    if (st == TS_OK)
        st = ts_tensor_create(dev, TS_F32, 2, (int64_t[]){4, 6}, &sq);
    if (st == TS_OK)
        st = ts_tensor_create(dev, TS_F32, 2, (int64_t[]){4, 4}, &mm);
    if (st == TS_OK)
        st = ts_tensor_create(dev, TS_F32, 2, (int64_t[]){4, 4}, &sm);
    if (st == TS_OK)
        st = ts_tensor_write(x, xh, sizeof xh);
    if (st == TS_OK)
        st = ts_binary(TS_MUL, x, x, sq);
    if (st == TS_OK)
        st = ts_tensor_transpose(x, 0, 1, &xt);
    if (st == TS_OK)
        st = ts_matmul(sq, xt, mm);
    if (st == TS_OK)
        st = ts_softmax(mm, 0.5f, 0, sm);
    if (st == TS_OK)
        st = ts_tensor_read(sm, got, sizeof got);
    if (st != TS_OK) {
        fprintf(stderr, "a call failed: %s: %s\n", ts_status_str(st), ts_last_error(NULL));
        goto done;
    }
    for (int i = 0; i < 4; i++) {
        double row[4], mx = -INFINITY, sum = 0;
        for (int j = 0; j < 4; j++) {
            row[j] = 0;
            for (int k = 0; k < 6; k++)
                row[j] += (double)xh[i * 6 + k] * xh[i * 6 + k] * xh[j * 6 + k];
            row[j] *= 0.5;
            mx = fmax(mx, row[j]);
        }
        for (int j = 0; j < 4; j++)
            sum += exp(row[j] - mx);
        for (int j = 0; j < 4; j++)
            if (fabs(got[i * 4 + j] - exp(row[j] - mx) / sum) > 1e-5) {
                fprintf(stderr, "wrong number at %d,%d\n", i, j);
                goto done;
            }
    }
    rc = 0;
done:
    ts_tensor_destroy(sm);
    ts_tensor_destroy(mm);
    ts_tensor_destroy(xt);
    ts_tensor_destroy(sq);
    ts_tensor_destroy(x);
    ts_context_destroy(ctx); /* writes the pipeline cache */
    return rc;
}

/* Run the ops twice in a child whose cache folder is xdg/tessel. */
static int child_runs(const char *xdg)
{
    pid_t pid = fork();
    if (pid < 0)
        REL_FAIL("fork failed");
    if (pid == 0) {
        setenv("XDG_CACHE_HOME", xdg, 1);
        unsetenv("TESSEL_TUNING_FILE");
        int rc = run_ops();
        if (rc == 0)
            rc = run_ops();
        _exit(rc);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid)
        REL_FAIL("waitpid failed");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

/* Run a command (cp, chmod) without a shell; its exit status. */
static int spawn(const char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status;
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)
               ? WEXITSTATUS(status)
               : -1;
}

/* master/tessel filled by one run: every cache written, plus a valid user
 * tuning file. Each case damages a copy of it. */
static void populate(const char *master)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/tessel", master);
    mkdir(master, 0755);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/tessel/tuning.txt", master);
    static const char row[] = "# a valid user row\n* * * * * row_wg=64 elem_wg=128\n";
    if (write_file(path, row, sizeof row - 1) != 0)
        REL_FAIL("cannot write %s", path);
    if (child_runs(master) != 0)
        REL_FAIL("the run that fills the cache failed");
}

typedef enum { D_TRUNCATE, D_EMPTY, D_CORRUPT, D_TO_FOLDER, D_READ_ONLY } damage_kind;
static damage_kind g_damage;
static int g_files;

static int damage_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)ftw;
    if (g_damage == D_READ_ONLY) {
        chmod(path, type == FTW_DP ? 0555 : 0444);
        g_files += type == FTW_F;
        return 0;
    }
    if (type != FTW_F)
        return 0;
    g_files++;
    switch (g_damage) {
    case D_TRUNCATE:
        return truncate(path, sb->st_size / 2);
    case D_EMPTY:
        return truncate(path, 0);
    case D_CORRUPT: {
        unsigned char *noise = malloc((size_t)sb->st_size + 1);
        unsigned s = (unsigned)sb->st_size * 2654435761u + 1u;
        for (off_t i = 0; i < sb->st_size; i++) {
            s ^= s << 13, s ^= s >> 17, s ^= s << 5;
            noise[i] = (unsigned char)s;
        }
        int rc = write_file(path, noise, (size_t)sb->st_size);
        free(noise);
        return rc;
    }
    case D_TO_FOLDER:
        return unlink(path) == 0 && mkdir(path, 0755) == 0 ? 0 : -1;
    default:
        return -1;
    }
}

static void damage(const char *xdg, damage_kind kind)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/tessel", xdg);
    g_damage = kind;
    g_files = 0;
    if (nftw(path, damage_one, 16, FTW_PHYS | FTW_DEPTH) != 0)
        REL_FAIL("cannot damage %s", path);
    /* tuning.txt, and on a GPU at least one cache the run wrote */
    if (g_files < (strcmp(g_backend, "cpu") == 0 ? 1 : 2))
        REL_FAIL("%s holds %d files: the first run cached nothing", path, g_files);
}

static int remove_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb, (void)ftw;
    if (type == FTW_DP || type == FTW_D)
        return rmdir(path) == 0 ? 0 : -1;
    return unlink(path);
}

static void make_writable(const char *path)
{
    if (access(path, F_OK) == 0)
        spawn((const char *const[]){"chmod", "-R", "u+w", path, NULL});
}

static int check(const char *name, int rc, int *failures)
{
    printf("cache_damage %s: %-12s %s\n", g_backend, name, rc == 0 ? "ok" : "FAILED");
    fflush(stdout);
    if (rc != 0)
        (*failures)++;
    return rc;
}

int main(int argc, char **argv)
{
    g_backend = rel_backend_arg(argc, argv);
    rel_watch_validation();
    const char *scratch = NULL;
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--dir") == 0)
            scratch = argv[i + 1];
    if (!scratch)
        REL_FAIL("--dir SCRATCH is required");
    snprintf(g_dir, sizeof g_dir, "%s/cache_damage_%s", scratch, g_backend);
    make_writable(g_dir);
    nftw(g_dir, remove_one, 16, FTW_PHYS | FTW_DEPTH);
    if (mkdir(scratch, 0755) != 0 && errno != EEXIST)
        REL_FAIL("cannot create %s", scratch);
    if (mkdir(g_dir, 0755) != 0)
        REL_FAIL("cannot create %s", g_dir);

    /* Skip (77) when the backend has no device here. In a child like every
     * run: a driver's threads (PoCL's) do not survive a fork, so this
     * process never loads one. */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        ts_context *ctx = NULL;
        REL_OK(ts_context_create(&ctx));
        rel_device(ctx, g_backend);
        ts_context_destroy(ctx);
        _exit(0);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        REL_FAIL("the device probe crashed");
    if (WEXITSTATUS(status) != 0)
        return WEXITSTATUS(status);

    static const struct {
        const char *name;
        damage_kind kind;
    } cases[] = {{"truncated", D_TRUNCATE}, {"empty", D_EMPTY},     {"corrupt", D_CORRUPT},
                 {"unwritable", D_TO_FOLDER}, {"read_only", D_READ_ONLY}};
    int failures = 0;
    char master[1000], xdg[1000], path[1100];
    snprintf(master, sizeof master, "%s/master", g_dir);
    populate(master);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(xdg, sizeof xdg, "%s/%s", g_dir, cases[i].name);
        if (spawn((const char *const[]){"cp", "-a", master, xdg, NULL}) != 0)
            REL_FAIL("cannot copy %s to %s", master, xdg);
        damage(xdg, cases[i].kind);
        check(cases[i].name, child_runs(xdg), &failures);
    }
    /* A fresh folder whose opencl/ (the program binaries' folder) is a file. */
    snprintf(xdg, sizeof xdg, "%s/opencl_is_a_file", g_dir);
    snprintf(path, sizeof path, "%s/tessel", xdg);
    mkdir(xdg, 0755);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/tessel/opencl", xdg);
    write_file(path, "x", 1);
    check("opencl_file", child_runs(xdg), &failures);
    /* The cache folder itself is a file. */
    snprintf(xdg, sizeof xdg, "%s/not_a_folder", g_dir);
    snprintf(path, sizeof path, "%s/tessel", xdg);
    mkdir(xdg, 0755);
    write_file(path, "not a folder", 12);
    check("not_a_folder", child_runs(xdg), &failures);
    /* No cache folder can be made at all. */
    check("unreachable", child_runs("/proc/tessel-no-such-folder"), &failures);

    make_writable(g_dir);
    if (failures == 0)
        nftw(g_dir, remove_one, 16, FTW_PHYS | FTW_DEPTH);
    return failures ? 1 : 0;
}
