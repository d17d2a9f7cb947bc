#!/usr/bin/python3
"""The progress display of run, check and verify.

    tests/scripts/progress.py BIN ROOT

--progress=plain (with SX_PROGRESS_PLAIN_INTERVAL, for tests only, instead of
10 s): at least two lines of the documented format. The TTY form under
util-linux `script` (a real pseudo-terminal): redrawn in place ("\\r" and
clear-line) and cleared before the report. Off when stderr is not a terminal,
and with --quiet or --progress=off. Live mode shows the incident phase now and
the next one. Neither the summary nor the output files contain progress text.
"""
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BIN, ROOT = sys.argv[1], sys.argv[2]
FLAGSHIP = os.path.join(ROOT, "scenarios", "checkout-db-pool-exhaustion.yaml")
LIVE = os.path.join(ROOT, "tests", "verify", "verify-live.yaml")
RULES = os.path.join(ROOT, "tests", "verify", "verify-live.rules.yml")
passed = failed = 0
tmp = tempfile.mkdtemp(prefix="sigsynth-prog.")

DUR = r"(?:\d+h\d\dm\d\ds|\d+m\d\ds|\d+s)"
NUM = r"\d+(?:\.\d+[kMG])?"
LINE = re.compile(r"^sigsynth (run|check|verify): (%s)/(%s) (\d+\.\d)%% \| (?:(%s) items/s|(\d+) polls)"
                  r"((?: \| [a-z-]+ %s delivered %s dropped)*)"
                  r"(?: \| now: ([^|;]+?)(?:; next: (.+?) at \+(%s))?)? \| ETA (%s|\?)$"
                  % (DUR, DUR, NUM, NUM, NUM, DUR, DUR))


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
    print(("PASS " if ok else "FAIL ") + name + (": " + detail if detail else ""), flush=True)
    return ok


def run(args, env=None, timeout=120):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e,
                       timeout=timeout)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def no_progress_in(name, paths):
    bad = []
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        if b"items/s" in data or b"sigsynth run:" in data or b"\x1b[K" in data or b"\r" in data:
            bad.append(os.path.basename(path))
    check(name, not bad, ", ".join(bad))


