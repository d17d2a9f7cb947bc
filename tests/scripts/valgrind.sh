#!/usr/bin/env bash
# Memory errors and leaks under valgrind: the loader on the flagship and on
# the invalid corpus, a short engine run, and the fast unit tests.
set -u
bin=$1
root=$2
tests_dir=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
vg=(valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect)
pass=0
fail=0
run() {   # run NAME CMD...
  local name=$1
  shift
  "${vg[@]}" "$@" >"$tmp/out" 2>&1
  local rc=$?
  if [ "$rc" -eq 99 ]; then
    echo "FAIL $name: valgrind found errors"; tail -30 "$tmp/out"; fail=$((fail + 1))
  else
    pass=$((pass + 1))
  fi
}
if ! command -v valgrind >/dev/null; then
  echo "valgrind is not installed (apt-get install valgrind)"; exit 1
fi
flagship=$root/scenarios/checkout-db-pool-exhaustion.yaml
run lint-flagship "$bin" lint "$flagship"
run explain "$bin" explain --samples 2000 "$flagship"
for f in "$root"/tests/data/invalid/0*.yaml; do run "lint $(basename "$f")" "$bin" lint "$f"; done
run engine-run "$bin" run "$flagship" --duration 11m --seed 1 --start 2026-01-01T00:00:00Z \
    --output "$tmp/out-run" --summary "$tmp/s.json" --quiet
for t in test_units test_yaml_tree test_scenario test_sim; do
  SX_TEST_DATA=$root/tests/data run "$t" "$tests_dir/$t"
done
echo "valgrind: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
