# VkFFT (Debian libvkfft-dev, MIT, header-only) as the FFT path of the GPU
# backends (backend-vulkan/vk_fft.c, backend-opencl/cl_fft.c). It generates
# and compiles its kernels at run time: on Vulkan through glslang's
# library (Debian glslang-dev, static only, C++), on OpenCL through the
# driver. Without it both backends run their own FFT kernels.
#
# tessel_use_vkfft(<target> VULKAN|OPENCL)
#   compiles <target> with TESSEL_HAVE_VKFFT and VkFFT's header, and links
#   what that backend of VkFFT needs; does nothing when VkFFT is off or
#   missing. TESSEL_VKFFT_VULKAN / TESSEL_VKFFT_OPENCL say what was found.
option(TESSEL_VKFFT "Use VkFFT for FFTs on Vulkan and OpenCL when found" ON)

set(TESSEL_VKFFT_VULKAN OFF)
set(TESSEL_VKFFT_OPENCL OFF)
if(TESSEL_VKFFT)
  find_path(TESSEL_VKFFT_INCLUDE vkFFT.h)
endif()
if(TESSEL_VKFFT AND TESSEL_VKFFT_INCLUDE)
  # The module compiles a copy of Debian's vkFFT.h 1.2.26 with three fixes
  # (COPYONLY rewrites it only when it changes):
  # - three `VkCommandBuffer commandBuffer = {};`, valid C++ but an empty
  #   scalar initializer to a C compiler, become `= 0`;
  # - OpenCL has no work-group count limit, which VkFFT writes as
  #   UINT64_MAX; each dispatch rounds it to a power of two through a
  #   double, 2^64, and converting that back to uint64_t is undefined
  #   (UBSan stops there). 2^63 is as unlimited and converts exactly;
  # - its glslang resource limits are a positional initializer written
  #   before glslang 11.11 inserted nine mesh-shader fields: against a newer
  #   glslang every later value lands one field off, the `limits` block
  #   reads as zeros and glslang rejects each kernel ("Non-constant-index-
  #   expression"). Insert glslang's defaults for the nine fields.
  file(READ ${TESSEL_VKFFT_INCLUDE}/vkFFT.h tessel_vkfft_src)
  string(REPLACE "VkCommandBuffer commandBuffer = {};" "VkCommandBuffer commandBuffer = 0;"
         tessel_vkfft_src "${tessel_vkfft_src}")
  foreach(axis 0 1 2)
    string(REPLACE "maxComputeWorkGroupCount[${axis}] = UINT64_MAX;"
           "maxComputeWorkGroupCount[${axis}] = (uint64_t)1 << 63;"
           tessel_vkfft_src "${tessel_vkfft_src}")
  endforeach()
  find_file(TESSEL_GLSLANG_C_INTERFACE glslang/Include/glslang_c_interface.h)
  if(TESSEL_GLSLANG_C_INTERFACE)
    file(READ ${TESSEL_GLSLANG_C_INTERFACE} tessel_glslang_h)
    string(FIND "${tessel_glslang_h}" "max_mesh_output_vertices_ext" tessel_mesh_ext)
    string(FIND "${tessel_vkfft_src}" "maxMeshOutputVerticesEXT" tessel_vkfft_mesh_ext)
    if(tessel_mesh_ext GREATER -1 AND tessel_vkfft_mesh_ext EQUAL -1)
      string(REPLACE "/* .maxDualSourceDrawBuffersEXT = */ 1,"
             "/* .maxMeshOutputVerticesEXT .. maxMeshViewCountEXT (tessel) = */ 256, 256, 128, 128, 128, 128, 128, 128, 4, /* .maxDualSourceDrawBuffersEXT = */ 1,"
             tessel_vkfft_src "${tessel_vkfft_src}")
    endif()
    unset(tessel_glslang_h)
  endif()
  file(WRITE ${CMAKE_BINARY_DIR}/vkfft/vkFFT.h.tmp "${tessel_vkfft_src}")
  configure_file(${CMAKE_BINARY_DIR}/vkfft/vkFFT.h.tmp ${CMAKE_BINARY_DIR}/vkfft/include/vkFFT.h
                 COPYONLY)
  unset(tessel_vkfft_src)
  set(TESSEL_VKFFT_OPENCL ON)

  # glslang's static libraries in link order (its pkg-config file omits
  # SPIRV and SPIRV-Tools, which the C interface needs).
  set(tessel_glslang_libs "")
  foreach(lib glslang MachineIndependent OSDependent GenericCodeGen OGLCompiler SPIRV
          SPIRV-Tools-opt SPIRV-Tools)
    find_library(TESSEL_GLSLANG_${lib} ${lib})
    if(NOT TESSEL_GLSLANG_${lib})
      set(tessel_glslang_libs "")
      message(STATUS "tessel: VkFFT's Vulkan backend needs lib${lib} (glslang-dev); not found")
      break()
    endif()
    list(APPEND tessel_glslang_libs ${TESSEL_GLSLANG_${lib}})
  endforeach()
  find_path(TESSEL_GLSLANG_INCLUDE glslang/Include/glslang_c_interface.h)
  if(tessel_glslang_libs AND TESSEL_GLSLANG_INCLUDE)
    set(TESSEL_VKFFT_VULKAN ON)
    set(TESSEL_GLSLANG_LIBS ${tessel_glslang_libs} stdc++)
  endif()
  message(STATUS "tessel: VkFFT found (${TESSEL_VKFFT_INCLUDE}); Vulkan: ${TESSEL_VKFFT_VULKAN}, "
                 "OpenCL: ${TESSEL_VKFFT_OPENCL}")
elseif(TESSEL_VKFFT)
  message(STATUS "tessel: VkFFT not found (libvkfft-dev); the GPU backends run their own FFT kernels")
endif()

function(tessel_use_vkfft target api)
  if(NOT TESSEL_VKFFT_${api})
    return()
  endif()
  target_compile_definitions(${target} PRIVATE TESSEL_HAVE_VKFFT)
  # SYSTEM: the header's own warnings are not ours to fix under -Werror.
  target_include_directories(${target} SYSTEM PRIVATE ${CMAKE_BINARY_DIR}/vkfft/include)
  if(api STREQUAL "VULKAN")
    target_link_libraries(${target} PRIVATE ${TESSEL_GLSLANG_LIBS})
  endif()
  target_link_libraries(${target} PRIVATE m)
endfunction()
