# Integration tests: real files, real engines (DuckDB, the Chroma 1.0.19 server), driven by
# Python's standard library. Each module is one ctest test; a module whose every test was
# skipped reports "Skipped" (exit 77) instead of passing.
find_package(Python3 COMPONENTS Interpreter REQUIRED)
file(GLOB CM_INTEGRATION_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/integration/test_*.py)
foreach(test_file IN LISTS CM_INTEGRATION_TESTS)
  get_filename_component(module ${test_file} NAME_WE)
  add_test(NAME integration.${module}
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/integration/run.py ${module}
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/integration)
  set_tests_properties(integration.${module} PROPERTIES
    ENVIRONMENT "CM_BUILD_DIR=${CMAKE_BINARY_DIR}"
    SKIP_RETURN_CODE 77
    TIMEOUT 1800
    RESOURCE_LOCK chroma_engines)
endforeach()
