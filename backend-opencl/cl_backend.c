/* The OpenCL backend module: its entry table, platform and device
 * enumeration, and the capabilities each device reports. Every platform's
 * every device is offered; core numbers them opencl:0, opencl:1, ... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend-opencl/cl_internal.h"

/* Vendor-specific queries, valid only when the named extension is listed
 * (values from cl_ext.h; spelled out so older headers still build). */
#define TSI_CL_DEVICE_WARP_SIZE_NV 0x4003
#define TSI_CL_DEVICE_WAVEFRONT_WIDTH_AMD 0x4043
#define TSI_CL_DEVICE_SUB_GROUP_SIZES_INTEL 0x4108

static void get_str(cl_device_id d, cl_device_info what, char *buf, size_t len)
{
    buf[0] = '\0';
    if (clGetDeviceInfo(d, what, len, buf, NULL) != CL_SUCCESS)
        buf[0] = '\0';
    buf[len - 1] = '\0';
}

static bool has_ext(const char *exts, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = exts; (p = strstr(p, name)) != NULL; p += n)
        if ((p == exts || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

/* Subgroup (warp / wavefront) width where a vendor extension tells it;
 * OpenCL 1.2 has no portable query, so 0 (unknown) elsewhere. */
static uint32_t subgroup_size(cl_device_id d, const char *exts)
{
    cl_uint v = 0;
    if (has_ext(exts, "cl_nv_device_attribute_query") &&
        clGetDeviceInfo(d, TSI_CL_DEVICE_WARP_SIZE_NV, sizeof v, &v, NULL) == CL_SUCCESS)
        return v;
    if (has_ext(exts, "cl_amd_device_attribute_query") &&
        clGetDeviceInfo(d, TSI_CL_DEVICE_WAVEFRONT_WIDTH_AMD, sizeof v, &v, NULL) == CL_SUCCESS)
        return v;
    if (has_ext(exts, "cl_intel_required_subgroup_size")) {
        size_t sizes[8] = {0}, bytes = 0;
        if (clGetDeviceInfo(d, TSI_CL_DEVICE_SUB_GROUP_SIZES_INTEL, sizeof sizes, sizes, &bytes) ==
                CL_SUCCESS &&
            bytes >= sizeof sizes[0]) {
            size_t best = 0; /* the widest the device offers */
            for (size_t i = 0; i < bytes / sizeof sizes[0] && i < 8; i++)
                if (sizes[i] > best)
                    best = sizes[i];
            return (uint32_t)best;
        }
    }
    return 0;
}

ts_status tsi_cl_query_caps(const tsi_host *host, cl_platform_id p, cl_device_id d,
                            tsi_cl_caps *out)
{
    memset(out, 0, sizeof *out);
    out->platform = p;
    out->device = d;
    ts_device_info *info = &out->info;
    strcpy(info->backend, "opencl");

    if (clGetPlatformInfo(p, CL_PLATFORM_NAME, sizeof out->platform_name, out->platform_name,
                          NULL) != CL_SUCCESS)
        out->platform_name[0] = '\0';
    out->platform_name[sizeof out->platform_name - 1] = '\0';

    char driver[64], exts[8192];
    get_str(d, CL_DEVICE_NAME, info->name, sizeof info->name);
    get_str(d, CL_DEVICE_VENDOR, info->vendor, sizeof info->vendor);
    get_str(d, CL_DRIVER_VERSION, driver, sizeof driver);
    get_str(d, CL_DEVICE_VERSION, out->device_version, sizeof out->device_version);
    get_str(d, CL_DEVICE_EXTENSIONS, exts, sizeof exts);
    snprintf(info->driver, sizeof info->driver, "%.60s %.60s", out->platform_name, driver);

    cl_device_type type = 0;
    cl_uint vendor_id = 0, cus = 0;
    cl_ulong mem = 0;
    cl_bool unified = CL_FALSE;
    cl_int err = clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof type, &type, NULL);
    if (err == CL_SUCCESS)
        err = clGetDeviceInfo(d, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof mem, &mem, NULL);
    if (err == CL_SUCCESS)
        err = clGetDeviceInfo(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof out->max_alloc,
                              &out->max_alloc, NULL);
    if (err == CL_SUCCESS)
        err = clGetDeviceInfo(d, CL_DEVICE_LOCAL_MEM_SIZE, sizeof out->local_mem, &out->local_mem,
                              NULL);
    if (err == CL_SUCCESS)
        err = clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof out->max_wg, &out->max_wg,
                              NULL);
    if (err == CL_SUCCESS)
        err = clGetDeviceInfo(d, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cus, &cus, NULL);
    if (err != CL_SUCCESS)
        return tsi_cl_error(host, err, "clGetDeviceInfo");
    /* Launches are {WG, 1, 1}: the first dimension's own limit applies too
     * (the array has CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS entries, >= 3). */
    size_t items[16] = {0};
    if (clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_ITEM_SIZES, sizeof items, items, NULL) ==
            CL_SUCCESS &&
        items[0] > 0 && items[0] < out->max_wg)
        out->max_wg = items[0];
    /* TESSEL_GPU_LIMITS (backend-gpu/gpu_limits.c): a smaller device. */
    if (tsi_gpu_limits_from_env(host, "opencl", &out->cut)) {
        if (out->cut.wg && out->max_wg > out->cut.wg)
            out->max_wg = out->cut.wg;
        tsi_gpu_limit_u64(&out->local_mem, out->cut.shared);
        tsi_gpu_limit_u64(&out->max_alloc, out->cut.binding);
    }
    /* Deprecated in 2.0 but answered by every 1.2 ICD; optional here. */
    if (clGetDeviceInfo(d, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof unified, &unified, NULL) !=
        CL_SUCCESS)
        unified = CL_FALSE;
    if (clGetDeviceInfo(d, CL_DEVICE_VENDOR_ID, sizeof vendor_id, &vendor_id, NULL) != CL_SUCCESS)
        vendor_id = 0;

    if (type & CL_DEVICE_TYPE_GPU)
        info->kind = unified ? TS_DEVICE_INTEGRATED_GPU : TS_DEVICE_DISCRETE_GPU;
    else if (type & CL_DEVICE_TYPE_CPU)
        info->kind = TS_DEVICE_SOFTWARE; /* an OpenCL CPU runtime (PoCL, oneAPI CPU) */
    else
        info->kind = TS_DEVICE_OTHER;
    info->vendor_id = vendor_id;
    info->memory_bytes = mem;
    info->max_alloc_bytes = out->max_alloc;
    info->compute_units = cus;
    info->max_workgroup_size = out->max_wg > UINT32_MAX ? UINT32_MAX : (uint32_t)out->max_wg;
    info->shared_memory_bytes = out->local_mem > UINT32_MAX ? UINT32_MAX : (uint32_t)out->local_mem;
    info->subgroup_size = subgroup_size(d, exts);
    out->fp16 = has_ext(exts, "cl_khr_fp16");
    out->own_binaries = tsi_cl_own_binaries(out);
    info->fp16_arithmetic = out->fp16;
    info->fp16_storage = 1; /* vload_half / vstore_half are core OpenCL 1.2 */
    info->bf16_native = 0;
    info->unified_memory = unified == CL_TRUE;
    info->cooperative_matrix = 0;
    /* CL_FP_DENORM: the device keeps f32 subnormals (the kernels are built
     * without -cl-denorms-are-zero or -cl-fast-relaxed-math, which allow
     * flushing). Without it OpenCL lets f32 subnormals flush. */
    cl_device_fp_config fp = 0;
    if (clGetDeviceInfo(d, CL_DEVICE_SINGLE_FP_CONFIG, sizeof fp, &fp, NULL) != CL_SUCCESS)
        fp = 0;
    info->denormals = fp & CL_FP_DENORM ? TS_DENORMALS_PRESERVED : TS_DENORMALS_UNKNOWN;

    bool subgroups = has_ext(exts, "cl_khr_subgroups") || has_ext(exts, "cl_intel_subgroups");
    /* "OpenCL 3.0 PoCL HSTR: ..." -> "OpenCL 3.0": the rest is in driver. */
    int ver_len = 0;
    for (int spaces = 0; out->device_version[ver_len]; ver_len++)
        if (out->device_version[ver_len] == ' ' && ++spaces == 2)
            break;
    char fft[128];
    tsi_cl_fft_describe((type & CL_DEVICE_TYPE_CPU) != 0, fft, sizeof fft);
    snprintf(info->features, sizeof info->features,
             "%.*s; fp16:%s; subgroups:%s;%s binaries:%s; gemm:%s; fft: %s", ver_len,
             out->device_version, out->fp16 ? "cl_khr_fp16" : "vload_half",
             subgroups ? "yes" : "no", out->cut.set ? " limits(TESSEL_GPU_LIMITS);" : "",
             out->own_binaries ? "tessel" : "driver's cache",
#ifdef TESSEL_HAVE_CLBLAST
             "clblast",
#else
             "own",
#endif
             fft);
    return TS_OK;
}

