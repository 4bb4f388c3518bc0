#!/usr/bin/env python3
"""A reverse proxy that sends blob bodies slowly (tests only).

slow-proxy.py --port P --upstream 127.0.0.1:R [--rate BYTES_PER_SECOND]

What it emulates: a slow or far-away registry (or a throttled CDN), so that a
transfer is still running when the test interrupts it: winch must then stop,
remove what it wrote and exit 128+signal (issue 10, item 4).  Everything is
forwarded to the registry unchanged; the bodies of GET /v2/.../blobs/... are
sent in 16 KiB pieces at --rate (default 256 KiB/s).  Loopback only.
"""
import argparse, http.client, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

A = None

class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def handle_any(self):
        method, path = self.command, self.path
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        up = http.client.HTTPConnection(A.upstream, timeout=60)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
        up.request(method, path, body=body, headers=hdrs)
        r = up.getresponse()
        data = r.read() if method != "HEAD" else b""
        self.send_response(r.status)
        length = None
        for k, v in r.getheaders():
            if k.lower() in ("connection", "keep-alive", "transfer-encoding"):
                continue
            if k.lower() == "content-length":
                length = int(v)
            self.send_header(k, v)
        if length is None and method != "HEAD":
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        up.close()
        slow = method == "GET" and "/blobs/" in path and "/uploads/" not in path
        step = 16384
        try:
            for off in range(0, len(data), step if slow else max(len(data), 1)):
                self.wfile.write(data[off:off + (step if slow else len(data))])
                self.wfile.flush()
                if slow:
                    time.sleep(step / A.rate)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any

def main():
    global A
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--rate", type=int, default=256 << 10)
    A = ap.parse_args()
    ThreadingHTTPServer(("127.0.0.1", A.port), Proxy).serve_forever()

main()
