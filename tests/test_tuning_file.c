/* Tuned files (core/tuning_file.c, docs/tuning.md): the round trip from
 * tessel-tune's entries to a lookup, the precedence of the layers
 * (environment > tessel-tune's override > user file > tuned file >
 * built-in), TESSEL_TUNED, and corrupt, foreign and stale files ignored
 * with one log line each. Links the static library to reach core's
 * internals; runs with TESSEL_BACKENDS=cpu. */
#define _POSIX_C_SOURCE 200809L

#include <limits.h>
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

static char tmp_dir[64];
static int log_count;
static char log_last[2048];

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

/* The NVIDIA Vulkan row gives gemm.bm=64 gemm.bk=16 row_wg=256. */
static ts_device_info gpu(const char *driver)
{
    ts_device_info d;
    memset(&d, 0, sizeof d);
    snprintf(d.backend, sizeof d.backend, "vulkan");
    snprintf(d.name, sizeof d.name, "Fake RTX 9000 [test] *rev?");
    snprintf(d.driver, sizeof d.driver, "%s", driver);
    d.vendor_id = 0x10de;
    d.kind = TS_DEVICE_DISCRETE_GPU;
    return d;
}

static int64_t lookup(const ts_device_info *d, const char *key, tsi_tuning_source *src)
{
    int64_t v = -1;
    tsi_tuning_source s = TSI_TUNING_NONE;
    if (!tsi_tuning_resolve(d, key, &v, &s, NULL, 0))
        v = -1;
    if (src)
        *src = s;
    return v;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    fclose(f);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[16384];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* Write dev's tuned file with entries; returns its path. */
static const char *tune(const ts_device_info *dev, const char *entries)
{
    static char path[PATH_MAX];
    char *text = NULL;
    assert_true(tsi_tuned_file_path(dev, path, sizeof path));
    assert_int_equal(tsi_tuned_file_format(dev, entries, &text), TS_OK);
    assert_int_equal(tsi_tuned_file_write(path, text), TS_OK);
    free(text);
    return path;
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/tessel-tuned-XXXXXX");
    assert_non_null(mkdtemp(tmp_dir));
    setenv("XDG_CACHE_HOME", tmp_dir, 1);
    unsetenv("TESSEL_TUNING_FILE");
    unsetenv("TESSEL_TUNED");
    unsetenv("TESSEL_GEMM_TILES");
    unsetenv("TESSEL_ATTENTION_TILES");
    ts_set_log_callback(capture_log, NULL, TS_LOG_WARN);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_round_trip(void **state)
{
    (void)state;
    ts_device_info d = gpu("fake 1.0");
    assert_int_equal(tsi_tuning_load(), TS_OK);
    assert_int_equal(lookup(&d, "gemm.bm", NULL), 64); /* built-in */
    const char *path = tune(&d, "gemm.bm=128 row_wg=32 new.key=7");
    log_reset();
    assert_int_equal(tsi_tuning_load(), TS_OK);
    assert_int_equal(log_count, 0);
    tsi_tuning_source src;
    char file[PATH_MAX];
    int64_t v;
    assert_true(tsi_tuning_resolve(&d, "gemm.bm", &v, &src, file, sizeof file));
    assert_int_equal(v, 128);
    assert_int_equal(src, TSI_TUNING_TUNED);
    assert_string_equal(file, path);
    assert_int_equal(lookup(&d, "row_wg", NULL), 32);
    assert_int_equal(lookup(&d, "new.key", NULL), 7);
    assert_int_equal(lookup(&d, "gemm.bk", &src), 16); /* not tuned: built-in */
    assert_int_equal(src, TSI_TUNING_BUILTIN);
    assert_int_equal(tsi_tuning_lookup(&d, "gemm.bm", -1), 128);

    /* Another card of the vendor keeps the built-in values. */
    ts_device_info other = d;
    snprintf(other.name, sizeof other.name, "Fake RTX 9001");
    assert_int_equal(lookup(&other, "gemm.bm", NULL), 64);

    /* The rows are ordinary rows: the file parses as a plain tuning file. */
    const char *text = read_text(path);
    tsi_tuning_db *db = tsi_tuning_db_new();
    char err[256] = "";
    assert_int_equal(tsi_tuning_db_parse(db, text, strlen(text), TSI_TUNING_USER, err, sizeof err),
                     TS_OK);
    assert_true(tsi_tuning_db_find(db, &d, "gemm.bm", &v, NULL));
    assert_int_equal(v, 128);
    tsi_tuning_db_free(db);

    /* Entries that are not a row are refused before anything is written. */
    char *bad = NULL;
    assert_int_equal(tsi_tuned_file_format(&d, "gemm.bm=many", &bad), TS_ERR_INVALID_ARGUMENT);
    assert_null(bad);

    /* No entries (the built-in values won): a valid file without rows. */
    tune(&d, "");
    log_reset();
    assert_int_equal(tsi_tuning_load(), TS_OK);
    assert_int_equal(log_count, 0);
    assert_int_equal(lookup(&d, "gemm.bm", &src), 64);
    assert_int_equal(src, TSI_TUNING_BUILTIN);
    remove(path);
}

static void test_precedence(void **state)
{
    (void)state;
    ts_device_info d = gpu("fake 1.0");
    const char *path = tune(&d, "gemm.bm=128 gemm.bn=128");
    char user[PATH_MAX];
    snprintf(user, sizeof user, "%s/user.txt", tmp_dir);
    write_text(user, "vulkan 0x10de * * * gemm.bn=32\n");
    setenv("TESSEL_TUNING_FILE", user, 1);
    assert_int_equal(tsi_tuning_load(), TS_OK);
    tsi_tuning_source src;
    assert_int_equal(lookup(&d, "gemm.bm", &src), 128); /* tuned beats built-in */
    assert_int_equal(src, TSI_TUNING_TUNED);
    assert_int_equal(lookup(&d, "gemm.bn", &src), 32); /* the user file beats tuned */
    assert_int_equal(src, TSI_TUNING_USER);

    /* tessel-tune's override beats both, for its device only, at once. */
    assert_int_equal(tsi_tuning_override(&d, "gemm.bn", 16), TS_OK);
    assert_int_equal(lookup(&d, "gemm.bn", &src), 16);
    assert_int_equal(src, TSI_TUNING_OVERRIDE);
    assert_int_equal(tsi_tuning_load(), TS_OK); /* survives a reload */
    assert_int_equal(lookup(&d, "gemm.bn", NULL), 16);
    ts_device_info other = d;
    snprintf(other.name, sizeof other.name, "Fake RTX 9001");
    assert_int_equal(lookup(&other, "gemm.bn", NULL), 32);
    tsi_tuning_override_clear();
    assert_int_equal(lookup(&d, "gemm.bn", NULL), 32);
    assert_int_equal(tsi_tuning_override(&d, "", 1), TS_ERR_INVALID_ARGUMENT);

    /* The environment beats everything (the backends apply it). */
    int64_t v;
    const char *var;
    setenv("TESSEL_GEMM_TILES", "8,16,4,2,2,1", 1);
    assert_true(tsi_tuning_env(&d, "gemm.bn", &v, &var));
    assert_int_equal(v, 16);
    assert_string_equal(var, "TESSEL_GEMM_TILES");
    setenv("TESSEL_GEMM_TILES", "8,16", 1); /* incomplete: the backends ignore it */
    assert_false(tsi_tuning_env(&d, "gemm.bn", &v, &var));
    unsetenv("TESSEL_GEMM_TILES");

    /* TESSEL_TUNED=off: the hand-written table alone. */
    unsetenv("TESSEL_TUNING_FILE");
    setenv("TESSEL_TUNED", "off", 1);
    assert_int_equal(tsi_tuning_load(), TS_OK);
    assert_int_equal(lookup(&d, "gemm.bm", &src), 64);
    assert_int_equal(src, TSI_TUNING_BUILTIN);
    setenv("TESSEL_TUNED", "shipped", 1);
    assert_int_equal(tsi_tuning_load(), TS_OK);
    assert_int_equal(lookup(&d, "gemm.bm", NULL), 64);
    unsetenv("TESSEL_TUNED");
    assert_int_equal(tsi_tuning_load(), TS_OK);
    assert_int_equal(lookup(&d, "gemm.bm", NULL), 128);
    remove(path);
}

/* Load with the file at path holding text: one warning naming the file
 * and saying why, and the built-in value back. */
static void expect_ignored(const ts_device_info *d, const char *path, const char *text,
                           const char *why)
{
    write_text(path, text);
    log_reset();
    assert_int_equal(tsi_tuning_load(), TS_OK);
    assert_int_equal(lookup(d, "gemm.bm", NULL), 64);
    if (log_count != 1 || !strstr(log_last, path) || !strstr(log_last, why)) {
        print_error("%d log lines, last '%s'; wanted '%s'\n", log_count, log_last, why);
        fail();
    }
}

static void test_corrupt_and_stale_rejected(void **state)
{
    (void)state;
    ts_device_info d = gpu("fake 1.0");
    const char *p = tune(&d, "gemm.bm=128");
    char path[PATH_MAX], good[16384], text[16384];
    snprintf(path, sizeof path, "%s", p);
    snprintf(good, sizeof good, "%s", read_text(path));

    /* A changed value: the checksum catches it. */
    snprintf(text, sizeof text, "%s", good);
    char *val = strstr(text, "gemm.bm=128");
    assert_non_null(val);
    val[9] = '9';
    expect_ignored(&d, path, text, "checksum");
    /* Cut short, empty, or no header at all. */
    snprintf(text, sizeof text, "%.*s", (int)(strlen(good) - 4), good);
    expect_ignored(&d, path, text, "checksum");
    expect_ignored(&d, path, "", "header");
    expect_ignored(&d, path, "vulkan 0x10de * * * gemm.bm=128\n", "header");
    /* A newer format. */
    snprintf(text, sizeof text, "%s", good);
    char *fmt = strstr(text, "#@ format 1");
    assert_non_null(fmt);
    fmt[10] = '7';
    expect_ignored(&d, path, text, "format");
    /* Another tessel version: stale, whatever its checksum says. */
    snprintf(text, sizeof text, "%s", good);
    char *ver = strstr(text, "#@ tessel ");
    assert_non_null(ver);
    ver[10] = ver[10] == '9' ? '8' : '9';
    expect_ignored(&d, path, text, "stale");

    /* The same device on a new driver: stale, said once. */
    write_text(path, good);
    log_reset();
    assert_int_equal(tsi_tuning_load(), TS_OK);
    assert_int_equal(log_count, 0);
    assert_int_equal(lookup(&d, "gemm.bm", NULL), 128);
    ts_device_info updated = gpu("fake 2.0");
    assert_int_equal(lookup(&updated, "gemm.bm", NULL), 64);
    assert_int_equal(lookup(&updated, "gemm.bm", NULL), 64);
    assert_int_equal(log_count, 1);
    assert_non_null(strstr(log_last, "stale"));
    assert_non_null(strstr(log_last, "fake 2.0"));

    /* Files that are not *.txt are left alone. */
    remove(path);
    char other[PATH_MAX + 8];
    snprintf(other, sizeof other, "%s.bak", path);
    write_text(other, "garbage");
    log_reset();
    assert_int_equal(tsi_tuning_load(), TS_OK);
    assert_int_equal(log_count, 0);
    remove(other);
}

/* The shipped tuned files (core/tuned/) parse, and give the CI devices
 * their values on top of the built-in rows, below a user file. */
static void test_shipped_files(void **state)
{
    (void)state;
    unsetenv("TESSEL_TUNING_FILE");
    log_reset();
    assert_int_equal(tsi_tuning_load(), TS_OK);
    assert_int_equal(log_count, 0);
    ts_device_info lvp;
    memset(&lvp, 0, sizeof lvp);
    snprintf(lvp.backend, sizeof lvp.backend, "opencl");
    snprintf(lvp.name, sizeof lvp.name, "pthread-znver4-AMD Ryzen 9 7950X");
    snprintf(lvp.driver, sizeof lvp.driver, "Portable Computing Language 6.0+debian");
    lvp.vendor_id = 0x1022;
    lvp.kind = TS_DEVICE_SOFTWARE;
    tsi_tuning_source src;
    char file[PATH_MAX];
    int64_t v;
    assert_true(tsi_tuning_resolve(&lvp, "gemm.vec", &v, &src, file, sizeof file));
    assert_int_equal(src, TSI_TUNING_SHIPPED);
    assert_string_equal(file, "core/tuned/pocl.txt");
    assert_int_equal(lookup(&lvp, "row_wg", &src), 64); /* not tuned: the row */
    assert_int_equal(src, TSI_TUNING_BUILTIN);
    char user[PATH_MAX];
    snprintf(user, sizeof user, "%s/user.txt", tmp_dir);
    write_text(user, "opencl * software * Portable?Computing?Language* gemm.vec=1\n");
    setenv("TESSEL_TUNING_FILE", user, 1);
    assert_int_equal(tsi_tuning_load(), TS_OK);
    assert_int_equal(lookup(&lvp, "gemm.vec", &src), 1);
    assert_int_equal(src, TSI_TUNING_USER);
    unsetenv("TESSEL_TUNING_FILE");
    setenv("TESSEL_TUNED", "off", 1);
    assert_int_equal(tsi_tuning_load(), TS_OK);
    assert_false(tsi_tuning_resolve(&lvp, "gemm.vec", &v, &src, NULL, 0) &&
                 src == TSI_TUNING_SHIPPED);
    unsetenv("TESSEL_TUNED");
    assert_int_equal(tsi_tuning_load(), TS_OK);
}

/* What tessel-info prints: each value's source. */
static void test_summary_sources(void **state)
{
    (void)state;
    ts_context *ctx = NULL;
    ts_device *dev = NULL;
    ts_device_info info;
    assert_int_equal(ts_context_create(&ctx), TS_OK);
    assert_int_equal(ts_device_find(ctx, "cpu:0", &dev), TS_OK);
    assert_int_equal(ts_device_info_get(dev, &info), TS_OK);
    const char *path = tune(&info, "attention.q_tile=40");
    assert_int_equal(tsi_tuning_load(), TS_OK);
    char line[4096];
    assert_int_equal(ts_device_tuning_summary(dev, line, sizeof line), TS_OK);
    assert_non_null(strstr(line, "attention.q_tile=40+ "));
    assert_non_null(strstr(line, "tuned: "));
    assert_non_null(strstr(line, path));
    setenv("TESSEL_ATTENTION_TILES", "8,16", 1);
    assert_int_equal(ts_device_tuning_summary(dev, line, sizeof line), TS_OK);
    assert_non_null(strstr(line, "attention.q_tile=8! "));
    assert_non_null(strstr(line, "attention.k_tile=16! "));
    assert_non_null(strstr(line, "TESSEL_ATTENTION_TILES"));
    unsetenv("TESSEL_ATTENTION_TILES");
    remove(path);
    assert_int_equal(tsi_tuning_load(), TS_OK);
    assert_int_equal(ts_device_tuning_summary(dev, line, sizeof line), TS_OK);
    assert_null(strstr(line, "+"));
    ts_context_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_corrupt_and_stale_rejected),
        cmocka_unit_test(test_shipped_files),
        cmocka_unit_test(test_summary_sources),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
