/* The tuning schema: parsing rows, matching them to a device, and picking
 * the winning value of a key (see core/tuning.h and docs/tuning.md). Kept
 * free of globals and of the environment so the tests can drive it with
 * synthetic devices and texts. */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tuning.h"

typedef struct tuning_entry {
    const char *key;
    int64_t value;
} tuning_entry;

typedef struct tuning_row {
    char *text;          /* the line's own copy; every string below points into it */
    const char *backend; /* NULL: any */
    bool any_vendor;
    uint32_t vendor;
    int kind;                    /* ts_device_kind; -1: any */
    const char *device, *driver; /* fnmatch globs; NULL: any */
    int specificity;             /* selectors that are not "*" */
    tsi_tuning_source source;
    tuning_entry *entries;
    int n_entries;
} tuning_row;

struct tsi_tuning_db {
    tuning_row *rows;
    size_t n, cap;
};

/* Names of ts_device_kind values, indexed by the enum. */
static const char *const kind_names[] = {
    [TS_DEVICE_DISCRETE_GPU] = "discrete",
    [TS_DEVICE_INTEGRATED_GPU] = "integrated",
    [TS_DEVICE_CPU] = "cpu",
    [TS_DEVICE_SOFTWARE] = "software",
    [TS_DEVICE_OTHER] = "other",
};

static const char *const backend_names[] = {"cpu", "vulkan", "opencl"};

const char *tsi_tuning_kind_name(ts_device_kind kind)
{
    return (unsigned)kind < sizeof kind_names / sizeof kind_names[0] && kind_names[kind]
               ? kind_names[kind]
               : "other";
}

tsi_tuning_db *tsi_tuning_db_new(void)
{
    return calloc(1, sizeof(tsi_tuning_db));
}

static void row_free(tuning_row *r)
{
    free(r->text);
    free(r->entries);
}

void tsi_tuning_db_free(tsi_tuning_db *db)
{
    if (!db)
        return;
    for (size_t i = 0; i < db->n; i++)
        row_free(&db->rows[i]);
    free(db->rows);
    free(db);
}

/* ---- parsing --------------------------------------------------------------- */

static void set_err(char *err, size_t len, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void set_err(char *err, size_t len, int line, const char *fmt, ...)
{
    if (!err || !len)
        return;
    int n = snprintf(err, len, "line %d: ", line);
    if (n < 0 || (size_t)n >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, len - (size_t)n, fmt, ap);
    va_end(ap);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Split s in place at whitespace; up to max token pointers; returns the
 * count (which may exceed max: the caller then has too many to store). */
static int tokenize(char *s, char **tok, int max)
{
    int n = 0;
    while (*s) {
        while (is_space(*s))
            s++;
        if (!*s)
            break;
        if (n < max)
            tok[n] = s;
        n++;
        while (*s && !is_space(*s))
            s++;
        if (*s)
            *s++ = '\0';
    }
    return n;
}

static bool is_digit(char c, int base)
{
    if (c >= '0' && c <= '9')
        return true;
    return base == 16 && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
}

/* A decimal or 0x-hex integer, optionally negative, that fills s. */
static bool parse_int(const char *s, int64_t *out)
{
    const char *p = s[0] == '-' ? s + 1 : s;
    int base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    if (!is_digit(*p, base))
        return false; /* strtoll would take a sign or spaces here */
    errno = 0;
    char *end;
    long long v = strtoll(p, &end, base);
    if (errno == ERANGE || *end)
        return false;
    *out = s[0] == '-' ? -(int64_t)v : (int64_t)v;
    return true;
}

static bool parse_vendor(const char *s, tuning_row *r)
{
    r->any_vendor = strcmp(s, "*") == 0;
    if (r->any_vendor)
        return true;
    int64_t v;
    bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    if (!hex || !parse_int(s, &v) || v < 0 || v > (int64_t)UINT32_MAX)
        return false;
    r->vendor = (uint32_t)v;
    return true;
}

static bool parse_kind(const char *s, tuning_row *r)
{
    r->kind = -1;
    if (strcmp(s, "*") == 0)
        return true;
    for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
        if (strcmp(s, kind_names[i]) == 0)
            r->kind = (int)i;
    return r->kind >= 0;
}

static bool parse_backend(const char *s, tuning_row *r)
{
    r->backend = NULL;
    if (strcmp(s, "*") == 0)
        return true;
    for (size_t i = 0; i < sizeof backend_names / sizeof backend_names[0]; i++)
        if (strcmp(s, backend_names[i]) == 0)
            r->backend = s;
    return r->backend != NULL;
}

static bool valid_key(const char *k)
{
    if (!*k)
        return false;
    for (; *k; k++)
        if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '_' || *k == '.'))
            return false;
    return true;
}

