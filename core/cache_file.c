/* Checked files in the cache folder, lent to backends through tsi_host
 * (cache_load / cache_store): the Vulkan pipeline cache, OpenCL program
 * binaries, VkFFT's kernels. A file is
 *
 *     magic (8 bytes); key length, payload size, FNV-1a of the payload
 *     (8 bytes each, little endian); the key; the payload
 *
 * and is trusted only when all of it matches what the caller asks for:
 * drivers have crashed on foreign cache data, and a file may be cut short
 * or damaged. It is written to a unique temporary name and renamed into
 * place, so a reader never sees half a file, whatever number of processes
 * or devices write at once. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fnv1a.h"
#include "core/internal.h"

#define HEADER_BYTES 32

static atomic_uint temp_serial;

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* <cache folder>/name, its folder made when mkdir_parent; false when there
 * is no usable cache folder or the name does not fit. */
static bool file_path(const char *name, bool mkdir_parent, char *path, size_t len)
{
    const char *dir = tsi_cache_dir();
    int n = dir && name ? snprintf(path, len, "%s/%s", dir, name) : -1;
    if (n < 0 || (size_t)n >= len)
        return false;
    char *slash = strrchr(path, '/');
    if (mkdir_parent && slash > path + strlen(dir)) {
        *slash = '\0';
        bool ok = mkdir(path, 0755) == 0 || errno == EEXIST;
        *slash = '/';
        return ok;
    }
    return true;
}

void *tsi_cache_load(const char *name, const char *magic, const void *key, size_t key_len,
                     size_t max_size, size_t *size)
{
    char path[4096];
    *size = 0;
    if (!file_path(name, false, path, sizeof path))
        return NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL; /* not written yet */
    unsigned char hdr[HEADER_BYTES], *kbuf = malloc(key_len + 1), *data = NULL;
    if (!kbuf || fread(hdr, 1, sizeof hdr, f) != sizeof hdr || memcmp(hdr, magic, 8) != 0 ||
        get_u64(hdr + 8) != key_len || fread(kbuf, 1, key_len, f) != key_len ||
        memcmp(kbuf, key, key_len) != 0)
        goto bad;
    uint64_t n = get_u64(hdr + 16);
    if (n == 0 || n > max_size)
        goto bad;
    data = malloc((size_t)n);
    if (!data || fread(data, 1, (size_t)n, f) != n || fgetc(f) != EOF ||
        tsi_fnv1a(TSI_FNV_BASIS, data, (size_t)n) != get_u64(hdr + 24))
        goto bad;
    fclose(f);
    free(kbuf);
    *size = (size_t)n;
    return data;
bad:
    tsi_log(TS_LOG_INFO, "tessel: ignoring the stale or damaged cache file %s", path);
    free(data);
    free(kbuf);
    fclose(f);
    return NULL;
}

void tsi_cache_store(const char *name, const char *magic, const void *key, size_t key_len,
                     const void *data, size_t size)
{
    char path[4096], tmp[4200];
    if (!data || size == 0 || !file_path(name, true, path, sizeof path))
        return;
    int n = snprintf(tmp, sizeof tmp, "%s.%ld.%u.tmp", path, (long)getpid(),
                     atomic_fetch_add(&temp_serial, 1u));
    FILE *f = n > 0 && (size_t)n < sizeof tmp ? fopen(tmp, "wb") : NULL;
    if (!f) {
        tsi_log(TS_LOG_DEBUG, "tessel: cannot write the cache file %s", path);
        return;
    }
    unsigned char hdr[HEADER_BYTES];
    memcpy(hdr, magic, 8);
    put_u64(hdr + 8, key_len);
    put_u64(hdr + 16, size);
    put_u64(hdr + 24, tsi_fnv1a(TSI_FNV_BASIS, data, size));
    bool ok = fwrite(hdr, 1, sizeof hdr, f) == sizeof hdr &&
              fwrite(key, 1, key_len, f) == key_len && fwrite(data, 1, size, f) == size;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        tsi_log(TS_LOG_DEBUG, "tessel: could not write the cache file %s", path);
    }
}
