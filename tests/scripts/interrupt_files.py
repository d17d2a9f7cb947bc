#!/usr/bin/python3
"""--output files stay whole JSON lines when a run is interrupted.

    tests/scripts/interrupt_files.py BIN ROOT

Interrupts file-exporter runs at random moments with SIGINT, SIGTERM and two
SIGINTs in a row (the second exits at once, from the signal handler), in
backfill and live mode. Checks: the exit code (130/143), every line of
traces/metrics/logs.jsonl parses as JSON and ends with a newline, and, when
the run could flush (one signal), the summary says interrupted and the spans
and logs it counts as delivered are exactly those in the files.
SX_INTERRUPT_SEED makes the random moments repeatable.
"""
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BIN, ROOT = sys.argv[1], sys.argv[2]
SCEN = os.path.join(ROOT, "scenarios", "checkout-db-pool-exhaustion.yaml")
SEED = int(os.environ.get("SX_INTERRUPT_SEED", str(int(time.time()))))
rnd = random.Random(SEED)
passed = failed = 0
tmp = tempfile.mkdtemp(prefix="sigsynth-intf.")


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
    print(("PASS " if ok else "FAIL ") + name + (": " + detail if detail else ""), flush=True)
    return ok


def wait_handlers(p, limit=10.0):
    """Waits until process p catches SIGINT and SIGTERM (/proc SigCgt), so a
    random moment is measured from there and not lost to a loaded machine's
    process start-up."""
    want = (1 << (signal.SIGINT - 1)) | (1 << (signal.SIGTERM - 1))
    end = time.time() + limit
    while time.time() < end and p.poll() is None:
        try:
            with open("/proc/%d/status" % p.pid) as f:
                for line in f:
                    if line.startswith("SigCgt:") and int(line.split()[1], 16) & want == want:
                        return True
        except OSError:
            pass
        time.sleep(0.005)
    return False


def read_lines(path):
    """(lines, spans, logs, bad): bad describes the first broken line."""
    n = spans = logs = 0
    with open(path, "rb") as f:
        data = f.read()
    if data and not data.endswith(b"\n"):
        return n, spans, logs, "last line has no newline (%d bytes after it)" % (
            len(data) - data.rfind(b"\n") - 1)
    for i, line in enumerate(data.split(b"\n")[:-1] if data else []):
        try:
            d = json.loads(line)
        except ValueError as e:
            return n, spans, logs, "line %d: %s" % (i + 1, e)
        n += 1
        for rs in d.get("resourceSpans", []):
            for ss in rs.get("scopeSpans", []):
                spans += len(ss.get("spans", []))
        for rl in d.get("resourceLogs", []):
            for sl in rl.get("scopeLogs", []):
                logs += len(sl.get("logRecords", []))
    return n, spans, logs, None


skipped = []   # runs that ended before their signal


def trial(name, args, sigs, delay, gap):
    out = os.path.join(tmp, name)
    summary = os.path.join(tmp, name + ".json")
    cmd = [BIN, "run", SCEN, "--seed", "42", "--output", out, "--summary", summary,
           "--progress=off"] + args
    with open(os.path.join(tmp, name + ".err"), "w") as ef:
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=ef)
        wait_handlers(p)
        time.sleep(delay)
        if p.poll() is not None:
            print("SKIP %s: ended before the signal (exit %d)" % (name, p.returncode))
            skipped.append(name)
            shutil.rmtree(out, ignore_errors=True)
            return
        for k, sg in enumerate(sigs):
            if k and gap:
                time.sleep(gap)
            p.send_signal(sg)
        try:
            rc = p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait()
    want = 128 + sigs[-1]
    label = "+".join({signal.SIGINT: "INT", signal.SIGTERM: "TERM"}[s] for s in sigs)
    check("%s exit code" % name, rc == want, "%s after %.2fs: exit %d (want %d)" %
          (label, delay, rc, want))
    counted = {"spans": 0, "logs": 0}
    for f in ("traces.jsonl", "metrics.jsonl", "logs.jsonl"):
        path = os.path.join(out, f)
        if not os.path.exists(path):
            check("%s %s exists" % (name, f), False)
            continue
        n, spans, logs, bad = read_lines(path)
        counted["spans"] += spans
        counted["logs"] += logs
        check("%s %s: every line is whole JSON" % (name, f), bad is None,
              "%d lines, %d bytes%s" % (n, os.path.getsize(path), "; " + bad if bad else ""))
    text = open(os.path.join(tmp, name + ".err")).read()
    if len(sigs) > 1:
        # Two signals close together may arrive as one, or the run may end
        # before the second: then it winds down as after one.
        immediate = "second signal" in text
        print("  %s: %s" % (name, "exited at once" if immediate else
                            "the signals merged or the run ended first"))
        if gap < 0.2:
            # An echo (a wrapper passing the signal on) is one interrupt.
            check("%s: a second signal %.0f ms after the first is the same interrupt" %
                  (name, gap * 1000), not immediate)
        if immediate and os.path.exists(summary):
            # The second signal came after the summary was written: whole.
            try:
                json.load(open(summary))
                check("%s summary (written before the second signal) is whole" % name, True)
            except ValueError as e:
                check("%s summary is whole" % name, False, str(e))
    if len(sigs) == 1 or not immediate:
        try:
            d = json.load(open(summary))
            fx = [e for e in d["exporters"] if e["name"] == "file"][0]
            ok = (d["interrupted"] is True and
                  all(fx["generated"][k] == fx["delivered"][k] + fx["dropped"][k]
                      for k in fx["generated"]) and
                  fx["delivered"]["spans"] == counted["spans"] and
                  fx["delivered"]["logs"] == counted["logs"] and
                  d["generated"]["spans"] == counted["spans"])
            check("%s summary matches the files" % name, ok,
                  "signal=%s delivered spans %d logs %d; in files %d, %d" %
                  (d.get("signal"), fx["delivered"]["spans"], fx["delivered"]["logs"],
                   counted["spans"], counted["logs"]))
        except (OSError, ValueError, KeyError, IndexError) as e:
            check("%s summary is written" % name, False, str(e))
    shutil.rmtree(out, ignore_errors=True)


