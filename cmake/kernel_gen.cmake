# One generated kernel source from a shaders/<family>.kern:
#   cmake -DCPP=<c compiler> -DLANG=glsl|opencl -DSRC=<family.kern> -DINC=<shaders dir>
#         [-DENTRY=<entry>] -DOUTPUT=<file> -P kernel_gen.cmake
# The C preprocessor expands the kernel language (shaders/lang/*.h); GLSL
# gets its #version line here because cpp cannot pass it through.
# An entry named <entry>_sg is <entry> again with TS_SUBGROUP=1: the
# subgroup variant (shaders/wg_reduce.h), a module of its own because its
# subgroup capability must not reach devices without it. An entry named
# <entry>_tx is <entry> with TS_TEXEL=1: its read-only operands also come
# through texel buffers (shaders/lang/glsl.h, TS_TEXEL_BUFS).
if(LANG STREQUAL "glsl")
  set(defs -DTS_LANG_GLSL=1)
  set(head "#version 450\n")
  if(ENTRY MATCHES "^(.+)_tx$")
    set(ENTRY ${CMAKE_MATCH_1})
    list(APPEND defs -DTS_TEXEL=1)
  elseif(ENTRY MATCHES "^(.+)_sg$")
    set(ENTRY ${CMAKE_MATCH_1})
    list(APPEND defs -DTS_SUBGROUP=1)
    string(APPEND head "#extension GL_KHR_shader_subgroup_basic : require\n"
           "#extension GL_KHR_shader_subgroup_shuffle : require\n")
  endif()
  if(ENTRY)
    list(APPEND defs -DTS_ENTRY_${ENTRY}=1)
  endif()
else()
  set(defs -DTS_LANG_OPENCL=1)
  set(head "")
endif()
execute_process(
  COMMAND ${CPP} -E -P -x c -undef -nostdinc ${defs} -I ${INC} ${SRC}
  OUTPUT_VARIABLE text
  ERROR_VARIABLE err
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "preprocessing ${SRC} for ${LANG} failed:\n${err}")
endif()
get_filename_component(name ${SRC} NAME)
file(WRITE ${OUTPUT}.tmp "${head}// Generated from shaders/${name} by cmake/kernel_gen.cmake; do not edit.\n${text}")
file(RENAME ${OUTPUT}.tmp ${OUTPUT})
