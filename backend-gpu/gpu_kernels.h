/* The kernel families written once for both GPU backends: the entries
 * each backend's kernel table (vk_kernels.c, cl_kernels.c) points at. */
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

#endif
