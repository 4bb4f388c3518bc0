#!/usr/bin/env python3
"""An attacker's registry, token server, proxy and redirect target, for the tests.

hostile-server.py --port P --log FILE --mode-file FILE [--layout DIR] [--user U:PW]
                  [--cert CRT --key KEY [--sniff]]
                  [--other-host 127.0.0.2 --other-port Q [--other-cert CRT --other-key KEY]]

It emulates what issue 9 and issue 10 of winch describe a hostile or broken
server doing: the behaviour of a distribution (docker-registry) registry and
its token server (the distribution spec, docker's token auth spec), then one
twist per mode.  MAIN listens on 127.0.0.1:P (plain HTTP; TLS with --cert;
both on one port with --sniff, a TLS ClientHello telling them apart).  OTHER
listens on --other-host:Q and plays "another host": a redirect target, a
token server, a Link target; it answers 200 to whatever it gets.  Both log
one line per request to FILE:
    NAME SCHEME METHOD PATH auth=no|basic:USER|bearer
so a test sees where credentials arrived.  Endless answers log
"NAME sent N bytes" when the client hangs up.

The mode is the first line of --mode-file, re-read when the file changes
(its counters start again): a word and optional key=value arguments.
  plain              a registry serving --layout's images (auth=basic|bearer|none)
  token-redirect     /token answers 307 to OTHER/token            (issue 9, item 3)
  login-redirect     /v2/ answers 307 to OTHER/v2/, which says 200  (item 3)
  basic-redirect     /v2/ with Basic credentials answers 307 to OTHER (item 3)
  bounce             GET manifests: 307 to OTHER, which 307s back to MAIN (A->B->A)
  downgrade          over TLS, 307 to http:// on the same host and port (item 5)
  link-userinfo      tags/list with Link: <@OTHER/v2/...>; rel="next" (item 4)
  link-abs-userinfo  tags/list with Link: <http://u:p@OTHER/...>    (item 4)
  link-loop          tags/list pages whose Link leads back (page 1 -> 2 -> 1) (item 10)
  link-many per=N    endless pages of N (1000) new tags each         (item 10)
  location-userinfo  upload POST answers Location: @OTHER/upload     (item 4)
  location-other     upload POST answers Location: http://OTHER/upload (item 4: another origin)
  proxy              a TLS-breaking proxy: CONNECT says 200, then plain HTTP (item 6)
  endless-manifest   GET manifests: 200 with an endless chunked body (item 8)
  endless-error      GET manifests: 503 with an endless chunked body (item 8)
  endless-redirect   GET manifests: 307 with an endless body, then the manifest
  endless-headers    header lines without end                        (item 8)
  big-header         one 1 MB header line                            ("Also")
  drip               GET manifests: the body at 2 bytes a second     (item 9)
  drip-blob-once     the first blob GET drips 2 bytes a second, later ones are whole
  slow-blob rate=N   blobs at N bytes a second
  ratelimit after=N times=K   the first K requests for manifests get 429 Retry-After: N (item 12)
  token-expiry exp=JSON       bearer auth whose token replies say "expires_in": JSON (item 17)
  tls-token          bearer auth, realm https://OTHER/token unless realm= (issue 10, item 7)
  realm=URL          (any mode with auth=bearer) the realm to announce
  challenges kind=K  a 401 with several challenges (issue 11, "Challenges"; RFC 7235 4.1 allows
                     several WWW-Authenticate lines and several challenges in one line):
                       lines     Negotiate / NTLM / Bearer realm=MAIN / Bearer realm=OTHER, one a line
                       oneline   "Negotiate abc==, NTLM, Basic realm=..." then Bearer realm=OTHER
                       badrealm  Bearer realm="http:///OTHER/token" (no host: libcurl reads OTHER)
                       none      Negotiate / NTLM only
                     Basic credentials or a token from either token server are accepted
Loopback only.  Python's standard library only.
"""
import argparse, base64, hashlib, json, os, socket, ssl, sys, threading, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

A = None
lock = threading.Lock()
state = {"raw": None, "mode": "plain", "args": {}, "count": {}}

def log(line):
    with lock, open(A.log, "a") as f:
        f.write(line + "\n")

def mode():
    try:
        raw = open(A.mode_file).read().strip()
    except OSError:
        raw = "plain"
    with lock:
        if raw != state["raw"]:
            words = raw.split()
            state.update(raw=raw, mode=words[0] if words else "plain",
                         args=dict(w.split("=", 1) for w in words[1:] if "=" in w), count={})
        return state["mode"], state["args"]

def bump(key):
    with lock:
        state["count"][key] = state["count"].get(key, 0) + 1
        return state["count"][key]

