#!/usr/bin/python3
"""Recording HTTP receiver for tests/net/test_secrets.sh (Python stdlib only).

    /usr/bin/python3 secrets_receiver.py --log requests.jsonl --port-file port [--status N]

Binds 127.0.0.1 on a free port (written to --port-file once listening). Every
request (any method, any path) is appended to --log as one JSON line:
{"method", "path", "headers": {lower-case name: value}, "raw_headers": the
header block as received}. The answer is --status (default 204 for POST, and
for GET an empty alert list in the Prometheus (/api/v1/alerts) or Alertmanager
(/api/v2/alerts) shape); any status >= 400 answers with the body
"denied by test receiver".
"""
import argparse
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--log", required=True)
ap.add_argument("--port-file", required=True)
ap.add_argument("--status", type=int, default=0)
args = ap.parse_args()
lock = threading.Lock()


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _record(self):
        n = int(self.headers.get("Content-Length", "0") or 0)
        if n:
            self.rfile.read(n)
        entry = {"method": self.command, "path": self.path,
                 "headers": {k.lower(): v for k, v in self.headers.items()},
                 "raw_headers": str(self.headers)}
        with lock, open(args.log, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def _answer(self, default, body=b"", ctype="text/plain"):
        code = args.status or default
        if code >= 400:
            body, ctype = b"denied by test receiver", "text/plain"
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and code != 204:
            self.wfile.write(body)

    def do_POST(self):
        self._record()
        self._answer(204)

    def do_GET(self):
        self._record()
        if self.path.startswith("/api/v1/alerts"):
            body = b'{"status":"success","data":{"alerts":[]}}'
        else:
            body = b"[]"
        self._answer(200, body, "application/json")


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
tmp = args.port_file + ".tmp"
with open(tmp, "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.replace(tmp, args.port_file)
srv.serve_forever()
