# Host code of the kernels written once for both GPU backends: compiled
# into each GPU module (libtessel-vulkan.so, libtessel-opencl.so), one
# file per kernel family. Listed, not globbed.
set(TESSEL_GPU_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/gpu_common.c
  ${CMAKE_CURRENT_LIST_DIR}/gpu_limits.c
  ${CMAKE_CURRENT_LIST_DIR}/gpu_attention.c
  ${CMAKE_CURRENT_LIST_DIR}/gpu_elementwise.c
  ${CMAKE_CURRENT_LIST_DIR}/gpu_conv1d.c
  ${CMAKE_CURRENT_LIST_DIR}/gpu_matmul.c
  ${CMAKE_CURRENT_LIST_DIR}/gpu_gemm_tiles.c
  ${CMAKE_CURRENT_LIST_DIR}/gpu_softmax.c
  ${CMAKE_CURRENT_LIST_DIR}/gpu_reduce.c
  ${CMAKE_CURRENT_LIST_DIR}/gpu_norm.c
  ${CMAKE_CURRENT_LIST_DIR}/gpu_topk.c
  ${CMAKE_CURRENT_LIST_DIR}/gpu_index.c
  ${CMAKE_CURRENT_LIST_DIR}/gpu_moe.c
  ${CMAKE_CURRENT_LIST_DIR}/gpu_fft.c
  ${CMAKE_CURRENT_LIST_DIR}/gpu_conv1d_long.c
  ${CMAKE_CURRENT_LIST_DIR}/gpu_vkfft.c
)
