#!/usr/bin/env python3
"""Declared traffic in, measured traffic out: the frontend "GET /product" entrypoint.

  usage: test_traffic.py BIN ROOT        (SX_FAKE=1: against fake_run.py)

One backfill run of the flagship (seed 42, --start 2026-01-01T00:00:00Z, --signals traces)
from the start of the timeline to 8 minutes into the incident's hold (or the end of the hold).
Root spans (no parentSpanId) are the entrypoint SERVER spans; those of frontend "GET /product"
are counted by their start time:
  * every root span is a SERVER span of a declared entrypoint;
  * each whole minute before the incident's start: count within 5 standard deviations of
    rate x 60 (Poisson: sd = sqrt(mean));
  * the mean over those minutes within 1% of rate x 60;
  * during the hold (summary `full` to `recovering`) the rate is rate x the incident's traffic
    multiply (within 3%), and the ratio hold / before-the-incident is that multiply (within 3%).
The rate and the multiply are read from the scenario file.
"""

import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import otlp  # noqa: E402

SERVICE, OPERATION = "frontend", "GET /product"


def main(argv):
    chk = otlp.Checker("test_traffic")
    st = otlp.Setup(chk, argv)
    try:
        return run(chk, st)
    finally:
        st.cleanup()


def run(chk, st):
    info = st.info
    inc = st.incident()
    eps = info["entrypoints"]
    if (SERVICE, OPERATION) not in eps:
        chk.abort("the scenario has no entrypoint %s.%s: %r" % (SERVICE, OPERATION, eps))
    rate = eps[(SERVICE, OPERATION)]
    mult = inc["traffic_multiply"]
    chk.info("declared %s %r %.4g/s; incident %s traffic x%g" % (SERVICE, OPERATION, rate,
                                                                 inc["name"], mult))
    dur = st.duration(min(inc["full"] + 480, inc["recovering"]))
    out, summ = st.run("run", dur, extra=["--signals", "traces"])
    run_start, run_end, wins = otlp.summary_windows(chk, summ, info)
    w = wins.get(inc["name"])
    if w is None:
        chk.abort("the summary lists no incident %s" % inc["name"])
    hold_end = min(w["recovering"], run_end)

    per_min = {}
    per_ep = {}        # (service, op) -> [before, hold]
    hold_n = 0
    bad_roots = {}
    n_roots = 0
    for res, sp, ln in otlp.iter_spans(os.path.join(out, "traces.jsonl")):
        if sp.get("parentSpanId"):
            continue
        n_roots += 1
        svc = res.get("service.name")
        name = sp.get("name")
        op = name
        if (svc, name) not in eps:
            a = otlp.attrs(sp.get("attributes"))
            op = a.get("rpc.method", name)
        if sp.get("kind") != 2 or (svc, op) not in eps:
            k = (svc, name, sp.get("kind"))
            bad_roots[k] = bad_roots.get(k, 0) + 1
            continue
        s = int(sp["startTimeUnixNano"])
        pe = per_ep.setdefault((svc, op), [0, 0])
        if s < w["start"]:
            pe[0] += 1
        elif w["full"] <= s < hold_end:
            pe[1] += 1
        if (svc, op) != (SERVICE, OPERATION):
            continue
        m = (s - run_start) // 60_000_000_000
        per_min[m] = per_min.get(m, 0) + 1
        if w["full"] <= s < hold_end:
            hold_n += 1
    chk.check("every root span is a SERVER span of a declared entrypoint", not bad_roots and
              n_roots > 0, ", ".join("%d x %s %r kind %r" % (n, k[0], k[1], k[2])
                                     for k, n in sorted(bad_roots.items(), key=repr)[:6])
              if bad_roots else "%d root spans" % n_roots)

    mean_exp = rate * 60.0
    sd = math.sqrt(mean_exp)
    n_pre_min = int((w["start"] - run_start) // 60_000_000_000)
    if n_pre_min < 1:
        chk.abort("the incident starts less than a minute into the run")
    bad = []
    counts = []
    for m in range(n_pre_min):
        c = per_min.get(m, 0)
        counts.append(c)
        z = (c - mean_exp) / sd
        chk.info("minute %2d: %6d  (z %+.2f)" % (m, c, z))
        if abs(z) > 5:
            bad.append("minute %d: %d (z %+.1f)" % (m, c, z))
    chk.check("each minute before the incident within 5 sd of %.0f (sd %.1f)" % (mean_exp, sd),
              not bad, "; ".join(bad) if bad else "%d minutes, min %d, max %d" % (
                  len(counts), min(counts), max(counts)))
    mean = sum(counts) / len(counts)
    var = sum((c - mean) ** 2 for c in counts) / max(1, len(counts) - 1)
    chk.check("mean per minute before the incident within 1% of rate x 60",
              otlp.within(mean, mean_exp, 0.01),
              "mean %.1f, expected %.0f, error %+.3f%% (standard error %.2f%%); index of "
              "dispersion var/mean %.2f (Poisson: 1)" % (
                  mean, mean_exp, 100 * otlp.rel_err(mean, mean_exp),
                  100 / math.sqrt(mean_exp * len(counts)), var / mean if mean else 0))
    hold_s = (hold_end - w["full"]) / 1e9
    if hold_s < 30:
        chk.abort("the hold covered by the run is only %.0fs" % hold_s)
    hold_rate = hold_n / hold_s
    chk.check("hold: rate = declared rate x %g within 3%%" % mult,
              otlp.within(hold_rate, rate * mult, 0.03),
              "%d requests in %.0fs = %.2f/s, expected %.2f/s, error %+.2f%%" % (
                  hold_n, hold_s, hold_rate, rate * mult,
                  100 * otlp.rel_err(hold_rate, rate * mult)))
    ratio = hold_rate / (mean / 60.0) if mean else float("inf")
    chk.check("hold: rate / rate before the incident = %g within 3%%" % mult,
              otlp.within(ratio, mult, 0.03), "measured x%.4f, error %+.2f%%" % (
                  ratio, 100 * otlp.rel_err(ratio, mult)))
    pre_s = (w["start"] - run_start) / 1e9
    for (svc, op), (b, h) in sorted(per_ep.items()):
        r = eps[(svc, op)]
        chk.info("entrypoint %s %r: before %.2f/s (declared %.4g, %+.2f%%), hold %.2f/s (x%.3f)"
                 % (svc, op, b / pre_s, r, 100 * otlp.rel_err(b / pre_s, r), h / hold_s,
                    (h / hold_s) / (b / pre_s) if b else float("nan")))
    return chk.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
