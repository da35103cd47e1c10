/* The OpenCL kernel table (core/backend.h, tsi_kernel): one row per op.
 * The rows of the kernels written once for both GPU backends
 * (backend-gpu/, shaders/<family>.kern) are in backend-gpu/gpu_kernels.h. */
#include "backend-gpu/gpu_kernels.h"
#include "backend-opencl/cl_internal.h"

const tsi_kernel tsi_cl_kernels_table[TSI_OP_COUNT] = {
    TSI_GPU_KERNEL_ROWS,
    [TSI_OP_MATMUL] = {tsi_cl_matmul_supports, tsi_cl_matmul_plan, tsi_cl_matmul_record},
};