def layout_manifest(ref):
    idx = json.load(open(os.path.join(A.layout, "index.json")))
    for d in idx.get("manifests", []):
        if ref in (d["digest"], d.get("annotations", {}).get("org.opencontainers.image.ref.name")):
            return blob_bytes(d["digest"]), d["mediaType"], d["digest"]
    return None, None, None

def blob_bytes(digest):
    try:
        return open(os.path.join(A.layout, "blobs", *digest.split(":", 1)), "rb").read()
    except (OSError, ValueError):
        return None

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    # ---- helpers
    def scheme(self):
        return "https" if isinstance(self.connection, ssl.SSLSocket) else "http"

    def auth(self):
        a = self.headers.get("Authorization", "")
        if a.startswith("Basic "):
            try:
                return "basic:" + base64.b64decode(a[6:]).decode().split(":", 1)[0]
            except Exception:
                return "basic:?"
        return "bearer" if a.startswith("Bearer ") else "no"

    def send(self, code, body=b"", ctype="application/json", headers=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        if body or code not in (204, 304):
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def err(self, code, ecode, msg, headers=()):
        self.send(code, {"errors": [{"code": ecode, "message": msg}]}, headers=headers)

    def endless(self, code, headers=(), chunk=b" " * 65536):
        sent = 0
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            while sent < (8 << 30):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
        except OSError:
            pass
        log("%s sent %d bytes" % (self.server.name, sent))
        self.close_connection = True

    def drip(self, body, ctype, rate=2, start=0):
        self.send_response(206 if start else 200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        sent = 0
        try:
            for i in range(start, len(body), rate):
                self.wfile.write(body[i:i + rate])
                self.wfile.flush()
                sent += rate
                time.sleep(1)
        except OSError:
            pass
        log("%s sent %d bytes" % (self.server.name, sent))
        self.close_connection = True

    def other_url(self, path):
        return "%s://%s:%d%s" % ("https" if A.other_cert else "http", A.other_host, A.other_port, path)

    def main_url(self, path, scheme=None):
        return "%s://127.0.0.1:%d%s" % (scheme or self.scheme(), A.port, path)

    # ---- authentication as a registry does it
    def authorized(self, args):
        kind = args.get("auth", "none")
        got = self.headers.get("Authorization", "")
        if kind == "challenges":
            if got == "Basic " + base64.b64encode(A.user.encode()).decode() or got.startswith("Bearer tok-"):
                return True
            main, other = self.main_url("/token"), self.other_url("/token")
            lines = {
                "lines": ["Negotiate", "NTLM", 'Bearer realm="%s",service="hostile"' % main,
                          'Bearer realm="%s",service="hostile"' % other],
                "oneline": ['Negotiate abc==, NTLM, Basic realm="hostile"',
                            'Bearer realm="%s",service="hostile"' % other],
                "badrealm": ['Bearer realm="http:///%s:%d/token",service="hostile"' % (A.other_host, A.other_port)],
                "none": ["Negotiate", "NTLM"],
            }[args.get("kind", "lines")]
            self.err(401, "UNAUTHORIZED", "authentication required",
                     headers=[("WWW-Authenticate", v) for v in lines])
            return False
        if kind == "basic":
            if got == "Basic " + base64.b64encode(A.user.encode()).decode():
                return True
            self.err(401, "UNAUTHORIZED", "authentication required",
                     headers=[("WWW-Authenticate", 'Basic realm="hostile"')])
            return False
        if kind == "bearer":
            if got.startswith("Bearer tok-"):
                return True
            realm = args.get("realm", self.main_url("/token"))
            self.err(401, "UNAUTHORIZED", "authentication required",
                     headers=[("WWW-Authenticate", 'Bearer realm="%s",service="hostile"' % realm)])
            return False
        return True

    def token(self, args, exp="300"):
        a = self.headers.get("Authorization", "")
        if a.startswith("Basic ") and a != "Basic " + base64.b64encode(A.user.encode()).decode():
            return self.err(401, "UNAUTHORIZED", "invalid credentials")
        n = bump("token")
        body = ('{"token": "tok-%d", "access_token": "tok-%d", "expires_in": %s}' % (n, n, exp)).encode()
        self.send(200, body)

    # ---- the registry
    def registry(self, m, args):
        path = urllib.parse.urlsplit(self.path).path
        if path in ("/v2", "/v2/"):
            return self.send(200, {}) if self.authorized(args) else None
        if not path.startswith("/v2/") or not self.authorized(args):
            if not path.startswith("/v2/"):
                self.err(404, "NOT_FOUND", "no such path")
            return
        rest = path[4:]
        if "/manifests/" in rest:
            repo, ref = rest.split("/manifests/", 1)
            if self.command == "PUT":
                n = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(n)
                return self.send(201, b"", headers=[("Docker-Content-Digest",
                                                     "sha256:" + hashlib.sha256(data).hexdigest())])
            data, mt, dg = layout_manifest(ref) if A.layout else (None, None, None)
            if data is None:
                return self.err(404, "MANIFEST_UNKNOWN", "manifest unknown")
            if m == "drip" and self.command == "GET":
                return self.drip(data, mt)
            return self.send(200, data, mt, headers=[("Docker-Content-Digest", dg)])
        if "/blobs/uploads" in rest:
            n = int(self.headers.get("Content-Length") or 0)
            if n:
                self.rfile.read(n)
            if self.command == "POST":
                up = "/v2/%s/blobs/uploads/u1" % rest.split("/blobs/")[0]
                loc = {"location-userinfo": "@%s:%d/upload/u1" % (A.other_host, A.other_port),
                       "location-other": self.other_url("/upload/u1")}.get(m, up)
                return self.send(202, b"", headers=[("Location", loc), ("Range", "0-0")])
            return self.err(404, "BLOB_UPLOAD_UNKNOWN", "upload unknown")
        if "/blobs/" in rest:
            digest = rest.split("/blobs/", 1)[1]
            data = blob_bytes(digest) if A.layout else None
            if data is None:
                return self.err(404, "BLOB_UNKNOWN", "blob unknown")
            rng = self.headers.get("Range")
            start = int(rng.split("=")[1].split("-")[0]) if rng else 0
            if self.command == "GET" and m == "drip-blob-once" and bump("blob") == 1:
                return self.drip(data, "application/octet-stream", start=start)
            if self.command == "GET" and m == "slow-blob":
                return self.paced(data, int(args.get("rate", "65536")), start)
            if start:
                self.send_response(206)
                self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                return self.wfile.write(data[start:]) if self.command != "HEAD" else None
            return self.send(200, data, "application/octet-stream", headers=[("Docker-Content-Digest", digest)])
        if rest.endswith("/tags/list"):
            return self.send(200, {"name": rest[:-10], "tags": ["v1"]})
        self.err(404, "NAME_UNKNOWN", "repository unknown")

    def paced(self, data, rate, start):
        """Sends at `rate` bytes a second, in tenths of a second."""
        self.send_response(206 if start else 200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        step = max(1, rate // 10)
        try:
            for i in range(start, len(data), step):
                self.wfile.write(data[i:i + step])
                self.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass

    # ---- the twists
    def handle_any(self):
        m, args = mode()
        name = self.server.name
        log("%s %s %s %s auth=%s" % (name, self.scheme(), self.command, self.path, self.auth()))
        if name == "OTHER":
            return self.other(m, args)
        path = urllib.parse.urlsplit(self.path)
        if m == "proxy":
            # an absolute-form request to a proxy: answer as the "registry" behind it
            return self.err(401, "UNAUTHORIZED", "authentication required",
                            headers=[("WWW-Authenticate", 'Basic realm="proxy"')]) \
                if self.auth() == "no" else self.send(200, {})
        if path.path == "/token":
            if m == "token-redirect":
                return self.send(307, b"", headers=[("Location", self.other_url("/token?" + path.query))])
            return self.token(args, args.get("exp", "300"))
        if m == "login-redirect" and path.path.startswith("/v2"):
            return self.send(307, b"", headers=[("Location", self.other_url("/v2/"))])
        if m == "basic-redirect" and path.path.startswith("/v2"):
            if self.auth() == "no":
                return self.err(401, "UNAUTHORIZED", "authentication required",
                                headers=[("WWW-Authenticate", 'Basic realm="hostile"')])
            return self.send(307, b"", headers=[("Location", self.other_url("/v2/"))])
        if m == "token-redirect" and path.path.startswith("/v2"):
            return self.err(401, "UNAUTHORIZED", "authentication required",
                            headers=[("WWW-Authenticate",
                                      'Bearer realm="%s",service="hostile"' % self.main_url("/token"))])
        is_manifest = "/manifests/" in path.path and self.command in ("GET", "HEAD")
        if m == "bounce" and is_manifest and "back=1" not in path.query:
            if not self.authorized(args):
                return
            back = self.main_url(path.path + "?back=1")
            return self.send(307, b"", headers=[("Location", self.other_url("/bounce?to=" + urllib.parse.quote(back)))])
        if m == "downgrade" and is_manifest and self.scheme() == "https":
            if not self.authorized(args):
                return
            return self.send(307, b"", headers=[("Location", self.main_url(path.path + "?plain=1", "http"))])
        if path.path.endswith("/tags/list") and m.startswith("link-"):
            if not self.authorized(args):
                return
            q = urllib.parse.parse_qs(path.query)
            page = int(q.get("page", ["1"])[0])
            if m == "link-userinfo":
                nxt = "@%s:%d/v2/app/tags/list?page=2" % (A.other_host, A.other_port)
            elif m == "link-abs-userinfo":
                nxt = "http://alice:x@%s:%d/v2/app/tags/list?page=2" % (A.other_host, A.other_port)
            elif m == "link-loop":
                nxt = "/v2/app/tags/list?page=2" if page == 1 else "/v2/app/tags/list?n=1000"
            else:  # link-many
                nxt = "/v2/app/tags/list?page=%d" % (page + 1)
            per = int(args.get("per", "1000"))
            tags = ["p%d-%d" % (page, i) for i in range(per)] if m == "link-many" else ["p%d" % page]
            return self.send(200, {"name": "app", "tags": tags},
                             headers=[("Link", '<%s>; rel="next"' % nxt)])
        if m == "endless-manifest" and is_manifest and self.command == "GET":
            return self.endless(200, [("Content-Type", "application/vnd.oci.image.manifest.v1+json")])
        if m == "endless-error" and is_manifest and self.command == "GET":
            return self.endless(503, [("Content-Type", "text/html")])
        if m == "endless-redirect" and is_manifest and "after=1" not in path.query:
            return self.endless(307, [("Location", path.path + "?after=1")])
        if m in ("endless-headers", "big-header") and path.path.startswith("/v2"):
            self.send_response(200)
            try:
                if m == "big-header":
                    self.send_header("X-Big", "x" * (1 << 20))
                else:
                    for i in range(1 << 20):
                        self.send_header("X-Pad-%d" % i, "y" * 64)
                        if i % 1000 == 0:
                            self.flush_headers()
                self.end_headers()
            except OSError:
                pass
            self.close_connection = True
            return
        if m == "ratelimit" and is_manifest and bump("429") <= int(args.get("times", "1000")):
            return self.err(429, "TOOMANYREQUESTS", "slow down",
                            headers=[("Retry-After", args.get("after", "1"))])
        if m == "challenges":
            args = dict(args, auth="challenges")
        if m in ("token-expiry", "tls-token"):
            args = dict(args, auth="bearer")
            if m == "tls-token" and "realm" not in args:
                args["realm"] = self.other_url("/token")
        return self.registry(m, args)

    def other(self, m, args):
        path = urllib.parse.urlsplit(self.path)
        if path.path == "/bounce":
            to = urllib.parse.parse_qs(path.query)["to"][0]
            return self.send(307, b"", headers=[("Location", to)])
        if path.path == "/token":
            return self.token(args)
        if path.path.endswith("/tags/list"):
            return self.send(200, {"name": "app", "tags": ["from-other"]})
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        self.send(200, {})

    def do_CONNECT(self):
        """A TLS-breaking proxy: the tunnel opens, then plain HTTP comes back."""
        log("%s %s CONNECT %s auth=%s" % (self.server.name, self.scheme(), self.path, self.auth()))
        self.send_response(200, "Connection established")
        self.end_headers()
        try:
            self.connection.recv(4096)  # the ClientHello
            self.connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        except OSError:
            pass
        self.close_connection = True

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any

class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr, name, cert=None, key=None, sniff=False):
        self.name, self.sniff, self.tls = name, sniff, None
        if cert:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(cert, key)
        super().__init__(addr, H)

    def finish_request(self, request, client_address):
        # headers and body go out in two writes: without this, delayed ACKs cost 40 ms a request
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls:
            try:
                tls = not self.sniff or request.recv(1, socket.MSG_PEEK)[:1] == b"\x16"
                if tls:
                    request = self.tls.wrap_socket(request, server_side=True)
            except (OSError, ssl.SSLError):
                return
        try:
            H(request, client_address, self)
        except (OSError, ssl.SSLError):
            pass

def main():
    global A
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--mode-file", required=True)
    ap.add_argument("--layout")
    ap.add_argument("--user", default="alice:secret")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--sniff", action="store_true")
    ap.add_argument("--other-host", default="127.0.0.2")
    ap.add_argument("--other-port", type=int, default=0)
    ap.add_argument("--other-cert")
    ap.add_argument("--other-key")
    A = ap.parse_args()
    for h in ("127.0.0.1", A.other_host):
        if not h.startswith("127."):
            sys.exit("loopback only")
    if A.other_port:
        o = Server((A.other_host, A.other_port), "OTHER", A.other_cert, A.other_key)
        threading.Thread(target=o.serve_forever, daemon=True).start()
    Server(("127.0.0.1", A.port), "MAIN", A.cert, A.key, A.sniff).serve_forever()

main()