/* The key=value tokens of a row into r->entries. */
static ts_status parse_entries(tuning_row *r, char **tok, int n, int line, char *err, size_t len)
{
    r->entries = calloc((size_t)n, sizeof *r->entries);
    if (!r->entries)
        return TS_ERR_OUT_OF_MEMORY;
    for (int i = 0; i < n; i++) {
        char *eq = strchr(tok[i], '=');
        if (!eq) {
            set_err(err, len, line, "'%s' is not key=value", tok[i]);
            return TS_ERR_INVALID_ARGUMENT;
        }
        *eq = '\0';
        tuning_entry *e = &r->entries[i];
        e->key = tok[i];
        if (!valid_key(e->key)) {
            set_err(err, len, line, "bad key '%s' (lower-case letters, digits, '_' and '.')",
                    e->key);
            return TS_ERR_INVALID_ARGUMENT;
        }
        if (!parse_int(eq + 1, &e->value)) {
            set_err(err, len, line, "%s: '%s' is not an integer (decimal or 0x hex)", e->key,
                    eq + 1);
            return TS_ERR_INVALID_ARGUMENT;
        }
        for (int j = 0; j < i; j++) {
            if (strcmp(r->entries[j].key, e->key) == 0) {
                set_err(err, len, line, "key '%s' is given twice", e->key);
                return TS_ERR_INVALID_ARGUMENT;
            }
        }
    }
    r->n_entries = n;
    return TS_OK;
}

enum { SELECTORS = 5, MAX_TOKENS = 64 };

/* One line (its own copy in r->text, comment stripped) into r. */
static ts_status parse_row(tuning_row *r, int line, char *err, size_t len)
{
    char *tok[MAX_TOKENS];
    int n = tokenize(r->text, tok, MAX_TOKENS);
    if (n > MAX_TOKENS) {
        set_err(err, len, line, "more than %d fields", MAX_TOKENS);
        return TS_ERR_INVALID_ARGUMENT;
    }
    if (n < SELECTORS + 1) {
        set_err(err, len, line, "want 'backend vendor kind device driver key=value...'");
        return TS_ERR_INVALID_ARGUMENT;
    }
    if (!parse_backend(tok[0], r)) {
        set_err(err, len, line, "unknown backend '%s' (cpu, vulkan, opencl or *)", tok[0]);
        return TS_ERR_INVALID_ARGUMENT;
    }
    if (!parse_vendor(tok[1], r)) {
        set_err(err, len, line, "vendor '%s' is not a 0x hex PCI id or *", tok[1]);
        return TS_ERR_INVALID_ARGUMENT;
    }
    if (!parse_kind(tok[2], r)) {
        set_err(err, len, line,
                "unknown kind '%s' (discrete, integrated, cpu, software, other or *)", tok[2]);
        return TS_ERR_INVALID_ARGUMENT;
    }
    r->device = strcmp(tok[3], "*") == 0 ? NULL : tok[3];
    r->driver = strcmp(tok[4], "*") == 0 ? NULL : tok[4];
    r->specificity = (r->backend != NULL) + !r->any_vendor + (r->kind >= 0) + (r->device != NULL) +
                     (r->driver != NULL);
    return parse_entries(r, tok + SELECTORS, n - SELECTORS, line, err, len);
}

static ts_status db_reserve(tsi_tuning_db *db)
{
    if (db->n < db->cap)
        return TS_OK;
    size_t cap = db->cap ? db->cap * 2 : 32;
    tuning_row *grown = realloc(db->rows, cap * sizeof *grown);
    if (!grown)
        return TS_ERR_OUT_OF_MEMORY;
    db->rows = grown;
    db->cap = cap;
    return TS_OK;
}

/* The line [p, p + n) as a row appended to db, or nothing for a blank or
 * comment line. */
static ts_status add_line(tsi_tuning_db *db, const char *p, size_t n, int line,
                          tsi_tuning_source source, char *err, size_t len)
{
    const char *hash = memchr(p, '#', n);
    if (hash)
        n = (size_t)(hash - p);
    if (memchr(p, '\0', n)) {
        set_err(err, len, line, "NUL byte");
        return TS_ERR_INVALID_ARGUMENT;
    }
    size_t i = 0;
    while (i < n && is_space(p[i]))
        i++;
    if (i == n)
        return TS_OK;
    if (db_reserve(db) != TS_OK)
        return TS_ERR_OUT_OF_MEMORY;
    tuning_row *r = &db->rows[db->n];
    memset(r, 0, sizeof *r);
    r->source = source;
    r->text = malloc(n + 1);
    if (!r->text)
        return TS_ERR_OUT_OF_MEMORY;
    memcpy(r->text, p, n);
    r->text[n] = '\0';
    ts_status st = parse_row(r, line, err, len);
    if (st != TS_OK) {
        row_free(r);
        return st;
    }
    db->n++;
    return TS_OK;
}

