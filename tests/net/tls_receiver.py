#!/usr/bin/python3
"""A TLS receiver for sigsynth's TLS tests: counts requests, decodes nothing.

    /usr/bin/python3 tls_receiver.py --kind http|grpc --cert C --key K [--client-ca CA] \
        --ready-file ports.json

--kind http: an http.server wrapped in ssl. POST /v1/{traces,logs,metrics} -> 200 with an
  empty body (OTLP/HTTP), any other POST path -> 204 (remote-write).
--kind grpc: grpcio with ssl_server_credentials; the three OTLP Export methods answer OK.
--client-ca: require a client certificate signed by this CA (mTLS).

Binds 127.0.0.1. Writes {"port": N} to --ready-file when listening; on SIGTERM rewrites it
with {"port": N, "requests": n, "bytes": b, "done": true}.
"""
import argparse
import http.server
import json
import os
import signal
import ssl
import threading


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kind", choices=["http", "grpc"], required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--client-ca")
    ap.add_argument("--ready-file", required=True)
    args = ap.parse_args()
    lock = threading.Lock()
    seen = {"requests": 0, "bytes": 0}
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    if args.kind == "http":
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n) if n else b""
                with lock:
                    seen["requests"] += 1
                    seen["bytes"] += len(body)
                code = 200 if self.path.startswith("/v1/") else 204
                self.send_response(code)
                if code == 200:
                    self.send_header("Content-Type", "application/x-protobuf")
                    self.send_header("Content-Length", "0")
                self.end_headers()

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        if args.client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(args.client_ca)

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self):
                # Handshake per connection in its own thread: a failed one is the
                # client's error to see, never a stuck accept loop.
                sock, addr = self.socket.accept()
                return sock, addr

            def finish_request(self, request, client_address):
                try:
                    tls = ctx.wrap_socket(request, server_side=True)
                except (ssl.SSLError, OSError):
                    request.close()
                    return
                self.RequestHandlerClass(tls, client_address, self)

        httpd = Server(("127.0.0.1", 0), Handler)
        port = httpd.server_address[1]
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
    else:
        import grpc
        from concurrent import futures

        def export(request, context):
            with lock:
                seen["requests"] += 1
                seen["bytes"] += len(request)
            return b""

        handlers = []
        for svc in ("trace.v1.TraceService", "logs.v1.LogsService", "metrics.v1.MetricsService"):
            handlers.append(grpc.method_handlers_generic_handler(
                "opentelemetry.proto.collector." + svc,
                {"Export": grpc.unary_unary_rpc_method_handler(export)}))
        key = open(args.key, "rb").read()
        cert = open(args.cert, "rb").read()
        ca = open(args.client_ca, "rb").read() if args.client_ca else None
        creds = grpc.ssl_server_credentials([(key, cert)], root_certificates=ca,
                                            require_client_auth=bool(ca))
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), handlers=handlers)
        port = server.add_secure_port("127.0.0.1:0", creds)
        server.start()

    write_json(args.ready_file, {"port": port})
    while not stop.wait(0.2):
        pass
    if args.kind == "grpc":
        server.stop(grace=1).wait()
    else:
        httpd.shutdown()
    with lock:
        write_json(args.ready_file, dict(seen, port=port, done=True))


if __name__ == "__main__":
    main()
