#!/usr/bin/env python3
"""Registry personalities: a front before a real docker-registry that behaves like one hosted
registry (tests only, loopback only, Python standard library only).

  registry-front.py --personality NAME --port P --upstream 127.0.0.1:R --log FILE
                    [--token-port Q] [--cdn-port C] [--other-host 127.0.0.2]
                    [--storage DIR] [--state FILE] [--user NAME:PASS[:FLAGS]]...
                    [--aad-token TOKEN]

NAME is hub, ghcr, ecr, gar, gcr, acr, quay, harbor (or plain: a logging pass-through).
The registry behind stays real (Debian's distribution 2.8, auth off); only the front lies, the way
the real services do: auth flow and token endpoint, upload limits and status codes, missing APIs,
redirects to a second host, rate-limit headers.  Every behaviour, the knob that changes it and
WHERE IT COMES FROM (vendor docs or a peer's issue thread, or "unverified") is written down in
tests/tools/registry-front.md; the KNOBS table below names them.

Listeners: the front on 127.0.0.1:P; with --token-port a token service on OTHER:Q (Docker Hub's
auth.docker.io: another host, so cross-host rules are exercised); with --cdn-port a second host
OTHER:C standing for the CDN that serves blobs (signed URLs, read from --storage, the upstream's
rootdirectory) and for github.com (GHCR's /referrers redirect target).  OTHER is 127.0.0.2.

Users: --user NAME:PASS[:FLAGS], FLAGS a comma list of unlimited (Hub: no pull limit, no
rate-limit headers), admin (Harbor: may list the catalog), pull (read only).  For ecr, gar and gcr
the password is the first of a series of short-lived passwords (see /_front/credentials).

Control API on the front, never logged (tests use it; it is no part of any vendor's API):
  GET  /_front/credentials   {"Username","Secret"}: the current password (ecr/gar/gcr: a valid one,
                             minted if none is; as a docker-credential helper prints it)
  POST /_front/rotate        mint a new short-lived password (the old ones stay valid until expiry)
  POST /_front/expire        expire every short-lived password and every token issued so far
  GET  /_front/state         the knobs now in force;  POST /_front/state {JSON}: merge into them
  GET  /_front/quota         Hub pull counters per rate-limit source
  POST /_front/pushed        [{"repo", "ref", "age_days"}]: the push times the vendor APIs report
--state FILE holds knob overrides as JSON; it is re-read when it changes and written by POST.

Log: one line per request, space separated:
  PERSONALITY[@token|@cdn] METHOD PATH auth=no|basic|bearer status=N bytes=N range=CONTENT-RANGE|-
bytes is the request body length (the PATCH chunk size); range the request's Content-Range.
With --api-port the personality's vendor API (front_vendors.py: Docker Hub's, GitHub's Packages,
ECR's with Signature Version 4 checked against --aws-key AKID:SECRET[:TOKEN] in --aws-region) listens
on OTHER:API; Harbor's API v2.0 is served by the front itself under /api/v2.0.
"""
import argparse, base64, hashlib, hmac, http.client, json, os, re, shutil, socket, sys, threading, time
import urllib.parse, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import front_vendors   # noqa: E402  the vendor APIs beside the personalities (--api-port)

MiB = 1 << 20
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
ALL_MANIFESTS = ", ".join((OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST))
HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-authenticate", "proxy-authorization",
       "te", "trailer", "upgrade", "content-length", "date", "server"}   # date, server: ours

# ---------------------------------------------------------------------------------------------
# KNOBS: every behaviour that can be switched, with its default; PERSONALITIES override them.
# The meaning and the source of each is in registry-front.md (same names).
COMMON = {
    "auth": "token",            # token | basic | none
    "realm_path": "/token",     # token endpoint path
    "realm_host": "front",      # front (the registry's own host) | token-port (OTHER:Q)
    "service": "",              # service= in the challenge and the token's aud ("" = front's host)
    "ping_service": True,       # /v2/ challenge carries service= (Artifact Registry: no)
    "anon_pull": False,         # anonymous token requests get pull
    "push_own_namespace": False,  # push only to USER/... (Hub, GHCR)
    "library": False,           # Hub: a one-component name (no library/) is granted nothing
    "robot_prefix": "",         # robots (quay "org+", harbor "robot$proj+") may touch only their project
    "token_lifetime": 300,
    "token_body": "docker",     # docker: token+access_token+expires_in | ghcr: token only | acr: access_token
    "password_lifetime": 0,     # >0: short-lived passwords (ECR 12 h, Google 1 h)
    "expire_after": 0,          # >0: every short-lived password expires after N more requests with one
    "expired_status": 401,      # status for an expired short-lived password (ECR: 403 DENIED)
    "catalog": "ok",            # ok | denied (never granted) | 404 | admin | ok
    "list_max": 0,              # >0: n= above it is refused on _catalog and tags/list (ECR 1000)
    "delete_digest": "ok",      # ok | 405 (asks for delete, a push token reaches the 405) | 404 | dangling
    "delete_tag": "upstream",   # upstream | untag | 405 | 400
    "referrers": "none",        # none (upstream's 404) | api (from storage) | redirect (GHCR 303) | empty
    "oci_subject": False,       # OCI-Subject header on a manifest PUT with subject
    "referrer_push_405": False,  # 405 for a manifest whose subject is an index (ECR)
    "chunk_max": 0,             # >0: a PATCH body above it is refused (GHCR 4 MiB) when chunked
    "patch_status": 202,        # ECR: 201
    "chunk_min": 0,             # >0: every part but the last must be this big (ECR 5 MiB)
    "range_stuck": False,       # ECR: Range stops advancing after the 2nd PATCH
    "range_check": False,       # ECR: a Content-Range that does not start at the offset: 416
    "content_range_strict": False,  # ACR: Content-Range must be N-M (no "bytes", no "/*")
    "no_patch": "",             # Google: chunks (Content-Range or a 2nd PATCH) | all (every PATCH)
    "chunk_min_header": 0,      # >0: OCI-Chunk-Min-Length on POST, and enforced
    "body_max": 0,              # >0: an upload PATCH or PUT body above it gets nginx's 413 (a proxy's limit)
    "immutable": [],            # ECR: repositories (or "*") whose tags may not be overwritten
    "manifest_put_429": 0,      # ACR: answer the next N manifest PUTs 429
    "retry_after": None,        # Retry-After on those 429s
    "stale_reads": 0,           # ACR geo-replica: N reads of a moved tag serve the old manifest
    "max_name_components": 0,   # Quay: deeper names refused by the token endpoint (400)
    "refuse_mixed_index": False,  # Quay: OCI index with Docker-typed children refused
    "manifest_max": 4 * MiB,    # manifest PUT body limit
    "too_big": "spec",          # spec (413 JSON) | hub | google | quay (413 nginx HTML)
    "cdn": False,               # blob GETs redirect to the CDN host (needs --cdn-port, --storage)
    "cdn_status": 307,
    "cdn_reject_auth": True,    # the CDN refuses a request that carries Authorization
    "ratelimit": False,         # Hub pull limit
    "quota": 100, "window": 21600, "ratelimit_empty": 0,
    "html_errors": False,       # errors as HTML pages, as from a proxy in front
    "location": "absolute",     # absolute | relative Location headers
}
PERSONALITIES = {
    "plain": {"auth": "none"},
    "hub": {"realm_host": "token-port", "service": "registry.docker.io", "anon_pull": True,
            "push_own_namespace": True, "library": True, "catalog": "denied", "delete_digest": "405",
            "delete_tag": "405", "too_big": "hub", "cdn": True, "ratelimit": True},
    "ghcr": {"service": "ghcr.io", "anon_pull": True, "push_own_namespace": True,
             "token_body": "ghcr", "catalog": "404", "delete_digest": "405", "delete_tag": "405",
             "referrers": "redirect", "chunk_max": 4 * MiB, "cdn": True, "location": "relative"},
    "ecr": {"auth": "basic", "password_lifetime": 43200, "expired_status": 403, "list_max": 1000,
            "oci_subject": True, "referrer_push_405": True, "patch_status": 201,
            "chunk_min": 5 * MiB, "range_stuck": True, "range_check": True},
    "gar": {"realm_path": "/v2/token", "ping_service": False, "password_lifetime": 3600,
            "delete_digest": "dangling", "delete_tag": "untag", "no_patch": "chunks",
            "too_big": "google"},
    "gcr": {"realm_path": "/v2/token", "service": "gcr.io", "password_lifetime": 3600,
            "delete_digest": "dangling", "delete_tag": "untag", "no_patch": "chunks",
            "too_big": "google"},
    "acr": {"realm_path": "/oauth2/token", "token_body": "acr", "token_lifetime": 3600,
            "delete_tag": "405", "referrers": "api", "oci_subject": True,
            "content_range_strict": True},
    "quay": {"realm_path": "/v2/auth", "anon_pull": True, "robot_prefix": "+",
             "delete_tag": "405", "referrers": "api",
             "max_name_components": 2, "refuse_mixed_index": True, "too_big": "quay",
             "cdn": True, "cdn_status": 302, "location": "relative"},
    "harbor": {"realm_path": "/service/token", "service": "harbor-registry", "catalog": "admin",
               "robot_prefix": "+", "delete_tag": "400", "referrers": "api", "oci_subject": True},
}

