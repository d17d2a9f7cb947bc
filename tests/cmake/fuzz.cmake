# Tests for the fuzz work; included from tests/CMakeLists.txt.
