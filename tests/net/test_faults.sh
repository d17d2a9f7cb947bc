#!/usr/bin/env bash
# OTLP delivery under receiver faults: 503 x3, 400, nothing listening, 429 + Retry-After: 1,
# gRPC UNAVAILABLE x2. Short runs (20 s of timeline) so each case has few requests.
# Fault counters count requests overall (sigsynth sends several signals in parallel).
# usage: tests/net/test_faults.sh BIN ROOT     (SX_KEEP=1 keeps the temp dir)
set -u
BIN=$(realpath "${1:?usage: test_faults.sh BIN ROOT}")
ROOT=$(realpath "${2:?usage: test_faults.sh BIN ROOT}")
source "$(dirname "$0")/lib.sh"
DURATION=20s
SECRET=secret123
HTTP_ARGS=(--otlp-protocol http/protobuf --otlp-header "x-test-token=$SECRET")
GRPC_ARGS=(--otlp-protocol grpc --otlp-insecure true --otlp-header "x-test-token=$SECRET")

# jcheck NAME FILE EXPR: PASS when the Python expression on the JSON in FILE is true.
jcheck() {
    local name=$1 v
    v=$(jget "$2" "$3" 2>&1)
    check "$name ($v)" [ "$v" = true ]
}

# The numbers every case prints; S = summary.json, R = receiver report.
show() {
    local dir=$1
    "$PY" - "$dir" <<'EOF'
import json, os, sys
d = sys.argv[1]
s = json.load(open(d + "/summary.json")) if os.path.exists(d + "/summary.json") else {}
for e in s.get("exporters", []):
    print("  measured: generated %s | %s delivered %s dropped %s retries %d requests %d errors %s" % (
        {k: s["generated"][k] for k in ("spans", "logs", "metric_points")}, e["name"], e["delivered"],
        e["dropped"], e["retries"], e["requests"], e["errors"]))
if os.path.exists(d + "/report.json"):
    r = json.load(open(d + "/report.json"))
    print("  receiver: %d requests (%d ok, %d faulted), received %s" % (
        len(r["requests"]), r["counts"]["requests_ok"], r["counts"]["requests_faulted"],
        {k: r["counts"][k] for k in ("spans", "logs", "data_points")}))
EOF
}

# no_secret DIR LABEL: the header value never shows up in sigsynth's output, errors included.
no_secret() {
    local n
    n=$(cat "$1/stdout" "$1/stderr" | grep -c "$SECRET")
    check "$2 header secret not printed (found $n times)" [ "$n" = 0 ]
}

# all_delivered DIR EXPORTER: delivered == generated == received, nothing dropped.
all_delivered() {
    local dir=$1 exp=$2
    jcheck "$3: delivered == generated, dropped 0" "$dir/summary.json" \
        "[e for e in d['exporters'] if e['name']=='$exp'][0]['delivered'] == {'spans': d['generated']['spans'], 'logs': d['generated']['logs'], 'metric_points': d['generated']['metric_points']} and all(v == 0 for v in d['exporters'][0]['dropped'].values())"
    local g r
    g=$(jget "$dir/summary.json" "[d['generated'][k] for k in ('spans','logs','metric_points')]")
    r=$(jget "$dir/report.json" "[d['counts'][k] for k in ('spans','logs','data_points')]")
    check "$3: receiver got exactly the generated spans/logs/points ($r vs $g)" [ "$g" = "$r" ]
    jcheck "$3: no duplicate span ids" "$dir/report.json" "d['span_ids_unique'] == d['counts']['spans']"
}

T0=$(date +%s)

# ---- (a) HTTP 503 for the first 3 requests, then 200
echo; echo "== (a) HTTP 503 x3"
D=$TMP/a
start_receiver "$D" --fault 503x3 --grpc-port -1 || check "receiver started" false
# A 30 s attempt deadline: this case is about 503s, and a Python receiver on a
# loaded CI machine once took over the default 10 s to answer (a timeout, not a 503).
run_sigsynth "$D" --duration $DURATION --otlp-endpoint "http://127.0.0.1:$HTTP_PORT" "${HTTP_ARGS[@]}" \
    --otlp-timeout 30s
stop_receiver "$D"
show "$D"
no_secret "$D" "(a)"
check "(a) exit 0 (got $(cat "$D/rc"))" [ "$(cat "$D/rc")" = 0 ]
all_delivered "$D" otlp-http "(a)"
jcheck "(a) retries >= 3" "$D/summary.json" "d['exporters'][0]['retries'] >= 3"
jcheck "(a) errors[\"HTTP 503\"] == 3" "$D/summary.json" "d['exporters'][0]['errors'].get('HTTP 503') == 3"
jcheck "(a) receiver answered 503 exactly 3 times" "$D/report.json" \
    "sum(1 for r in d['requests'] if r['status'] == 503) == 3"

