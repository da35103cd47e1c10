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
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
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

/* A tuned file of the cache folder (or a shipped one: no header check). */
typedef struct tuned_layer {
    char path[PATH_MAX];
    tsi_tuned_header h;
    tsi_tuning_db *db;
    bool checked; /* false: shipped, rows select their devices */
    bool warned;  /* the stale-driver line was logged */
} tuned_layer;

typedef struct tuned_set {
    tuned_layer *files;
    int n;
} tuned_set;

/* Under db_lock, published with current. */
static tuned_set tuned;

/* tessel-tune's candidates; under db_lock, kept across loads. */
typedef struct override_entry {
    char backend[16];
    uint32_t vendor;
    char name[256];
    char key[64];
    int64_t value;
} override_entry;
static override_entry *overrides;
static int n_overrides;
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

ts_status tsi_tuning_read_file(const char *path, char **out, size_t *len, const char **why)
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
    buf[n] = '\0';
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
    ts_status st = tsi_tuning_read_file(u->path, &text, &len, &why);
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

static void tuned_set_free(tuned_set *t)
{
    for (int i = 0; i < t->n; i++)
        tsi_tuning_db_free(t->files[i].db);
    free(t->files);
    t->files = NULL;
    t->n = 0;
}

static ts_status tuned_add(tuned_set *t, tuned_layer *l)
{
    tuned_layer *f = realloc(t->files, (size_t)(t->n + 1) * sizeof *f);
    if (!f)
        return TS_ERR_OUT_OF_MEMORY;
    t->files = f;
    t->files[t->n++] = *l;
    return TS_OK;
}

/* The shipped tuned files (the .txt files in core/tuned, embedded with the defaults):
 * their rows select their devices (by name glob, any driver), so they are
 * the built-in values of the CI devices. */
static ts_status add_shipped(tuned_set *t)
{
    for (const tsi_embedded_file *f = tsi_tuning_defaults; f->name; f++) {
        if (strcmp(f->name, "tuning_defaults.txt") == 0)
            continue;
        tuned_layer l = {.checked = false};
        snprintf(l.path, sizeof l.path, "core/tuned/%s", f->name);
        char err[256] = "";
        l.db = tsi_tuning_db_new();
        ts_status st = l.db ? tsi_tuning_db_parse(l.db, (const char *)f->data, f->size,
                                                  TSI_TUNING_SHIPPED, err, sizeof err)
                            : TS_ERR_OUT_OF_MEMORY;
        if (st == TS_OK)
            st = tuned_add(t, &l);
        if (st != TS_OK)
            tsi_tuning_db_free(l.db);
        if (st == TS_ERR_OUT_OF_MEMORY)
            return st;
        if (st != TS_OK)
            tsi_log(TS_LOG_ERROR, "tessel: shipped tuned file %s ignored: %s", l.path, err);
    }
    return TS_OK;
}

/* Every *.txt of <cache dir>/tuned/; a corrupt or stale file is ignored
 * with one log line. Cache files come first: they beat the shipped ones. */
static ts_status add_cache_files(tuned_set *t)
{
    char dir[PATH_MAX];
    if (!tsi_cache_path(dir, sizeof dir) || strlen(dir) + 8 >= sizeof dir)
        return TS_OK;
    strcat(dir, "/tuned");
    DIR *d = opendir(dir);
    if (!d)
        return TS_OK; /* never tuned: the usual case */
    ts_status st = TS_OK;
    struct dirent *e;
    while (st != TS_ERR_OUT_OF_MEMORY && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".txt") != 0)
            continue;
        tuned_layer l = {.checked = true};
        if (snprintf(l.path, sizeof l.path, "%s/%s", dir, e->d_name) >= (int)sizeof l.path)
            continue;
        char *text = NULL, err[256] = "";
        size_t len = 0;
        const char *why = "cannot open";
        st = tsi_tuning_read_file(l.path, &text, &len, &why);
        l.db = st == TS_OK ? tsi_tuning_db_new() : NULL;
        if (st == TS_OK && !l.db)
            st = TS_ERR_OUT_OF_MEMORY;
        if (st == TS_OK)
            st = tsi_tuned_file_parse(text, len, &l.h, l.db, err, sizeof err);
        else if (st != TS_ERR_OUT_OF_MEMORY)
            snprintf(err, sizeof err, "%s", why);
        free(text);
        if (st == TS_OK)
            st = tuned_add(t, &l);
        if (st != TS_OK) {
            tsi_tuning_db_free(l.db);
            if (st != TS_ERR_OUT_OF_MEMORY)
                tsi_log(TS_LOG_WARN, "tessel: tuned file %s ignored: %s", l.path, err);
        }
    }
    closedir(d);
    return st == TS_ERR_OUT_OF_MEMORY ? st : TS_OK;
}