try:
    plans = []
    for i in range(12):
        kind = i % 3
        sigs = ([signal.SIGINT], [signal.SIGTERM], [signal.SIGINT, signal.SIGINT])[kind]
        # two SIGINTs: alternately an echo (0-3 ms apart) and a person (0.3 s)
        plans.append(("backfill%02d" % i, ["--duration", "10m"], sigs, rnd.uniform(0.15, 0.6),
                      rnd.uniform(0.0, 0.003) if i % 2 else rnd.uniform(0.3, 0.35)))
    for i, sigs in enumerate([[signal.SIGTERM], [signal.SIGINT, signal.SIGINT]]):
        plans.append(("live%d" % i, ["--mode", "live", "--duration", "1m"], sigs,
                      rnd.uniform(1.2, 2.5), rnd.uniform(0.3, 0.35)))
    for plan in plans:
        trial(*plan)

    # A file that cannot grow (RLIMIT_FSIZE, SIGXFSZ ignored: a write stops
    # part-way with EFBIG, as on a full disk): cut back to its last whole
    # line, the rest counted as dropped, exit 1.
    out = os.path.join(tmp, "full")
    summary = os.path.join(tmp, "full.json")

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20 << 20, 20 << 20))
    p = subprocess.run([BIN, "run", SCEN, "--seed", "42", "--duration", "3m", "--output", out,
                        "--summary", summary, "--progress=off"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, preexec_fn=limit, timeout=120)
    n, spans, logs, bad = read_lines(os.path.join(out, "traces.jsonl"))
    check("size limit: exit 1", p.returncode == 1, "exit %d" % p.returncode)
    check("size limit: traces.jsonl is whole lines", bad is None and n > 0,
          "%d lines, %d bytes%s" % (n, os.path.getsize(os.path.join(out, "traces.jsonl")),
                                    "; " + bad if bad else ""))
    try:
        d = json.load(open(summary))
        fx = d["exporters"][0]
        check("size limit: delivered = spans in the file, the rest dropped",
              fx["delivered"]["spans"] == spans and fx["dropped"]["spans"] > 0 and
              fx["generated"]["spans"] == fx["delivered"]["spans"] + fx["dropped"]["spans"] and
              any(k.startswith("write: ") for k in fx["errors"]),
              "delivered %d, in file %d, dropped %d, errors %s" %
              (fx["delivered"]["spans"], spans, fx["dropped"]["spans"], fx["errors"]))
    except (OSError, ValueError, KeyError, IndexError) as e:
        check("size limit: summary is written", False, str(e))
    shutil.rmtree(out, ignore_errors=True)
    # A skip proves nothing: most runs must really be interrupted.
    check("at most a quarter of the runs ended before their signal (%d of %d)" %
          (len(skipped), len(plans)), len(skipped) * 4 <= len(plans), ", ".join(skipped))
finally:
    shutil.rmtree(tmp, ignore_errors=True)
print("%d passed, %d failed (seed %d)" % (passed, failed, SEED))
sys.exit(1 if failed else 0)
