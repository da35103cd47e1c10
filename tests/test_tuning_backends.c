/* The user tuning file reaches a GPU backend: a row for the device in
 * $TESSEL_TUNING_FILE changes the workgroup sizes the backend picks when it
 * opens the device (each backend logs its final, clamped values at debug
 * level: "vulkan: <name>: tuning ... row_wg=16 elem_wg=16 ..."), and
 * without the file the built-in values are back.
 *
 *     test_tuning_backends --backend vulkan|opencl
 *
 * Exit 77 (skipped) when the backend has no device here. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tessel/tessel.h>

#define SKIP 77

/* The backend's "tuning" log line of the last device opened. */
static char tuning_line[1024];

static void capture(ts_log_level level, const char *message, void *user)
{
    (void)level;
    const char *prefix = user;
    if (strncmp(message, prefix, strlen(prefix)) == 0 && strstr(message, ": tuning "))
        snprintf(tuning_line, sizeof tuning_line, "%s", message);
}

/* Open the backend's first device in a fresh context (the database is
 * loaded per context) and return its tuning line; 1 when there is none. */
static int open_first(const char *backend, ts_device_info *info)
{
    ts_context *ctx = NULL;
    if (ts_context_create(&ctx) != TS_OK) {
        fprintf(stderr, "ts_context_create: %s\n", ts_last_error(NULL));
        return 2;
    }
    char id[32];
    snprintf(id, sizeof id, "%s:0", backend);
    ts_device *dev = NULL;
    if (ts_device_find(ctx, id, &dev) != TS_OK) {
        ts_context_destroy(ctx);
        return SKIP;
    }
    ts_device_info_get(dev, info);
    tuning_line[0] = '\0';
    ts_tensor *t = NULL; /* the first allocation opens the device */
    ts_status st = ts_tensor_create(dev, TS_F32, 1, (int64_t[]){4}, &t);
    ts_tensor_destroy(t);
    ts_context_destroy(ctx);
    if (st != TS_OK) {
        fprintf(stderr, "%s: ts_tensor_create: %s\n", id, ts_last_error(NULL));
        return 2;
    }
    if (!tuning_line[0]) {
        fprintf(stderr, "%s: the backend logged no tuning line\n", id);
        return 1;
    }
    printf("%s\n", tuning_line);
    return 0;
}

static const char *kind_name(ts_device_kind k)
{
    static const char *const names[] = {"discrete", "integrated", "cpu", "software", "other"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "*";
}

int main(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "--backend") != 0) {
        fprintf(stderr, "usage: test_tuning_backends --backend vulkan|opencl\n");
        return 2;
    }
    const char *backend = argv[2];
    char prefix[32];
    snprintf(prefix, sizeof prefix, "%s: ", backend);
    ts_set_log_callback(capture, prefix, TS_LOG_DEBUG);

    /* An empty file: no user rows, and the developer's own
     * ~/.cache/tessel/tuning.txt stays out of the test. */
    char dir[] = "/tmp/tessel-tuning-backend-XXXXXX", path[96], empty[96];
    if (!mkdtemp(dir))
        return 2;
    snprintf(path, sizeof path, "%s/tuning.txt", dir);
    snprintf(empty, sizeof empty, "%s/empty.txt", dir);
    FILE *fp = fopen(empty, "w");
    if (!fp)
        return 2;
    fclose(fp);
    setenv("TESSEL_TUNING_FILE", empty, 1);

    ts_device_info info;
    int rc = open_first(backend, &info);
    if (rc == 0 && (strstr(tuning_line, "row_wg=16 ") || strstr(tuning_line, "elem_wg=16 "))) {
        fprintf(stderr, "built-in values already 16; pick another test value\n");
        rc = 1;
    }
    if (rc == 0) {
        /* Three non-* fields: beats every built-in row (at most two). */
        fp = fopen(path, "w");
        if (!fp)
            return 2;
        fprintf(fp, "# written by test_tuning_backends\n%s 0x%x %s * * row_wg=16 elem_wg=16\n",
                backend, info.vendor_id, kind_name(info.kind));
        fclose(fp);
        setenv("TESSEL_TUNING_FILE", path, 1);
        rc = open_first(backend, &info);
        if (rc == 0 && !(strstr(tuning_line, "row_wg=16 ") && strstr(tuning_line, "elem_wg=16 "))) {
            fprintf(stderr, "FAIL: TESSEL_TUNING_FILE did not reach the backend\n");
            rc = 1;
        }
    }
    if (rc == 0) {
        setenv("TESSEL_TUNING_FILE", empty, 1);
        rc = open_first(backend, &info);
        if (rc == 0 && strstr(tuning_line, "row_wg=16 ")) {
            fprintf(stderr, "FAIL: the user value outlived its file\n");
            rc = 1;
        }
    }
    remove(path);
    remove(empty);
    rmdir(dir);
    if (rc == 0)
        printf("PASS: %s follows the tuning file\n", backend);
    return rc;
}