/* TESSEL_TUNED: "off" (no tuned files), "shipped" (only the shipped
 * ones); anything else: both. */
static void tuned_layers(bool *cache, bool *shipped)
{
    const char *env = getenv("TESSEL_TUNED");
    *cache = !env || (strcmp(env, "off") != 0 && strcmp(env, "shipped") != 0);
    *shipped = !env || strcmp(env, "off") != 0;
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
    tuned_set t = {0};
    bool cache, shipped;
    tuned_layers(&cache, &shipped);
    if (st != TS_ERR_OUT_OF_MEMORY && cache)
        st = add_cache_files(&t);
    if (st != TS_ERR_OUT_OF_MEMORY && shipped)
        st = add_shipped(&t);
    if (st == TS_ERR_OUT_OF_MEMORY) {
        tsi_tuning_db_free(db);
        tuned_set_free(&t);
        free(u);
        return st;
    }
    pthread_mutex_lock(&db_lock);
    tsi_tuning_db *old = current;
    tuned_set old_tuned = tuned;
    tuned = t;
    current = db;
    memcpy(user_path, u->path, sizeof user_path);
    memcpy(user_ignored, u->ignored, sizeof user_ignored);
    pthread_mutex_unlock(&db_lock);
    /* Readers only use the database while holding the lock, so none can
     * still be reading the old one. */
    tsi_tuning_db_free(old);
    tuned_set_free(&old_tuned);
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
    if (!tsi_tuning_resolve(dev, key, &v, NULL, NULL, 0))
        v = fallback;
    return v;
}

static bool same_device(const char *backend, uint32_t vendor, const char *name,
                        const ts_device_info *dev)
{
    return strcmp(backend, dev->backend) == 0 && vendor == dev->vendor_id &&
           strcmp(name, dev->name) == 0;
}

/* Under db_lock. A cache file applies to its own device and driver only;
 * one whose driver changed is stale: *stale gets a line to log. */
static bool tuned_applies(tuned_layer *l, const ts_device_info *dev, char *stale, size_t len)
{
    if (!l->checked)
        return true; /* shipped: the rows select */
    if (!same_device(l->h.backend, l->h.vendor, l->h.device, dev))
        return false;
    if (strcmp(l->h.driver, dev->driver) == 0)
        return true;
    if (!l->warned && stale && len) {
        l->warned = true;
        snprintf(stale, len,
                 "tessel: tuned file %s ignored: stale: tuned with driver '%s', "
                 "the device now runs '%s' (run tessel-tune again)",
                 l->path, l->h.driver, dev->driver);
    }
    return false;
}

/* Under db_lock. */
static bool resolve_locked(const ts_device_info *dev, const char *key, int64_t *value,
                           tsi_tuning_source *source, const char **file, char *stale,
                           size_t stale_len)
{
    *file = "";
    for (int i = 0; i < n_overrides; i++) {
        const override_entry *o = &overrides[i];
        if (same_device(o->backend, o->vendor, o->name, dev) && strcmp(o->key, key) == 0) {
            *value = o->value;
            *source = TSI_TUNING_OVERRIDE;
            return true;
        }
    }
    int64_t v;
    tsi_tuning_source src;
    bool have = tsi_tuning_db_find(current, dev, key, &v, &src);
    if (have && src == TSI_TUNING_USER) {
        *value = v;
        *source = src;
        *file = user_path;
        return true;
    }
    for (int i = 0; i < tuned.n; i++) {
        tuned_layer *l = &tuned.files[i];
        if (tuned_applies(l, dev, stale, stale_len) &&
            tsi_tuning_db_find(l->db, dev, key, value, NULL)) {
            *source = l->checked ? TSI_TUNING_TUNED : TSI_TUNING_SHIPPED;
            *file = l->path;
            return true;
        }
    }
    if (have) {
        *value = v;
        *source = src;
    }
    return have;
}

bool tsi_tuning_resolve(const ts_device_info *dev, const char *key, int64_t *value,
                        tsi_tuning_source *source, char *file, size_t file_len)
{
    if (!dev || !key)
        return false;
    ensure_loaded();
    char stale[2 * PATH_MAX] = "";
    const char *f = "";
    tsi_tuning_source src = TSI_TUNING_NONE;
    pthread_mutex_lock(&db_lock);
    bool found = resolve_locked(dev, key, value, &src, &f, stale, sizeof stale);
    if (file && file_len)
        snprintf(file, file_len, "%s", f);
    pthread_mutex_unlock(&db_lock);
    if (stale[0])
        tsi_log(TS_LOG_WARN, "%s", stale);
    if (source)
        *source = src;
    return found;
}

