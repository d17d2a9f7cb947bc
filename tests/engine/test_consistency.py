#!/usr/bin/env python3
"""One source of truth: spans, logs and metrics of one run agree with each other.

  usage: test_consistency.py BIN ROOT        (SX_FAKE=1: against fake_run.py)

One backfill run of the flagship (seed 42, --start 2026-01-01T00:00:00Z) up to one minute past
the incident's `full` anchor, so the ramp and part of the hold (errors, slow queries, incident
logs) are covered; SX_DURATION=40m runs the whole timeline (then the incident's end boundary
is checked too). No --run-id: the default run id must be the one on every resource.

  (a) error ratio: the final cumulative server histograms (http.server.request.duration with
      http.response.status_code >= 500, rpc.server.duration with rpc.grpc.status_code != 0)
      give exactly the same numerator and denominator as the SERVER spans with status.code 2,
      in total and per (service, route/method); each SERVER span is counted in the histogram
      series of its resource and attributes (per instance and status code), in the right
      bucket, and the histogram sums equal the span durations; same for the CLIENT spans in
      db.client.operation.duration;
  (b) every log record's traceId (when present) is the traceId of a span, and its spanId a
      span of that trace;
  (c) every exemplar's traceId/spanId is a span, of the series' service and kind, whose
      duration is the exemplar's value and which covers the exemplar's time; that time lies
      in the point's collection window (previous collection time, collection time];
  (d) every resource (spans, logs, metrics) has sigsynth.synthetic=true, sigsynth.scenario,
      sigsynth.run_id (= the summary's), service.name, service.instance.id and the scenario's
      `resource:` attributes;
  (e) spans that lie wholly inside an incident window [start, end) of the summary carry
      sigsynth.incident=<name>, spans wholly outside do not (spans straddling a boundary may
      do either: "produced while active" is ambiguous for them, they are counted); log records
      by their timeUnixNano, except that a request log may instead carry its span's tag (a
      request that straddles the boundary);
  (f) the protojson format: hex ids, 64-bit integers as strings, enums as integers, one
      collection time per metrics line, cumulative histograms with consistent buckets;
  (g) span structure: span ids unique, every parentSpanId is a span of the same trace, every
      root span is a SERVER span.
"""

import bisect
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import otlp  # noqa: E402

SERVER_HIST = {"http.server.request.duration": ("s", ("http.request.method", "http.route",
                                                      "http.response.status_code")),
               "rpc.server.duration": ("ms", ("rpc.system", "rpc.service", "rpc.method",
                                              "rpc.grpc.status_code"))}
DB_HIST = {"db.client.operation.duration": ("s", ("db.system.name", "db.operation.name",
                                                  "server.address"))}
HISTS = dict(SERVER_HIST, **DB_HIST)
UNIT_SCALE = {"s": 1e-9, "ms": 1e-6}   # ns -> unit


class Problems:
    """Counts problems of one kind and keeps a few examples."""

    def __init__(self):
        self.n = 0
        self.examples = []

    def add(self, msg):
        self.n += 1
        if len(self.examples) < 5:
            self.examples.append(msg)

    def detail(self, ok_text):
        if not self.n:
            return ok_text
        return "%d problems, e.g. %s" % (self.n, " | ".join(self.examples))


def span_metric(a):
    """(metric name, attribute key tuple) a SERVER span is counted in, or None."""
    if "http.request.method" in a or "http.route" in a:
        return "http.server.request.duration"
    if "rpc.system" in a or "rpc.method" in a:
        return "rpc.server.duration"
    return None


def hist_key(res, metric, a):
    keys = HISTS[metric][1]
    return (res.get("service.name"), res.get("service.instance.id"), metric,
            tuple(a.get(k) for k in keys))


def group_of(metric, service, vals):
    """(service, route/method) for the per-operation error ratio."""
    if metric == "http.server.request.duration":
        return (service, "%s %s" % (vals[0], vals[1]))
    return (service, "%s/%s" % (vals[1], vals[2]))


def is_error_value(metric, vals):
    code = vals[-1]
    try:
        code = int(code)
    except (TypeError, ValueError):
        return None
    return code >= 500 if metric == "http.server.request.duration" else code != 0


