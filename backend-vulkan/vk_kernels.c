/* The Vulkan kernel table (core/backend.h, tsi_kernel): one row per op.
 * Kernels written once for both GPU backends live in backend-gpu/ and
 * shaders/<family>.kern. */
#include "backend-gpu/gpu_kernels.h"
#include "vk_internal.h"

const tsi_kernel tsi_vk_kernels[TSI_OP_COUNT] = {
    [TSI_OP_UNARY] = {tsi_gpu_elementwise_supports, NULL, tsi_gpu_elementwise_record},
    [TSI_OP_BINARY] = {tsi_gpu_elementwise_supports, NULL, tsi_gpu_elementwise_record},
    [TSI_OP_MATMUL] = {tsi_gpu_matmul_supports, tsi_gpu_matmul_plan, tsi_gpu_matmul_record},
    [TSI_OP_SOFTMAX] = {tsi_gpu_softmax_supports, NULL, tsi_gpu_softmax_record},
    [TSI_OP_REDUCE] = {tsi_gpu_reduce_supports, NULL, tsi_gpu_reduce_record},
    [TSI_OP_TOPK] = {tsi_gpu_topk_supports, NULL, tsi_gpu_topk_record},
    [TSI_OP_GATHER_ROWS] = {tsi_gpu_gather_rows_supports, NULL, tsi_gpu_gather_rows_record},
    [TSI_OP_SCATTER_ADD_ROWS] = {tsi_gpu_scatter_add_rows_supports, tsi_gpu_scatter_add_rows_plan,
                                 tsi_gpu_scatter_add_rows_record},
    [TSI_OP_NORM] = {tsi_gpu_norm_supports, NULL, tsi_gpu_norm_record},
    [TSI_OP_CONV1D_CAUSAL] = {tsi_gpu_conv1d_supports, NULL, tsi_gpu_conv1d_record},
    [TSI_OP_ATTENTION] = {tsi_gpu_attention_supports, tsi_gpu_attention_plan,
                          tsi_gpu_attention_record},
    [TSI_OP_GROUPED_MATMUL] = {tsi_gpu_grouped_matmul_supports, tsi_gpu_grouped_matmul_plan,
                               tsi_gpu_grouped_matmul_record},
    [TSI_OP_MOE_PLACE] = {tsi_gpu_moe_place_supports, tsi_gpu_moe_place_plan,
                          tsi_gpu_moe_place_record},
    [TSI_OP_MOE_COMBINE] = {tsi_gpu_moe_combine_supports, NULL, tsi_gpu_moe_combine_record},
    [TSI_OP_FFT] = {tsi_gpu_vkfft_supports, tsi_gpu_vkfft_plan, tsi_gpu_vkfft_record},
    [TSI_OP_CONV1D_LONG] = {tsi_gpu_conv1d_long_supports, NULL, tsi_gpu_conv1d_long_record},
};
