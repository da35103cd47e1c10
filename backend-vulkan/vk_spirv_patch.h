/* Adding the float-controls denormal execution mode to a compiled compute
 * module (SPV_KHR_float_controls, core in SPIR-V 1.4 / Vulkan 1.2).
 *
 * Vulkan lets a driver flush 32-bit subnormals unless the shader asks
 * otherwise (NVIDIA does), and glslc has no switch for the execution mode,
 * so the backend patches the words of each embedded module when it creates
 * the shader module: no new ids, only
 *
 *     OpCapability DenormPreserve            after the last OpCapability
 *     OpExtension "SPV_KHR_float_controls"   after the last OpExtension,
 *                                            only for SPIR-V < 1.4
 *     OpExecutionMode %ep DenormPreserve 32  after the last execution mode
 *                                            (or OpEntryPoint), per entry point
 *
 * (DenormFlushToZero for flush). Kept free of Vulkan headers so its unit
 * test (tests/test_vulkan_spirv_patch.c) needs no device. */
#ifndef TESSEL_VK_SPIRV_PATCH_H
#define TESSEL_VK_SPIRV_PATCH_H

#include <stddef.h>
#include <stdint.h>

typedef enum tsi_spirv_denorm {
    TSI_SPIRV_DENORM_PRESERVE = 0,
    TSI_SPIRV_DENORM_FLUSH = 1
} tsi_spirv_denorm;

typedef enum tsi_spirv_patch_result {
    TSI_SPIRV_PATCH_OK = 0,
    TSI_SPIRV_PATCH_MALFORMED, /* not a SPIR-V module we can walk */
    TSI_SPIRV_PATCH_CONFLICT,  /* already declares the other 32-bit denorm mode */
    TSI_SPIRV_PATCH_NO_MEMORY
} tsi_spirv_patch_result;

/* A malloc'd copy of the module (n_words words, host byte order) with the
 * 32-bit denorm mode for every entry point in *out (*out_words words).
 * Parts already present are not repeated, so patching twice equals patching
 * once. On anything but OK, *out is NULL. */
tsi_spirv_patch_result tsi_spirv_add_denorm_mode(const uint32_t *words, size_t n_words,
                                                 tsi_spirv_denorm mode, uint32_t **out,
                                                 size_t *out_words);

#endif
