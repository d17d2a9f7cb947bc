#!/usr/bin/env bash
# End-to-end test of `sigsynth verify` against a real Prometheus (2.42) and Alertmanager (0.25).
#
#   tests/verify/test_verify.sh BIN ROOT
#
# Starts a private Alertmanager and a private Prometheus (remote-write receiver, the rules of
# tests/verify/verify-live.rules.yml, alerts sent to that Alertmanager) on free 127.0.0.1 ports,
# runs the 3-minute live scenario tests/verify/verify-live.yaml into Prometheus by remote write
# with the verifier in the same process (`run --verify-prometheus --verify-alertmanager`), and
# checks the verdicts, what each source saw and when, and that a standalone `sigsynth verify`
# started after the run stops quickly. Takes about 3-4 minutes. See README.md.
set -u
bin=${1:?usage: test_verify.sh BIN ROOT}
root=${2:?usage: test_verify.sh BIN ROOT}
prometheus=${PROMETHEUS:-/usr/bin/prometheus}
alertmanager=${ALERTMANAGER:-/usr/bin/prometheus-alertmanager}
python=/usr/bin/python3
scenario=$root/tests/verify/verify-live.yaml
rules=$root/tests/verify/verify-live.rules.yml
t0=$(date +%s)

setup_fail() { echo "FAIL setup: $*"; echo "0 passed, 1 failed"; exit 1; }
for f in "$bin" "$prometheus" "$alertmanager" "$python"; do
  [ -x "$f" ] || setup_fail "$f is not executable"
done
for f in "$scenario" "$rules"; do
  [ -r "$f" ] || setup_fail "no $f"
