#!/usr/bin/python3
"""Independent OTLP test receiver (gRPC + HTTP/protobuf) for sigsynth's network tests.

Shares no code with sigsynth. Python modules for the OTLP messages are generated
from /work/main/proto (or --proto-dir) with protoc into a temp dir at start-up.
Needs Debian's /usr/bin/python3 (python3-grpcio, python3-protobuf).

    /usr/bin/python3 otlp_receiver.py --grpc-port 0 --http-port 0 \
        --report report.json [--ready-file ports.json] [--fault SPEC]

Ports: 0 picks a free port; a negative port disables that transport. The chosen
ports are printed ("GRPC_PORT=n", "HTTP_PORT=n") and written to --ready-file
(JSON, written atomically once both servers listen).

The JSON report (counts, trace/span ids, log trace ids, headers and metadata of
every request, resource attributes, request timeline) is written to --report on
SIGTERM/SIGINT, and served live by GET /report on the HTTP port.

--grpc-relay puts a byte-counting TCP relay on the public gRPC port (the gRPC
server listens behind it on a private port): grpcio hides grpc-encoding and hands
handlers decompressed bytes, so the relay's count is how a test sees gzip on the wire.

Faults (--fault):
  503x3              HTTP: first 3 requests overall -> 503, then 200
  400                HTTP: every request -> 400 with a text/plain body
  429-retry-after-1  HTTP: first request overall -> 429 + "Retry-After: 1", then 200
  unavailable-x2     gRPC: first 2 calls overall -> UNAVAILABLE, then OK
  http-CODE          HTTP: every request -> CODE (e.g. http-401, http-404, http-413, http-503)
  429-retry-after-date  HTTP: first request -> 429 + Retry-After as an HTTP-date 2 s ahead
  flap-S             HTTP: 503 while int(t / S) is odd, t = seconds since the first request
  503-for-S          HTTP: 503 for the first S seconds after the first request, then 200
  partial            HTTP and gRPC: every answer OK with partial_success rejecting 1 item
  malformed-200      HTTP: 200 with a body that is not protobuf
  huge-200           HTTP: 200 with an 8 MiB body
  huge-503x3         HTTP: first 3 requests -> 503 with a 1 MiB text body
  grpc-unavailable   gRPC: every call -> UNAVAILABLE
  grpc-slow-x2       gRPC: first 2 calls sleep 3 s before answering OK (client deadline: shorter)
  grpc-exhausted-x2  gRPC: first 2 calls -> RESOURCE_EXHAUSTED without RetryInfo
  grpc-exhausted-retryinfo-x2  gRPC: first 2 calls -> RESOURCE_EXHAUSTED + RetryInfo 1 s
Payloads of faulted requests are parsed (so the request list shows what they
held) but not counted as received.
"""
import argparse
import email.utils
import gzip
import hashlib
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent import futures

FAULT_400_BODY = "sigsynth-test-fault: receiver rejects this payload (HTTP 400)"

SIGNALS = {
    # key: (http path, grpc method, module path, request class)
    "traces": ("/v1/traces", "/opentelemetry.proto.collector.trace.v1.TraceService/Export"),
    "metrics": ("/v1/metrics", "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"),
    "logs": ("/v1/logs", "/opentelemetry.proto.collector.logs.v1.LogsService/Export"),
}


def generate_modules(proto_dir):
    out = tempfile.mkdtemp(prefix="otlp-recv-pb2-")
    files = []
    for root, _, names in os.walk(proto_dir):
        files += [os.path.join(root, n) for n in names if n.endswith(".proto")]
    subprocess.run(["protoc", "-I", proto_dir, "--python_out=" + out] + sorted(files), check=True)
    sys.path.insert(0, out)
    return out


def any_value(v):
    """AnyValue -> (type, python value) keeping the wire type visible in the report."""
    kind = v.WhichOneof("value")
    if kind is None:
        return {"type": "empty", "value": None}
    if kind == "string_value":
        return {"type": "string", "value": v.string_value}
    if kind == "bool_value":
        return {"type": "bool", "value": v.bool_value}
    if kind == "int_value":
        return {"type": "int", "value": v.int_value}
    if kind == "double_value":
        return {"type": "double", "value": v.double_value}
    if kind == "bytes_value":
        return {"type": "bytes", "value": v.bytes_value.hex()}
    if kind == "array_value":
        return {"type": "array", "value": [any_value(x) for x in v.array_value.values]}
    if kind == "kvlist_value":
        return {"type": "kvlist", "value": {kv.key: any_value(kv.value) for kv in v.kvlist_value.values}}
    return {"type": kind, "value": None}


