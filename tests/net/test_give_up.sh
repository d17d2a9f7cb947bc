#!/usr/bin/env bash
# A dead, stuck or flapping receiver: the run ends in bounded time, loudly, with exact accounting.
#   (a) defaults only: a 20-minute backfill to a dead OTLP/gRPC, OTLP/HTTP and remote-write
#       endpoint ends within 60 s, exit 1, one "down" line, generated = delivered + dropped
#   (b) a receiver that accepts and never answers (HTTP, gRPC, remote-write): bounded by the
#       request timeout and --give-up-after
#   (c) connection reset / closed without an answer: down, "connection failed"
#   (d) flapping: failing for less than --give-up-after is not "down"; longer is
#   (e) --give-up-after 0 never declares the endpoint down
#   (f) SIGINT against a stuck receiver: the attempt in flight is cut at the flush deadline
# usage: tests/net/test_give_up.sh BIN ROOT     (SX_KEEP=1 keeps the temp dir)
set -u
BIN=$(realpath "${1:?usage: test_give_up.sh BIN ROOT}")
ROOT=$(realpath "${2:?usage: test_give_up.sh BIN ROOT}")
source "$(dirname "$0")/lib.sh"
GRPC_ARGS=(--otlp-protocol grpc --otlp-insecure true)
FAULT_PID=

stop_fault() {
    if [ -n "$FAULT_PID" ]; then
        kill -TERM "$FAULT_PID" 2>/dev/null
        wait "$FAULT_PID" 2>/dev/null
        FAULT_PID=
    fi
}
trap 'stop_fault; cleanup' EXIT

# start_fault DIR MODE: a tcp_fault.py endpoint; sets FAULT_PID and FPORT.
start_fault() {
    mkdir -p "$1"
    "$PY" "$HERE/tcp_fault.py" --mode "$2" --ready-file "$1/fault.json" 2>"$1/fault.err" &
    FAULT_PID=$!
    local i
    for i in $(seq 50); do [ -s "$1/fault.json" ] && break; sleep 0.1; done
    FPORT=$(jget "$1/fault.json" 'd["port"]')
}

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
    print("  measured: generated %s | %s generated %s delivered %s dropped %s retries %d requests %d errors %s" % (
        {k: s["generated"][k] for k in ("spans", "logs", "metric_points")}, e["name"], e["generated"],
        e["delivered"], e["dropped"], e["retries"], e["requests"], e["errors"]))
EOF
}

# exact DIR LABEL: per signal, the exporter's generated = delivered + dropped, and for OTLP the
# exporter's generated is the run's generated (remote-write counts samples, not points).
exact() {
    jcheck "$2: generated = delivered + dropped per signal" "$1/summary.json" \
        "all(e['generated'][k] == e['delivered'][k] + e['dropped'][k] for e in d['exporters'] for k in e['generated']) and all(e['generated'][k] == d['generated'][k] for e in d['exporters'] if e['name'] != 'remote-write' for k in e['generated'])"
}

# down_line DIR LABEL EXPECTED_COUNT
down_line() {
    local n
    n=$(grep -c "^sigsynth run: .* down: every request failed for .* s (.*); dropping the rest$" "$1/stderr")
    check "$2: $3 'down' line(s) on stderr (found $n)" [ "$n" = "$3" ]
}

rc_is() { check "$2: exit $3 (got $(cat "$1/rc"))" [ "$(cat "$1/rc")" = "$3" ]; }
within() { check "$2: ended within $3 s (took $(cat "$1/elapsed") s)" "$PY" -c "import sys; sys.exit(not $(cat "$1/elapsed") < $3)"; }

T0=$(date +%s)

# ---- (a) defaults only, nothing listening on a free port
for KIND in grpc http rw; do
    echo; echo "== (a) 20 m backfill, defaults only, dead $KIND endpoint"
    D=$TMP/a-$KIND
    mkdir -p "$D"
    PORT=$(free_port)
    case $KIND in
    grpc) EP=(--otlp-endpoint "127.0.0.1:$PORT" "${GRPC_ARGS[@]}") ;;
    http) EP=(--otlp-endpoint "http://127.0.0.1:$PORT") ;;
    rw) EP=(--remote-write-url "http://user:hunter2@127.0.0.1:$PORT/api/v1/write") ;;
    esac
    run_sigsynth "$D" --duration 20m "${EP[@]}"
    show "$D"
    within "$D" "(a) $KIND" 60
    rc_is "$D" "(a) $KIND" 1
    down_line "$D" "(a) $KIND" 1
    exact "$D" "(a) $KIND"
    jcheck "(a) $KIND delivered 0, 'endpoint down' counted, run marked interrupted" "$D/summary.json" \
        "d['interrupted'] and all(v == 0 for v in d['exporters'][0]['delivered'].values()) and d['exporters'][0]['errors'].get('endpoint down', 0) > 0"
    N=$(grep -c "hunter2" "$D/stderr")
    check "(a) $KIND URL password not printed (found $N)" [ "$N" = 0 ]
