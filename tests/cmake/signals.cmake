# Tests for the signals work; included from tests/CMakeLists.txt.
