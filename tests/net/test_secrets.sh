#!/usr/bin/env bash
# Secrets and header injection, end to end through the real CLI.
#
#   tests/net/test_secrets.sh BIN ROOT
#
# Plants a distinct secret (every one contains "SECRET") on every path a
# credential can take: --otlp-header (HTTP and gRPC), OTEL_EXPORTER_OTLP_HEADERS,
# OTEL_EXPORTER_OTLP_TRACES_HEADERS, --remote-write-header, a bearer token
# file, a basic-auth password file, and user:password@ in every URL flag
# (--otlp-endpoint, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_*_ENDPOINT,
# --remote-write-url, --verify-prometheus, --verify-alertmanager, verify
# --prometheus/--alertmanager). Then greps everything sigsynth wrote (stdout,
# stderr, --summary, report.md/json/svg) for "SECRET":
#   * success paths: otlp_receiver.py (HTTP and gRPC), a recording HTTP
#     receiver (secrets_receiver.py) for remote-write, a real Prometheus 2.42
#     and Alertmanager for verify; each check also proves the secret did
#     reach the receiver, so its absence from the output means something;
#   * failure paths: nothing listening, 401 from the receiver, bad flag
#     combinations; where a URL is printed, its redacted form must be there.
# Injection: CR/LF/NUL through every source must exit 2 with an error naming
# the flag, variable or file and not echoing the value, and the receivers must
# see no request at all from those runs.
set -u
BIN=${1:?usage: test_secrets.sh BIN ROOT}
ROOT=${2:?usage: test_secrets.sh BIN ROOT}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
prometheus=${PROMETHEUS:-/usr/bin/prometheus}
alertmanager=${ALERTMANAGER:-/usr/bin/prometheus-alertmanager}
for v in $(env | sed -n 's/^\(OTEL_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done

OK_PID= DENY_PID= PROM_PID= AM_PID=
stop_pid() {
    local pid=$1
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}
all_cleanup() {
    stop_pid "$OK_PID"; stop_pid "$DENY_PID"; stop_pid "$PROM_PID"; stop_pid "$AM_PID"
    cleanup
}
trap all_cleanup EXIT

mkdir -p "$TMP/c" "$TMP/sec" "$TMP/recv"
S=$TMP/s.yaml
cat >"$S" <<'EOF'
version: 1
name: secrets-tiny
duration: 4s
seed: 3
services:
  api:
    instances: 1
    operations:
      "GET /x":
        latency: {p50: 5ms, p99: 20ms}
        calls:
          - {to: db.query, timeout: 1s}
  db:
    kind: database
    system: postgresql
    operations:
      query: {latency: {p50: 1ms, p99: 5ms}}
traffic:
  entrypoints:
    - {to: api."GET /x", rate: 20/s}
expect:
  alerts:
    - alert: SecretsNeverFires
      fires: never
EOF

# ---------------------------------------------------------------- helpers
# sx NAME [VAR=VALUE...] -- ARGS...: runs BIN ARGS in $TMP/c/NAME (out, err, rc).
sx() {
    local name=$1 d envs=()
    shift
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
    shift
    d=$TMP/c/$name
    mkdir -p "$d"
    (cd "$d" && env "${envs[@]}" timeout -s KILL 90 "$BIN" "$@" >"$d/out" 2>"$d/err")
    echo $? >"$d/rc"
    echo "  [$name] exit $(cat "$d/rc")"
    sed 's/^/  | /' "$d/err" | head -n 6
}
rc_is() { [ "$(cat "$TMP/c/$1/rc")" = "$2" ]; }
# clean NAME: no secret (and no injected text) in anything sigsynth wrote.
clean() { ! grep -rqa -e SECRET -e evil "$TMP/c/$1"; }
has() { grep -qaF -- "$2" "$TMP/c/$1/err" "$TMP/c/$1/out"; }
# both NAME RC: the exit code and a clean output
both() { rc_is "$1" "$2" && clean "$1"; }

start_recorder() {   # start_recorder NAME STATUS: sets REC_PID, REC_PORT
    local dir=$TMP/recv/$1
    mkdir -p "$dir"
    "$PY" "$HERE/secrets_receiver.py" --log "$dir/log.jsonl" --port-file "$dir/port" \
        --status "$2" 2>"$dir/err" &
    REC_PID=$!
    for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.1; done
    REC_PORT=$(cat "$dir/port" 2>/dev/null)
    touch "$dir/log.jsonl"
    [ -n "$REC_PORT" ]
}
lines() { wc -l <"$1" | tr -d ' '; }
otlp_requests() { "$PY" -c 'import json,sys,urllib.request; print(len(json.load(urllib.request.urlopen(sys.argv[1]))["requests"]))' "http://127.0.0.1:$HTTP_PORT/report"; }
# recv_saw FILTER-EXPR: some request of the OTLP receiver (as r) makes EXPR true
otlp_saw() { "$PY" - "http://127.0.0.1:$HTTP_PORT/report" "$1" <<'EOF'
import json, sys, urllib.request, base64
reqs = json.load(urllib.request.urlopen(sys.argv[1]))["requests"]
sys.exit(0 if any(eval(sys.argv[2], {"r": r, "h": r["headers"], "json": json, "b64": lambda s: base64.b64encode(s.encode()).decode()}) for r in reqs) else 1)
EOF
}
rec_saw() {  # rec_saw LOG EXPR (r, h)
    "$PY" - "$1" "$2" <<'EOF'
import json, sys, base64
reqs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sys.exit(0 if any(eval(sys.argv[2], {"r": r, "h": r["headers"], "json": json, "b64": lambda s: base64.b64encode(s.encode()).decode()}) for r in reqs) else 1)
EOF
}
http_ok() { "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$1" 2>/dev/null; }
wait_ready() { for _ in $(seq 150); do kill -0 "$1" 2>/dev/null || return 1; http_ok "$2" && return 0; sleep 0.1; done; return 1; }

# ---------------------------------------------------------------- receivers
start_receiver "$TMP/recv/otlp" || { echo "FAIL setup: otlp receiver"; exit 1; }
start_recorder ok 0 || { echo "FAIL setup: recorder"; exit 1; }
OK_PID=$REC_PID OK_PORT=$REC_PORT OK_LOG=$TMP/recv/ok/log.jsonl
start_recorder deny 401 || { echo "FAIL setup: 401 recorder"; exit 1; }
DENY_PID=$REC_PID DENY_PORT=$REC_PORT DENY_LOG=$TMP/recv/deny/log.jsonl
CLOSED=$(free_port)   # nothing listens there

cat >"$TMP/am.yml" <<'EOF'
route: {receiver: "null"}
receivers: [{name: "null"}]
EOF
for _ in 1 2 3; do
    p=$(free_port)
    "$alertmanager" --config.file="$TMP/am.yml" --storage.path="$TMP/am" \
        --web.listen-address="127.0.0.1:$p" --cluster.listen-address= >"$TMP/am.log" 2>&1 &
    AM_PID=$!
    if wait_ready "$AM_PID" "http://127.0.0.1:$p/-/ready"; then AM_PORT=$p; break; fi
    stop_pid "$AM_PID"; AM_PID=
done
printf 'global: {evaluation_interval: 1s}\n' >"$TMP/prom.yml"
for _ in 1 2 3; do
    p=$(free_port)
    "$prometheus" --config.file="$TMP/prom.yml" --storage.tsdb.path="$TMP/prom" \
        --web.listen-address="127.0.0.1:$p" >"$TMP/prom.log" 2>&1 &
    PROM_PID=$!
    if wait_ready "$PROM_PID" "http://127.0.0.1:$p/-/ready"; then PROM_PORT=$p; break; fi
    stop_pid "$PROM_PID"; PROM_PID=
done
[ -n "${AM_PORT:-}" ] && [ -n "${PROM_PORT:-}" ] || { echo "FAIL setup: prometheus/alertmanager"; exit 1; }
echo "otlp receiver http $HTTP_PORT grpc $GRPC_PORT; recorder $OK_PORT, 401 recorder $DENY_PORT;" \
     "prometheus $PROM_PORT, alertmanager $AM_PORT; closed port $CLOSED"

printf 'SECRETtokFILE5\n' >"$TMP/sec/token"          # echo-style trailing newline
printf 'SECRETpwFILE6 with space\r\n' >"$TMP/sec/password"   # editor-style CRLF
RUN=(run "$S" --metric-interval 1s --retry-max-time 1s --shutdown-timeout 2s)
H=http://127.0.0.1:$HTTP_PORT
RW=http://127.0.0.1:$OK_PORT/api/v1/write

echo "== success paths"
sx otlp_http -- "${RUN[@]}" --summary summary.json \
    --otlp-endpoint "http://u1:SECRETurlOTLP7@127.0.0.1:$HTTP_PORT" \
    --otlp-header x-api-key=SECRETflagOTLP1 --otlp-header $'x-tab=a\tb'
check "otlp/http: exit 0, nothing printed" both otlp_http 0
check "otlp/http: flag header, tab value and URL basic auth arrived" otlp_saw \
    'h.get("x-api-key") == "SECRETflagOTLP1" and h.get("x-tab") == "a\tb" and h.get("authorization") == "Basic " + b64("u1:SECRETurlOTLP7")'
sx otlp_grpc -- "${RUN[@]}" --summary summary.json --otlp-protocol grpc \
    --otlp-endpoint "http://127.0.0.1:$GRPC_PORT" --otlp-header x-api-key=SECRETflagGRPC14
check "otlp/grpc: exit 0, nothing printed" both otlp_grpc 0
check "otlp/grpc: metadata arrived" otlp_saw 'r["transport"] == "grpc" and h.get("x-api-key") == "SECRETflagGRPC14"'
sx env_generic OTEL_EXPORTER_OTLP_HEADERS='authorization=Bearer%20SECRETenvGEN3,x-b=v' \
    "OTEL_EXPORTER_OTLP_ENDPOINT=http://u2:SECRETurlENV15@127.0.0.1:$HTTP_PORT" -- "${RUN[@]}" --summary summary.json
check "env headers + env endpoint: exit 0, nothing printed" both env_generic 0
check "env headers: percent-decoded header arrived" otlp_saw 'h.get("authorization") == "Bearer SECRETenvGEN3"'
sx env_signal OTEL_EXPORTER_OTLP_TRACES_HEADERS=x-sig=SECRETenvTRACES4 \
    OTEL_EXPORTER_OTLP_HEADERS=x-gen=SECRETenvGENshadowed \
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://u3:SECRETurlSIG8@127.0.0.1:$HTTP_PORT/v1/traces" \
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=http://u3:SECRETurlSIG8m@127.0.0.1:$HTTP_PORT/v1/metrics" \
    -- "${RUN[@]}" --summary summary.json
check "per-signal env headers + endpoints: exit 0, nothing printed" both env_signal 0
check "per-signal: TRACES_ headers and per-signal URL auth arrived" otlp_saw \
    'r["path"] == "/v1/traces" and h.get("x-sig") == "SECRETenvTRACES4" and h.get("authorization") == "Basic " + b64("u3:SECRETurlSIG8")'
sx rw_url -- "${RUN[@]}" --summary summary.json \
    --remote-write-url "http://u5:SECRETurlRW9@127.0.0.1:$OK_PORT/api/v1/write" \
    --remote-write-header X-Scope-OrgID=SECRETflagRW2
check "remote-write URL userinfo + header: exit 0, nothing printed" both rw_url 0
check "remote-write: header and URL basic auth arrived" rec_saw "$OK_LOG" \
    'h.get("x-scope-orgid") == "SECRETflagRW2" and h.get("authorization") == "Basic " + b64("u5:SECRETurlRW9")'
sx rw_bearer -- "${RUN[@]}" --summary summary.json --remote-write-url "$RW" \
    --remote-write-bearer-token-file "$TMP/sec/token"
check "bearer token file (trailing newline): exit 0, nothing printed" both rw_bearer 0
check "bearer token arrived without the newline" rec_saw "$OK_LOG" 'h.get("authorization") == "Bearer SECRETtokFILE5"'
sx rw_basic -- "${RUN[@]}" --summary summary.json --remote-write-url "$RW" \
    --remote-write-basic-auth-user drill --remote-write-basic-auth-password-file "$TMP/sec/password"
check "password file (CRLF end, inner space): exit 0, nothing printed" both rw_basic 0
check "basic auth arrived without the CRLF" rec_saw "$OK_LOG" \
    'h.get("authorization") == "Basic " + b64("drill:SECRETpwFILE6 with space")'
sx run_verify -- "${RUN[@]}" --summary summary.json --output files \
    --verify-prometheus "http://u8:SECRETurlVP10@127.0.0.1:$PROM_PORT" \
    --verify-alertmanager "http://u9:SECRETurlVA11@127.0.0.1:$AM_PORT" \
    --verify-poll 500ms --verify-report report
check "run --verify-* with userinfo against Prometheus+Alertmanager: exit 0, nothing printed" both run_verify 0
check "run --verify-*: every poll succeeded, report written" \
    eval 'grep -qE "polls every [^,]*, 0 failed" "$TMP/c/run_verify/out" && [ -s "$TMP/c/run_verify/report/report.json" ]'
sx verify -- verify "$S" --start now --poll 500ms --report report \
    --prometheus "http://u10:SECRETurlVERP12@127.0.0.1:$PROM_PORT" \
    --alertmanager "http://u11:SECRETurlVERA13@127.0.0.1:$AM_PORT"
check "verify with userinfo against Prometheus+Alertmanager: exit 0, nothing printed" both verify 0
check "verify: every poll succeeded, report written" \
    eval 'grep -qE "polls every [^,]*, 0 failed" "$TMP/c/verify/out" && [ -s "$TMP/c/verify/report/report.md" ] && [ -s "$TMP/c/verify/report/timeline.svg" ]'

echo "== failure paths"
sx down_http -- "${RUN[@]}" --summary summary.json --otlp-endpoint "http://u1:SECRETurlOTLP7@127.0.0.1:$CLOSED" \
    --otlp-header x-api-key=SECRETflagOTLP1
check "otlp/http, nothing listening: exit 1, nothing printed" both down_http 1
check "otlp/http, nothing listening: the failure is reported" has down_http "connection failed"
sx down_grpc -- "${RUN[@]}" --summary summary.json --otlp-protocol grpc --otlp-endpoint "http://127.0.0.1:$CLOSED" \
    --otlp-header x-api-key=SECRETflagGRPC14
check "otlp/grpc, nothing listening: exit 1, nothing printed" both down_grpc 1
sx down_rw -- "${RUN[@]}" --summary summary.json --remote-write-url "http://u5:SECRETurlRW9@127.0.0.1:$CLOSED/api/v1/write" \
    --remote-write-header X-Scope-OrgID=SECRETflagRW2
check "remote-write, nothing listening: exit 1, nothing printed" both down_rw 1
sx down_rw_tok -- "${RUN[@]}" --summary summary.json --remote-write-url "http://127.0.0.1:$CLOSED/api/v1/write" \
    --remote-write-bearer-token-file "$TMP/sec/token"
check "remote-write bearer, nothing listening: exit 1, nothing printed" both down_rw_tok 1
sx deny_http -- "${RUN[@]}" --summary summary.json --otlp-endpoint "http://u1:SECRETurlOTLP7@127.0.0.1:$DENY_PORT" \
    --otlp-header x-api-key=SECRETflagOTLP1
check "otlp/http 401: exit 1, nothing printed" both deny_http 1
check "otlp/http 401: reported as HTTP 401" has deny_http "HTTP 401"
sx deny_rw -- "${RUN[@]}" --summary summary.json --remote-write-url "http://127.0.0.1:$DENY_PORT/api/v1/write" \
    --remote-write-basic-auth-user drill --remote-write-basic-auth-password-file "$TMP/sec/password"
check "remote-write 401: exit 1, nothing printed" both deny_rw 1
check "401 receiver did get the credentials" rec_saw "$DENY_LOG" \
    'h.get("authorization") == "Basic " + b64("drill:SECRETpwFILE6 with space")'
sx down_verify -- verify "$S" --start now --poll 500ms --report report \
    --prometheus "http://u10:SECRETurlVERP12@127.0.0.1:$CLOSED" --alertmanager "http://SECRETtokenAsUser16@127.0.0.1:$CLOSED"
check "verify, nothing listening: exit 1, nothing printed" both down_verify 1
check "verify, nothing listening: redacted token-as-user URL (the last error)" has down_verify "http://***@127.0.0.1:$CLOSED/api/v2/alerts"
sx down_verify_prom -- verify "$S" --start now --poll 500ms --prometheus "http://u10:SECRETurlVERP12@127.0.0.1:$CLOSED"
check "verify --prometheus, nothing listening: exit 1, nothing printed" both down_verify_prom 1
check "verify --prometheus, nothing listening: redacted URL in the error" has down_verify_prom "http://u10:***@127.0.0.1:$CLOSED/api/v1/alerts"
sx deny_verify -- verify "$S" --start now --poll 500ms --report report \
    --prometheus "http://u10:SECRETurlVERP12@127.0.0.1:$DENY_PORT"
check "verify, 401: exit 1, nothing printed" both deny_verify 1
check "verify, 401: status and redacted URL in the error" \
    has deny_verify "http://u10:***@127.0.0.1:$DENY_PORT/api/v1/alerts: unexpected HTTP status 401"
sx down_run_verify -- "${RUN[@]}" --summary summary.json --output files --verify-poll 500ms --verify-report report \
    --verify-prometheus "http://u8:SECRETurlVP10@127.0.0.1:$CLOSED" --verify-alertmanager "http://u9:SECRETurlVA11@127.0.0.1:$CLOSED"
check "run --verify-*, nothing listening: exit 1, nothing printed" both down_run_verify 1
check "run --verify-*, nothing listening: redacted URL in the report lines" has down_run_verify "http://u9:***@127.0.0.1:$CLOSED"
sx combo_both -- "${RUN[@]}" --remote-write-url "http://u5:SECRETurlRW9@127.0.0.1:$OK_PORT/" \
    --remote-write-bearer-token-file "$TMP/sec/token" --remote-write-basic-auth-user drill \
    --remote-write-basic-auth-password-file "$TMP/sec/password"
check "bearer and basic auth together: exit 2, nothing printed" both combo_both 2
sx combo_nopw -- "${RUN[@]}" --remote-write-url "$RW" --remote-write-basic-auth-user drill \
    --remote-write-header X-Scope-OrgID=SECRETflagRW2
check "basic user without password file: exit 2, nothing printed" both combo_nopw 2
sx combo_grpc_userinfo -- "${RUN[@]}" --otlp-protocol grpc --otlp-endpoint "http://u1:SECRETurlOTLP7@127.0.0.1:$GRPC_PORT"
check "gRPC endpoint with userinfo: exit 2, nothing printed" both combo_grpc_userinfo 2
check "gRPC endpoint with userinfo: says why" has combo_grpc_userinfo "gRPC endpoint takes no user:password@"
# (no --otlp-header before the bad flag: run's usage errors do not free the
# parsed headers yet, which LeakSanitizer reports in the ASan build)
sx combo_unknown -- "${RUN[@]}" --otlp-endpoint "http://u1:SECRETurlOTLP7@127.0.0.1:$HTTP_PORT" \
    --remote-write-bearer-token-file "$TMP/sec/token" --no-such-flag SECRETvalue17
check "unknown flag after secrets: exit 2" rc_is combo_unknown 2
check "unknown flag after secrets: only the flag is echoed" eval '! grep -qa -e SECRETurl -e SECRETflag "$TMP/c/combo_unknown/err"'
printf '   \n' >"$TMP/sec/empty"
sx combo_empty -- "${RUN[@]}" --remote-write-url "$RW" --remote-write-bearer-token-file "$TMP/sec/empty"
check "blank token file: exit 2, names the file" eval 'rc_is combo_empty 2 && has combo_empty "$TMP/sec/empty is empty"'
head -c 5000 /dev/zero | tr '\0' 'a' >"$TMP/sec/big"
sx combo_big -- "${RUN[@]}" --remote-write-url "$RW" --remote-write-bearer-token-file "$TMP/sec/big"
check "token file over 4 KiB: exit 2 instead of a cut token" eval 'rc_is combo_big 2 && has combo_big "larger than 4 KiB"'

echo "== injection (every case: exit 2, the source named, value not echoed, nothing sent)"
otlp_before=$(otlp_requests)
ok_before=$(lines "$OK_LOG")
INJ=$'\r\nX-Injected: evil'
# inj NAME TEXT [VAR=VALUE...] -- ARGS...
inj() {
    local name=$1 text=$2
    shift 2
    sx "inj_$name" "$@"
    check "inject $name: exit 2, '$text' named, nothing echoed" \
        eval "rc_is inj_$name 2 && has inj_$name \"\$text\" && clean inj_$name"
}
printf 'SECRETtok\r\nX-Injected: evil\n' >"$TMP/sec/tok_crlf"
printf 'SECRETtok\0X-Injected: evil' >"$TMP/sec/tok_nul"
printf 'SECRETtok\nX-Injected: evil\n' >"$TMP/sec/tok_lf"
printf 'SECRETpw\nX-Injected: evil\n' >"$TMP/sec/pw_lf"
printf 'SECRETpw\0evil' >"$TMP/sec/pw_nul"
inj otlp_header_crlf "--otlp-header: the value of header 'k'" -- "${RUN[@]}" --otlp-endpoint "$H" --otlp-header "k=SECRETa$INJ"
inj otlp_header_lf "--otlp-header" -- "${RUN[@]}" --otlp-endpoint "$H" --otlp-header $'k=SECRETa\nX-Injected: evil'
inj otlp_header_cr "--otlp-header" -- "${RUN[@]}" --otlp-endpoint "$H" --otlp-header $'k=SECRETa\rX-Injected: evil'
inj otlp_header_name "--otlp-header: header names" -- "${RUN[@]}" --otlp-endpoint "$H" --otlp-header "X-Injected: evil${INJ}k=SECRETv"
inj otlp_header_grpc "--otlp-header" -- "${RUN[@]}" --otlp-protocol grpc --otlp-endpoint "http://127.0.0.1:$GRPC_PORT" \
    --otlp-header "k=SECRETa$INJ"
inj rw_header "--remote-write-header: the value of header 'X-A'" -- "${RUN[@]}" --remote-write-url "$RW" \
    --remote-write-header "X-A=SECRETb$INJ"
inj env_pct_crlf "OTEL_EXPORTER_OTLP_HEADERS: entry 2" 'OTEL_EXPORTER_OTLP_HEADERS=a=b,k=SECRETa%0D%0AX-Injected:%20evil' \
    -- "${RUN[@]}" --otlp-endpoint "$H"
inj env_pct_lf "OTEL_EXPORTER_OTLP_HEADERS: entry 1" 'OTEL_EXPORTER_OTLP_HEADERS=k=SECRETa%0aX-Injected:%20evil' \
    -- "${RUN[@]}" --otlp-endpoint "$H"
inj env_pct_nul "OTEL_EXPORTER_OTLP_HEADERS: entry 1" 'OTEL_EXPORTER_OTLP_HEADERS=k=SECRETa%00evil' -- "${RUN[@]}" --otlp-endpoint "$H"
inj env_raw_crlf "OTEL_EXPORTER_OTLP_HEADERS" "OTEL_EXPORTER_OTLP_HEADERS=k=SECRETa$INJ" -- "${RUN[@]}" --otlp-endpoint "$H"
inj env_traces "OTEL_EXPORTER_OTLP_TRACES_HEADERS: entry 1" 'OTEL_EXPORTER_OTLP_TRACES_HEADERS=k=SECRETa%0D%0AX-Injected:%20evil' \
    -- "${RUN[@]}" --otlp-endpoint "$H"
inj tok_crlf "bearer token file $TMP/sec/tok_crlf holds a control character" -- "${RUN[@]}" --remote-write-url "$RW" \
    --remote-write-bearer-token-file "$TMP/sec/tok_crlf"
inj tok_lf "bearer token file" -- "${RUN[@]}" --remote-write-url "$RW" --remote-write-bearer-token-file "$TMP/sec/tok_lf"
inj tok_nul "bearer token file $TMP/sec/tok_nul holds a control character" -- "${RUN[@]}" --remote-write-url "$RW" \
    --remote-write-bearer-token-file "$TMP/sec/tok_nul"
inj pw_lf "password file $TMP/sec/pw_lf holds a control character" -- "${RUN[@]}" --remote-write-url "$RW" \
    --remote-write-basic-auth-user drill --remote-write-basic-auth-password-file "$TMP/sec/pw_lf"
inj pw_nul "password file" -- "${RUN[@]}" --remote-write-url "$RW" \
    --remote-write-basic-auth-user drill --remote-write-basic-auth-password-file "$TMP/sec/pw_nul"
inj user_colon "--remote-write-basic-auth-user" -- "${RUN[@]}" --remote-write-url "$RW" \
    --remote-write-basic-auth-user drill:SECRETx --remote-write-basic-auth-password-file "$TMP/sec/password"
inj user_crlf "--remote-write-basic-auth-user: the user name holds a control character" -- "${RUN[@]}" --remote-write-url "$RW" \
    --remote-write-basic-auth-user "drill$INJ" --remote-write-basic-auth-password-file "$TMP/sec/password"
inj url_otlp "--otlp-endpoint: the URL holds" -- "${RUN[@]}" --otlp-endpoint "http://u:SECRETp@127.0.0.1:$HTTP_PORT/$INJ"
inj url_otlp_space "--otlp-endpoint: the URL holds" -- "${RUN[@]}" --otlp-endpoint "http://127.0.0.1:$HTTP_PORT/ x"
inj url_env "OTEL_EXPORTER_OTLP_ENDPOINT: the URL holds" "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$HTTP_PORT$INJ" -- "${RUN[@]}"
inj url_env_sig "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: the URL holds" \
    "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT=http://127.0.0.1:$HTTP_PORT/v1/logs$INJ" -- "${RUN[@]}"
inj url_rw "--remote-write-url: the URL holds" -- "${RUN[@]}" --remote-write-url "$RW$INJ"
inj url_verify "--prometheus: the URL holds" -- verify "$S" --start now --prometheus "http://127.0.0.1:$OK_PORT$INJ"
inj url_verify_am "--alertmanager: the URL holds" -- verify "$S" --start now --prometheus "http://127.0.0.1:$OK_PORT" \
    --alertmanager "http://127.0.0.1:$OK_PORT$INJ"
# run --verify-*: refused while the flags are read, before anything is sent.
sx inj_url_run_verify -- "${RUN[@]}" --output files --verify-prometheus "http://127.0.0.1:$OK_PORT$INJ"
check "inject run --verify-prometheus: refused (exit 2), nothing echoed" \
    eval 'rc_is inj_url_run_verify 2 && has inj_url_run_verify "--verify-prometheus: the URL holds" && clean inj_url_run_verify'
check "injection runs: the OTLP receiver saw no request" eval '[ "$(otlp_requests)" = "$otlp_before" ]'
check "injection runs: the recorder saw no request" eval '[ "$(lines "$OK_LOG")" = "$ok_before" ]'
check "no receiver ever saw an injected header" eval '! otlp_saw "\"x-injected\" in h or \"evil\" in json.dumps(r)" && ! grep -qi -e x-injected -e evil "$OK_LOG" "$DENY_LOG"'
# An ignored source stays ignored: METRICS_/LOGS_ headers are not read.
sx env_ignored 'OTEL_EXPORTER_OTLP_LOGS_HEADERS=k=a%0D%0AX-Injected:%20evil' -- "${RUN[@]}" --otlp-endpoint "$H"
check "OTEL_EXPORTER_OTLP_LOGS_HEADERS is ignored (exit 0), nothing injected" \
    eval 'rc_is env_ignored 0 && ! otlp_saw "\"x-injected\" in h"'

finish
