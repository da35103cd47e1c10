/* Tuned files: what tessel-tune measured for one device, persisted in
 * <cache dir>/tuned/ and read by every ts_context_create (core/tuning.h,
 * docs/tuning.md). The rows are ordinary tuning rows, so a file can be
 * sent back to the project and shipped in core/tuned/ as it is; the
 * header before them ties the file to one device, driver and tessel
 * version and carries a checksum, validated like the pipeline cache: a
 * corrupt, foreign or stale file is ignored with a log line, never
 * trusted. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fnv1a.h"
#include "core/internal.h"
#include "core/tuning.h"

#define FORMAT_VERSION 1
#define TAG "#@ "

bool tsi_tuned_file_path(const ts_device_info *dev, char *buf, size_t len)
{
    char dir[PATH_MAX];
    if (!dev || !tsi_cache_path(dir, sizeof dir))
        return false;
    uint64_t h = tsi_fnv1a(TSI_FNV_BASIS, &dev->vendor_id, sizeof dev->vendor_id);
    h = tsi_fnv1a(h, dev->name, strlen(dev->name));
    int n = snprintf(buf, len, "%s/tuned/%s-%016llx.txt", dir, dev->backend, (unsigned long long)h);
    return n >= 0 && (size_t)n < len;
}

/* The device name as a glob that matches only it: whitespace and glob
 * characters become '?' (a field cannot hold a space). */
static void name_glob(const char *name, char *out, size_t len)
{
    size_t i = 0;
    for (; name[i] && i + 1 < len; i++) {
        char c = name[i];
        out[i] = (c == ' ' || c == '\t' || c == '*' || c == '?' || c == '[' || c == ']' ||
                  c == '\\' || c == '#')
                     ? '?'
                     : c;
    }
    out[i] = '\0';
}

/* Header values are single lines: a newline in a name would end them. */
static bool one_line(const char *s)
{
    return !strchr(s, '\n') && !strchr(s, '\r');
}

ts_status tsi_tuned_file_format(const ts_device_info *dev, const char *entries, char **text)
{
    *text = NULL;
    if (!one_line(dev->name) || !one_line(dev->driver) || !one_line(entries))
        return TS_ERR_INVALID_ARGUMENT;
    char glob[sizeof dev->name];
    name_glob(dev->name, glob, sizeof glob);
    size_t rows_len = strlen(glob) + strlen(entries) + 128;
    char *rows = malloc(rows_len);
    if (!rows)
        return TS_ERR_OUT_OF_MEMORY;
    /* No entries: the built-in values won everywhere; a file that says so
     * replaces an older one. */
    if (entries[0])
        snprintf(rows, rows_len, "%s 0x%x %s %s * %s\n", dev->backend, (unsigned)dev->vendor_id,
                 tsi_tuning_kind_name(dev->kind), glob, entries);
    else
        snprintf(rows, rows_len, "# no values: the built-in ones won everywhere\n");
    /* The rows must load: check them before anything is written. */
    tsi_tuning_db *db = tsi_tuning_db_new();
    ts_status st = db ? tsi_tuning_db_parse(db, rows, strlen(rows), TSI_TUNING_TUNED, NULL, 0)
                      : TS_ERR_OUT_OF_MEMORY;
    tsi_tuning_db_free(db);
    size_t len = rows_len + strlen(dev->name) + strlen(dev->driver) + 512;
    char *out = st == TS_OK ? malloc(len) : NULL;
    if (st == TS_OK && !out)
        st = TS_ERR_OUT_OF_MEMORY;
    if (st == TS_OK) {
        unsigned long long sum = (unsigned long long)tsi_fnv1a(TSI_FNV_BASIS, rows, strlen(rows));
        snprintf(out, len,
                 "# tessel tuned file, written by tessel-tune (docs/tuning.md). Rows below the\n"
                 "# header are ordinary tuning rows; the header ties them to this device.\n" TAG
                 "format %d\n" TAG "tessel %s\n" TAG "backend %s\n" TAG "vendor 0x%x\n" TAG
                 "kind %s\n" TAG "device %s\n" TAG "driver %s\n" TAG "checksum %016llx\n%s",
                 FORMAT_VERSION, ts_version(), dev->backend, (unsigned)dev->vendor_id,
                 tsi_tuning_kind_name(dev->kind), dev->name, dev->driver, sum, rows);
        *text = out;
    }
    free(rows);
    return st;
}

