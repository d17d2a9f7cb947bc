# Tests for the signals work; included from tests/CMakeLists.txt.

# Interrupting runs: SIGINT/SIGTERM at random moments into a real Prometheus
# (no duplicate or out-of-order sample, exit 130/143, exact accounting).
add_test(NAME prom_interrupt
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/prom/test_interrupt.py
                 $<TARGET_FILE:sigsynth> ${CMAKE_SOURCE_DIR})
set_tests_properties(prom_interrupt PROPERTIES LABELS "net;signals" TIMEOUT 300 RUN_SERIAL TRUE)
