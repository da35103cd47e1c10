/* CLBlast's own tuning, overridden only where tessel-tune measured better:
 * when the tuning database gives a complete set of CLBlast's Xgemm
 * parameters for the device (keys clblast.xgemm.<name>, lower case; in
 * practice only a tuned file has them), they are handed to
 * CLBlastOverrideParameters for single precision, which every CLBlast
 * GEMM of tessel uses (f16 and bf16 are widened to f32). A partial set,
 * or none, leaves CLBlast's database in charge: CLBlast refuses
 * incomplete overrides, and guessing the missing values could only be
 * worse than its own. */
#include <stdio.h>

#include "backend-opencl/cl_internal.h"

#ifdef TESSEL_HAVE_CLBLAST
#include <clblast_c.h>

/* The parameters of CLBlast 1.5's Xgemm kernel, all required. */
static const char *const xgemm_params[] = {"GEMMK", "KREG",  "KWG",   "KWI", "MDIMA", "MDIMC",
                                           "MWG",   "NDIMB", "NDIMC", "NWG", "SA",    "SB",
                                           "STRM",  "STRN",  "VWM",   "VWN"};
#define N_XGEMM (sizeof xgemm_params / sizeof xgemm_params[0])

void tsi_cl_clblast_tune(const tsi_host *host, const tsi_cl_caps *caps)
{
    size_t values[N_XGEMM];
    int found = 0;
    for (size_t i = 0; i < N_XGEMM; i++) {
        char key[40];
        snprintf(key, sizeof key, "clblast.xgemm.");
        for (size_t j = 0, n = 14; xgemm_params[i][j] && n + 1 < sizeof key; j++, n++) {
            char c = xgemm_params[i][j];
            key[n] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
            key[n + 1] = '\0';
        }
        int64_t v = host->tuning(&caps->info, key, -1);
        found += v >= 0;
        values[i] = v >= 0 ? (size_t)v : 0;
    }
    if (found == 0)
        return;
    if (found != (int)N_XGEMM) {
        host->log(TS_LOG_WARN,
                  "opencl: %s: %d of CLBlast's %d Xgemm parameters tuned; keeping CLBlast's own",
                  caps->info.name, found, (int)N_XGEMM);
        return;
    }
    CLBlastStatusCode s = CLBlastOverrideParameters(caps->device, "Xgemm", CLBlastPrecisionSingle,
                                                    N_XGEMM, (const char **)xgemm_params, values);
    if (s != CLBlastSuccess)
        host->log(TS_LOG_WARN,
                  "opencl: %s: CLBlastOverrideParameters refused the tuned Xgemm "
                  "parameters (status %d); keeping CLBlast's own",
                  caps->info.name, (int)s);
    else
        host->log(TS_LOG_DEBUG,
                  "opencl: %s: CLBlast Xgemm parameters from the tuning database "
                  "(MWG=%zu NWG=%zu KWG=%zu)",
                  caps->info.name, values[6], values[9], values[2]);
}
#else
void tsi_cl_clblast_tune(const tsi_host *host, const tsi_cl_caps *caps)
{
    (void)host;
    (void)caps;
}
#endif
