# Shared helpers for tests/net/test_*.sh (sourced, not run).
# Expects: BIN, ROOT set by the caller. Sets: PY, HERE, SCEN, TMP, PASS, FAIL.

PY=/usr/bin/python3          # Debian python: has grpcio + protobuf (pyenv python3 has neither)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCEN=$ROOT/scenarios/checkout-db-pool-exhaustion.yaml
COMMON_RUN=(--seed 7 --start 2026-01-01T00:00:00Z)
PASS=0
FAIL=0
RECV_PID=
TMP=$(mktemp -d "${SX_TMPDIR:-/tmp}/sigsynth-net.XXXXXX")

cleanup() {
    if [ -n "$RECV_PID" ]; then
        kill "$RECV_PID" 2>/dev/null
        wait "$RECV_PID" 2>/dev/null
    fi
    if [ -n "${SX_KEEP:-}" ]; then
        echo "kept $TMP"
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

check() {  # check NAME CONDITION-EXIT-STATUS  (use: check "name" test ...)
    local name=$1
    shift
    if "$@"; then
        PASS=$((PASS + 1))
        echo "PASS $name"
    else
        FAIL=$((FAIL + 1))
        echo "FAIL $name"
    fi
}

# jget FILE EXPR: evaluate a Python expression on the JSON in FILE (bound to d).
jget() {
    "$PY" - "$1" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2], {"d": d, "len": len, "sum": sum, "all": all, "any": any})
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
EOF
}

# start_receiver DIR [receiver args...]: sets RECV_PID, GRPC_PORT, HTTP_PORT.
start_receiver() {
    local dir=$1
    shift
    mkdir -p "$dir"
    "$PY" "$HERE/otlp_receiver.py" --grpc-port 0 --http-port 0 --report "$dir/report.json" \
        --ready-file "$dir/ports.json" "$@" >"$dir/receiver.out" 2>"$dir/receiver.err" &
    RECV_PID=$!
    local i
    for i in $(seq 100); do
        [ -s "$dir/ports.json" ] && break
        if ! kill -0 "$RECV_PID" 2>/dev/null; then
            echo "receiver died:"; cat "$dir/receiver.err"; RECV_PID=; return 1
        fi
        sleep 0.1
    done
    [ -s "$dir/ports.json" ] || { echo "receiver not ready after 10 s"; return 1; }
    GRPC_PORT=$(jget "$dir/ports.json" 'd.get("grpc_port", -1)')
    HTTP_PORT=$(jget "$dir/ports.json" 'd.get("http_port", -1)')
}

# stop_receiver DIR: SIGTERM, wait for the report.
stop_receiver() {
    local dir=$1
    [ -n "$RECV_PID" ] || return 1
    kill -TERM "$RECV_PID"
    wait "$RECV_PID"
    RECV_PID=
    if [ -s "$dir/receiver.err" ]; then echo "receiver stderr:"; sed 's/^/  /' "$dir/receiver.err"; fi
    [ -s "$dir/report.json" ]
}

# run_sigsynth DIR ARGS...: runs `sigsynth run SCEN` into DIR (stdout, stderr, summary.json, rc,
# elapsed seconds in DIR/elapsed). Killed after 90 s so a hang fails instead of blocking.
run_sigsynth() {
    local dir=$1
    shift
    local t0 t1 rc
    t0=$(date +%s.%N)
    timeout -s KILL 90 "$BIN" run "$SCEN" "${COMMON_RUN[@]}" --summary "$dir/summary.json" "$@" \
        >"$dir/stdout" 2>"$dir/stderr"
    rc=$?
    t1=$(date +%s.%N)
    echo "$rc" >"$dir/rc"
    "$PY" -c "print('%.2f' % ($t1 - $t0))" >"$dir/elapsed"
    echo "  sigsynth exit $rc in $(cat "$dir/elapsed") s"
    [ -s "$dir/stderr" ] && sed 's/^/  | /' "$dir/stderr"
    return 0
}

free_port() {
    "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

finish() {
    echo
    echo "$PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ]
}