A = None                 # command line
LOCK = threading.Lock()
SECRET = os.urandom(32)
STATE = {}               # knob overrides (state file + POST /_front/state)
STATE_MTIME = [None]
USERS = {}               # name -> {"password", "flags"}
PASSWORDS = {}           # short-lived password -> expiry
REVOKED_BEFORE = [0.0]   # tokens issued before this are refused (POST /_front/expire)
SESSIONS = {}            # upload uuid -> {"patches": [sizes], "offset": n, "first_range": str}
QUOTA = {}               # rate-limit source -> {"remaining", "reset"}
STALE = {}               # (repo, tag) -> [reads left, status headers body]
COUNTERS = {"manifest_put_429": 0, "ratelimit_empty": 0, "stale_reads": 0, "expire_after": 0}


def knob(name):
    with LOCK:
        if name in STATE:
            return STATE[name]
    return PERSONALITIES[A.personality].get(name, COMMON[name])


def reload_state():
    if not A.state:
        return
    try:
        m = os.stat(A.state).st_mtime_ns
    except OSError:
        return
    if m == STATE_MTIME[0]:
        return
    try:
        data = json.load(open(A.state))
    except (OSError, ValueError):
        return
    with LOCK:
        STATE_MTIME[0] = m
        apply_state(data)


def apply_state(data):
    """Merges knob overrides (LOCK held).  Counting knobs restart their counters."""
    for k, v in data.items():
        if k == "quota_remaining":
            for q in QUOTA.values():
                q["remaining"] = v
            STATE["quota_remaining"] = v
        elif k in COMMON:
            STATE[k] = v
            if k in COUNTERS:
                COUNTERS[k] = v


def log(tag, method, path, auth, status, nbytes, crange):
    line = "%s %s %s auth=%s status=%d bytes=%d range=%s\n" % (
        tag, method, path, auth, status, nbytes, crange or "-")
    with LOCK, open(A.log, "a") as f:
        f.write(line)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def make_jwt(claims):
    signing = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64u(json.dumps(claims).encode())
    return signing + "." + b64u(hmac.new(SECRET, signing.encode(), hashlib.sha256).digest())


def read_jwt(tok):
    """The claims of a token this front issued and that is still good, else None."""
    try:
        h, c, s = tok.split(".")
        if not hmac.compare_digest(unb64u(s), hmac.new(SECRET, (h + "." + c).encode(), hashlib.sha256).digest()):
            return None
        claims = json.loads(unb64u(c))
    except (ValueError, TypeError):
        return None
    if claims.get("exp", 0) < time.time() or claims.get("iat", 0) < REVOKED_BEFORE[0]:
        return None
    return claims


def err_body(code, message, detail=None):
    e = {"code": code, "message": message}
    if detail is not None:
        e["detail"] = detail
    return json.dumps({"errors": [e]}).encode()


def html_page(status, reason):
    return ("<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n"
            "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n" % (status, reason, status, reason)).encode()


def short_password():
    return ("eyJ" if A.personality == "ecr" else "ya29.") + b64u(os.urandom(24))


def mint_password():
    pw = short_password()
    with LOCK:
        PASSWORDS[pw] = time.time() + knob_unlocked("password_lifetime")
    return pw


def knob_unlocked(name):
    if name in STATE:
        return STATE[name]
    return PERSONALITIES[A.personality].get(name, COMMON[name])


def check_password(user, pw):
    """ok | expired | bad"""
    if knob("password_lifetime"):
        want = {"ecr": "AWS", "gar": "oauth2accesstoken", "gcr": "oauth2accesstoken"}.get(A.personality)
        with LOCK:
            exp = PASSWORDS.get(pw)
        if user != want or exp is None:
            return "bad"
        if exp <= time.time():
            return "expired"
        with LOCK:
            # expire_after: time passing counted in requests, so that "a push outlives its
            # password" happens at the same request every run (the request counted still passes)
            if COUNTERS["expire_after"] > 0:
                COUNTERS["expire_after"] -= 1
                if COUNTERS["expire_after"] == 0:
                    for p in PASSWORDS:
                        PASSWORDS[p] = 0
                    REVOKED_BEFORE[0] = time.time() + 1
        return "ok"
    u = USERS.get(user)
    return "ok" if u and hmac.compare_digest(u["password"], pw) else "bad"


# ---------------------------------------------------------------------------------------------
# What a registry request needs, and what a user is granted.
ROUTE = re.compile(r"^/v2/(.+?)/(manifests|blobs|tags|referrers)/(.*)$")