/* The variables the backends read on top of the database (docs/tuning.md):
 * key, backend (NULL: any), variable, position in its comma list, count. */
static const struct env_key {
    const char *key, *backend, *var;
    int index, count;
} env_keys[] = {
    {"gemm.bm", NULL, "TESSEL_GEMM_TILES", 0, 6},
    {"gemm.bn", NULL, "TESSEL_GEMM_TILES", 1, 6},
    {"gemm.bk", NULL, "TESSEL_GEMM_TILES", 2, 6},
    {"gemm.wptm", NULL, "TESSEL_GEMM_TILES", 3, 6},
    {"gemm.wptn", NULL, "TESSEL_GEMM_TILES", 4, 6},
    {"gemm.shared", NULL, "TESSEL_GEMM_TILES", 5, 6},
    {"texel", "vulkan", "TESSEL_VULKAN_TEXEL", 0, 1},
    {"attention.q_tile", NULL, "TESSEL_ATTENTION_TILES", 0, 2},
    {"attention.k_tile", NULL, "TESSEL_ATTENTION_TILES", 1, 2},
    {"row_wg", "vulkan", "TESSEL_VULKAN_WG", 0, 2},
    {"elem_wg", "vulkan", "TESSEL_VULKAN_WG", 1, 2},
    {"elem_wg", "opencl", "TESSEL_OPENCL_TUNE", 0, 2},
    {"row_wg", "opencl", "TESSEL_OPENCL_TUNE", 1, 2},
};

bool tsi_tuning_env(const ts_device_info *dev, const char *key, int64_t *value, const char **name)
{
    for (size_t i = 0; dev && key && i < sizeof env_keys / sizeof env_keys[0]; i++) {
        const struct env_key *e = &env_keys[i];
        if (strcmp(e->key, key) != 0 || (e->backend && strcmp(e->backend, dev->backend) != 0))
            continue;
        const char *env = getenv(e->var);
        if (!env || !*env)
            return false;
        /* The backends take the variable only when it is complete. */
        int64_t v[8];
        int n = 0;
        const char *p = env;
        while (n < e->count) {
            char *end;
            long long x = strtoll(p, &end, 10);
            if (end == p)
                return false;
            v[n++] = x;
            if (*end != ',')
                break;
            p = end + 1;
        }
        if (n != e->count)
            return false;
        *value = v[e->index];
        *name = e->var;
        return true;
    }
    return false;
}

static bool same_override(const override_entry *o, const ts_device_info *dev, const char *key)
{
    return same_device(o->backend, o->vendor, o->name, dev) && strcmp(o->key, key) == 0;
}

ts_status tsi_tuning_override(const ts_device_info *dev, const char *key, int64_t value)
{
    TSI_CHECK(dev && key && *key && strlen(key) < sizeof overrides[0].key &&
                  strlen(dev->backend) < sizeof overrides[0].backend &&
                  strlen(dev->name) < sizeof overrides[0].name,
              TS_ERR_INVALID_ARGUMENT, "tsi_tuning_override: bad device or key");
    pthread_mutex_lock(&db_lock);
    int i = 0;
    while (i < n_overrides && !same_override(&overrides[i], dev, key))
        i++;
    if (i == n_overrides) {
        override_entry *o = realloc(overrides, (size_t)(n_overrides + 1) * sizeof *o);
        if (!o) {
            pthread_mutex_unlock(&db_lock);
            return tsi_fail(TS_ERR_OUT_OF_MEMORY, "tsi_tuning_override: out of host memory");
        }
        overrides = o;
        n_overrides++;
        memset(&o[i], 0, sizeof o[i]);
        snprintf(o[i].backend, sizeof o[i].backend, "%s", dev->backend);
        o[i].vendor = dev->vendor_id;
        snprintf(o[i].name, sizeof o[i].name, "%s", dev->name);
        snprintf(o[i].key, sizeof o[i].key, "%s", key);
    }
    overrides[i].value = value;
    pthread_mutex_unlock(&db_lock);
    return TS_OK;
}

void tsi_tuning_override_clear(void)
{
    pthread_mutex_lock(&db_lock);
    free(overrides);
    overrides = NULL;
    n_overrides = 0;
    pthread_mutex_unlock(&db_lock);
}

