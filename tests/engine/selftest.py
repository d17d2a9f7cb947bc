#!/usr/bin/env python3
"""Tests the engine tests: runs each test_*.py against fake_run.py (SX_FAKE=1), once as is
(every test must pass) and once per deliberate bug of fake_run.py (SX_FAKE_BUG, each must
make its test fail, on the check meant to catch it).

  usage: selftest.py [--quick]      (--quick skips the live-mode runs, 20 s each)

Needs no engine; takes about 2 minutes (30 s with --quick).
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# (test script, bug or None, a substring of the FAIL line that must appear)
CASES = [
    ("test_determinism.py", None, None),
    ("test_determinism.py", "nondeterministic", "byte-identical"),
    ("test_determinism.py", "summary-count", "generated.spans = count"),
    ("test_consistency.py", None, None),
    ("test_consistency.py", "hist-miss", "counted in its histogram"),
    ("test_consistency.py", "status-attr", "error ratio per (service"),
    ("test_consistency.py", "log-orphan", "(b) every log traceId"),
    ("test_consistency.py", "exemplar-orphan", "(c) every exemplar"),
    ("test_consistency.py", "no-synthetic", "(d) every resource"),
    ("test_consistency.py", "incident-by-request", "(e) spans wholly inside"),
    ("test_consistency.py", "int-as-number", "(f) traces.jsonl protojson"),
    ("test_consistency.py", "orphan-parent", "(g) every parentSpanId"),
    ("test_latency.py", None, None),
    ("test_latency.py", "latency-x20", "hold: p99"),
    ("test_latency.py", "slow-query", "before the incident: p50"),
    ("test_traffic.py", None, None),
    ("test_traffic.py", "rate-low", "mean per minute"),
    ("test_live.py", None, None),
    ("test_live.py", "live-batch", "median lag"),
    ("test_live.py", "live-future", "before its end"),
]


def main(argv):
    quick = "--quick" in argv
    ok = bad = 0
    for script, bug, want in CASES:
        if quick and script == "test_live.py":
            continue
        env = dict(os.environ, SX_FAKE="1", SX_FAKE_BUG=bug or "")
        env.pop("SX_DURATION", None)
        p = subprocess.run([sys.executable, os.path.join(HERE, script)], env=env,
                           capture_output=True, text=True, timeout=600)
        fails = [ln for ln in p.stdout.splitlines() if ln.startswith("FAIL")]
        last = (p.stdout.strip().splitlines() or ["(no output)"])[-1]
        if bug is None:
            good = p.returncode == 0 and not fails
            what = "passes on a correct fake run"
        else:
            good = p.returncode != 0 and any(want in ln for ln in fails)
            what = "fails with bug %s on '%s'" % (bug, want)
        print("%s %s %s  [%s]" % ("ok  " if good else "BAD ", script, what, last), flush=True)
        if not good:
            print("\n".join("      " + ln for ln in (fails or p.stdout.splitlines()[-15:])))
            if p.stderr.strip():
                print("      stderr: " + p.stderr.strip()[-1500:])
        ok += good
        bad += not good
    print("%d passed, %d failed" % (ok, bad))
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
