/* Opening a device (context + in-order queue), buffers, and the mapping
 * of OpenCL error codes to tessel statuses. */
#include <stdlib.h>
#include <string.h>

#include "backend-opencl/cl_internal.h"

typedef struct err_name {
    cl_int code;
    const char *name;
} err_name;

static const err_name err_names[] = {
    {CL_SUCCESS, "CL_SUCCESS"},
    {CL_DEVICE_NOT_FOUND, "CL_DEVICE_NOT_FOUND"},
    {CL_DEVICE_NOT_AVAILABLE, "CL_DEVICE_NOT_AVAILABLE"},
    {CL_COMPILER_NOT_AVAILABLE, "CL_COMPILER_NOT_AVAILABLE"},
    {CL_MEM_OBJECT_ALLOCATION_FAILURE, "CL_MEM_OBJECT_ALLOCATION_FAILURE"},
    {CL_OUT_OF_RESOURCES, "CL_OUT_OF_RESOURCES"},
    {CL_OUT_OF_HOST_MEMORY, "CL_OUT_OF_HOST_MEMORY"},
    {CL_BUILD_PROGRAM_FAILURE, "CL_BUILD_PROGRAM_FAILURE"},
    {CL_MISALIGNED_SUB_BUFFER_OFFSET, "CL_MISALIGNED_SUB_BUFFER_OFFSET"},
    {CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST, "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST"},
    {CL_INVALID_VALUE, "CL_INVALID_VALUE"},
    {CL_INVALID_DEVICE, "CL_INVALID_DEVICE"},
    {CL_INVALID_CONTEXT, "CL_INVALID_CONTEXT"},
    {CL_INVALID_COMMAND_QUEUE, "CL_INVALID_COMMAND_QUEUE"},
    {CL_INVALID_MEM_OBJECT, "CL_INVALID_MEM_OBJECT"},
    {CL_INVALID_BINARY, "CL_INVALID_BINARY"},
    {CL_INVALID_BUILD_OPTIONS, "CL_INVALID_BUILD_OPTIONS"},
    {CL_INVALID_PROGRAM, "CL_INVALID_PROGRAM"},
    {CL_INVALID_PROGRAM_EXECUTABLE, "CL_INVALID_PROGRAM_EXECUTABLE"},
    {CL_INVALID_KERNEL_NAME, "CL_INVALID_KERNEL_NAME"},
    {CL_INVALID_KERNEL, "CL_INVALID_KERNEL"},
    {CL_INVALID_ARG_INDEX, "CL_INVALID_ARG_INDEX"},
    {CL_INVALID_ARG_VALUE, "CL_INVALID_ARG_VALUE"},
    {CL_INVALID_ARG_SIZE, "CL_INVALID_ARG_SIZE"},
    {CL_INVALID_KERNEL_ARGS, "CL_INVALID_KERNEL_ARGS"},
    {CL_INVALID_WORK_DIMENSION, "CL_INVALID_WORK_DIMENSION"},
    {CL_INVALID_WORK_GROUP_SIZE, "CL_INVALID_WORK_GROUP_SIZE"},
    {CL_INVALID_WORK_ITEM_SIZE, "CL_INVALID_WORK_ITEM_SIZE"},
    {CL_INVALID_GLOBAL_OFFSET, "CL_INVALID_GLOBAL_OFFSET"},
    {CL_INVALID_EVENT_WAIT_LIST, "CL_INVALID_EVENT_WAIT_LIST"},
    {CL_INVALID_OPERATION, "CL_INVALID_OPERATION"},
    {CL_INVALID_BUFFER_SIZE, "CL_INVALID_BUFFER_SIZE"},
    {CL_INVALID_GLOBAL_WORK_SIZE, "CL_INVALID_GLOBAL_WORK_SIZE"},
    {-1001, "CL_PLATFORM_NOT_FOUND_KHR"},
};

const char *tsi_cl_err_name(cl_int err)
{
    for (size_t i = 0; i < sizeof err_names / sizeof err_names[0]; i++)
        if (err_names[i].code == err)
            return err_names[i].name;
    return "CL error";
}

