#!/usr/bin/env bash
# Receiver answers the delivery policy must handle, each with its exact outcome (retried or
# not, delivered/dropped counts, exit code, the error kind in the summary). Complements
# test_faults.sh (503x3, 400, nothing listening, 429 + Retry-After: 1, UNAVAILABLE x2) and
# test_give_up.sh (dead, stall, reset, flapping, SIGINT).
# usage: tests/net/test_fault_matrix.sh BIN ROOT     (SX_KEEP=1 keeps the temp dir)
set -u
BIN=$(realpath "${1:?usage: test_fault_matrix.sh BIN ROOT}")
ROOT=$(realpath "${2:?usage: test_fault_matrix.sh BIN ROOT}")
source "$(dirname "$0")/lib.sh"
DURATION=20s
GRPC_ARGS=(--otlp-protocol grpc --otlp-insecure true)

jcheck() {
    local name=$1 v
    v=$(jget "$2" "$3" 2>&1)
    check "$name ($v)" [ "$v" = true ]
}

show() {
    "$PY" - "$1" <<'EOF'
import json, os, sys
d = sys.argv[1]
s = json.load(open(d + "/summary.json")) if os.path.exists(d + "/summary.json") else {}
for e in s.get("exporters", []):
    print("  measured: generated %s | %s delivered %s dropped %s retries %d requests %d errors %s" % (
        {k: s["generated"][k] for k in ("spans", "logs", "metric_points")}, e["name"],
        e["delivered"], e["dropped"], e["retries"], e["requests"], e["errors"]))
if os.path.exists(d + "/report.json"):
    r = json.load(open(d + "/report.json"))
    print("  receiver: %d requests (%d ok, %d faulted), received %s" % (
        len(r["requests"]), r["counts"]["requests_ok"], r["counts"]["requests_faulted"],
        {k: r["counts"][k] for k in ("spans", "logs", "data_points")}))
EOF
}

rc_is() { check "$2: exit $3 (got $(cat "$1/rc"))" [ "$(cat "$1/rc")" = "$3" ]; }
exact() {
    jcheck "$2: generated = delivered + dropped per signal" "$1/summary.json" \
        "all(e['generated'][k] == d['generated'][k] == e['delivered'][k] + e['dropped'][k] for e in d['exporters'] for k in e['generated'])"
}
# all_delivered DIR LABEL: nothing dropped, and the receiver counted exactly what was generated.
all_delivered() {
    jcheck "$2: nothing dropped" "$1/summary.json" "all(v == 0 for v in d['exporters'][0]['dropped'].values())"
    local g r
    g=$(jget "$1/summary.json" "[d['generated'][k] for k in ('spans','logs','metric_points')]")
    r=$(jget "$1/report.json" "[d['counts'][k] for k in ('spans','logs','data_points')]")
    check "$2: receiver got exactly the generated items ($r vs $g)" [ "$g" = "$r" ]
}

# case_http NAME FAULT [extra sigsynth args]: receiver with FAULT on HTTP, one 20 s run.
case_run() {
    local name=$1 fault=$2 proto=$3
    shift 3
    echo; echo "== $name (receiver --fault $fault, $proto)"
    D=$TMP/$name
    if [ "$proto" = http ]; then
        start_receiver "$D" --fault "$fault" --grpc-port -1 || check "receiver started" false
        EP=(--otlp-endpoint "http://127.0.0.1:$HTTP_PORT")
    else
        start_receiver "$D" --fault "$fault" --http-port -1 || check "receiver started" false
        EP=(--otlp-endpoint "127.0.0.1:$GRPC_PORT" "${GRPC_ARGS[@]}")
    fi
    run_sigsynth "$D" --duration $DURATION "${EP[@]}" "$@"
    stop_receiver "$D"
    show "$D"
    exact "$D" "$name"
}

T0=$(date +%s)

# ---- 429 with Retry-After as an HTTP-date (2 s ahead, second resolution)
case_run 429-date 429-retry-after-date http
GAP=$(jget "$D/report.json" "(lambda rs: [round(r['t'] - rs[0]['t'], 3) for r in rs[1:] if r['path'] == rs[0]['path'] and r['sha256'] == rs[0]['sha256']][:1] or [None])(sorted(d['requests'], key=lambda r: r['n']))[0]")
echo "  first request -> its retry: $GAP s"
check "429-date: the retry waits for the date (0.9..4 s, got $GAP s)" \
    "$PY" -c "import sys; g = $GAP; sys.exit(not (g is not None and 0.9 <= g <= 4.0))"
rc_is "$D" 429-date 0
all_delivered "$D" 429-date
jcheck "429-date: errors['HTTP 429'] == 1, retried" "$D/summary.json" \
    "d['exporters'][0]['errors'].get('HTTP 429') == 1 and d['exporters'][0]['retries'] >= 1"

# ---- 503 storm: every request 503; with --give-up-after 0 the retry budget drops each request
case_run 503-storm http-503 http --give-up-after 0 --retry-max-time 2s
rc_is "$D" 503-storm 1
jcheck "503-storm: retried, all dropped as 'retries exhausted', nothing delivered" "$D/summary.json" \
    "d['exporters'][0]['retries'] > 0 and d['exporters'][0]['errors'].get('retries exhausted', 0) > 0 and all(v == 0 for v in d['exporters'][0]['delivered'].values())"

