/* The tuning database (core/tuning.h, docs/tuning.md): precedence (the
 * most specific row wins, the later row at equal specificity), globs,
 * malformed text refused whole, the user file (TESSEL_TUNING_FILE and the
 * cache folder) overriding the built-in rows or ignored with one log line,
 * and the embedded defaults giving every device exactly what the C tables
 * they replaced gave it. Links the static library to reach core's
 * internals; runs with TESSEL_BACKENDS=cpu. */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <tessel/tessel.h>

#include "core/tuning.h"

/* ---- helpers ------------------------------------------------------------ */

static ts_device_info device(const char *backend, uint32_t vendor, ts_device_kind kind,
                             const char *name, const char *driver)
{
    ts_device_info d;
    memset(&d, 0, sizeof d);
    snprintf(d.backend, sizeof d.backend, "%s", backend);
    snprintf(d.name, sizeof d.name, "%s", name);
    snprintf(d.driver, sizeof d.driver, "%s", driver);
    d.vendor_id = vendor;
    d.kind = kind;
    return d;
}

static tsi_tuning_db *db_of(const char *text, tsi_tuning_source source)
{
    tsi_tuning_db *db = tsi_tuning_db_new();
    assert_non_null(db);
    char err[256];
    if (tsi_tuning_db_parse(db, text, strlen(text), source, err, sizeof err) != TS_OK) {
        print_error("%s\n", err);
        fail();
    }
    return db;
}

/* The value of key, or -1 when no row defines it. */
static int64_t value(const tsi_tuning_db *db, const ts_device_info *d, const char *key)
{
    int64_t v;
    return tsi_tuning_db_find(db, d, key, &v, NULL) ? v : -1;
}

/* Log lines at warning level and above, captured while a test runs. */
static int log_count;
static char log_last[1024];

static void capture_log(ts_log_level level, const char *message, void *user)
{
    (void)level;
    (void)user;
    log_count++;
    snprintf(log_last, sizeof log_last, "%s", message);
}

static void log_reset(void)
{
    log_count = 0;
    log_last[0] = '\0';
}

/* A temporary folder that holds the test's files and serves as the cache
 * folder, so the developer's own ~/.cache/tessel/tuning.txt never leaks in. */
static char tmp_dir[64];

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static int setup_env(void **state)
{
    (void)state;
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/tessel-tuning-XXXXXX");
    if (!mkdtemp(tmp_dir))
        return -1;
    setenv("XDG_CACHE_HOME", tmp_dir, 1);
    unsetenv("TESSEL_TUNING_FILE");
    ts_set_log_callback(capture_log, NULL, TS_LOG_WARN);
    return 0;
}

static int teardown_env(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/tessel/tuning.txt", tmp_dir);
    remove(path);
    snprintf(path, sizeof path, "%s/tessel", tmp_dir);
    rmdir(path);
    snprintf(path, sizeof path, "%s/user.txt", tmp_dir);
    remove(path);
    rmdir(tmp_dir);
    ts_set_log_callback(NULL, NULL, TS_LOG_WARN);
    return 0;
}

/* ---- the schema ------------------------------------------------------------ */

static void test_specific_beats_wildcard(void **state)
{
    (void)state;
    tsi_tuning_db *db = db_of("* * * * * k=1\n"
                              "vulkan 0x10de discrete * * k=3\n"
                              "vulkan * * * * k=2\n"
                              "* * * * * k=4 # spec 0, later: beats only the first row\n",
                              TSI_TUNING_BUILTIN);
    ts_device_info nv = device("vulkan", 0x10de, TS_DEVICE_DISCRETE_GPU, "RTX", "drv");
    ts_device_info amd = device("vulkan", 0x1002, TS_DEVICE_DISCRETE_GPU, "RX", "drv");
    ts_device_info cpu = device("cpu", 0x8086, TS_DEVICE_CPU, "Xeon", "tessel cpu");
    assert_int_equal(value(db, &nv, "k"), 3); /* three fields beat one, though earlier */
    assert_int_equal(value(db, &amd, "k"), 2);
    assert_int_equal(value(db, &cpu, "k"), 4);
    assert_int_equal(value(db, &cpu, "absent"), -1);
    tsi_tuning_db_free(db);
}

