"""Shared helpers for the sigsynth engine integration tests (Python 3, standard library only).

What is here:
  * Checker          PASS/FAIL bookkeeping and the final "N passed, M failed" line.
  * Setup            argument handling (BIN ROOT), real engine or the fake (SX_FAKE=1),
                     temp dirs, running `sigsynth run` and loading its summary.
  * read_jsonl, iter_spans, iter_logs, iter_points
                     streaming readers for the OTLP JSON lines files (one Export request
                     per line), with resource attributes decoded once per resource.
  * attrs, anyvalue  OTLP KeyValue lists -> Python dicts / values.
  * percentile, quantile_se, median
                     statistics on sorted lists.
  * parse_duration, parse_rate, parse_rfc3339, fmt_ns
                     units.
  * scenario_info    the few numbers the tests need from a scenario file, read with small
                     regexes (no YAML library in the standard library), cross-checked
                     against `sigsynth explain` when the real binary is used.

Environment:
  SX_FAKE=1          run tests/engine/fake_run.py on tests/engine/fake-scenario.yaml instead
                     of BIN on the flagship (to test the checkers themselves).
  SX_DURATION=40m    override the --duration every backfill test picks.
  SX_KEEP=1          keep the temp dirs (their path is printed).
  SX_TMPDIR=DIR      where to make the temp dirs (default: the system temp dir).
  SX_RUN_TIMEOUT=S   seconds a backfill `sigsynth run` may take (default 900).
"""

import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
FLAGSHIP = os.path.join("scenarios", "checkout-db-pool-exhaustion.yaml")
FAKE_SCENARIO = os.path.join(HERE, "fake-scenario.yaml")
FAKE_RUN = os.path.join(HERE, "fake_run.py")
FIXED_START = "2026-01-01T00:00:00Z"
SEED = 42

HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")
DIGITS = re.compile(r"^[0-9]+$")


def fake_mode():
    return os.environ.get("SX_FAKE", "") not in ("", "0")


# --------------------------------------------------------------------------- checks

class Checker:
    """Counts checks; every check prints one PASS/FAIL line with its measured numbers."""

    def __init__(self, title):
        self.title = title
        self.passed = 0
        self.failed = 0
        print("== %s%s" % (title, " (SX_FAKE: fake_run.py)" if fake_mode() else ""), flush=True)

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("PASS %s%s" % (name, (": " + detail) if detail else ""), flush=True)
        else:
            self.failed += 1
            print("FAIL %s%s" % (name, (": " + detail) if detail else ""), flush=True)
        return bool(ok)

    def info(self, msg):
        print("     " + msg, flush=True)

    def note(self, msg):
        print("NOTE " + msg, flush=True)

    def finish(self):
        if self.passed + self.failed == 0:
            self.failed += 1
            print("FAIL nothing was checked")
        print("%d passed, %d failed" % (self.passed, self.failed), flush=True)
        return 0 if self.failed == 0 else 1

    def abort(self, msg):
        """A failure that makes the remaining checks meaningless."""
        self.failed += 1
        print("FAIL %s" % msg, flush=True)
        print("%d passed, %d failed" % (self.passed, self.failed), flush=True)
        sys.exit(1)


def rel_err(measured, expected):
    if expected == 0:
        return float("inf") if measured else 0.0
    return measured / expected - 1.0


def within(measured, expected, tol):
    return abs(rel_err(measured, expected)) <= tol


# --------------------------------------------------------------------------- units

_DUR_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0,
              "d": 86400.0}
_DUR_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)")


def parse_duration(text):
    """'1h30m', '250us', '1.5s' -> seconds (float)."""
    s = str(text).strip()
    pos, total = 0, 0.0
    for m in _DUR_PART.finditer(s):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _DUR_UNITS[m.group(2)]
        pos = m.end()
    if pos != len(s) or not s:
        raise ValueError("bad duration %r" % text)
    return total


def fmt_duration(seconds):
    """seconds -> a duration the CLI accepts ('13m', '90s', '1500ms')."""
    if seconds >= 60 and abs(seconds / 60 - round(seconds / 60)) < 1e-9:
        return "%dm" % round(seconds / 60)
    if abs(seconds - round(seconds)) < 1e-9:
        return "%ds" % round(seconds)
    return "%dms" % round(seconds * 1000)


