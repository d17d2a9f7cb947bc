# Tests for the limits work; included from tests/CMakeLists.txt.
