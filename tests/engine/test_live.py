#!/usr/bin/env python3
"""Live mode: the virtual clock follows the wall clock and output is flushed as it goes.

  usage: test_live.py BIN ROOT        (SX_FAKE=1: against fake_run.py)

Runs `sigsynth run FLAGSHIP --mode live --duration 20s --seed 42` (no --start: live starts
now) and tails DIR/traces.jsonl while it runs, recording the wall-clock time each complete
line appears. For every span, lag = arrival time - endTimeUnixNano.
  * the process exits 0 within 60 s (it is killed, and the test fails, after 60 s);
  * median lag < 1 s;
  * every span timestamp lies within [process start - 1 s, process end + 1 s];
  * no span is written more than 0.25 s before it ends (live mode must not emit the future;
    the slack is for an engine that paces in ticks);
  * while requests arrive (the first 20 s), traces.jsonl grows at least every 1.5 s (flushes
    at least once per second, with slack for scheduling), the first line appears within 3 s,
    and most lines appear before the process exits;
  * the spans cover at least 15 s of the 20 s, and the summary's start is the process start
    (within 2 s).
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import otlp  # noqa: E402

DURATION_S = 20
KILL_AFTER_S = 60
POLL_S = 0.02
EARLY_S = 0.25


def main(argv):
    chk = otlp.Checker("test_live")
    st = otlp.Setup(chk, argv)
    try:
        return run(chk, st)
    finally:
        st.cleanup()


def run(chk, st):
    out = os.path.join(st.tmp, "live")
    os.makedirs(out)
    path = os.path.join(out, "traces.jsonl")
    summary = os.path.join(out, "summary.json")
    argv = st.cmd + ["run", st.scenario, "--mode", "live", "--duration", "%ds" % DURATION_S,
                     "--seed", str(otlp.SEED), "--output", out, "--summary", summary]
    chk.info("$ " + " ".join(argv))
    errf = open(os.path.join(st.tmp, "stderr.txt"), "w+")
    t_start = time.time()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=errf)
    arrivals = []          # (wall time, line bytes)
    growth = []            # wall times at which new complete lines were seen while running
    pos, buf = 0, b""
    killed = False
    replaced = None
    f = None
    while True:
        running = p.poll() is None
        now = time.time()
        if f is None and os.path.exists(path):
            f = open(path, "rb")
        if f is not None:
            try:
                size = os.stat(path).st_size
                if size < pos or os.fstat(f.fileno()).st_ino != os.stat(path).st_ino:
                    replaced = "traces.jsonl was truncated or replaced at %.2fs" % (now - t_start)
            except OSError:
                pass
            data = f.read()
            if data:
                pos += len(data)
                buf += data
                if b"\n" in buf:
                    lines = buf.split(b"\n")
                    buf = lines.pop()
                    for ln in lines:
                        if ln.strip():
                            arrivals.append((now, ln))
                    if running:
                        growth.append(now)
        if not running:
            break
        if now - t_start > KILL_AFTER_S:
            p.kill()                      # only the process this test started
            p.wait()
            killed = True
            break
        time.sleep(POLL_S)
    t_end = time.time()
    if f is not None:
        f.close()
    errf.seek(0)
    stderr = errf.read()
    errf.close()
    rc = p.returncode
    chk.check("live run exits 0 within %ds" % KILL_AFTER_S, rc == 0 and not killed,
              "killed after %ds" % KILL_AFTER_S if killed else
              "exit %d after %.1fs%s" % (rc, t_end - t_start,
                                        ("\n--- stderr:\n" + stderr[-3000:]) if rc else ""))
    if buf.strip():
        chk.check("traces.jsonl ends with a complete line", False,
                  "%d bytes after the last newline" % len(buf))
    chk.check("traces.jsonl is appended to, never truncated or replaced", replaced is None,
              replaced or "%d bytes" % pos)

    lags, lo_bad, hi_bad, n_spans = [], [], [], 0
    first_start, last_end = None, None
    lo_ns, hi_ns = int((t_start - 1) * 1e9), int((t_end + 1) * 1e9)
    for wall, ln in arrivals:
        try:
            obj = json.loads(ln)
        except ValueError as e:
            chk.check("traces.jsonl lines are JSON", False, str(e))
            break
        for rs in obj.get("resourceSpans", ()):
            for ss in rs.get("scopeSpans", ()):
                for sp in ss.get("spans", ()):
                    n_spans += 1
                    s, e = otlp.span_ns(sp)
                    lags.append(wall - e / 1e9)
                    if s < lo_ns or e < lo_ns:
                        lo_bad.append(s)
                    if e > hi_ns or s > hi_ns:
                        hi_bad.append(e)
                    first_start = s if first_start is None else min(first_start, s)
                    last_end = e if last_end is None else max(last_end, e)
    chk.info("%d lines, %d spans; process ran %.2fs" % (len(arrivals), n_spans, t_end - t_start))
    if not chk.check("spans were written", n_spans > 0, "%d spans" % n_spans):
        return chk.finish()
    lags.sort()
    med = otlp.percentile(lags, 0.5)
    chk.info("lag arrival - end: min %.3fs, p50 %.3fs, p90 %.3fs, p99 %.3fs, max %.3fs" % (
        lags[0], med, otlp.percentile(lags, 0.9), otlp.percentile(lags, 0.99), lags[-1]))
    chk.check("median lag < 1s", med < 1.0, "%.3fs" % med)
    early = sum(1 for x in lags if x < -EARLY_S)
    chk.check("no span written more than %gs before its end" % EARLY_S, early == 0,
              "%d spans, earliest %.3fs before its end" % (early, -lags[0]) if early else
              "min lag %.3fs" % lags[0])
    chk.check("span timestamps within [process start - 1s, process end + 1s]",
              not lo_bad and not hi_bad,
              "%d before %s, %d after %s (first start %s, last end %s)" % (
                  len(lo_bad), otlp.fmt_ns(lo_ns), len(hi_bad), otlp.fmt_ns(hi_ns),
                  otlp.fmt_ns(first_start), otlp.fmt_ns(last_end)))
    covered = (last_end - first_start) / 1e9
    chk.check("spans cover at least 15s of the %ds run" % DURATION_S, covered >= 15,
              "%.2fs" % covered)
    # Growth is only expected while requests arrive: after --duration the engine may wait
    # seconds for slow in-flight requests (timeouts up to 10s) with nothing to write.
    t_arrivals_end = min(t_end, t_start + DURATION_S)
    inside = [g for g in growth if g <= t_arrivals_end]
    if inside:
        gaps = [b - a for a, b in zip(inside, inside[1:])]
        gaps.append(t_arrivals_end - inside[-1])
        chk.check("traces.jsonl grows at least every 1.5s while requests arrive",
                  max(gaps) <= 1.5 and inside[0] - t_start <= 3.0,
                  "first line %.2fs after start, largest gap %.2fs, %d growths" % (
                      inside[0] - t_start, max(gaps), len(inside)))
    else:
        chk.check("traces.jsonl grows while the process runs", False,
                  "nothing appeared before the process exited")
    during = sum(1 for wall, _ in arrivals if wall < t_end - 0.5)
    chk.check("most lines appear before the process exits", during >= 0.8 * len(arrivals),
              "%d of %d lines" % (during, len(arrivals)))
    try:
        with open(summary, encoding="utf-8") as fh:
            summ = json.load(fh)
        s0 = otlp.parse_rfc3339(summ.get("start")) / 1e9
        chk.check("summary start = process start (within 2s)", abs(s0 - t_start) <= 2.0,
                  "%s vs process start %s" % (summ.get("start"), otlp.fmt_ns(int(t_start * 1e9))))
    except (OSError, ValueError, TypeError) as e:
        chk.check("summary written", False, repr(e))
    for other in ("metrics.jsonl", "logs.jsonl"):
        op = os.path.join(out, other)
        chk.check("%s written" % other, os.path.exists(op) and os.path.getsize(op) > 0,
                  "%d bytes" % (os.path.getsize(op) if os.path.exists(op) else -1))
    return chk.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