# ---- (b) HTTP 400 always: not retryable
echo; echo "== (b) HTTP 400 always"
D=$TMP/b
start_receiver "$D" --fault 400 --grpc-port -1 || check "receiver started" false
run_sigsynth "$D" --duration $DURATION --otlp-endpoint "http://127.0.0.1:$HTTP_PORT" "${HTTP_ARGS[@]}"
stop_receiver "$D"
show "$D"
no_secret "$D" "(b)"
check "(b) exit 1 (got $(cat "$D/rc"))" [ "$(cat "$D/rc")" = 1 ]
jcheck "(b) retries == 0" "$D/summary.json" "d['exporters'][0]['retries'] == 0"
jcheck "(b) delivered 0" "$D/summary.json" "all(v == 0 for v in d['exporters'][0]['delivered'].values())"
jcheck "(b) dropped == generated" "$D/summary.json" \
    "d['exporters'][0]['dropped'] == {'spans': d['generated']['spans'], 'logs': d['generated']['logs'], 'metric_points': d['generated']['metric_points']}"
jcheck "(b) receiver saw each request once (requests == summary requests)" "$D/report.json" \
    "len(d['requests']) == $(jget "$D/summary.json" "d['exporters'][0]['requests']") and len(set(r['sha256'] for r in d['requests'])) == len(d['requests'])"
N400=$(grep -c "sigsynth-test-fault: receiver rejects this payload" "$D/stderr")
check "(b) the 400 body text is printed once on stderr (found $N400 times)" [ "$N400" = 1 ]

# ---- (c) nothing listening (HTTP, then gRPC)
for PROTO in http grpc; do
    echo; echo "== (c) nothing listening, $PROTO"
    D=$TMP/c-$PROTO
    mkdir -p "$D"
    PORT=$(free_port)
    if [ $PROTO = http ]; then
        EP=(--otlp-endpoint "http://127.0.0.1:$PORT" "${HTTP_ARGS[@]}")
    else
        EP=(--otlp-endpoint "127.0.0.1:$PORT" "${GRPC_ARGS[@]}")
    fi
    run_sigsynth "$D" --duration $DURATION "${EP[@]}" --retry-max-time 2s --shutdown-timeout 3s
    show "$D"
    no_secret "$D" "(c) $PROTO"
    ELAPSED=$(cat "$D/elapsed")
    check "(c) $PROTO finished within 20 s (took $ELAPSED s)" "$PY" -c "import sys; sys.exit(not $ELAPSED < 20)"
    check "(c) $PROTO exit 1 (got $(cat "$D/rc"))" [ "$(cat "$D/rc")" = 1 ]
    jcheck "(c) $PROTO dropped == generated for every signal" "$D/summary.json" \
        "d['exporters'][0]['dropped'] == {'spans': d['generated']['spans'], 'logs': d['generated']['logs'], 'metric_points': d['generated']['metric_points']} and all(v > 0 for v in d['exporters'][0]['dropped'].values())"
    jcheck "(c) $PROTO delivered 0" "$D/summary.json" "all(v == 0 for v in d['exporters'][0]['delivered'].values())"
done

# ---- (d) HTTP 429 + Retry-After: 1 on the first request
echo; echo "== (d) HTTP 429 Retry-After: 1"
D=$TMP/d
start_receiver "$D" --fault 429-retry-after-1 --grpc-port -1 || check "receiver started" false
run_sigsynth "$D" --duration $DURATION --otlp-endpoint "http://127.0.0.1:$HTTP_PORT" "${HTTP_ARGS[@]}"
stop_receiver "$D"
show "$D"
# The retry of the first request = the next request with the same path and payload digest
# (other signals' requests may arrive in between on the second lane).
GAP=$(jget "$D/report.json" "(lambda rs: [round(r['t'] - rs[0]['t'], 3) for r in rs[1:] if r['path'] == rs[0]['path'] and r['sha256'] == rs[0]['sha256']][:1] or [None])(sorted(d['requests'], key=lambda r: r['n']))[0]")
GAP2=$(jget "$D/report.json" "(lambda rs: round(rs[1]['t'] - rs[0]['t'], 3) if len(rs) > 1 else None)(sorted(d['requests'], key=lambda r: r['n']))")
echo "  first request -> its retry: $GAP s (first -> second request overall: $GAP2 s)"
check "(d) the retry arrives 0.9..3 s after the 429 (gap $GAP s)" \
    "$PY" -c "import sys; g = $GAP; sys.exit(not (g is not None and 0.9 <= g <= 3.0))"
no_secret "$D" "(d)"
check "(d) exit 0 (got $(cat "$D/rc"))" [ "$(cat "$D/rc")" = 0 ]
all_delivered "$D" otlp-http "(d)"

# ---- (e) gRPC UNAVAILABLE for the first 2 calls
echo; echo "== (e) gRPC UNAVAILABLE x2"
D=$TMP/e
start_receiver "$D" --fault unavailable-x2 --http-port -1 || check "receiver started" false
run_sigsynth "$D" --duration $DURATION --otlp-endpoint "127.0.0.1:$GRPC_PORT" "${GRPC_ARGS[@]}"
stop_receiver "$D"
show "$D"
no_secret "$D" "(e)"
check "(e) exit 0 (got $(cat "$D/rc"))" [ "$(cat "$D/rc")" = 0 ]
all_delivered "$D" otlp-grpc "(e)"
jcheck "(e) retries >= 2" "$D/summary.json" "d['exporters'][0]['retries'] >= 2"
jcheck "(e) errors[\"UNAVAILABLE\"] == 2" "$D/summary.json" "d['exporters'][0]['errors'].get('UNAVAILABLE') == 2"

echo "total $(( $(date +%s) - T0 )) s"
finish
