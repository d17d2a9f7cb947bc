#!/usr/bin/env bash
# remote-write's request shape and authentication, against a tiny recording
# HTTP server (Python stdlib): the four required headers, snappy *block*
# format (not framed), a bearer token from a file and basic auth with a
# password file arrive as they should, extra headers too, reserved headers
# cannot be overridden, and no secret is ever printed.
set -u
bin=$1
root=$2
tmp=$(mktemp -d)
srv_pid=
cleanup() { [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

cat >"$tmp/server.py" <<'PY'
import json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
path = sys.argv[1]
lock = threading.Lock()
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock, open(path, "a") as log:   # reopened: the test truncates it between runs
            log.write(json.dumps({"headers": dict(self.headers), "head": body[:12].hex(), "len": len(body)}) + "\n")
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
PY
/usr/bin/python3 "$tmp/server.py" "$tmp/requests.jsonl" >"$tmp/port" &
srv_pid=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(head -n 1 "$tmp/port")
url=http://127.0.0.1:$port/api/v1/write
scn=$root/scenarios/checkout-db-pool-exhaustion.yaml

printf 'tok-SECRET-4242\n' >"$tmp/token"
printf 'pw-SECRET-9999\n' >"$tmp/password"
"$bin" run "$scn" --duration 1m --start 2026-01-01T00:00:00Z --remote-write-url "$url" \
  --remote-write-bearer-token-file "$tmp/token" --remote-write-header X-Scope-OrgID=tenant-a \
  --summary "$tmp/s1.json" >"$tmp/out1" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok || { bad "bearer run exited $rc"; cat "$tmp/out1"; }
cp "$tmp/requests.jsonl" "$tmp/bearer.jsonl"
: >"$tmp/requests.jsonl"
"$bin" run "$scn" --duration 1m --start 2026-01-01T00:00:00Z --remote-write-url "$url" \
  --remote-write-basic-auth-user drill --remote-write-basic-auth-password-file "$tmp/password" \
  >"$tmp/out2" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok || { bad "basic-auth run exited $rc"; cat "$tmp/out2"; }
cp "$tmp/requests.jsonl" "$tmp/basic.jsonl"

/usr/bin/python3 - "$tmp" <<'PY' && ok || bad "request shape or auth"
import base64, json, sys
d = sys.argv[1]
def load(name):
    return [json.loads(l) for l in open(f"{d}/{name}") if l.strip()]
bearer, basic = load("bearer.jsonl"), load("basic.jsonl")
assert bearer and basic, (len(bearer), len(basic))
for r in bearer + basic:
    h = {k.lower(): v for k, v in r["headers"].items()}
    assert h["content-encoding"] == "snappy", h
    assert h["content-type"] == "application/x-protobuf", h
    assert h["x-prometheus-remote-write-version"] == "0.1.0", h
    assert h["user-agent"].startswith("sigsynth/"), h
    # snappy block format starts with the uncompressed length as a varint;
    # the framed format would start with ff 06 00 00 73 4e 61 50 70 59.
    assert not r["head"].startswith("ff060000734e61507059"), r["head"]
for r in bearer:
    h = {k.lower(): v for k, v in r["headers"].items()}
    assert h["authorization"] == "Bearer tok-SECRET-4242", "bearer header"
    assert h["x-scope-orgid"] == "tenant-a"
for r in basic:
    h = {k.lower(): v for k, v in r["headers"].items()}
    assert h["authorization"] == "Basic " + base64.b64encode(b"drill:pw-SECRET-9999").decode(), "basic"
print(f"{len(bearer)} bearer requests, {len(basic)} basic-auth requests: headers and format ok")
PY
if grep -q "SECRET" "$tmp/out1" "$tmp/out2" "$tmp/s1.json"; then bad "a secret was printed"; else ok; fi

# A reserved header cannot be overridden; a missing token file is a clear error.
"$bin" run "$scn" --duration 10s --remote-write-url "$url" --remote-write-header Content-Type=text/plain \
  >"$tmp/out3" 2>&1
rc=$?
[ "$rc" -eq 2 ] && grep -q "cannot be overridden" "$tmp/out3" && ok || { bad "reserved header: exit $rc"; cat "$tmp/out3"; }
"$bin" run "$scn" --duration 10s --remote-write-url "$url" --remote-write-bearer-token-file "$tmp/nope" \
  >"$tmp/out4" 2>&1
rc=$?
[ "$rc" -eq 2 ] && grep -q "cannot read the bearer token file" "$tmp/out4" && ok || { bad "missing token file: exit $rc"; cat "$tmp/out4"; }

echo "remote-write auth: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