static void cl_shutdown(void *state)
{
    tsi_cl_state *st = state;
    if (!st)
        return;
    free(st->devices);
    free(st);
}

/* Devices of one platform appended to st->devices. A platform that cannot
 * list its devices (a stale or broken ICD beside a working one) is skipped
 * with a warning: the others still serve. */
static ts_status add_platform(tsi_cl_state *st, cl_platform_id p)
{
    cl_uint n = 0;
    cl_int err = clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, NULL, &n);
    if (err == CL_DEVICE_NOT_FOUND || (err == CL_SUCCESS && n == 0))
        return TS_OK;
    cl_device_id *ids = err == CL_SUCCESS ? calloc(n, sizeof *ids) : NULL;
    if (err == CL_SUCCESS && ids)
        err = clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, n, ids, NULL);
    if (err != CL_SUCCESS) {
        free(ids);
        st->host->log(TS_LOG_WARN, "opencl: a platform is skipped: clGetDeviceIDs: %s (%d)",
                      tsi_cl_err_name(err), (int)err);
        return TS_OK;
    }
    tsi_cl_caps *grown =
        ids ? realloc(st->devices, (size_t)(st->count + (int)n) * sizeof *grown) : NULL;
    if (!grown) {
        free(ids);
        st->host->set_error("opencl: out of host memory listing devices");
        return TS_ERR_OUT_OF_MEMORY;
    }
    st->devices = grown;
    for (cl_uint i = 0; i < n; i++) {
        /* A device that cannot even answer queries is skipped, not fatal. */
        if (tsi_cl_query_caps(st->host, p, ids[i], &st->devices[st->count]) == TS_OK)
            st->count++;
    }
    free(ids);
    return TS_OK;
}