static void test_later_wins_at_equal_specificity(void **state)
{
    (void)state;
    tsi_tuning_db *db = db_of("vulkan 0x10de * * * a=1 b=1\n"
                              "vulkan * discrete * * a=2\n",
                              TSI_TUNING_BUILTIN);
    ts_device_info nv = device("vulkan", 0x10de, TS_DEVICE_DISCRETE_GPU, "RTX", "drv");
    assert_int_equal(value(db, &nv, "a"), 2);
    /* A user file parsed after the defaults overrides them at equal
     * specificity, and only the keys it names. */
    const char *user = "vulkan 0x10de * * * a=7\n";
    assert_int_equal(tsi_tuning_db_parse(db, user, strlen(user), TSI_TUNING_USER, NULL, 0), TS_OK);
    int64_t v = 0;
    tsi_tuning_source src = TSI_TUNING_NONE;
    assert_true(tsi_tuning_db_find(db, &nv, "a", &v, &src));
    assert_int_equal(v, 7);
    assert_int_equal(src, TSI_TUNING_USER);
    assert_true(tsi_tuning_db_find(db, &nv, "b", &v, &src));
    assert_int_equal(v, 1);
    assert_int_equal(src, TSI_TUNING_BUILTIN);
    /* ... but not a more specific built-in row. */
    const char *builtin = "vulkan 0x10de discrete * * a=9\n";
    assert_int_equal(tsi_tuning_db_parse(db, builtin, strlen(builtin), TSI_TUNING_BUILTIN, NULL, 0),
                     TS_OK);
    const char *user2 = "vulkan * * * * a=8\n";
    assert_int_equal(tsi_tuning_db_parse(db, user2, strlen(user2), TSI_TUNING_USER, NULL, 0),
                     TS_OK);
    assert_int_equal(value(db, &nv, "a"), 9);
    char line[256];
    assert_int_equal(tsi_tuning_db_describe(db, &nv, line, sizeof line), 0);
    assert_string_equal(line, "a=9 b=1");
    tsi_tuning_db_free(db);
}

static void test_globs_and_values(void **state)
{
    (void)state;
    tsi_tuning_db *db = db_of("\n   # a comment line\n"
                              "vulkan * software llvmpipe* * k=1\n"
                              "* * * *GeForce?RTX?40[0-9]0* * k=2\n"
                              "opencl * * * Portable?Computing?Language* k=3\t# PoCL\r\n"
                              "* * * [Mm]ali-G* *r3[0-9]p* k=4\n"
                              "cpu * cpu * * hex=0x40000 neg=-5 big=9223372036854775807",
                              TSI_TUNING_BUILTIN);
    ts_device_info lvp = device("vulkan", 0x10005, TS_DEVICE_SOFTWARE,
                                "llvmpipe (LLVM 15.0.6, 256 bits)", "Vulkan 1.3.230 driver 0x1");
    ts_device_info swiftshader = device("vulkan", 0x1ae0, TS_DEVICE_SOFTWARE,
                                        "SwiftShader Device (LLVM 10.0.0)", "Vulkan 1.3");
    ts_device_info rtx = device("vulkan", 0x10de, TS_DEVICE_DISCRETE_GPU, "NVIDIA GeForce RTX 4090",
                                "Vulkan 1.3.260 driver 0x8c");
    ts_device_info gtx = device("vulkan", 0x10de, TS_DEVICE_DISCRETE_GPU, "NVIDIA GeForce GTX 1080",
                                "Vulkan 1.3.260 driver 0x8c");
    ts_device_info pocl = device("opencl", 0x8086, TS_DEVICE_SOFTWARE,
                                 "pthread-skylake-avx512-Intel(R) Xeon(R) Processor",
                                 "Portable Computing Language 3.1+debian");
    ts_device_info mali = device("opencl", 0x72120000, TS_DEVICE_INTEGRATED_GPU, "Mali-G72",
                                 "ARM Platform 2.0 v1.r32p1-01eac0");
    ts_device_info mali_old = device("opencl", 0x72120000, TS_DEVICE_INTEGRATED_GPU, "Mali-G72",
                                     "ARM Platform 2.0 v1.r26p0");
    ts_device_info cpu = device("cpu", 0x8086, TS_DEVICE_CPU, "Xeon", "tessel cpu");
    assert_int_equal(value(db, &lvp, "k"), 1);
    assert_int_equal(value(db, &swiftshader, "k"), -1);
    assert_int_equal(value(db, &rtx, "k"), 2);
    assert_int_equal(value(db, &gtx, "k"), -1);
    assert_int_equal(value(db, &pocl, "k"), 3);
    assert_int_equal(value(db, &mali, "k"), 4);
    assert_int_equal(value(db, &mali_old, "k"), -1);
    assert_int_equal(value(db, &cpu, "hex"), 0x40000);
    assert_int_equal(value(db, &cpu, "neg"), -5);
    assert_true(value(db, &cpu, "big") == INT64_MAX);
    tsi_tuning_db_free(db);
}