ts_status tsi_tuned_file_write(const char *path, const char *text)
{
    char dir[PATH_MAX], tmp[PATH_MAX + 32];
    int n = snprintf(dir, sizeof dir, "%s", path);
    char *slash = n > 0 && (size_t)n < sizeof dir ? strrchr(dir, '/') : NULL;
    TSI_CHECK(slash, TS_ERR_INVALID_ARGUMENT, "tuned file: bad path '%s'", path);
    *slash = '\0';
    /* mkdir -p of the folder (the cache folder itself may not exist yet). */
    for (char *p = dir + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            (void)mkdir(dir, 0755);
            *p = '/';
        }
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return tsi_fail(TS_ERR_BACKEND, "tuned file: cannot create %s: %s", dir, strerror(errno));
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *fp = fopen(tmp, "wb");
    if (!fp)
        return tsi_fail(TS_ERR_BACKEND, "tuned file: cannot write %s: %s", tmp, strerror(errno));
    size_t len = strlen(text);
    bool ok = fwrite(text, 1, len, fp) == len;
    ok = fclose(fp) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return tsi_fail(TS_ERR_BACKEND, "tuned file: cannot write %s: %s", path, strerror(e));
    }
    return TS_OK;
}

/* The value of one "#@ name value" line at *p, advancing past it. */
static bool header_line(const char **p, const char *end, const char *name, char *out, size_t len)
{
    size_t tag = strlen(TAG), nl = strlen(name);
    const char *s = *p;
    if ((size_t)(end - s) < tag + nl + 1 || memcmp(s, TAG, tag) != 0 ||
        memcmp(s + tag, name, nl) != 0 || s[tag + nl] != ' ')
        return false;
    s += tag + nl + 1;
    const char *eol = memchr(s, '\n', (size_t)(end - s));
    if (!eol || (size_t)(eol - s) >= len)
        return false;
    memcpy(out, s, (size_t)(eol - s));
    out[eol - s] = '\0';
    *p = eol + 1;
    return true;
}

ts_status tsi_tuned_file_parse(const char *text, size_t len, tsi_tuned_header *h, tsi_tuning_db *db,
                               char *err, size_t err_len)
{
    const char *p = text, *end = text + len;
    /* Skip the free-form comment lines before the tagged header. */
    while (p < end && *p == '#' && (size_t)(end - p) >= strlen(TAG) &&
           memcmp(p, TAG, strlen(TAG)) != 0) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        p = eol ? eol + 1 : end;
    }
    char format[16], vendor[32], sum[32];
    memset(h, 0, sizeof *h);
    if (!header_line(&p, end, "format", format, sizeof format) ||
        !header_line(&p, end, "tessel", h->tessel_version, sizeof h->tessel_version) ||
        !header_line(&p, end, "backend", h->backend, sizeof h->backend) ||
        !header_line(&p, end, "vendor", vendor, sizeof vendor) ||
        !header_line(&p, end, "kind", h->kind, sizeof h->kind) ||
        !header_line(&p, end, "device", h->device, sizeof h->device) ||
        !header_line(&p, end, "driver", h->driver, sizeof h->driver) ||
        !header_line(&p, end, "checksum", sum, sizeof sum)) {
        snprintf(err, err_len, "no valid tessel-tune header");
        return TS_ERR_INVALID_ARGUMENT;
    }
    if (atoi(format) != FORMAT_VERSION) {
        snprintf(err, err_len, "format %s, this tessel reads %d", format, FORMAT_VERSION);
        return TS_ERR_INVALID_ARGUMENT;
    }
    char want[32];
    snprintf(want, sizeof want, "%016llx",
             (unsigned long long)tsi_fnv1a(TSI_FNV_BASIS, p, (size_t)(end - p)));
    if (strcmp(sum, want) != 0) {
        snprintf(err, err_len, "checksum mismatch (corrupt or edited)");
        return TS_ERR_INVALID_ARGUMENT;
    }
    if (strcmp(h->tessel_version, ts_version()) != 0) {
        snprintf(err, err_len, "stale: written by tessel %s, this is %s (run tessel-tune again)",
                 h->tessel_version, ts_version());
        return TS_ERR_INVALID_ARGUMENT;
    }
    char *q;
    errno = 0;
    unsigned long v = strtoul(vendor, &q, 16);
    if (errno || *q || v > UINT32_MAX) {
        snprintf(err, err_len, "bad vendor '%s'", vendor);
        return TS_ERR_INVALID_ARGUMENT;
    }
    h->vendor = (uint32_t)v;
    return tsi_tuning_db_parse(db, p, (size_t)(end - p), TSI_TUNING_TUNED, err, err_len);
}