ts_status tsi_cl_error(const tsi_host *host, cl_int err, const char *what)
{
    host->set_error("opencl: %s: %s (%d)", what, tsi_cl_err_name(err), (int)err);
    switch (err) {
    case CL_MEM_OBJECT_ALLOCATION_FAILURE:
    case CL_OUT_OF_RESOURCES:
    case CL_OUT_OF_HOST_MEMORY:
        return TS_ERR_OUT_OF_MEMORY;
    default:
        return TS_ERR_BACKEND;
    }
}

ts_status tsi_cl_device_open(tsi_cl_state *st, int index, tsi_device **out)
{
    const tsi_cl_caps *caps = &st->devices[index];
    tsi_device *dev = calloc(1, sizeof *dev);
    if (!dev) {
        st->host->set_error("opencl: out of host memory");
        return TS_ERR_OUT_OF_MEMORY;
    }
    dev->host = st->host;
    dev->caps = caps;
    tsi_cl_tuning_pick(st->host, caps, &dev->tune);
    tsi_cl_gpu_caps_init(dev);
    cl_int err;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)caps->platform, 0};
    dev->ctx = clCreateContext(props, 1, &caps->device, NULL, NULL, &err);
    if (!dev->ctx) {
        ts_status s = tsi_cl_error(st->host, err, "clCreateContext");
        free(dev);
        return s;
    }
    /* In order: every op runs after the ones recorded before it, which is
     * the contract; no events are needed between our own kernels. */
    dev->queue = clCreateCommandQueue(dev->ctx, caps->device, 0, &err);
    if (!dev->queue) {
        ts_status s = tsi_cl_error(st->host, err, "clCreateCommandQueue");
        clReleaseContext(dev->ctx);
        free(dev);
        return s;
    }
#ifdef TESSEL_HAVE_CLBLAST
    const char *gemm = getenv("TESSEL_OPENCL_GEMM");
    dev->use_clblast = !(gemm && strcmp(gemm, "own") == 0);
    if (dev->use_clblast)
        tsi_cl_clblast_tune(st->host, caps);
#endif
    st->host->log(TS_LOG_DEBUG, "opencl: opened %s (%s), tuning from %s, gemm %s", caps->info.name,
                  caps->info.driver, dev->tune.vendor, dev->use_clblast ? "clblast" : "own");
    *out = dev;
    return TS_OK;
}

/* Free the host copies whose transfers are over (wait: waiting for those
 * still running first; all: every copy, the queue being finished for good).
 * A copy whose state cannot be read is kept for a later call. */
static void staged_reap(tsi_device *dev, bool wait, bool all)
{
    tsi_cl_staged **pp = &dev->staged;
    while (*pp) {
        tsi_cl_staged *s = *pp;
        cl_int status = CL_QUEUED;
        if (wait)
            clWaitForEvents(1, &s->ev); /* the status below says how it ended */
        if (clGetEventInfo(s->ev, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status,
                           NULL) != CL_SUCCESS)
            status = CL_QUEUED;
        if (!all && status != CL_COMPLETE && status >= 0) {
            pp = &s->next;
            continue;
        }
        *pp = s->next; /* complete, or ended by an error: no longer read */
        dev->staged_bytes -= s->bytes;
        dev->n_staged--;
        clReleaseEvent(s->ev);
        free(s);
    }
}

void tsi_cl_device_close(tsi_device *dev)
{
    if (!dev)
        return;
    clFinish(dev->queue);
    staged_reap(dev, true, true);
    tsi_cl_matmul_device_closed(dev);
    tsi_cl_fft_device_closed(dev);
    tsi_cl_programs_release(dev);
    clReleaseCommandQueue(dev->queue);
    clReleaseContext(dev->ctx);
    free(dev);
}

