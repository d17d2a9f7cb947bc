#!/usr/bin/python3
"""A TCP endpoint that misbehaves below HTTP and gRPC, for sigsynth's delivery tests.

    /usr/bin/python3 tcp_fault.py --mode MODE --ready-file port.json [--port 0]

Modes:
  stall   accept every connection, read and discard what arrives, never answer
          (a receiver that hangs: only the client's timeout ends an attempt)
  reset   accept, then close at once with SO_LINGER 0 (the client sees a reset)
  close   accept, read the first bytes of the request, then close (an empty reply)

Binds 127.0.0.1 only. Writes {"port": N, "connections": 0} to --ready-file once
listening, and on SIGTERM/SIGINT rewrites it with the number of connections seen.
"""
import argparse
import json
import os
import signal
import socket
import struct
import threading


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["stall", "reset", "close"], required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--ready-file", required=True)
    args = ap.parse_args()

    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", args.port))
    ls.listen(128)
    port = ls.getsockname()[1]
    stop = threading.Event()
    count = [0]
    lock = threading.Lock()
    held = []

    def drain(c):
        try:
            while not stop.is_set() and c.recv(65536):
                pass
        except OSError:
            pass

    def serve():
        while not stop.is_set():
            try:
                c, _ = ls.accept()
            except OSError:
                return
            with lock:
                count[0] += 1
            if args.mode == "stall":
                held.append(c)
                threading.Thread(target=drain, args=(c,), daemon=True).start()
            elif args.mode == "reset":
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                c.close()
            else:
                try:
                    c.settimeout(2)
                    c.recv(1024)
                except OSError:
                    pass
                c.close()

    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=serve, daemon=True).start()
    write_json(args.ready_file, {"port": port, "connections": 0})
    while not stop.wait(0.2):
        pass
    ls.close()
    with lock:
        write_json(args.ready_file, {"port": port, "connections": count[0], "done": True})


if __name__ == "__main__":
    main()
