# cmake -DTUNE=<tessel-tune> -DCACHE=<folder> -P tune_crash.cmake
# A candidate that crashes the driver ends one tessel-tune run, not every
# later one (tools/tune/tune_journal.c). TESSEL_TEST_HOOK=tune_crash
# makes the process abort inside one candidate: the first run dies and
# leaves its .trying file; the second says what ended the first, skips
# that candidate and writes the tuned file; the third still skips it.
file(REMOVE_RECURSE ${CACHE})
set(ENV{XDG_CACHE_HOME} ${CACHE})
set(ENV{TESSEL_BACKENDS} cpu)
set(ENV{TESSEL_TEST_HOOK} "tune_crash:attention.q_tile=28")
set(cmd ${TUNE} --device cpu:0 --quick --op attention)

execute_process(COMMAND ${cmd} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "the hook did not end the first run:\n${out}${err}")
endif()
file(GLOB trying ${CACHE}/tessel/tuned/*.trying)
if(NOT trying)
  message(FATAL_ERROR "the first run left no .trying file:\n${out}${err}")
endif()

execute_process(COMMAND ${cmd} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message(STATUS "${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the second run failed (${rc})")
endif()
foreach(want
    "an earlier run on cpu:0 ended while it tried attention \\[attention.q_tile=28 "
    "candidate 'attention.q_tile=28 [^']*' skipped: it ended an earlier run"
    "wrote [^\n]*/tessel/tuned/cpu-[0-9a-f]+[.]txt")
  if(NOT "${out}${err}" MATCHES "${want}")
    message(FATAL_ERROR "the second run did not print '${want}'")
  endif()
endforeach()
file(GLOB trying ${CACHE}/tessel/tuned/*.trying)
if(trying)
  message(FATAL_ERROR "the second run left a .trying file: ${trying}")
endif()

execute_process(COMMAND ${cmd} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR "${err}" MATCHES "ended while" OR NOT "${err}" MATCHES "skipped: it ended")
  message(FATAL_ERROR "the third run must skip the candidate without a new report (${rc}):\n"
                      "${out}${err}")
endif()
