# Reliability tests (issue 17; included from tests/CMakeLists.txt):
#   alloc_failure_<backend>  every allocation of a workload failed in turn (core/alloc_hook.c)
#   threads_<backend>        the thread-safety promise of include/tessel/context.h
#   cache_damage_<backend>   truncated, corrupt, unwritable, read-only cache folders
#   soak_<backend>           create/op/destroy loops: flat RSS, device memory back
#   fuzz_replay              the API fuzzer's seed corpus and random inputs (tests/fuzz)
# Each runs once per backend with TESSEL_BACKENDS naming it; exit 77 when
# the backend has no device here (and TESSEL_REQUIRE_BACKENDS does not
# name it). scripts/test.sh runs some of them again under ASan and TSan.
set(TESSEL_REL_BACKENDS cpu)
foreach(b vulkan opencl)
  if(TARGET tessel-${b})
    list(APPEND TESSEL_REL_BACKENDS ${b})
  endif()
endforeach()

function(tessel_rel_test name target backend)
  add_test(NAME ${name}_${backend} COMMAND ${target} --backend ${backend} ${ARGN})
  set(env "TESSEL_BACKENDS=${backend};TESSEL_MODULE_PATH=${CMAKE_BINARY_DIR}/lib")
  if(backend STREQUAL "vulkan")
    list(APPEND env "TESSEL_VULKAN_VALIDATION=1")
  endif()
  set_tests_properties(${name}_${backend} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600
                       LABELS "reliability;${backend}" ENVIRONMENT "${env}")
endfunction()

# Static: the test arms the hook and asks whether it fired (core/internal.h).
add_executable(test_alloc_failure ${CMAKE_CURRENT_LIST_DIR}/test_alloc_failure.c)
target_include_directories(test_alloc_failure PRIVATE ${CMAKE_SOURCE_DIR})
target_link_libraries(test_alloc_failure PRIVATE tessel_static tessel_warnings m)
foreach(b IN LISTS TESSEL_REL_BACKENDS)
  tessel_rel_test(alloc_failure test_alloc_failure ${b})
endforeach()

add_executable(test_threads ${CMAKE_CURRENT_LIST_DIR}/test_threads.c)
target_link_libraries(test_threads PRIVATE tessel tessel_warnings Threads::Threads m)
foreach(b IN LISTS TESSEL_REL_BACKENDS)
  tessel_rel_test(threads test_threads ${b})
endforeach()

# POCL_CACHE_DIR: PoCL keeps its own kernel cache under XDG_CACHE_HOME too;
# a fixed one spares it recompiling every kernel for each damaged folder.
add_executable(test_cache_damage ${CMAKE_CURRENT_LIST_DIR}/test_cache_damage.c)
target_link_libraries(test_cache_damage PRIVATE tessel tessel_warnings m)
foreach(b IN LISTS TESSEL_REL_BACKENDS)
  tessel_rel_test(cache_damage test_cache_damage ${b} --dir ${CMAKE_CURRENT_BINARY_DIR}/rel-scratch)
  # Binaries on: PoCL would otherwise keep the OpenCL programs in its own
  # cache only (backend-opencl/cl_program_cache.c), leaving nothing to damage.
  set_property(TEST cache_damage_${b} APPEND PROPERTY ENVIRONMENT
               "POCL_CACHE_DIR=${CMAKE_CURRENT_BINARY_DIR}/rel-scratch/pocl-cache"
               "TESSEL_OPENCL_BINARIES=on")
endforeach()

# 10k iterations on the CPU; fewer on the software GPUs so CI stays short
# (test_soak --iterations 10000 on each is the long run, see its header).
add_executable(test_soak ${CMAKE_CURRENT_LIST_DIR}/test_soak.c)
target_link_libraries(test_soak PRIVATE tessel tessel_warnings m)
foreach(b IN LISTS TESSEL_REL_BACKENDS)
  if(b STREQUAL "cpu")
    tessel_rel_test(soak test_soak ${b} --iterations 10000)
  else()
    tessel_rel_test(soak test_soak ${b} --iterations 1000 --context-every 100)
  endif()
endforeach()

include(${CMAKE_CURRENT_LIST_DIR}/fuzz/fuzz.cmake) # fuzz_replay_*, tessel-fuzz

# In a sanitizer build: the op cases of a few families per GPU backend (the
# whole CPU set: its kernels are tessel's own code end to end), under
# ASan/UBSan or TSan (scripts/test_sanitizers.sh).
function(tessel_sanitize_ops_tests)
  if(NOT TESSEL_SANITIZE OR NOT TARGET test_ops)
    return()
  endif()
  set(backends cpu) # deferred: runs in the top directory's scope
  foreach(b vulkan opencl)
    if(TARGET tessel-${b})
      list(APPEND backends ${b})
    endif()
  endforeach()
  foreach(b IN LISTS backends)
    if(b STREQUAL "cpu")
      add_test(NAME sanitize_ops_cpu COMMAND test_ops --backend cpu)
    else()
      # A few families: PoCL and lavapipe under ASan are slow.
      add_test(NAME sanitize_ops_${b} COMMAND test_ops --backend ${b} --op matmul --op softmax
               --op conv1d_causal --op scatter_add_rows)
    endif()
    set_tests_properties(sanitize_ops_${b} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 900
      LABELS "sanitize;${b}"
      ENVIRONMENT "TESSEL_BACKENDS=${b};TESSEL_MODULE_PATH=${CMAKE_BINARY_DIR}/lib")
  endforeach()
  # tessel's own f32 GEMM, plain and grouped (threads wait on each other's
  # packed panels and on the previous depth block's task there), on cases
  # big enough to take its pool path: the grouped cases in full, the plain
  # ones quick (their full set adds big f16 / bf16 shapes that do not take
  # this GEMM: a minute more under ASan).
  add_test(NAME sanitize_ops_cpu_owngemm COMMAND test_ops --backend cpu --op grouped_matmul
           --full)
  add_test(NAME sanitize_ops_cpu_owngemm_matmul COMMAND test_ops --backend cpu --op matmul)
  set_tests_properties(sanitize_ops_cpu_owngemm sanitize_ops_cpu_owngemm_matmul PROPERTIES
    SKIP_RETURN_CODE 77 TIMEOUT 900 LABELS "sanitize;cpu"
    ENVIRONMENT "TESSEL_BACKENDS=cpu;TESSEL_OPENBLAS=off;TESSEL_MODULE_PATH=${CMAKE_BINARY_DIR}/lib")
endfunction()
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL tessel_sanitize_ops_tests)
