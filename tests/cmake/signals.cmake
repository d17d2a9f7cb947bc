# Tests for the signals work; included from tests/CMakeLists.txt.

# Interrupting runs: SIGINT/SIGTERM at random moments into a real Prometheus
# (no duplicate or out-of-order sample, exit 130/143, exact accounting).
add_test(NAME prom_interrupt
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/prom/test_interrupt.py
                 $<TARGET_FILE:sigsynth> ${CMAKE_SOURCE_DIR})
set_tests_properties(prom_interrupt PROPERTIES LABELS "net;signals" TIMEOUT 300 RUN_SERIAL TRUE)

# --output files stay whole JSON lines when interrupted (also by a second,
# immediate SIGINT); the summary's counts match the files.
add_test(NAME cli_interrupt_files
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/scripts/interrupt_files.py
                 $<TARGET_FILE:sigsynth> ${CMAKE_SOURCE_DIR})
# The progress display: plain lines, the TTY form under script(1), off by default.
add_test(NAME cli_progress
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/scripts/progress.py
                 $<TARGET_FILE:sigsynth> ${CMAKE_SOURCE_DIR})
set_tests_properties(cli_interrupt_files cli_progress PROPERTIES LABELS "cli;signals" TIMEOUT 300)

# The engine's interrupt path without timing luck: the stop flag set from
# inside the k-th collection or batch, for every k; collections strictly
# later in ms, stale markers once. In every build (ASan/UBSan see it too).
add_executable(engine_interrupt scripts/engine_interrupt.c)
target_link_libraries(engine_interrupt PRIVATE sxcore)
add_test(NAME engine_interrupt
         COMMAND engine_interrupt ${CMAKE_CURRENT_SOURCE_DIR}/prom/interrupt-sparse.yaml
                 ${CMAKE_SOURCE_DIR}/scenarios/checkout-db-pool-exhaustion.yaml)
set_tests_properties(engine_interrupt PROPERTIES LABELS "unit;signals" TIMEOUT 300)
