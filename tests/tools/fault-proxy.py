#!/usr/bin/env python3
"""A fault-injecting reverse proxy between winch and a real registry (tests only).

fault-proxy.py --port P --upstream 127.0.0.1:R --faults FILE --log FILE
               [--storage DIR --redirect-port Q] [--counts FILE]

Every request is forwarded to the registry unchanged (the Host header too, so
the registry's Location URLs point back at the proxy) unless FILE, re-read on
each request, names a fault.  FILE is JSON: {"FAULT": COUNT, ...}; each time a
fault fires its count goes down, and at 0 it stops.  Faults:
  cut-blob      GET /v2/.../blobs/...: send the headers and half the body, then close
  corrupt-blob  GET /v2/.../blobs/...: flip one byte in the middle of the body
  429           any request: answer 429 with Retry-After: 1
  503           any request: answer 503 (no Retry-After)
  put-race      PUT manifest: answer 400 DIGEST_INVALID as distribution 2.8 does
                when another push rewrites a child's link file meanwhile
  drop-patch    PATCH: read half the body, then close without forwarding it
  referrers-api GET /v2/NAME/referrers/DIGEST: answer as an OCI 1.1 registry would,
                from the tag-schema index sha256-HEX upstream
  redirect-blob GET blob: answer 307 to http://127.0.0.2:Q/blob/DIGEST, served
                from the registry's storage DIR (as S3 or a CDN would)
Two more take a number of bytes instead of a count, and hold until they are
removed from FILE (then the held connection is closed): a way to stop a
transfer at a chosen byte, so that a test can kill the client there.
  hold-upload-after  an upload request with a body (PATCH, PUT) that arrives
                once N upload bytes were acknowledged (2xx) is read, never
                forwarded and never answered
  hold-blob-after    blob GETs send N bytes of bodies in all, then the one
                that reached N stops sending, its connection open
And one that stays: "delay": {"TEXT": MS, ...} answers every request whose
path contains TEXT MS milliseconds late (a slow or far-away registry), so a
test can tell requests sent in parallel from requests sent one by one.
Request bodies are read whole before they are forwarded, as nginx does by
default (proxy_request_buffering on): a client that dies in the middle of a
body never reaches the registry with part of it (distribution would then
cancel the upload: "upload resumed at wrong offset").
--counts FILE keeps running byte counts as JSON: "blob_get" (blob GET bodies
sent to the client), "upload" (upload bodies received and forwarded) and
"acked" (those the registry answered with a 2xx).
The log gets one line per request: "METHOD PATH auth=yes|no FAULT".
Serves loopback addresses only.
"""
import argparse, http.client, json, os, socket, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

A = None
lock = threading.Lock()

def take_fault(name):
    with lock:
        try:
            faults = json.load(open(A.faults))
        except Exception:
            return False
        if faults.get(name, 0) > 0:
            faults[name] -= 1
            with open(A.faults, "w") as f:
                json.dump(faults, f)
            return True
    return False

def fault_value(name):
    with lock:
        try:
            return json.load(open(A.faults)).get(name)
        except Exception:
            return None

counts = {"blob_get": 0, "upload": 0, "acked": 0}

def count(**add):
    with lock:
        for k, v in add.items():
            counts[k] += v
        if A.counts:
            with open(A.counts + ".tmp", "w") as f:
                json.dump(counts, f)
            os.replace(A.counts + ".tmp", A.counts)

def hold(handler, name):
    """Keeps the connection open, answering nothing, until the fault is removed (2 minutes at most)."""
    for _ in range(2400):
        if fault_value(name) is None:
            break
        time.sleep(0.05)
    handler.close_connection = True
    try:
        handler.connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass

def log(line):
    with lock, open(A.log, "a") as f:
        f.write(line + "\n")

