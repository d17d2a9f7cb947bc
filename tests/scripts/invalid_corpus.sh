#!/usr/bin/env bash
# Every file in the invalid corpus must make `sigsynth lint` exit 2 and print,
# as its first line, exactly the line its header promises:
#   # expect: LINE:COL: error: message
# (the runner puts the file's path in front, as lint prints it).
set -u
bin=$1
dir=$2
pass=0
fail=0
for f in "$dir"/*.yaml; do
  want=$(sed -n '1s/^# expect: //p' "$f")
  if [ -z "$want" ]; then
    echo "FAIL $f: no '# expect:' header on line 1"
    fail=$((fail + 1))
    continue
  fi
  got=$("$bin" lint "$f" 2>&1 >/dev/null | head -n 1)
  "$bin" lint "$f" >/dev/null 2>&1
  rc=$?
  if [ "$rc" -ne 2 ]; then
    echo "FAIL $f: exit $rc, want 2"
    fail=$((fail + 1))
  elif [ "$got" != "$f:$want" ]; then
    echo "FAIL $f"
    echo "  want: $f:$want"
    echo "  got:  $got"
    fail=$((fail + 1))
  else
    pass=$((pass + 1))
  fi
done
echo "invalid corpus: $pass passed, $fail failed"
[ "$pass" -ge 40 ] || { echo "the corpus must hold at least 40 files"; exit 1; }
[ "$fail" -eq 0 ]
