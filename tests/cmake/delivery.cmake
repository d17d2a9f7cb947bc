# Tests for the delivery work; included from tests/CMakeLists.txt.
# Dead, stuck, flapping and misbehaving receivers; TLS against python receivers with
# certificates made by openssl. RUN_SERIAL: they measure bounded wall-clock ends.
foreach(t give_up fault_matrix tls)
  add_test(NAME net_${t}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/net/test_${t}.sh $<TARGET_FILE:sigsynth> ${CMAKE_SOURCE_DIR})
  set_tests_properties(net_${t} PROPERTIES LABELS net TIMEOUT 600 RUN_SERIAL TRUE)
endforeach()
