#!/usr/bin/env bash
# OTLP delivery end to end: sigsynth -> independent Python receiver (otlp_receiver.py) over
# gRPC, HTTP/protobuf+gzip and gRPC+gzip; counts, ids, headers, resources, no secret leak.
# usage: tests/net/test_otlp.sh BIN ROOT     (SX_NET_DURATION=2m, SX_KEEP=1 keeps the temp dir)
set -u
BIN=$(realpath "${1:?usage: test_otlp.sh BIN ROOT}")
ROOT=$(realpath "${2:?usage: test_otlp.sh BIN ROOT}")
source "$(dirname "$0")/lib.sh"
DURATION=${SX_NET_DURATION:-2m}
SECRET=secret123

# check_case DIR EXPORTER COMPRESSION(none|http-gzip|grpc-gzip): prints PASS/FAIL lines.
check_case() {
    "$PY" - "$@" <<'EOF'
import json, sys
d, exporter, compression = sys.argv[1:4]
rep = json.load(open(d + "/report.json"))
summ = json.load(open(d + "/summary.json"))
rc = int(open(d + "/rc").read())
out = open(d + "/stdout", errors="replace").read() + open(d + "/stderr", errors="replace").read()

def check(name, ok, detail=""):
    print(("PASS " if ok else "FAIL ") + name + (": " + detail if detail else ""))

gen = summ["generated"]
exps = [e for e in summ.get("exporters", []) if e["name"] == exporter]
check("summary has exporter " + exporter, len(exps) == 1, str([e["name"] for e in summ.get("exporters", [])]))
if not exps:
    sys.exit(0)
e = exps[0]
c = rep["counts"]
print("  measured: generated spans=%d logs=%d points=%d | delivered spans=%d logs=%d points=%d | "
      "received spans=%d logs=%d points=%d | dropped %s | requests summary=%d receiver=%d (%s) | "
      "retries=%d errors=%s" % (
          gen["spans"], gen["logs"], gen["metric_points"],
          e["delivered"]["spans"], e["delivered"]["logs"], e["delivered"]["metric_points"],
          c["spans"], c["logs"], c["data_points"], e["dropped"], e["requests"], c["requests_ok"],
          rep["per_signal_requests"], e["retries"], e["errors"]))
check("exit code 0", rc == 0, "got %d" % rc)
check("spans: received == generated == delivered", c["spans"] == gen["spans"] == e["delivered"]["spans"] > 0,
      "%d / %d / %d" % (c["spans"], gen["spans"], e["delivered"]["spans"]))
check("logs: received == generated == delivered", c["logs"] == gen["logs"] == e["delivered"]["logs"] > 0,
      "%d / %d / %d" % (c["logs"], gen["logs"], e["delivered"]["logs"]))
check("data points: received == generated == delivered",
      c["data_points"] == gen["metric_points"] == e["delivered"]["metric_points"] > 0,
      "%d / %d / %d" % (c["data_points"], gen["metric_points"], e["delivered"]["metric_points"]))
check("dropped all 0", all(v == 0 for v in e["dropped"].values()), str(e["dropped"]))
check("no duplicate span ids", rep["span_ids_unique"] == c["spans"],
      "%d unique of %d" % (rep["span_ids_unique"], c["spans"]))
check("receiver requests == summary requests, no faults/decode errors",
      c["requests_ok"] == e["requests"] and c["requests_faulted"] == 0 and not rep["errors"],
      "%d vs %d, errors %s" % (c["requests_ok"], e["requests"], rep["errors"][:3]))

span_traces = set(rep["trace_ids"])
log_traces = set(rep["log_trace_ids"])
missing = log_traces - span_traces
check("every log traceId is a received span traceId", not missing and len(log_traces) > 0,
      "%d log trace ids (%d logs without trace id), %d span trace ids, %d missing %s" % (
          len(log_traces), rep["logs_without_trace_id"], len(span_traces), len(missing), sorted(missing)[:3]))

reqs = rep["requests"]
with_token = [r for r in reqs if r["headers"].get("x-test-token") == "secret123"]
check("x-test-token=secret123 on every request", len(reqs) > 0 and len(with_token) == len(reqs),
      "%d of %d" % (len(with_token), len(reqs)))

bad = []
for r in rep["resources"]:
    a = r["attributes"]
    syn, scen, rid = a.get("sigsynth.synthetic"), a.get("sigsynth.scenario"), a.get("sigsynth.run_id")
    if syn != {"type": "bool", "value": True}:
        bad.append(("sigsynth.synthetic", syn))
    if scen != {"type": "string", "value": summ["scenario"]}:
        bad.append(("sigsynth.scenario", scen))
    if rid != {"type": "string", "value": summ["run_id"]}:
        bad.append(("sigsynth.run_id", rid))
nres = sum(rep["resource_count"].values())
check("every resource: sigsynth.synthetic=true (bool), sigsynth.scenario, sigsynth.run_id",
      nres > 0 and not bad, "%d resources (%d distinct), %d bad %s" % (nres, len(rep["resources"]), len(bad), bad[:3]))

check("secret123 not in sigsynth stdout/stderr", "secret123" not in out,
      "%d bytes of output" % len(out))

if compression == "http-gzip":
    enc = [r["headers"].get("content-encoding") for r in reqs]
    ctype = [r["headers"].get("content-type") for r in reqs]
    check("HTTP: Content-Encoding gzip + Content-Type application/x-protobuf on every request",
          all(x == "gzip" for x in enc) and all(x == "application/x-protobuf" for x in ctype),
          "wire %d bytes for %d payload bytes" % (sum(r["wire_bytes"] for r in reqs), rep["payload_bytes"]))
elif compression in ("grpc-gzip", "none"):
    wire, payload = rep["grpc_wire_bytes_in"], rep["payload_bytes"]
    ratio = wire / payload if payload else 0
    if compression == "grpc-gzip":
        check("gRPC gzip: client->server bytes on the wire < 50% of decoded payload", 0 < ratio < 0.5,
              "wire %d / payload %d = %.3f" % (wire, payload, ratio))
    else:
        check("gRPC uncompressed: bytes on the wire >= decoded payload", ratio >= 1.0,
              "wire %d / payload %d = %.3f" % (wire, payload, ratio))
EOF
}

