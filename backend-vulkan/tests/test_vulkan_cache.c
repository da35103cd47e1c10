/* The persisted pipeline cache: written on context destroy under
 * $XDG_CACHE_HOME/tessel/, with our header first; a corrupt or foreign
 * file must be ignored (ops still right) and replaced by a valid one.
 * ctest points XDG_CACHE_HOME at a scratch folder. Exit 77 without a
 * Vulkan device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessel/tessel.h"

/* One add on vulkan:0; fills path with the cache file name. */
static int run_once(char *path, size_t n)
{
    ts_context *ctx = NULL;
    ts_device *dev = NULL;
    if (ts_context_create(&ctx) != TS_OK)
        return 1;
    if (ts_device_find(ctx, "vulkan:0", &dev) != TS_OK) {
        ts_context_destroy(ctx);
        return 77;
    }
    ts_device_info info;
    ts_device_info_get(dev, &info);
    const char *xdg = getenv("XDG_CACHE_HOME");
    snprintf(path, n, "%s/tessel/vulkan-%04x-%04x.bin", xdg ? xdg : ".", info.vendor_id,
             info.device_id);
    float a[4] = {1, 2, 3, 4}, out[4] = {0};
    int64_t shape[1] = {4};
    ts_tensor *ta = NULL, *tc = NULL;
    int rc = 0;
    if (ts_tensor_create(dev, TS_F32, 1, shape, &ta) != TS_OK ||
        ts_tensor_create(dev, TS_F32, 1, shape, &tc) != TS_OK ||
        ts_tensor_write(ta, a, sizeof a) != TS_OK || ts_binary(TS_MUL, ta, ta, tc) != TS_OK ||
        ts_tensor_read(tc, out, sizeof out) != TS_OK) {
        fprintf(stderr, "FAIL: op: %s\n", ts_last_error(ctx));
        rc = 1;
    }
    for (int i = 0; !rc && i < 4; i++)
        if (out[i] != a[i] * a[i]) {
            fprintf(stderr, "FAIL: out[%d] = %g\n", i, out[i]);
            rc = 1;
        }
    ts_tensor_destroy(ta);
    ts_tensor_destroy(tc);
    ts_context_destroy(ctx);
    return rc;
}

static int has_magic(const char *path)
{
    char m[8] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t got = fread(m, 1, 8, f);
    fclose(f);
    return got == 8 && memcmp(m, "TSVKPC02", 8) == 0;
}

static int write_file(const char *path, const char *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return 1;
    size_t put = fwrite(bytes, 1, n, f);
    return (fclose(f) != 0 || put != n);
}

int main(void)
{
    char path[4096];
    int rc = run_once(path, sizeof path);
    if (rc)
        return rc;
    if (!has_magic(path)) {
        fprintf(stderr, "FAIL: no valid cache file at %s\n", path);
        return 1;
    }
    /* Foreign garbage. */
    static const char junk[] = "not a pipeline cache at all, just junk bytes";
    if (write_file(path, junk, sizeof junk) || (rc = run_once(path, sizeof path)) != 0)
        return rc ? rc : 1;
    if (!has_magic(path)) {
        fprintf(stderr, "FAIL: junk cache file not replaced\n");
        return 1;
    }
    /* Right header, corrupt body: flip the last byte (checksum mismatch). */
    FILE *f = fopen(path, "r+b");
    if (!f || fseek(f, -1, SEEK_END) != 0)
        return 1;
    int c = fgetc(f);
    fseek(f, -1, SEEK_END);
    fputc(c ^ 0x5a, f);
    fclose(f);
    if ((rc = run_once(path, sizeof path)) != 0)
        return rc;
    if (!has_magic(path)) {
        fprintf(stderr, "FAIL: corrupt cache file not replaced\n");
        return 1;
    }
    printf("PASS: %s\n", path);
    return 0;
}
