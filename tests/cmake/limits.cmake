# Tests for the limits work; included from tests/CMakeLists.txt.

# Flag-level limits, raising each with its flag, hostile scenarios refused
# with bounded memory, promtool and rule files that never end.
add_test(NAME cli_limits
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/scripts/test_limits.sh $<TARGET_FILE:sigsynth>
                 ${CMAKE_SOURCE_DIR})
set_tests_properties(cli_limits PROPERTIES LABELS cli TIMEOUT 300)

# Time and duration ranges, the log-body bound.
sx_unit_test(test_limits)

# Memory bounded by the limits whatever the records' size: batches flushed by
# bytes (peak RSS), batch arrays grown on demand (address-space cap). Under
# ASan only the runs and their counts are checked.
add_test(NAME memory_bounds
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/scripts/test_memory_bounds.sh $<TARGET_FILE:sigsynth>
                 ${CMAKE_SOURCE_DIR})
set_tests_properties(memory_bounds PROPERTIES LABELS engine TIMEOUT 300)
if(SANITIZE)
  set_tests_properties(memory_bounds PROPERTIES ENVIRONMENT SX_MEMTEST_ASAN=1)
endif()
