/* The process-wide tuning database: the built-in defaults (core/
 * tuning_defaults.txt, embedded at build time) followed by the user's
 * file, so the user's rows win at equal specificity. Rebuilt by every
 * ts_context_create (a new file or TESSEL_TUNING_FILE takes effect with
 * the next context) and swapped in under a lock; backends read it through
 * tsi_host.tuning while opening a device, which is rare, so one mutex
 * around each lookup costs nothing that matters.
 *
 * A user file is all or nothing: a malformed line, an unreadable or an
 * oversized file leaves only the built-in rows, with one log line saying
 * why, never a failed call: a typo in a tuning file must not stop an app. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/embedded.h"
#include "core/internal.h"
#include "core/tuning.h"

/* Generated from core/tuning_defaults.txt (core/CMakeLists.txt). */
extern const tsi_embedded_file tsi_tuning_defaults[];

/* Far above any real tuning file: a bigger one is a wrong path. */
#define USER_FILE_MAX (1u << 20)

#define NOTE_LEN (PATH_MAX + 256)

static pthread_mutex_t db_lock = PTHREAD_MUTEX_INITIALIZER;
static tsi_tuning_db *current; /* under db_lock; never changed once published */
/* Under db_lock: the user file's path, or "" when there is none. */
static char user_path[PATH_MAX];
/* Under db_lock: why the user file was ignored; "" when it was not. */
static char user_ignored[NOTE_LEN];

typedef struct user_file {
    char path[PATH_MAX];
    char ignored[NOTE_LEN];
} user_file;

/* The user file's path; false when none applies. explicit: it was named
 * by TESSEL_TUNING_FILE, so its absence is worth a log line. */
static bool user_file_path(char *path, size_t len, bool *explicit_path)
{
    const char *env = getenv("TESSEL_TUNING_FILE");
    *explicit_path = env && *env;
    if (*explicit_path) {
        int n = snprintf(path, len, "%s", env);
        return n >= 0 && (size_t)n < len;
    }
    char dir[PATH_MAX];
    if (!tsi_cache_path(dir, sizeof dir))
        return false;
    int n = snprintf(path, len, "%s/tuning.txt", dir);
    return n >= 0 && (size_t)n < len;
}

/* The whole file into a malloc'd buffer. TS_ERR_NOT_FOUND: cannot be
 * opened (errno kept); TS_ERR_INVALID_ARGUMENT: too large or a read error
 * (why set); TS_ERR_OUT_OF_MEMORY. */
static ts_status read_file(const char *path, char **out, size_t *len, const char **why)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return TS_ERR_NOT_FOUND;
    char *buf = malloc(USER_FILE_MAX + 1);
    if (!buf) {
        fclose(fp);
        return TS_ERR_OUT_OF_MEMORY;
    }
    size_t n = fread(buf, 1, USER_FILE_MAX + 1, fp);
    bool failed = ferror(fp);
    fclose(fp);
    if (failed || n > USER_FILE_MAX) {
        *why = failed ? "read error" : "larger than 1 MiB";
        free(buf);
        return TS_ERR_INVALID_ARGUMENT;
    }
    *out = buf;
    *len = n;
    return TS_OK;
}

/* Append the user file's rows to db, or note in u why they are left out.
 * Only TS_ERR_OUT_OF_MEMORY is an error. */
static ts_status add_user_file(tsi_tuning_db *db, user_file *u)
{
    bool explicit_path;
    u->path[0] = u->ignored[0] = '\0';
    if (!user_file_path(u->path, sizeof u->path, &explicit_path)) {
        u->path[0] = '\0';
        return TS_OK;
    }
    char *text = NULL, err[256] = "";
    size_t len = 0;
    const char *why = NULL;
    ts_status st = read_file(u->path, &text, &len, &why);
    if (st == TS_ERR_NOT_FOUND && !explicit_path && errno == ENOENT) {
        u->path[0] = '\0'; /* no file in the cache folder: the usual case */
        return TS_OK;
    }
    if (st == TS_ERR_NOT_FOUND)
        snprintf(err, sizeof err, "cannot open: %s", strerror(errno));
    else if (st == TS_ERR_INVALID_ARGUMENT)
        snprintf(err, sizeof err, "%s", why);
    else if (st == TS_OK)
        st = tsi_tuning_db_parse(db, text, len, TSI_TUNING_USER, err, sizeof err);
    free(text);
    if (st == TS_ERR_OUT_OF_MEMORY)
        return st;
    if (st != TS_OK) {
        snprintf(u->ignored, sizeof u->ignored, "%s", err);
        tsi_log(TS_LOG_WARN, "tessel: tuning file %s ignored: %s", u->path, err);
    }
    return TS_OK;
}