# ---- 4xx: never retried
for CODE in 401 404 413; do
    case_run http-$CODE http-$CODE http
    rc_is "$D" http-$CODE 1
    jcheck "http-$CODE: no retries, all dropped ('HTTP $CODE' == 'not retryable' == requests)" "$D/summary.json" \
        "(lambda e: e['retries'] == 0 and all(v == 0 for v in e['delivered'].values()) and e['errors'].get('HTTP $CODE') == e['errors'].get('not retryable') == e['requests'])(d['exporters'][0])"
    N=$(grep -c "test fault: HTTP $CODE" "$D/stderr")
    check "http-$CODE: the body is printed once (found $N)" [ "$N" = 1 ]
done

# ---- 200 with a body that is not protobuf: the data arrived, it is delivered
case_run malformed-200 malformed-200 http
rc_is "$D" malformed-200 0
all_delivered "$D" malformed-200

# ---- 200 with an 8 MiB body: only the start is kept, delivered
case_run huge-200 huge-200 http
rc_is "$D" huge-200 0
all_delivered "$D" huge-200

# ---- 503 with a 1 MiB body, 3 times: retried, delivered, the message line stays short
case_run huge-503 huge-503x3 http
rc_is "$D" huge-503 0
all_delivered "$D" huge-503
jcheck "huge-503: errors['HTTP 503'] == 3" "$D/summary.json" "d['exporters'][0]['errors'].get('HTTP 503') == 3"
LONGEST=$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$D/stderr")
check "huge-503: the longest stderr line is bounded ($LONGEST < 1000 chars)" [ "$LONGEST" -lt 1000 ]

# ---- partial success, HTTP and gRPC: one item rejected per request
for PROTO in http grpc; do
    case_run partial-$PROTO partial $PROTO
    rc_is "$D" partial-$PROTO 1
    jcheck "partial-$PROTO: dropped == requests == 'partial success' count, no retries" "$D/summary.json" \
        "(lambda e: sum(e['dropped'].values()) == e['requests'] == e['errors'].get('partial success') and e['retries'] == 0)(d['exporters'][0])"
    N=$(grep -c "partial success: test fault: 1 item rejected" "$D/stderr")
    check "partial-$PROTO: the receiver's message is printed once (found $N)" [ "$N" = 1 ]
done

# ---- gRPC UNAVAILABLE on every call: retried until the endpoint is down
case_run grpc-unavailable grpc-unavailable grpc --give-up-after 2s
rc_is "$D" grpc-unavailable 1
jcheck "grpc-unavailable: retried, then 'endpoint down'" "$D/summary.json" \
    "d['exporters'][0]['retries'] > 0 and d['exporters'][0]['errors'].get('UNAVAILABLE', 0) > 0 and d['exporters'][0]['errors'].get('endpoint down', 0) > 0"

# ---- gRPC DEADLINE_EXCEEDED: the first 2 calls outlive the 1 s deadline, then OK
case_run grpc-deadline grpc-slow-x2 grpc --otlp-timeout 1s
rc_is "$D" grpc-deadline 0
all_delivered "$D" grpc-deadline
jcheck "grpc-deadline: errors['DEADLINE_EXCEEDED'] == 2, retried" "$D/summary.json" \
    "d['exporters'][0]['errors'].get('DEADLINE_EXCEEDED') == 2 and d['exporters'][0]['retries'] >= 2"

# ---- gRPC RESOURCE_EXHAUSTED without RetryInfo: not retryable
case_run grpc-exhausted grpc-exhausted-x2 grpc
rc_is "$D" grpc-exhausted 1
jcheck "grpc-exhausted: no retries, 2 requests dropped ('not retryable' == 2)" "$D/summary.json" \
    "(lambda e: e['retries'] == 0 and e['errors'].get('RESOURCE_EXHAUSTED') == 2 and e['errors'].get('not retryable') == 2 and sum(e['dropped'].values()) > 0)(d['exporters'][0])"
jcheck "grpc-exhausted: receiver got exactly what was delivered" "$D/report.json" \
    "[d['counts'][k] for k in ('spans','logs','data_points')] == $(jget "$D/summary.json" "[d['exporters'][0]['delivered'][k] for k in ('spans','logs','metric_points')]")"

# ---- gRPC RESOURCE_EXHAUSTED with RetryInfo (1 s): retried after the delay
case_run grpc-exhausted-ri grpc-exhausted-retryinfo-x2 grpc
rc_is "$D" grpc-exhausted-ri 0
all_delivered "$D" grpc-exhausted-ri
jcheck "grpc-exhausted-ri: errors['RESOURCE_EXHAUSTED'] == 2, retried" "$D/summary.json" \
    "d['exporters'][0]['errors'].get('RESOURCE_EXHAUSTED') == 2 and d['exporters'][0]['retries'] >= 2"
GAP=$(jget "$D/report.json" "(lambda rs: [round(r['t'] - rs[0]['t'], 3) for r in rs[1:] if r['path'] == rs[0]['path'] and r['sha256'] == rs[0]['sha256']][:1] or [None])(sorted(d['requests'], key=lambda r: r['n']))[0]")
check "grpc-exhausted-ri: the retry waits the RetryInfo delay (0.9..3 s, got $GAP s)" \
    "$PY" -c "import sys; g = $GAP; sys.exit(not (g is not None and 0.9 <= g <= 3.0))"

echo "total $(( $(date +%s) - T0 )) s"
finish
