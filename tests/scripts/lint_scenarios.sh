#!/usr/bin/env bash
# Every scenario we ship lints clean: exit 0 and no warnings either.
set -u
bin=$1
root=$2
pass=0
fail=0
for f in "$root"/scenarios/*.yaml "$root"/tests/verify/*.yaml; do
  if out=$("$bin" lint --werror "$f" 2>&1); then
    pass=$((pass + 1))
  else
    echo "FAIL $f does not lint clean:"; echo "$out"; fail=$((fail + 1))
  fi
done
echo "lint scenarios: $pass passed, $fail failed"
[ "$pass" -gt 0 ] && [ "$fail" -eq 0 ]