static void test_malformed_text_refused_whole(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "vulkan * * * k=1\n",                      /* a selector missing */
        "vulkan * * * *\n",                        /* no key */
        "metal * * * * k=1\n",                     /* unknown backend */
        "vulkan 10de * * * k=1\n",                 /* vendor without 0x */
        "vulkan 0xzz * * * k=1\n",                 /* not hex */
        "vulkan 0x100000000 * * * k=1\n",          /* over 32 bits */
        "vulkan * gpu * * k=1\n",                  /* unknown kind */
        "vulkan * * * * k\n",                      /* not key=value */
        "vulkan * * * * =1\n",                     /* empty key */
        "vulkan * * * * Gemm.BM=1\n",              /* upper case */
        "vulkan * * * * k=\n",                     /* no value */
        "vulkan * * * * k=12abc\n",                /* trailing junk */
        "vulkan * * * * k=1.5\n",                  /* not an integer */
        "vulkan * * * * k=+1\n",                   /* sign strtoll would take */
        "vulkan * * * * k=99999999999999999999\n", /* overflow */
        "vulkan * * * * k=1 k=2\n",                /* key twice */
    };
    ts_device_info d = device("vulkan", 0x10de, TS_DEVICE_DISCRETE_GPU, "RTX", "drv");
    tsi_tuning_db *db = db_of("vulkan * * * * k=5\n", TSI_TUNING_BUILTIN);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        /* A good row before the bad one must not survive either. */
        char text[256], err[256] = "";
        snprintf(text, sizeof text, "# comment\nvulkan 0x10de * * * k=6\n%s", bad[i]);
        ts_status st =
            tsi_tuning_db_parse(db, text, strlen(text), TSI_TUNING_USER, err, sizeof err);
        if (st != TS_ERR_INVALID_ARGUMENT || strncmp(err, "line 3: ", 8) != 0) {
            print_error("'%s' gave %s, '%s'\n", bad[i], ts_status_str(st), err);
            fail();
        }
        assert_int_equal(value(db, &d, "k"), 5);
    }
    tsi_tuning_db_free(db);
}

/* ---- the user file ----------------------------------------------------- */

