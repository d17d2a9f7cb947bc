#!/usr/bin/env python3
"""fake_run.py: a stand-in for `sigsynth run`, used by the engine tests with SX_FAKE=1.

It lets the checkers in tests/engine/ be tested before the engine exists, and it documents,
by example, the output the engine must write (see the spec in tests/engine/README.md):

  DIR/traces.jsonl    one {"resourceSpans":[...]} Export request per line
  DIR/metrics.jsonl   one {"resourceMetrics":[...]} per line, one line per collection time
  DIR/logs.jsonl      one {"resourceLogs":[...]} per line
  --summary FILE      the run summary (architecture.md contract plus operations and
                      logs_by_severity)

protojson as the OpenTelemetry file exporter writes it: lowerCamelCase keys, ids as lowercase
hex, 64-bit integers as JSON strings, enums as integers.

It is NOT a simulator of the scenario format. It knows one fixed topology, the one of
tests/engine/fake-scenario.yaml:

  frontend (HTTP, 2 pods)  GET /product   -> catalog.GetProduct (gRPC, timeout 800ms, 1 retry)
                           POST /checkout -> checkout.PlaceOrder (gRPC, timeout 10s)
  checkout.PlaceOrder      -> orders-db.query x4 (postgresql, timeout 1s, 1 retry, 50ms backoff)

and reads from the scenario file only the entrypoint rates, orders-db.query's latency, the
incident's offsets and effects, the scenario name and the extra resource attributes. Random
draws that decide latencies and arrival gaps come from Weyl sequences
(low-discrepancy), so a short fake run reproduces declared percentiles and rates much more
closely than real random numbers would: the fake tests the checkers, not the statistics.
Error decisions, instance choice and ids use random.Random(seed) (Weyl draws are serially
correlated: a retry right after a failure would never fail).

usage: fake_run.py run FILE --output DIR --summary FILE.json [--seed N]
           [--start RFC3339|now|-2h] [--duration D] [--mode backfill|live]
           [--metric-interval 15s] [--signals traces,metrics,logs] [--run-id ID]
"""

import argparse
import hashlib
import json
import math
import os
import random
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import otlp  # noqa: E402  (units and the scenario regexes)

NORMAL = statistics.NormalDist()
SEVERITY = {"TRACE": 1, "DEBUG": 5, "INFO": 9, "WARN": 13, "ERROR": 17, "FATAL": 21}
GRPC_NAMES = {0: "OK", 4: "DEADLINE_EXCEEDED", 13: "INTERNAL", 14: "UNAVAILABLE"}
HTTP_BOUNDS_S = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]
RPC_BOUNDS_MS = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000]
NS = 1_000_000_000

# SX_FAKE_BUG=name[,name...] makes the fake misbehave on purpose, so that selftest.py can
# prove each checker fails when it should. Empty (the default): a correct run.
BUGS = set(b for b in os.environ.get("SX_FAKE_BUG", "").split(",") if b)
KNOWN_BUGS = {
    "nondeterministic": "ids and error draws seeded from the wall clock",
    "summary-count": "generated.spans in the summary is one too many",
    "hist-miss": "one SERVER span is left out of its histogram",
    "status-attr": "one failed HTTP SERVER span says http.response.status_code 200",
    "log-orphan": "one request log carries a traceId no span has",
    "exemplar-orphan": "one exemplar points at a span that does not exist",
    "no-synthetic": "catalog's resource lacks sigsynth.synthetic",
    "incident-by-request": "spans tagged by their request's arrival, not their own start",
    "int-as-number": "intValue written as a JSON number",
    "orphan-parent": "one span's parentSpanId is no span",
    "latency-x20": "the incident multiplies orders-db.query latency by 20, not 25",
    "slow-query": "orders-db.query 5% slower than declared",
    "rate-low": "entrypoint rates 3% low",
    "live-batch": "live mode writes everything at the end",
    "live-future": "live mode's clock runs 2s ahead: spans written 2s before they end",
}