def parse_route(path):
    """(repo, kind, rest) for a repository path, kind in manifests|blobs|uploads|tags|referrers."""
    p = urllib.parse.urlsplit(path).path
    m = re.match(r"^/v2/(.+?)/blobs/uploads/?(.*)$", p)
    if m:
        return m.group(1), "uploads", m.group(2)
    m = ROUTE.match(p)
    if m:
        return m.group(1), m.group(2), m.group(3)
    return None, None, None


def needed(method, path):
    """The scopes a request needs: a list of (type, name, action); [] for /v2/ (any valid token)."""
    p = urllib.parse.urlsplit(path).path
    if p in ("/v2/", "/v2"):
        return []
    if p == "/v2/_catalog":
        return [("registry", "catalog", "*")]
    repo, kind, _ = parse_route(path)
    if not repo:
        return []
    if method in ("GET", "HEAD"):
        return [("repository", repo, "pull")]
    if method == "DELETE":
        return [("repository", repo, "delete")]
    need = [("repository", repo, "pull"), ("repository", repo, "push")]
    return need


def scope_str(needs):
    by = {}
    for t, n, a in needs:
        by.setdefault((t, n), []).append(a)
    return " ".join("%s:%s:%s" % (t, n, ",".join(acts)) for (t, n), acts in by.items())


def grant(user, typ, name, actions):
    """The actions of one scope this front grants user (None: anonymous)."""
    flags = USERS.get(user, {}).get("flags", set()) if user else set()
    if typ == "registry":
        if name != "catalog" or not user:
            return []
        cat = knob("catalog")
        if cat == "denied" or (cat == "admin" and "admin" not in flags):
            return []
        return [a for a in actions if a == "*"]
    if typ != "repository":
        return []
    if knob("library") and "/" not in name:
        return []   # Docker Hub's official images live under library/: clients must add it
    if not user:
        return ["pull"] if "pull" in actions and knob("anon_pull") else []
    ok = set(actions) & {"pull", "push", "delete", "*"}
    if "*" in ok:
        ok = (ok - {"*"}) | {"pull", "push", "delete"}
    if "pull" in flags:
        ok &= {"pull"}
    if knob("delete_digest") == "405":
        ok.discard("delete")     # never granted where the registry API has no DELETE
    rp = knob("robot_prefix")
    if rp and rp in user:
        # quay org+name, harbor robot$project+name: a robot works inside its own project
        project = user.split(rp, 1)[0]
        if project.startswith("robot$"):
            project = project[len("robot$"):]
        if not name.startswith(project + "/"):
            return []
    if knob("push_own_namespace") and not name.startswith(user.lower() + "/"):
        ok &= {"pull"}
    return sorted(ok)


def token_allows(claims, t, n, a):
    for acc in claims.get("access", []):
        if acc.get("type") == t and acc.get("name") == n and (a in acc.get("actions", []) or "*" in acc.get("actions", [])):
            return True
    return False


def service_name(host=None):
    """The service name of challenges and tokens: the vendor's, else the front's address."""
    return knob("service") or "127.0.0.1:%d" % A.port


def parse_scopes(values):
    out = []
    for v in values:
        for s in v.split():
            parts = s.split(":")
            if len(parts) >= 3:
                out.append((parts[0], ":".join(parts[1:-1]), parts[-1].split(",")))
    return out


def cdn_sign(digest, exp):
    return hmac.new(SECRET, ("%s:%d" % (digest, exp)).encode(), hashlib.sha256).hexdigest()[:32]


def blob_path(digest):
    alg, hexd = digest.split(":", 1)
    return os.path.join(A.storage, "docker/registry/v2/blobs", alg, hexd[:2], hexd, "data")


# ---------------------------------------------------------------------------------------------
class Base(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    tag = ""

    def log_message(self, *a):
        pass

    def read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            out = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                out.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(out)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def auth_kind(self):
        a = self.headers.get("Authorization") or ""
        return a.split(" ", 1)[0].lower() if a else "no"

    def send(self, status, headers=(), body=b"", head_length=None, log_path=None):
        """Sends one answer (errors become HTML pages when html_errors is on) and logs it."""
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        if status >= 400 and knob("html_errors") and self.tag == A.personality:
            reason = http.client.responses.get(status, "Error")
            body = html_page(status, reason)
            headers = [(k, v) for k, v in headers if k.lower() != "content-type"] + [("Content-Type", "text/html")]
            head_length = None
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(head_length if head_length is not None and self.command == "HEAD" else len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)
        self.logged(status, log_path)

    def logged(self, status, path=None):
        log(self.tag, self.command, path or self.path, self.auth_kind(), status, getattr(self, "nbytes", 0),
            self.headers.get("Content-Range"))

    def json_reply(self, status, obj, extra=()):
        self.send(status, [("Content-Type", "application/json")] + list(extra), json.dumps(obj).encode())

    def error(self, status, code, message, detail=None, extra=()):
        self.send(status, [("Content-Type", "application/json; charset=utf-8"),
                           ("Docker-Distribution-Api-Version", "registry/2.0")] + list(extra),
                  err_body(code, message, detail))

    # -- token endpoints (served on the front for same-host vendors, and on the token port) --
    def token_endpoint(self, body):
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        form = urllib.parse.parse_qs(body.decode(errors="replace")) if self.command == "POST" else {}
        host = self.headers.get("Host", "")
        if A.personality == "acr" and u.path == "/oauth2/exchange":
            return self.acr_exchange(form)
        user = None
        refresh = False
        auth = self.headers.get("Authorization") or ""
        if self.command == "POST":
            gt = form.get("grant_type", [""])[0]
            if gt == "refresh_token":
                c = read_jwt(form.get("refresh_token", [""])[0])
                if not c or c.get("grant_type") != "refresh_token":
                    return self.json_reply(401, {"error": "invalid_grant"})
                user = c["sub"]
            elif gt == "password":
                un, pw = form.get("username", [""])[0], form.get("password", [""])[0]
                verdict = self.basic_verdict(un, pw)
                if verdict != "ok":
                    return self.json_reply(401, {"error": "invalid_grant"})
                user = un
            else:
                return self.json_reply(400, {"error": "unsupported_grant_type"})
            scopes = parse_scopes(form.get("scope", []))
            service = form.get("service", [service_name(host)])[0]
        else:
            if auth.lower().startswith("basic "):
                try:
                    un, pw = base64.b64decode(auth[6:]).decode().split(":", 1)
                except (ValueError, UnicodeDecodeError):
                    return self.json_reply(400, {"errors": [{"code": "UNAUTHORIZED", "message": "bad basic auth"}]})
                verdict = self.basic_verdict(un, pw)
                if verdict != "ok":
                    return self.send(401, [("Content-Type", "application/json")],
                                     err_body("UNAUTHORIZED", "authentication required" if verdict == "bad"
                                              else "your access token has expired"))
                user = un
            elif auth:
                return self.send(401, [("Content-Type", "application/json")], err_body("UNAUTHORIZED", "unsupported authorization"))
            scopes = parse_scopes(q.get("scope", []))
            service = q.get("service", [service_name(host)])[0]
            refresh = q.get("offline_token", [""])[0] == "true" and user is not None
        mx = knob("max_name_components")
        for typ, name, _ in scopes:
            if mx and typ == "repository" and name.count("/") + 1 > mx:
                # quay.io: a repository deeper than namespace/name is refused at /v2/auth
                return self.json_reply(400, {"error": "Invalid repository name: %s" % name})
        access = []
        for typ, name, actions in scopes:
            access.append({"type": typ, "name": name, "actions": grant(user, typ, name, actions)})
        now = int(time.time())
        life = int(knob("token_lifetime"))
        tok = make_jwt({"iss": "front-" + A.personality, "sub": user or "", "aud": service,
                        "exp": now + life, "iat": now, "nbf": now - 10, "jti": b64u(os.urandom(9)),
                        "access": access})
        style = knob("token_body")
        if style == "ghcr":
            out = {"token": tok}
        elif style == "acr":
            out = {"access_token": tok}
        else:
            out = {"token": tok, "access_token": tok, "expires_in": life,
                   "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))}
        if (refresh or self.command == "POST") and A.personality == "acr" and user:
            out["refresh_token"] = self.refresh_token(user)
        self.json_reply(200, out)

    def basic_verdict(self, un, pw):
        if A.personality == "acr" and un == NULL_GUID:
            c = read_jwt(pw)
            return "ok" if c and c.get("grant_type") == "refresh_token" else "bad"
        return check_password(un, pw)

    def refresh_token(self, user):
        now = int(time.time())
        return make_jwt({"iss": "front-acr", "sub": user, "aud": "", "exp": now + 3 * 3600, "iat": now,
                         "grant_type": "refresh_token", "jti": b64u(os.urandom(9))})

    def acr_exchange(self, form):
        # Azure/acr docs/AAD-OAuth.md: POST /oauth2/exchange grant_type=access_token&service&tenant&access_token
        if form.get("grant_type", [""])[0] != "access_token" or not A.aad_token or \
                not hmac.compare_digest(form.get("access_token", [""])[0], A.aad_token):
            return self.json_reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "invalid AAD access token"}]})
        self.json_reply(200, {"refresh_token": self.refresh_token("aad-user@example.com")})


