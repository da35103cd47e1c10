/* Per-device tunables as data: one schema (docs/tuning.md) for every
 * backend and layer. A database is a list of rows
 *
 *     backend vendor kind device driver key=value [key=value ...]
 *
 * each selecting devices (exact backend, PCI vendor id and kind, fnmatch
 * globs on the device name and driver string; "*" matches anything) and
 * giving integer values to dotted keys. For one device and key, the most
 * specific matching row that defines the key wins (count of non-"*"
 * selectors), ties going to the later row, so a user file read after the
 * built-in defaults overrides them at equal specificity.
 *
 * tuning_db.c holds the schema (parse, match, resolve); tuning.c holds the
 * process-wide database (embedded core/tuning_defaults.txt plus the user
 * file) that backends read through tsi_host.tuning. */
#ifndef TESSEL_CORE_TUNING_H
#define TESSEL_CORE_TUNING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessel/tessel.h"

typedef enum tsi_tuning_source {
    TSI_TUNING_NONE = 0, /* no row defines the key: the caller's fallback */
    TSI_TUNING_BUILTIN = 1,
    TSI_TUNING_USER = 2,
    TSI_TUNING_TUNED = 3,    /* a tessel-tune file in <cache dir>/tuned/ */
    TSI_TUNING_SHIPPED = 4,  /* a tuned file shipped in core/tuned/ (built-in) */
    TSI_TUNING_OVERRIDE = 5, /* tsi_tuning_override (tessel-tune's candidates) */
    TSI_TUNING_ENV = 6,      /* an environment variable the backend reads */
} tsi_tuning_source;

/* ---- the schema (tuning_db.c) -------------------------------------------- */

typedef struct tsi_tuning_db tsi_tuning_db;

/* An empty database; NULL when out of memory. */
tsi_tuning_db *tsi_tuning_db_new(void);
void tsi_tuning_db_free(tsi_tuning_db *db); /* NULL-safe */

/* Append the rows of `text` (len bytes, need not be NUL-terminated), all
 * or none: TS_OK; TS_ERR_INVALID_ARGUMENT for a malformed line, with
 * "line N: why" in err (err may be NULL); TS_ERR_OUT_OF_MEMORY. On failure
 * the database is as it was. Sets no thread error message. */
ts_status tsi_tuning_db_parse(tsi_tuning_db *db, const char *text, size_t len,
                              tsi_tuning_source source, char *err, size_t err_len);

/* The winning value of `key` for the device; false when no matching row
 * defines it. source may be NULL. */
bool tsi_tuning_db_find(const tsi_tuning_db *db, const ts_device_info *dev, const char *key,
                        int64_t *value, tsi_tuning_source *source);

/* Every key some matching row defines, in order of first appearance, with
 * its winning value: "key=value key=value ...", a value from the user file
 * marked "key=value*". Truncated to len (always NUL-terminated when len >
 * 0). Returns how many values came from the user file. */
int tsi_tuning_db_describe(const tsi_tuning_db *db, const ts_device_info *dev, char *buf,
                           size_t len);

/* Append to keys[n..max) every key a matching row defines that is not
 * there yet (pointers into db, valid while it lives); returns the count. */
int tsi_tuning_db_keys(const tsi_tuning_db *db, const ts_device_info *dev, const char **keys, int n,
                       int max);

/* The schema's word for a device kind ("discrete", "integrated", "cpu",
 * "software", "other"): what a row's kind field matches. */
const char *tsi_tuning_kind_name(ts_device_kind kind);

/* ---- tuned files (tuning_file.c) --------------------------------------- */

/* A tessel-tune result for one device: comment lines giving the format,
 * the tessel version, the device's backend, vendor, kind, name and driver
 * and a checksum of the rows, then rows that select that device. It is
 * valid for exactly that device, driver and tessel version, like the
 * pipeline cache: anything else is stale. */
typedef struct tsi_tuned_header {
    char tessel_version[32];
    char backend[16];
    uint32_t vendor;
    char kind[16];
    char device[256];
    char driver[256];
} tsi_tuned_header;

