# Tests for the limits work; included from tests/CMakeLists.txt.

# Flag-level limits, raising each with its flag, hostile scenarios refused
# with bounded memory, promtool and rule files that never end.
add_test(NAME cli_limits
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/scripts/test_limits.sh $<TARGET_FILE:sigsynth>
                 ${CMAKE_SOURCE_DIR})
set_tests_properties(cli_limits PROPERTIES LABELS cli TIMEOUT 300)

# Time and duration ranges, the log-body bound.
sx_unit_test(test_limits)