class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def handle_any(self):
        method, path = self.command, self.path
        n = int(self.headers.get("Content-Length") or 0)
        is_blob_get = method == "GET" and "/blobs/" in path and "/uploads/" not in path
        fault = ""
        for name, cond in (("429", True), ("503", True), ("drop-patch", method == "PATCH"),
                           ("put-race", method == "PUT" and "/manifests/" in path),
                           ("cut-blob", is_blob_get), ("corrupt-blob", is_blob_get),
                           ("redirect-blob", is_blob_get and A.storage)):
            if cond and take_fault(name):
                fault = name
                break
        log("%s %s auth=%s %s" % (method, path, "yes" if self.headers.get("Authorization") else "no", fault))
        delay = fault_value("delay") or {}
        ms = max([v for k, v in delay.items() if k in path] or [0])
        if ms:
            time.sleep(ms / 1000.0)
        if fault in ("429", "503"):
            self.rfile.read(n)
            body = b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}'
            self.send_response(int(fault))
            if fault == "429":
                self.send_header("Retry-After", "1")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(body)
            return
        if fault == "put-race":
            self.rfile.read(n)
            body = (b'{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded '
                    b'content","detail":"invalid checksum digest format"}]}')
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if fault == "drop-patch":
            self.rfile.read(n // 2)
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault == "redirect-blob":
            digest = path.rsplit("/", 1)[1]
            self.send_response(307)
            self.send_header("Location", "http://127.0.0.2:%d/blob/%s?X-Signature=secret" % (A.redirect_port, digest))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if method == "GET" and "/referrers/" in path and take_fault("referrers-api"):
            # an OCI 1.1 referrers API, answered from the tag-schema index upstream
            repo, digest = path[4:].split("/referrers/")
            up = http.client.HTTPConnection(A.upstream, timeout=60)
            up.request("GET", "/v2/%s/manifests/%s" % (repo, digest.replace(":", "-")),
                       headers={"Accept": "application/vnd.oci.image.index.v1+json"})
            r = up.getresponse()
            data = r.read() if r.status == 200 else b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}'
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.oci.image.index.v1+json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        body = self.rfile.read(n) if n else None
        if n and len(body) < n:
            # the client died in the middle of the body: none of it goes on (nginx's buffering)
            self.close_connection = True
            return
        is_upload = method in ("PATCH", "PUT") and n > 0
        held = fault_value("hold-upload-after")
        if is_upload and held is not None and counts["acked"] >= held:
            log("HOLD %s %s" % (method, path))
            hold(self, "hold-upload-after")
            return
        up = http.client.HTTPConnection(A.upstream, timeout=60)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
        up.request(method, path, body=body, headers=hdrs)
        r = up.getresponse()
        self.send_response(r.status)
        length = None
        for k, v in r.getheaders():
            if k.lower() in ("connection", "keep-alive", "transfer-encoding"):
                continue
            if k.lower() == "content-length":
                length = int(v)
            self.send_header(k, v)
        data = r.read() if method != "HEAD" else b""
        if length is None and method != "HEAD":
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if is_upload:
            count(upload=n, acked=n if 200 <= r.status < 300 else 0)
        held = fault_value("hold-blob-after")
        if is_blob_get and r.status in (200, 206):
            if held is not None and counts["blob_get"] + len(data) >= held:
                k = max(0, held - counts["blob_get"])
                self.wfile.write(data[:k])
                self.wfile.flush()
                count(blob_get=k)
                log("HOLD %s %s after %d bytes" % (method, path, k))
                hold(self, "hold-blob-after")
                return
            count(blob_get=len(data) // 2 if fault == "cut-blob" else len(data))
        if fault == "cut-blob" and len(data) > 1:
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault == "corrupt-blob" and data:
            i = len(data) // 2
            data = data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:]
        self.wfile.write(data)
        up.close()

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any

class Storage(BaseHTTPRequestHandler):
    """Blob storage on another host: serves blobs from the registry's directory."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        log("STORAGE GET %s auth=%s" % (self.path.split("?")[0], "yes" if self.headers.get("Authorization") else "no"))
        digest = self.path.split("/blob/")[1].split("?")[0]
        alg, hexd = digest.split(":")
        p = os.path.join(A.storage, "docker/registry/v2/blobs", alg, hexd[:2], hexd, "data")
        data = open(p, "rb").read()
        rng = self.headers.get("Range")
        start = int(rng.split("=")[1].split("-")[0]) if rng else 0
        self.send_response(206 if rng else 200)
        if rng:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        self.wfile.write(data[start:])

def main():
    global A
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--faults", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--storage")
    ap.add_argument("--redirect-port", type=int, default=0)
    ap.add_argument("--counts")
    A = ap.parse_args()
    if A.storage:
        s = ThreadingHTTPServer(("127.0.0.2", A.redirect_port), Storage)
        threading.Thread(target=s.serve_forever, daemon=True).start()
    ThreadingHTTPServer(("127.0.0.1", A.port), Proxy).serve_forever()

main()
