/* What the two files that include vkFFT.h (backend-vulkan/vk_fft.c,
 * backend-opencl/cl_fft.c) do alike with an application: the
 * configuration that follows from its shape, the line logged when VkFFT
 * declines it, freeing it, and the path tessel-info reports.
 *
 * Include it right after vkFFT.h: VkFFT's types differ per VKFFT_BACKEND
 * and its functions are static, so this cannot be a compiled file of
 * backend-gpu/ (as gpu_vkfft.c is); its functions are static too. */
#ifndef TESSEL_BACKEND_GPU_VKFFT_APP_H
#define TESSEL_BACKEND_GPU_VKFFT_APP_H

#include <stdio.h>
#include <stdlib.h>

#include "backend-gpu/gpu_vkfft.h"

/* The fields that the shape decides. Each module adds its device handles
 * (and on Vulkan the cache's load / save fields). */
static VkFFTConfiguration tsi_vkfft_config(const tsi_vkfft_shape *s, uint64_t *bytes)
{
    VkFFTConfiguration c = {0};
    c.FFTdim = 1;
    c.size[0] = (uint64_t)s->n;
    c.numberBatches = (uint64_t)s->batch;
    c.performR2C = s->kind != TSI_FFT_C2C;
    /* VkFFT would run two real rows of a batch as one complex transform:
     * rows must not meet (a NaN or inf in one reached its neighbour, and
     * a row of scale 1e20 left errors of 1e13 in the bins of a row of
     * scale 1 beside it: docs/numerics.md). */
    c.disableMergeSequencesR2C = 1;
    c.makeForwardPlanOnly = !s->inverse;
    c.makeInversePlanOnly = s->inverse;
    /* Twiddles from double-precision tables rather than f32 sincos. */
    c.useLUT = 1;
    /* No buffer yet, only its size (VkFFT keeps the pointer): the work
     * buffer is given at each append. On Vulkan VkFFT then writes its
     * descriptor sets at the first append, after its Bluestein set-up has
     * made the chirp buffers (at creation 1.2.26 writes them before, as
     * null descriptors); later appends pass the same buffer and never
     * rewrite a set in flight. */
    c.bufferSize = bytes;
    return c;
}

static void tsi_vkfft_log_declined(const tsi_host *host, const char *key, VkFFTResult r)
{
    host->log(TS_LOG_INFO,
              "vkfft: %s: VkFFT error %d: declined, the own kernels run it where they can", key,
              (int)r);
}

/* deleteVkFFT, which 1.2.26 makes forget the reverse Bluestein passes of
 * a length that takes several passes (their kernels, programs or
 * pipelines): pass 0 is a copy of the forward one's handles, the others
 * share its lookup tables (referenceLUT), so deleting passes 1.. first is
 * exact. Safe on a half-made application. */
static void tsi_vkfft_app_delete(VkFFTApplication *app)
{
    VkFFTPlan *plans[2] = {app->localFFTPlan, app->localFFTPlan_inverse};
    for (int p = 0; p < 2; p++)
        if (plans[p] && app->useBluesteinFFT[0] && plans[p]->numAxisUploads[0] > 1)
            for (uint64_t j = 1; j < plans[p]->numAxisUploads[0]; j++)
                deleteAxis(app, &plans[p]->inverseBluesteinAxes[0][j]);
    deleteVkFFT(app);
}

/* Delete and free a calloc'd application; NULL is fine. */
static void tsi_vkfft_app_free(VkFFTApplication *app)
{
    if (app)
        tsi_vkfft_app_delete(app);
    free(app);
}

/* The FFT path for tessel-info. own_note: why AUTO keeps the own kernels
 * on this device, or NULL where it uses VkFFT. */
static void tsi_vkfft_describe(const char *own_note, char *buf, size_t len)
{
    int v = VkFFTGetVersion();
    if (tsi_vkfft_mode_get() == TSI_VKFFT_OWN)
        snprintf(buf, len, "own kernels (TESSEL_FFT=own)");
    else if (own_note && tsi_vkfft_mode_get() != TSI_VKFFT_ONLY)
        snprintf(buf, len, "own kernels (%s)", own_note);
    else
        snprintf(buf, len, "vkfft %d.%d.%d", v / 10000, v / 100 % 100, v % 100);
}

#endif
