/* The OpenCL side of the shared GPU host code (backend-gpu/gpu.h): the
 * device's capabilities, and a launch as a kernel of the family's program
 * (<family>.cl, built once per set of constants, -DNAME=<value>u), its
 * buffers and one struct argument with the parameters. */
#include <stdio.h>

#include "backend-opencl/cl_internal.h"

void tsi_cl_gpu_caps_init(tsi_device *dev)
{
    const tsi_cl_caps *c = dev->caps;
    dev->gpu = (tsi_gpu_caps){
        .backend = "opencl",
        .info = &c->info,
        .host = dev->host,
        .max_wg = c->max_wg ? (uint32_t)(c->max_wg < UINT32_MAX ? c->max_wg : UINT32_MAX) : 1u,
        .max_shared = c->local_mem,
        /* NDRange sizes are size_t; these keep the flat group index of the
         * kernels (FLAT_GROUP) in 32 bits. */
        .max_groups = {1u << 20, 1u << 11, 1u << 11},
        .max_binding = c->max_alloc,
        .max_buffers = 16,
        .subgroup = 0,
        .cpu_driver = c->info.kind == TS_DEVICE_SOFTWARE, /* a CL_DEVICE_TYPE_CPU runtime */
        .loop_cap = 0,
        .row_wg = (uint32_t)dev->tune.row_wg,
        .elem_wg = (uint32_t)dev->tune.ew_wg,
    };
    for (int i = 0; i < 3; i++)
        tsi_gpu_limit_u32(&dev->gpu.max_groups[i], c->cut.groups);
    tsi_gpu_limit_u32(&dev->gpu.max_buffers, c->cut.buffers);
}

const tsi_gpu_caps *tsi_gpu_caps_of(tsi_device *dev)
{
    return &dev->gpu;
}

const tsi_gpu_caps *tsi_gpu_caps_for(tsi_device *dev, const char *family)
{
    return tsi_gpu_family_caps_find(&dev->families, &dev->gpu, family);
}

bool tsi_gpu_texel_ok(tsi_device *dev, const tsi_buffer *buf)
{
    (void)dev;
    (void)buf;
    return false;
}

ts_status tsi_gpu_launch_record(tsi_device *dev, const tsi_gpu_launch *l)
{
    if (l->texel_mask)
        return tsi_gpu_fail(dev, TS_ERR_UNSUPPORTED, "%s: texel-buffer bindings are Vulkan only",
                            l->entry);
    char defs[TSI_CL_DEFINES_LEN] = "";
    for (int i = 0; i < l->n_consts; i++)
        tsi_cl_appendf(defs, sizeof defs, "%s-D%s=%uu", i ? " " : "", l->const_names[i],
                       l->consts[i]);
    char file[64];
    snprintf(file, sizeof file, "%s.cl", l->family);
    cl_kernel k;
    TSI_CL_TRY(tsi_cl_get_kernel(dev, file, defs, l->entry, &k));
    /* The constants fixed WG (reqd_work_group_size); a driver whose build
     * of this kernel cannot run that many work-items (register pressure)
     * says so here rather than failing the enqueue. The family then plans
     * for what the driver allows, and core plans the op again. */
    size_t kwg = tsi_cl_kernel_max_wg(dev, k, l->family);
    if (kwg < l->consts[0]) {
        ts_status st = TS_ERR_UNSUPPORTED;
        if (tsi_gpu_family_lower_wg(&dev->families, &dev->gpu, l->family, kwg)) {
            st = TSI_REPLAN;
            dev->host->log(TS_LOG_INFO,
                           "opencl: %s: the driver runs at most %zu work-items of %s, planned "
                           "for %u; %s kernels now plan for %u",
                           dev->caps->info.name, kwg, l->entry, l->consts[0], l->family,
                           tsi_gpu_caps_for(dev, l->family)->max_wg);
        }
        return tsi_gpu_fail(dev, st, "%s: this device runs at most %zu work-items of it, not %u",
                            l->entry, kwg, l->consts[0]);
    }
    tsi_cl_args a = tsi_cl_args_begin(k);
    for (int i = 0; i < l->n_bufs; i++)
        tsi_cl_arg_mem(&a, l->bufs[i]);
    tsi_cl_arg(&a, l->params_bytes, l->params);
    size_t wg = l->consts[0];
    size_t local[3] = {wg, 1, 1};
    size_t global[3] = {(size_t)l->groups[0] * wg, l->groups[1], l->groups[2]};
    return tsi_cl_launch(dev, &a, 3, global, local, l->entry);
}
