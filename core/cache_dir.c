/* Host services a backend borrows from core that touch the environment:
 * the on-disk cache folder (pipeline caches, program binaries, tuning) and
 * the test-only fault-injection switch. Kept apart so a backend module
 * never reads the environment on its own in inconsistent ways. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/internal.h"

static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static char cache_path[PATH_MAX];
static bool cache_ok;

/* mkdir -p; true when path is a usable directory afterwards. */
static bool make_dirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0755);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return false;
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return false;
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

bool tsi_cache_path(char *buf, size_t len)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    int n;
    /* XDG says a relative XDG_CACHE_HOME is invalid and must be ignored. */
    if (xdg && xdg[0] == '/')
        n = snprintf(buf, len, "%s/tessel", xdg);
    else if (home && home[0] == '/')
        n = snprintf(buf, len, "%s/.cache/tessel", home);
    else
        return false;
    return n >= 0 && (size_t)n < len;
}

static void cache_init(void)
{
    if (!tsi_cache_path(cache_path, sizeof cache_path))
        return;
    cache_ok = make_dirs(cache_path);
    if (!cache_ok)
        tsi_log(TS_LOG_WARN, "tessel: cache folder %s is not usable: %s", cache_path,
                strerror(errno));
}

const char *tsi_cache_dir(void)
{
    pthread_once(&cache_once, cache_init);
    return cache_ok ? cache_path : NULL;
}

int tsi_test_hook(const char *name)
{
    const char *armed = getenv("TESSEL_TEST_HOOK");
    return name && armed && strcmp(armed, name) == 0;
}