class State:
    def __init__(self, fault):
        self.lock = threading.Lock()
        self.t0 = time.monotonic()
        self.fault = fault
        self.http_requests = 0   # every POST seen on the HTTP port (fault counter)
        self.grpc_calls = 0      # every Export call seen on gRPC (fault counter)
        self.counts = {"spans": 0, "logs": 0, "data_points": 0, "metrics": 0,
                       "requests_ok": 0, "requests_faulted": 0}
        self.per_signal_requests = {"traces": 0, "metrics": 0, "logs": 0}
        self.trace_ids = set()
        self.span_ids = []
        self.log_trace_ids = set()
        self.logs_without_trace_id = 0
        self.log_span_ids = set()
        self.resources = {}          # canonical json -> {"attributes": ..., "count": n, "signals": [...]}
        self.resource_count = {"traces": 0, "metrics": 0, "logs": 0}
        self.requests = []
        self.errors = []
        self.max_request_bytes = 0
        self.grpc_wire_bytes_in = 0

    def report(self):
        with self.lock:
            span_ids = list(self.span_ids)
            return {
                "fault": self.fault,
                "counts": dict(self.counts),
                "per_signal_requests": dict(self.per_signal_requests),
                "http_requests_seen": self.http_requests,
                "grpc_calls_seen": self.grpc_calls,
                "trace_ids": sorted(self.trace_ids),
                "span_ids": span_ids,
                "span_ids_unique": len(set(span_ids)),
                "log_trace_ids": sorted(self.log_trace_ids),
                "logs_without_trace_id": self.logs_without_trace_id,
                "resource_count": dict(self.resource_count),
                "resources": list(self.resources.values()),
                "requests": list(self.requests),
                "max_request_bytes": self.max_request_bytes,
                "payload_bytes": sum(r.get("bytes", 0) for r in self.requests),
                "grpc_wire_bytes_in": self.grpc_wire_bytes_in,
                "errors": list(self.errors),
            }


class Receiver:
    def __init__(self, state):
        self.state = state
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
        from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
        from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
        self.req_cls = {
            "traces": trace_service_pb2.ExportTraceServiceRequest,
            "metrics": metrics_service_pb2.ExportMetricsServiceRequest,
            "logs": logs_service_pb2.ExportLogsServiceRequest,
        }

    def _resource(self, signal_name, res, acc):
        attrs = {kv.key: any_value(kv.value) for kv in res.attributes}
        key = json.dumps(attrs, sort_keys=True)
        r = acc.setdefault(key, {"attributes": attrs, "count": 0, "signals": []})
        r["count"] += 1
        if signal_name not in r["signals"]:
            r["signals"].append(signal_name)

    def parse(self, signal_name, body):
        """Decode one request. Returns a dict of what it held (nothing is committed)."""
        msg = self.req_cls[signal_name]()
        msg.ParseFromString(body)
        out = {"spans": 0, "logs": 0, "data_points": 0, "metrics": 0, "trace_ids": set(),
               "span_ids": [], "log_trace_ids": set(), "log_span_ids": set(),
               "logs_without_trace_id": 0, "resources": {}, "resource_count": 0}
        if signal_name == "traces":
            for rs in msg.resource_spans:
                out["resource_count"] += 1
                self._resource(signal_name, rs.resource, out["resources"])
                for ss in rs.scope_spans:
                    for sp in ss.spans:
                        out["spans"] += 1
                        out["trace_ids"].add(sp.trace_id.hex())
                        out["span_ids"].append(sp.span_id.hex())
        elif signal_name == "logs":
            for rl in msg.resource_logs:
                out["resource_count"] += 1
                self._resource(signal_name, rl.resource, out["resources"])
                for sl in rl.scope_logs:
                    for lr in sl.log_records:
                        out["logs"] += 1
                        if lr.trace_id:
                            out["log_trace_ids"].add(lr.trace_id.hex())
                        else:
                            out["logs_without_trace_id"] += 1
                        if lr.span_id:
                            out["log_span_ids"].add(lr.span_id.hex())
        else:
            for rm in msg.resource_metrics:
                out["resource_count"] += 1
                self._resource(signal_name, rm.resource, out["resources"])
                for sm in rm.scope_metrics:
                    for m in sm.metrics:
                        out["metrics"] += 1
                        kind = m.WhichOneof("data")
                        if kind is not None:
                            out["data_points"] += len(getattr(m, kind).data_points)
        return out

    def commit(self, signal_name, parsed):
        s = self.state
        with s.lock:
            s.counts["spans"] += parsed["spans"]
            s.counts["logs"] += parsed["logs"]
            s.counts["data_points"] += parsed["data_points"]
            s.counts["metrics"] += parsed["metrics"]
            s.counts["requests_ok"] += 1
            s.per_signal_requests[signal_name] += 1
            s.trace_ids |= parsed["trace_ids"]
            s.span_ids.extend(parsed["span_ids"])
            s.log_trace_ids |= parsed["log_trace_ids"]
            s.logs_without_trace_id += parsed["logs_without_trace_id"]
            s.resource_count[signal_name] += parsed["resource_count"]
            for key, r in parsed["resources"].items():
                tgt = s.resources.setdefault(key, {"attributes": r["attributes"], "count": 0, "signals": []})
                tgt["count"] += r["count"]
                for sig in r["signals"]:
                    if sig not in tgt["signals"]:
                        tgt["signals"].append(sig)

    def record(self, entry):
        with self.state.lock:
            self.state.requests.append(entry)
            self.state.max_request_bytes = max(self.state.max_request_bytes, entry.get("bytes", 0))

    def error(self, text):
        with self.state.lock:
            self.state.errors.append(text)


