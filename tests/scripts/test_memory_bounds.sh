#!/usr/bin/env bash
# Memory stays bounded by the limits, whatever the records' size:
#  - every request writing a 62 KiB log body (under the default
#    --max-log-body) must not pile 4,096 of them into one batch: the engine
#    flushes by bytes too (peak RSS bound, from /usr/bin/time -v);
#  - a fan-out near the engine's 100,000 spans per request must not reserve
#    the worst case up front (address-space cap with ulimit -v).
# Under ASan (SX_MEMTEST_ASAN=1, set by the ctest entry) RSS and address
# space mean something else: the runs and their counts are still checked.
set -u
bin=$1
root=$2
asan=${SX_MEMTEST_ASAN:-0}
pass=0
fail=0
tmp=$(mktemp -d /tmp/sigsynth-mem.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
nul_dir() {   # an output directory whose files are /dev/null: no GBs on disk
  mkdir -p "$1"
  for f in traces metrics logs; do ln -sf /dev/null "$1/$f.jsonl"; done
}
field() {   # field SUMMARY PYTHON-EXPR (d = the summary)
  /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

# 1. 62 KiB bodies, 100 requests/s, 30 s: ~3,000 logs, 186 MB of text. Before
#    the byte budget one batch held 1,500 of them (one per 15 s collection):
#    peak RSS above 200 MB. Now a batch is flushed past 8 MiB.
nul_dir "$tmp/big"
timeout -s KILL 120 /usr/bin/time -v -o "$tmp/big.time" "$bin" run \
  "$root/tests/data/limits-big-logs.yaml" --duration 30s --output "$tmp/big" --quiet \
  --summary "$tmp/big.json" >"$tmp/big.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "big logs: exit $rc"; head -5 "$tmp/big.out"; fi
if [ -s "$tmp/big.json" ]; then
  req=$(field "$tmp/big.json" "d['generated']['requests']")
  got=$(field "$tmp/big.json" "(d['generated']['logs'], d['exporters'][0]['generated']['logs'], d['exporters'][0]['delivered']['logs'], d['exporters'][0]['dropped']['logs'])")
  if [ "$req" -gt 2500 ] && [ "$got" = "($req, $req, $req, 0)" ]; then ok; else
    bad "big logs: requests $req, logs (generated, exporter generated, delivered, dropped) $got"; fi
  # 3,000 logs of 62 KiB in batches of at most ~8 MiB: at least 20 log lines
  # (without the budget: 2 lines of logs, one per collection).
  writes=$(field "$tmp/big.json" "d['exporters'][0]['requests']")
  if [ "$writes" -ge 20 ]; then ok; else bad "big logs: only $writes writes, batches not flushed by size"; fi
else
  bad "big logs: no summary"
fi
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp/big.time")
echo "big logs: peak RSS ${rss:-?} kB"
if [ "$asan" = 1 ]; then echo "(ASan: RSS bound not asserted)"
elif [ -n "$rss" ] && [ "$rss" -lt 150000 ]; then ok; else bad "big logs: peak RSS ${rss:-?} kB, want < 150000"; fi

# The bodies themselves, to real files (2 s): whole, each 63,488 bytes, as
# many as the summary counts.
timeout -s KILL 60 "$bin" run "$root/tests/data/limits-big-logs.yaml" --duration 2s \
  --output "$tmp/files" --quiet --summary "$tmp/files.json" >"$tmp/files.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "big logs to files: exit $rc"; head -5 "$tmp/files.out"; fi
got=$(/usr/bin/python3 - "$tmp/files/logs.jsonl" "$tmp/files.json" <<'PY'
import json, sys
n, sizes = 0, set()
for line in open(sys.argv[1]):
    for rl in json.loads(line)['resourceLogs']:
        for sl in rl['scopeLogs']:
            for r in sl['logRecords']:
                n += 1
                sizes.add(len(r['body']['stringValue']))
print(n == json.load(open(sys.argv[2]))['generated']['logs'] and n > 0, sorted(sizes))
PY
)
if [ "$got" = "True [63488]" ]; then ok; else bad "big logs to files: $got"; fi

# 2. 90,201 spans per request, a worst case of 902,010 logs per request. The
#    batch and its hold-over used to calloc 2 x (180,402 spans + 1,804,020
#    logs): 318 MB of address space; the run needed 490 MB of it. Now the
#    arrays grow to what a request may need: the run needs 267 MB.
nul_dir "$tmp/fan"
if [ "$asan" = 1 ]; then lim=unlimited; else lim=380000; fi
( ulimit -v "$lim"; exec timeout -s KILL 120 "$bin" run "$root/tests/data/limits-fanout.yaml" \
    --duration 3s --output "$tmp/fan" --quiet --summary "$tmp/fan.json" ) >"$tmp/fan.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then ok; else bad "fan-out under ulimit -v $lim: exit $rc"; head -5 "$tmp/fan.out"; fi
if [ -s "$tmp/fan.json" ]; then
  got=$(field "$tmp/fan.json" "(d['generated']['spans'] == 90201 * d['generated']['requests'] > 0, d['exporters'][0]['delivered']['spans'] == d['generated']['spans'], d['exporters'][0]['dropped']['spans'])")
  if [ "$got" = "(True, True, 0)" ]; then ok; else bad "fan-out counts: $got"; fi
else
  bad "fan-out: no summary"
fi

echo "memory bounds: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