NULL_GUID = "00000000-0000-0000-0000-000000000000"


class Front(front_vendors.VendorAPIs, Base):
    def handle_any(self):
        self.tag = A.personality
        reload_state()
        self.nbytes = 0
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/_front/"):
            return self.control(path)
        body = self.read_body() if self.command in ("PUT", "POST", "PATCH") else b""
        self.nbytes = len(body)
        if A.personality == "harbor" and path.startswith("/api/v2.0/"):
            self.tag = "harbor@api"   # Harbor's API lives on the registry's own host
            return self.serve(body)
        if self.is_token_path(path):
            return self.token_endpoint(body)
        if knob("auth") != "none":
            who = self.authenticate()
            if who is False:
                return
        else:
            who = (None, None)
        self.user, self.claims = who
        try:
            self.dispatch(body)
        except (ConnectionError, socket.timeout) as e:
            self.error(502, "UNKNOWN", "upstream: %s" % e)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any

    def is_token_path(self, path):
        if knob("auth") != "token":
            return False
        paths = {knob("realm_path")}
        if A.personality == "acr":
            paths.add("/oauth2/exchange")
        return path in paths

    # -- control API --
    def control(self, path):
        body = self.read_body() if self.command == "POST" else b""
        if path == "/_front/credentials" or path == "/_front/rotate":
            if knob("password_lifetime"):
                pw = None
                if path == "/_front/credentials":
                    with LOCK:
                        good = [p for p, e in PASSWORDS.items() if e > time.time()]
                        pw = max(good, key=lambda p: PASSWORDS[p]) if good else None
                pw = pw or mint_password()
                user = {"ecr": "AWS"}.get(A.personality, "oauth2accesstoken")
            elif A.personality == "acr":   # an identity token, as `az acr login --expose-token`
                user, pw = NULL_GUID, self.refresh_token("aad-user@example.com")
            else:
                user = A.users[0].split(":")[0] if A.users else ""
                pw = USERS.get(user, {}).get("password", "")
            return self.raw_json(200, {"ServerURL": self.headers.get("Host", ""), "Username": user, "Secret": pw})
        if path == "/_front/expire":
            with LOCK:
                for p in PASSWORDS:
                    PASSWORDS[p] = 0
                REVOKED_BEFORE[0] = time.time() + 1
            return self.raw_json(200, {})
        if path == "/_front/state":
            if self.command == "POST":
                try:
                    data = json.loads(body or b"{}")
                except ValueError:
                    return self.raw_json(400, {"error": "bad JSON"})
                with LOCK:
                    apply_state(data)
                    snapshot = dict(STATE)
                if A.state:
                    with open(A.state, "w") as f:
                        json.dump(snapshot, f)
                    with LOCK:
                        STATE_MTIME[0] = os.stat(A.state).st_mtime_ns
            knobs = {k: knob(k) for k in COMMON}
            knobs["counters"] = dict(COUNTERS)
            return self.raw_json(200, knobs)
        if path == "/_front/pushed" and self.command == "POST":
            try:
                st, obj = front_vendors.control_pushed(body)
            except (ValueError, KeyError, TypeError) as e:
                st, obj = 400, {"error": str(e)}
            return self.raw_json(st, obj)
        if path == "/_front/quota":
            with LOCK:
                return self.raw_json(200, {k: dict(v) for k, v in QUOTA.items()})
        self.raw_json(404, {"error": "no such control"})

    def raw_json(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    # -- authentication --
    def challenge(self, needs, error=None):
        host = self.headers.get("Host", "127.0.0.1")
        mode = knob("auth")
        if mode == "basic":
            return 'Basic realm="http://%s/",service="ecr.amazonaws.com"' % host
        if knob("realm_host") == "token-port" and A.token_port:
            realm = "http://%s:%d%s" % (A.other_host, A.token_port, knob("realm_path"))
        else:
            realm = "http://%s%s" % (host, knob("realm_path"))
        parts = ['realm="%s"' % realm]
        if needs or knob("ping_service"):
            parts.append('service="%s"' % service_name(host))
        if needs:
            parts.append('scope="%s"' % scope_str(needs))
        if error:
            parts.append('error="%s"' % error)
        return "Bearer " + ",".join(parts)

    def deny(self, needs, error=None):
        detail = [{"Type": t, "Class": "", "Name": n, "Action": a} for t, n, a in needs] or None
        extra = [("WWW-Authenticate", self.challenge(needs, error))]
        if knob("ratelimit") and parse_route(self.path)[1] == "manifests":
            extra.append(("docker-ratelimit-source", self.client_address[0]))
        self.error(401, "UNAUTHORIZED", "authentication required", detail, extra)

    def authenticate(self):
        """(user, claims) or False after answering 401/403."""
        needs = needed(self.command, self.path)
        auth = self.headers.get("Authorization") or ""
        mode = knob("auth")
        if mode == "basic":
            if not auth.lower().startswith("basic "):
                self.deny(needs)
                return False
            try:
                un, pw = base64.b64decode(auth[6:]).decode().split(":", 1)
            except (ValueError, UnicodeDecodeError):
                self.deny(needs)
                return False
            v = check_password(un, pw)
            if v == "expired":
                st = knob("expired_status")
                self.error(st, "DENIED" if st == 403 else "UNAUTHORIZED",
                           "Your authorization token has expired. Reauthenticate and try again.",
                           extra=[("WWW-Authenticate", self.challenge(needs))] if st == 401 else ())
                return False
            if v != "ok":
                self.deny(needs)
                return False
            return un, None
        if not auth.lower().startswith("bearer "):
            self.deny(needs)
            return False
        claims = read_jwt(auth[7:].strip())
        host = self.headers.get("Host", "")
        if not claims or claims.get("aud") != service_name(host):
            self.deny(needs, "invalid_token" if claims is None else None)
            return False
        missing = [n for n in needs if not token_allows(claims, *n)]
        if missing and knob("delete_digest") == "405" and self.command == "DELETE":
            # Hub and GHCR ask for delete, never grant it, and a push token gets through to the 405
            # (go-containerregistry#746: delete-only token 401; skopeo#1880, genuinetools/reg#143: 405)
            missing = [n for n in missing if not token_allows(claims, n[0], n[1], "push")]
        if missing:
            self.deny(needs, "insufficient_scope")
            return False
        return (claims.get("sub") or None), claims

    # -- the registry API --
    def dispatch(self, body):
        repo, kind, rest = parse_route(self.path)
        m, path = self.command, urllib.parse.urlsplit(self.path).path
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        if path == "/v2/_catalog":
            return self.catalog(q)
        if kind == "tags" and knob("list_max") and self.list_n_too_big(q):
            return
        if kind == "referrers" and m == "GET":
            return self.referrers(repo, rest, q)
        if kind == "manifests":
            if m == "DELETE":
                return self.delete_manifest(repo, rest)
            if m == "PUT":
                return self.put_manifest(repo, rest, body)
            if m in ("GET", "HEAD"):
                return self.get_manifest(repo, rest)
        if kind == "blobs" and m == "GET" and knob("cdn") and A.cdn_port and A.storage:
            return self.blob_redirect(repo, rest)
        if kind == "uploads":
            return self.upload(repo, rest, body, q)
        self.forward(body)

    def list_n_too_big(self, q):
        try:
            n = int(q.get("n", ["0"])[0])
        except ValueError:
            n = 0
        if n > knob("list_max"):
            # ECR: crane catalog n=10000 (go-containerregistry#1091, #681)
            self.error(400, "UNSUPPORTED", "Invalid parameter at 'maxResults' failed to satisfy constraint: "
                       "'Member must have value less than or equal to %d'" % knob("list_max"))
            return True
        return False

    def catalog(self, q):
        cat = knob("catalog")
        if cat == "404":
            return self.send(404, [("Content-Type", "text/plain; charset=utf-8")], b"404 page not found\n")
        if knob("list_max") and self.list_n_too_big(q):
            return
        self.forward(b"")

    # upstream plumbing
    def upstream(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(A.upstream, timeout=120)
        if headers is None:
            # repeated headers (skopeo sends one Accept per media type) are joined, not lost
            hdrs, names = {}, {}
            for k, v in self.headers.items():
                if k.lower() in HOP or k.lower() == "authorization":
                    continue
                if k.lower() in names:
                    hdrs[names[k.lower()]] += ", " + v
                else:
                    names[k.lower()] = k
                    hdrs[k] = v
        else:
            hdrs = headers
        if body is not None and method in ("PUT", "POST", "PATCH"):
            hdrs["Content-Length"] = str(len(body))
        conn.request(method, path, body=body if method in ("PUT", "POST", "PATCH") else None, headers=hdrs)
        return conn, conn.getresponse()

    def fetch(self, method, path, accept=ALL_MANIFESTS):
        conn, r = self.upstream(method, path, headers={"Accept": accept, "Host": self.headers.get("Host", "")})
        data = r.read()
        conn.close()
        return r.status, r, data

    def fix_headers(self, headers):
        out = []
        rel = knob("location") == "relative"
        for k, v in headers:
            if k.lower() in HOP:
                continue
            if k.lower() == "location" and rel:
                s = urllib.parse.urlsplit(v)
                v = urllib.parse.urlunsplit(("", "", s.path, s.query, s.fragment))
            out.append((k, v))
        return out

    def forward(self, body, status_map=None, add=(), edit=None, on_ok=None):
        """Forwards the request; status_map rewrites statuses, add appends headers, edit(headers)->headers."""
        conn, r = self.upstream(self.command, self.path, body if self.command in ("PUT", "POST", "PATCH") else None)
        status = (status_map or {}).get(r.status, r.status)
        headers = self.fix_headers(r.getheaders()) + list(add)
        if edit:
            headers = edit(r.status, headers)
        if on_ok and 200 <= r.status < 300:
            on_ok(r)
        length = r.getheader("Content-Length")
        if self.command == "HEAD":
            conn.close()
            return self.send(status, headers, b"", head_length=int(length) if length else 0)
        if status >= 400 or length is None or int(length) < MiB:
            data = r.read()
            conn.close()
            return self.send(status, headers, data)
        # stream a big body
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", length)
        self.end_headers()
        left = int(length)
        while left > 0:
            chunk = r.read(min(left, 256 * 1024))
            if not chunk:
                break
            self.wfile.write(chunk)
            left -= len(chunk)
        conn.close()
        self.logged(status)

    # manifests
    def get_manifest(self, repo, ref):
        if knob("ratelimit") and self.command == "GET":
            lim = self.ratelimit(count=False, peek=True)
            if lim is not None and lim[1] <= 0:
                # docker/docs#21908, docker/hub-feedback#2429: the pull limit's 429
                return self.error(429, "TOOMANYREQUESTS", "You have reached your pull rate limit. You may "
                                  "increase the limit by authenticating and upgrading: "
                                  "https://www.docker.com/increase-rate-limit", extra=self.ratelimit(count=False)[2])
        stale = None
        with LOCK:
            s = STALE.get((repo, ref))
            if s and s[0] > 0:
                s[0] -= 1
                stale = s
        if stale:
            _, st, hdrs, data = stale
            return self.send(st, hdrs, data, head_length=len(data))

        def counted(status, headers):
            if knob("ratelimit"):
                lim = self.ratelimit(count=self.command == "GET" and 200 <= status < 300)
                if lim:
                    headers = headers + lim[2]
            return headers
        self.forward(b"", edit=counted)

    def ratelimit(self, count, peek=False):
        """(source, remaining, headers) for Docker Hub's pull limit; None for unlimited accounts."""
        user = getattr(self, "user", None)
        if user and "unlimited" in USERS.get(user, {}).get("flags", set()):
            return None
        src = str(uuid.uuid5(uuid.NAMESPACE_DNS, user)) if user else self.client_address[0]
        limit, window = int(knob("quota")), int(knob("window"))
        with LOCK:
            q = QUOTA.get(src)
            now = time.time()
            if q is None or q["reset"] <= now:
                q = QUOTA[src] = {"remaining": STATE.get("quota_remaining", limit), "reset": now + window}
            if count and q["remaining"] > 0:
                q["remaining"] -= 1
            remaining = q["remaining"]
            empty = COUNTERS["ratelimit_empty"] > 0
            if empty and not peek:
                COUNTERS["ratelimit_empty"] -= 1
        if empty:   # docker/hub-feedback#2081: "RateLimit-Limit: ;w=21600"
            hdrs = [("ratelimit-limit", ";w=%d" % window), ("ratelimit-remaining", ";w=%d" % window)]
        else:
            hdrs = [("ratelimit-limit", "%d;w=%d" % (limit, window)),
                    ("ratelimit-remaining", "%d;w=%d" % (remaining, window))]
        hdrs.append(("docker-ratelimit-source", src))
        return src, remaining, hdrs

    def put_manifest(self, repo, ref, body):
        if len(body) > int(knob("manifest_max")):
            return self.too_big()
        is_digest = ref.startswith("sha256:")
        try:
            doc = json.loads(body)
        except ValueError:
            doc = {}
        if not isinstance(doc, dict):
            doc = {}
        if knob("manifest_put_429"):
            with LOCK:
                fire = COUNTERS["manifest_put_429"] > 0
                if fire:
                    COUNTERS["manifest_put_429"] -= 1
            if fire:  # containers/common#2494: "toomanyrequests: Rate exceeded"
                ra = knob("retry_after")
                return self.error(429, "TOOMANYREQUESTS", "Rate exceeded",
                                  extra=[("Retry-After", str(ra))] if ra is not None else ())
        if knob("refuse_mixed_index"):
            mt = doc.get("mediaType") or self.headers.get("Content-Type", "")
            kids = {d.get("mediaType") for d in doc.get("manifests", []) if isinstance(d, dict)}
            if mt == OCI_INDEX and kids & {DOCKER_MANIFEST, DOCKER_LIST}:
                bad = sorted(kids & {DOCKER_MANIFEST, DOCKER_LIST})[0]
                return self.error(400, "MANIFEST_INVALID", "manifest invalid", {
                    "message": "failed to parse manifest: manifest data does not match schema: '%s' is not one "
                               "of ['%s', '%s']" % (bad, OCI_MANIFEST, OCI_INDEX)})
        subject = doc.get("subject") if isinstance(doc.get("subject"), dict) else None
        if subject and knob("referrer_push_405") and subject.get("mediaType") in (OCI_INDEX, DOCKER_LIST):
            return self.error(405, "UNSUPPORTED", "The operation is unsupported.")
        imm = knob("immutable")
        if not is_digest and imm and ("*" in imm or repo in imm):
            st, _, _ = self.fetch("HEAD", "/v2/%s/manifests/%s" % (repo, ref))
            if st == 200 and A.personality == "harbor":
                # goharbor/harbor src/server/middleware/immutable/pushmf.go: PreconditionCode (412),
                # error.go: the repository name without its project
                return self.error(412, "PRECONDITION", "Failed to process request due to '%s:%s' configured as "
                                  "immutable." % (repo.split("/", 1)[-1], ref))
            if st == 200:
                return self.error(400, "TAG_INVALID", "The image tag '%s' already exists in the '%s' repository "
                                  "and cannot be overwritten because the tag is immutable." % (ref, repo))
        if not is_digest and knob("stale_reads"):
            st, r, data = self.fetch("GET", "/v2/%s/manifests/%s" % (repo, ref))
            old = (st, [(k, v) for k, v in r.getheaders() if k.lower() not in HOP], data) if st == 200 else None
        else:
            old = None
        add = [("OCI-Subject", subject.get("digest", ""))] if subject and knob("oci_subject") else []

        def moved(r):
            if old:
                with LOCK:
                    n = COUNTERS["stale_reads"]
                    if n > 0:
                        COUNTERS["stale_reads"] = 0
                        STALE[(repo, ref)] = [n] + list(old)
        self.forward(body, add=add, on_ok=moved)

    def too_big(self):
        style = knob("too_big")
        if style == "hub":    # distribution-spec#554 quoting #260: docker.io
            return self.error(400, "MANIFEST_INVALID", "manifest invalid", "http: request body too large")
        if style == "google":  # gcr.io: UNKNOWN: Bad Request
            return self.error(400, "UNKNOWN", "Bad Request")
        if style == "quay":   # quay.io: an nginx 413 page
            return self.send(413, [("Content-Type", "text/html")], html_page(413, "Request Entity Too Large"))
        return self.error(413, "MANIFEST_INVALID", "manifest too large")

    def tags_pointing_at(self, repo, digest):
        st, _, data = self.fetch("GET", "/v2/%s/tags/list" % repo, accept="application/json")
        if st != 200:
            return []
        out = []
        for t in json.loads(data).get("tags") or []:
            s, r, _ = self.fetch("HEAD", "/v2/%s/manifests/%s" % (repo, t))
            if s == 200 and r.getheader("Docker-Content-Digest") == digest:
                out.append(t)
        return sorted(out)

    def delete_manifest(self, repo, ref):
        is_digest = ref.startswith("sha256:")
        if is_digest:
            mode = knob("delete_digest")
            if mode == "405":          # skopeo#1880 (ghcr), docker/hub-feedback#2360 (hub)
                return self.error(405, "UNSUPPORTED", "The operation is unsupported.")
            if mode == "404":          # containers-roadmap#1229 (ECR before it shipped)
                return self.send(404, [("Content-Type", "text/plain; charset=utf-8")], b"404 page not found\n")
            if mode == "dangling":
                tags = self.tags_pointing_at(repo, ref)
                if tags:               # genuinetools/reg#136, kube-image-keeper#636
                    return self.error(400, "GOOGLE_MANIFEST_DANGLING_TAG",
                                      "Manifest is still referenced by tag: %s" % ",".join(tags))
            return self.forward(b"")
        mode = knob("delete_tag")
        if mode == "405":
            return self.error(405, "UNSUPPORTED", "The operation is unsupported.")
        if mode == "400":              # goharbor/harbor#11971
            return self.error(400, "UNSUPPORTED", "The operation is unsupported.")
        if mode == "untag" and A.storage:
            d = os.path.join(A.storage, "docker/registry/v2/repositories", repo, "_manifests/tags", ref)
            if not os.path.isdir(d) or "/" in ref or ref.startswith("."):
                return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown", {"Tag": ref})
            shutil.rmtree(d, ignore_errors=True)
            return self.send(202, [("Docker-Distribution-Api-Version", "registry/2.0")], b"")
        self.forward(b"")

    # referrers
    def referrers(self, repo, digest, q):
        mode = knob("referrers")
        if mode == "redirect":
            # artifacthub/hub#4785: ghcr.io answers 303 to github.com, digest cut at the colon
            loc = "http://%s:%d/-/v2/packages/container/package/%s" % (
                A.other_host, A.cdn_port or 1, urllib.parse.quote("%s/referrers/%s" % (repo, digest.split(":")[0]), safe=""))
            return self.send(303, [("Location", loc), ("Content-Type", "text/html; charset=utf-8")],
                             b'<a href="%s">See Other</a>.\n\n' % loc.encode())
        if mode == "empty":
            # a referrers API that answers and indexes nothing (the front's switch: an API that
            # lags or breaks behind what was pushed; clients must not take an answer for an index)
            return self.send(200, [("Content-Type", OCI_INDEX)],
                             json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}).encode())
        if mode != "api" or not A.storage:
            return self.forward(b"")
        want = q.get("artifactType", [None])[0]
        out = []
        base = os.path.join(A.storage, "docker/registry/v2/repositories", repo, "_manifests/revisions/sha256")
        for hexd in sorted(os.listdir(base)) if os.path.isdir(base) else []:
            dg = "sha256:" + hexd
            try:
                if os.path.getsize(blob_path(dg)) > 4 * MiB:
                    continue
                raw = open(blob_path(dg), "rb").read()
                doc = json.loads(raw)
            except (OSError, ValueError):
                continue
            if not isinstance(doc, dict) or not isinstance(doc.get("subject"), dict) or doc["subject"].get("digest") != digest:
                continue
            at = doc.get("artifactType") or (doc.get("config") or {}).get("mediaType")
            if want and at != want:
                continue
            d = {"mediaType": doc.get("mediaType", OCI_MANIFEST), "digest": dg, "size": len(raw)}
            if at:
                d["artifactType"] = at
            if doc.get("annotations"):
                d["annotations"] = doc["annotations"]
            out.append(d)
        data = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": out}).encode()
        hdrs = [("Content-Type", OCI_INDEX), ("Docker-Distribution-Api-Version", "registry/2.0")]
        if want:
            hdrs.append(("OCI-Filters-Applied", "artifactType"))
        self.send(200, hdrs, data)

    # blobs
    def blob_redirect(self, repo, digest):
        if not digest.startswith("sha256:") or not os.path.exists(blob_path(digest)):
            return self.forward(b"")
        st, _, _ = self.fetch("HEAD", "/v2/%s/blobs/%s" % (repo, digest), accept="*/*")
        if st != 200:   # the blob is not linked in this repository
            return self.forward(b"")
        hexd = digest.split(":")[1]
        exp = int(time.time()) + 1200
        loc = "http://%s:%d/registry-v2/docker/registry/v2/blobs/sha256/%s/%s/data?verify=%d-%s" % (
            A.other_host, A.cdn_port, hexd[:2], hexd, exp, cdn_sign(digest, exp))
        status = int(knob("cdn_status"))
        body = b""
        hdrs = [("Location", loc), ("Docker-Distribution-Api-Version", "registry/2.0")]
        if status == 302:   # quay.io answers 302 with an HTML page (rpardini/docker-registry-proxy#26)
            body = b'<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<title>Redirecting...</title>\n' \
                   b'<h1>Redirecting...</h1>\n<p>You should be redirected automatically to target URL: <a href="' \
                   + loc.encode() + b'">' + loc.encode() + b'</a>.\n'
            hdrs.append(("Content-Type", "text/html; charset=utf-8"))
        self.send(status, hdrs, body)

    # uploads
    def upload(self, repo, rest, body, q):
        m = self.command
        sid = rest.split("?")[0].strip("/")
        if m == "POST":
            add = []
            if knob("chunk_min_header"):
                add.append(("OCI-Chunk-Min-Length", str(knob("chunk_min_header"))))
            mount, frm = q.get("mount", [None])[0], q.get("from", [None])[0]
            if mount and frm and self.claims is not None and not token_allows(self.claims, "repository", frm, "pull"):
                # no pull on the source repository: a plain upload, as registries fall back to
                self.path = "/v2/%s/blobs/uploads/" % repo
            return self.forward(body, add=add)
        bmax = knob("body_max")
        if bmax and m in ("PATCH", "PUT") and len(body) > bmax:
            # a proxy in front with client_max_body_size (distribution's nginx recipe sets it to 0
            # "to avoid HTTP 413 for large image uploads"): nginx's own page, nothing forwarded
            return self.send(413, [("Content-Type", "text/html")], html_page(413, "Request Entity Too Large"))
        if m == "PATCH":
            return self.patch(sid, body)
        if m == "PUT":
            return self.put_upload(sid, body)
        if m == "GET":
            return self.forward(b"", edit=lambda st, h: self.stuck_range(sid, h, st))
        self.forward(body)

    def session(self, sid):
        with LOCK:
            return SESSIONS.setdefault(sid, {"patches": [], "offset": 0, "first_range": None})

    def patch(self, sid, body):
        s = self.session(sid)
        cr = self.headers.get("Content-Range")
        n = len(body)
        np = knob("no_patch")
        if np and (np == "all" or cr or s["patches"]):
            # Artifact Registry does not support chunked uploads (its Docker API docs; skopeo#1101,
            # dotnet/sdk-container-builds#287); the error page is Google's HTML
            return self.send(400, [("Content-Type", "text/html; charset=UTF-8")],
                             b"<HTML><HEAD>\n<TITLE>Request Error</TITLE>\n</HEAD><BODY>\n<H1>Request Error</H1>\n"
                             b"Chunked uploads are not supported.\n</BODY></HTML>\n")
        cmax = knob("chunk_max")
        if cmax and n > cmax and (cr or s["patches"]):
            # GHCR: oras-project/rust-oci-client#35, ocx-sh/ocx#237
            return self.error(416, "REQUESTED_RANGE_NOT_SATISFIABLE", "the request body is too large and exceeds "
                              "the maximum permissible limit of %.2fMiB" % (cmax / MiB))
        if cr and knob("content_range_strict") and not re.match(r"^\d+-\d+$", cr):
            # ACR: dotnet/sdk-container-builds#258 {"Range":"bytes 0-84521/*","Reason":...}
            return self.error(416, "BLOB_UPLOAD_INVALID", "blob upload invalid",
                              {"Range": cr, "Reason": "the Content-Range header format is invalid"})
        if cr and knob("range_check"):
            mm = re.match(r"^(?:bytes )?(\d+)-(\d+)", cr)
            if mm and int(mm.group(1)) != s["offset"]:
                # ECR: a chunk resent at the offset its stuck Range reported (crashappsec/chalk#682)
                return self.error(416, "BLOB_UPLOAD_INVALID", "Requested range not satisfiable",
                                  extra=[("Range", "0-%d" % (s["offset"] - 1))])

        def done(status, headers):
            if 200 <= status < 300:
                rng = dict((k.lower(), v) for k, v in headers).get("range")
                with LOCK:
                    s["patches"].append(n)
                    if rng and "-" in rng:
                        s["offset"] = int(rng.split("-")[1]) + 1
                    if len(s["patches"]) == 1:
                        s["first_range"] = rng
                    loc = [v for k, v in headers if k.lower() == "location"]
                    if loc:   # the next request names the session by the new Location's uuid
                        nsid = urllib.parse.urlsplit(loc[0]).path.rstrip("/").rsplit("/", 1)[-1]
                        SESSIONS[nsid] = s
            return self.stuck_range(sid, headers, status)
        self.forward(body, status_map={202: int(knob("patch_status"))}, edit=done)

    def stuck_range(self, sid, headers, status):
        """ECR: containers-roadmap#2831 — Range stays where the first PATCH left it."""
        s = self.session(sid)
        if knob("range_stuck") and len(s["patches"]) >= 2 and s["first_range"]:
            headers = [(k, s["first_range"] if k.lower() == "range" else v) for k, v in headers]
        return headers

    def put_upload(self, sid, body):
        s = self.session(sid)
        parts = list(s["patches"]) + ([len(body)] if body else [])
        cmin = knob("chunk_min") or knob("chunk_min_header")
        if cmin and any(p < cmin for p in parts[:-1]):
            # every part but the last must be >= 5 MiB: S3 multipart's EntityTooSmall, ECR quota
            return self.error(400, "BLOB_UPLOAD_INVALID", "Your proposed upload is smaller than the minimum "
                              "allowed size (%d bytes for every part but the last)" % cmin)
        cmax = knob("chunk_max")
        if cmax and body and s["patches"] and len(body) > cmax:
            return self.error(416, "REQUESTED_RANGE_NOT_SATISFIABLE", "the request body is too large and exceeds "
                              "the maximum permissible limit of %.2fMiB" % (cmax / MiB))
        self.forward(body)


