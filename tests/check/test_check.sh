#!/usr/bin/env bash
# sigsynth check end to end with the real promtool: the flagship passes with
# examples/rules; an impossible threshold fails naming the alert; a rule too
# tight for the baseline fails its window and `never` expectations; bad
# inputs exit 2 with a clear message; --report writes md, json and svg.
set -u
bin=$1
root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
scn=$root/scenarios/checkout-db-pool-exhaustion.yaml
rules=$root/examples/rules/checkout-db-pool-exhaustion.rules.yml

# 1. The flagship and its rules: every expectation holds.
start=$(date +%s%N)
"$bin" check "$scn" --rules "$rules" --report "$tmp/report" >"$tmp/out" 2>"$tmp/err"
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
cat "$tmp/out"
echo "check of the 40-minute flagship took ${ms} ms ($(grep -o '[0-9]* series' "$tmp/err"))"
[ "$rc" -eq 0 ] && ok || { bad "flagship check exited $rc"; cat "$tmp/err"; }
grep -q "4 expectations: 4 passed, 0 failed" "$tmp/out" && ok || bad "flagship: not 4 passed"
for f in report.md report.json timeline.svg; do
  [ -s "$tmp/report/$f" ] && ok || bad "report/$f missing"
done
/usr/bin/python3 - "$tmp/report" <<'PY' && ok || bad "report.json/timeline.svg do not parse or lack content"
import json, sys, xml.etree.ElementTree as ET
d = sys.argv[1]
r = json.load(open(d + "/report.json"))
assert r["passed"] == 4 and r["failed"] == 0, r
names = {a["alertname"] for a in r["alerts"]}
assert {"CheckoutHighLatency", "CheckoutErrorBudgetBurn", "DBPoolSaturated"} <= names, names
assert all(a["intervals"] for a in r["alerts"])
svg = ET.parse(d + "/timeline.svg").getroot()
text = ET.tostring(svg, encoding="unicode")
assert "pool-exhaustion" in text and "CheckoutHighLatency" in text and "polyline" in text
PY

# 2. An impossible threshold: the alert never fires, check names it and exits 1.
sed 's/) > 1200/) > 1e12/' "$rules" >"$tmp/impossible.yml"
"$bin" check "$scn" --rules "$tmp/impossible.yml" >"$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 1 ] && ok || bad "impossible threshold: exit $rc, want 1"
grep -E "^CheckoutHighLatency .*FAIL: never fired" "$tmp/out" >/dev/null && ok ||
  { bad "impossible threshold: CheckoutHighLatency not reported as never fired"; cat "$tmp/out"; }
grep -q "3 passed, 1 failed" "$tmp/out" && ok || bad "impossible threshold: others should still pass"

# 3. Too tight for the baseline: the pool alert fires before the incident and
#    PaymentsDown fires although it must never.
sed -e 's/(db_client_connections_max{job="checkout"}) > 0.9$/(db_client_connections_max{job="checkout"}) > 0.05/' \
    -e 's/(rpc_server_duration_milliseconds_count{job="payments"}\[2m\])) > 0.5$/(rpc_server_duration_milliseconds_count{job="payments"}[2m])) >= 0/' \
    "$rules" >"$tmp/tight.yml"
cmp -s "$rules" "$tmp/tight.yml" && bad "the tight-rules edit did not apply (rule text changed?)"
"$bin" check "$scn" --rules "$tmp/tight.yml" >"$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 1 ] && ok || bad "tight rules: exit $rc, want 1"
grep -E "^DBPoolSaturated .*FAIL: already firing before pool-exhaustion.full" "$tmp/out" >/dev/null && ok ||
  { bad "tight rules: DBPoolSaturated window not failed"; cat "$tmp/out"; }
grep -E "^PaymentsDown .*FAIL: fired at" "$tmp/out" >/dev/null && ok ||
  { bad "tight rules: PaymentsDown never not failed"; cat "$tmp/out"; }

# 4. An expectation naming an alert no rule defines.
sed 's/alert: PaymentsDown/alert: PaymentDown/' "$scn" >"$tmp/typo.yaml"
"$bin" check "$tmp/typo.yaml" --rules "$rules" >"$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 2 ] && ok || bad "unknown alert: exit $rc, want 2"
grep -q "error: no rule file defines alert 'PaymentDown' (did you mean 'PaymentsDown'?)" "$tmp/out" && ok ||
  { bad "unknown alert: message"; cat "$tmp/out"; }

# 5. An invalid rule file: promtool's own message, exit 2.
printf 'groups:\n  - name: x\n    rules:\n      - alert: Broken\n        expr: sum(rate(x[5m]) > \n' >"$tmp/broken.yml"
"$bin" check "$scn" --rules "$tmp/broken.yml" >"$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 2 ] && ok || bad "broken rules: exit $rc, want 2"
grep -q "promtool check rules" "$tmp/out" && grep -qi "parse error\|unexpected" "$tmp/out" && ok ||
  { bad "broken rules: promtool's message not shown"; cat "$tmp/out"; }

# 6. promtool missing: how to get it, exit 2.
mkdir -p "$tmp/nobin"
PATH="$tmp/nobin" "$bin" check "$scn" --rules "$rules" >"$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 2 ] && ok || bad "no promtool: exit $rc, want 2"
grep -q "apt-get install prometheus" "$tmp/out" && ok || { bad "no promtool: no install hint"; cat "$tmp/out"; }

echo "check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
