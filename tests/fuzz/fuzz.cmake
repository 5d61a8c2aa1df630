# Fuzz targets. Each is always built as `fuzz_<name>_replay` (a plain program that replays
# tests/fuzz/corpus/<name>: seeds plus every crash ever found) and registered with ctest; with
# -DCM_FUZZ=ON and clang, also as a libFuzzer binary `fuzz_<name>` for real fuzzing:
#   CXX=clang++ cmake -S . -B build-fuzz -DCM_FUZZ=ON && cmake --build build-fuzz --target fuzz_json
#   build-fuzz/fuzz_json tests/fuzz/corpus/json
option(CM_FUZZ "Build libFuzzer binaries (needs clang)" OFF)
if(CM_FUZZ)
  # Coverage feedback must reach the library the targets exercise, not only the target files.
  target_compile_options(cm_lib PRIVATE -fsanitize=fuzzer-no-link,address,undefined)
endif()
file(GLOB CM_FUZZ_TARGETS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/*_fuzz.cc)
foreach(src IN LISTS CM_FUZZ_TARGETS)
  get_filename_component(stem ${src} NAME_WE)
  string(REGEX REPLACE "_fuzz$" "" name ${stem})
  add_executable(fuzz_${name}_replay ${src} ${CMAKE_SOURCE_DIR}/tests/fuzz/replay_main.cc)
  target_compile_options(fuzz_${name}_replay PRIVATE ${CM_WARNINGS})
  target_link_libraries(fuzz_${name}_replay PRIVATE cm_lib)
  add_test(NAME fuzz_replay.${name} COMMAND fuzz_${name}_replay ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${name})
  if(CM_FUZZ)
    add_executable(fuzz_${name} ${src})
    target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(fuzz_${name} PRIVATE cm_lib)
  endif()
endforeach()
