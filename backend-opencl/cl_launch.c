/* Kernel arguments and launches on the device's in-order queue. */
#include <string.h>

#include "backend-opencl/cl_internal.h"

/* Work sits in the queue until flushed; a flush every few launches keeps
 * the device busy while the host records more, without a flush per op. */
#define TSI_CL_FLUSH_EVERY 16u

tsi_cl_args tsi_cl_args_begin(cl_kernel k)
{
    return (tsi_cl_args){.k = k, .n = 0, .err = CL_SUCCESS, .failed_at = 0};
}

void tsi_cl_arg(tsi_cl_args *a, size_t size, const void *value)
{
    cl_int err = clSetKernelArg(a->k, a->n, size, value);
    if (err != CL_SUCCESS && a->err == CL_SUCCESS) {
        a->err = err;
        a->failed_at = a->n;
    }
    a->n++;
}

void tsi_cl_arg_mem(tsi_cl_args *a, const tsi_buffer *buf)
{
    cl_mem m = buf ? buf->mem : NULL;
    tsi_cl_arg(a, sizeof m, &m);
}

size_t tsi_cl_kernel_max_wg(const tsi_device *dev, cl_kernel k, const char *family)
{
    size_t kwg = 0;
    if (clGetKernelWorkGroupInfo(k, dev->caps->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof kwg, &kwg,
                                 NULL) != CL_SUCCESS ||
        kwg == 0 || kwg > dev->caps->max_wg)
        kwg = dev->caps->max_wg;
    const tsi_gpu_limits *cut = &dev->caps->cut;
    if (cut->kernel_wg && kwg > cut->kernel_wg &&
        (!cut->kernel_wg_family[0] || (family && strcmp(family, cut->kernel_wg_family) == 0)))
        kwg = cut->kernel_wg;
    return kwg ? kwg : 1;
}

void tsi_cl_note_enqueue(tsi_device *dev)
{
    if (++dev->pending >= TSI_CL_FLUSH_EVERY) {
        clFlush(dev->queue);
        dev->pending = 0;
    }
}

ts_status tsi_cl_launch(tsi_device *dev, const tsi_cl_args *a, cl_uint dims, const size_t *global,
                        const size_t *local, const char *what)
{
    if (a->err != CL_SUCCESS) {
        dev->host->set_error("opencl: %s: clSetKernelArg(%u): %s (%d)", what, a->failed_at,
                             tsi_cl_err_name(a->err), (int)a->err);
        return TS_ERR_INTERNAL;
    }
    cl_int err = clEnqueueNDRangeKernel(dev->queue, a->k, dims, NULL, global, local, 0, NULL, NULL);
    if (err != CL_SUCCESS)
        return tsi_cl_error(dev->host, err, what);
    tsi_cl_note_enqueue(dev);
    return TS_OK;
}
