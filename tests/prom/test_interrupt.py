#!/usr/bin/python3
"""Interrupting `sigsynth run` never sends a duplicate or out-of-order sample.

    tests/prom/test_interrupt.py BIN ROOT

Starts a private Prometheus 2.42 (remote-write receiver, debug log) on a free
127.0.0.1 port and interrupts remote-write runs into it at random moments:
backfill runs (each on its own later stretch of timeline, so runs never
overlap), a few short live runs and one `run --verify-prometheus`, with SIGINT
and SIGTERM mixed, and two runs that get a second SIGINT. Checks per run: the
exit code (130 SIGINT, 143 SIGTERM), the summary says interrupted with the
signal, generated = delivered + dropped per signal, no "HTTP 400" among the
error kinds. At the end: Prometheus' own log has no "duplicate sample", "out of
order" or "out of bounds", and prometheus_http_requests_total counts no 400 for
/api/v1/write. SX_INTERRUPT_TRIES (default 24) sets the number of backfill
runs; SX_INTERRUPT_SEED makes the random moments repeatable.
"""
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

BIN, ROOT = sys.argv[1], sys.argv[2]
PROMETHEUS = os.environ.get("PROMETHEUS", "/usr/bin/prometheus")
FLAGSHIP = os.path.join(ROOT, "scenarios", "checkout-db-pool-exhaustion.yaml")
SPARSE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "interrupt-sparse.yaml")
TRIES = int(os.environ.get("SX_INTERRUPT_TRIES", "24"))
SEED = int(os.environ.get("SX_INTERRUPT_SEED", str(int(time.time()))))
rnd = random.Random(SEED)
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
    print(("PASS " if ok else "FAIL ") + name + (": " + detail if detail else ""), flush=True)
    return ok


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def rfc3339(sec):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(sec))


tmp = tempfile.mkdtemp(prefix="sigsynth-intr.")
prom = None
prom_log = os.path.join(tmp, "prometheus.log")


def stop_prometheus():
    if prom and prom.poll() is None:
        prom.terminate()
        try:
            prom.wait(10)
        except subprocess.TimeoutExpired:
            prom.kill()
            prom.wait()


