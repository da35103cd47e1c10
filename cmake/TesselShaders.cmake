# Embedding of build-time artifacts (SPIR-V, OpenCL C sources) into modules.
#
# tessel_embed(OUTPUT <file.c> SYMBOL <prefix> FILES <f1> <f2> ...)
# writes a C file defining
#   const tsi_embedded_file <prefix>[] = {{"name", data, size}, ..., {0}};
# where name is each file's base name. See core/embedded.h.
set(TESSEL_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/embed_files.cmake)

function(tessel_embed)
  cmake_parse_arguments(E "" "OUTPUT;SYMBOL" "FILES" ${ARGN})
  add_custom_command(
    OUTPUT ${E_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${E_OUTPUT} -DSYMBOL=${E_SYMBOL}
            "-DFILES=${E_FILES}" -P ${TESSEL_EMBED_SCRIPT}
    DEPENDS ${E_FILES} ${TESSEL_EMBED_SCRIPT}
    COMMENT "Embedding ${E_SYMBOL}"
    VERBATIM)
endfunction()