/* "<cache dir>/tuned/<backend>-<16 hex digits of a hash of vendor and
 * name>.txt"; false when there is no cache path or it does not fit. */
bool tsi_tuned_file_path(const ts_device_info *dev, char *buf, size_t len);

/* The text of a tuned file for dev with the given "key=value ..." entries
 * (malloc'd, NUL-terminated). TS_ERR_INVALID_ARGUMENT for entries that do
 * not parse as a row; TS_ERR_OUT_OF_MEMORY. */
ts_status tsi_tuned_file_format(const ts_device_info *dev, const char *entries, char **text);

/* A tuning file whole, into a malloc'd NUL-terminated buffer (at most
 * 1 MiB). TS_ERR_NOT_FOUND: cannot be opened (errno kept);
 * TS_ERR_INVALID_ARGUMENT: too large or a read error (why set);
 * TS_ERR_OUT_OF_MEMORY. */
ts_status tsi_tuning_read_file(const char *path, char **out, size_t *len, const char **why);

/* Write a tuned file through a temporary file renamed into place,
 * creating the folder. Sets the thread error message on failure. */
ts_status tsi_tuned_file_write(const char *path, const char *text);

/* Check a tuned file's header, checksum and tessel version and parse its
 * rows into db (source TSI_TUNING_TUNED). TS_ERR_INVALID_ARGUMENT with why
 * in err for a corrupt or stale file (db unchanged); TS_ERR_OUT_OF_MEMORY. */
ts_status tsi_tuned_file_parse(const char *text, size_t len, tsi_tuned_header *h, tsi_tuning_db *db,
                               char *err, size_t err_len);

/* ---- the process-wide database (tuning.c) ------------------------------ */

/* (Re)load the built-in defaults and the user file ($TESSEL_TUNING_FILE,
 * else <cache dir>/tuning.txt) and make them the database every lookup
 * sees. Called by ts_context_create, so a changed file or variable takes
 * effect with the next context. A malformed or unreadable user file is
 * ignored with one log line; only TS_ERR_OUT_OF_MEMORY (message set) fails,
 * leaving the previous database in place. */
ts_status tsi_tuning_load(void);

/* The tsi_host.tuning service: the device's value for key, or fallback
 * when no row defines it. Loads the database first if no context has. */
int64_t tsi_tuning_lookup(const ts_device_info *dev, const char *key, int64_t fallback);

/* The winning value and where it came from, with the file it came from
 * (user, tuned or shipped file; "" otherwise) in file. Layers, first
 * wins: overrides, the user file, tuned files, shipped tuned files, the
 * built-in rows. Environment variables are the backends' business and
 * beat all of these; tsi_tuning_env reports them. */
bool tsi_tuning_resolve(const ts_device_info *dev, const char *key, int64_t *value,
                        tsi_tuning_source *source, char *file, size_t file_len);

/* The value an environment variable (TESSEL_GEMM_TILES, ...) sets for key
 * on dev's backend; false when none does. name gets the variable. */
bool tsi_tuning_env(const ts_device_info *dev, const char *key, int64_t *value, const char **name);

/* Internal override API for tessel-tune: values that beat every file for
 * devices with dev's backend, vendor and name, from the next lookup on
 * (plans read keys per op; device-wide keys such as row_wg take effect
 * when the device is next opened, i.e. in a new context). Survives
 * tsi_tuning_load. TS_ERR_INVALID_ARGUMENT (message set) for a bad key;
 * TS_ERR_OUT_OF_MEMORY. */
ts_status tsi_tuning_override(const ts_device_info *dev, const char *key, int64_t value);
/* Drop every override. */
void tsi_tuning_override_clear(void);

/* Which tuned layers tsi_tuning_load reads: TESSEL_TUNED=off skips both
 * the cache folder's and the shipped tuned files (the hand-written table
 * alone, for tessel-bench --compare-tuning), =shipped only the former. */

#endif
