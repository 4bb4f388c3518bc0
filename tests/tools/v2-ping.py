#!/usr/bin/env python3
"""The API version check of N registries with htpasswd (Basic) auth (tests only).

v2-ping.py N USER PASS

Emulates what `winch login` talks to on a distribution registry with
`auth: htpasswd`: GET /v2/ answers 401 with `WWW-Authenticate: Basic
realm="..."` unless the request carries USER:PASS, then 200 with
`Docker-Distribution-API-Version: registry/2.0` (the distribution spec's
"API version check"; distribution's registry/auth/htpasswd).  Anything else is
404.  It listens on N free ports of 127.0.0.1, so N logins see N registries,
prints the ports one per line, and serves until killed.  Loopback only.
"""
import base64, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

n, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
good = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        if self.path != "/v2/":
            self.answer(404)
        elif self.headers.get("Authorization") != good:
            self.answer(401, [("WWW-Authenticate", 'Basic realm="winch-test"')])
        else:
            self.answer(200, [("Docker-Distribution-API-Version", "registry/2.0")])


servers = [ThreadingHTTPServer(("127.0.0.1", 0), Handler) for _ in range(n)]
for s in servers:
    threading.Thread(target=s.serve_forever, daemon=True).start()
print("\n".join(str(s.server_address[1]) for s in servers), flush=True)
threading.Event().wait()
