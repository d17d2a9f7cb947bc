#!/usr/bin/env bash
# Every scenario we ship lints clean: exit 0 and no warnings either.
set -u
bin=$1
root=$2
out=$("$bin" lint --werror "$root"/scenarios/*.yaml 2>&1)
rc=$?
echo "$out"
[ "$rc" -eq 0 ] || { echo "FAIL: shipped scenarios do not lint clean"; exit 1; }
echo "lint scenarios: 1 passed, 0 failed"