def pb_varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def pb_bytes(field, b):
    return pb_varint(field << 3 | 2) + pb_varint(len(b)) + b


def pb_uint(field, v):
    return pb_varint(field << 3) + pb_varint(v)


def partial_success_body(rejected, message):
    """Export*ServiceResponse{partial_success{rejected_* = 1, error_message = 2}}: the same
    field numbers for traces, logs and metrics."""
    return pb_bytes(1, pb_uint(1, rejected) + pb_bytes(2, message.encode()))


def retry_info_status(code, message, delay_s):
    """google.rpc.Status{code, message, details: [Any{RetryInfo{retry_delay{seconds}}}]}."""
    retry_info = pb_bytes(1, pb_uint(1, delay_s))
    any_ = pb_bytes(1, b"type.googleapis.com/google.rpc.RetryInfo") + pb_bytes(2, retry_info)
    return pb_uint(1, code) + pb_bytes(2, message.encode()) + pb_bytes(3, any_)


def first_request_time(state, t):
    with state.lock:
        if getattr(state, "t_first", None) is None:
            state.t_first = t
        return t - state.t_first


def summarize(parsed):
    if parsed is None:
        return {}
    return {k: parsed[k] for k in ("spans", "logs", "data_points", "metrics")}


# ---------------------------------------------------------------- HTTP

