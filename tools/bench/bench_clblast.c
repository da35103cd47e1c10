/* CLBlast baseline for tessel-bench gemm on opencl devices. opencl:K is
 * the K-th device when every platform's devices are listed in order, the
 * numbering the tessel OpenCL backend uses; the device name is checked. */
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <clblast_c.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_clblast.h"

typedef struct clblast_state {
    cl_context ctx;
    cl_command_queue queue;
    cl_mem a, b, c;
    int64_t m, n, k;
    const float *ha, *hb; /* operands now on the device */
} clblast_state;

static cl_device_id find_device(int want, const char *name)
{
    cl_platform_id ps[16];
    cl_uint np = 0;
    if (clGetPlatformIDs(16, ps, &np) != CL_SUCCESS)
        return NULL;
    int at = 0;
    for (cl_uint p = 0; p < np && p < 16; p++) {
        cl_device_id ds[64];
        cl_uint nd = 0;
        if (clGetDeviceIDs(ps[p], CL_DEVICE_TYPE_ALL, 64, ds, &nd) != CL_SUCCESS)
            continue;
        for (cl_uint d = 0; d < nd && d < 64; d++, at++) {
            if (at != want)
                continue;
            char got[256] = "";
            clGetDeviceInfo(ds[d], CL_DEVICE_NAME, sizeof got - 1, got, NULL);
            return strcmp(got, name) == 0 ? ds[d] : NULL;
        }
    }
    return NULL;
}

static void release(clblast_state *s)
{
    if (s->a)
        clReleaseMemObject(s->a);
    if (s->b)
        clReleaseMemObject(s->b);
    if (s->c)
        clReleaseMemObject(s->c);
    s->a = s->b = s->c = NULL;
    s->m = s->n = s->k = 0;
}

int bench_clblast_open(const ts_device_info *dev, void **state, char *name, size_t len)
{
    int index;
    if (strcmp(dev->backend, "opencl") != 0 || sscanf(dev->id, "opencl:%d", &index) != 1)
        return 1;
    cl_device_id d = find_device(index, dev->name);
    if (!d)
        return 1;
    clblast_state *s = calloc(1, sizeof *s);
    if (!s)
        return 1;
    cl_int err;
    s->ctx = clCreateContext(NULL, 1, &d, NULL, NULL, &err);
    if (s->ctx)
        s->queue = clCreateCommandQueue(s->ctx, d, 0, &err);
    if (!s->queue) {
        if (s->ctx)
            clReleaseContext(s->ctx);
        free(s);
        return 1;
    }
    snprintf(name, len, "clblast(direct)");
    *state = s;
    return 0;
}

/* Uploads the operands when they change (the warm-up run), then times only
 * the GEMM and the wait, as the tessel side times ts_matmul + sync. */
int bench_clblast_run(void *state, const bench_gemm_problem *p)
{
    clblast_state *s = state;
    size_t fl = sizeof(float), a_bytes = (size_t)(p->m * p->k) * fl,
           b_bytes = (size_t)(p->k * p->n) * fl, c_bytes = (size_t)(p->m * p->n) * fl;
    bool fresh = p->m != s->m || p->n != s->n || p->k != s->k || p->a != s->ha || p->b != s->hb;
    cl_int err = CL_SUCCESS;
    if (fresh) {
        release(s);
        s->a = clCreateBuffer(s->ctx, CL_MEM_READ_WRITE, a_bytes, NULL, &err);
        if (s->a)
            s->b = clCreateBuffer(s->ctx, CL_MEM_READ_WRITE, b_bytes, NULL, &err);
        if (s->b)
            s->c = clCreateBuffer(s->ctx, CL_MEM_READ_WRITE, c_bytes, NULL, &err);
        if (s->c)
            err = clEnqueueWriteBuffer(s->queue, s->a, CL_TRUE, 0, a_bytes, p->a, 0, NULL, NULL);
        if (err == CL_SUCCESS)
            err = clEnqueueWriteBuffer(s->queue, s->b, CL_TRUE, 0, b_bytes, p->b, 0, NULL, NULL);
        if (err != CL_SUCCESS) {
            fprintf(stderr, "tessel-bench: clblast baseline: buffers failed (%d)\n", (int)err);
            release(s);
            return 1;
        }
        s->m = p->m;
        s->n = p->n;
        s->k = p->k;
        s->ha = p->a;
        s->hb = p->b;
    }
    CLBlastStatusCode st = CLBlastSgemm(
        CLBlastLayoutRowMajor, p->trans_a ? CLBlastTransposeYes : CLBlastTransposeNo,
        p->trans_b ? CLBlastTransposeYes : CLBlastTransposeNo, (size_t)p->m, (size_t)p->n,
        (size_t)p->k, 1.0f, s->a, 0, (size_t)bench_gemm_lda(p), s->b, 0,
        (size_t)bench_gemm_ldb(p), 0.0f, s->c, 0, (size_t)p->n, &s->queue, NULL);
    if (st != CLBlastSuccess) {
        fprintf(stderr, "tessel-bench: CLBlastSgemm failed (%d)\n", (int)st);
        return 1;
    }
    err = clFinish(s->queue);
    if (err == CL_SUCCESS && fresh)
        err = clEnqueueReadBuffer(s->queue, s->c, CL_TRUE, 0, c_bytes, p->c, 0, NULL, NULL);
    return err != CL_SUCCESS;
}

void bench_clblast_close(void *state)
{
    clblast_state *s = state;
    release(s);
    clReleaseCommandQueue(s->queue);
    clReleaseContext(s->ctx);
    free(s);
}
