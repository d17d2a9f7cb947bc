# Tests for the secrets work; included from tests/CMakeLists.txt.

# Secrets planted on every path (headers from flags and OTEL_* variables,
# token and password files, user:password@ in every URL flag) never show in
# stdout, stderr, --summary or verify reports, on success and failure paths;
# CR/LF/NUL through every source is refused with exit 2 and nothing is sent.
add_test(NAME net_secrets
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/net/test_secrets.sh $<TARGET_FILE:sigsynth>
                 ${CMAKE_SOURCE_DIR})
set_tests_properties(net_secrets PROPERTIES LABELS net TIMEOUT 300 RUN_SERIAL TRUE)

# URL redaction, URL checks and scrubbing (src/util/redact.c).
sx_unit_test(test_redact)