/* Appends printf output at *pos, keeping buf NUL-terminated. */
static void put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
    if (*pos + 1 >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
    va_end(ap);
    if (n > 0)
        *pos = (size_t)n < len - *pos ? *pos + (size_t)n : len - 1;
}

#define MAX_KEYS 128

/* What a summary found, for its legend. */
typedef struct summary_sources {
    int user, tuned, env, override;
    const char *tuned_file, *shipped_file, *env_vars[4];
    int n_env_vars;
} summary_sources;

/* One "key=value<mark>" per key (under db_lock): '*' user file, '+' tuned
 * file, '!' environment, '~' tessel-tune's override; built-in (shipped
 * tuned files included) unmarked. */
static void describe_keys(const ts_device_info *dev, char *buf, size_t len, size_t *pos,
                          summary_sources *s, char *stale, size_t stale_len)
{
    const char *keys[MAX_KEYS];
    int n = tsi_tuning_db_keys(current, dev, keys, 0, MAX_KEYS);
    for (int i = 0; i < tuned.n; i++)
        if (tuned_applies(&tuned.files[i], dev, stale, stale_len))
            n = tsi_tuning_db_keys(tuned.files[i].db, dev, keys, n, MAX_KEYS);
    for (int k = 0; k < n; k++) {
        int64_t v;
        tsi_tuning_source src;
        const char *file, *var;
        if (!resolve_locked(dev, keys[k], &v, &src, &file, stale, stale_len))
            continue;
        const char *mark = "";
        if (tsi_tuning_env(dev, keys[k], &v, &var)) {
            mark = "!";
            s->env++;
            int j = 0;
            while (j < s->n_env_vars && strcmp(s->env_vars[j], var) != 0)
                j++;
            if (j == s->n_env_vars && j < 4)
                s->env_vars[s->n_env_vars++] = var;
        } else if (src == TSI_TUNING_USER) {
            mark = "*";
            s->user++;
        } else if (src == TSI_TUNING_TUNED) {
            mark = "+";
            s->tuned++;
            s->tuned_file = file;
        } else if (src == TSI_TUNING_OVERRIDE) {
            mark = "~";
            s->override++;
        } else if (src == TSI_TUNING_SHIPPED) {
            s->shipped_file = file;
        }
        put(buf, len, pos, "%s%s=%lld%s", *pos ? " " : "", keys[k], (long long)v, mark);
    }
}

/* Where the values of a summary came from, appended to buf. */
static void append_sources(char *buf, size_t len, size_t *pos, const summary_sources *s)
{
    put(buf, len, pos, "%s(", *pos ? " " : "");
    if (s->env) {
        put(buf, len, pos, "!: environment");
        for (int i = 0; i < s->n_env_vars; i++)
            put(buf, len, pos, "%s%s", i ? ", " : " ", s->env_vars[i]);
        put(buf, len, pos, "; ");
    }
    if (s->override)
        put(buf, len, pos, "~: tessel-tune candidate; ");
    if (s->user)
        put(buf, len, pos, "*: user file %s; ", user_path);
    if (s->tuned)
        put(buf, len, pos, "+: tuned: %s; ", s->tuned_file);
    bool marked = s->env || s->override || s->user || s->tuned;
    put(buf, len, pos, "%sbuilt-in", marked ? "others " : "");
    if (s->shipped_file)
        put(buf, len, pos, " (tuned %s)", s->shipped_file);
    if (user_ignored[0])
        put(buf, len, pos, "; user file %s ignored: %s", user_path, user_ignored);
    else if (user_path[0] && !s->user)
        put(buf, len, pos, "; user file %s has none for this device", user_path);
    put(buf, len, pos, ")");
}

TS_API ts_status ts_device_tuning_summary(const ts_device *dev, char *buf, size_t len)
{
    TSI_CHECK(dev, TS_ERR_INVALID_ARGUMENT, "ts_device_tuning_summary: dev is NULL");
    TSI_CHECK(buf && len, TS_ERR_INVALID_ARGUMENT,
              "ts_device_tuning_summary: buf is NULL or len is 0");
    ensure_loaded();
    char stale[2 * PATH_MAX] = "";
    summary_sources s = {0};
    size_t pos = 0;
    buf[0] = '\0';
    pthread_mutex_lock(&db_lock);
    describe_keys(&dev->info, buf, len, &pos, &s, stale, sizeof stale);
    append_sources(buf, len, &pos, &s);
    pthread_mutex_unlock(&db_lock);
    if (stale[0])
        tsi_log(TS_LOG_WARN, "%s", stale);
    return TS_OK;
}
