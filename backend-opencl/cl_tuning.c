/* The workgroup widths of one device: the values of the tuning database
 * (core/tuning_defaults.txt, the user's tuning file; read through
 * tsi_host.tuning), or TESSEL_OPENCL_TUNE="ew,row" for experiments, then
 * clamped to what the device reports, so no row can ask for more
 * work-items than the device has. Tile sizes of the kernels are their
 * plans' business (backend-gpu/). */
#include <stdio.h>
#include <stdlib.h>

#include "backend-opencl/cl_internal.h"
#include "core/plan_util.h"

/* What a device no row matches gets, and what replaces a value out of
 * range (the defaults file's "anything else" row). */
static const tsi_cl_tuning k_fallback = {"fallback", 64, 64};

static int value_of(const tsi_host *host, const ts_device_info *info, const char *key, int fallback)
{
    int64_t v = host->tuning(info, key, fallback);
    if (v > 0 && v <= (1 << 20))
        return (int)v;
    host->log(TS_LOG_WARN, "opencl: %s: tuning %s=%lld is outside 1..%d; using %d", info->name,
              key, (long long)v, 1 << 20, fallback);
    return fallback;
}

static void from_environment(tsi_cl_tuning *out)
{
    const char *env = getenv("TESSEL_OPENCL_TUNE");
    int ew, row;
    if (env && sscanf(env, "%d,%d", &ew, &row) == 2 && ew > 0 && row > 0) {
        out->ew_wg = ew;
        out->row_wg = row;
        out->vendor = "TESSEL_OPENCL_TUNE";
    }
}

void tsi_cl_tuning_pick(const tsi_host *host, const tsi_cl_caps *caps, tsi_cl_tuning *out)
{
    const ts_device_info *info = &caps->info;
    *out = (tsi_cl_tuning){
        .vendor = "tuning database",
        .ew_wg = value_of(host, info, "elem_wg", k_fallback.ew_wg),
        .row_wg = value_of(host, info, "row_wg", k_fallback.row_wg),
    };
    from_environment(out);
    size_t max_wg = caps->max_wg ? caps->max_wg : 1;
    if ((size_t)out->ew_wg > max_wg)
        out->ew_wg = (int)max_wg;
    out->row_wg = (int)tsi_pow2_floor((size_t)out->row_wg < max_wg ? (size_t)out->row_wg : max_wg);
    host->log(TS_LOG_DEBUG, "opencl: %s: tuning row_wg=%d elem_wg=%d (from %s)", info->name,
              out->row_wg, out->ew_wg, out->vendor);
}