/* Build a fresh database and publish it; no thread message is set. */
static ts_status load(void)
{
    tsi_tuning_db *db = tsi_tuning_db_new();
    user_file *u = malloc(sizeof *u);
    if (!db || !u) {
        tsi_tuning_db_free(db);
        free(u);
        return TS_ERR_OUT_OF_MEMORY;
    }
    char err[256] = "no embedded tuning_defaults.txt";
    const tsi_embedded_file *f = tsi_embedded_find(tsi_tuning_defaults, "tuning_defaults.txt");
    ts_status st = f ? tsi_tuning_db_parse(db, (const char *)f->data, f->size, TSI_TUNING_BUILTIN,
                                           err, sizeof err)
                     : TS_ERR_INTERNAL;
    /* A broken built-in file is a build defect (the tuning test parses
     * it); the backends' fallbacks keep every device working meanwhile. */
    if (st != TS_OK && st != TS_ERR_OUT_OF_MEMORY)
        tsi_log(TS_LOG_ERROR, "tessel: built-in tuning defaults ignored: %s", err);
    if (st != TS_ERR_OUT_OF_MEMORY)
        st = add_user_file(db, u);
    if (st == TS_ERR_OUT_OF_MEMORY) {
        tsi_tuning_db_free(db);
        free(u);
        return st;
    }
    pthread_mutex_lock(&db_lock);
    tsi_tuning_db *old = current;
    current = db;
    memcpy(user_path, u->path, sizeof user_path);
    memcpy(user_ignored, u->ignored, sizeof user_ignored);
    pthread_mutex_unlock(&db_lock);
    /* Readers only use the database while holding the lock, so none can
     * still be reading the old one. */
    tsi_tuning_db_free(old);
    free(u);
    return TS_OK;
}

ts_status tsi_tuning_load(void)
{
    ts_status st = load();
    if (st != TS_OK)
        return tsi_fail(st, "ts_context_create: out of host memory loading the tuning database");
    return TS_OK;
}

/* Lookups before any context (tests, tools) load the database on demand;
 * a failed load leaves the fallbacks in effect and is retried next time. */
static void ensure_loaded(void)
{
    pthread_mutex_lock(&db_lock);
    bool have = current != NULL;
    pthread_mutex_unlock(&db_lock);
    if (!have)
        (void)load();
}

int64_t tsi_tuning_lookup(const ts_device_info *dev, const char *key, int64_t fallback)
{
    if (!dev || !key)
        return fallback;
    ensure_loaded();
    int64_t v;
    pthread_mutex_lock(&db_lock);
    if (!tsi_tuning_db_find(current, dev, key, &v, NULL))
        v = fallback;
    pthread_mutex_unlock(&db_lock);
    return v;
}

/* Where the values of a summary came from, appended to buf. */
static void append_sources(char *buf, size_t len, int user)
{
    size_t pos = strlen(buf);
    const char *sep = pos ? " " : "";
    if (pos + 1 >= len)
        return;
    if (user_ignored[0])
        snprintf(buf + pos, len - pos, "%s(built-in; user file %s ignored: %s)", sep, user_path,
                 user_ignored);
    else if (user)
        snprintf(buf + pos, len - pos, "%s(*: user file %s; others built-in)", sep, user_path);
    else if (user_path[0])
        snprintf(buf + pos, len - pos, "%s(built-in; user file %s has none for this device)", sep,
                 user_path);
    else
        snprintf(buf + pos, len - pos, "%s(built-in)", sep);
}

TS_API ts_status ts_device_tuning_summary(const ts_device *dev, char *buf, size_t len)
{
    TSI_CHECK(dev, TS_ERR_INVALID_ARGUMENT, "ts_device_tuning_summary: dev is NULL");
    TSI_CHECK(buf && len, TS_ERR_INVALID_ARGUMENT,
              "ts_device_tuning_summary: buf is NULL or len is 0");
    ensure_loaded();
    pthread_mutex_lock(&db_lock);
    int user = tsi_tuning_db_describe(current, &dev->info, buf, len);
    append_sources(buf, len, user);
    pthread_mutex_unlock(&db_lock);
    return TS_OK;
}