static void test_user_file_overrides(void **state)
{
    (void)state;
    ts_device_info cpu = device("cpu", 0x8086, TS_DEVICE_CPU, "Xeon", "tessel cpu");
    char path[128];
    snprintf(path, sizeof path, "%s/user.txt", tmp_dir);
    write_file(path, "# hand tuned\ncpu * * * * attention.q_tile=48\n");
    setenv("TESSEL_TUNING_FILE", path, 1);
    log_reset();
    assert_int_equal(tsi_tuning_load(), TS_OK);
    assert_int_equal(log_count, 0);
    assert_int_equal(tsi_tuning_lookup(&cpu, "attention.q_tile", -1), 48);
    assert_int_equal(tsi_tuning_lookup(&cpu, "attention.k_tile", -1), 512); /* built-in */
    assert_int_equal(tsi_tuning_lookup(&cpu, "no.such.key", -1), -1);

    /* What the CPU backend is handed, and what tessel-info prints. */
    ts_context *ctx = NULL;
    ts_device *dev = NULL;
    assert_int_equal(ts_context_create(&ctx), TS_OK);
    assert_int_equal(ts_device_find(ctx, "cpu:0", &dev), TS_OK);
    char line[1024];
    assert_int_equal(ts_device_tuning_summary(dev, line, sizeof line), TS_OK);
    assert_non_null(strstr(line, "attention.q_tile=48* "));
    assert_non_null(strstr(line, "attention.k_tile=512 "));
    assert_non_null(strstr(line, path));
    assert_int_equal(ts_device_tuning_summary(NULL, line, sizeof line), TS_ERR_INVALID_ARGUMENT);
    ts_context_destroy(ctx);

    /* Without the variable: <cache dir>/tuning.txt. */
    unsetenv("TESSEL_TUNING_FILE");
    snprintf(path, sizeof path, "%s/tessel", tmp_dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/tessel/tuning.txt", tmp_dir);
    write_file(path, "cpu * cpu * * attention.k_tile=64\n");
    assert_int_equal(tsi_tuning_load(), TS_OK);
    assert_int_equal(tsi_tuning_lookup(&cpu, "attention.q_tile", -1), 56);
    assert_int_equal(tsi_tuning_lookup(&cpu, "attention.k_tile", -1), 64);
    remove(path);
    assert_int_equal(tsi_tuning_load(), TS_OK);
    assert_int_equal(tsi_tuning_lookup(&cpu, "attention.k_tile", -1), 512);
    assert_int_equal(log_count, 0); /* an absent cache-folder file is the usual case */
}

static void test_malformed_user_file_ignored(void **state)
{
    (void)state;
    ts_device_info cpu = device("cpu", 0x8086, TS_DEVICE_CPU, "Xeon", "tessel cpu");
    char path[128];
    snprintf(path, sizeof path, "%s/user.txt", tmp_dir);
    write_file(path, "cpu * * * * attention.q_tile=48\n"
                     "cpu * * * * attention.k_tile=sixty-four\n");
    setenv("TESSEL_TUNING_FILE", path, 1);
    log_reset();
    ts_context *ctx = NULL;
    assert_int_equal(ts_context_create(&ctx), TS_OK); /* never a failure */
    assert_int_equal(log_count, 1);
    assert_non_null(strstr(log_last, path));
    assert_non_null(strstr(log_last, "line 2"));
    /* The whole file is ignored, its good first line too. */
    assert_int_equal(tsi_tuning_lookup(&cpu, "attention.q_tile", -1), 56);
    ts_device *dev = NULL;
    char line[1024];
    assert_int_equal(ts_device_find(ctx, "cpu:0", &dev), TS_OK);
    assert_int_equal(ts_device_tuning_summary(dev, line, sizeof line), TS_OK);
    assert_non_null(strstr(line, "ignored: line 2"));
    ts_context_destroy(ctx);

    /* A named file that does not exist: also one line, also no failure. */
    snprintf(path, sizeof path, "%s/absent.txt", tmp_dir);
    setenv("TESSEL_TUNING_FILE", path, 1);
    log_reset();
    assert_int_equal(tsi_tuning_load(), TS_OK);
    assert_int_equal(log_count, 1);
    assert_non_null(strstr(log_last, path));
    unsetenv("TESSEL_TUNING_FILE");
}

/* Lookups from several threads while contexts reload the database. */
static void *lookup_loop(void *arg)
{
    const ts_device_info *d = arg;
    for (int i = 0; i < 20000; i++)
        if (tsi_tuning_lookup(d, "gemm.bm", -1) != 64)
            return (void *)1;
    return NULL;
}

static void test_reload_while_reading(void **state)
{
    (void)state;
    ts_device_info nv = device("vulkan", 0x10de, TS_DEVICE_DISCRETE_GPU, "RTX", "drv");
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&t[i], NULL, lookup_loop, &nv), 0);
    for (int i = 0; i < 50; i++)
        assert_int_equal(tsi_tuning_load(), TS_OK);
    for (int i = 0; i < 3; i++) {
        void *bad = (void *)1;
        pthread_join(t[i], &bad);
        assert_null(bad);
    }
}

/* ---- the built-in defaults against the C tables they replaced ---------- */

/* backend-vulkan/vk_tuning.c's k_table and its matching, as they were:
 * first match wins; the llvmpipe row matches any CPU-type device (kind
 * software) unless an earlier vendor row matched. */
typedef struct vk_ref {
    uint32_t vendor;
    int cpu_type;
    int64_t v[7]; /* bm bn bk shared row elem loop_cap */
} vk_ref;

static const vk_ref vk_table[] = {
    {0x10de, 0, {64, 64, 16, 1, 256, 256, 0}}, {0x1002, 0, {64, 64, 16, 1, 256, 256, 0}},
    {0x8086, 0, {32, 64, 16, 1, 128, 128, 0}}, {0x13b5, 0, {32, 32, 8, 1, 64, 64, 0}},
    {0x5143, 0, {32, 32, 8, 1, 64, 128, 0}},   {0x10005, 1, {16, 64, 16, 0, 64, 256, 65535}},
    {0, 0, {32, 32, 16, 1, 64, 64, 0}},
};
static const char *const vk_keys[7] = {"gemm.bm", "gemm.bn", "gemm.bk", "gemm.shared",
                                       "row_wg",  "elem_wg", "loop_cap"};

