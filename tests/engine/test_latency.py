#!/usr/bin/env python3
"""Declared latency in, measured latency out: orders-db.query as its callers see it.

  usage: test_latency.py BIN ROOT        (SX_FAKE=1: against fake_run.py)

One backfill run of the flagship (seed 42, --start 2026-01-01T00:00:00Z, --signals traces)
from the start of the timeline to 8 minutes into the incident's hold (or the end of the hold,
whichever comes first). The CLIENT spans calling orders-db.query (db.operation.name=query,
server.address=orders-db; one span per attempt) are measured by end - start:
  * before the incident's start: p50 and p99 within 3% of the declared p50 and p99;
  * during the hold (summary `full` to `recovering`): p99 within 5% of declared p99 times
    the incident's latency multiply (and p50 within 5% of p50 times it);
  * no span is longer than the call's timeout (1s: spans are capped there), the spans
    belong to the calling service's resource and carry db.system.name.
The declared values are read from the scenario file (and cross-checked with `sigsynth
explain`). Each percentile is printed with its sampling standard error, so a failure can be
told apart from noise: at p99 with about 10^5 samples the standard error is about 2%.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import otlp  # noqa: E402

TOL_PRE = 0.03
TOL_HOLD = 0.05


def main(argv):
    chk = otlp.Checker("test_latency")
    st = otlp.Setup(chk, argv)
    try:
        return run(chk, st)
    finally:
        st.cleanup()


def run(chk, st):
    info = st.info
    otlp.explain_crosscheck(chk, st.bin, st.scenario, info)
    inc = st.incident()
    decl = info["query_latency"]["pcts"]
    if "p50" not in decl or "p99" not in decl:
        chk.abort("orders-db.query declares no p50/p99: %r" % decl)
    mult = inc["query_latency_multiply"]
    timeout = info["query_timeout"]
    chk.info("declared orders-db.query p50 %.4gms p99 %.4gms; incident %s latency x%g; "
             "call timeout %s" % (decl["p50"] * 1e3, decl["p99"] * 1e3, inc["name"], mult,
                                  timeout))
    dur = st.duration(min(inc["full"] + 480, inc["recovering"]))
    out, summ = st.run("run", dur, extra=["--signals", "traces"])
    run_start, run_end, wins = otlp.summary_windows(chk, summ, info)
    w = wins.get(inc["name"])
    if w is None:
        chk.abort("the summary lists no incident %s" % inc["name"])
    hold_end = min(w["recovering"], run_end)

    pre, hold, ramp = [], [], 0
    wrong_res, no_system, too_long = [], 0, []
    cap = (timeout or float("inf")) * (1 + 1e-9) + 1e-6
    for res, sp, ln in otlp.iter_spans(os.path.join(out, "traces.jsonl")):
        if sp.get("kind") != 3:
            continue
        a = otlp.attrs(sp.get("attributes"))
        if a.get("db.operation.name") != "query" or a.get("server.address") != "orders-db":
            continue
        s, e = otlp.span_ns(sp)
        d = (e - s) / 1e9
        if res.get("service.name") not in info["query_callers"]:
            wrong_res.append(res.get("service.name"))
        if info["query_system"] and a.get("db.system.name") != info["query_system"]:
            no_system += 1
        if d > cap:
            too_long.append(d)
        if s < w["start"]:
            pre.append(d)
        elif w["full"] <= s < hold_end:
            hold.append(d)
        else:
            ramp += 1
    pre.sort()
    hold.sort()
    chk.info("orders-db.query CLIENT spans: %d before the incident, %d in the hold "
             "[%s, %s), %d elsewhere" % (len(pre), len(hold), otlp.fmt_ns(w["full"])[11:19],
                                         otlp.fmt_ns(hold_end)[11:19], ramp))
    chk.check("CLIENT spans to orders-db.query exist before and during the hold",
              len(pre) >= 1000 and len(hold) >= 1000, "%d and %d" % (len(pre), len(hold)))
    if not pre or not hold:
        return chk.finish()
    chk.check("the spans belong to the caller's resource (%s)" % "/".join(info["query_callers"]),
              not wrong_res, "%d spans of %s" % (len(wrong_res), sorted(set(wrong_res)))
              if wrong_res else "%d spans" % (len(pre) + len(hold) + ramp))
    chk.check("the spans carry db.system.name=%s" % info["query_system"], not no_system,
              "%d without" % no_system if no_system else "all")

    def pct_check(label, values, q, expected, tol):
        got = otlp.percentile(values, q)
        se = otlp.quantile_se(values, q)
        err = otlp.rel_err(got, expected)
        ok = abs(err) <= tol
        detail = "measured %.4gms, expected %.4gms, error %+.2f%% (tolerance %.0f%%; sampling " \
                 "standard error %.2f%% over %d spans)" % (got * 1e3, expected * 1e3, 100 * err,
                                                          100 * tol, 100 * se, len(values))
        if not ok and abs(err) <= 2.5 * se:
            detail += "; within 2.5 standard errors: possibly sampling noise, not a bug"
        chk.check(label, ok, detail)

    pct_check("before the incident: p50 within 3% of declared p50", pre, 0.50, decl["p50"],
              TOL_PRE)
    pct_check("before the incident: p99 within 3% of declared p99", pre, 0.99, decl["p99"],
              TOL_PRE)
    pct_check("hold: p99 within 5%% of declared p99 x %g" % mult, hold, 0.99, decl["p99"] * mult,
              TOL_HOLD)
    pct_check("hold: p50 within 5%% of declared p50 x %g" % mult, hold, 0.50, decl["p50"] * mult,
              TOL_HOLD)
    if timeout:
        at_cap = sum(1 for d in hold if d >= timeout * (1 - 1e-9))
        chk.info("hold: %d spans (%.3f%%) at the %gs timeout cap; p99.9 %.4gms" % (
            at_cap, 100.0 * at_cap / len(hold), timeout, otlp.percentile(hold, 0.999) * 1e3))
        chk.check("no span longer than the call timeout (%gs)" % timeout, not too_long,
                  "%d longer, max %.6fs" % (len(too_long), max(too_long)) if too_long else
                  "max before %.4gms, max in hold %.4gms" % (pre[-1] * 1e3, hold[-1] * 1e3))
    return chk.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
