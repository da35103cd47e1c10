# The API fuzzer (tests/fuzz; included from tests/reliability.cmake):
#   tessel-fuzz-replay  any compiler: the seed corpus, then random inputs
#   tessel-fuzz         libFuzzer (-DTESSEL_FUZZ=ON, clang + ASan)
# fuzz_replay_<backend> replays the corpus and a CI-sized number of random
# inputs per backend and fails on anything printed (run_replay.cmake).
set(TESSEL_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})
add_executable(tessel-fuzz-replay ${TESSEL_FUZZ_DIR}/api_fuzz.c ${TESSEL_FUZZ_DIR}/fuzz_replay.c)
target_link_libraries(tessel-fuzz-replay PRIVATE tessel tessel_warnings m)
if(TESSEL_FUZZ)
  add_executable(tessel-fuzz ${TESSEL_FUZZ_DIR}/api_fuzz.c ${TESSEL_FUZZ_DIR}/fuzz_libfuzzer.c)
  target_compile_options(tessel-fuzz PRIVATE -fsanitize=fuzzer)
  target_link_options(tessel-fuzz PRIVATE -fsanitize=fuzzer)
  target_link_libraries(tessel-fuzz PRIVATE tessel tessel_warnings m)
endif()

foreach(b IN LISTS TESSEL_REL_BACKENDS)
  # Random inputs: many on the CPU, fewer on the software GPUs (each new
  # shape may build a pipeline there). A hang is an input past --timeout
  # seconds: on the software GPUs with cold caches (CI) one input may
  # build a few programs first (25 s for one input on PoCL), so 120 there.
  if(b STREQUAL "cpu")
    set(n 20000)
    set(limit 20)
  else()
    set(n 300)
    set(limit 120)
  endif()
  add_test(NAME fuzz_replay_${b}
           COMMAND ${CMAKE_COMMAND} -DREPLAY=$<TARGET_FILE:tessel-fuzz-replay>
                   "-DARGS=--timeout;${limit};${TESSEL_FUZZ_DIR}/corpus;--random;${n};--seed;17"
                   -P ${TESSEL_FUZZ_DIR}/run_replay.cmake)
  set(env "TESSEL_BACKENDS=${b};TESSEL_MODULE_PATH=${CMAKE_BINARY_DIR}/lib")
  if(b STREQUAL "vulkan")
    list(APPEND env "TESSEL_VULKAN_VALIDATION=1")
  endif()
  set_tests_properties(fuzz_replay_${b} PROPERTIES TIMEOUT 900 LABELS "reliability;fuzz;${b}"
                       ENVIRONMENT "${env}")
endforeach()

# A short libFuzzer run in CI (new inputs go to a scratch folder, never
# into the seed corpus of the source tree).
if(TESSEL_FUZZ)
  add_test(NAME fuzz_libfuzzer_cpu
           COMMAND ${CMAKE_COMMAND} -E env TESSEL_BACKENDS=cpu
                   $<TARGET_FILE:tessel-fuzz> ${CMAKE_CURRENT_BINARY_DIR}/fuzz-scratch
                   ${TESSEL_FUZZ_DIR}/corpus -runs=30000 -max_len=512 -timeout=20
                   -artifact_prefix=${CMAKE_CURRENT_BINARY_DIR}/fuzz-scratch-crash-)
  set_tests_properties(fuzz_libfuzzer_cpu PROPERTIES TIMEOUT 900 LABELS "reliability;fuzz;cpu"
    FIXTURES_REQUIRED tessel_fuzz_scratch)
  add_test(NAME fuzz_libfuzzer_scratch
           COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/fuzz-scratch)
  set_tests_properties(fuzz_libfuzzer_scratch PROPERTIES FIXTURES_SETUP tessel_fuzz_scratch)
endif()

add_test(NAME fuzz_covers_api
         COMMAND ${CMAKE_COMMAND} -DHEADERS=${CMAKE_SOURCE_DIR}/include/tessel
                 -DFUZZ=${TESSEL_FUZZ_DIR}/api_fuzz.c -P ${TESSEL_FUZZ_DIR}/check_api_coverage.cmake)
set_tests_properties(fuzz_covers_api PROPERTIES LABELS "reliability;fuzz")
