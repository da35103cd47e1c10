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

void tsi_cl_device_close(tsi_device *dev)
{
    if (!dev)
        return;
    clFinish(dev->queue);
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

static void CL_CALLBACK free_staging(cl_event ev, cl_int status, void *user)
{
    (void)ev;
    (void)status;
    free(user);
}

/* Writes up to this size go through a host copy and do not block: the
 * caller gets control back while earlier work still runs. Larger ones
 * block rather than double the host memory they need. */
#define TSI_CL_STAGED_WRITE_MAX ((size_t)4 << 20)

/* The caller's memory may go away on return, so either the data is copied
 * first (freed by the event callback once the transfer is done) or the
 * write blocks. On the in-order queue it lands after the work before it. */
ts_status tsi_cl_buffer_write(tsi_device *dev, tsi_buffer *buf, size_t offset, const void *src,
                              size_t bytes)
{
    void *copy = bytes <= TSI_CL_STAGED_WRITE_MAX ? malloc(bytes) : NULL;
    cl_int err;
    if (copy) {
        memcpy(copy, src, bytes);
        cl_event ev = NULL;
        err = clEnqueueWriteBuffer(dev->queue, buf->mem, CL_FALSE, offset, bytes, copy, 0, NULL,
                                   &ev);
        if (err == CL_SUCCESS) {
            err = clSetEventCallback(ev, CL_COMPLETE, free_staging, copy);
            if (err != CL_SUCCESS) {
                /* No callback: wait, then free here. */
                clWaitForEvents(1, &ev);
                free(copy);
                err = CL_SUCCESS;
            }
            clReleaseEvent(ev);
            tsi_cl_note_enqueue(dev);
        } else {
            free(copy);
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
    return err == CL_SUCCESS ? TS_OK : tsi_cl_error(dev->host, err, "read buffer");
}

ts_status tsi_cl_sync(tsi_device *dev)
{
    cl_int err = clFinish(dev->queue);
    dev->pending = 0;
    return err == CL_SUCCESS ? TS_OK : tsi_cl_error(dev->host, err, "clFinish");
}