try:
    out = os.path.join(tmp, "plain")
    summary = os.path.join(tmp, "plain.json")
    rc, _, err = run([BIN, "run", FLAGSHIP, "--seed", "1", "--duration", "6m", "--output", out,
                      "--summary", summary, "--progress=plain"],
                     {"SX_PROGRESS_PLAIN_INTERVAL": "0.05"})
    lines = [l for l in err.splitlines() if l.startswith("sigsynth run: ")]
    check("plain: run exits 0", rc == 0, "exit %d" % rc)
    check("plain: at least 2 progress lines", len(lines) >= 2, "%d lines" % len(lines))
    ms = [LINE.match(l) for l in lines]
    check("plain: every line has the documented format", lines and all(ms),
          "; ".join(l for l, m in zip(lines, ms) if not m)[:400] or str(lines[:1]))
    if lines and all(ms):
        check("plain: total is 6m00s, the file exporter is listed",
              all(m.group(3) == "6m00s" and " file " in m.group(7) for m in ms), lines[0])
        pct = [float(m.group(4)) for m in ms]
        check("plain: the position only moves forward", pct == sorted(pct), str(pct))
    check("plain: no carriage return or clear-line", "\r" not in err and "\x1b[K" not in err)
    no_progress_in("plain: summary and output files hold no progress text",
                   [summary] + [os.path.join(out, f) for f in os.listdir(out)])
    shutil.rmtree(out)

    # Default (auto) with stderr not a terminal, --quiet, --progress=off: nothing.
    for name, flags in (("auto, stderr a pipe", []), ("--quiet", ["--quiet", "--progress=plain"]),
                        ("--progress=off", ["--progress", "off"])):
        rc, _, err = run([BIN, "run", FLAGSHIP, "--duration", "2m", "--output", out] + flags,
                         {"SX_PROGRESS_PLAIN_INTERVAL": "0.05"})
        check("%s: no progress" % name, rc == 0 and "items/s" not in err, "exit %d" % rc)
    shutil.rmtree(out, ignore_errors=True)
    # While the engine waits for a receiver that never answers, the line goes
    # on: the position reached so far, the ETA, until the endpoint is down.
    import socket
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    dead = sock.getsockname()[1]
    sock.close()
    t0 = time.time()
    rc, _, err = run([BIN, "run", FLAGSHIP, "--duration", "20m", "--progress=plain",
                      "--otlp-endpoint", "http://127.0.0.1:%d" % dead, "--give-up-after", "2s"],
                     {"SX_PROGRESS_PLAIN_INTERVAL": "0.05"})
    waited = time.time() - t0
    lines = [LINE.match(l) for l in err.splitlines() if l.startswith("sigsynth run: ")
             and " down: " not in l]
    moved = [m for m in lines if m and m.group(2) != "0s"]
    check("dead receiver: exit 1 once the endpoint is down", rc == 1, "exit %d" % rc)
    check("dead receiver: the line goes on while the engine waits (>= 10 lines in %.1f s)" % waited,
          len(lines) >= 10 and all(lines), "%d lines" % len(lines))
    check("dead receiver: the lines show the position reached", len(moved) >= len(lines) // 2,
          "%d of %d past 0s" % (len(moved), len(lines)))
    rc, _, err = run([BIN, "run", FLAGSHIP, "--progress=fancy"])
    check("--progress=fancy is a usage error", rc == 2 and "--progress" in err, err.strip())

    # TTY form: a real pseudo-terminal from util-linux script(1).
    if shutil.which("script"):
        log = os.path.join(tmp, "tty.log")
        summary = os.path.join(tmp, "tty.json")
        cmd = " ".join(shlex.quote(a) for a in [BIN, "run", FLAGSHIP, "--seed", "1",
                                                "--duration", "8m", "--output", out,
                                                "--summary", summary])
        p = subprocess.run(["script", "-qfec", cmd, log], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=120)
        data = open(log, "rb").read().decode(errors="replace")
        draws = data.count("\r\x1b[Ksigsynth run: ")
        check("tty: run exits 0", p.returncode == 0, "exit %d" % p.returncode)
        check("tty: redrawn in place at least twice", draws >= 2, "%d draws" % draws)
        rep = data.find("sigsynth: checkout-db-pool-exhaustion run ")
        last = data.rfind("\r\x1b[Ksigsynth run: ")
        clear = data.rfind("\r\x1b[K", 0, rep if rep >= 0 else len(data))
        check("tty: the line is cleared before the report",
              rep > 0 and last >= 0 and clear > last and "\n" not in data[last:clear],
              repr(data[max(0, rep - 120):rep + 40]))
        drawn = re.findall(r"\r\x1b\[K(sigsynth run: [^\r\n]*?)(?=\r|\n|$)", data)
        check("tty: each drawn line has the documented format",
              drawn and all(LINE.match(l) for l in drawn),
              "; ".join(l for l in drawn if not LINE.match(l))[:300])
        no_progress_in("tty: summary and output files hold no progress text",
                       [summary] + [os.path.join(out, f) for f in os.listdir(out)])
        shutil.rmtree(out)
    else:
        check("script(1) from util-linux is installed", False)

    # --progress=tty forced while stderr is a file.
    rc, _, err = run([BIN, "run", FLAGSHIP, "--duration", "8m", "--output", out,
                      "--progress=tty"])
    check("forced tty: redraws with \\r and clear-line, ends cleared",
          rc == 0 and err.count("\r\x1b[Ksigsynth run: ") >= 1 and
          err.split("sigsynth: checkout")[0].endswith("\r\x1b[K"),
          repr(err[:200]))
    shutil.rmtree(out, ignore_errors=True)

    # Live: the incident phase now and the next one; interrupted: exit 130.
    p = subprocess.Popen([BIN, "run", LIVE, "--mode", "live", "--output", out,
                          "--progress=plain"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, env=dict(os.environ,
                                                          SX_PROGRESS_PLAIN_INTERVAL="0.5"))
    time.sleep(2.5)
    p.send_signal(signal.SIGINT)
    err = p.communicate(timeout=60)[1].decode()
    lines = [l for l in err.splitlines() if l.startswith("sigsynth run: ") and "items/s" in l]
    ms = [LINE.match(l) for l in lines]
    check("live: at least 2 lines, exit 130", len(lines) >= 2 and p.returncode == 130,
          "%d lines, exit %d" % (len(lines), p.returncode))
    check("live: now baseline, next db-errors start at +40s",
          lines and all(m and m.group(8) == "baseline" and m.group(9) == "db-errors start" and
                        m.group(10) == "40s" for m in ms), "; ".join(lines[:2]))
    shutil.rmtree(out, ignore_errors=True)

    # check: the simulation's progress (promtool may be missing: exit 2 then).
    if shutil.which("promtool"):
        rc, _, err = run([BIN, "check", LIVE, "--rules", RULES, "--progress=plain",
                          "--metric-interval", "1s", "--duration", "3h"],
                         {"SX_PROGRESS_PLAIN_INTERVAL": "0.05"}, timeout=300)
        lines = [l for l in err.splitlines() if l.startswith("sigsynth check: ") and "items/s" in l]
        check("check: progress lines in the documented format",
              lines and all(LINE.match(l) and LINE.match(l).group(3) == "3h00m00s" for l in lines),
              "exit %d, %d lines: %s" % (rc, len(lines), lines[:1]))

    # verify: polls and the phase, from a thread while the verifier waits.
    p = subprocess.Popen([BIN, "verify", LIVE, "--prometheus", "http://127.0.0.1:9",
                          "--start", "now", "--poll", "0.2s", "--progress=plain"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         env=dict(os.environ, SX_PROGRESS_PLAIN_INTERVAL="0.3"))
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    err = p.communicate(timeout=60)[1].decode()
    lines = [l for l in err.splitlines() if l.startswith("sigsynth verify: ") and "polls" in l]
    check("verify: progress lines with polls and the phase",
          len(lines) >= 2 and all(LINE.match(l) and LINE.match(l).group(8) == "baseline"
                                  for l in lines), "; ".join(lines[:2]) or err[-300:])
finally:
    shutil.rmtree(tmp, ignore_errors=True)
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
