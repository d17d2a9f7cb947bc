# Tests for the delivery work; included from tests/CMakeLists.txt.