static const vk_ref *vk_old(const ts_device_info *d)
{
    size_t n = sizeof vk_table / sizeof vk_table[0];
    bool cpu_type = d->kind == TS_DEVICE_SOFTWARE;
    for (size_t i = 0; i + 1 < n; i++) {
        const vk_ref *e = &vk_table[i];
        if (e->vendor == d->vendor_id && (!e->cpu_type || cpu_type))
            return e;
        if (e->cpu_type && cpu_type)
            return e;
    }
    return &vk_table[n - 1];
}

/* backend-opencl/cl_tuning.c's rows: a substring of the platform or the
 * vendor name, or the PCI id unless the platform is PoCL; first wins. */
typedef struct cl_ref {
    uint32_t vendor;
    const char *match;
    int64_t v[7]; /* ew row tsm tsn tsk wptm wptn */
} cl_ref;

static const cl_ref cl_table[] = {
    {0, "Portable Computing Language", {64, 64, 32, 32, 16, 4, 4}},
    {0x10de, "NVIDIA", {256, 256, 64, 64, 16, 4, 4}},
    {0x1002, "Advanced Micro Devices", {256, 256, 64, 64, 16, 4, 4}},
    {0x8086, "Intel", {128, 256, 32, 32, 16, 2, 4}},
    {0x13b5, "ARM", {128, 128, 32, 32, 8, 2, 2}},
    {0x5143, "Qualcomm", {128, 128, 32, 32, 8, 2, 2}},
    {0, "", {64, 64, 32, 32, 8, 2, 2}},
};
/* The GEMM keys are the ones both GPU backends share now (gemm.bm for
 * tsm, ...): backend-gpu/gpu_matmul.c. */
static const char *const cl_keys[7] = {"elem_wg", "row_wg",    "gemm.bm",  "gemm.bn",
                                       "gemm.bk", "gemm.wptm", "gemm.wptn"};

typedef struct cl_device {
    const char *platform, *vendor;
    uint32_t vendor_id;
    ts_device_kind kind;
} cl_device;

/* Platforms, vendor names and ids as real OpenCL drivers report them. */
static const cl_device cl_devices[] = {
    {"Portable Computing Language", "GenuineIntel", 0x8086, TS_DEVICE_SOFTWARE},
    {"Portable Computing Language", "AuthenticAMD", 0x1022, TS_DEVICE_SOFTWARE},
    {"Portable Computing Language", "NVIDIA Corporation", 0x10de, TS_DEVICE_DISCRETE_GPU},
    {"Portable Computing Language", "ARM", 0x13b5, TS_DEVICE_SOFTWARE},
    {"NVIDIA CUDA", "NVIDIA Corporation", 0x10de, TS_DEVICE_DISCRETE_GPU},
    {"AMD Accelerated Parallel Processing", "Advanced Micro Devices, Inc.", 0x1002,
     TS_DEVICE_DISCRETE_GPU},
    {"AMD Accelerated Parallel Processing", "Advanced Micro Devices, Inc.", 0x1002,
     TS_DEVICE_INTEGRATED_GPU},
    {"Intel(R) OpenCL Graphics", "Intel(R) Corporation", 0x8086, TS_DEVICE_INTEGRATED_GPU},
    {"Intel(R) OpenCL HD Graphics", "Intel(R) Corporation", 0x8086, TS_DEVICE_DISCRETE_GPU},
    {"Intel(R) OpenCL", "Intel(R) Corporation", 0x8086, TS_DEVICE_SOFTWARE},
    {"ARM Platform", "ARM", 0x72120000, TS_DEVICE_INTEGRATED_GPU},
    {"QUALCOMM Snapdragon(TM)", "QUALCOMM", 0x5143, TS_DEVICE_INTEGRATED_GPU},
    {"rusticl", "AMD", 0x1002, TS_DEVICE_DISCRETE_GPU},
    {"Clover", "AMD", 0x1002, TS_DEVICE_DISCRETE_GPU},
    {"Apple", "Apple", 0x1027f00, TS_DEVICE_INTEGRATED_GPU},
    {"Acme OpenCL", "Acme", 0x1234, TS_DEVICE_OTHER},
};

