# Tests for the secrets work; included from tests/CMakeLists.txt.