def finish(code=None):
    stop_prometheus()
    if os.environ.get("KEEP_TMP") == "1":
        print("kept", tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed (seed %d)" % (passed, failed, SEED))
    sys.exit(code if code is not None else (1 if failed else 0))


signal.signal(signal.SIGTERM, lambda *_: finish(130))
with open(os.path.join(tmp, "prom.yml"), "w") as f:
    f.write("global:\n  evaluation_interval: 5s\n")
url = None
for attempt in range(3):
    port = free_port()
    shutil.rmtree(os.path.join(tmp, "data"), ignore_errors=True)
    prom = subprocess.Popen([PROMETHEUS, "--config.file=" + os.path.join(tmp, "prom.yml"),
                             "--storage.tsdb.path=" + os.path.join(tmp, "data"),
                             "--web.listen-address=127.0.0.1:%d" % port,
                             "--web.enable-remote-write-receiver", "--log.level=debug"],
                            stdout=subprocess.DEVNULL, stderr=open(prom_log, "w"))
    for _ in range(150):
        if prom.poll() is not None:
            break
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/-/ready" % port, timeout=1)
            url = "http://127.0.0.1:%d" % port
            break
        except Exception:
            time.sleep(0.1)
    if url:
        break
    stop_prometheus()
if not url:
    check("prometheus starts", False)
    finish()
print("prometheus pid %d on %s; seed %d" % (prom.pid, url, SEED), flush=True)
write_url = url + "/api/v1/write"


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


skipped = []   # runs that ended before their signal
started = []


def run(name, scen, args, sigs, delay, url=None, healthy=True):
    """Starts a run, sends sigs (a list) after delay seconds (0.3 s apart: closer
    together, sigsynth takes a repeat for an echo of the first).
    healthy: the receiver works, so nothing may be dropped."""
    started.append(name)
    summary = os.path.join(tmp, name + ".json")
    err = os.path.join(tmp, name + ".err")
    cmd = [BIN, "run", scen, "--seed", "42", "--remote-write-url", url or write_url,
           "--summary", summary, "--shutdown-timeout", "5s", "--progress=off"] + args
    with open(err, "w") as ef:
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=ef)
        wait_handlers(p)
        time.sleep(delay)
        early = p.poll() is not None
        for k, sg in enumerate(sigs):
            if k:
                time.sleep(0.3)
            if p.poll() is None:
                p.send_signal(sg)
        t_sig = time.time()
        try:
            rc = p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait()
            check(name + " ends within 60 s of the signal", False)
    want = 128 + sigs[-1] if len(sigs) > 1 else 128 + sigs[0]
    sname = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM"}[sigs[0]]
    detail = "%s x%d after %.2fs: exit %d" % (sname, len(sigs), delay, rc)
    if early:
        # Finished before the signal: no interrupt to test (rare; counted apart).
        print("SKIP %s: the run ended before the signal (exit %d)" % (name, rc))
        skipped.append(name)
        return None
    ok = check(name + " exit code", rc == want, detail + " (want %d), %.1fs after the signal" %
               (want, time.time() - t_sig))
    text = open(err).read()
    check(name + " no HTTP 400 in stderr", "HTTP 400" not in text, text[-300:] if "HTTP 400" in text else "")
    if len(sigs) > 1 and "second signal" in text:
        print("  %s: exited at once on the second signal" % name)
        if os.path.exists(summary):   # came after the summary was written: whole
            check(name + " summary is whole", json.load(open(summary)) is not None)
        return rc
    try:
        d = json.load(open(summary))
    except Exception as e:
        check(name + " summary is written", False, str(e))
        return rc
    ex = [e for e in d["exporters"] if e["name"] == "remote-write"][0]
    kinds = ex.get("errors", {})
    acc = all(ex["generated"][k] == ex["delivered"][k] + ex["dropped"][k] for k in ex["generated"])
    # A healthy receiver gets everything: the last collection and the stale
    # markers wait for queue room within the shutdown budget.
    drops_ok = ex["dropped"]["metric_points"] == 0 if healthy else \
        ex["dropped"]["metric_points"] == ex["generated"]["metric_points"] > 0
    check(name + " summary", d["interrupted"] is True and d.get("signal") == sname and acc and
          not any("400" in k for k in kinds) and drops_ok,
          "interrupted=%s signal=%s generated=%s delivered=%s dropped=%s errors=%s" %
          (d["interrupted"], d.get("signal"), ex["generated"]["metric_points"],
           ex["delivered"]["metric_points"], ex["dropped"]["metric_points"], kinds))
    stats["delivered"] += ex["delivered"]["metric_points"]
    stats["dropped"] += ex["dropped"]["metric_points"]
    return rc


stats = {"delivered": 0, "dropped": 0}
t_begin = time.time()
# Backfill stretches, one after the other, all ending well before now: the
# flagship's dense traffic (5 minutes take about a second to send) and the
# sparse scenario (an hour), alternating.
plan = [(FLAGSHIP, 300) if i % 2 else (SPARSE, 3600) for i in range(TRIES)]
at = int(time.time()) - sum(w for _, w in plan) - 600
for i, (scen, window) in enumerate(plan):
    sg = [signal.SIGINT if rnd.random() < 0.5 else signal.SIGTERM]
    if i in (5, 16):
        sg = [signal.SIGINT, signal.SIGINT]      # the immediate exit
    # A short interval: many collections, so signals often land just after one.
    interval = rnd.choice(["1s", "2s", "5s"])
    run("backfill%02d" % i, scen, ["--start", rfc3339(at), "--duration", "%ds" % window,
                                   "--metric-interval", interval, "--signals", "metrics"],
        sg, rnd.uniform(0.1, 0.6))
    at += window