done
case $rules in /*) ;; *) rules=$(cd "$(dirname "$rules")" && pwd)/$(basename "$rules") ;; esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sigsynth-verify.XXXXXX")
prom_pid=
am_pid=
stop_pid() {   # stop_pid PID: TERM, wait up to 5 s, then KILL
  local pid=$1
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
}
cleanup() {
  stop_pid "$prom_pid"
  stop_pid "$am_pid"
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
http_ok() {    # http_ok URL: 2xx within 1 s
  "$python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$1" 2>/dev/null
}
# wait_ready PID URL: until URL answers 2xx (15 s), or the process dies.
wait_ready() {
  for _ in $(seq 150); do
    kill -0 "$1" 2>/dev/null || return 1
    http_ok "$2" && return 0
    sleep 0.1
  done
  return 1
}

# ---------------------------------------------------------------- Alertmanager
cat >"$tmp/am.yml" <<'EOF'
route:
  receiver: "null"
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: "null"
EOF
am_port=
for attempt in 1 2 3; do
  p=$(free_port)
  rm -rf "$tmp/am"
  "$alertmanager" --config.file="$tmp/am.yml" --storage.path="$tmp/am" \
    --web.listen-address="127.0.0.1:$p" --cluster.listen-address= \
    >"$tmp/alertmanager.log" 2>&1 &
  am_pid=$!
  if wait_ready "$am_pid" "http://127.0.0.1:$p/-/ready"; then am_port=$p; break; fi
  stop_pid "$am_pid"; am_pid=
  echo "alertmanager did not become ready on port $p (attempt $attempt)"; tail -5 "$tmp/alertmanager.log"
done
[ -n "$am_port" ] || setup_fail "alertmanager did not start"
echo "alertmanager pid $am_pid ready on 127.0.0.1:$am_port"

# ---------------------------------------------------------------- Prometheus
prom_port=
for attempt in 1 2 3; do
  p=$(free_port)
  cat >"$tmp/prom.yml" <<EOF
global:
  evaluation_interval: 5s
rule_files:
  - "$rules"
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["127.0.0.1:$am_port"]
EOF
  rm -rf "$tmp/data"
  "$prometheus" --config.file="$tmp/prom.yml" --storage.tsdb.path="$tmp/data" \
    --web.listen-address="127.0.0.1:$p" --web.enable-remote-write-receiver \
    >"$tmp/prometheus.log" 2>&1 &
  prom_pid=$!
  if wait_ready "$prom_pid" "http://127.0.0.1:$p/-/ready"; then prom_port=$p; break; fi
  stop_pid "$prom_pid"; prom_pid=
  echo "prometheus did not become ready on port $p (attempt $attempt)"; tail -5 "$tmp/prometheus.log"
done
[ -n "$prom_port" ] || setup_fail "prometheus did not start"
echo "prometheus pid $prom_pid ready on 127.0.0.1:$prom_port"
prom=http://127.0.0.1:$prom_port
am=http://127.0.0.1:$am_port

# Prometheus has loaded both rules and knows its Alertmanager before the run starts.
PROM_URL=$prom "$python" - <<'PYEOF' || setup_fail "prometheus has not loaded the rules or found the alertmanager"
import json, os, sys, time, urllib.request
url = os.environ["PROM_URL"]
def get(path):
    with urllib.request.urlopen(url + path, timeout=2) as r:
        return json.load(r)["data"]
deadline = time.time() + 15
while True:
    rules = sorted(r["name"] for g in get("/api/v1/rules")["groups"] for r in g["rules"])
    ams = [a["url"] for a in get("/api/v1/alertmanagers")["activeAlertmanagers"]]
    if rules == ["OrdersErrorRateHigh", "OrdersLatencyHigh"] and ams:
        print("prometheus: rules %s, alertmanagers %s" % (rules, ams))
        sys.exit(0)
    if time.time() > deadline:
        print("prometheus: rules %s, alertmanagers %s" % (rules, ams))
        sys.exit(1)
    time.sleep(0.2)
PYEOF

# ---------------------------------------------------------------- the live run with its verifier
echo "live run of $scenario (3m timeline, then watching alerts), started $(date -u +%H:%M:%SZ)"
run_start=$(date +%s.%N)
timeout 290 "$bin" run "$scenario" --mode live --metric-interval 5s \
  --remote-write-url "$prom/api/v1/write" \
  --verify-prometheus "$prom" --verify-alertmanager "$am" --verify-poll 2s \
  --verify-report "$tmp/report" --summary "$tmp/s.json" \
  >"$tmp/run.out" 2>"$tmp/run.err"
run_rc=$?
run_end=$(date +%s.%N)
echo "--- run stdout"
sed 's/^/  | /' "$tmp/run.out"
echo "--- run stderr"
sed 's/^/  | /' "$tmp/run.err"

# ---------------------------------------------------------------- standalone verify afterwards
# The run is over: this judges only what Prometheus shows now. It must stop quickly (10 s).
# It is allowed up to 45 s so that a late stop is measured rather than cut short; less if
# the run took long, to keep the whole test under 5 minutes.
left=$(( 298 - ($(date +%s) - t0) ))
[ "$left" -gt 45 ] && left=45
[ "$left" -lt 5 ] && left=5
ver_start=$(date +%s.%N)
timeout "$left" "$bin" verify "$scenario" --prometheus "$prom" --summary "$tmp/s.json" --poll 1s \
  >"$tmp/verify.out" 2>"$tmp/verify.err"
ver_rc=$?
ver_end=$(date +%s.%N)
echo "--- standalone verify stdout (exit $ver_rc, timeout ${left}s)"
sed 's/^/  | /' "$tmp/verify.out"
echo "--- standalone verify stderr"
sed 's/^/  | /' "$tmp/verify.err"

# ---------------------------------------------------------------- checks
PROM_URL=$prom AM_URL=$am TMPD=$tmp RUN_RC=$run_rc RUN_START=$run_start RUN_END=$run_end \
VER_RC=$ver_rc VER_START=$ver_start VER_END=$ver_end VER_TIMEOUT=$left \
  "$python" - <<'PYEOF'
import calendar, json, os, re, sys, urllib.parse, urllib.request

tmp = os.environ["TMPD"]
passed = failed = 0
ALERT = "OrdersErrorRateHigh"
POLL = 2.0                 # --verify-poll
INCIDENT_START = 40.0      # db-errors.start
INCIDENT_END = 140.0       # db-errors.end: start 40s + ramp 10s + duration 80s + recover 10s
WITHIN = 75.0              # fires/resolves within


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


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def rfc3339(s):
    m = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?Z$", s)
    if not m:
        raise ValueError("not RFC 3339 UTC: %r" % s)
    return calendar.timegm(tuple(int(x) for x in m.groups()[:6])) + float("0." + (m.group(7) or "0"))


def fmt(v):
    return "none" if v is None else "%.1fs" % v


# ---------------------------------------------------------------- the run
rc = int(os.environ["RUN_RC"])
wall = float(os.environ["RUN_END"]) - float(os.environ["RUN_START"])
print("run: exit %d after %.1fs wall clock" % (rc, wall))
check("run exit code", rc == 0, "exit %d (want 0%s)" % (rc, "; 124 = killed by timeout 290" if rc == 124 else ""))
check("run lasted the timeline and at most the watch", 180 <= wall <= 230,
      "%.1fs (timeline 180s, watch ends by 215s + 2 polls)" % wall)
out = read(tmp + "/run.out")
check("stdout: 2 expectations: 2 passed, 0 failed", "2 expectations: 2 passed, 0 failed" in out)
for name in (ALERT, "OrdersLatencyHigh"):
    m = re.search(r"^%s\s.*\b(PASS|FAIL)\b.*$" % name, out, re.M)
    check("stdout: %s PASS" % name, m is not None and m.group(1) == "PASS",
          m.group(0).strip() if m else "no verdict line")
obs = {}
m = re.search(r"^observed \((\d+) polls every ([\d.]+)s, (\d+) failed.*$", out, re.M)
if check("stdout: observed section", m is not None, m.group(0) if m else "missing"):
    print("verifier: %s polls, %s failed" % (m.group(1), m.group(3)))
    check("verifier: no failed polls", m.group(3) == "0", m.group(0))
for line in re.findall(r"^  (prometheus|alertmanager)\s+(\S+)\s+\{([^}]*)\}: (.*)$", out, re.M):
    obs.setdefault((line[0], line[1]), []).append((line[2], line[3]))
for src in ("prometheus", "alertmanager"):
    lines = obs.get((src, ALERT), [])
    check("stdout: %s saw %s firing with synthetic=true" % (src, ALERT),
          any("synthetic=true" in k and "firing +-" not in t for k, t in lines),
          "; ".join("{%s}: %s" % x for x in lines) or "no line")
check("stdout: OrdersLatencyHigh seen by no source",
      not any(a == "OrdersLatencyHigh" for _, a in obs), "sources %s" % sorted(obs))

try:
    summary = json.load(open(tmp + "/s.json"))
    start = rfc3339(summary["start"])
    print("summary: start %s, end %s" % (summary["start"], summary["end"]))
    check("run started when the test started it", abs(start - float(os.environ["RUN_START"])) < 2,
          "summary start - launch = %.2fs" % (start - float(os.environ["RUN_START"])))
    rw = [x for x in summary.get("exporters", []) if x.get("name") == "remote-write"]
    if check("summary: remote-write exporter", len(rw) == 1):
        rw = rw[0]
        print("remote-write: delivered %s, dropped %s, requests %s, retries %s"
              % (rw["delivered"], rw["dropped"], rw.get("requests"), rw.get("retries")))
        check("remote-write dropped nothing", all(v == 0 for v in rw["dropped"].values()), "%s" % rw["dropped"])
except (OSError, ValueError, KeyError) as e:
    check("summary readable", False, repr(e))
    start = None

# ---------------------------------------------------------------- report.json
try:
    rep = json.load(open(tmp + "/report/report.json"))
except (OSError, ValueError) as e:
    check("report.json readable", False, repr(e))
    finish()
for f in ("report.md", "timeline.svg"):
    check("report/%s written" % f, os.path.getsize(tmp + "/report/" + f) > 0 if os.path.exists(tmp + "/report/" + f) else False)
check("report.json: command verify, step 2s, 2 passed 0 failed",
      rep.get("command") == "verify" and rep.get("step_seconds") == POLL
      and rep.get("passed") == 2 and rep.get("failed") == 0,
      "command %s, step %s, passed %s, failed %s" % (rep.get("command"), rep.get("step_seconds"),
                                                       rep.get("passed"), rep.get("failed")))
exp = {e["alert"]: e for e in rep.get("expectations", [])}
e = exp.get(ALERT)
fired = resolved = None
if check("report.json: %s expectation" % ALERT, e is not None):
    fired, resolved = e["fired_at_seconds"], e["resolved_at_seconds"]
    print("%s: fired at +%s (db-errors.start + %s), resolved at +%s (db-errors.end + %s); note %r"
          % (ALERT, fmt(fired), fmt(None if fired is None else fired - INCIDENT_START),
             fmt(resolved), fmt(None if resolved is None else resolved - INCIDENT_END), e["note"]))
    check("%s pass" % ALERT, e["pass"] is True, e["note"])
    check("%s fired within 75s of db-errors.start" % ALERT,
          fired is not None and 0 <= fired - INCIDENT_START <= WITHIN,
          "fired_at_seconds %s - 40 = %s" % (fired, fmt(None if fired is None else fired - INCIDENT_START)))
    check("%s resolved within 75s of db-errors.end" % ALERT,
          resolved is not None and 0 <= resolved - INCIDENT_END <= WITHIN,
          "resolved_at_seconds %s - 140 = %s" % (resolved, fmt(None if resolved is None else resolved - INCIDENT_END)))
e2 = exp.get("OrdersLatencyHigh")
check("report.json: OrdersLatencyHigh never fired, pass",
      e2 is not None and e2["never"] and e2["pass"] and e2["fired_at_seconds"] is None,
      "%s" % e2)

first = {}   # (source, state) -> first from_seconds
for a in rep.get("alerts", []):
    if a["alertname"] != ALERT:
        continue
    ivs = a["intervals"]
    print("report.json alert %s source %-12s labels %s: %s" % (
        ALERT, a["source"], a["labels"],
        ", ".join("%s %s..%s" % (i["state"], fmt(i["from_seconds"]), fmt(i["to_seconds"])) for i in ivs)))
    check("%s from %s carries synthetic=\"true\" and severity=\"page\"" % (ALERT, a["source"]),
          a["labels"].get("synthetic") == "true" and a["labels"].get("severity") == "page", "%s" % a["labels"])
    for i in ivs:
        k = (a["source"], i["state"])
        first[k] = min(first.get(k, i["from_seconds"]), i["from_seconds"])
        if i["state"] == "firing":
            first[(a["source"], "firing_to")] = max(first.get((a["source"], "firing_to"), 0), i["to_seconds"])
for src in ("prometheus", "alertmanager"):
    check("report.json: %s saw %s firing" % (src, ALERT), (src, "firing") in first,
          "sources/states %s" % sorted(k for k in first))
pp, pf = first.get(("prometheus", "pending")), first.get(("prometheus", "firing"))
af = first.get(("alertmanager", "firing"))
print("measured: prometheus pending +%s, prometheus firing +%s (to +%s), alertmanager firing +%s (to +%s)"
      % (fmt(pp), fmt(pf), fmt(first.get(("prometheus", "firing_to"))), fmt(af),
         fmt(first.get(("alertmanager", "firing_to")))))
check("prometheus saw %s pending before firing" % ALERT, pp is not None and pf is not None and pp < pf,
      "pending +%s, firing +%s" % (fmt(pp), fmt(pf)))
check("pending to firing takes for: 30s (+- one eval 5s and one poll 2s)",
      pp is not None and pf is not None and 30 - 7 <= pf - pp <= 30 + 7,
      "firing - pending = %s" % fmt(None if pp is None or pf is None else pf - pp))
check("alertmanager firing no earlier than prometheus pending", pp is not None and af is not None and af >= pp,
      "alertmanager firing +%s - prometheus pending +%s = %s"
      % (fmt(af), fmt(pp), fmt(None if af is None or pp is None else af - pp)))
check("alertmanager firing no earlier than prometheus firing, and within 10s of it",
      pf is not None and af is not None and 0 <= af - pf <= 10,
      "alertmanager firing - prometheus firing = %s" % fmt(None if af is None or pf is None else af - pf))
check("the verdict's fire time is prometheus' (first source)", fired is not None and fired == pf,
      "fired_at %s, prometheus firing %s" % (fmt(fired), fmt(pf)))
check("no alert observed before the incident",
      all(i["from_seconds"] >= INCIDENT_START for a in rep.get("alerts", []) for i in a["intervals"]),
      "earliest %s" % fmt(min((i["from_seconds"] for a in rep.get("alerts", []) for i in a["intervals"]), default=None)))

# ---------------------------------------------------------------- Prometheus' own record (ALERTS)
# Rule evaluations write ALERTS{alertstate=pending|firing} samples at evaluation time: the
# verifier's polled times must agree with them to within one poll plus scheduling slack.
if start is not None:
    try:
        q = 'ALERTS{alertname="%s"}[10m]' % ALERT
        u = os.environ["PROM_URL"] + "/api/v1/query?" + urllib.parse.urlencode({"query": q})
        with urllib.request.urlopen(u, timeout=10) as r:
            res = json.load(r)["data"]["result"]
        own = {}
        for s in res:
            ts = [float(t) - start for t, _ in s["values"]]
            own[s["metric"]["alertstate"]] = (min(ts), max(ts))
            check("ALERTS{alertstate=%s} carries synthetic=\"true\"" % s["metric"]["alertstate"],
                  s["metric"].get("synthetic") == "true", "%s" % s["metric"])
        print("prometheus ALERTS samples: %s" % ", ".join(
            "%s +%s..+%s" % (k, fmt(v[0]), fmt(v[1])) for k, v in sorted(own.items())))
        for st, mine in (("pending", pp), ("firing", pf)):
            got = own.get(st, (None,))[0]
            check("verifier's %s time matches Prometheus' first ALERTS %s sample (within 5s)" % (st, st),
                  got is not None and mine is not None and abs(mine - got) <= 5,
                  "verifier +%s, ALERTS +%s" % (fmt(mine), fmt(got)))
        if "firing" in own and resolved is not None:
            # resolved at the first evaluation without a firing sample: last one + 5s
            check("verifier's resolve time matches Prometheus' last ALERTS firing sample + 5s (within 5s)",
                  abs(resolved - (own["firing"][1] + 5)) <= 5,
                  "verifier +%s, last firing sample +%s" % (fmt(resolved), fmt(own["firing"][1])))
    except Exception as ex:   # noqa: BLE001 - report whatever went wrong as a failure
        check("query ALERTS in prometheus", False, repr(ex))

# ---------------------------------------------------------------- standalone verify after the run
vrc = int(os.environ["VER_RC"])
vwall = float(os.environ["VER_END"]) - float(os.environ["VER_START"])
vout = read(tmp + "/verify.out")
m = re.search(r"^observed \((\d+) polls", vout, re.M)
# Its watch ends at the summary start + the last window (db-errors.end 140s + 75s) + 2 polls
# of 1s, or earlier once every expectation holds after the timeline.
window_end = INCIDENT_END + WITHIN + 2 * 1.0
vstart = float(os.environ["VER_START"]) - start if start else float("nan")
vend = float(os.environ["VER_END"]) - start if start else float("nan")
print("standalone verify: exit %d after %.1fs wall clock, from +%.1fs to +%.1fs after the run's start "
      "(its watch window ends at +%.0fs), %s polls"
      % (vrc, vwall, vstart, vend, window_end, m.group(1) if m else "?"))
check("standalone verify after the run exits 0 or 1", vrc in (0, 1),
      "exit %d%s" % (vrc, " (killed by timeout %ss)" % os.environ["VER_TIMEOUT"] if vrc == 124 else ""))
check("standalone verify after the run stops within 10s", vwall <= 10,
      "%.1fs (started +%.1fs, stopped +%.1fs; window end +%.0fs)" % (vwall, vstart, vend, window_end))
check("standalone verify stops by its window end", vend <= max(vstart, window_end) + 3,
      "stopped +%.1fs, window end +%.0fs" % (vend, window_end))
check("standalone verify polled at least once", m is not None and int(m.group(1)) >= 1,
      m.group(0) if m else "no observed line")

finish()
PYEOF
status=$?
if [ "$status" -ne 0 ]; then
  echo "--- prometheus log, warnings and errors (last 20)"
  grep -v 'level=info' "$tmp/prometheus.log" | tail -20 | cut -c1-400
  echo "--- alertmanager log, warnings and errors (last 20)"
  grep -v 'level=info' "$tmp/alertmanager.log" | tail -20 | cut -c1-400
fi
echo "total $(( $(date +%s) - t0 ))s"
exit "$status"
