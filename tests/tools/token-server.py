#!/usr/bin/env python3
"""A small Docker token server for the tests (distribution's token auth spec).

token-server.py --port P --key KEY.pem --cert CERT.pem --users FILE [--anon-pull] [--log FILE]
                [--issuer I] [--service S] [--expires SECONDS]

FILE has lines "user:password:actions": actions "*" for all, "pull", or
per repository "REPO=ACTIONS;REPO=ACTIONS..." (ACTIONS "*" or a comma list
such as "pull,push"; a repository not listed gets nothing), as a real token
server with per-repository ACLs (Harbor's projects, GitLab's, docker_auth's
acl rules) grants each requested scope the subset of its actions the user
holds.  A user also has the refresh token "rt-<user>" for the OAuth2 POST form.
Tokens are RS256 JWTs signed with KEY (by `openssl dgst`), carrying CERT in
x5c so the registry can check them against its rootcertbundle.  Every token
request is logged as one line "METHOD user scope" to --log, so tests can
count them.  Serves 127.0.0.1 only.
"""
import argparse, base64, json, os, subprocess, time, urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def grant(self, user, scopes):
        access = []
        acl = S.users.get(user, (None, ""))[1] if user else ("pull" if S.anon_pull else "")
        for sc in scopes:
            parts = sc.split(":")
            if len(parts) < 3:
                continue
            typ, name, actions = parts[0], ":".join(parts[1:-1]), parts[-1].split(",")
            if "=" in acl:
                per = dict(e.split("=", 1) for e in acl.split(";") if "=" in e)
                have = per.get(name, "") if typ == "repository" else ""
                ok = actions if have == "*" else [a for a in actions if a in have.split(",")]
            elif acl == "*":
                ok = actions
            elif acl == "pull":
                ok = [a for a in actions if a == "pull"] if typ == "repository" else []
            else:
                ok = []
            access.append({"type": typ, "name": name, "actions": ok})
        now = int(time.time())
        hdr = {"typ": "JWT", "alg": "RS256", "x5c": [S.cert_b64]}
        claims = {"iss": S.issuer, "sub": user or "", "aud": S.service, "exp": now + S.expires,
                  "nbf": now - 10, "iat": now, "jti": b64u(os.urandom(12)), "access": access}
        signing = (b64u(json.dumps(hdr).encode()) + "." + b64u(json.dumps(claims).encode())).encode()
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", S.key], input=signing,
                             capture_output=True, check=True).stdout
        return signing.decode() + "." + b64u(sig)

    def log(self, method, user, scopes):
        if S.log:
            with open(S.log, "a") as f:
                f.write("%s %s %s\n" % (method, user or "-", " ".join(scopes)))

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        if u.path != "/token":
            return self.reply(404, {})
        q = urllib.parse.parse_qs(u.query)
        scopes = q.get("scope", [])
        user = None
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                user, pw = base64.b64decode(auth[6:]).decode().split(":", 1)
            except Exception:
                return self.reply(400, {"errors": [{"code": "UNAUTHORIZED", "message": "bad basic auth"}]})
            if S.users.get(user, ("\0",))[0] != pw:
                self.log("GET-REJECTED", user, scopes)
                return self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "invalid credentials"}]})
        self.log("GET", user, scopes)
        tok = self.grant(user, scopes)
        self.reply(200, {"token": tok, "access_token": tok, "expires_in": S.expires,
                         "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(n).decode())
        scopes = " ".join(form.get("scope", [])).split()
        gt = form.get("grant_type", [""])[0]
        user = None
        if gt == "refresh_token":
            rt = form.get("refresh_token", [""])[0]
            if rt.startswith("rt-") and rt[3:] in S.users:
                user = rt[3:]
        elif gt == "password":
            u, p = form.get("username", [""])[0], form.get("password", [""])[0]
            if S.users.get(u, ("\0",))[0] == p:
                user = u
        if not user:
            self.log("POST-REJECTED", "-", scopes)
            return self.reply(401, {"error": "invalid_grant"})
        self.log("POST", user, scopes)
        tok = self.grant(user, scopes)
        self.reply(200, {"access_token": tok, "expires_in": S.expires, "scope": " ".join(scopes)})

class S:
    pass

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--users", required=True)
    ap.add_argument("--anon-pull", action="store_true")
    ap.add_argument("--log")
    ap.add_argument("--issuer", default="winch-test-issuer")
    ap.add_argument("--service", default="winch-test")
    ap.add_argument("--expires", type=int, default=300)
    a = ap.parse_args()
    S.key, S.anon_pull, S.log, S.issuer, S.service, S.expires = a.key, a.anon_pull, a.log, a.issuer, a.service, a.expires
    der = subprocess.run(["openssl", "x509", "-in", a.cert, "-outform", "DER"], capture_output=True, check=True).stdout
    S.cert_b64 = base64.b64encode(der).decode()
    S.users = {}
    for line in open(a.users):
        line = line.strip()
        if line:
            u, p, acts = line.split(":", 2)
            S.users[u] = (p, acts)
    HTTPServer(("127.0.0.1", a.port), Handler).serve_forever()

main()
