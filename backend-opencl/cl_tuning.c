/* Default tunables per vendor, passed to kernels as -D defines. Rows are
 * starting points (CLBlast's published defaults for the same GPU classes
 * informed the GEMM tiles); every value is then clamped to what the
 * device reports, so a row can never ask for more work-items or local
 * memory than the device has. TESSEL_OPENCL_TUNE="ew,row,tsm,tsn,tsk,wptm,wptn"
 * overrides the row for experiments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend-opencl/cl_internal.h"

typedef struct tuning_row {
    uint32_t vendor_id; /* PCI id, 0: match by name only */
    const char *match;  /* substring of the vendor or platform name */
    tsi_cl_tuning t;
} tuning_row;

/* First match wins; PoCL comes first because it reports a CPU's vendor. */
static const tuning_row rows[] = {
    {0, "Portable Computing Language", {"pocl", 64, 64, 32, 32, 16, 4, 4}},
    {0x10de, "NVIDIA", {"nvidia", 256, 256, 64, 64, 16, 4, 4}},
    {0x1002, "Advanced Micro Devices", {"amd", 256, 256, 64, 64, 16, 4, 4}},
    {0x8086, "Intel", {"intel", 128, 256, 32, 32, 16, 2, 4}},
    {0x13b5, "ARM", {"arm", 128, 128, 32, 32, 8, 2, 2}},
    {0x5143, "Qualcomm", {"qualcomm", 128, 128, 32, 32, 8, 2, 2}},
    {0, "", {"generic", 64, 64, 32, 32, 8, 2, 2}},
};

static const tuning_row *match_row(const tsi_cl_caps *caps)
{
    const size_t n = sizeof rows / sizeof rows[0];
    for (size_t i = 0; i + 1 < n; i++) {
        const tuning_row *r = &rows[i];
        if (strstr(caps->platform_name, r->match) || strstr(caps->info.vendor, r->match))
            return r;
        if (r->vendor_id && caps->info.vendor_id == r->vendor_id && !caps->is_pocl)
            return r;
    }
    return &rows[n - 1];
}

static int pow2_floor(size_t v)
{
    int p = 1;
    while ((size_t)p * 2 <= v && p < (1 << 20))
        p *= 2;
    return p;
}

/* GEMM tiles as float words of local memory (both padded tiles). */
static cl_ulong gemm_local_bytes(const tsi_cl_tuning *t)
{
    return (cl_ulong)t->gemm_tsk * (cl_ulong)(t->gemm_tsm + 1 + t->gemm_tsn + 1) * 4u;
}

void tsi_cl_tuning_pick(const tsi_cl_caps *caps, tsi_cl_tuning *out)
{
    *out = match_row(caps)->t;
    const char *env = getenv("TESSEL_OPENCL_TUNE");
    tsi_cl_tuning o = *out;
    if (env &&
        sscanf(env, "%d,%d,%d,%d,%d,%d,%d", &o.ew_wg, &o.row_wg, &o.gemm_tsm, &o.gemm_tsn,
               &o.gemm_tsk, &o.gemm_wptm, &o.gemm_wptn) == 7 &&
        o.ew_wg > 0 && o.row_wg > 0 && o.gemm_tsk > 0 && o.gemm_wptm > 0 && o.gemm_wptn > 0 &&
        o.gemm_tsm % o.gemm_wptm == 0 && o.gemm_tsn % o.gemm_wptn == 0) {
        o.vendor = "TESSEL_OPENCL_TUNE";
        *out = o;
    }
    size_t max_wg = caps->max_wg ? caps->max_wg : 1;
    if ((size_t)out->ew_wg > max_wg)
        out->ew_wg = (int)max_wg;
    out->row_wg = pow2_floor((size_t)out->row_wg < max_wg ? (size_t)out->row_wg : max_wg);
    /* Shrink the GEMM tile until its work-group and local memory fit; the
     * last resort is 8x8x8 with one output per work-item. */
    while ((size_t)(out->gemm_tsm / out->gemm_wptm) * (size_t)(out->gemm_tsn / out->gemm_wptn) >
               max_wg ||
           gemm_local_bytes(out) > caps->local_mem) {
        if (out->gemm_tsk > 8) {
            out->gemm_tsk /= 2;
        } else if (out->gemm_tsm > 8) {
            out->gemm_tsm /= 2;
            out->gemm_tsn /= 2;
            if (out->gemm_wptm > out->gemm_tsm)
                out->gemm_wptm = out->gemm_tsm;
            if (out->gemm_wptn > out->gemm_tsn)
                out->gemm_wptn = out->gemm_tsn;
        } else if (out->gemm_wptm < out->gemm_tsm) {
            out->gemm_wptm *= 2;
            out->gemm_wptn *= 2;
        } else {
            break; /* a device this small gets an honest build error later */
        }
    }
}