# Live runs start now, after every backfill stretch.
for i, (scen, sg) in enumerate([(SPARSE, signal.SIGTERM), (SPARSE, signal.SIGINT),
                                (FLAGSHIP, signal.SIGINT)]):
    run("live%d" % i, scen, ["--mode", "live", "--duration", "1m", "--metric-interval", "1s",
                             "--signals", "metrics"], [sg], rnd.uniform(1.2, 3.5))
run("live-verify", FLAGSHIP, ["--mode", "live", "--duration", "1m", "--metric-interval", "1s",
                              "--signals", "metrics", "--verify-prometheus", url,
                              "--verify-poll", "0.5s"], [signal.SIGTERM], rnd.uniform(1.2, 3.0))
# A signal while `run --verify-prometheus` watches the alerts after a
# complete (3 s) live timeline: the run's summary is complete, the exit 130.
summ = os.path.join(tmp, "watch.json")
p = subprocess.Popen([BIN, "run", FLAGSHIP, "--mode", "live", "--duration", "3s", "--signals",
                      "metrics", "--remote-write-url", write_url, "--summary", summ,
                      "--progress=off", "--verify-prometheus", url, "--verify-poll", "0.5s"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wait_handlers(p)
time.sleep(5.0)
early = p.poll()
p.send_signal(signal.SIGINT)
try:
    err = p.communicate(timeout=30)[1].decode()
except subprocess.TimeoutExpired:
    p.kill()
    err = p.communicate()[1].decode()
d = json.load(open(summ)) if os.path.exists(summ) else {}
check("verify-watch: SIGINT while watching alerts exits 130",
      early is None and p.returncode == 130 and "watching alerts" in err and
      d.get("interrupted") is False,
      "exit %s, summary interrupted=%s" % (p.returncode, d.get("interrupted")))

# A dead receiver: the signal still ends the run within --shutdown-timeout
# (5 s here), everything counted as dropped.
t0 = time.time()
run("dead-receiver", FLAGSHIP, ["--duration", "10m", "--signals", "metrics"], [signal.SIGINT],
    1.0, url="http://127.0.0.1:%d/api/v1/write" % free_port(), healthy=False)
check("dead-receiver ends within the shutdown budget", time.time() - t0 < 1.0 + 5 + 5,
      "%.1fs" % (time.time() - t0))
print("runs took %.1fs; remote-write delivered %d samples, dropped %d" %
      (time.time() - t_begin, stats["delivered"], stats["dropped"]), flush=True)
check("samples reached Prometheus", stats["delivered"] > 0)

# Prometheus' side: its request counter and its own log.
time.sleep(0.5)
metrics = urllib.request.urlopen(url + "/metrics", timeout=10).read().decode()
codes = {}
for m in re.finditer(r'^prometheus_http_requests_total\{code="(\d+)",handler="/api/v1/write"\} (\S+)',
                     metrics, re.M):
    codes[m.group(1)] = float(m.group(2))
print("prometheus /api/v1/write responses by code:", codes)
check("prometheus answered 2xx to remote-write", codes.get("204", 0) > 0, str(codes))
check("prometheus answered no 400", codes.get("400", 0) == 0, str(codes))
# A skip proves nothing: most runs must really be interrupted.
check("at most a quarter of the runs ended before their signal (%d of %d)" %
      (len(skipped), len(started)), len(skipped) * 4 <= len(started), ", ".join(skipped))
for name in ("prometheus_tsdb_out_of_order_samples_total", "prometheus_tsdb_out_of_bound_samples_total"):
    vals = [float(v) for v in re.findall(r"^%s(?:\{[^}]*\})? (\S+)" % name, metrics, re.M)]
    check(name + " is 0", sum(vals) == 0, str(vals))
stop_prometheus()
log = open(prom_log).read()
bad = [l for l in log.splitlines()
       if re.search(r"duplicate sample|out of order|out of bounds", l, re.I)]
check("prometheus log: no duplicate / out-of-order / out-of-bounds sample", not bad,
      "; ".join(bad[:3]))
finish()