def parse_rate(text):
    """'160/s', '3000/m', '2/h' -> per second."""
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|m|h)\s*$", str(text))
    if not m:
        raise ValueError("bad rate %r" % text)
    return float(m.group(1)) / {"s": 1.0, "m": 60.0, "h": 3600.0}[m.group(2)]


def parse_ratio(text):
    t = str(text).strip()
    return float(t[:-1]) / 100.0 if t.endswith("%") else float(t)


_RFC3339 = re.compile(r"^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?"
                      r"(Z|z|[+-]\d\d:\d\d)$")


def parse_rfc3339(text):
    """RFC 3339 -> integer nanoseconds since the epoch (exact, fractions up to 1 ns)."""
    m = _RFC3339.match(str(text).strip())
    if not m:
        raise ValueError("bad RFC 3339 time %r" % text)
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    frac = m.group(7) or ""
    ns = int((frac + "000000000")[:9]) if frac else 0
    tz = m.group(8)
    dt = datetime(y, mo, d, h, mi, s, tzinfo=timezone.utc)
    secs = int(dt.timestamp())
    if tz not in ("Z", "z"):
        sign = 1 if tz[0] == "+" else -1
        secs -= sign * (int(tz[1:3]) * 3600 + int(tz[4:6]) * 60)
    return secs * 1_000_000_000 + ns