done

# ---- (b) accepts, never answers
for KIND in grpc http rw; do
    echo; echo "== (b) stalling receiver, $KIND (timeout 1s, give up after 3s)"
    D=$TMP/b-$KIND
    start_fault "$D" stall
    case $KIND in
    grpc) EP=(--otlp-endpoint "127.0.0.1:$FPORT" "${GRPC_ARGS[@]}" --otlp-timeout 1s); KINDERR=DEADLINE_EXCEEDED ;;
    http) EP=(--otlp-endpoint "http://127.0.0.1:$FPORT" --otlp-timeout 1s); KINDERR=timeout ;;
    rw) EP=(--remote-write-url "http://127.0.0.1:$FPORT/api/v1/write" --remote-write-timeout 1s); KINDERR=timeout ;;
    esac
    run_sigsynth "$D" --duration 20m "${EP[@]}" --give-up-after 3s
    stop_fault
    show "$D"
    within "$D" "(b) $KIND" 20
    rc_is "$D" "(b) $KIND" 1
    down_line "$D" "(b) $KIND" 1
    exact "$D" "(b) $KIND"
    jcheck "(b) $KIND errors name '$KINDERR', nothing delivered" "$D/summary.json" \
        "d['exporters'][0]['errors'].get('$KINDERR', 0) > 0 and all(v == 0 for v in d['exporters'][0]['delivered'].values())"
done

# ---- (c) reset / closed without an answer (OTLP/HTTP)
for MODE in reset close; do
    echo; echo "== (c) connection $MODE, http (give up after 2s)"
    D=$TMP/c-$MODE
    start_fault "$D" $MODE
    run_sigsynth "$D" --duration 20m --otlp-endpoint "http://127.0.0.1:$FPORT" --give-up-after 2s
    stop_fault
    show "$D"
    within "$D" "(c) $MODE" 20
    rc_is "$D" "(c) $MODE" 1
    down_line "$D" "(c) $MODE" 1
    exact "$D" "(c) $MODE"
    jcheck "(c) $MODE counted as 'connection failed', retried" "$D/summary.json" \
        "d['exporters'][0]['errors'].get('connection failed', 0) > 0 and d['exporters'][0]['retries'] > 0"
done

# ---- (d) flapping: 503 for the first 2 s (give up after 5 s: not down), then for the first
#      8 s (give up after 2 s: down)
echo; echo "== (d) HTTP 503 for the first 2 s, --give-up-after 5s: recovers, not down"
D=$TMP/d-recover
start_receiver "$D" --fault 503-for-2 --grpc-port -1 || check "receiver started" false
run_sigsynth "$D" --duration 2m --otlp-endpoint "http://127.0.0.1:$HTTP_PORT" --give-up-after 5s
stop_receiver "$D"
show "$D"
rc_is "$D" "(d) recover" 0
down_line "$D" "(d) recover" 0
exact "$D" "(d) recover"
jcheck "(d) recover: everything delivered after retries, receiver got it all" "$D/summary.json" \
    "all(v == 0 for v in d['exporters'][0]['dropped'].values()) and d['exporters'][0]['retries'] > 0 and d['exporters'][0]['errors'].get('HTTP 503', 0) > 0"
G=$(jget "$D/summary.json" "[d['generated'][k] for k in ('spans','logs','metric_points')]")
R=$(jget "$D/report.json" "[d['counts'][k] for k in ('spans','logs','data_points')]")
check "(d) recover: receiver got exactly the generated items ($R vs $G)" [ "$G" = "$R" ]

echo; echo "== (d) HTTP 503 every other 0.5 s, --give-up-after 2s: flapping, not down"
D=$TMP/d-flap
start_receiver "$D" --fault flap-0.5 --grpc-port -1 || check "receiver started" false
run_sigsynth "$D" --duration 2m --otlp-endpoint "http://127.0.0.1:$HTTP_PORT" --give-up-after 2s
stop_receiver "$D"
show "$D"
rc_is "$D" "(d) flap" 0
down_line "$D" "(d) flap" 0
exact "$D" "(d) flap"
jcheck "(d) flap: nothing dropped" "$D/summary.json" "all(v == 0 for v in d['exporters'][0]['dropped'].values())"

