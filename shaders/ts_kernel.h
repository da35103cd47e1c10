/* Included first by every kernel family (shaders/<family>.kern): picks the
 * language mapping and adds what both languages share. The build defines
 * TS_LANG_GLSL or TS_LANG_OPENCL (cmake/TesselKernels.cmake). */
#ifndef TS_KERNEL_H
#define TS_KERNEL_H

#if defined(TS_LANG_GLSL)
#include "lang/glsl.h"
#elif defined(TS_LANG_OPENCL)
#include "lang/opencl.h"
#else
#error "define TS_LANG_GLSL or TS_LANG_OPENCL"
#endif

/* ts_dtype values (include/tessel/tensor.h), the DT constants' values. */
#define DT_F32 0u
#define DT_F16 1u
#define DT_BF16 2u
#define DT_I32 3u
#define DT_C64 4u /* two words per element: f32 re, im */

/* The workgroup index over a 2-d grid: one grid dimension is capped at
 * maxComputeWorkGroupCount[0] (65535 on many devices), so large flat
 * counts are split into x * y (backend-gpu/gpu.h, tsi_gpu_grid). */
#define FLAT_GROUP (GROUP_Y * NUM_GROUPS_X + GROUP_X)

/* IEEE 754-2019 maximum / minimum for NaN (docs/numerics.md): a NaN in
 * either operand gives NaN (a + b carries it). GLSL max/min leave NaN
 * undefined and OpenCL fmax/fmin drop it, so every kernel spells the
 * policy with these. Otherwise a > b ? a : b, as the CPU backend does. */
float ts_max_nan(float a, float b)
{
    return isnan(a) || isnan(b) ? a + b : (a > b ? a : b);
}

float ts_min_nan(float a, float b)
{
    return isnan(a) || isnan(b) ? a + b : (a < b ? a : b);
}

#endif
