#!/usr/bin/env bash
# A short flagship run across the incident start, to files, with a summary:
# exit 0, the three files non-empty, generated = delivered, and check on it.
set -u
bin=$1
root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
"$bin" run "$root/scenarios/checkout-db-pool-exhaustion.yaml" --duration 11m --seed 3 \
  --start 2026-01-01T00:00:00Z --output "$tmp/nested/out" --summary "$tmp/s.json" --metric-interval 30s \
  >"$tmp/log" 2>&1 && ok || { bad "run exited $?"; cat "$tmp/log"; }
for f in traces metrics logs; do
  [ -s "$tmp/nested/out/$f.jsonl" ] && ok || bad "$f.jsonl is empty"
done
grep -q '"dropped": {"spans": 0, "logs": 0, "metric_points": 0}' "$tmp/s.json" && ok || bad "dropped is not zero"
gen=$(sed -n 's/.*"generated": {"spans": \([0-9]*\).*/\1/p' "$tmp/s.json" | head -n 1)
del=$(sed -n 's/.*"delivered": {"spans": \([0-9]*\).*/\1/p' "$tmp/s.json")
[ -n "$gen" ] && [ "$gen" = "$del" ] && ok || bad "generated spans $gen != delivered $del"
echo "run short: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