ts_status tsi_tuning_db_parse(tsi_tuning_db *db, const char *text, size_t len,
                              tsi_tuning_source source, char *err, size_t err_len)
{
    if (err && err_len)
        err[0] = '\0';
    size_t first = db->n;
    ts_status st = TS_OK;
    int line = 1;
    for (size_t pos = 0; pos < len && st == TS_OK; line++) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        st = add_line(db, text + pos, n, line, source, err, err_len);
        pos += n + 1;
    }
    if (st == TS_ERR_OUT_OF_MEMORY)
        set_err(err, err_len, line - 1, "out of memory");
    if (st != TS_OK) {
        while (db->n > first)
            row_free(&db->rows[--db->n]);
    }
    return st;
}

/* ---- matching and resolving ---------------------------------------------- */

static bool row_matches(const tuning_row *r, const ts_device_info *d)
{
    if (r->backend && strcmp(r->backend, d->backend) != 0)
        return false;
    if (!r->any_vendor && r->vendor != d->vendor_id)
        return false;
    if (r->kind >= 0 && r->kind != (int)d->kind)
        return false;
    if (r->device && fnmatch(r->device, d->name, 0) != 0)
        return false;
    return !r->driver || fnmatch(r->driver, d->driver, 0) == 0;
}

static const tuning_entry *row_entry(const tuning_row *r, const char *key)
{
    for (int i = 0; i < r->n_entries; i++)
        if (strcmp(r->entries[i].key, key) == 0)
            return &r->entries[i];
    return NULL;
}

bool tsi_tuning_db_find(const tsi_tuning_db *db, const ts_device_info *dev, const char *key,
                        int64_t *value, tsi_tuning_source *source)
{
    const tuning_row *best_row = NULL;
    const tuning_entry *best = NULL;
    for (size_t i = 0; db && i < db->n; i++) {
        const tuning_row *r = &db->rows[i];
        const tuning_entry *e = row_entry(r, key);
        /* >=: at equal specificity the later row (a user file) wins. */
        if (e && (!best_row || r->specificity >= best_row->specificity) && row_matches(r, dev)) {
            best_row = r;
            best = e;
        }
    }
    if (!best)
        return false;
    *value = best->value;
    if (source)
        *source = best_row->source;
    return true;
}

/* Does a matching row before rows[i] define key? */
static bool seen_before(const tsi_tuning_db *db, const ts_device_info *dev, size_t i,
                        const char *key)
{
    for (size_t j = 0; j < i; j++)
        if (row_entry(&db->rows[j], key) && row_matches(&db->rows[j], dev))
            return true;
    return false;
}

int tsi_tuning_db_describe(const tsi_tuning_db *db, const ts_device_info *dev, char *buf,
                           size_t len)
{
    if (!len)
        return 0;
    buf[0] = '\0';
    size_t pos = 0;
    int user = 0;
    for (size_t i = 0; db && i < db->n; i++) {
        const tuning_row *r = &db->rows[i];
        if (!row_matches(r, dev))
            continue;
        for (int k = 0; k < r->n_entries; k++) {
            const char *key = r->entries[k].key;
            int64_t v;
            tsi_tuning_source src;
            if (seen_before(db, dev, i, key) || !tsi_tuning_db_find(db, dev, key, &v, &src))
                continue;
            user += src == TSI_TUNING_USER;
            int n = snprintf(buf + pos, len - pos, "%s%s=%lld%s", pos ? " " : "", key, (long long)v,
                             src == TSI_TUNING_USER ? "*" : "");
            if (n < 0 || (size_t)n >= len - pos)
                return user; /* truncated: the rest would not fit either */
            pos += (size_t)n;
        }
    }
    return user;
}

int tsi_tuning_db_keys(const tsi_tuning_db *db, const ts_device_info *dev, const char **keys, int n,
                       int max)
{
    for (size_t i = 0; db && i < db->n; i++) {
        const tuning_row *r = &db->rows[i];
        if (!row_matches(r, dev))
            continue;
        for (int k = 0; k < r->n_entries; k++) {
            const char *key = r->entries[k].key;
            bool known = false;
            for (int j = 0; j < n && !known; j++)
                known = strcmp(keys[j], key) == 0;
            if (!known && n < max)
                keys[n++] = key;
        }
    }
    return n;
}
