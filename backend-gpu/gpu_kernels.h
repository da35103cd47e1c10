/* The kernel families written once for both GPU backends, and the rows of
 * the two kernel tables (vk_kernels.c, cl_kernels.c) that point at them. */
#ifndef TESSEL_BACKEND_GPU_KERNELS_H
#define TESSEL_BACKEND_GPU_KERNELS_H

#include "backend-gpu/gpu.h"

bool tsi_gpu_attention_supports(tsi_device *dev, const tsi_op *op);
ts_status tsi_gpu_attention_plan(tsi_device *dev, const tsi_op *op, tsi_plan *out);
ts_status tsi_gpu_attention_record(tsi_device *dev, const tsi_op *op);

bool tsi_gpu_elementwise_supports(tsi_device *dev, const tsi_op *op);
ts_status tsi_gpu_elementwise_record(tsi_device *dev, const tsi_op *op);
bool tsi_gpu_conv1d_supports(tsi_device *dev, const tsi_op *op);
ts_status tsi_gpu_conv1d_record(tsi_device *dev, const tsi_op *op);

bool tsi_gpu_matmul_supports(tsi_device *dev, const tsi_op *op);
ts_status tsi_gpu_matmul_plan(tsi_device *dev, const tsi_op *op, tsi_plan *out);
ts_status tsi_gpu_matmul_record(tsi_device *dev, const tsi_op *op);

bool tsi_gpu_softmax_supports(tsi_device *dev, const tsi_op *op);
ts_status tsi_gpu_softmax_record(tsi_device *dev, const tsi_op *op);
bool tsi_gpu_reduce_supports(tsi_device *dev, const tsi_op *op);
ts_status tsi_gpu_reduce_record(tsi_device *dev, const tsi_op *op);
bool tsi_gpu_norm_supports(tsi_device *dev, const tsi_op *op);
ts_status tsi_gpu_norm_record(tsi_device *dev, const tsi_op *op);

bool tsi_gpu_topk_supports(tsi_device *dev, const tsi_op *op);
ts_status tsi_gpu_topk_record(tsi_device *dev, const tsi_op *op);
bool tsi_gpu_gather_rows_supports(tsi_device *dev, const tsi_op *op);
ts_status tsi_gpu_gather_rows_record(tsi_device *dev, const tsi_op *op);
bool tsi_gpu_scatter_add_rows_supports(tsi_device *dev, const tsi_op *op);
ts_status tsi_gpu_scatter_add_rows_plan(tsi_device *dev, const tsi_op *op, tsi_plan *out);
ts_status tsi_gpu_scatter_add_rows_record(tsi_device *dev, const tsi_op *op);

bool tsi_gpu_grouped_matmul_supports(tsi_device *dev, const tsi_op *op);
ts_status tsi_gpu_grouped_matmul_plan(tsi_device *dev, const tsi_op *op, tsi_plan *out);
ts_status tsi_gpu_grouped_matmul_record(tsi_device *dev, const tsi_op *op);
bool tsi_gpu_moe_place_supports(tsi_device *dev, const tsi_op *op);
ts_status tsi_gpu_moe_place_plan(tsi_device *dev, const tsi_op *op, tsi_plan *out);
ts_status tsi_gpu_moe_place_record(tsi_device *dev, const tsi_op *op);
bool tsi_gpu_moe_combine_supports(tsi_device *dev, const tsi_op *op);
ts_status tsi_gpu_moe_combine_record(tsi_device *dev, const tsi_op *op);

/* TSI_OP_FFT's table row: VkFFT where it runs the op, else the own
 * kernels below (TESSEL_FFT, gpu_vkfft.h). */
bool tsi_gpu_vkfft_supports(tsi_device *dev, const tsi_op *op);
ts_status tsi_gpu_vkfft_plan(tsi_device *dev, const tsi_op *op, tsi_plan *out);
ts_status tsi_gpu_vkfft_record(tsi_device *dev, const tsi_op *op);
bool tsi_gpu_fft_supports(tsi_device *dev, const tsi_op *op);
ts_status tsi_gpu_fft_plan(tsi_device *dev, const tsi_op *op, tsi_plan *out);
ts_status tsi_gpu_fft_record(tsi_device *dev, const tsi_op *op);
bool tsi_gpu_conv1d_long_supports(tsi_device *dev, const tsi_op *op);
ts_status tsi_gpu_conv1d_long_record(tsi_device *dev, const tsi_op *op);

/* The rows both kernel tables hold: every op but TSI_OP_MATMUL, which
 * OpenCL gives CLBlast first (cl_matmul.c). A family written once adds its
 * row here, and both modules register it. */
#define TSI_GPU_KERNEL_ROWS                                                                        \
    [TSI_OP_UNARY] = {tsi_gpu_elementwise_supports, NULL, tsi_gpu_elementwise_record},             \
    [TSI_OP_BINARY] = {tsi_gpu_elementwise_supports, NULL, tsi_gpu_elementwise_record},            \
    [TSI_OP_SOFTMAX] = {tsi_gpu_softmax_supports, NULL, tsi_gpu_softmax_record},                   \
    [TSI_OP_REDUCE] = {tsi_gpu_reduce_supports, NULL, tsi_gpu_reduce_record},                      \
    [TSI_OP_TOPK] = {tsi_gpu_topk_supports, NULL, tsi_gpu_topk_record},                            \
    [TSI_OP_GATHER_ROWS] = {tsi_gpu_gather_rows_supports, NULL, tsi_gpu_gather_rows_record},       \
    [TSI_OP_SCATTER_ADD_ROWS] = {tsi_gpu_scatter_add_rows_supports, tsi_gpu_scatter_add_rows_plan, \
                                 tsi_gpu_scatter_add_rows_record},                                 \
    [TSI_OP_NORM] = {tsi_gpu_norm_supports, NULL, tsi_gpu_norm_record},                            \
    [TSI_OP_CONV1D_CAUSAL] = {tsi_gpu_conv1d_supports, NULL, tsi_gpu_conv1d_record},               \
    [TSI_OP_ATTENTION] = {tsi_gpu_attention_supports, tsi_gpu_attention_plan,                      \
                          tsi_gpu_attention_record},                                               \
    [TSI_OP_GROUPED_MATMUL] = {tsi_gpu_grouped_matmul_supports, tsi_gpu_grouped_matmul_plan,       \
                               tsi_gpu_grouped_matmul_record},                                     \
    [TSI_OP_MOE_PLACE] = {tsi_gpu_moe_place_supports, tsi_gpu_moe_place_plan,                      \
                          tsi_gpu_moe_place_record},                                               \
    [TSI_OP_MOE_COMBINE] = {tsi_gpu_moe_combine_supports, NULL, tsi_gpu_moe_combine_record},       \
    [TSI_OP_FFT] = {tsi_gpu_vkfft_supports, tsi_gpu_vkfft_plan, tsi_gpu_vkfft_record},             \
    [TSI_OP_CONV1D_LONG] = {tsi_gpu_conv1d_long_supports, NULL, tsi_gpu_conv1d_long_record}

#endif
