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

#endif
