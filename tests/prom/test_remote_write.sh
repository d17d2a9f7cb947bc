#!/usr/bin/env bash
# End-to-end remote-write test against a real Prometheus (2.42, /usr/bin/prometheus).
#
#   tests/prom/test_remote_write.sh BIN ROOT
#
# Starts a private Prometheus with the remote-write receiver on a free 127.0.0.1 port,
# backfills the first 30 minutes of the flagship scenario (ending now) into it, then checks
# with PromQL that what Prometheus stored matches sigsynth's own summary. See README.md.
set -u
bin=${1:?usage: test_remote_write.sh BIN ROOT}
root=${2:?usage: test_remote_write.sh BIN ROOT}
prometheus=${PROMETHEUS:-/usr/bin/prometheus}
python=/usr/bin/python3
scenario=$root/scenarios/checkout-db-pool-exhaustion.yaml

for f in "$bin" "$prometheus" "$python"; do
  if [ ! -x "$f" ]; then echo "FAIL setup: $f is not executable"; echo "0 passed, 1 failed"; exit 1; fi
done
if [ ! -r "$scenario" ]; then echo "FAIL setup: no $scenario"; echo "0 passed, 1 failed"; exit 1; fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sigsynth-prom.XXXXXX")
prom_pid=
cleanup() {
  if [ -n "$prom_pid" ] && kill -0 "$prom_pid" 2>/dev/null; then
    kill "$prom_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$prom_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$prom_pid" 2>/dev/null
    wait "$prom_pid" 2>/dev/null
  fi
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat >"$tmp/prom.yml" <<'EOF'
global:
  evaluation_interval: 5s
EOF

free_port() {
  "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Start Prometheus; retry with another port if the one we picked was taken meanwhile.
port=
for attempt in 1 2 3; do
  p=$(free_port)
  rm -rf "$tmp/data"
  "$prometheus" --config.file="$tmp/prom.yml" --storage.tsdb.path="$tmp/data" \
    --web.listen-address="127.0.0.1:$p" --web.enable-remote-write-receiver \
    >"$tmp/prometheus.log" 2>&1 &
  prom_pid=$!
  for _ in $(seq 150); do
    kill -0 "$prom_pid" 2>/dev/null || break
    if "$python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
      "http://127.0.0.1:$p/-/ready" 2>/dev/null; then
      port=$p
      break
    fi
    sleep 0.1
  done
  [ -n "$port" ] && break
  kill "$prom_pid" 2>/dev/null; wait "$prom_pid" 2>/dev/null; prom_pid=
  echo "prometheus did not become ready on port $p (attempt $attempt)"; tail -5 "$tmp/prometheus.log"
done
if [ -z "$port" ]; then echo "FAIL setup: prometheus did not start"; echo "0 passed, 1 failed"; exit 1; fi
echo "prometheus pid $prom_pid ready on 127.0.0.1:$port"

"$bin" explain --samples 1000 "$scenario" >"$tmp/explain.txt" 2>&1

run_start=$(date +%s.%N)
"$bin" run "$scenario" --seed 42 --start -30m --duration 30m \
  --remote-write-url "http://127.0.0.1:$port/api/v1/write" --summary "$tmp/s.json" \
  >"$tmp/run.out" 2>"$tmp/run.err"
run_rc=$?
run_end=$(date +%s.%N)
echo "sigsynth run: exit $run_rc in $("$python" -c 'import sys; print("%.2f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$run_start" "$run_end")s"
sed 's/^/  | /' "$tmp/run.err"

PROM_URL="http://127.0.0.1:$port" SUMMARY="$tmp/s.json" EXPLAIN="$tmp/explain.txt" RUN_RC=$run_rc \
  "$python" - <<'PYEOF'
import calendar, json, math, os, re, sys, urllib.parse, urllib.request
from decimal import Decimal

URL = os.environ["PROM_URL"]
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
    print(("PASS " if ok else "FAIL ") + name + (": " + detail if detail else ""))
    return ok


def finish():
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


def api(path, **params):
    u = URL + path + ("?" + urllib.parse.urlencode(params) if params else "")
    try:
        with urllib.request.urlopen(u, timeout=20) as r:
            d = json.load(r)
    except urllib.error.HTTPError as e:
        d = json.load(e)
    if d.get("status") != "success":
        raise RuntimeError("%s %s: %s" % (path, params, d.get("error")))
    return d["data"]


def ts(ms):   # Prometheus time parameter, exactly this millisecond
    return "%d.%03d" % (ms // 1000, ms % 1000)


def query(expr, ms):
    return api("/api/v1/query", query=expr, time=ts(ms))["result"]


def scalar(expr, ms):
    """Value of a one-element vector, None if the result is empty."""
    res = query(expr, ms)
    if not res:
        return None
    if len(res) != 1:
        raise RuntimeError("%s: %d results" % (expr, len(res)))
    return float(res[0]["value"][1])


def rfc3339_ns(s):
    m = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?Z$", s)
    if not m:
        raise ValueError("not RFC 3339 UTC: %r" % s)
    sec = calendar.timegm(tuple(int(x) for x in m.groups()[:6]))
    return sec * 10**9 + int((m.group(7) or "").ljust(9, "0")[:9])


def go_format_f(v):
    """strconv.FormatFloat(v, 'f', -1, 64), what Prometheus' OTLP translator puts in le."""
    out = format(Decimal(repr(v)), "f")
    if "." in out:
        out = out.rstrip("0").rstrip(".")
    return out


def fmt(v):
    return "none" if v is None else ("%.10g" % v)


# ---------------------------------------------------------------- the run and its summary
rc = int(os.environ["RUN_RC"])
check("run exit code", rc == 0, "exit %d (want 0)" % rc)
try:
    with open(os.environ["SUMMARY"]) as f:
        summary = json.load(f)
except (OSError, ValueError) as e:
    check("summary readable", False, str(e))
    finish()

rw = [x for x in summary.get("exporters", []) if x.get("name") == "remote-write"]
if not check("summary has a remote-write exporter", len(rw) == 1,
             "exporters: %s" % [x.get("name") for x in summary.get("exporters", [])]):
    finish()
rw = rw[0]
delivered = rw["delivered"]["metric_points"]
dropped = rw["dropped"]
check("remote-write dropped nothing", all(v == 0 for v in dropped.values()),
      "dropped %s, delivered %d samples in %d requests (%d bytes), retries %d, errors %s"
      % (dropped, delivered, rw.get("requests", -1), rw.get("bytes", -1), rw.get("retries", -1),
         rw.get("errors")))
check("remote-write delivered samples", delivered > 0, "%d" % delivered)

start_ns = rfc3339_ns(summary["start"])
end_ns = rfc3339_ns(summary["end"])
start_ms, end_ms = start_ns // 10**6, end_ns // 10**6
print("summary start %s (%s), end %s (%s), %d requests, %d series, %d collections"
      % (summary["start"], ts(start_ms), summary["end"], ts(end_ms),
         summary["generated"]["requests"], summary["generated"]["series"],
         summary["generated"]["collections"]))
check("summary covers 30m", end_ns - start_ns == 30 * 60 * 10**9,
      "end - start = %.3fs" % ((end_ns - start_ns) / 1e9))

# ---------------------------------------------------------------- ingestion as a whole
names = api("/api/v1/label/__name__/values")
nseries = scalar('count({__name__=~".+"})', end_ms)
window = "%ds" % ((end_ms - start_ms) // 1000 + 60)
stored = 0
for n in names:
    stored += int(scalar("sum(count_over_time(%s[%s]))" % (n, window), end_ms) or 0)
print("prometheus holds %d metric names, %s series at end, %d samples (stale markers excluded)"
      % (len(names), fmt(nseries), stored))
# Each series gets one stale marker after its last sample; Prometheus does not count
# those in count_over_time, sigsynth counts them as delivered.
check("stored samples + one stale marker per series == delivered",
      nseries is not None and stored + int(nseries) == delivered,
      "%d + %s = %s, delivered %d" % (stored, fmt(nseries),
                                     fmt(None if nseries is None else stored + nseries), delivered))
after = query('count({__name__=~".+"})', end_ms + 1)
check("every series is stale 1 ms after the end", after == [],
      "count at end+1ms: %s" % (after[0]["value"][1] if after else "empty"))

# ---------------------------------------------------------------- request counts and errors
HTTP_OP = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (/\S*)$")
for op in summary["operations"]:
    svc, name, want, errs = op["service"], op["operation"], op["requests"], op["errors"]
    m = HTTP_OP.match(name)
    if m:
        sel = 'job="%s", http_route="%s", http_request_method="%s"' % (svc, m.group(2), m.group(1))
        metric = "http_server_request_duration_seconds_count"
        err_sel = sel + ', http_response_status_code=~"5.."'
    else:
        sel = 'job="%s", rpc_method="%s"' % (svc, name)
        metric = "rpc_server_duration_milliseconds_count"
        err_sel = sel + ', rpc_grpc_status_code!="0"'
    got = scalar("sum(%s{%s})" % (metric, sel), end_ms)
    check("requests %s %s" % (svc, name), got == want,
          "sum(%s{%s}) = %s, summary requests %d" % (metric, sel, fmt(got), want))
    if want == 0:
        continue
    ratio = scalar("sum(%s{%s}) / sum(%s{%s})" % (metric, err_sel, metric, sel), end_ms)
    if ratio is None:   # no error series at all: the numerator is empty
        ratio = 0.0 if scalar("sum(%s{%s})" % (metric, err_sel), end_ms) is None else None
    want_ratio = errs / want
    check("error ratio %s %s" % (svc, name),
          ratio is not None and abs(ratio - want_ratio) <= 1e-9,
          "prometheus %s, summary %d/%d = %.10g" % (fmt(ratio), errs, want, want_ratio))

# Histogram consistency: the +Inf bucket is the count.
for fam in sorted(n[: -len("_bucket")] for n in names if n.endswith("_bucket")):
    inf = scalar('sum(%s_bucket{le="+Inf"})' % fam, end_ms)
    cnt = scalar("sum(%s_count)" % fam, end_ms)
    check("%s: +Inf bucket == count" % fam, inf is not None and inf == cnt,
          "+Inf %s, count %s" % (fmt(inf), fmt(cnt)))

# ---------------------------------------------------------------- incident timeline
explain = open(os.environ["EXPLAIN"]).read()
DUR = r"\+(\d+)m(\d\d)s"
m = re.search(r"start %s\s+full %s\s+recovering %s\s+end %s" % (DUR, DUR, DUR, DUR), explain)
inc = [x for x in summary.get("incidents", []) if x.get("name") == "pool-exhaustion"]
if check("summary lists the pool-exhaustion incident", len(inc) == 1 and m is not None,
         "incidents %s" % [x.get("name") for x in summary.get("incidents", [])]):
    inc = inc[0]
    offs = [int(m.group(i)) * 60 + int(m.group(i + 1)) for i in (1, 3, 5, 7)]
    for key, off in zip(("start", "full", "recovering", "end"), offs):
        got = (rfc3339_ns(inc[key]) - start_ns) / 1e9
        check("incident %s at +%ds" % (key, off), got == off,
              "summary %s = start + %.3fs (explain: +%ds)" % (inc[key], got, off))

    def at(key):
        return rfc3339_ns(inc[key]) // 10**6

    # The pool gauge, averaged over checkout's pods, every 15s.
    rng = api("/api/v1/query_range", query="avg(db_client_connections_in_use)",
              start=ts(start_ms), end=ts(end_ms), step="15")["result"]
    pts = [(round((float(t) * 1000 - start_ms) / 1000), float(v)) for t, v in rng[0]["values"]] if rng else []
    print("avg(db_client_connections_in_use), step 15s, %d points (offset s: value):" % len(pts))
    for i in range(0, len(pts), 10):
        print("  " + "  ".join("%4d:%5.1f" % p for p in pts[i:i + 10]))
    pre = [v for s, v in pts if s <= 9 * 60]
    hold = [v for s, v in pts if 13 * 60 <= s <= 26 * 60]
    check("pool gauge before the incident (0-9m) within 20 +- 10",
          len(pre) >= 30 and all(10 <= v <= 30 for v in pre),
          "%d points, min %s, max %s, first %s" % (len(pre), fmt(min(pre, default=None)),
                                                  fmt(max(pre, default=None)), fmt(pre[0] if pre else None)))
    check("pool gauge during the hold (13-26m) > 90",
          len(hold) >= 50 and all(v > 90 for v in hold),
          "%d points, min %s, max %s" % (len(hold), fmt(min(hold, default=None)), fmt(max(hold, default=None))))
    # At the summary's incident anchors (samples fall on them: every 15s from the start).
    g = "avg(db_client_connections_in_use)"
    mid_ramp = (at("start") + at("full")) // 2
    mid_recover = (at("recovering") + at("end")) // 2
    for label, t, lo, hi in (("incident start", at("start"), 10, 30),
                             ("ramp midpoint", mid_ramp, 50, 70),
                             ("incident full", at("full"), 90, 100),
                             ("recovering", at("recovering"), 90, 100),
                             ("recover midpoint", mid_recover, 50, 70),
                             ("incident end", at("end"), 10, 30)):
        v = scalar(g, t)
        check("pool gauge at %s in [%g, %g]" % (label, lo, hi), v is not None and lo <= v <= hi,
              "%s at %s (start + %.0fs)" % (fmt(v), ts(t), (t - start_ms) / 1000))

# The control: cart's memory, baseline 310MiB, noise 4MiB, is flat over the whole run.
rng = api("/api/v1/query_range", query="process_resident_memory_bytes / 2^20",
          start=ts(start_ms), end=ts(end_ms), step="15")["result"]
for r in rng:
    vals = [float(v) for _, v in r["values"]]
    check("control gauge process_resident_memory_bytes %s within 310MiB +- 20MiB" % r["metric"]["instance"],
          len(vals) > 100 and all(290 <= v <= 330 for v in vals),
          "%d points, first %.1fMiB, min %.1fMiB, max %.1fMiB"
          % (len(vals), vals[0], min(vals), max(vals)) if vals else "no points")
check("control gauge has one series per cart pod", len(rng) == 2, "%d series" % len(rng))

# ---------------------------------------------------------------- synthetic label
non = query('count({__name__=~".+", synthetic!="true"})', end_ms)
check("no series without synthetic=\"true\"", non == [],
      "count{synthetic!=\"true\"} = %s" % (non[0]["value"][1] if non else "empty"))
syn = scalar('count({__name__=~".+", synthetic="true"})', end_ms)
check("series with synthetic=\"true\"", syn is not None and syn > 0, "count = %s" % fmt(syn))

# ---------------------------------------------------------------- target_info
services = {m.group(1): int(m.group(2))
            for m in re.finditer(r"^  (\S+)\s+\[service, (\d+) instances?\]", explain, re.M)}
tinfo = query("target_info", end_ms)
by_job = {}
for r in tinfo:
    by_job.setdefault(r["metric"].get("job"), []).append(r["metric"].get("instance"))
print("target_info: %s" % {j: len(v) for j, v in sorted(by_job.items(), key=lambda x: str(x[0]))})
check("target_info jobs are the instrumented services", set(by_job) == set(services),
      "target_info jobs %s, services %s" % (sorted(map(str, by_job)), sorted(services)))
for svc, n in sorted(services.items()):
    inst = by_job.get(svc, [])
    check("target_info job=%s: %d distinct instances" % (svc, n),
          len(inst) == n and len(set(inst)) == n and all(inst), "instances %s" % inst)
bad = sorted({k for r in tinfo for k in r["metric"]}
             & {"service_name", "service_namespace", "service_instance_id"})
check("target_info does not repeat job/instance as resource labels", not bad, "found %s" % bad)
orphans = query('count by (job, instance)({__name__=~".+"}) unless on (job, instance) target_info', end_ms)
check("every series' job/instance has a target_info", orphans == [],
      "orphans %s" % [r["metric"] for r in orphans])

# ---------------------------------------------------------------- label translation
labels = api("/api/v1/labels")
badl = [l for l in labels if not re.match(r"^[a-zA-Z_][a-zA-Z0-9_]*$", l)]
check("label names are valid Prometheus names", not badl, "%d names, bad %s" % (len(labels), badl))
badn = [n for n in names if not re.match(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$", n)]
check("metric names are valid", not badn, "%d names, bad %s" % (len(names), badn))
for metric, extra, lbls in (
        ("http_server_request_duration_seconds_count", "",
         ("http_route", "http_request_method", "http_response_status_code", "job", "instance")),
        ("http_server_request_duration_seconds_bucket", "", ("http_route", "le")),
        ("rpc_server_duration_milliseconds_count", "",
         ("rpc_method", "rpc_service", "rpc_system", "rpc_grpc_status_code")),
        ("db_client_operation_duration_seconds_bucket", 'db_system_name="postgresql"',
         ("db_system_name", "db_operation_name", "le")),
        ("db_client_operation_duration_seconds_bucket", 'db_system_name="redis"',
         ("db_system_name", "db_operation_name", "le")),
        ("db_client_connections_in_use", "", ("pool", "job", "instance"))):
    base = "%s{%s}" % (metric, extra)
    full = "%s{%s}" % (metric, ", ".join([extra] * bool(extra) + ['%s!=""' % l for l in lbls]))
    total = scalar("count(%s)" % base, end_ms)
    have = scalar("count(%s)" % full, end_ms)
    check("labels on %s: %s" % (base, ", ".join(lbls)), total is not None and have == total,
          "%s of %s series have them all" % (fmt(have), fmt(total)))
dotted = [l for l in labels if "." in l]
check("no dotted (untranslated) label names", not dotted, "%s" % dotted)

# le values: what Prometheus' own OTLP translator (and client_golang) writes, so that
# selectors such as le="10" and recording rules written for real exporters match.
les = sorted({r["metric"]["le"] for r in query('group by (le) ({__name__=~".+_bucket"})', end_ms)},
             key=lambda s: float(s))
badle = [l for l in les if l != "+Inf" and l != go_format_f(float(l))]
check("le values formatted like Prometheus (strconv 'f', -1)", not badle,
      "%d le values %s; wrong: %s" % (len(les), les,
                                       ", ".join("%s (want %s)" % (l, go_format_f(float(l))) for l in badle)))

finish()
PYEOF
status=$?
if [ "$status" -ne 0 ]; then
  echo "--- prometheus log, warnings and errors (last 20)"
  grep -v 'level=info' "$tmp/prometheus.log" | grep -v 'Received SIGTERM' | tail -20 | cut -c1-400
fi
exit "$status"