def log_tag_problem(t, tag, act, sev, body):
    """A log record's sigsynth.incident judged by its own timestamp; None when right."""
    if act and tag not in act:
        return "%s record %r at %s (inside %s) has sigsynth.incident=%r" % (
            sev, (body or "")[:60], otlp.fmt_ns(t), "/".join(sorted(act)), tag)
    if not act and tag is not None:
        return "%s record %r at %s (outside every incident) has sigsynth.incident=%r" % (
            sev, (body or "")[:60], otlp.fmt_ns(t), tag)
    return None


def main(argv):
    chk = otlp.Checker("test_consistency")
    st = otlp.Setup(chk, argv)
    try:
        return run(chk, st)
    finally:
        st.cleanup()


def run(chk, st):
    inc = st.incident()
    dur = st.duration(inc["full"] + 60)
    out, summ = st.run("run", dur)
    run_start, run_end, wins = otlp.summary_windows(chk, summ, st.info)
    run_id = summ.get("run_id")
    chk.check("summary run_id is a non-empty string", isinstance(run_id, str) and run_id,
              repr(run_id))
    windows = sorted((w["start"], w["end"], name) for name, w in wins.items())
    chk.info("incident windows: " + ", ".join("%s [%s, %s)" % (n, otlp.fmt_ns(s), otlp.fmt_ns(e))
                                              for s, e, n in windows))

    def active(t):
        return {n for s, e, n in windows if s <= t < e}

    # ---------------------------------------------------------------- (d) resources
    res_seen = {}
    res_probs = Problems()
    want_res = dict(st.info["resource"])

    def check_resource(res, where):
        k = tuple(sorted((a, repr(b)) for a, b in res.items()))
        if k in res_seen:
            return
        res_seen[k] = where
        miss = []
        if res.get("sigsynth.synthetic") is not True:
            miss.append("sigsynth.synthetic=%r" % (res.get("sigsynth.synthetic"),))
        if res.get("sigsynth.scenario") != st.info["name"]:
            miss.append("sigsynth.scenario=%r" % (res.get("sigsynth.scenario"),))
        if res.get("sigsynth.run_id") != run_id:
            miss.append("sigsynth.run_id=%r (summary %r)" % (res.get("sigsynth.run_id"), run_id))
        for a in ("service.name", "service.instance.id"):
            if not res.get(a):
                miss.append("no %s" % a)
        for a, v in want_res.items():
            if str(res.get(a)) != v:
                miss.append("%s=%r (scenario %r)" % (a, res.get(a), v))
        if miss:
            res_probs.add("%s resource %s: %s" % (where, res.get("service.name"), ", ".join(miss)))

    # ---------------------------------------------------------------- logs
    fmt = {"logs": Problems(), "metrics": Problems(), "traces": Problems()}
    log_inc = Problems()
    need_trace, need_pair = {}, {}
    n_logs = n_logs_traced = n_logs_in = 0
    logs_path = os.path.join(out, "logs.jsonl")
    for res, lr, ln in otlp.iter_logs(logs_path):
        n_logs += 1
        check_resource(res, "logs")
        for p in otlp.log_format_problems(lr):
            fmt["logs"].add("logs.jsonl:%d: %s" % (ln, p))
        t = int(lr.get("timeUnixNano") or 0)
        a = otlp.attrs(lr.get("attributes"))
        tag, act = a.get("sigsynth.incident"), active(t)
        n_logs_in += bool(act)
        tid, sid = lr.get("traceId"), lr.get("spanId")
        if tid:
            n_logs_traced += 1
            need_trace[tid] = ln
            if sid:
                # judged when its span is found: a request log may follow its span's tag
                need_pair.setdefault(tid + sid, []).append(
                    (t, tag, lr.get("severityText"), (lr.get("body") or {}).get("stringValue")))
                continue
        bad = log_tag_problem(t, tag, act, lr.get("severityText"),
                              (lr.get("body") or {}).get("stringValue"))
        if bad:
            log_inc.add(bad)
    chk.info("logs: %d records, %d tied to a request, %d inside an incident window" % (
        n_logs, n_logs_traced, n_logs_in))

    # ---------------------------------------------------------------- metrics
    m_probs = Problems()          # (f) histogram/collection structure
    last_count = {}               # series -> previous cumulative count
    series_start = {}
    final_t, final_line = None, None
    prev_t = None
    exemplars = {}                # (trace, span) -> [(metric, unit, value, time, lo, hi, svc)]
    n_lines = n_points = n_ex = 0
    bounds_of = {}                # hist key -> explicitBounds
    metrics_path = os.path.join(out, "metrics.jsonl")
    for ln, obj in otlp.read_jsonl(metrics_path):
        n_lines += 1
        times = set()
        for res, m, kind, dp in otlp.iter_points(obj):
            n_points += 1
            check_resource(res, "metrics")
            for p in otlp.point_format_problems(m, kind, dp):
                fmt["metrics"].add("metrics.jsonl:%d: %s" % (ln, p))
            try:
                t = int(dp.get("timeUnixNano"))
            except (TypeError, ValueError):
                continue
            times.add(t)
            name = m.get("name")
            if kind != "histogram" or name not in HISTS:
                if name in HISTS:
                    m_probs.add("%s is a %s, not a histogram" % (name, kind))
                continue
            h = m["histogram"]
            unit, keys = HISTS[name]
            if h.get("aggregationTemporality") != 2:
                m_probs.add("%s aggregationTemporality %r, want 2 (cumulative)" % (
                    name, h.get("aggregationTemporality")))
            if m.get("unit") != unit:
                m_probs.add("%s unit %r, want %r" % (name, m.get("unit"), unit))
            a = otlp.attrs(dp.get("attributes"))
            missing = [k for k in keys if k not in a]
            if missing:
                m_probs.add("%s point without %s" % (name, ", ".join(missing)))
            bc = [int(x) for x in dp.get("bucketCounts") or ()]
            eb = dp.get("explicitBounds") or []
            cnt = int(dp.get("count") or 0)
            if len(bc) != len(eb) + 1 or sum(bc) != cnt:
                m_probs.add("%s: %d buckets for %d bounds, sum(buckets) %d, count %d" % (
                    name, len(bc), len(eb), sum(bc), cnt))
            sk = otlp.series_key(res, name, a)
            if last_count.get(sk, 0) > cnt:
                m_probs.add("%s count went down %d -> %d at %s (not cumulative)" % (
                    name, last_count[sk], cnt, otlp.fmt_ns(t)))
            last_count[sk] = cnt
            stt = dp.get("startTimeUnixNano")
            if series_start.setdefault(sk, stt) != stt:
                m_probs.add("%s startTimeUnixNano changed %s -> %s" % (name, series_start[sk],
                                                                      stt))
            bounds_of.setdefault(hist_key(res, name, a), [float(x) for x in eb])
            lo = prev_t if prev_t is not None else run_start
            for ex in dp.get("exemplars") or ():
                n_ex += 1
                exemplars.setdefault(str(ex.get("traceId")) + str(ex.get("spanId")), []).append(
                    (name, unit, ex.get("asDouble", ex.get("asInt")), ex.get("timeUnixNano"),
                     lo, t, res.get("service.name"), ex.get("filteredAttributes")))
        if len(times) > 1:
            m_probs.add("metrics.jsonl:%d holds %d different timeUnixNano (want one collection "
                        "per line)" % (ln, len(times)))
        if times:
            t = max(times)
            if prev_t is not None and t <= prev_t:
                m_probs.add("metrics.jsonl:%d: collection time %s not after the previous %s" % (
                    ln, otlp.fmt_ns(t), otlp.fmt_ns(prev_t)))
            prev_t = t if prev_t is None else max(prev_t, t)
            if final_t is None or t >= final_t:
                final_t, final_line = t, ln
    chk.info("metrics: %d collections, %d points, %d exemplars; final collection at %s "
             "(line %s)" % (n_lines, n_points, n_ex, otlp.fmt_ns(final_t) if final_t else None,
                            final_line))
    if final_line is None:
        chk.abort("metrics.jsonl has no collection")
    # the final collection's histograms
    hist = {}     # hist key -> [count, sum, bucketCounts]
    for ln, obj in otlp.read_jsonl(metrics_path):
        if ln != final_line:
            continue
        for res, m, kind, dp in otlp.iter_points(obj):
            if kind != "histogram" or m.get("name") not in HISTS:
                continue
            k = hist_key(res, m["name"], otlp.attrs(dp.get("attributes")))
            h = hist.setdefault(k, [0, 0.0, None])
            h[0] += int(dp.get("count") or 0)
            h[1] += float(dp.get("sum") or 0.0)
            bc = [int(x) for x in dp.get("bucketCounts") or ()]
            h[2] = bc if h[2] is None else [x + y for x, y in zip(h[2], bc)]

    # ---------------------------------------------------------------- traces
    span_inc = Problems()
    struct = Problems()
    status_vs_attr = Problems()
    server_unknown = Problems()
    ex_probs = Problems()
    ex_window = Problems()
    ex_no_tag = 0
    spans_by_key = {}             # hist key -> [count, sum(unit), bucket counts]
    found_trace, found_pair = set(), set()
    ids = set()
    parents = {}
    n_spans = n_server = n_in = n_out = n_straddle = n_straddle_tagged = 0
    n_db_client = 0
    log_follows_span = 0
    traces_path = os.path.join(out, "traces.jsonl")
    for res, sp, ln in otlp.iter_spans(traces_path):
        n_spans += 1
        check_resource(res, "traces")
        for p in otlp.span_format_problems(sp):
            fmt["traces"].add("traces.jsonl:%d: %s" % (ln, p))
        tid, sid, par = sp.get("traceId"), sp.get("spanId"), sp.get("parentSpanId")
        try:
            s, e = otlp.span_ns(sp)
        except (KeyError, TypeError, ValueError):
            continue
        # (g) structure
        key = tid + sid
        if key in ids:
            struct.add("span %s of trace %s appears twice" % (sid, tid))
        ids.add(key)
        if par:
            parents.setdefault(tid + par, sid)
        elif sp.get("kind") != 2:
            struct.add("root span %r (kind %r) of %s is not a SERVER span" % (
                sp.get("name"), sp.get("kind"), res.get("service.name")))
        if e < s:
            struct.add("span %s ends before it starts" % sid)
        # (b) logs -> spans
        if tid in need_trace:
            found_trace.add(tid)
        a = otlp.attrs(sp.get("attributes"))
        tag = a.get("sigsynth.incident")
        logs_here = need_pair.get(key)
        if logs_here is not None:
            found_pair.add(key)
            for lt, ltag, sev, body in logs_here:
                bad = log_tag_problem(lt, ltag, active(lt), sev, body)
                if bad and ltag != tag:
                    log_inc.add(bad + " (its span has %r)" % (tag,))
                elif bad:
                    log_follows_span += 1
        # (e) incident tag
        inside = {n for ws, we, n in windows if ws <= s and e < we}
        touching = {n for ws, we, n in windows if s < we and e >= ws}
        if inside:
            n_in += 1
            if tag not in inside:
                span_inc.add("%s span %r of %s [%s, %s] inside %s has sigsynth.incident=%r" % (
                    {2: "SERVER", 3: "CLIENT"}.get(sp.get("kind"), sp.get("kind")),
                    sp.get("name"), res.get("service.name"), otlp.fmt_ns(s), otlp.fmt_ns(e),
                    "/".join(sorted(inside)), tag))
        elif not touching:
            n_out += 1
            if tag is not None:
                span_inc.add("span %r of %s [%s, %s] outside every incident has "
                             "sigsynth.incident=%r" % (sp.get("name"), res.get("service.name"),
                                                       otlp.fmt_ns(s), otlp.fmt_ns(e), tag))
        else:
            n_straddle += 1
            n_straddle_tagged += tag is not None
            if tag is not None and tag not in touching:
                span_inc.add("span %r straddling %s has sigsynth.incident=%r" % (
                    sp.get("name"), "/".join(sorted(touching)), tag))
        # (a) histograms
        metric = None
        if sp.get("kind") == 2:
            n_server += 1
            metric = span_metric(a)
            if metric is None:
                server_unknown.add("SERVER span %r of %s has neither http.* nor rpc.* attributes"
                                   % (sp.get("name"), res.get("service.name")))
                continue
            hk = hist_key(res, metric, a)
            err_attr = is_error_value(metric, hk[3])
            if err_attr is None or err_attr != (otlp.status_code(sp) == 2):
                status_vs_attr.add("%s span %r of %s: status.code %d but %s=%r" % (
                    metric.split(".")[0], sp.get("name"), res.get("service.name"),
                    otlp.status_code(sp), HISTS[metric][1][-1], hk[3][-1]))
        elif sp.get("kind") == 3 and "db.system.name" in a:
            n_db_client += 1
            metric = "db.client.operation.duration"
            hk = hist_key(res, metric, a)
        if metric is not None:
            unit = HISTS[metric][0]
            v = (e - s) * UNIT_SCALE[unit]
            sk = spans_by_key.get(hk)
            if sk is None:
                sk = spans_by_key[hk] = [0, 0, 0.0, {}]
            sk[0] += 1
            sk[1] += otlp.status_code(sp) == 2
            sk[2] += v
            b = bounds_of.get(hk)
            if b is not None:
                i = bisect.bisect_left(b, v)      # bucket i: b[i-1] < v <= b[i]
                sk[3][i] = sk[3].get(i, 0) + 1
        # (c) exemplars
        exs = exemplars.get(key)
        if exs:
            for name, unit, val, et, lo, hi, svc, fattrs in exs:
                v = (e - s) * UNIT_SCALE[unit]
                want_kind = 3 if name in DB_HIST else 2
                why = []
                if sp.get("kind") != want_kind or res.get("service.name") != svc:
                    why.append("span is kind %r of %s, series is %s of %s" % (
                        sp.get("kind"), res.get("service.name"), name, svc))
                try:
                    val = float(val)
                    if abs(val - v) > max(1e-6 * abs(v), 2 * UNIT_SCALE[unit]):
                        why.append("value %r, span duration %r %s" % (val, v, unit))
                except (TypeError, ValueError):
                    why.append("value %r" % (val,))
                try:
                    et = int(et)
                    if not (s <= et <= e):
                        why.append("exemplar time %s outside the span [%s, %s]" % (
                            otlp.fmt_ns(et), otlp.fmt_ns(s), otlp.fmt_ns(e)))
                    if not (lo < et <= hi or (lo == run_start and et == lo)):
                        ex_window.add("exemplar %s/%s in %s: time %s (span [%s, %s]) outside its "
                                      "collection window (%s, %s]" % (
                                          key[:32], key[32:], name, otlp.fmt_ns(et),
                                          otlp.fmt_ns(s), otlp.fmt_ns(e), otlp.fmt_ns(lo),
                                          otlp.fmt_ns(hi)))
                except (TypeError, ValueError):
                    why.append("timeUnixNano %r" % (et,))
                if why:
                    ex_probs.add("exemplar %s/%s in %s: %s" % (key[:32], key[32:], name,
                                                              "; ".join(why)))
                if tag is not None and tag not in {x.get("value", {}).get("stringValue")
                                                   for x in fattrs or ()
                                                   if x.get("key") == "sigsynth.incident"}:
                    ex_no_tag += 1
            exemplars[key] = None       # found
    chk.info("traces: %d spans, %d SERVER, %d db CLIENT; wholly inside an incident %d, "
             "wholly outside %d, straddling %d (%d of them tagged)" % (
                 n_spans, n_server, n_db_client, n_in, n_out, n_straddle, n_straddle_tagged))

    # ---------------------------------------------------------------- verdicts
    # (a) error ratio and histogram counts
    groups_h, groups_s = {}, {}
    for hk, (cnt, _, _) in hist.items():
        if hk[2] not in SERVER_HIST:
            continue
        g = groups_h.setdefault(group_of(hk[2], hk[0], hk[3]), [0, 0])
        g[0] += cnt
        g[1] += cnt if is_error_value(hk[2], hk[3]) else 0
    for hk, (cnt, err, _, _) in spans_by_key.items():
        if hk[2] not in SERVER_HIST:
            continue
        g = groups_s.setdefault(group_of(hk[2], hk[0], hk[3]), [0, 0])
        g[0] += cnt
        g[1] += err
    th = [sum(g[0] for g in groups_h.values()), sum(g[1] for g in groups_h.values())]
    ts = [sum(g[0] for g in groups_s.values()), sum(g[1] for g in groups_s.values())]
    chk.check("(a) error ratio: final server histograms = SERVER spans (errors/total)",
              th == ts and ts[0] > 0 and ts[1] > 0,
              "histograms %d/%d = %.4f%%, spans %d/%d = %.4f%%" % (
                  th[1], th[0], 100.0 * th[1] / max(1, th[0]), ts[1], ts[0],
                  100.0 * ts[1] / max(1, ts[0])))
    rows, bad = [], []
    for g in sorted(set(groups_h) | set(groups_s)):
        h, s_ = groups_h.get(g, [0, 0]), groups_s.get(g, [0, 0])
        rows.append("%-12s %-22s spans %7d err %6d | hist %7d err %6d | %.3f%%" % (
            g[0], g[1], s_[0], s_[1], h[0], h[1], 100.0 * s_[1] / max(1, s_[0])))
        if h != s_:
            bad.append("%s %s: hist %d/%d, spans %d/%d" % (g[0], g[1], h[1], h[0], s_[1], s_[0]))
    for r in rows:
        chk.info(r)
    chk.check("(a) error ratio per (service, route/method): same numerator and denominator",
              not bad and rows, "; ".join(bad[:6]) if bad else "%d operations" % len(rows))
    chk.check("(a) every SERVER span has http.* or rpc.* attributes", not server_unknown.n,
              server_unknown.detail("%d SERVER spans" % n_server))
    chk.check("(a) SERVER span status.code 2 <=> status attribute is an error (>=500 / != 0)",
              not status_vs_attr.n, status_vs_attr.detail("%d SERVER spans" % n_server))
    for fam, label in ((SERVER_HIST, "SERVER"), (DB_HIST, "db CLIENT")):
        keys = {k for k in set(hist) | set(spans_by_key) if k[2] in fam}
        if fam is DB_HIST:
            # db.client.operation.duration: compare the db systems it covers; report others
            systems = {k[3][0] for k in hist if k[2] in fam}
            other = {k for k in keys if k[3][0] not in systems}
            if other:
                chk.note("db CLIENT spans of systems absent from db.client.operation.duration: "
                         "%s (%d spans; the spec says 'client spans to databases')" % (
                             sorted({k[3][0] for k in other}),
                             sum(spans_by_key[k][0] for k in other if k in spans_by_key)))
            keys -= other
        cnt_bad, bkt_bad, sum_bad = [], [], []
        n_bkt = 0
        for k in sorted(keys, key=repr):
            h = hist.get(k, [0, 0.0, None])
            sk = spans_by_key.get(k, [0, 0, 0.0, {}])
            where = "%s %s %s %s" % (k[0], k[1], k[2], "/".join(str(x) for x in k[3]))
            if h[0] != sk[0]:
                cnt_bad.append("%s: hist %d, spans %d" % (where, h[0], sk[0]))
                continue
            if h[2] is not None:
                want = [sk[3].get(i, 0) for i in range(len(h[2]))]
                diff = sum(abs(x - y) for x, y in zip(h[2], want))
                n_bkt += sk[0]
                if diff > max(2, 1e-5 * sk[0]):      # values exactly on a bound may round
                    bkt_bad.append("%s: hist %s, spans %s" % (where, h[2], want))
            tol = max(1e-6 * abs(sk[2]), sk[0] * 2 * UNIT_SCALE[HISTS[k[2]][0]])
            if abs(h[1] - sk[2]) > tol:
                sum_bad.append("%s: hist sum %.9g, span durations %.9g" % (where, h[1], sk[2]))
        total = sum(spans_by_key.get(k, [0])[0] for k in keys)
        chk.check("(a) every %s span counted in its histogram series (resource+attributes) "
                  "of the final collection" % label, not cnt_bad and total > 0,
                  "; ".join(cnt_bad[:5]) if cnt_bad else "%d series, %d spans" % (len(keys),
                                                                                  total))
        chk.check("(a) %s histogram buckets = span durations bucketed by explicitBounds" % label,
                  not bkt_bad, "; ".join(bkt_bad[:3]) if bkt_bad else "%d spans" % n_bkt)
        chk.check("(a) %s histogram sums = sum of span durations" % label, not sum_bad,
                  "; ".join(sum_bad[:3]) if sum_bad else "%d series" % len(keys))
    chk.check("(f) histogram points: cumulative, units, attributes, buckets, one time per line",
              not m_probs.n, m_probs.detail("%d points in %d lines" % (n_points, n_lines)))

    # (b) logs -> spans
    miss_t = [t for t in need_trace if t not in found_trace]
    miss_p = [(p[:32], p[32:]) for p in need_pair if p not in found_pair and
              p[:32] in found_trace]
    chk.check("(b) every log traceId is a traceId of some span", not miss_t and
              n_logs_traced > 0, "%d of %d traceIds missing, e.g. %s" % (
                  len(miss_t), len(need_trace), miss_t[:3]) if miss_t else
              "%d records, %d traces" % (n_logs_traced, len(need_trace)))
    chk.check("(b) every log spanId is a span of that trace", not miss_p,
              "%d of %d missing, e.g. %s" % (len(miss_p), len(need_pair), miss_p[:3])
              if miss_p else "%d (traceId, spanId) pairs" % len(need_pair))

    # (c) exemplars
    miss_ex = [(k[:32], k[32:]) for k, v in exemplars.items() if v is not None]
    chk.check("(c) every exemplar's traceId/spanId is a span", not miss_ex and n_ex > 0,
              "%d of %d missing, e.g. %s" % (len(miss_ex), len(exemplars), miss_ex[:3])
              if miss_ex else "%d exemplars, %d distinct spans" % (n_ex, len(exemplars)))
    chk.check("(c) exemplars match their span (service, kind, value, time within the span)",
              not ex_probs.n, ex_probs.detail("%d exemplars" % n_ex))
    chk.check("(c) exemplar times lie in their point's collection window (previous time, time]"
              " (else a point holds a measurement from after its own timestamp, and "
              "Prometheus rejects the next window's earlier exemplars as out of order)",
              not ex_window.n, ex_window.detail("%d exemplars" % n_ex))
    if ex_no_tag:
        chk.note("%d exemplars of incident-tagged spans carry no sigsynth.incident in "
                 "filteredAttributes (scenario-format.md asks for it; the brief's exemplar "
                 "shape omits it: not a failure)" % ex_no_tag)

    # (d) resources
    chk.check("(d) every resource has the synthetic tags, run id and scenario resource",
              not res_probs.n and res_seen, res_probs.detail("%d distinct resources" %
                                                              len(res_seen)))

    # (e) incident tags
    chk.check("(e) spans wholly inside an incident carry sigsynth.incident, none outside",
              not span_inc.n and n_in > 0 and n_out > 0,
              span_inc.detail("%d inside, %d outside, %d straddling" % (n_in, n_out,
                                                                         n_straddle)))
    chk.check("(e) log records inside an incident carry sigsynth.incident, none outside",
              not log_inc.n and n_logs_in > 0,
              log_inc.detail("%d records, %d inside" % (n_logs, n_logs_in)))
    if log_follows_span:
        chk.note("%d request log records carry their span's sigsynth.incident although their "
                 "own timestamp says otherwise (the span straddles an incident boundary; "
                 "accepted: 'produced while active' is ambiguous for them)" % log_follows_span)

    # (f) format
    for sig in ("traces", "logs", "metrics"):
        chk.check("(f) %s.jsonl protojson format (hex ids, int64 strings, int enums)" % sig,
                  not fmt[sig].n, fmt[sig].detail("ok"))

    # (g) structure
    orphans = Problems()
    for tp, child in parents.items():
        if tp not in ids:
            orphans.add("span %s of trace %s: parent %s is not in the file" % (child, tp[:32],
                                                                              tp[32:]))
    chk.check("(g) span ids unique, roots are SERVER spans", not struct.n,
              struct.detail("%d spans" % n_spans))
    chk.check("(g) every parentSpanId is a span of the same trace", not orphans.n,
              orphans.detail("%d parent links" % len(parents)))
    return chk.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