run_case() {  # run_case NAME EXPORTER COMPRESSION sigsynth-args... ({GRPC}/{HTTP} = ports)
    local name=$1 exporter=$2 compression=$3
    shift 3
    local dir=$TMP/$name
    echo
    echo "== $name"
    if ! start_receiver "$dir" --grpc-relay; then
        check "$name: receiver started" false
        return
    fi
    local args=() a
    for a in "$@"; do
        a=${a//\{GRPC\}/$GRPC_PORT}
        args+=("${a//\{HTTP\}/$HTTP_PORT}")
    done
    run_sigsynth "$dir" --duration "$DURATION" --otlp-header "x-test-token=$SECRET" "${args[@]}"
    if ! stop_receiver "$dir"; then
        check "$name: receiver report written" false
        return
    fi
    local line crc
    check_case "$dir" "$exporter" "$compression" >"$dir/checks" 2>&1
    crc=$?
    while IFS= read -r line; do
        case $line in
            PASS\ *) PASS=$((PASS + 1)); echo "PASS $name: ${line#PASS }" ;;
            FAIL\ *) FAIL=$((FAIL + 1)); echo "FAIL $name: ${line#FAIL }" ;;
            *) echo "$line" ;;
        esac
    done <"$dir/checks"
    check "$name: checker ran (exit $crc)" [ "$crc" -eq 0 ]
}

T0=$(date +%s)
run_case grpc otlp-grpc none \
    --otlp-endpoint "127.0.0.1:{GRPC}" --otlp-protocol grpc --otlp-insecure true
run_case http-gzip otlp-http http-gzip \
    --otlp-endpoint "http://127.0.0.1:{HTTP}" --otlp-protocol http/protobuf --otlp-compression gzip
run_case grpc-gzip otlp-grpc grpc-gzip \
    --otlp-endpoint "127.0.0.1:{GRPC}" --otlp-protocol grpc --otlp-insecure true --otlp-compression gzip
echo "total $(( $(date +%s) - T0 )) s"
finish