# --------------------------------------------------------------------------- distributions

def quantile_fn(pcts, max_s=None):
    """The latency model of docs/latency-model.md: log(x) linear in z between declared
    percentiles, the first piece extended downwards, a C1 Pareto tail, capped at max."""
    pts = sorted((otlp._PCT_KEYS[k], v) for k, v in pcts.items())
    zs = [NORMAL.inv_cdf(p) for p, _ in pts]
    lx = [math.log(x) for _, x in pts]
    slopes = [(lx[i + 1] - lx[i]) / (zs[i + 1] - zs[i]) for i in range(len(pts) - 1)]
    pn, xn = pts[-1]
    inv_alpha = min(2.0, max(0.05, slopes[-1] * (1 - pn) / NORMAL.pdf(zs[-1])))

    def q(u):
        if u > pn:
            x = xn * ((1 - pn) / (1 - u)) ** inv_alpha
        else:
            z = NORMAL.inv_cdf(u)
            i = 0
            while i < len(slopes) - 1 and z > zs[i + 1]:
                i += 1
            x = math.exp(lx[i] + slopes[i] * (z - zs[i]))
        return min(x, max_s) if max_s else x
    return q


class Weyl:
    """u_n = frac(u_0 + n * alpha): equidistributed, so any stretch of draws reproduces the
    uniform distribution closely (discrepancy ~ log(n)/n)."""
    ALPHAS = [math.sqrt(2) - 1, math.sqrt(3) - 1, math.sqrt(5) - 2, math.sqrt(7) - 2,
              math.sqrt(11) - 3, math.sqrt(13) - 3, math.sqrt(17) - 4, math.sqrt(19) - 4,
              math.sqrt(23) - 4, math.sqrt(29) - 5, math.sqrt(31) - 5, math.sqrt(37) - 6]

    def __init__(self, seed, k):
        self.a = self.ALPHAS[k % len(self.ALPHAS)]
        self.x = (seed * 0.7548776662466927 + k * 0.5698402909980532) % 1.0

    def __call__(self):
        self.x = (self.x + self.a) % 1.0
        return min(max(self.x, 1e-12), 1 - 1e-12)


# --------------------------------------------------------------------------- model

class Call:
    def __init__(self, service, op, timeout, count=1, retries=0, backoff=0.0, db=False):
        self.service, self.op, self.timeout = service, op, timeout
        self.count, self.retries, self.backoff, self.db = count, retries, backoff, db


def build_model(info):
    ql = info["query_latency"]
    return {
        "instances": {"frontend": 2, "catalog": 2, "checkout": 2},
        "versions": {"frontend": "1.4.2"},
        "ops": {
            ("frontend", "GET /product"): dict(
                lat={"p50": 0.009, "p90": 0.024, "p99": 0.085, "p999": 0.32}, errors=0.001,
                status=500, calls=[Call("catalog", "GetProduct", 0.8, retries=1, backoff=0.02)],
                log_always=0.01),
            ("frontend", "POST /checkout"): dict(
                lat={"p50": 0.011, "p90": 0.028, "p99": 0.12, "p999": 0.45}, errors=0.0005,
                status=500, calls=[Call("checkout", "PlaceOrder", 10.0)], log_error=True),
            ("catalog", "GetProduct"): dict(
                lat={"p50": 0.003, "p90": 0.009, "p99": 0.038, "p999": 0.15}, errors=0.0005,
                status=14, calls=[]),
            ("checkout", "PlaceOrder"): dict(
                lat={"p50": 0.0025, "p90": 0.007, "p99": 0.03, "p999": 0.11}, errors=0.0005,
                status=13, calls=[Call("orders-db", "query", info["query_timeout"] or 1.0,
                                       count=4, retries=1, backoff=0.05, db=True)],
                log_error=True),
        },
        "query": dict(pcts=ql["pcts"], max=ql["max"], errors=0.0005),
    }