def make_http_handler(recv, state):
    path_to_signal = {v[0]: k for k, v in SIGNALS.items()}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "otlp-test-receiver/1"

        def log_message(self, fmt, *args):  # quiet
            pass

        def _reply(self, code, body=b"", ctype="application/x-protobuf", extra=None):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if body:
                self.wfile.write(body)

        def _read_body(self):
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().strip().split(b";")[0], 16)
                    if size == 0:
                        self.rfile.readline()
                        break
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                return b"".join(chunks)
            n = int(self.headers.get("Content-Length", "0"))
            return self.rfile.read(n) if n else b""

        def do_GET(self):
            if self.path == "/report":
                self._reply(200, json.dumps(state.report()).encode(), "application/json")
            else:
                self._reply(404, b"not found", "text/plain")

        def do_POST(self):
            t = time.monotonic() - state.t0
            raw = self._read_body()
            with state.lock:
                state.http_requests += 1
                nth = state.http_requests
            headers = {k.lower(): v for k, v in self.headers.items()}
            entry = {"transport": "http", "n": nth, "t": round(t, 6), "path": self.path,
                     "headers": headers, "wire_bytes": len(raw)}
            sig = path_to_signal.get(self.path)
            if sig is None:
                entry["status"] = 404
                recv.record(entry)
                self._reply(404, b"unknown path", "text/plain")
                return
            body = raw
            try:
                if headers.get("content-encoding", "").lower() == "gzip":
                    body = gzip.decompress(raw)
                elif headers.get("content-encoding", "identity").lower() not in ("", "identity"):
                    raise ValueError("unsupported Content-Encoding " + headers["content-encoding"])
                parsed = recv.parse(sig, body)
            except Exception as e:  # noqa: BLE001 - report every decode failure
                entry.update(status=400, bytes=len(body), decode_error=str(e))
                recv.record(entry)
                recv.error("http %s: %s" % (self.path, e))
                self._reply(400, ("cannot decode: %s" % e).encode(), "text/plain")
                return
            entry.update(bytes=len(body), sha256=hashlib.sha256(body).hexdigest(), items=summarize(parsed))
            fault = state.fault
            code, fbody, ctype, extra = 200, b"", "application/x-protobuf", None
            if fault == "503x3" and nth <= 3:
                code, fbody, ctype = 503, b"service unavailable (test fault)", "text/plain"
            elif fault == "400":
                code, fbody, ctype = 400, FAULT_400_BODY.encode(), "text/plain"
            elif fault == "429-retry-after-1" and nth == 1:
                code, fbody, ctype, extra = 429, b"slow down (test fault)", "text/plain", {"Retry-After": "1"}
            elif fault == "429-retry-after-date" and nth == 1:
                when = email.utils.formatdate(time.time() + 2, usegmt=True)
                code, fbody, ctype, extra = 429, b"slow down (test fault)", "text/plain", {"Retry-After": when}
            elif fault.startswith("http-"):
                code, fbody, ctype = int(fault[5:]), ("test fault: HTTP %s" % fault[5:]).encode(), "text/plain"
            elif fault.startswith("flap-"):
                since = first_request_time(state, t)
                if int(since / float(fault[5:])) % 2 == 1:
                    code, fbody, ctype = 503, b"flapping (test fault)", "text/plain"
            elif fault.startswith("503-for-"):
                if first_request_time(state, t) < float(fault[8:]):
                    code, fbody, ctype = 503, b"down for a while (test fault)", "text/plain"
            elif fault == "partial":
                fbody = partial_success_body(1, "test fault: 1 item rejected")
            elif fault == "malformed-200":
                fbody = b"\xff\xff\xff\xff not protobuf"
            elif fault == "huge-200":
                fbody = b"\x00" * (8 << 20)
            elif fault == "huge-503x3" and nth <= 3:
                code, fbody, ctype = 503, b"E" * (1 << 20), "text/plain"
            entry["status"] = code
            if code == 200:
                recv.commit(sig, parsed)
            else:
                with state.lock:
                    state.counts["requests_faulted"] += 1
            recv.record(entry)
            self._reply(code, fbody, ctype, extra)

    return Handler


# ---------------------------------------------------------------- gRPC

def make_grpc_server(recv, state, port, max_recv_mib):
    import grpc

    def make_method(sig):
        def export(request_bytes, context):
            t = time.monotonic() - state.t0
            with state.lock:
                state.grpc_calls += 1
                nth = state.grpc_calls
            md = {}
            for k, v in context.invocation_metadata():
                md[k.lower()] = v if isinstance(v, str) else v.hex()
            entry = {"transport": "grpc", "n": nth, "t": round(t, 6), "path": SIGNALS[sig][1],
                     "headers": md, "bytes": len(request_bytes)}
            try:
                parsed = recv.parse(sig, request_bytes)
            except Exception as e:  # noqa: BLE001
                entry.update(status="INVALID_ARGUMENT", decode_error=str(e))
                recv.record(entry)
                recv.error("grpc %s: %s" % (sig, e))
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "cannot decode: %s" % e)
            entry.update(sha256=hashlib.sha256(request_bytes).hexdigest(), items=summarize(parsed))
            fault = state.fault
            if (fault == "unavailable-x2" and nth <= 2) or fault == "grpc-unavailable":
                entry["status"] = "UNAVAILABLE"
                with state.lock:
                    state.counts["requests_faulted"] += 1
                recv.record(entry)
                context.abort(grpc.StatusCode.UNAVAILABLE, "test fault: unavailable")
            if fault.startswith("grpc-exhausted") and nth <= 2:
                entry["status"] = "RESOURCE_EXHAUSTED"
                with state.lock:
                    state.counts["requests_faulted"] += 1
                recv.record(entry)
                if fault == "grpc-exhausted-retryinfo-x2":
                    context.set_trailing_metadata((("grpc-status-details-bin",
                                                    retry_info_status(8, "test fault: slow down", 1)),))
                context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "test fault: resource exhausted")
            if fault == "grpc-slow-x2" and nth <= 2:
                time.sleep(3)
                if not context.is_active():
                    entry["status"] = "client gave up"
                    with state.lock:
                        state.counts["requests_faulted"] += 1
                    recv.record(entry)
                    return b""
            entry["status"] = "OK"
            recv.commit(sig, parsed)
            recv.record(entry)
            if fault == "partial":
                return partial_success_body(1, "test fault: 1 item rejected")
            return b""  # empty Export*ServiceResponse
        return export

    handlers = []
    for sig, (_, method) in SIGNALS.items():
        service, name = method.lstrip("/").rsplit("/", 1)
        handlers.append(grpc.method_handlers_generic_handler(service, {
            name: grpc.unary_unary_rpc_method_handler(make_method(sig),
                                                      request_deserializer=None,
                                                      response_serializer=None)}))
    opts = [("grpc.max_receive_message_length", max_recv_mib * 1024 * 1024)]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), handlers=handlers, options=opts)
    bound = server.add_insecure_port("127.0.0.1:%d" % port)
    if bound == 0:
        raise SystemExit("cannot bind gRPC port %d" % port)
    server.start()
    return server, bound