static const cl_ref *cl_old(const cl_device *c)
{
    size_t n = sizeof cl_table / sizeof cl_table[0];
    bool pocl = strstr(c->platform, "Portable Computing Language") != NULL;
    for (size_t i = 0; i + 1 < n; i++) {
        const cl_ref *r = &cl_table[i];
        if (strstr(c->platform, r->match) || strstr(c->vendor, r->match))
            return r;
        if (r->vendor && c->vendor_id == r->vendor && !pocl)
            return r;
    }
    return &cl_table[n - 1];
}

/* The removed layers/attention/attention_plan.c's tile_table: backend (NULL any),
 * vendor (0 any), kind (-1 any); first match wins. The cpu row has since
 * moved from 96 x 128 (256 KiB) to measured 56 x 512 (512 KiB). */
typedef struct attn_ref {
    const char *backend;
    uint32_t vendor;
    int kind;
    int64_t v[4]; /* q_tile k_tile cache_budget group_rows */
} attn_ref;

static const attn_ref attn_table[] = {
    {"cpu", 0, -1, {56, 512, 512 << 10, 1}}, {NULL, 0, TS_DEVICE_SOFTWARE, {32, 64, 0, 0}},
    {NULL, 0x10de, -1, {64, 64, 0, 0}},      {NULL, 0x1002, -1, {64, 64, 0, 0}},
    {NULL, 0x8086, -1, {32, 32, 0, 0}},      {NULL, 0x13b5, -1, {32, 32, 0, 0}},
    {NULL, 0x5143, -1, {32, 32, 0, 0}},      {NULL, 0, -1, {32, 32, 0, 0}},
};
static const char *const attn_keys[4] = {"attention.q_tile", "attention.k_tile",
                                         "attention.cache_budget", "attention.group_rows"};

static const attn_ref *attn_old(const ts_device_info *d)
{
    size_t n = sizeof attn_table / sizeof attn_table[0];
    for (size_t i = 0; i < n; i++) {
        const attn_ref *e = &attn_table[i];
        if ((!e->backend || strcmp(e->backend, d->backend) == 0) &&
            (!e->vendor || e->vendor == d->vendor_id) && (e->kind < 0 || e->kind == (int)d->kind))
            return e;
    }
    return &attn_table[n - 1];
}

static const uint32_t vendors[] = {0x10de, 0x1002,  0x1022, 0x8086, 0x13b5,
                                   0x5143, 0x10005, 0x1ae0, 0x1234, 0};

static void expect_values(const ts_device_info *d, const char *const *keys, const int64_t *want,
                          int n)
{
    for (int k = 0; k < n; k++) {
        int64_t got = tsi_tuning_lookup(d, keys[k], -1);
        if (got != want[k]) {
            print_error("%s 0x%x kind %d '%s' '%s': %s = %lld, want %lld\n", d->backend,
                        d->vendor_id, (int)d->kind, d->name, d->driver, keys[k], (long long)got,
                        (long long)want[k]);
            fail();
        }
    }
}

static void load_builtin_only(void)
{
    unsetenv("TESSEL_TUNING_FILE"); /* and the cache folder is empty */
    /* The hand-written rows alone: the shipped tuned files (core/tuned/)
     * give the CI devices measured values on top (test_tuning_file.c). */
    setenv("TESSEL_TUNED", "off", 1);
    log_reset();
    assert_int_equal(tsi_tuning_load(), TS_OK);
    assert_int_equal(log_count, 0); /* the embedded file parsed */
}

