#!/usr/bin/python3
"""A minimal OTLP sink for throughput measurements (not a test): accepts
OTLP/gRPC Export calls and OTLP/HTTP POSTs on 127.0.0.1 and answers success
without decoding, so it costs the sender as little as possible. Counts
requests and bytes; prints them on SIGTERM.

  /usr/bin/python3 tests/bench/otlp_sink.py GRPC_PORT HTTP_PORT
"""
import signal
import sys
import threading
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc

stats = {"requests": 0, "bytes": 0}
lock = threading.Lock()


def count(n):
    with lock:
        stats["requests"] += 1
        stats["bytes"] += n


def unary(request, context):
    count(len(request))
    return b""


class Handler(grpc.GenericRpcHandler):
    def service(self, details):
        return grpc.unary_unary_rpc_method_handler(
            unary, request_deserializer=None, response_serializer=None)


class Http(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(n)
        count(n)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


def main():
    gport, hport = int(sys.argv[1]), int(sys.argv[2])
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8),
                         options=[("grpc.max_receive_message_length", 64 << 20)])
    server.add_generic_rpc_handlers((Handler(),))
    server.add_insecure_port(f"127.0.0.1:{gport}")
    server.start()
    http = ThreadingHTTPServer(("127.0.0.1", hport), Http)
    threading.Thread(target=http.serve_forever, daemon=True).start()

    def stop(*_):
        print(f"sink: {stats['requests']} requests, {stats['bytes']} bytes", flush=True)
        http.shutdown()
        server.stop(0)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("ready", flush=True)
    signal.pause()


if __name__ == "__main__":
    main()