def fmt_ns(ns):
    """integer ns -> RFC 3339 with milliseconds, UTC."""
    secs, rem = divmod(int(ns), 1_000_000_000)
    return datetime.fromtimestamp(secs, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + \
        ".%03dZ" % (rem // 1_000_000)


# --------------------------------------------------------------------------- statistics

def percentile(sorted_values, q):
    """Linear interpolation between closest ranks (numpy's default); q in [0, 1]."""
    n = len(sorted_values)
    if n == 0:
        return float("nan")
    k = (n - 1) * q
    f = int(math.floor(k))
    c = min(f + 1, n - 1)
    return sorted_values[f] + (sorted_values[c] - sorted_values[f]) * (k - f)


def median(values):
    return percentile(sorted(values), 0.5)


def quantile_se(sorted_values, q):
    """Relative standard error of the q-quantile estimate, from the order statistics one
    binomial standard deviation either side of rank n*q (distribution-free)."""
    n = len(sorted_values)
    if n < 10:
        return float("nan")
    sd = math.sqrt(n * q * (1 - q))
    lo = sorted_values[max(0, int(n * q - sd))]
    hi = sorted_values[min(n - 1, int(math.ceil(n * q + sd)))]
    mid = percentile(sorted_values, q)
    return (hi - lo) / 2.0 / mid if mid else float("nan")


# --------------------------------------------------------------------------- OTLP JSON

def anyvalue(v):
    """OTLP AnyValue (protojson) -> Python value. intValue may be a string (the spec) or a
    number (tolerated here; format checks flag it)."""
    if not isinstance(v, dict) or not v:
        return None
    if "stringValue" in v:
        return v["stringValue"]
    if "intValue" in v:
        return int(v["intValue"])
    if "doubleValue" in v:
        return float(v["doubleValue"])
    if "boolValue" in v:
        return bool(v["boolValue"])
    if "arrayValue" in v:
        return [anyvalue(x) for x in v["arrayValue"].get("values", [])]
    if "kvlistValue" in v:
        return attrs(v["kvlistValue"].get("values", []))
    if "bytesValue" in v:
        return v["bytesValue"]
    return None


def attrs(kvs):
    """[{key, value: AnyValue}] -> {key: value}."""
    out = {}
    for kv in kvs or ():
        out[kv.get("key")] = anyvalue(kv.get("value"))
    return out


def read_jsonl(path):
    """Yields (line_number, object) per non-empty line; a bad line raises ValueError naming it."""
    with open(path, "rb") as f:
        for i, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield i, json.loads(line)
            except ValueError as e:
                raise ValueError("%s:%d: not JSON: %s" % (path, i, e))


def iter_spans(path):
    """Yields (resource_attrs, span, line_number) for every span of a traces.jsonl."""
    for ln, obj in read_jsonl(path):
        for rs in obj.get("resourceSpans", ()):
            res = attrs(rs.get("resource", {}).get("attributes"))
            for ss in rs.get("scopeSpans", ()):
                for sp in ss.get("spans", ()):
                    yield res, sp, ln


def iter_logs(path):
    """Yields (resource_attrs, log_record, line_number) for every record of a logs.jsonl."""
    for ln, obj in read_jsonl(path):
        for rl in obj.get("resourceLogs", ()):
            res = attrs(rl.get("resource", {}).get("attributes"))
            for sl in rl.get("scopeLogs", ()):
                for lr in sl.get("logRecords", ()):
                    yield res, lr, ln


METRIC_KINDS = ("histogram", "gauge", "sum", "exponentialHistogram", "summary")


def iter_points(obj):
    """Yields (resource_attrs, metric, kind, data_point) for one metrics Export request."""
    for rm in obj.get("resourceMetrics", ()):
        res = attrs(rm.get("resource", {}).get("attributes"))
        for sm in rm.get("scopeMetrics", ()):
            for m in sm.get("metrics", ()):
                for kind in METRIC_KINDS:
                    if kind in m:
                        for dp in m[kind].get("dataPoints", ()):
                            yield res, m, kind, dp


def iter_resources(obj):
    """Yields the resource attribute dict of every resource entry of any Export request."""
    for key in ("resourceSpans", "resourceLogs", "resourceMetrics"):
        for r in obj.get(key, ()):
            yield attrs(r.get("resource", {}).get("attributes"))


def span_ns(sp):
    return int(sp["startTimeUnixNano"]), int(sp["endTimeUnixNano"])


def status_code(sp):
    return int((sp.get("status") or {}).get("code", 0) or 0)


def is_root(sp):
    return not sp.get("parentSpanId")


def series_key(res, name, dp_attrs):
    return (tuple(sorted((k, repr(v)) for k, v in res.items())), name,
            tuple(sorted((k, repr(v)) for k, v in dp_attrs.items())))


def point_time(dp):
    return int(dp["timeUnixNano"])


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# Format problems (protojson as the OpenTelemetry file exporter writes it). Each function
# returns a list of short strings; callers count them and show the first few.

def _int64_str(v):
    return isinstance(v, str) and DIGITS.match(v) is not None


def _attr_problems(kvs, where):
    out = []
    for kv in kvs or ():
        v = kv.get("value")
        if not isinstance(kv.get("key"), str) or not isinstance(v, dict) or len(v) != 1:
            out.append("%s: malformed attribute %r" % (where, kv))
            continue
        (t, x), = v.items()
        if t == "intValue" and not (isinstance(x, str) and re.match(r"^-?[0-9]+$", x)):
            out.append("%s: %s intValue %r is not a JSON string" % (where, kv["key"], x))
        elif t == "boolValue" and not isinstance(x, bool):
            out.append("%s: %s boolValue %r is not a JSON boolean" % (where, kv["key"], x))
        elif t == "stringValue" and not isinstance(x, str):
            out.append("%s: %s stringValue %r is not a JSON string" % (where, kv["key"], x))
        elif t == "doubleValue" and not isinstance(x, (int, float)) and x not in (
                "NaN", "Infinity", "-Infinity"):
            out.append("%s: %s doubleValue %r is not a number" % (where, kv["key"], x))
        elif t not in ("intValue", "boolValue", "stringValue", "doubleValue", "arrayValue",
                       "kvlistValue", "bytesValue"):
            out.append("%s: %s unknown value type %r" % (where, kv["key"], t))
    return out


def span_format_problems(sp):
    out = []
    w = "span %s" % sp.get("spanId")
    if not HEX32.match(str(sp.get("traceId", ""))):
        out.append("%s: traceId %r is not 32 lowercase hex digits" % (w, sp.get("traceId")))
    if not HEX16.match(str(sp.get("spanId", ""))):
        out.append("%s: spanId %r is not 16 lowercase hex digits" % (w, sp.get("spanId")))
    p = sp.get("parentSpanId")
    if p and not HEX16.match(str(p)):
        out.append("%s: parentSpanId %r is not 16 lowercase hex digits" % (w, p))
    for k in ("startTimeUnixNano", "endTimeUnixNano"):
        if not _int64_str(sp.get(k)):
            out.append("%s: %s %r is not a decimal JSON string" % (w, k, sp.get(k)))
    if not isinstance(sp.get("kind"), int) or isinstance(sp.get("kind"), bool):
        out.append("%s: kind %r is not an integer" % (w, sp.get("kind")))
    st = sp.get("status") or {}
    if "code" in st and (not isinstance(st["code"], int) or isinstance(st["code"], bool)):
        out.append("%s: status.code %r is not an integer" % (w, st["code"]))
    if not isinstance(sp.get("name"), str) or not sp.get("name"):
        out.append("%s: no name" % w)
    out += _attr_problems(sp.get("attributes"), w)
    for ev in sp.get("events") or ():
        if not _int64_str(ev.get("timeUnixNano")):
            out.append("%s: event timeUnixNano %r is not a decimal JSON string"
                       % (w, ev.get("timeUnixNano")))
        out += _attr_problems(ev.get("attributes"), w + " event")
    return out


def log_format_problems(lr):
    out = []
    w = "log record"
    if not _int64_str(lr.get("timeUnixNano")):
        out.append("%s: timeUnixNano %r is not a decimal JSON string" % (w, lr.get("timeUnixNano")))
    sn = lr.get("severityNumber")
    if not isinstance(sn, int) or isinstance(sn, bool):
        out.append("%s: severityNumber %r is not an integer" % (w, sn))
    if not isinstance(lr.get("severityText"), str):
        out.append("%s: severityText missing" % w)
    if not isinstance((lr.get("body") or {}).get("stringValue"), str):
        out.append("%s: body is not {stringValue}" % w)
    t, s = lr.get("traceId"), lr.get("spanId")
    if t and not HEX32.match(str(t)):
        out.append("%s: traceId %r is not 32 lowercase hex digits" % (w, t))
    if s and not HEX16.match(str(s)):
        out.append("%s: spanId %r is not 16 lowercase hex digits" % (w, s))
    out += _attr_problems(lr.get("attributes"), w)
    return out


def point_format_problems(m, kind, dp):
    out = []
    w = "%s point" % m.get("name")
    for k in ("timeUnixNano", "startTimeUnixNano"):
        if k in dp and not _int64_str(dp[k]):
            out.append("%s: %s %r is not a decimal JSON string" % (w, k, dp[k]))
    if "timeUnixNano" not in dp:
        out.append("%s: no timeUnixNano" % w)
    if kind == "histogram":
        if not _int64_str(dp.get("count")):
            out.append("%s: count %r is not a decimal JSON string" % (w, dp.get("count")))
        bc = dp.get("bucketCounts") or []
        if not all(_int64_str(x) for x in bc):
            out.append("%s: bucketCounts are not decimal JSON strings" % w)
        at = m[kind].get("aggregationTemporality")
        if not isinstance(at, int) or isinstance(at, bool):
            out.append("%s: aggregationTemporality %r is not an integer" % (w, at))
        for ex in dp.get("exemplars") or ():
            if not HEX32.match(str(ex.get("traceId", ""))) or \
                    not HEX16.match(str(ex.get("spanId", ""))):
                out.append("%s: exemplar ids %r/%r are not lowercase hex"
                           % (w, ex.get("traceId"), ex.get("spanId")))
            if not _int64_str(ex.get("timeUnixNano")):
                out.append("%s: exemplar timeUnixNano %r is not a decimal JSON string"
                           % (w, ex.get("timeUnixNano")))
    if "asInt" in dp and not (isinstance(dp["asInt"], str) and
                              re.match(r"^-?[0-9]+$", dp["asInt"])):
        out.append("%s: asInt %r is not a decimal JSON string" % (w, dp.get("asInt")))
    out += _attr_problems(dp.get("attributes"), w)
    return out


# --------------------------------------------------------------------------- the scenario

def _strip_comment(line):
    q = None
    for i, c in enumerate(line):
        if q:
            if c == q:
                q = None
        elif c in "\"'":
            q = c
        elif c == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line.rstrip()


def _indent(line):
    return len(line) - len(line.lstrip(" "))


def _block(lines, start):
    """Lines after `start` that are indented deeper than lines[start]."""
    ind = _indent(lines[start])
    out = []
    for ln in lines[start + 1:]:
        if ln.strip() and _indent(ln) <= ind:
            break
        out.append(ln)
    return out


def _flow_map(text):
    """'p50: 1.4ms, p99: 17ms' -> {'p50': '1.4ms', 'p99': '17ms'} (one level, no nesting)."""
    out = {}
    for part in text.split(","):
        if ":" in part:
            k, v = part.split(":", 1)
            out[k.strip().strip("\"'")] = v.strip().strip("\"'")
    return out


_PCT_KEYS = {"p50": 0.5, "p75": 0.75, "p90": 0.9, "p95": 0.95, "p99": 0.99, "p999": 0.999}


def _find_service(lines, service):
    in_services = False
    for i, ln in enumerate(lines):
        if re.match(r"^services:\s*$", ln):
            in_services = True
            continue
        if in_services and ln.strip() and _indent(ln) == 0:
            in_services = False
        if in_services and re.match(r"^  %s:\s*$" % re.escape(service), ln):
            return i
    raise ValueError("service %r not found" % service)


def _op_latency(lines, service, op):
    si = _find_service(lines, service)
    svc_end = si + 1 + len(_block(lines, si))
    pat = re.compile(r"^\s+[\"']?%s[\"']?\s*:" % re.escape(op))
    for i in range(si + 1, svc_end):
        if pat.match(lines[i]):
            text = "\n".join([lines[i]] + _block(lines, i))
            m = re.search(r"latency:\s*\{([^}]*)\}", text)
            if not m:
                raise ValueError("%s.%s: no latency {...}" % (service, op))
            fm = _flow_map(m.group(1))
            out = {"pcts": {}, "max": None}
            for k, v in fm.items():
                if k in _PCT_KEYS:
                    out["pcts"][k] = parse_duration(v)
                elif k == "max":
                    out["max"] = parse_duration(v)
            return out
    raise ValueError("operation %s.%s not found" % (service, op))


def scenario_info(path):
    """The numbers the tests need, read from the scenario file with small regexes:
    name, duration, resource, entrypoints {(service, op): rate/s}, latency of
    orders-db.query, the timeouts of calls to it, and each incident's offsets (s) and
    effects on orders-db.query latency and on traffic."""
    with open(path, encoding="utf-8") as f:
        lines = [_strip_comment(ln) for ln in f.read().splitlines()]
    text = "\n".join(lines)
    info = {"path": path}
    info["name"] = re.search(r"^name:\s*(\S+)", text, re.M).group(1)
    info["duration"] = parse_duration(re.search(r"^duration:\s*(\S+)", text, re.M).group(1))
    info["resource"] = {}
    for i, ln in enumerate(lines):
        if re.match(r"^resource:\s*$", ln):
            for b in _block(lines, i):
                m = re.match(r"^\s+([\w.\-]+):\s*(.+?)\s*$", b)
                if m:
                    info["resource"][m.group(1)] = m.group(2).strip("\"'")
    info["entrypoints"] = {}
    for m in re.finditer(r"\{\s*to:\s*([a-z0-9-]+)\.\"?([^\",}]+?)\"?\s*,\s*rate:\s*([^,}\s]+)",
                         text):
        info["entrypoints"][(m.group(1), m.group(2).strip())] = parse_rate(m.group(3))
    info["query_latency"] = _op_latency(lines, "orders-db", "query")
    timeouts = []
    for i, ln in enumerate(lines):
        if re.match(r"^\s*-\s*to:\s*orders-db\.\"?query\"?\s*$", ln):
            m = re.search(r"timeout:\s*(\S+)", "\n".join(_block(lines, i)))
            if m:
                timeouts.append(parse_duration(m.group(1)))
    info["query_timeout"] = max(timeouts) if timeouts else None
    # the services that call orders-db.query, and its db system
    callers = set()
    for i, ln in enumerate(lines):
        if re.match(r"^\s*-\s*to:\s*orders-db\.\"?query\"?\s*$", ln):
            for j in range(i, -1, -1):
                m = re.match(r"^  ([a-z0-9-]+):\s*$", lines[j])
                if m:
                    callers.add(m.group(1))
                    break
    info["query_callers"] = sorted(callers)
    si = _find_service(lines, "orders-db")
    m = re.search(r"^\s+system:\s*(\S+)", "\n".join(_block(lines, si)), re.M)
    info["query_system"] = m.group(1) if m else None
    # incidents
    incs = []
    start = None
    for i, ln in enumerate(lines):
        if re.match(r"^incidents:\s*$", ln):
            start = i
            break
    if start is not None:
        sect = _block(lines, start)
        items, cur = [], None
        for ln in sect:
            if re.match(r"^  - ", ln) or re.match(r"^- ", ln):
                cur = [ln]
                items.append(cur)
            elif cur is not None:
                cur.append(ln)
        for item in items:
            body = "\n".join(item)
            inc = {"name": re.search(r"name:\s*(\S+)", body).group(1)}
            for k in ("start", "ramp", "duration", "recover"):
                m = re.search(r"^\s*(?:- )?%s:\s*(\S+)" % k, body, re.M)
                inc[k] = parse_duration(m.group(1)) if m else 0.0
            inc["full"] = inc["start"] + inc["ramp"]
            inc["recovering"] = inc["full"] + inc["duration"]
            inc["end"] = inc["recovering"] + inc["recover"]
            inc["query_latency_multiply"] = 1.0
            m = re.search(r"target:\s*orders-db\.query\s*\n((?:(?!\s*- ).*\n?)*)", body)
            if m:
                mm = re.search(r"latency:\s*\{\s*multiply:\s*([0-9.]+)\s*\}", m.group(1))
                if mm:
                    inc["query_latency_multiply"] = float(mm.group(1))
                mm = re.search(r"errors:\s*\{\s*set:\s*([0-9.]+%?)\s*\}", m.group(1))
                if mm:
                    inc["query_errors_set"] = parse_ratio(mm.group(1))
            m = re.search(r"traffic:\s*\{\s*multiply:\s*([0-9.]+)\s*\}", body)
            inc["traffic_multiply"] = float(m.group(1)) if m else 1.0
            incs.append(inc)
    info["incidents"] = incs
    return info


def explain_crosscheck(chk, bin_path, scenario, info):
    """With the real binary: the regex-read numbers agree with `sigsynth explain`."""
    if fake_mode():
        return
    try:
        out = subprocess.run([bin_path, "explain", scenario], capture_output=True, text=True,
                             timeout=120).stdout
    except (OSError, subprocess.TimeoutExpired) as e:
        chk.note("sigsynth explain failed (%s): scenario values not cross-checked" % e)
        return
    probs = []
    for inc in info["incidents"]:
        m = re.search(r"^\s+%s\s*\n\s+start \+(\S+)\s+full \+(\S+)\s+recovering \+(\S+)\s+end \+(\S+)"
                      % re.escape(inc["name"]), out, re.M)
        if not m:
            probs.append("no timeline for %s in explain" % inc["name"])
            continue
        for k, v in zip(("start", "full", "recovering", "end"), m.groups()):
            if not abs(_explain_dur(v) - inc[k]) <= 1e-6:
                probs.append("%s.%s: explain %s, file %gs" % (inc["name"], k, v, inc[k]))
    m = re.search(r"^\s+query\s+~\S+.*\n\s+declared (.*)$", out, re.M)
    if m:
        decl = dict(kv.split("=") for kv in m.group(1).split())
        for k in ("p50", "p99"):
            if k in decl and abs(parse_duration(decl[k]) / info["query_latency"]["pcts"][k] - 1) \
                    > 1e-6:
                probs.append("orders-db.query %s: explain %s, file %g" %
                             (k, decl[k], info["query_latency"]["pcts"][k]))
    else:
        probs.append("no 'declared' line for orders-db.query in explain")
    chk.check("scenario values read from the file agree with `sigsynth explain`", not probs,
              "; ".join(probs) if probs else "incident offsets and orders-db.query p50/p99")


def _explain_dur(v):
    # explain prints e.g. 10m00s, 1h02m03s, 40m00s
    m = re.match(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$", v)
    if not m:
        return float("nan")
    h, mi, s = m.groups()
    return int(h or 0) * 3600 + int(mi or 0) * 60 + float(s or 0)


# --------------------------------------------------------------------------- running

class Setup:
    """argv handling and engine runs. Usage: test_x.py BIN ROOT."""

    def __init__(self, chk, argv):
        self.chk = chk
        if len(argv) < 3 and not fake_mode():
            print("usage: %s BIN ROOT   (BIN = path to sigsynth, ROOT = the repository)\n"
                  "       SX_FAKE=1 %s [BIN ROOT]   (checks the checkers with fake_run.py)"
                  % (argv[0], argv[0]), file=sys.stderr)
            sys.exit(2)
        self.bin = os.path.abspath(argv[1]) if len(argv) > 1 else None
        self.root = os.path.abspath(argv[2]) if len(argv) > 2 else os.path.dirname(
            os.path.dirname(HERE))
        if fake_mode():
            self.cmd = [sys.executable, FAKE_RUN]
            self.scenario = FAKE_SCENARIO
        else:
            if not (os.path.isfile(self.bin) and os.access(self.bin, os.X_OK)):
                chk.abort("BIN %s is not an executable" % self.bin)
            self.cmd = [self.bin]
            self.scenario = os.path.join(self.root, FLAGSHIP)
        if not os.path.isfile(self.scenario):
            chk.abort("scenario %s not found" % self.scenario)
        self.info = scenario_info(self.scenario)
        self.tmp = tempfile.mkdtemp(prefix="sx-engine-", dir=os.environ.get("SX_TMPDIR") or None)
        chk.info("scenario %s, temp dir %s" % (self.scenario, self.tmp))

    def incident(self, name=None):
        incs = self.info["incidents"]
        if not incs:
            self.chk.abort("the scenario has no incident")
        if name is None:
            return incs[0]
        for inc in incs:
            if inc["name"] == name:
                return inc
        self.chk.abort("no incident %r in the scenario" % name)

    def duration(self, default_seconds):
        """The --duration for a backfill run: SX_DURATION or the test's default."""
        env = os.environ.get("SX_DURATION")
        return parse_duration(env) if env else default_seconds

    def run(self, name, duration_s=None, seed=SEED, start=FIXED_START, extra=(),
            timeout=None, check_rc=True):
        """`sigsynth run SCENARIO --output TMP/name --summary TMP/name/summary.json ...`.
        Returns (output_dir, summary dict). Aborts the test on a non-zero exit."""
        out = os.path.join(self.tmp, name)
        os.makedirs(out, exist_ok=True)
        summary = os.path.join(out, "summary.json")
        argv = self.cmd + ["run", self.scenario, "--output", out, "--summary", summary,
                           "--seed", str(seed)]
        if start is not None:
            argv += ["--start", start]
        if duration_s is not None:
            argv += ["--duration", fmt_duration(duration_s)]
        argv += list(extra)
        timeout = timeout or float(os.environ.get("SX_RUN_TIMEOUT", "900"))
        self.chk.info("$ " + " ".join(argv))
        t0 = time.time()
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            self.chk.abort("sigsynth run did not finish within %.0fs" % timeout)
        wall = time.time() - t0
        if check_rc and p.returncode != 0:
            self.chk.abort("sigsynth run exited %d\n--- stderr:\n%s" %
                           (p.returncode, p.stderr[-4000:]))
        sizes = ", ".join("%s %.1f MB" % (f, os.path.getsize(os.path.join(out, f)) / 1e6)
                          for f in ("traces.jsonl", "metrics.jsonl", "logs.jsonl")
                          if os.path.exists(os.path.join(out, f)))
        self.chk.info("run %s: %.1fs wall, %s" % (name, wall, sizes or "no output files"))
        try:
            with open(summary, encoding="utf-8") as f:
                summ = json.load(f)
        except (OSError, ValueError) as e:
            self.chk.abort("summary %s unreadable: %s" % (summary, e))
        return out, summ

    def cleanup(self):
        if os.environ.get("SX_KEEP", "") not in ("", "0"):
            print("     kept %s" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def summary_windows(chk, summ, info=None):
    """Incident windows from the summary: {name: dict(start, full, recovering, end) in ns},
    plus the run's start/end in ns. With `info`, checks them against the scenario offsets."""
    try:
        run_start = parse_rfc3339(summ["start"])
        run_end = parse_rfc3339(summ["end"])
        wins = {}
        for inc in summ["incidents"]:
            wins[inc["name"]] = {k: parse_rfc3339(inc[k])
                                 for k in ("start", "full", "recovering", "end")}
    except (KeyError, TypeError, ValueError) as e:
        chk.abort("summary start/end/incidents unusable: %r" % (e,))
    if info is not None:
        probs = []
        for inc in info["incidents"]:
            w = wins.get(inc["name"])
            if w is None:
                if run_start + int(inc["start"] * 1e9) < run_end:
                    probs.append("incident %s missing" % inc["name"])
                continue
            for k in ("start", "full", "recovering", "end"):
                want = run_start + int(round(inc[k] * 1e9))
                if w[k] != want:
                    probs.append("%s.%s = %s, scenario says %s" %
                                 (inc["name"], k, fmt_ns(w[k]), fmt_ns(want)))
        chk.check("summary incident anchors = run start + scenario offsets", not probs,
                  "; ".join(probs) if probs else ", ".join(
                      "%s %s/%s/%s/%s" % (n, *(fmt_ns(w[k])[11:19] for k in
                                               ("start", "full", "recovering", "end")))
                      for n, w in wins.items()))
    return run_start, run_end, wins
