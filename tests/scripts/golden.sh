#!/usr/bin/env bash
# Decodes every encoder's output with protoc (not our code) and compares it
# with the golden text files. Usage: golden.sh ENCODE_DUMP ROOT [--update]
set -u
dump=$1
root=$2
update=${3:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
proto=$root/proto
golden=$root/tests/golden
pass=0
fail=0
"$dump" "$root/tests/data/golden.yaml" "$tmp" >/dev/null || { echo "encode_dump failed"; exit 1; }
decode() {   # decode FILE MESSAGE PROTO
  protoc -I "$proto" --decode="$2" "$proto/$3" <"$tmp/$1"
}
check() {    # check NAME FILE MESSAGE PROTO
  local name=$1 out
  if ! out=$(decode "$2" "$3" "$4" 2>&1); then
    echo "FAIL $name: protoc cannot decode it: $out"; fail=$((fail + 1)); return
  fi
  if [ "$update" = "--update" ]; then
    printf '%s\n' "$out" >"$golden/$name.txt"
    pass=$((pass + 1)); return
  fi
  if diff -u "$golden/$name.txt" <(printf '%s\n' "$out") >"$tmp/diff"; then
    pass=$((pass + 1))
  else
    echo "FAIL $name differs from tests/golden/$name.txt:"; head -40 "$tmp/diff"; fail=$((fail + 1))
  fi
}
T=opentelemetry/proto/collector/trace/v1/trace_service.proto
L=opentelemetry/proto/collector/logs/v1/logs_service.proto
M=opentelemetry/proto/collector/metrics/v1/metrics_service.proto
check otlp_traces traces.pb opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest $T
check otlp_logs logs.pb opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest $L
check otlp_metrics metrics.pb opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest $M
check otlp_metrics_nan metrics_nan.pb opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest $M
check otlp_metrics_inf metrics_inf.pb opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest $M
check otlp_metrics_neginf metrics_neginf.pb opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest $M
check remote_write remote_write.pb prometheus.WriteRequest prometheus/remote.proto
check remote_write_stale remote_write_stale.pb prometheus.WriteRequest prometheus/remote.proto
# Byte-level facts protoc's text output hides:
if od -An -tx1 -v "$tmp/traces.pb" | tr -s ' \n' ' ' | grep -q ' 85 01 '; then
  pass=$((pass + 1))   # Span.flags: field 16, fixed32 -> two-byte tag 0x85 0x01
else
  echo "FAIL Span.flags is not written with the two-byte tag 85 01"; fail=$((fail + 1))
fi
if od -An -tx1 -v "$tmp/remote_write_stale.pb" | tr -s ' \n' ' ' | grep -q '02 00 00 00 00 00 f0 7f'; then
  pass=$((pass + 1))   # the stale marker NaN, 0x7ff0000000000002 little-endian
else
  echo "FAIL the stale marker bits 0x7ff0000000000002 are missing"; fail=$((fail + 1))
fi
# The OTLP JSON of the same batch parses as JSON and uses hex ids.
if /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["resourceSpans"][0]["scopeSpans"][0]["spans"][0]; assert len(s["traceId"])==32 and len(s["spanId"])==16' "$tmp/traces.json"; then
  pass=$((pass + 1))
else
  echo "FAIL traces.json"; fail=$((fail + 1))
fi
echo "wire golden: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
