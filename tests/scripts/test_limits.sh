#!/usr/bin/env bash
# Limits through the real CLI: flag-level refusals (--start, --duration),
# raising a limit with its flag, hostile inputs refused before they cost
# memory or time, promtool that never ends, rule files that never end.
# Scenario-level limits with their exact first lines are in the invalid
# corpus (tests/data/invalid/73-79).
set -u
bin=$1
root=$2
pass=0
fail=0
tmp=$(mktemp -d /tmp/sigsynth-limits.XXXXXX)
fake_pids=()
cleanup() {
  for p in "${fake_pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

check() {   # check NAME EXPECTED_RC COMMAND... ; output in $out (bounded by timeout 60)
  local name=$1 want=$2
  shift 2
  out=$(timeout -s KILL 60 "$@" 2>&1)
  local rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "FAIL $name: exit $rc, want $want"; echo "$out" | head -5; fail=$((fail + 1)); return 1
  fi
  pass=$((pass + 1))
}
first_line() {  # first_line NAME EXACT
  local got
  got=$(head -n 1 <<<"$out")
  if [ "$got" = "$2" ]; then pass=$((pass + 1)); else
    echo "FAIL $1"; echo "  want: $2"; echo "  got:  $got"; fail=$((fail + 1)); fi
}
contains() {  # contains NAME TEXT
  if grep -qF -- "$2" <<<"$out"; then pass=$((pass + 1)); else
    echo "FAIL $1: output lacks '$2'"; echo "$out" | head -10; fail=$((fail + 1)); fi
}

inv=$root/tests/data/invalid
flagship=$root/scenarios/checkout-db-pool-exhaustion.yaml
cat >"$tmp/plain.yaml" <<'EOF'
version: 1
name: plain
duration: 30m
services:
  api:
    operations:
      "GET /items":
        latency: {p50: 8ms, p99: 90ms}
        logs:
          - {when: error, severity: ERROR, body: "failed {trace_id}"}
traffic:
  entrypoints:
    - {to: api."GET /items", rate: 100/s}
EOF
sed 's#rate: 100/s#rate: 1/h#' "$tmp/plain.yaml" >"$tmp/slow.yaml"
printf 'groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n' >"$tmp/rules.yml"

# ---- --start and --duration -------------------------------------------------
check start-9999 2 "$bin" run "$tmp/plain.yaml" --start 9999-01-01T00:00:00Z --output "$tmp/o"
first_line start-9999 "sigsynth run: --start '9999-01-01T00:00:00Z' is outside the years 1970-2200 that timestamps can hold"
check start-1969 2 "$bin" run "$tmp/plain.yaml" --start 1969-12-31T23:59:59Z --output "$tmp/o"
first_line start-1969 "sigsynth run: --start '1969-12-31T23:59:59Z' is outside the years 1970-2200 that timestamps can hold"
check start-utc-1969 2 "$bin" run "$tmp/plain.yaml" --start 1970-01-01T00:30:00+01:00 --output "$tmp/o"
check start-relative-too-far 2 "$bin" run "$tmp/plain.yaml" --start -3651d --output "$tmp/o" --duration 1m
check check-start-9999 2 "$bin" check "$tmp/plain.yaml" --rules "$tmp/rules.yml" --start 9999-01-01T00:00:00Z
first_line check-start-9999 "sigsynth check: --start '9999-01-01T00:00:00Z' is outside the years 1970-2200 that timestamps can hold"
check verify-start-9999 2 "$bin" verify "$tmp/plain.yaml" --prometheus http://127.0.0.1:1 --start 9999-01-01T00:00:00Z
first_line verify-start-9999 "sigsynth verify: --start '9999-01-01T00:00:00Z' is outside the years 1970-2200 that timestamps can hold"
# verify keeps a state per poll step: 30 days every 0.1 s is refused before
# anything starts (run's --output untouched), 2 s passes the bound.
mkdir -p "$tmp/vo"; echo keep >"$tmp/vo/traces.jsonl"
check verify-steps-run 2 "$bin" run "$tmp/plain.yaml" --mode live --duration 30d \
  --verify-prometheus http://127.0.0.1:9 --verify-poll 0.1s --output "$tmp/vo"
contains verify-steps-run "more than the 4000000 a verifier keeps; poll less often"
check verify-steps-output-untouched 0 grep -qx keep "$tmp/vo/traces.jsonl"
sed 's/^duration: 30m$/duration: 30d/' "$tmp/plain.yaml" >"$tmp/plain30d.yaml"
check verify-steps-verify 2 "$bin" verify "$tmp/plain30d.yaml" --prometheus http://127.0.0.1:9 \
  --start now --poll 0.1s
contains verify-steps-verify "more than the 4000000 a verifier keeps; poll less often"
# The last year there is still runs, with its timestamps in 2200.
check start-2200 0 "$bin" run "$tmp/plain.yaml" --start 2200-12-31T23:00:00Z --duration 1m \
  --signals traces --output "$tmp/o2200" --quiet --summary "$tmp/s2200.json"
contains start-2200 ""
if grep -q '"start": *"2200-12-31T23:00:00Z"' "$tmp/s2200.json"; then pass=$((pass + 1)); else
  echo "FAIL start-2200: summary start is not 2200-12-31T23:00:00Z"; head -c 400 "$tmp/s2200.json"
  fail=$((fail + 1)); fi

check duration-huge 2 "$bin" run "$tmp/plain.yaml" --duration 3000000h --output "$tmp/o"
first_line duration-huge "sigsynth run: --duration '3000000h': longer than 3650d (10 years), the most any duration can be"
check duration-over-limit 2 "$bin" run "$tmp/plain.yaml" --duration 32d --output "$tmp/o"
first_line duration-over-limit "sigsynth run: --duration 32d exceeds the 31d limit (--max-duration to raise it)"
check check-duration-over-limit 2 "$bin" check "$tmp/plain.yaml" --rules "$tmp/rules.yml" --duration 40d
first_line check-duration-over-limit "sigsynth check: --duration 40d exceeds the 31d limit (--max-duration to raise it)"
check relative-start-huge 2 "$bin" run "$tmp/plain.yaml" --start -3000000h --output "$tmp/o"
check max-duration-ceiling 2 "$bin" lint --max-duration 3651d "$tmp/plain.yaml"
first_line max-duration-ceiling "sigsynth lint: --max-duration needs a duration like 30m above 0 and at most 315360000, got '3651d'"

# ---- raising each scenario limit with its flag makes the same file pass -----
check log-body-refused 2 "$bin" lint "$inv/73-limit-log-body-template-bomb.yaml"
check log-body-raised 0 "$bin" lint --max-log-body 128KiB "$inv/73-limit-log-body-template-bomb.yaml"
check log-body-raised-eq 0 "$bin" lint --max-log-body=66KiB "$inv/73-limit-log-body-template-bomb.yaml"
check request-logs-raised 0 "$bin" lint --max-request-logs 20MiB "$inv/80-limit-request-log-text.yaml"
check series-raised 0 "$bin" lint --max-series 2000000 "$inv/74-limit-series.yaml"
check rate-raised 0 "$bin" lint --max-rate 1200000/s "$inv/75-limit-rate-with-incident-multiplier.yaml"
check observations-raised 0 "$bin" lint --max-rate 1000000000 "$inv/81-limit-histogram-observation-rate.yaml"
check instances-raised 0 "$bin" lint --max-instances 10240 "$inv/76-limit-instances-total.yaml"
check duration-raised 0 "$bin" lint --max-duration 32d "$inv/77-limit-duration.yaml"
check duration-raised-explain 0 "$bin" explain --samples 0 --max-duration 32d "$inv/77-limit-duration.yaml"
check duration-flag-raised 0 "$bin" run "$tmp/slow.yaml" --duration 32d --max-duration 32d \
  --output "$tmp/o" --quiet --signals metrics --metric-interval 1d
# ... and lowering one refuses a file that passes by default.
check rate-lowered 2 "$bin" lint --max-rate 50/s "$tmp/plain.yaml"
first_line rate-lowered "$tmp/plain.yaml:13:12: error: total request rate up to 100/s (traffic patterns and incidents at their peak) exceeds the 50/s limit (--max-rate to raise it)"
check rate-lowered-plain-number 2 "$bin" explain --max-rate 99.5 "$tmp/plain.yaml"
contains rate-lowered-plain-number "exceeds the 99.5/s limit (--max-rate to raise it)"
check series-lowered-run 2 "$bin" run --max-series 100 "$flagship" --output "$tmp/o"
contains series-lowered-run "exceed the 100 limit (--max-series to raise it)"
check body-lowered 2 "$bin" lint --max-log-body 38 "$tmp/plain.yaml"
first_line body-lowered "$tmp/plain.yaml:10:13: error: rendered log body up to 39 bytes exceeds the 38 bytes limit (--max-log-body to raise it)"

# ---- bad limit flags ----------------------------------------------------------
check bad-series 2 "$bin" lint --max-series lots "$tmp/plain.yaml"
first_line bad-series "sigsynth lint: --max-series needs a whole number above 0 and at most 1000000000, got 'lots'"
check zero-rate 2 "$bin" lint --max-rate 0 "$tmp/plain.yaml"
check missing-value 2 "$bin" lint "$tmp/plain.yaml" --max-series
first_line missing-value "sigsynth lint: --max-series needs a value"
check check-only-flag 2 "$bin" run "$tmp/plain.yaml" --promtool-timeout 5s
first_line check-only-flag "sigsynth run: --promtool-timeout applies to 'sigsynth check' only"
check help-run 0 "$bin" help run && contains help-run "--max-series N"
check help-check 0 "$bin" help check && contains help-check "--promtool-timeout D"

# ---- hostile scenarios: refused before they cost memory or time --------------
python3 - "$tmp" <<'EOF'
import sys
d = sys.argv[1]
head = '''version: 1
name: hostile
duration: 30m
services:
  api:
    operations:
      "GET /items":
        latency: {p50: 8ms, p99: 90ms}
        logs:
          - {when: always, severity: INFO, body: "%s"}
traffic:
  entrypoints:
    - {to: api."GET /items", rate: %s}
'''
open(d + '/bomb40000.yaml', 'w').write(head % ('{trace_id}' * 40000, '100/s'))
open(d + '/rate1e9.yaml', 'w').write(head % ('ok', '1000000000/s'))
lines = ['version: 1', 'name: wide', 'duration: 30m', 'services:']
for i in range(64):
    lines += ['  s%d:' % i, '    instances: 256', '    operations:']
    lines += ['      op%d: {latency: {p50: 1ms, p99: 5ms}}' % j for j in range(64)]
lines += ['traffic:', '  entrypoints:']
lines += ['    - {to: s%d.op%d, rate: 10/s}' % (i, j) for i in range(64) for j in range(64)]
open(d + '/wide.yaml', 'w').write('\n'.join(lines) + '\n')
EOF
rss_of() {  # rss_of NAME MAX_KB EXPECTED_RC COMMAND...: peak RSS below MAX_KB
  local name=$1 max=$2 want=$3
  shift 3
  [ -x /usr/bin/time ] || { echo "FAIL $name: /usr/bin/time is missing (package time)"; fail=$((fail + 1)); return 1; }
  out=$(timeout -s KILL 60 /usr/bin/time -v "$@" 2>&1)
  local rc=$? kb
  kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' <<<"$out")
  if [ "$rc" -ne "$want" ] || [ -z "$kb" ] || [ "$kb" -ge "$max" ]; then
    echo "FAIL $name: exit $rc (want $want), peak RSS ${kb:-?} KB (want < $max)"
    echo "$out" | head -3; fail=$((fail + 1)); return 1
  fi
  pass=$((pass + 1))
}
rss_of bomb-run 200000 2 "$bin" run "$tmp/bomb40000.yaml" --output "$tmp/o"
first_line bomb-run "$tmp/bomb40000.yaml:10:13: error: rendered log body up to 1.2 MiB exceeds the 64 KiB limit (--max-log-body to raise it)"
rss_of rate-run 200000 2 "$bin" run "$tmp/rate1e9.yaml" --output "$tmp/o"
first_line rate-run "$tmp/rate1e9.yaml:13:12: error: total request rate up to 1000000000/s (traffic patterns and incidents at their peak) exceeds the 1000000/s limit (--max-rate to raise it)"
rss_of wide-run 200000 2 "$bin" run "$tmp/wide.yaml" --output "$tmp/o"
first_line wide-run "$tmp/wide.yaml:5:3: error: metric series up to 37765120 (590080 of them from 's0') exceed the 1000000 limit (--max-series to raise it)"
contains wide-run "16384 instances in all exceed the 10000 limit (--max-instances to raise it)"
rss_of wide-check 200000 2 "$bin" check "$tmp/wide.yaml" --rules "$tmp/rules.yml"
contains wide-check "(--max-series to raise it)"
# check keeps series x steps in memory: bounded too.
check check-samples 2 "$bin" check "$flagship" --max-check-samples 1000 \
  --rules "$root/examples/rules/checkout-db-pool-exhaustion.rules.yml"
first_line check-samples "sigsynth check: check would keep 151469 samples (934 series x 162 steps, plus 161 evaluation steps), more than the 1000 limit (--max-check-samples to raise it, or a longer --metric-interval or --eval-interval)"
check check-eval-steps 2 "$bin" check "$tmp/plain.yaml" --rules "$tmp/rules.yml" --eval-interval 1ns --duration 31d
contains check-eval-steps "plus 2678400000000001 evaluation steps"
check check-metric-steps 2 "$bin" check "$tmp/plain.yaml" --rules "$tmp/rules.yml" --metric-interval 1ms
contains check-metric-steps "(35 series x 1800002 steps, plus 121 evaluation steps)"

# The series estimate is an upper bound on what a run makes, and a close
# one: every label-set path (server, db, cache, queue, external HTTP and
# gRPC with timeouts, custom histogram, gauge with leak restarts, counter).
series_bound() {  # series_bound NAME SCENARIO
  local est got
  est=$("$bin" lint --max-series 1 "$2" 2>&1 | sed -n 's/.*metric series up to \([0-9]*\) .*/\1/p')
  got=$(timeout -s KILL 120 "$bin" check "$2" --rules "$tmp/rules.yml" --duration 10m 2>&1 |
        sed -n 's/.*: \([0-9]*\) series over.*/\1/p')
  if [ -n "$est" ] && [ -n "$got" ] && [ "$got" -le "$est" ] && [ "$est" -le $((got + got / 50 + 20)) ]; then
    pass=$((pass + 1))
  else
    echo "FAIL $1: estimate ${est:-?} series, a run made ${got:-?} (want made <= estimate <= made + 2% + 20)"
    fail=$((fail + 1))
  fi
}
if command -v promtool >/dev/null; then
  series_bound series-bound-allpaths "$root/tests/data/limits-allpaths.yaml"
else
  echo "FAIL series-bound-allpaths: promtool not on PATH (package prometheus)"; fail=$((fail + 1))
fi

# ---- rule files that never end, promtool that never ends ---------------------
if command -v promtool >/dev/null; then
  check rules-dev-zero 2 "$bin" check "$tmp/plain.yaml" --rules /dev/zero
  first_line rules-dev-zero "sigsynth check: /dev/zero: error: not a regular file (a character device); rule files must be regular files"
  mkfifo "$tmp/fifo"
  check rules-fifo 2 "$bin" check "$tmp/plain.yaml" --rules "$tmp/fifo"
  first_line rules-fifo "sigsynth check: $tmp/fifo: error: not a regular file (a FIFO); rule files must be regular files"
  check rules-dir 2 "$bin" check "$tmp/plain.yaml" --rules "$tmp"
  contains rules-dir "not a regular file (a directory)"
  head -c 3000 /dev/zero | tr '\0' '#' >"$tmp/big.yml"
  check rules-size 2 "$bin" check "$tmp/plain.yaml" --rules "$tmp/big.yml" --max-rules-size 1KiB
  first_line rules-size "sigsynth check: $tmp/big.yml: error: rule file of 2.9 KiB exceeds the 1 KiB limit (--max-rules-size to raise it)"
  # The real promtool cannot start and read rules in a millisecond.
  check promtool-real-timeout 2 "$bin" check "$tmp/plain.yaml" --rules "$tmp/rules.yml" --promtool-timeout 1ms
  first_line promtool-real-timeout "sigsynth check: 'promtool check rules' did not finish within 1ms and was stopped (--promtool-timeout to raise it)"
else
  echo "FAIL promtool cases: promtool not on PATH (package prometheus)"; fail=$((fail + 1))
fi
# A promtool that hangs, with a child of its own: both must be gone after
# the timeout (the process group is killed, not only promtool).
mkdir -p "$tmp/fake"
cat >"$tmp/fake/promtool" <<EOF
#!/bin/sh
if [ "\$1" = check ] && [ "\${HANG:-check}" = test ]; then exit 0; fi
sleep 300 &
echo \$! >"$tmp/grandchild.pid"
echo \$\$ >"$tmp/promtool.pid"
wait
EOF
chmod +x "$tmp/fake/promtool"
for stage in check test; do
  rm -f "$tmp/grandchild.pid" "$tmp/promtool.pid"
  start=$(date +%s)
  check "promtool-hang-$stage" 2 env HANG=$stage PATH="$tmp/fake:$PATH" "$bin" check "$tmp/plain.yaml" \
    --rules "$tmp/rules.yml" --promtool-timeout 1s
  contains "promtool-hang-$stage" "'promtool $stage rules' did not finish within 1s and was stopped (--promtool-timeout to raise it)"
  [ $(($(date +%s) - start)) -lt 30 ] && pass=$((pass + 1)) || { echo "FAIL promtool-hang-$stage: took too long"; fail=$((fail + 1)); }
  for f in grandchild promtool; do
    if [ -s "$tmp/$f.pid" ]; then
      p=$(cat "$tmp/$f.pid")
      fake_pids+=("$p")
      # killed and reaped, or at worst a zombie on its way out
      if kill -0 "$p" 2>/dev/null && [ "$(ps -o stat= -p "$p" | cut -c1)" != Z ]; then
        echo "FAIL promtool-hang-$stage: the $f (pid $p) survived the timeout"; fail=$((fail + 1))
      else
        pass=$((pass + 1))
      fi
    else
      echo "FAIL promtool-hang-$stage: the fake promtool did not start"; fail=$((fail + 1))
    fi
  done
done

# Ctrl-C or SIGTERM while promtool runs: promtool sits in its own process
# group (so the timeout can kill all of it), where a terminal's Ctrl-C would
# not reach it; check must take it down with itself. (SIGTERM here: a
# background job of this script ignores SIGINT.)
rm -f "$tmp/grandchild.pid" "$tmp/promtool.pid"
HANG=test PATH="$tmp/fake:$PATH" "$bin" check "$tmp/plain.yaml" --rules "$tmp/rules.yml" \
  --promtool-timeout 60s >/dev/null 2>&1 &
cpid=$!
for _ in $(seq 100); do [ -s "$tmp/grandchild.pid" ] && break; sleep 0.1; done
kill -TERM "$cpid"
wait "$cpid"
rc=$?
if [ "$rc" -eq 143 ]; then pass=$((pass + 1)); else echo "FAIL promtool-sigterm: check exit $rc, want 143 (died of SIGTERM)"; fail=$((fail + 1)); fi
for f in grandchild promtool; do
  p=$(cat "$tmp/$f.pid" 2>/dev/null)
  [ -n "$p" ] && fake_pids+=("$p")
  sleep 0.2
  if [ -z "$p" ]; then
    echo "FAIL promtool-sigterm: the fake promtool did not start"; fail=$((fail + 1))
  elif kill -0 "$p" 2>/dev/null && [ "$(ps -o stat= -p "$p" | cut -c1)" != Z ]; then
    echo "FAIL promtool-sigterm: the $f (pid $p) outlived check"; fail=$((fail + 1))
  else
    pass=$((pass + 1))
  fi
done

echo "limits: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
