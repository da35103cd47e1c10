# GPU kernels written once (shaders/<family>.kern, see shaders/README.md)
# and generated at build time for each language by the C preprocessor:
#
# tessel_kernel_sources(LANG glsl|opencl OUT <var>)
#   sets <var> to the generated files: for GLSL one <entry>.comp per entry
#   point (a GLSL module has one), for OpenCL one <family>.cl per family.
#
# The families and their entry points are listed here, one line each, so a
# half-written kernel in the folder never breaks the build. An entry
# <entry>_sg is the Vulkan module of <entry> built with TS_SUBGROUP=1
# (subgroup reductions, shaders/wg_reduce.h; kernel_gen.cmake), and
# <entry>_tx the one built with TS_TEXEL=1 (operands read as texel
# buffers: matmul, grouped_matmul, attention_rows); OpenCL builds one
# program per family and ignores both.
set(TESSEL_KERNEL_DIR ${CMAKE_SOURCE_DIR}/shaders)
set(TESSEL_KERNEL_GEN ${CMAKE_CURRENT_LIST_DIR}/kernel_gen.cmake)
set(TESSEL_KERNEL_FAMILIES
  "attention:attention_fwd,attention_merge,attention_rows,attention_rows_tx"
  "elementwise:ew_unary,ew_binary"
  "conv1d:conv1d_causal"
  "matmul:matmul,matmul_tx"
  "softmax:softmax,softmax_sg"
  "reduce:reduce,reduce_sg"
  "norm:norm,norm_sg"
  "topk:topk"
  "index:gather_rows,scatter_plan,scatter_add"
  "moe:grouped_matmul,grouped_matmul_tx,place_count,place_scan,place_rows,moe_combine"
  "fft:fft_pass,fft_row"
  "conv1d_long:conv1d_long"
)
# Headers every family may include (a change regenerates them all).
file(GLOB TESSEL_KERNEL_HEADERS CONFIGURE_DEPENDS
  ${TESSEL_KERNEL_DIR}/*.h ${TESSEL_KERNEL_DIR}/lang/*.h)

function(tessel_kernel_sources)
  cmake_parse_arguments(K "" "LANG;OUT" "" ${ARGN})
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/kernels-${K_LANG})
  set(outputs "")
  foreach(fam IN LISTS TESSEL_KERNEL_FAMILIES)
    string(REPLACE ":" ";" parts ${fam})
    list(GET parts 0 family)
    list(GET parts 1 entries)
    string(REPLACE "," ";" entries ${entries})
    set(src ${TESSEL_KERNEL_DIR}/${family}.kern)
    if(NOT EXISTS ${src})
      message(FATAL_ERROR "tessel: shaders/${family}.kern is listed in TESSEL_KERNEL_FAMILIES but missing")
    endif()
    if(K_LANG STREQUAL "glsl")
      set(targets ${entries})
      set(ext comp)
    else()
      set(targets ${family})
      set(ext cl)
    endif()
    foreach(t IN LISTS targets)
      set(out ${out_dir}/${t}.${ext})
      set(entry_arg "")
      if(K_LANG STREQUAL "glsl")
        set(entry_arg -DENTRY=${t})
      endif()
      add_custom_command(
        OUTPUT ${out}
        COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
        COMMAND ${CMAKE_COMMAND} -DCPP=${CMAKE_C_COMPILER} -DLANG=${K_LANG} -DSRC=${src}
                -DINC=${TESSEL_KERNEL_DIR} ${entry_arg} -DOUTPUT=${out} -P ${TESSEL_KERNEL_GEN}
        DEPENDS ${src} ${TESSEL_KERNEL_HEADERS} ${TESSEL_KERNEL_GEN}
        COMMENT "kernel ${family} -> ${t}.${ext}"
        VERBATIM)
      list(APPEND outputs ${out})
    endforeach()
  endforeach()
  set(${K_OUT} ${outputs} PARENT_SCOPE)
endfunction()
