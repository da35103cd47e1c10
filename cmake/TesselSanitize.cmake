# Sanitizer and fuzzing builds (scripts/test.sh runs them; tests/fuzz).
#   -DTESSEL_SANITIZE=address,undefined   ASan + UBSan
#   -DTESSEL_SANITIZE=thread              TSan
#   -DTESSEL_FUZZ=ON                      the libFuzzer target (clang only)
# Every target of the build gets the flags, the backend modules included,
# so a report can point into any tessel file. Errors stop the process
# (-fno-sanitize-recover): a test that hits one fails instead of printing
# and going on. Driver code (lavapipe, PoCL, OpenBLAS) is not rebuilt;
# tests/sanitizer/*.supp holds the few suppressions it needs.
set(TESSEL_SANITIZE "" CACHE STRING
    "Sanitizers for every target: address,undefined or thread (empty: none)")
option(TESSEL_FUZZ "Build tessel-fuzz, the libFuzzer API fuzzer (needs clang)" OFF)

if(TESSEL_SANITIZE)
  add_compile_options(-fsanitize=${TESSEL_SANITIZE} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=${TESSEL_SANITIZE})
  # The backend modules link with --no-undefined; clang's static ASan
  # runtime lives in the executable only, so take the shared one (gcc's
  # is shared already) and let every binary find it.
  if(CMAKE_C_COMPILER_ID MATCHES "Clang" AND TESSEL_SANITIZE MATCHES "address")
    execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libclang_rt.asan-x86_64.so
                    OUTPUT_VARIABLE tessel_asan_rt OUTPUT_STRIP_TRAILING_WHITESPACE)
    get_filename_component(tessel_asan_dir "${tessel_asan_rt}" DIRECTORY)
    add_link_options(-shared-libasan -Wl,-rpath,${tessel_asan_dir})
  endif()
endif()
# libFuzzer steers by coverage of the library, not of the harness: every
# target gets the counters; the sanitizer runtime (address) defines their
# callbacks for the executables that are not the fuzzer.
if(TESSEL_FUZZ AND (NOT CMAKE_C_COMPILER_ID MATCHES "Clang"
                    OR NOT TESSEL_SANITIZE MATCHES "address"))
  message(WARNING "TESSEL_FUZZ needs clang and TESSEL_SANITIZE=address,...: "
                  "only the replay driver is built")
  set(TESSEL_FUZZ OFF CACHE BOOL "" FORCE)
endif()
if(TESSEL_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
