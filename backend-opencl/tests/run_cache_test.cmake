# cmake -DPROBE=<cl_cache_probe> -DDIR=<scratch dir> -P run_cache_test.cmake
# With tessel's program binaries on (TESSEL_OPENCL_BINARIES=on): the 1st
# run on an empty cache compiles; 2nd compiles nothing; after every cache
# entry is overwritten with garbage, the 3rd rebuilds them all and still
# computes the right answers. With them off, nothing is written and each
# run builds from source (the driver may still cache what it compiles).
# By default they are off on PoCL only: the probe's features line says so.
file(REMOVE_RECURSE ${DIR})
file(MAKE_DIRECTORY ${DIR})

set(binaries on)
function(probe out_var)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env XDG_CACHE_HOME=${DIR} TESSEL_BACKENDS=opencl
            TESSEL_OPENCL_BINARIES=${binaries} ${PROBE}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "probe failed (${rc}): ${out}${err}")
  endif()
  if(NOT out MATCHES "compiled=([0-9]+)")
    message(FATAL_ERROR "probe printed no count: ${out}")
  endif()
  set(${out_var} ${CMAKE_MATCH_1} PARENT_SCOPE)
  set(out "${out}" PARENT_SCOPE)
endfunction()

probe(first)
probe(second)
message(STATUS "programs compiled: first run ${first}, second run ${second}")
if(first EQUAL 0)
  message(FATAL_ERROR "the first run compiled nothing: is the cache folder really fresh?")
endif()
if(NOT second EQUAL 0)
  message(FATAL_ERROR "the second run compiled ${second} program(s); the binary cache missed")
endif()

file(GLOB entries ${DIR}/tessel/opencl/*.bin)
list(LENGTH entries n)
if(NOT n EQUAL first)
  message(FATAL_ERROR "${first} programs compiled but ${n} cache entries written")
endif()
foreach(e IN LISTS entries)
  file(WRITE ${e} "TSCLPB01 not a program binary")
endforeach()
probe(third)
message(STATUS "after corrupting ${n} entries: third run compiled ${third}")
if(NOT third EQUAL first)
  message(FATAL_ERROR "corrupt entries: expected ${first} rebuilds, got ${third}")
endif()
probe(fourth)
if(NOT fourth EQUAL 0)
  message(FATAL_ERROR "rewritten entries were not reused (${fourth} compiled)")
endif()

file(REMOVE_RECURSE ${DIR})
file(MAKE_DIRECTORY ${DIR})
set(binaries off)
probe(fifth)
probe(sixth)
file(GLOB entries ${DIR}/tessel/opencl/*.bin)
list(LENGTH entries n)
message(STATUS "binaries off: ${fifth} and ${sixth} compiled, ${n} entries written")
if(NOT fifth EQUAL first OR NOT sixth EQUAL first OR NOT n EQUAL 0)
  message(FATAL_ERROR "binaries off: expected ${first} builds each run and no entries")
endif()

# The default: the driver's cache on PoCL (while POCL_KERNEL_CACHE is not 0),
# tessel's binaries on every other driver.
set(binaries auto)
probe(seventh)
if(out MATCHES "Portable Computing Language" AND NOT "$ENV{POCL_KERNEL_CACHE}" STREQUAL "0")
  set(want "binaries:driver's cache")
else()
  set(want "binaries:tessel")
endif()
string(FIND "${out}" "${want}" at)
if(at LESS 0)
  message(FATAL_ERROR "default: expected \"${want}\" in the features line: ${out}")
endif()
file(REMOVE_RECURSE ${DIR})