# ---------------------------------------------------------------------------------------------
class TokenHost(Base):
    """auth.docker.io and friends: the personality's token endpoint on another host."""
    def handle_any(self):
        self.tag = A.personality + "@token"
        reload_state()
        body = self.read_body() if self.command == "POST" else b""
        self.nbytes = len(body)
        path = urllib.parse.urlsplit(self.path).path
        if path in (knob("realm_path"), "/oauth2/exchange"):
            return self.token_endpoint(body)
        self.send(404, [("Content-Type", "text/plain")], b"404 page not found\n")

    do_GET = do_POST = do_HEAD = handle_any


class CdnHost(Base):
    """The CDN (signed blob URLs read from the registry's storage) and github.com."""
    def handle_any(self):
        self.tag = A.personality + "@cdn"
        self.nbytes = 0
        reload_state()
        u = urllib.parse.urlsplit(self.path)
        log_path = u.path   # signatures stay out of the log
        if u.path.startswith("/-/v2/packages/"):
            # artifacthub/hub#4785: GitHub's web API behind GHCR's referrers redirect is rate limited
            return self.send(429, [("Content-Type", "text/html; charset=utf-8"), ("Retry-After", "60")],
                             b"<!DOCTYPE html>\n<html><head><title>Rate limit &middot; GitHub</title></head>"
                             b"<body>Too many requests</body></html>\n", log_path=log_path)
        m = re.match(r"^/registry-v2/docker/registry/v2/blobs/sha256/[0-9a-f]{2}/([0-9a-f]{64})/data$", u.path)
        if not m or self.command not in ("GET", "HEAD"):
            return self.send(404, [("Content-Type", "text/plain")], b"not found\n", log_path=log_path)
        if self.headers.get("Authorization") and knob("cdn_reject_auth"):
            # a signed URL carries its own credential; S3 refuses a second one
            return self.send(400, [("Content-Type", "application/xml")],
                             b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidArgument</Code>"
                             b"<Message>Only one auth mechanism allowed</Message></Error>", log_path=log_path)
        digest = "sha256:" + m.group(1)
        ver = urllib.parse.parse_qs(u.query).get("verify", [""])[0]
        try:
            exp, sig = ver.split("-", 1)
            good = int(exp) > time.time() and hmac.compare_digest(sig, cdn_sign(digest, int(exp)))
        except ValueError:
            good = False
        if not good:
            return self.send(403, [("Content-Type", "text/plain")], b"Forbidden: bad or expired signature\n",
                             log_path=log_path)
        try:
            data = open(blob_path(digest), "rb").read()
        except OSError:
            return self.send(404, [("Content-Type", "text/plain")], b"not found\n", log_path=log_path)
        rng = self.headers.get("Range")
        hdrs = [("Content-Type", "application/octet-stream"), ("Accept-Ranges", "bytes")]
        mm = re.match(r"^bytes=(\d+)-(\d*)$", rng or "")
        if mm:
            start = int(mm.group(1))
            end = int(mm.group(2)) if mm.group(2) else len(data) - 1
            if start >= len(data):
                return self.send(416, hdrs + [("Content-Range", "bytes */%d" % len(data))], b"", log_path=log_path)
            end = min(end, len(data) - 1)
            return self.send(206, hdrs + [("Content-Range", "bytes %d-%d/%d" % (start, end, len(data)))],
                             data[start:end + 1], log_path=log_path)
        self.send(200, hdrs, data, head_length=len(data), log_path=log_path)

    do_GET = do_HEAD = handle_any


