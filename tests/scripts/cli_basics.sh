#!/usr/bin/env bash
# The CLI contract: --version, --help, help COMMAND, exit codes, explain's content.
set -u
bin=$1
root=$2
pass=0
fail=0
check() {   # check NAME EXPECTED_RC COMMAND... ; output in $out
  local name=$1 want=$2
  shift 2
  out=$("$@" 2>&1)
  local rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "FAIL $name: exit $rc, want $want"; echo "$out" | head -5; fail=$((fail + 1)); return 1
  fi
  pass=$((pass + 1))
}
contains() {  # contains NAME TEXT
  if grep -qF -- "$2" <<<"$out"; then pass=$((pass + 1)); else
    echo "FAIL $1: output lacks '$2'"; echo "$out" | head -20; fail=$((fail + 1)); fi
}
flagship=$root/scenarios/checkout-db-pool-exhaustion.yaml

check version 0 "$bin" --version && contains version "sigsynth 0."
check help 0 "$bin" --help && contains help "lint" && contains help "explain"
check help-lint 0 "$bin" help lint && contains help-lint "FILE:LINE:COL"
check help-explain 0 "$bin" explain --help && contains help-explain "usage: sigsynth explain"
check no-args 2 "$bin"
check unknown-command 2 "$bin" frobnicate && contains unknown-command "unknown command 'frobnicate'"
check help-unknown 2 "$bin" help frobnicate
check lint-no-files 2 "$bin" lint
check lint-bad-flag 2 "$bin" lint --bogus "$flagship"
check lint-ok 0 "$bin" lint "$flagship" && contains lint-ok ": ok ("
check lint-missing 2 "$bin" lint /nonexistent/x.yaml && contains lint-missing "/nonexistent/x.yaml: error: cannot open"
check explain 0 "$bin" explain --samples 20000 "$flagship"
contains explain-services "services ("
contains explain-graph "call graph"
contains explain-timeline "start +10m00s   full +12m00s   recovering +27m00s   end +30m00s"
contains explain-sampled "sampled  p50="
contains explain-rate "~40.0/s"
check explain-seed 0 "$bin" explain --seed 7 --samples 1000 "$flagship" && contains explain-seed "seed 7"
check explain-bad-seed 2 "$bin" explain --seed x "$flagship"
check explain-invalid 2 "$bin" explain "$root/tests/data/invalid/$(ls "$root/tests/data/invalid" | head -n 1)"
# Same seed, same sampled percentiles; the output is deterministic.
a=$("$bin" explain --seed 3 --samples 5000 "$flagship")
b=$("$bin" explain --seed 3 --samples 5000 "$flagship")
if [ "$a" = "$b" ]; then pass=$((pass + 1)); else echo "FAIL explain is not deterministic"; fail=$((fail + 1)); fi

echo "cli basics: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
