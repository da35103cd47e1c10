# cmake -DREPLAY=<tessel-fuzz-replay> -DARGS=<;-list> -P run_replay.cmake
# The replay must exit 0 and print exactly its one summary line: anything
# else on stdout or stderr came from the library, which never prints.
execute_process(COMMAND ${REPLAY} ${ARGS}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message(STATUS "${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tessel-fuzz-replay failed (${rc}):\n${out}${err}")
endif()
if(NOT err STREQUAL "")
  message(FATAL_ERROR "something printed to stderr during the fuzz replay:\n${err}")
endif()
if(NOT out MATCHES "^tessel-fuzz-replay: [^\n]*\n$")
  message(FATAL_ERROR "something printed to stdout during the fuzz replay:\n${out}")
endif()