static ts_status cl_init(const tsi_host *host, void **state)
{
    *state = NULL;
    cl_uint np = 0;
    cl_int err = clGetPlatformIDs(0, NULL, &np);
    if (err != CL_SUCCESS || np == 0) {
        /* -1001 (CL_PLATFORM_NOT_FOUND_KHR) from the ICD loader: no ICDs. */
        host->set_error("opencl: no OpenCL platform (%s)", tsi_cl_err_name(err));
        return TS_ERR_NOT_FOUND;
    }
    tsi_cl_state *st = calloc(1, sizeof *st);
    cl_platform_id *ps = calloc(np, sizeof *ps);
    ts_status s = TS_OK;
    if (!st || !ps) {
        host->set_error("opencl: out of host memory");
        s = TS_ERR_OUT_OF_MEMORY;
        goto done;
    }
    st->host = host;
    err = clGetPlatformIDs(np, ps, NULL);
    if (err != CL_SUCCESS) {
        s = tsi_cl_error(host, err, "clGetPlatformIDs");
        goto done;
    }
    for (cl_uint i = 0; i < np && s == TS_OK; i++)
        s = add_platform(st, ps[i]);
    if (s == TS_OK && st->count == 0) {
        host->set_error("opencl: %u platform(s) but no device", np);
        s = TS_ERR_NOT_FOUND;
    }
done:
    free(ps);
    if (s != TS_OK) {
        cl_shutdown(st);
        return s;
    }
    *state = st;
    return TS_OK;
}

static int cl_device_count(void *state)
{
    return ((tsi_cl_state *)state)->count;
}

static ts_status cl_dev_info(void *state, int index, ts_device_info *out)
{
    tsi_cl_state *st = state;
    *out = st->devices[index].info;
    return TS_OK;
}

static ts_status cl_device_open(void *state, int index, tsi_device **out)
{
    return tsi_cl_device_open(state, index, out);
}

static const tsi_backend cl_backend = {
    .abi_version = TSI_BACKEND_ABI_VERSION,
    .name = "opencl",
    .init = cl_init,
    .shutdown = cl_shutdown,
    .device_count = cl_device_count,
    .device_info = cl_dev_info,
    .device_open = cl_device_open,
    .device_close = tsi_cl_device_close,
    .buffer_alloc = tsi_cl_buffer_alloc,
    .buffer_free = tsi_cl_buffer_free,
    .buffer_write = tsi_cl_buffer_write,
    .buffer_read = tsi_cl_buffer_read,
    .kernels = tsi_cl_kernels_table,
    .n_kernels = TSI_OP_COUNT,
    .op_size = sizeof(tsi_op),
    .sync = tsi_cl_sync,
};

__attribute__((visibility("default"))) const tsi_backend *
tessel_backend_entry_v2(uint32_t abi_version, uint32_t op_size);

__attribute__((visibility("default"))) const tsi_backend *
tessel_backend_entry_v2(uint32_t abi_version, uint32_t op_size)
{
    return tsi_backend_abi_ok(abi_version, op_size) ? &cl_backend : NULL;
}