class ByteCountingRelay:
    """TCP relay in front of the gRPC server: counts the bytes the client sends, so the
    test can see on the wire whether gRPC messages were compressed (grpcio hides
    grpc-encoding from the handler and hands over decompressed bytes)."""

    def __init__(self, port, backend_port, state):
        import socket
        self.socket = socket
        self.backend = ("127.0.0.1", backend_port)
        self.state = state
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", port))
        self.lsock.listen(64)
        self.port = self.lsock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _pipe(self, src, dst, count):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if count:
                    with self.state.lock:
                        self.state.grpc_wire_bytes_in += len(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(self.socket.SHUT_RDWR)
                except OSError:
                    pass

    def _accept(self):
        while True:
            try:
                client, _ = self.lsock.accept()
            except OSError:
                return
            try:
                upstream = self.socket.create_connection(self.backend)
            except OSError:
                client.close()
                continue
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def close(self):
        self.lsock.close()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--grpc-port", type=int, default=0)
    ap.add_argument("--http-port", type=int, default=0)
    ap.add_argument("--report", required=True)
    ap.add_argument("--ready-file")
    ap.add_argument("--fault", default="none",
                    help="none, 503x3, 400, 429-retry-after-1, unavailable-x2 and the others above")
    ap.add_argument("--grpc-relay", action="store_true",
                    help="put a byte-counting TCP relay on the gRPC port (report: grpc_wire_bytes_in)")
    ap.add_argument("--proto-dir", default=os.path.normpath(os.path.join(here, "..", "..", "proto")))
    ap.add_argument("--grpc-max-recv-mib", type=int, default=4,
                    help="gRPC max receive message size (default 4, gRPC's and the Collector's default)")
    args = ap.parse_args()

    gen_dir = generate_modules(args.proto_dir)
    state = State(args.fault)
    recv = Receiver(state)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    ports = {}
    grpc_server = httpd = relay = None
    try:
        if args.grpc_port >= 0:
            if args.grpc_relay:
                grpc_server, backend = make_grpc_server(recv, state, 0, args.grpc_max_recv_mib)
                relay = ByteCountingRelay(args.grpc_port, backend, state)
                ports["grpc_port"] = relay.port
            else:
                grpc_server, ports["grpc_port"] = make_grpc_server(recv, state, args.grpc_port,
                                                                   args.grpc_max_recv_mib)
        if args.http_port >= 0:
            httpd = http.server.ThreadingHTTPServer(("127.0.0.1", args.http_port), make_http_handler(recv, state))
            httpd.daemon_threads = True
            ports["http_port"] = httpd.server_address[1]
            threading.Thread(target=httpd.serve_forever, daemon=True).start()
        for k, v in ports.items():
            print("%s=%d" % (k.upper(), v), flush=True)
        if args.ready_file:
            tmp = args.ready_file + ".tmp"
            with open(tmp, "w") as f:
                json.dump(ports, f)
            os.replace(tmp, args.ready_file)
        while not stop.wait(0.2):
            pass
    finally:
        if grpc_server is not None:
            grpc_server.stop(grace=1).wait()
        if relay is not None:
            relay.close()
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        rep = state.report()
        rep.update(ports)
        tmp = args.report + ".tmp"
        with open(tmp, "w") as f:
            json.dump(rep, f)
        os.replace(tmp, args.report)
        shutil.rmtree(gen_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
