# Tests for the fuzz work; included from tests/CMakeLists.txt.
#
# Every harness in fuzz/ is built twice:
#  - replay_<target> (every build, any compiler): fuzz/replay_main.c feeds it
#    the seed corpus fuzz/corpus/<target>/ and the crash regressions
#    fuzz/regressions/<target>/; ctest label "fuzz".
#  - fuzz_<target> (SX_FUZZ=ON, clang): a libFuzzer binary linked against
#    sxcore_fuzz, the core library rebuilt with coverage instrumentation
#    (-fsanitize=fuzzer-no-link) so libFuzzer sees the parsers, not only
#    the harness. scripts/fuzz.sh builds and runs them.
set(SX_FUZZ_TARGETS scenario units log_template promtool json otlp_partial grpc_status
    retry_after)

foreach(t ${SX_FUZZ_TARGETS})
  add_executable(replay_${t} fuzz/fuzz_${t}.c fuzz/replay_main.c)
  target_link_libraries(replay_${t} PRIVATE sxcore)
  set(inputs ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${t})
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/regressions/${t})
    list(APPEND inputs ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/regressions/${t})
  endif()
  add_test(NAME fuzz_replay_${t} COMMAND replay_${t} ${inputs})
  set_tests_properties(fuzz_replay_${t} PROPERTIES LABELS fuzz TIMEOUT 300)
endforeach()

if(SX_FUZZ)
  set(sx_fuzz_flags -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
      -fno-omit-frame-pointer -g)
  # The same sources, includes and libraries as sxcore (sources given
  # relative to the top-level directory are made absolute).
  get_target_property(sx_core_sources sxcore SOURCES)
  set(sx_fuzz_sources "")
  foreach(src ${sx_core_sources})
    if(NOT IS_ABSOLUTE ${src})
      set(src ${CMAKE_SOURCE_DIR}/${src})
    endif()
    list(APPEND sx_fuzz_sources ${src})
  endforeach()
  add_library(sxcore_fuzz STATIC ${sx_fuzz_sources})
  target_include_directories(sxcore_fuzz PUBLIC
                             $<TARGET_PROPERTY:sxcore,INTERFACE_INCLUDE_DIRECTORIES>
                             PRIVATE $<TARGET_PROPERTY:sxcore,INCLUDE_DIRECTORIES>)
  target_compile_definitions(sxcore_fuzz PRIVATE
                             $<TARGET_PROPERTY:sxcore,COMPILE_DEFINITIONS>)
  target_link_libraries(sxcore_fuzz PUBLIC $<TARGET_PROPERTY:sxcore,INTERFACE_LINK_LIBRARIES>)
  target_compile_options(sxcore_fuzz PRIVATE ${sx_fuzz_flags})
  target_link_options(sxcore_fuzz INTERFACE -fsanitize=fuzzer,address,undefined)

  foreach(t ${SX_FUZZ_TARGETS})
    add_executable(fuzz_${t} fuzz/fuzz_${t}.c)
    target_compile_options(fuzz_${t} PRIVATE -fsanitize=fuzzer,address,undefined
                           -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
    target_link_libraries(fuzz_${t} PRIVATE sxcore_fuzz)
  endforeach()
  list(TRANSFORM SX_FUZZ_TARGETS PREPEND fuzz_ OUTPUT_VARIABLE sx_fuzz_bins)
  add_custom_target(fuzz_all DEPENDS ${sx_fuzz_bins})
endif()
