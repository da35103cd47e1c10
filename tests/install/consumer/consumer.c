/* A program outside the tessel tree, built against the installed package
 * (find_package(tessel) or pkg-config): one add on the CPU, checked. */
#include <stdio.h>

#include <tessel/tessel.h>

static int fail(const char *what, ts_status st)
{
    fprintf(stderr, "consumer: %s: %s: %s\n", what, ts_status_str(st), ts_last_error(NULL));
    return 1;
}

int main(void)
{
    ts_context *ctx = NULL;
    ts_device *cpu = NULL;
    ts_tensor *a = NULL, *b = NULL, *c = NULL;
    const int64_t shape[2] = {2, 3};
    const float x[6] = {1, 2, 3, 4, 5, 6}, y[6] = {10, 20, 30, 40, 50, 60};
    float got[6] = {0};
    int rc = 1;
    ts_status st = ts_context_create(&ctx);
    if (st != TS_OK)
        return fail("ts_context_create", st);
    if ((st = ts_device_find(ctx, "cpu:0", &cpu)) != TS_OK ||
        (st = ts_tensor_create(cpu, TS_F32, 2, shape, &a)) != TS_OK ||
        (st = ts_tensor_create(cpu, TS_F32, 2, shape, &b)) != TS_OK ||
        (st = ts_tensor_create(cpu, TS_F32, 2, shape, &c)) != TS_OK ||
        (st = ts_tensor_write(a, x, sizeof x)) != TS_OK ||
        (st = ts_tensor_write(b, y, sizeof y)) != TS_OK ||
        (st = ts_binary(TS_ADD, a, b, c)) != TS_OK ||
        (st = ts_tensor_read(c, got, sizeof got)) != TS_OK) {
        rc = fail("add on cpu:0", st);
        goto cleanup;
    }
    rc = 0;
    for (int i = 0; i < 6; i++) {
        if (got[i] != x[i] + y[i]) {
            fprintf(stderr, "consumer: element %d is %g, expected %g\n", i, (double)got[i],
                    (double)(x[i] + y[i]));
            rc = 1;
        }
    }
    if (rc == 0)
        printf("consumer: tessel %s (headers %s): add on cpu:0 OK\n", ts_version(),
               TS_VERSION_STRING);
cleanup:
    ts_tensor_destroy(c);
    ts_tensor_destroy(b);
    ts_tensor_destroy(a);
    ts_context_destroy(ctx);
    return rc;
}