echo; echo "== (d) HTTP 503 for the first 8 s, --give-up-after 2s: down"
D=$TMP/d-down
start_receiver "$D" --fault 503-for-8 --grpc-port -1 || check "receiver started" false
run_sigsynth "$D" --duration 20m --otlp-endpoint "http://127.0.0.1:$HTTP_PORT" --give-up-after 2s
stop_receiver "$D"
show "$D"
within "$D" "(d) down" 20
rc_is "$D" "(d) down" 1
down_line "$D" "(d) down" 1
exact "$D" "(d) down"
N=$(grep -c "down: every request failed for .* s (HTTP 503: down for a while (test fault))" "$D/stderr")
check "(d) down: the line names the last error (found $N)" [ "$N" = 1 ]

# ---- (e) --give-up-after 0: never down; the retry budget drops each request
echo; echo "== (e) --give-up-after 0, dead endpoint, --retry-max-time 1s"
D=$TMP/e
mkdir -p "$D"
run_sigsynth "$D" --duration 20s --otlp-endpoint "http://127.0.0.1:$(free_port)" --give-up-after 0 --retry-max-time 1s
show "$D"
rc_is "$D" "(e)" 1
down_line "$D" "(e)" 0
exact "$D" "(e)"
jcheck "(e) dropped as 'retries exhausted', never 'endpoint down'" "$D/summary.json" \
    "d['exporters'][0]['errors'].get('retries exhausted', 0) > 0 and 'endpoint down' not in d['exporters'][0]['errors']"

# ---- (f) SIGINT 2 s into a run against a stuck receiver, with the CLI's default flush deadline
#      (--shutdown-timeout 10s) and a request timeout of 30 s: the attempt in flight is cut at
#      the flush deadline instead of running to its own timeout
for KIND in grpc http; do
    echo; echo "== (f) SIGINT against a stalling $KIND receiver, --otlp-timeout 30s"
    D=$TMP/f-$KIND
    start_fault "$D" stall
    if [ $KIND = grpc ]; then EP=(--otlp-endpoint "127.0.0.1:$FPORT" "${GRPC_ARGS[@]}"); else EP=(--otlp-endpoint "http://127.0.0.1:$FPORT"); fi
    T1=$(date +%s.%N)
    timeout -s KILL 60 "$BIN" run "$SCEN" "${COMMON_RUN[@]}" --summary "$D/summary.json" --duration 20m \
        "${EP[@]}" --otlp-timeout 30s >"$D/stdout" 2>"$D/stderr" &
    SPID=$!
    sleep 2
    T2=$(date +%s.%N)
    kill -INT $SPID
    wait $SPID
    echo $? >"$D/rc"
    T3=$(date +%s.%N)
    stop_fault
    AFTER=$("$PY" -c "print('%.2f' % ($T3 - $T2))")
    echo "  exit $(cat "$D/rc") $AFTER s after SIGINT"
    sed 's/^/  | /' "$D/stderr"
    show "$D"
    check "(f) $KIND ended within the 10 s flush deadline + 3 s after SIGINT (took $AFTER s)" \
        "$PY" -c "import sys; sys.exit(not $AFTER < 13)"
    check "(f) $KIND exit non-zero (got $(cat "$D/rc"))" [ "$(cat "$D/rc")" != 0 ]
    exact "$D" "(f) $KIND"
    jcheck "(f) $KIND the cut requests counted as 'shutdown timeout'" "$D/summary.json" \
        "d['interrupted'] and d['exporters'][0]['errors'].get('shutdown timeout', 0) > 0"
done

# ---- (g) a second SIGINT 1 s after the first, while the shutdown waits for the stuck
#      receiver: exits at once (130, the one-line message, no summary)
echo; echo "== (g) second SIGINT during the shutdown"
D=$TMP/g
start_fault "$D" stall
"$BIN" run "$SCEN" "${COMMON_RUN[@]}" --summary "$D/summary.json" --duration 20m \
    --otlp-endpoint "http://127.0.0.1:$FPORT" --otlp-timeout 30s --shutdown-timeout 30s \
    >"$D/stdout" 2>"$D/stderr" &
SPID=$!
sleep 2
kill -INT $SPID
sleep 1
T2=$(date +%s.%N)
kill -INT $SPID
( sleep 20; kill -KILL $SPID 2>/dev/null ) &
KPID=$!
wait $SPID
echo $? >"$D/rc"
T3=$(date +%s.%N)
kill $KPID 2>/dev/null
stop_fault
AFTER=$("$PY" -c "print('%.2f' % ($T3 - $T2))")
sed 's/^/  | /' "$D/stderr"
check "(g) exit 130 (got $(cat "$D/rc"))" [ "$(cat "$D/rc")" = 130 ]
check "(g) gone within 2 s of the second SIGINT (took $AFTER s)" "$PY" -c "import sys; sys.exit(not $AFTER < 2)"
check "(g) says it exits at once" grep -q "second signal, exiting now" "$D/stderr"
check "(g) no summary (it would have been a partial one)" [ ! -e "$D/summary.json" ]

echo "total $(( $(date +%s) - T0 )) s"
finish