ts_status tsi_cl_buffer_alloc(tsi_device *dev, size_t bytes, tsi_buffer **out)
{
    if (bytes > dev->caps->max_alloc) {
        dev->host->set_error("opencl: buffer of %zu bytes exceeds the device's largest "
                             "allocation (CL_DEVICE_MAX_MEM_ALLOC_SIZE = %llu)",
                             bytes, (unsigned long long)dev->caps->max_alloc);
        return TS_ERR_OVERFLOW;
    }
    tsi_buffer *b = malloc(sizeof *b);
    if (!b) {
        dev->host->set_error("opencl: out of host memory");
        return TS_ERR_OUT_OF_MEMORY;
    }
    cl_int err;
    b->mem = clCreateBuffer(dev->ctx, CL_MEM_READ_WRITE, bytes, NULL, &err);
    if (!b->mem) {
        free(b);
        if (err == CL_INVALID_BUFFER_SIZE) {
            dev->host->set_error("opencl: clCreateBuffer: %zu bytes is over the device limit",
                                 bytes);
            return TS_ERR_OVERFLOW;
        }
        ts_status s = tsi_cl_error(dev->host, err, "clCreateBuffer");
        /* Any other failure to get memory is still out-of-memory to a user. */
        return s == TS_ERR_BACKEND ? TS_ERR_OUT_OF_MEMORY : s;
    }
    b->bytes = bytes;
    *out = b;
    return TS_OK;
}

/* clReleaseMemObject defers the deletion until the commands queued that use
 * the object have finished (OpenCL 1.2, 5.4.1), which is exactly the
 * contract of buffer_free. */
void tsi_cl_buffer_free(tsi_device *dev, tsi_buffer *buf)
{
    if (!buf)
        return;
    clReleaseMemObject(buf->mem);
    free(buf);
}

/* Writes up to this size go through a host copy and do not block: the
 * caller gets control back while earlier work still runs. Larger ones
 * block rather than double the host memory they need. Past
 * TSI_CL_STAGED_MAX bytes or TSI_CL_STAGED_COUNT copies in flight, a write
 * first waits for the earlier ones (each write polls them all). */
#define TSI_CL_STAGED_WRITE_MAX ((size_t)4 << 20)
#define TSI_CL_STAGED_MAX ((size_t)64 << 20)
#define TSI_CL_STAGED_COUNT 64

/* The caller's memory may go away on return, so either the data is copied
 * first (kept in dev->staged until the transfer is done) or the write
 * blocks. On the in-order queue it lands after the work before it. */
ts_status tsi_cl_buffer_write(tsi_device *dev, tsi_buffer *buf, size_t offset, const void *src,
                              size_t bytes)
{
    staged_reap(dev, false, false);
    if (dev->staged_bytes + bytes > TSI_CL_STAGED_MAX || dev->n_staged >= TSI_CL_STAGED_COUNT)
        staged_reap(dev, true, false);
    tsi_cl_staged *s = bytes <= TSI_CL_STAGED_WRITE_MAX ? malloc(sizeof *s + bytes) : NULL;
    cl_int err;
    if (s) {
        memcpy(s + 1, src, bytes);
        err = clEnqueueWriteBuffer(dev->queue, buf->mem, CL_FALSE, offset, bytes, s + 1, 0, NULL,
                                   &s->ev);
        if (err == CL_SUCCESS) {
            s->bytes = bytes;
            s->next = dev->staged;
            dev->staged = s;
            dev->staged_bytes += bytes;
            dev->n_staged++;
            tsi_cl_note_enqueue(dev);
        } else {
            free(s);
        }
    } else {
        err = clEnqueueWriteBuffer(dev->queue, buf->mem, CL_TRUE, offset, bytes, src, 0, NULL,
                                   NULL);
        dev->pending = 0;
    }
    return err == CL_SUCCESS ? TS_OK : tsi_cl_error(dev->host, err, "write buffer");
}

/* Blocking read on the in-order queue: waits for the work recorded before
 * it, nothing more. */
ts_status tsi_cl_buffer_read(tsi_device *dev, tsi_buffer *buf, size_t offset, void *dst,
                             size_t bytes)
{
    cl_int err =
        clEnqueueReadBuffer(dev->queue, buf->mem, CL_TRUE, offset, bytes, dst, 0, NULL, NULL);
    dev->pending = 0;
    staged_reap(dev, false, false);
    return err == CL_SUCCESS ? TS_OK : tsi_cl_error(dev->host, err, "read buffer");
}

ts_status tsi_cl_sync(tsi_device *dev)
{
    cl_int err = clFinish(dev->queue);
    dev->pending = 0;
    staged_reap(dev, err == CL_SUCCESS, false);
    return err == CL_SUCCESS ? TS_OK : tsi_cl_error(dev->host, err, "clFinish");
}
