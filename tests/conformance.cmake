# Tests of the public API's edges, the conformance tool and the installed
# package (owned by the conformance engineer; included from
# tests/CMakeLists.txt):
#   api                  bad input to every public function, threads
#   conformance_reports  tessel-conformance --quick on cpu:0; JSON + JUnit valid
#   conformance_hook     a corrupted add is caught, with a working rerun line
#   conformance_fake     the reports on a fake registry: fail / error /
#                        unsupported outcomes, names that need escaping
#   install_package      cmake --install, then find_package and pkg-config builds,
#                        and the README's example built and run against it

find_path(TESSEL_CMOCKA_INCLUDE_DIR cmocka.h)
find_library(TESSEL_CMOCKA_LIBRARY cmocka)
if(TESSEL_CMOCKA_INCLUDE_DIR AND TESSEL_CMOCKA_LIBRARY)
  add_executable(test_api
    ${CMAKE_CURRENT_LIST_DIR}/test_api.c
    ${CMAKE_CURRENT_LIST_DIR}/test_api_tensor.c
    ${CMAKE_CURRENT_LIST_DIR}/test_api_ops.c
    ${CMAKE_CURRENT_LIST_DIR}/test_api_complex.c
    ${CMAKE_CURRENT_LIST_DIR}/test_api_fft.c
    ${CMAKE_CURRENT_LIST_DIR}/test_api_layers.c
    ${CMAKE_CURRENT_LIST_DIR}/test_api_moe.c
    ${CMAKE_CURRENT_LIST_DIR}/test_api_longconv.c
    ${CMAKE_CURRENT_LIST_DIR}/test_api_threads.c)
  target_include_directories(test_api PRIVATE ${TESSEL_CMOCKA_INCLUDE_DIR})
  # setenv, strdup, mkdtemp, symlink; a shared object without a backend
  # entry point for the broken-module test.
  target_compile_definitions(test_api PRIVATE _POSIX_C_SOURCE=200809L
                             TESSEL_TEST_LIBTESSEL="$<TARGET_FILE:tessel>")
  target_link_libraries(test_api PRIVATE tessel tessel_warnings ${TESSEL_CMOCKA_LIBRARY}
                        Threads::Threads m)
  add_test(NAME api COMMAND test_api)
  set_tests_properties(api PROPERTIES TIMEOUT 300)
else()
  message(WARNING "cmocka not found: test 'api' is not built")
endif()

find_package(Python3 COMPONENTS Interpreter)
if(TARGET tessel-conformance AND Python3_Interpreter_FOUND)
  foreach(mode reports hook)
    add_test(NAME conformance_${mode}
             COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/check_reports.py ${mode}
                     $<TARGET_FILE:tessel-conformance>
                     ${CMAKE_CURRENT_BINARY_DIR}/conformance-${mode} cpu:0)
    set_tests_properties(conformance_${mode} PROPERTIES TIMEOUT 600)
  endforeach()
  # The report writers on outcomes and names a healthy device never gives.
  add_executable(tessel-conformance-fake $<TARGET_OBJECTS:tessel_conformance_obj>
                 ${PROJECT_SOURCE_DIR}/tools/conformance/test_fake_registry.c)
  target_include_directories(tessel-conformance-fake PRIVATE ${PROJECT_SOURCE_DIR}/tests/cases)
  target_link_libraries(tessel-conformance-fake PRIVATE tessel tessel_warnings m)
  add_test(NAME conformance_fake
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/check_reports.py fake
                   $<TARGET_FILE:tessel-conformance-fake>
                   ${CMAKE_CURRENT_BINARY_DIR}/conformance-fake cpu:0)
endif()

# --log LEVEL (tools/common/tool_log.h): the library's lines on stderr
# when asked, none otherwise (the library never prints by itself), and a
# usage error for a level that is none.
if(TARGET tessel-info)
  add_test(NAME tools_log COMMAND tessel-info --log warn)
  add_test(NAME tools_log_silent COMMAND tessel-info)
  set_tests_properties(tools_log tools_log_silent PROPERTIES ENVIRONMENT "TESSEL_BACKENDS=cpu,bogus")
  set_tests_properties(tools_log PROPERTIES PASS_REGULAR_EXPRESSION
    "tessel-info: \\[warn\\] tessel: TESSEL_BACKENDS names unknown backend 'bogus'")
  set_tests_properties(tools_log_silent PROPERTIES FAIL_REGULAR_EXPRESSION "bogus")
  add_test(NAME tools_log_bad_level COMMAND tessel-info --log loud)
  set_tests_properties(tools_log_bad_level PROPERTIES WILL_FAIL TRUE)
endif()
if(TARGET tessel-conformance)
  # The line that says why a case is `fallback`.
  add_test(NAME tools_log_conformance COMMAND tessel-conformance --device cpu:0 --op layer_norm
           --case "f32/7x13 w b" --log info)
  set_tests_properties(tools_log_conformance PROPERTIES
    ENVIRONMENT "TESSEL_BACKENDS=cpu;TESSEL_TEST_HOOK=decline:layer_norm"
    PASS_REGULAR_EXPRESSION
    "tessel-conformance: \\[info\\] ts_layer_norm: cpu:0 has no kernel for f32 layer_norm")
endif()

add_test(NAME install_package
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/install/run.sh ${CMAKE_BINARY_DIR}
                 ${CMAKE_C_COMPILER})
set_tests_properties(install_package PROPERTIES TIMEOUT 300)