class ApiHost(front_vendors.VendorAPIs, Base):
    """hub.docker.com, api.github.com, api.ecr.REGION.amazonaws.com: the personality's vendor API."""
    def handle_any(self):
        self.api_handle_any()

    do_GET = do_POST = do_DELETE = do_HEAD = do_PUT = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global A
    ap = argparse.ArgumentParser(description="registry personalities for winch's tests")
    ap.add_argument("--personality", required=True, choices=sorted(PERSONALITIES))
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--token-port", type=int, default=0)
    ap.add_argument("--cdn-port", type=int, default=0)
    ap.add_argument("--other-host", default="127.0.0.2")
    ap.add_argument("--storage")
    ap.add_argument("--state")
    ap.add_argument("--user", action="append", dest="users", default=[])
    ap.add_argument("--aad-token", default="")
    ap.add_argument("--api-port", type=int, default=0)
    ap.add_argument("--aws-key", action="append", dest="aws_keys", default=[])
    ap.add_argument("--aws-region", default="us-east-1")
    A = ap.parse_args()
    front_vendors.setup(globals())
    for h in (A.other_host, A.upstream.rsplit(":", 1)[0]):
        if not h.startswith("127."):
            ap.error("loopback only: %s" % h)
    reload_state()   # first: a password_lifetime there applies to the --user passwords
    for spec in A.users:
        name, pw, *fl = spec.split(":", 2)
        USERS[name] = {"password": pw, "flags": set(fl[0].split(",")) if fl and fl[0] else set()}
        if knob("password_lifetime"):
            PASSWORDS[pw] = time.time() + knob("password_lifetime")
    servers = [Server(("127.0.0.1", A.port), Front)]
    if A.token_port:
        servers.append(Server((A.other_host, A.token_port), TokenHost))
    if A.cdn_port:
        servers.append(Server((A.other_host, A.cdn_port), CdnHost))
    if A.api_port:
        servers.append(Server((A.other_host, A.api_port), ApiHost))
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    servers[0].serve_forever()


if __name__ == "__main__":
    main()