# --------------------------------------------------------------------------- simulation

class Sim:
    def __init__(self, info, seed, start_ns, dur_s, run_id):
        self.info, self.seed, self.start_ns, self.dur_s = info, seed, start_ns, dur_s
        self.end_ns = start_ns + int(round(dur_s * NS))
        self.run_id = run_id
        self.model = build_model(info)
        self.rng = random.Random(time.time_ns() if "nondeterministic" in BUGS else seed)
        self.bug_done = set()
        self.req_t0 = start_ns
        self.weyl = {}
        self.qfn = {k: quantile_fn(v["lat"]) for k, v in self.model["ops"].items()}
        self.qfn["query"] = quantile_fn(self.model["query"]["pcts"], self.model["query"]["max"])
        self.spans = []      # (end_ns, seq, resource_key, span)
        self.logs = []       # (time_ns, seq, resource_key, record)
        self.records = []    # (end_ns, seq, resource_key, metric, attrs, value, trace, span, inc)
        self.seq = 0
        self.incidents = []
        for inc in info["incidents"]:
            self.incidents.append(dict(inc, ns={k: start_ns + int(round(inc[k] * NS))
                                                for k in ("start", "full", "recovering",
                                                          "end")}))

    # random streams
    def u(self, name):
        w = self.weyl.get(name)
        if w is None:
            w = self.weyl[name] = Weyl(self.seed, len(self.weyl))
        return w()

    def tid(self):
        return "%032x" % (self.rng.getrandbits(128) | 1)

    def sid(self):
        return "%016x" % (self.rng.getrandbits(64) | 1)

    def next_seq(self):
        self.seq += 1
        return self.seq

    # incidents
    def factor(self, inc, t_ns):
        """0 -> 1 over the ramp, 1 while held, 1 -> 0 over the recovery."""
        n = inc["ns"]
        if t_ns < n["start"] or t_ns >= n["end"]:
            return 0.0
        if t_ns < n["full"]:
            return (t_ns - n["start"]) / max(1, n["full"] - n["start"])
        if t_ns < n["recovering"]:
            return 1.0
        return 1.0 - (t_ns - n["recovering"]) / max(1, n["end"] - n["recovering"])

    def active(self, t_ns):
        for inc in self.incidents:
            if inc["ns"]["start"] <= t_ns < inc["ns"]["end"]:
                return inc["name"]
        return None

    def traffic_mult(self, t_ns):
        m = 1.0
        for inc in self.incidents:
            m *= 1.0 + (inc["traffic_multiply"] - 1.0) * self.factor(inc, t_ns)
        return m

    def query_effects(self, t_ns):
        mult, perr, msg = 1.0, self.model["query"]["errors"], "query failed"
        if "slow-query" in BUGS:
            mult = 1.05
        for inc in self.incidents:
            f = self.factor(inc, t_ns)
            if f > 0:
                m = inc["query_latency_multiply"] * (0.8 if "latency-x20" in BUGS else 1.0)
                mult *= 1.0 + (m - 1.0) * f
                if "query_errors_set" in inc:
                    perr = perr + (inc["query_errors_set"] - perr) * f
                    msg = "connection pool exhausted"
        return mult, perr, msg

    # output records
    def res_key(self, service, inst):
        return (service, inst)

    def bug_once(self, name):
        if name in BUGS and name not in self.bug_done:
            self.bug_done.add(name)
            return True
        return False

    def add_span(self, rkey, span, incident, metric=None, mattrs=None, value=None):
        if "incident-by-request" in BUGS:
            incident = self.active(self.req_t0)
        if span.get("parentSpanId") and self.bug_once("orphan-parent"):
            span["parentSpanId"] = self.sid()
        if metric and span["kind"] == 2 and self.bug_once("hist-miss"):
            metric = None
        if incident:
            span["attributes"].append(kv("sigsynth.incident", incident))
        end = int(span["endTimeUnixNano"])
        self.spans.append((end, self.next_seq(), rkey, span))
        if metric:
            self.records.append((end, self.seq, rkey, metric, json.dumps(mattrs), value,
                                 span["traceId"], span["spanId"], incident))

    def add_log(self, rkey, t_ns, severity, body, attributes, trace=None, span=None):
        rec = {"timeUnixNano": str(t_ns), "observedTimeUnixNano": str(t_ns),
               "severityNumber": SEVERITY[severity], "severityText": severity,
               "body": {"stringValue": body}, "attributes": list(attributes)}
        inc = self.active(t_ns)
        if inc:
            rec["attributes"].append(kv("sigsynth.incident", inc))
        if trace and self.bug_once("log-orphan"):
            trace = self.tid()
        if trace:
            rec["traceId"], rec["spanId"] = trace, span
        self.logs.append((t_ns, self.next_seq(), rkey, rec))

    # the request walk
    def server(self, service, op, t0, trace, parent):
        """A SERVER span of an instrumented service and everything below it.
        Returns (end_ns, failed, error_message)."""
        spec = self.model["ops"][(service, op)]
        inst = self.rng.randrange(self.model["instances"][service])
        span_id = self.sid()
        self_lat = int(self.qfn[(service, op)](self.u("lat " + service + op)) * NS)
        failed, msg = False, None
        t = t0 + self_lat // 2
        for call in spec["calls"]:
            for _ in range(call.count):
                t, cfailed, cmsg = self.call(service, inst, call, t, trace, span_id)
                if cfailed:
                    failed, msg = True, cmsg
                    break
            if failed:
                break
        end = t + (self_lat - self_lat // 2)
        if not failed and self.rng.random() < spec["errors"]:
            failed, msg = True, "%s %s failed" % (service, op)
        http = " /" in op
        a = []
        code = spec["status"] if failed else (200 if http else 0)
        if failed and http and self.bug_once("status-attr"):
            code = 200
        if http:
            method, route = op.split(" ", 1)
            a += [kv("http.request.method", method), kv("http.route", route),
                  kv("http.response.status_code", code)]
            metric = "http.server.request.duration"
            value = (end - t0) / NS
            name = op
        else:
            a += [kv("rpc.system", "grpc"), kv("rpc.service", service), kv("rpc.method", op),
                  kv("rpc.grpc.status_code", code)]
            metric = "rpc.server.duration"
            value = (end - t0) / 1e6
            name = "%s/%s" % (service, op)
        mattrs = list(a)
        span = new_span(trace, span_id, parent, name, 2, t0, end, a)
        if failed:
            fail_span(span, str(code) if http else GRPC_NAMES.get(code, str(code)), msg, end)
        incident = self.active(t0)
        rkey = self.res_key(service, inst)
        self.add_span(rkey, span, incident, metric, mattrs, value)
        # request logs
        if spec.get("log_always") and self.rng.random() < spec["log_always"]:
            self.add_log(rkey, end, "INFO", "%s %s %d %dms" % (
                method, route, code, (end - t0) // 1_000_000), a[:3], trace, span_id)
        if failed and spec.get("log_error"):
            body = ("checkout failed with %d: %s after %dms" % (code, msg, (end - t0) // 10**6)
                    if http else "PlaceOrder failed: %s after %dms" % (msg, (end - t0) // 10**6))
            self.add_log(rkey, end, "ERROR", body, [kv("error.message", msg)], trace, span_id)
        return end, failed, msg

    def call(self, service, inst, call, t, trace, parent):
        """A call with retries: one CLIENT span per attempt. Returns (end, failed, msg)."""
        rkey = self.res_key(service, inst)
        timeout_ns = int(call.timeout * NS)
        failed, msg = False, None
        for attempt in range(1 + call.retries):
            cid = self.sid()
            incident = self.active(t)
            if call.db:
                mult, perr, emsg = self.query_effects(t)
                d = int(self.qfn["query"](self.u("lat query")) * mult * NS)
                failed = self.rng.random() < perr
                msg = emsg if failed else None
                if d > timeout_ns:
                    d, failed, msg = timeout_ns, True, "timeout after %gs" % call.timeout
                end = t + d
                a = [kv("db.system.name", "postgresql"), kv("db.operation.name", call.op),
                     kv("server.address", call.service)]
                if attempt:
                    a.append(kv("sigsynth.attempt", attempt))
                span = new_span(trace, cid, parent, "%s %s" % (call.op, call.service), 3, t, end,
                                a)
                mattrs = a[:3]
                if failed:
                    fail_span(span, "timeout" if msg.startswith("timeout") else "db_error", msg,
                              end)
                self.add_span(rkey, span, incident, "db.client.operation.duration", mattrs,
                              d / NS)
            else:
                s_end, s_failed, s_msg = self.server(call.service, call.op, t, trace, cid)
                end = min(s_end, t + timeout_ns)
                failed, msg = s_failed, s_msg
                if s_end > t + timeout_ns:
                    failed, msg = True, "timeout after %gs" % call.timeout
                a = [kv("rpc.system", "grpc"), kv("rpc.service", call.service),
                     kv("rpc.method", call.op), kv("server.address", call.service)]
                span = new_span(trace, cid, parent, "%s/%s" % (call.service, call.op), 3, t, end,
                                a)
                if failed:
                    fail_span(span, "timeout" if msg.startswith("timeout") else "rpc_error", msg,
                              end)
                self.add_span(rkey, span, incident)
            t = end
            if not failed:
                break
            if attempt < call.retries:
                t += int(call.backoff * NS)
        return t, failed, msg

    def simulate(self):
        arrivals = []
        for i, ((svc, op), rate) in enumerate(sorted(self.info["entrypoints"].items())):
            rate *= 0.97 if "rate-low" in BUGS else 1.0
            if (svc, op) not in self.model["ops"]:
                continue
            t = self.start_ns
            while True:
                gap = -math.log(1.0 - self.u("arrivals %d" % i)) / (rate * self.traffic_mult(t))
                t += int(gap * NS)
                if t >= self.end_ns:
                    break
                arrivals.append((t, i, svc, op))
        arrivals.sort()
        for t, _, svc, op in arrivals:
            self.req_t0 = t
            self.server(svc, op, t, self.tid(), "")
        # background logs: every 30s per checkout pod; incident logs at 5/s
        n = self.model["instances"]["checkout"]
        t = self.start_ns + 30 * NS
        while t < self.end_ns:
            for inst in range(n):
                self.add_log(self.res_key("checkout", inst), t, "INFO",
                             "orders pool stats: in_use=%.0f" % self.gauge(t, inst), [])
            t += 30 * NS
        for inc in self.incidents:
            t, k = inc["ns"]["start"], 0
            while t < min(inc["ns"]["end"], self.end_ns):
                self.add_log(self.res_key("checkout", k % n), t, "WARN",
                             "orders pool saturated: in_use=%.0f" % self.gauge(t, k % n), [])
                k += 1
                t = inc["ns"]["start"] + k * NS // 5

    def gauge(self, t_ns, inst):
        base = 20.0 + 2.0 * math.sin(t_ns / 7e9 + inst)
        for inc in self.incidents:
            base += (100.0 - base) * self.factor(inc, t_ns)
        return min(100.0, max(0.0, base))

    def resource(self, rkey):
        service, inst = rkey
        a = [kv("service.name", service), kv("service.instance.id", "%s-%d" % (service, inst)),
             kv("k8s.pod.name", "%s-%d" % (service, inst))]
        if service in self.model["versions"]:
            a.append(kv("service.version", self.model["versions"][service]))
        for k, v in sorted(self.info["resource"].items()):
            a.append(kv(k, v))
        if not (service == "catalog" and "no-synthetic" in BUGS):
            a.append(kv("sigsynth.synthetic", True))
        a += [kv("sigsynth.scenario", self.info["name"]),
              kv("sigsynth.run_id", self.run_id)]
        return {"attributes": a}

    def collections(self, interval_s):
        """[(time_ns, Export request)] for every collection, cumulative."""
        step = int(interval_s * NS)
        times, t = [], self.start_ns + step
        while t < self.end_ns:
            times.append(t)
            t += step
        times.append(self.end_ns)
        last_end = max((r[0] for r in self.records), default=0)
        if last_end > times[-1]:
            times.append(last_end)       # the final collection includes every span
        recs = sorted(self.records, key=lambda r: (r[0], r[1]))
        state = {}      # (rkey, metric, attrs) -> [count, sum, buckets]
        order = []
        out, i = [], 0
        for T in times:
            window = {}
            while i < len(recs) and recs[i][0] <= T:
                end, seq, rkey, metric, mattrs, value, tr, sp, inc = recs[i]
                key = (rkey, metric, mattrs)
                st = state.get(key)
                bounds = RPC_BOUNDS_MS if metric == "rpc.server.duration" else HTTP_BOUNDS_S
                if st is None:
                    st = state[key] = [0, 0.0, [0] * (len(bounds) + 1)]
                    order.append(key)
                b = 0
                while b < len(bounds) and value > bounds[b]:
                    b += 1
                st[0] += 1
                st[1] += value
                st[2][b] += 1
                window.setdefault(key, {})[b] = (value, end, tr, sp, inc)
                i += 1
            by_res = {}
            for key in order:
                rkey, metric, mattrs = key
                st = state[key]
                bounds = RPC_BOUNDS_MS if metric == "rpc.server.duration" else HTTP_BOUNDS_S
                ex = []
                for b, (value, end, tr, sp, inc) in sorted(window.get(key, {}).items()):
                    e = {"timeUnixNano": str(end), "asDouble": value, "traceId": tr,
                         "spanId": self.sid() if self.bug_once("exemplar-orphan") else sp}
                    if inc:
                        e["filteredAttributes"] = [kv("sigsynth.incident", inc)]
                    ex.append(e)
                dp = {"attributes": json.loads(mattrs),
                      "startTimeUnixNano": str(self.start_ns), "timeUnixNano": str(T),
                      "count": str(st[0]), "sum": st[1],
                      "bucketCounts": [str(c) for c in st[2]], "explicitBounds": bounds,
                      "exemplars": ex}
                by_res.setdefault(rkey, {}).setdefault(metric, []).append(dp)
            for inst in range(self.model["instances"]["checkout"]):
                by_res.setdefault(("checkout", inst), {}).setdefault(
                    "db_client_connections_in_use", []).append(
                    {"attributes": [kv("pool", "orders")], "timeUnixNano": str(T),
                     "asDouble": round(self.gauge(T, inst), 3)})
            rms = []
            for rkey in sorted(by_res):
                ms = []
                for metric, dps in by_res[rkey].items():
                    if metric == "db_client_connections_in_use":
                        ms.append({"name": metric, "unit": "{connection}",
                                   "gauge": {"dataPoints": dps}})
                    else:
                        ms.append({"name": metric,
                                   "unit": "ms" if metric == "rpc.server.duration" else "s",
                                   "histogram": {"aggregationTemporality": 2,
                                                 "dataPoints": dps}})
                rms.append({"resource": self.resource(rkey), "scopeMetrics": [
                    {"scope": {"name": "sigsynth", "version": "0.0-fake"}, "metrics": ms}]})
            out.append((T, {"resourceMetrics": rms}))
        return out


def kv(key, value):
    if isinstance(value, bool):
        v = {"boolValue": value}
    elif isinstance(value, int):
        v = {"intValue": value if "int-as-number" in BUGS else str(value)}
    elif isinstance(value, float):
        v = {"doubleValue": value}
    else:
        v = {"stringValue": str(value)}
    return {"key": key, "value": v}


def new_span(trace, span_id, parent, name, kind, start, end, attributes):
    sp = {"traceId": trace, "spanId": span_id, "name": name, "kind": kind,
          "startTimeUnixNano": str(start), "endTimeUnixNano": str(end),
          "attributes": attributes, "status": {}}
    if parent:
        sp["parentSpanId"] = parent
    return sp


def fail_span(span, error_type, message, t):
    span["status"] = {"code": 2, "message": message}
    span["attributes"].append(kv("error.type", error_type))
    span["events"] = [{"timeUnixNano": str(t), "name": "exception", "attributes": [
        kv("exception.type", error_type), kv("exception.message", message)]}]


# --------------------------------------------------------------------------- output

def group_lines(items, kind, sim, per_line=1000):
    """items: [(time, seq, rkey, record)] in write order -> Export request objects."""
    outer, inner, leaf = {"spans": ("resourceSpans", "scopeSpans", "spans"),
                          "logs": ("resourceLogs", "scopeLogs", "logRecords")}[kind]
    for i in range(0, len(items), per_line):
        by_res = {}
        for _, _, rkey, rec in items[i:i + per_line]:
            by_res.setdefault(rkey, []).append(rec)
        yield {outer: [{"resource": sim.resource(rkey), inner: [
            {"scope": {"name": "sigsynth", "version": "0.0-fake"}, leaf: recs}]}
            for rkey, recs in by_res.items()]}


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n"


def rfc3339(ns):
    secs, rem = divmod(ns, NS)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
    if rem == 0:
        return base + "Z"
    if rem % 1_000_000 == 0:
        return base + ".%03dZ" % (rem // 1_000_000)
    return base + ".%09dZ" % rem


def parse_start(text, dur_s, live):
    now = time.time_ns() // 1_000_000 * 1_000_000
    if text is None:
        return now if live else now - int(dur_s * NS)
    if text == "now":
        return now
    if text.startswith("-"):
        return now - int(otlp.parse_duration(text[1:]) * NS)
    return otlp.parse_rfc3339(text)


def main(argv):
    ap = argparse.ArgumentParser(prog="fake_run.py")
    ap.add_argument("command", choices=["run"])
    ap.add_argument("file")
    ap.add_argument("--output", required=True)
    ap.add_argument("--summary")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--start")
    ap.add_argument("--duration")
    ap.add_argument("--mode", choices=["backfill", "live"], default="backfill")
    ap.add_argument("--metric-interval", default="15s")
    ap.add_argument("--signals", default="traces,metrics,logs")
    ap.add_argument("--run-id")
    ap.add_argument("--shard", default="0/1")
    a = ap.parse_args(argv)
    unknown = BUGS - set(KNOWN_BUGS)
    if unknown:
        print("fake_run: unknown SX_FAKE_BUG %s; known: %s" % (
            ",".join(sorted(unknown)), ", ".join(sorted(KNOWN_BUGS))), file=sys.stderr)
        return 2
    info = otlp.scenario_info(a.file)
    seed = a.seed if a.seed is not None else 42
    dur_s = otlp.parse_duration(a.duration) if a.duration else info["duration"]
    live = a.mode == "live"
    start_ns = parse_start(a.start, dur_s, live)
    signals = [s.strip() for s in a.signals.split(",") if s.strip()]
    run_id = a.run_id or "run-" + hashlib.sha256(
        ("%s/%d/%d" % (info["name"], seed, start_ns)).encode()).hexdigest()[:16]

    sim = Sim(info, seed, start_ns, dur_s, run_id)
    sim.simulate()
    spans = sorted(sim.spans, key=lambda s: (s[0], s[1])) if "traces" in signals else []
    logs = sorted(sim.logs, key=lambda s: (s[0], s[1])) if "logs" in signals else []
    cols = sim.collections(otlp.parse_duration(a.metric_interval)) if "metrics" in signals else []

    os.makedirs(a.output, exist_ok=True)
    files = {s: open(os.path.join(a.output, s + ".jsonl"), "w", encoding="utf-8")
             for s in signals}
    lines = 0
    if not live:
        for obj in group_lines(spans, "spans", sim):
            files["traces"].write(dumps(obj))
            lines += 1
        for obj in group_lines(logs, "logs", sim):
            files["logs"].write(dumps(obj))
            lines += 1
        for _, obj in cols:
            files["metrics"].write(dumps(obj))
            lines += 1
    else:
        if "live-batch" in BUGS:
            time.sleep(max(0.0, (sim.end_ns - time.time_ns()) / NS))
        if "live-future" in BUGS:
            spans = [(s[0] - 2 * NS,) + s[1:] for s in spans]
        si = li = ci = 0
        while si < len(spans) or li < len(logs) or ci < len(cols):
            now = time.time_ns()
            sj = si
            while sj < len(spans) and spans[sj][0] <= now:
                sj += 1
            for obj in group_lines(spans[si:sj], "spans", sim):
                files["traces"].write(dumps(obj))
                lines += 1
            lj = li
            while lj < len(logs) and logs[lj][0] <= now:
                lj += 1
            for obj in group_lines(logs[li:lj], "logs", sim):
                files["logs"].write(dumps(obj))
                lines += 1
            while ci < len(cols) and cols[ci][0] <= now:
                files["metrics"].write(dumps(cols[ci][1]))
                lines += 1
                ci += 1
            si, li = sj, lj
            for f in files.values():
                f.flush()
            time.sleep(0.2)
    for f in files.values():
        f.close()

    # the summary, counted from what was written
    n_err = sum(1 for s in spans if (s[3].get("status") or {}).get("code") == 2)
    points, series = 0, set()
    for _, obj in cols:
        for res, m, kind, dp in otlp.iter_points(obj):
            points += 1
            series.add(otlp.series_key(res, m["name"], otlp.attrs(dp.get("attributes"))))
    ops = {}
    for _, _, rkey, sp in spans:
        at = otlp.attrs(sp["attributes"])
        if sp["kind"] == 2:
            key = (rkey[0], sp["name"] if "http.route" in at else at["rpc.method"])
        elif "db.operation.name" in at:
            key = (at["server.address"], at["db.operation.name"])
        else:
            continue
        o = ops.setdefault(key, [0, 0])
        o[0] += 1
        o[1] += (sp.get("status") or {}).get("code") == 2
    by_sev = {}
    for _, _, _, lr in logs:
        by_sev[lr["severityText"]] = by_sev.get(lr["severityText"], 0) + 1
    counts = {"spans": len(spans), "logs": len(logs), "metric_points": points}
    summary = {
        "scenario": info["name"], "seed": seed, "run_id": run_id, "shard": a.shard,
        "mode": a.mode, "start": rfc3339(start_ns), "end": rfc3339(sim.end_ns),
        "incidents": [{"name": inc["name"], **{k: rfc3339(inc["ns"][k]) for k in
                                                 ("start", "full", "recovering", "end")}}
                      for inc in sim.incidents if inc["ns"]["start"] < sim.end_ns],
        "generated": {"spans": len(spans), "error_spans": n_err, "logs": len(logs),
                      "metric_points": points, "series": len(series)},
        "exporters": [{"name": "file", "signals": signals, "delivered": counts,
                       "dropped": {k: 0 for k in counts}, "retries": 0, "requests": lines,
                       "errors": {}}],
        "operations": [{"service": s, "operation": o, "requests": v[0], "errors": v[1]}
                       for (s, o), v in sorted(ops.items())],
        "logs_by_severity": dict(sorted(by_sev.items())),
    }
    if "summary-count" in BUGS:
        summary["generated"]["spans"] += 1
    if a.summary:
        with open(a.summary, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=2)
            f.write("\n")
    print("fake_run: %d spans (%d errors), %d logs, %d metric points in %d series" % (
        len(spans), n_err, len(logs), points, len(series)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