static void test_defaults_match_the_old_tables(void **state)
{
    (void)state;
    load_builtin_only();
    static const char *const backends[] = {"cpu", "vulkan", "opencl"};
    for (size_t v = 0; v < sizeof vendors / sizeof vendors[0]; v++) {
        for (int kind = 0; kind <= TS_DEVICE_OTHER; kind++) {
            ts_device_info d = device("vulkan", vendors[v], (ts_device_kind)kind, "GPU",
                                      "Vulkan 1.3.230 driver 0x1");
            expect_values(&d, vk_keys, vk_old(&d)->v, 7);
            for (size_t b = 0; b < 3; b++) {
                d = device(backends[b], vendors[v], (ts_device_kind)kind, "dev", "drv 1.0");
                expect_values(&d, attn_keys, attn_old(&d)->v, 4);
            }
        }
    }
    for (size_t i = 0; i < sizeof cl_devices / sizeof cl_devices[0]; i++) {
        const cl_device *c = &cl_devices[i];
        char driver[128];
        snprintf(driver, sizeof driver, "%s 3.1+debian", c->platform); /* as cl_backend.c */
        ts_device_info d = device("opencl", c->vendor_id, c->kind, "dev", driver);
        snprintf(d.vendor, sizeof d.vendor, "%s", c->vendor);
        /* PoCL on the CPU changed on purpose: its GEMM reads operands
         * directly with 8x8 outputs per work-item (measured, defaults file). */
        bool pocl_cpu = strstr(c->platform, "Portable") && c->kind == TS_DEVICE_SOFTWARE;
        expect_values(&d, cl_keys, cl_old(c)->v, pocl_cpu ? 5 : 7);
        expect_values(&d, attn_keys, attn_old(&d)->v, 4);
    }
}

/* The devices named in issue 11, spelled out. */
static void test_defaults_for_known_devices(void **state)
{
    (void)state;
    load_builtin_only();
    ts_device_info nv = device("vulkan", 0x10de, TS_DEVICE_DISCRETE_GPU, "NVIDIA GeForce RTX 4090",
                               "Vulkan 1.3.260 driver 0x8c");
    expect_values(&nv, vk_keys, (const int64_t[]){64, 64, 16, 1, 256, 256, 0}, 7);
    expect_values(&nv, attn_keys, (const int64_t[]){64, 64, 0, 0}, 4);
    ts_device_info lvp = device("vulkan", 0x10005, TS_DEVICE_SOFTWARE,
                                "llvmpipe (LLVM 15.0.6, 256 bits)", "Vulkan 1.3.230 driver 0x1");
    expect_values(&lvp, vk_keys, (const int64_t[]){16, 64, 16, 0, 64, 256, 65535}, 7);
    expect_values(&lvp, attn_keys, (const int64_t[]){32, 64, 0, 0}, 4);
    /* Its f32 tile is 16x8 outputs per invocation, f16 / bf16 keep 16x4
     * (gemm16.*); rows without gemm16 keys leave 16-bit GEMMs on gemm.*. */
    assert_int_equal(tsi_tuning_lookup(&lvp, "gemm.wptn", -1), 8);
    assert_int_equal(tsi_tuning_lookup(&lvp, "gemm16.wptn", -1), 4);
    assert_int_equal(tsi_tuning_lookup(&nv, "gemm16.wptn", -1), -1);
    /* Texel-buffer operands on lavapipe only (vector gathers there). */
    assert_int_equal(tsi_tuning_lookup(&lvp, "texel", 0), 1);
    assert_int_equal(tsi_tuning_lookup(&nv, "texel", 0), 0);
    ts_device_info pocl = device("opencl", 0x8086, TS_DEVICE_SOFTWARE,
                                 "pthread-skylake-avx512-Intel(R) Xeon(R) Processor",
                                 "Portable Computing Language 3.1+debian");
    expect_values(&pocl, cl_keys, (const int64_t[]){64, 64, 32, 32, 16, 8, 8}, 7);
    expect_values(&pocl, attn_keys, (const int64_t[]){32, 64, 0, 0}, 4);
    ts_device_info cpu = device("cpu", 0x8086, TS_DEVICE_CPU, "Intel(R) Xeon(R) Processor",
                                "tessel cpu, OpenBLAS (SkylakeX, core set by tessel)");
    expect_values(&cpu, attn_keys, (const int64_t[]){56, 512, 512 << 10, 1}, 4);
    /* The CPU device has no GPU keys: the backends' fallbacks never apply
     * across backends. */
    assert_int_equal(tsi_tuning_lookup(&cpu, "gemm.bm", -1), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_specific_beats_wildcard),
        cmocka_unit_test(test_later_wins_at_equal_specificity),
        cmocka_unit_test(test_globs_and_values),
        cmocka_unit_test(test_malformed_text_refused_whole),
        cmocka_unit_test(test_user_file_overrides),
        cmocka_unit_test(test_malformed_user_file_ignored),
        cmocka_unit_test(test_reload_while_reading),
        cmocka_unit_test(test_defaults_match_the_old_tables),
        cmocka_unit_test(test_defaults_for_known_devices),
    };
    return cmocka_run_group_tests(tests, setup_env, teardown_env);
}
