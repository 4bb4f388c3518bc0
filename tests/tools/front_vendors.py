"""Vendor APIs beside the registry personalities (registry-front.py imports this; tests only,
loopback only, Python standard library only).

They see the images the front serves: every answer is read from the upstream registry's storage
(--storage: tags, manifests, the manifests an index lists), and deletions act on it (a manifest
through the upstream's DELETE, which removes its tags too; a tag by removing its directory).  Push
times are the upstream's own (the mtime of the manifest's revision link, written when it was
pushed) unless a test sets one (POST /_front/pushed).

  hub     Docker Hub API on OTHER:API (hub.docker.com): POST /v2/auth/token, GET/DELETE
          /v2/repositories/NS/REPO/tags[/TAG/]
  ghcr    GitHub REST API on OTHER:API (api.github.com): GET /users/OWNER, GET/DELETE
          /{orgs,users}/OWNER/packages/container/PKG/versions[/ID]
  ecr     ECR API on OTHER:API (api.ecr.REGION.amazonaws.com): POST / with X-Amz-Target
          DescribeImages, BatchDeleteImage, GetAuthorizationToken; JSON 1.1; every request's
          Signature Version 4 verified (an implementation of its own, hmac/hashlib)
  harbor  Harbor API v2.0 on the front itself (/api/v2.0/projects/P/repositories/R/artifacts...)

Each behaviour's source (the vendors' public documentation, or a user's report) is in
registry-front.md, "Vendor APIs".
"""
import base64, datetime, hashlib, hmac, http.client, json, os, re, shutil, time, urllib.parse

F = None          # the front module's globals (A, knob, log, USERS, Base, mint_password, ...)
PUSHED = {}       # (repo, digest) -> unix seconds, set by POST /_front/pushed
VERSION_IDS = {}  # (repo, digest) -> a GitHub package version id
NEXT_ID = [1000]
API_COUNT = [0]   # requests answered, for api_rate_limit

# knobs (registry-front.md): added to the front's COMMON table
KNOBS = {
    "api_rate_limit": 0,     # >0: that many API requests, then the vendor's rate-limit answer
    "ecr_deny": [],          # ECR actions ("BatchDeleteImage") the IAM policy does not allow
    "api_page_size": 0,      # >0: the page size the APIs use whatever is asked (to exercise pages)
    "api_next": "",          # GitHub's Link rel="next", played by an attacker: "loop" (this page
                             # again), "foreign" (the next page on another origin, the token would follow)
}
AWS_ACCOUNT = "123456789012"


def setup(g):
    global F
    import types
    F = types.SimpleNamespace(**{k: g[k] for k in ("knob", "log", "USERS", "LOCK", "mint_password", "blob_path",
                                                   "err_body", "b64u", "make_jwt", "read_jwt")})
    F.g = g
    g["COMMON"].update(KNOBS)


def A():
    return F.g["A"]


# ------------------------------------------------------------------------------------------------
# the repository, as the upstream stores it
def repo_dir(repo):
    return os.path.join(A().storage, "docker/registry/v2/repositories", repo)


def read_link(path):
    try:
        return open(path).read().strip()
    except OSError:
        return None


def manifests(repo):
    """digest -> revision link path, for every manifest the repository holds."""
    base = os.path.join(repo_dir(repo), "_manifests/revisions/sha256")
    out = {}
    for hexd in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        link = os.path.join(base, hexd, "link")
        if os.path.exists(link):
            out["sha256:" + hexd] = link
    return out


def tags(repo):
    """tag -> digest."""
    base = os.path.join(repo_dir(repo), "_manifests/tags")
    out = {}
    for t in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        d = read_link(os.path.join(base, t, "current/link"))
        if d:
            out[t] = d
    return out


def doc(digest):
    try:
        raw = open(F.blob_path(digest), "rb").read()
        return raw, json.loads(raw)
    except (OSError, ValueError):
        return b"", {}


def listed_children(repo, mans):
    """digest -> the indexes (present) that list it."""
    out = {}
    for d in mans:
        _, j = doc(d)
        for m in j.get("manifests") or [] if isinstance(j, dict) else []:
            if isinstance(m, dict) and m.get("digest"):
                out.setdefault(m["digest"], []).append(d)
    return out


def pushed_at(repo, digest, link):
    with F.LOCK:
        if (repo, digest) in PUSHED:
            return PUSHED[(repo, digest)]
    try:
        return os.path.getmtime(link)
    except OSError:
        return time.time()


def inventory(repo):
    """[{digest, tags, pushed, size, media_type, children}] for every manifest, by push time, newest first."""
    mans = manifests(repo)
    by = {}
    for t, d in tags(repo).items():
        by.setdefault(d, []).append(t)
    out = []
    for d, link in mans.items():
        raw, j = doc(d)
        j = j if isinstance(j, dict) else {}
        size = len(raw) + sum(int(x.get("size", 0)) for x in (j.get("layers") or []) + [j.get("config") or {}]
                              if isinstance(x, dict))
        out.append({"digest": d, "tags": sorted(by.get(d, [])), "pushed": pushed_at(repo, d, link), "size": size,
                    "media_type": j.get("mediaType", ""),
                    "children": [m.get("digest") for m in j.get("manifests") or [] if isinstance(m, dict)]})
    out.sort(key=lambda x: (-x["pushed"], x["digest"]))
    return out


def upstream_delete(repo, digest):
    conn = http.client.HTTPConnection(A().upstream, timeout=60)
    conn.request("DELETE", "/v2/%s/manifests/%s" % (repo, digest))
    r = conn.getresponse()
    r.read()
    conn.close()
    return r.status


def untag(repo, tag):
    d = os.path.join(repo_dir(repo), "_manifests/tags", tag)
    if "/" in tag or tag.startswith(".") or not os.path.isdir(d):
        return False
    shutil.rmtree(d, ignore_errors=True)
    return True


def iso(t, frac=True):
    s = datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return s + (".%06dZ" % int((t % 1) * 1e6) if frac else "Z")


def control_pushed(body):
    """POST /_front/pushed [{"repo", "ref" (tag or digest), "age_days" | "time"}]: sets push times."""
    items = json.loads(body or b"[]")
    for it in items:
        repo, ref = it["repo"], it["ref"]
        digest = ref if ref.startswith("sha256:") else tags(repo).get(ref)
        if not digest:
            return 404, {"error": "no such tag %s in %s" % (ref, repo)}
        t = it["time"] if "time" in it else time.time() - float(it["age_days"]) * 86400
        with F.LOCK:
            PUSHED[(repo, digest)] = t
    return 200, {"set": len(items)}


def over_limit():
    """api_rate_limit: true when this request is past it (counted either way)."""
    lim = int(F.knob("api_rate_limit"))
    with F.LOCK:
        API_COUNT[0] += 1
        n = API_COUNT[0]
    return lim > 0 and n > lim, lim, max(lim - n, 0)


def page_of(items, q, default):
    size = int(F.knob("api_page_size")) or int((q.get("page_size") or q.get("per_page") or [default])[0])
    page = int((q.get("page") or ["1"])[0])
    return items[(page - 1) * size: page * size], page, size, page * size < len(items)


# ------------------------------------------------------------------------------------------------
# Signature Version 4, verified as AWS documents it (IAM User Guide, "Create a signed AWS API
# request"; the elements of the Authorization header, "Signature Version 4 signing process")
def sigv4_expected(method, path, query, headers, signed, body, secret, date, region, service, amz_date):
    q = urllib.parse.parse_qsl(query, keep_blank_values=True)
    cq = "&".join("%s=%s" % (urllib.parse.quote(k, safe="-_.~"), urllib.parse.quote(v, safe="-_.~"))
                  for k, v in sorted(q))
    ch = ""
    for name in signed:
        vals = headers.get_all(name) or []
        ch += "%s:%s\n" % (name, ",".join(re.sub(r"\s+", " ", v.strip()) for v in vals))
    creq = "\n".join([method, urllib.parse.quote(path, safe="/-_.~"), cq, ch, ";".join(signed),
                      hashlib.sha256(body).hexdigest()])
    scope = "%s/%s/%s/aws4_request" % (date, region, service)
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])

    def h(k, m):
        return hmac.new(k, m.encode(), hashlib.sha256).digest()
    k = h(h(h(h(("AWS4" + secret).encode(), date), region), service), "aws4_request")
    return hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()


def aws_keys():
    """access key -> {"secret", "token"} from --aws-key AKID:SECRET[:TOKEN]."""
    out = {}
    for spec in A().aws_keys:
        ak, sk, *tok = spec.split(":", 2)
        out[ak] = {"secret": sk, "token": tok[0] if tok else None}
    return out


# ------------------------------------------------------------------------------------------------
class VendorAPIs:
    """The vendor API of the personality: a mixin of the front's handlers (the API host, and
    Harbor's /api/v2.0 on the front itself)."""

    def api_handle_any(self):
        self.tag = A().personality + "@api"
        self.nbytes = 0
        F.g["reload_state"]()
        body = self.read_body() if self.command in ("POST", "PUT", "PATCH") else b""
        self.nbytes = len(body)
        self.serve(body)

    def serve(self, body):
        p = A().personality
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        try:
            if p == "hub":
                return self.hub(u.path, q, body)
            if p == "ghcr":
                return self.github(u.path, q, body)
            if p == "ecr":
                return self.ecr(u, body)
            if p == "harbor":
                return self.harbor(u.path, q, body)
        except (KeyError, ValueError, TypeError) as e:
            return self.reply(400, {"message": "bad request: %s" % e})
        self.reply(404, {"message": "Not Found"})

    def reply(self, status, obj, extra=(), log_path=None, ctype="application/json"):
        data = json.dumps(obj).encode() if obj is not None else b""
        self.send(status, [("Content-Type", ctype)] + list(extra), data, log_path=log_path)

    def basic_user(self):
        a = self.headers.get("Authorization") or ""
        if not a.lower().startswith("basic "):
            return None
        try:
            un, pw = base64.b64decode(a[6:]).decode().split(":", 1)
        except (ValueError, UnicodeDecodeError):
            return None
        u = F.USERS.get(un)
        return un if u and hmac.compare_digest(u["password"], pw) else None

    def flags(self, user):
        return F.USERS.get(user, {}).get("flags", set()) if user else set()

    # -- Docker Hub API (docs.docker.com/reference/api/hub/latest) -------------------------
    def hub(self, path, q, body):
        if path == "/v2/auth/token" and self.command == "POST":
            j = json.loads(body or b"{}")
            un, sec = j.get("identifier", ""), j.get("secret", "")
            u = F.USERS.get(un)
            if not u or not hmac.compare_digest(u["password"], sec):
                return self.reply(401, {"detail": "Incorrect authentication credentials"})
            now = int(time.time())
            tok = F.make_jwt({"iss": "front-hub-api", "sub": un, "aud": "hub-api", "exp": now + 300, "iat": now})
            return self.reply(200, {"access_token": tok})
        limited, lim, left = over_limit()
        rl = [("X-RateLimit-Limit", str(lim)), ("X-RateLimit-Remaining", str(left)),
              ("X-RateLimit-Reset", str(int(time.time()) + 3600))] if lim else []
        if limited:   # Hub API rate limits: 429 with X-RateLimit-* (its reference, "Rate limiting")
            return self.reply(429, {"detail": "Rate limit exceeded"}, rl)
        m = re.match(r"^/v2/repositories/([^/]+)/([^/]+)/tags/?(?:([^/]+)/?)?$", path)
        if not m:
            return self.reply(404, {"message": "page not found"}, rl)
        repo, tag = "%s/%s" % (m.group(1), m.group(2)), m.group(3)
        user = None
        a = self.headers.get("Authorization") or ""
        if a.lower().startswith("bearer "):
            c = F.read_jwt(a[7:].strip())
            if not c or c.get("aud") != "hub-api":
                return self.reply(401, {"detail": "Authentication credentials were not provided."}, rl)
            user = c["sub"]
        if self.command == "GET" and not tag:
            results = []
            for img in inventory(repo):
                for t in img["tags"]:
                    results.append({"name": t, "digest": img["digest"], "full_size": img["size"],
                                    "media_type": img["media_type"], "content_type": "image",
                                    "tag_status": "active", "last_updated": iso(img["pushed"]),
                                    "tag_last_pushed": iso(img["pushed"]), "last_pushed": iso(img["pushed"]),
                                    "images": []})
            results.sort(key=lambda r: (r["last_updated"], r["name"]), reverse=True)
            items, page, size, more = page_of(results, q, "10")
            nxt = None
            if more:
                nq = dict((k, v[0]) for k, v in q.items())
                nq.update(page=str(page + 1), page_size=str(size))
                nxt = "http://%s%s?%s" % (self.headers.get("Host"), path, urllib.parse.urlencode(nq))
            return self.reply(200, {"count": len(results), "next": nxt, "previous": None, "results": items}, rl)
        if self.command == "DELETE" and tag:
            if not user:
                return self.reply(401, {"detail": "Authentication credentials were not provided."}, rl)
            if "pull" in self.flags(user) or not repo.startswith(user + "/"):
                return self.reply(403, {"detail": "You do not have permission to perform this action."}, rl)
            if not untag(repo, tag):
                return self.reply(404, {"message": "tag not found"}, rl)
            return self.send(204, rl, b"")
        return self.reply(405, {"detail": "Method not allowed"}, rl)

    # -- GitHub REST API, packages (docs.github.com/rest/packages) -------------------------
    def gh_user(self):
        a = self.headers.get("Authorization") or ""
        tok = a.split(" ", 1)[1].strip() if " " in a else ""
        for name, u in F.USERS.items():
            if tok and hmac.compare_digest(u["password"], tok):
                return name
        return None

    def github(self, path, q, body):
        user = self.gh_user()
        lim_hit, lim, left = over_limit()
        hdrs = [("X-GitHub-Api-Version-Selected", "2022-11-28"),
                ("X-RateLimit-Limit", str(lim or 5000)), ("X-RateLimit-Remaining", str(left if lim else 4999)),
                ("X-RateLimit-Reset", str(int(time.time()) + 3600))]
        if user and "fine" not in self.flags(user):   # a classic token states its scopes
            hdrs.append(("X-OAuth-Scopes", "read:packages" if "pull" in self.flags(user)
                         else "delete:packages, read:packages, write:packages"))
        if not user:
            return self.reply(401, {"message": "Bad credentials", "documentation_url":
                                    "https://docs.github.com/rest"}, hdrs)
        if lim_hit:   # primary rate limit: 403 with x-ratelimit-remaining 0 (REST API docs, "Rate limits")
            return self.reply(403, {"message": "API rate limit exceeded for user ID 1.", "documentation_url":
                                    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}, hdrs)
        m = re.match(r"^/users/([^/]+)$", path)
        if m:
            owner = m.group(1)
            return self.reply(200, {"login": owner, "id": 1, "type": "User" if owner == "alice"
                                    else "Organization"}, hdrs)
        m = re.match(r"^/(orgs|users)/([^/]+)/packages/container/([^/]+)/versions(?:/(\d+))?$", path)
        if not m:
            return self.reply(404, {"message": "Not Found"}, hdrs)
        kind, owner, pkg, vid = m.group(1), m.group(2), urllib.parse.unquote(m.group(3)), m.group(4)
        if (kind == "users") != (owner == "alice"):
            return self.reply(404, {"message": "Not Found"}, hdrs)
        repo = "%s/%s" % (owner, pkg)
        inv = inventory(repo)
        if not inv:
            return self.reply(404, {"message": "Package not found."}, hdrs)
        versions = []
        with F.LOCK:
            for img in inv:
                key = (repo, img["digest"])
                if key not in VERSION_IDS:
                    NEXT_ID[0] += 1
                    VERSION_IDS[key] = NEXT_ID[0]
                versions.append((VERSION_IDS[key], img))
        if self.command == "GET" and not vid:
            out = [{"id": i, "name": img["digest"], "url": "", "package_html_url": "",
                    "created_at": iso(img["pushed"], False), "updated_at": iso(img["pushed"], False),
                    "html_url": "", "metadata": {"package_type": "container",
                                                 "container": {"tags": img["tags"]}}} for i, img in versions]
            items, page, size, more = page_of(out, q, "30")
            extra = list(hdrs)
            if more:
                nq = dict((k, v[0]) for k, v in q.items())
                nq.update(page=str(page + 1), per_page=str(size))
                host = self.headers.get("Host")
                if F.knob("api_next") == "loop":
                    nq.update(page=str(page))
                elif F.knob("api_next") == "foreign":
                    host = "127.0.0.3:" + host.rsplit(":", 1)[1]
                extra.append(("Link", '<http://%s%s?%s>; rel="next"' % (host, path, urllib.parse.urlencode(nq))))
            return self.reply(200, items, extra)
        if self.command == "DELETE" and vid:
            hit = [img for i, img in versions if str(i) == vid]
            if not hit:
                return self.reply(404, {"message": "Package version not found."}, hdrs)
            if "pull" in self.flags(user) or owner != user and kind == "users":
                return self.reply(403, {"message": "You need admin permissions on this package to delete it.",
                                        "documentation_url": "https://docs.github.com/rest/packages"}, hdrs)
            img = hit[0]
            if len(versions) == 1:   # SmartsquareGmbH/delete-old-packages#33
                return self.reply(400, {"message": "You cannot delete the last version of a package. You must "
                                        "delete the package instead."}, hdrs)
            if img["tags"] and not [1 for _, o in versions if o is not img and o["tags"]]:
                # kairos-io/kairos#4723: the last tagged version
                return self.reply(400, {"message": "You cannot delete the last tagged version of a package. "
                                        "You must delete the package instead."}, hdrs)
            upstream_delete(repo, img["digest"])
            return self.send(204, hdrs, b"")
        return self.reply(404, {"message": "Not Found"}, hdrs)

    # -- ECR API (Amazon ECR API Reference; JSON 1.1; SigV4) -------------------------------
    def aws_error(self, status, typ, msg):
        return self.send(status, [("Content-Type", "application/x-amz-json-1.1"),
                                  ("x-amzn-RequestId", "00000000-0000-0000-0000-000000000000")],
                         json.dumps({"__type": typ, "message": msg}).encode(), log_path=self.ecr_log)

    def ecr(self, u, body):
        target = self.headers.get("X-Amz-Target", "")
        op = target.split(".", 1)[1] if target.startswith("AmazonEC2ContainerRegistry_V20150921.") else ""
        self.ecr_log = "%s#%s" % (u.path, op or "?")
        if self.command != "POST" or u.path != "/":
            return self.aws_error(404, "UnknownOperationException", "")
        # the signature, checked before anything else (as AWS does)
        auth = self.headers.get("Authorization") or ""
        m = re.match(r"^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                     r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$", auth)
        if not m:
            return self.aws_error(400, "MissingAuthenticationTokenException" if not auth else
                                  "IncompleteSignatureException", "Authorization header requires 'Credential', "
                                  "'Signature' and 'SignedHeaders' parameters")
        ak, date, region, service, signed, sig = m.groups()
        keys = aws_keys()
        if ak not in keys:
            return self.aws_error(400, "UnrecognizedClientException",
                                  "The security token included in the request is invalid.")
        amz = self.headers.get("X-Amz-Date", "")
        try:
            t = datetime.datetime.strptime(amz, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            return self.aws_error(400, "IncompleteSignatureException", "missing or bad X-Amz-Date")
        if abs(t.timestamp() - time.time()) > 300 or amz[:8] != date:
            return self.aws_error(400, "InvalidSignatureException", "Signature expired: %s is now earlier "
                                  "than the allowed window" % amz)
        sl = signed.split(";")
        if "host" not in sl or "x-amz-date" not in sl or region != A().aws_region or service != "ecr":
            return self.aws_error(400, "InvalidSignatureException", "Credential should be scoped to a valid "
                                  "region and service, and host and x-amz-date signed")
        tok = keys[ak]["token"]
        if tok and (self.headers.get("X-Amz-Security-Token") != tok or "x-amz-security-token" not in sl):
            return self.aws_error(400, "UnrecognizedClientException",
                                  "The security token included in the request is invalid.")
        want = sigv4_expected("POST", u.path, u.query, self.headers, sl, body, keys[ak]["secret"], date, region,
                              service, amz)
        if not hmac.compare_digest(want, sig):
            return self.aws_error(400, "InvalidSignatureException", "The request signature we calculated does "
                                  "not match the signature you provided. Check your AWS Secret Access Key and "
                                  "signing method. Consult the service documentation for details.")
        if op in F.knob("ecr_deny"):
            return self.aws_error(400, "AccessDeniedException", "User: arn:aws:iam::%s:user/ci is not authorized "
                                  "to perform: ecr:%s on resource: arn:aws:ecr:%s:%s:repository/%s because no "
                                  "identity-based policy allows the ecr:%s action" % (
                                      AWS_ACCOUNT, op, region, AWS_ACCOUNT,
                                      json.loads(body or b"{}").get("repositoryName", "*"), op))
        limited, _, _ = over_limit()
        if limited:
            return self.aws_error(400, "ThrottlingException", "Rate exceeded")
        req = json.loads(body or b"{}")
        if req.get("registryId") not in (None, AWS_ACCOUNT):
            return self.aws_error(400, "RegistryNotFoundException", "registry %s not found" % req["registryId"])
        if op == "GetAuthorizationToken":
            pw = F.mint_password()
            tok = base64.b64encode(("AWS:" + pw).encode()).decode()
            return self.aws_ok({"authorizationData": [{
                "authorizationToken": tok, "expiresAt": time.time() + int(F.knob("password_lifetime")),
                "proxyEndpoint": "https://%s.dkr.ecr.%s.amazonaws.com" % (AWS_ACCOUNT, region)}]})
        repo = req.get("repositoryName", "")
        if op == "DescribeImages":
            inv = inventory(repo)
            if not inv:
                return self.aws_error(400, "RepositoryNotFoundException", "The repository with name '%s' does "
                                      "not exist in the registry with id '%s'" % (repo, AWS_ACCOUNT))
            mx = int(F.knob("api_page_size")) or int(req.get("maxResults", 100))
            start = int(req["nextToken"]) if req.get("nextToken") else 0
            page = inv[start:start + mx]
            out = {"imageDetails": [dict({"registryId": AWS_ACCOUNT, "repositoryName": repo,
                                          "imageDigest": img["digest"], "imageSizeInBytes": img["size"],
                                          "imagePushedAt": img["pushed"],
                                          "imageManifestMediaType": img["media_type"]},
                                         **({"imageTags": img["tags"]} if img["tags"] else {}))
                                    for img in page]}
            if start + mx < len(inv):
                out["nextToken"] = str(start + mx)
            return self.aws_ok(out)
        if op == "BatchDeleteImage":
            deleted, failures = [], []
            for iid in req.get("imageIds", []):
                inv = {i["digest"]: i for i in inventory(repo)}
                kids = listed_children(repo, inv)
                d, t = iid.get("imageDigest"), iid.get("imageTag")
                if t and not d:
                    d = tags(repo).get(t)
                    if not d:
                        failures.append({"imageId": iid, "failureCode": "ImageNotFound",
                                         "failureReason": "Requested image not found"})
                        continue
                    untag(repo, t)
                    # "When you remove the last tag from an image, the image is deleted" (the API reference)
                    if not inv[d]["tags"][1:] and d not in kids:
                        upstream_delete(repo, d)
                    deleted.append({"imageDigest": d, "imageTag": t})
                    continue
                if d not in inv:
                    failures.append({"imageId": iid, "failureCode": "ImageNotFound",
                                     "failureReason": "Requested image not found"})
                elif d in kids:
                    failures.append({"imageId": iid, "failureCode": "ImageReferencedByManifestList",
                                     "failureReason": "Requested image referenced by manifest list: %s" %
                                     kids[d]})
                else:
                    upstream_delete(repo, d)
                    deleted.append({"imageDigest": d})
            return self.aws_ok({"imageIds": deleted, "failures": failures})
        return self.aws_error(400, "UnknownOperationException", "unknown operation %s" % op)

    def aws_ok(self, obj):
        self.send(200, [("Content-Type", "application/x-amz-json-1.1")], json.dumps(obj).encode(),
                  log_path=self.ecr_log)

    # -- Harbor API v2.0 (goharbor/harbor api/v2.0/swagger.yaml) ----------------------------
    def harbor(self, path, q, body):
        m = re.match(r"^/api/v2\.0/projects/([^/]+)/repositories/([^/]+)/artifacts(?:/([^/]+)(?:/tags/([^/]+))?)?$",
                     path)
        if not m:
            return self.reply(404, {"errors": [{"code": "NOT_FOUND", "message": "not found"}]})
        project = m.group(1)
        name = urllib.parse.unquote(urllib.parse.unquote(m.group(2)))   # a%252Fb: encoded twice
        ref, tag = m.group(3), m.group(4)
        repo = "%s/%s" % (project, name)
        user = self.basic_user()
        if (self.headers.get("Authorization") and not user) or not user:
            return self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "unauthorized"}]})
        robot_other = user.startswith("robot$") and not user.startswith("robot$%s+" % project)
        if robot_other:
            return self.reply(403, {"errors": [{"code": "FORBIDDEN", "message": "forbidden"}]})
        inv = inventory(repo)
        kids = listed_children(repo, {i["digest"]: 1 for i in inv})
        if self.command == "GET" and not ref:
            arts = [{"id": 1 + k, "digest": img["digest"], "size": img["size"], "push_time": iso(img["pushed"]),
                     "pull_time": "0001-01-01T00:00:00.000Z", "type": "IMAGE", "media_type": img["media_type"],
                     "manifest_media_type": img["media_type"], "project_id": 1, "repository_name": repo,
                     "tags": [{"name": t, "push_time": iso(img["pushed"]), "immutable": False}
                              for t in img["tags"]] or None,
                     "references": [{"child_digest": c, "parent_id": 1 + k} for c in img["children"]] or None}
                    for k, img in enumerate(inv) if img["digest"] not in kids]
            items, page, size, more = page_of(arts, q, "10")
            extra = [("X-Total-Count", str(len(arts)))]
            if more:
                nq = dict((k, v[0]) for k, v in q.items())
                nq.update(page=str(page + 1), page_size=str(size))
                extra.append(("Link", '<%s?%s>; rel="next"' % (urllib.parse.urlsplit(self.path).path,
                                                               urllib.parse.urlencode(nq))))
            return self.reply(200, items, extra)
        if self.command == "DELETE":
            if "pull" in self.flags(user):
                return self.reply(403, {"errors": [{"code": "FORBIDDEN", "message": "forbidden"}]})
            digest = ref if ref and ref.startswith("sha256:") else tags(repo).get(ref or "")
            if not digest or digest not in {i["digest"] for i in inv}:
                return self.reply(404, {"errors": [{"code": "NOT_FOUND", "message": "artifact %s:%s not found"
                                                    % (repo, ref)}]})
            if tag:
                if tags(repo).get(tag) != digest or not untag(repo, tag):
                    return self.reply(404, {"errors": [{"code": "NOT_FOUND", "message": "tag %s not found"
                                                        % tag}]})
                return self.send(200, [], b"")
            children = next((i["children"] for i in inv if i["digest"] == digest), [])
            upstream_delete(repo, digest)
            # Harbor deletes the manifests an index references with it, unless something else keeps them
            left = listed_children(repo, manifests(repo))
            tagged = set(tags(repo).values())
            for c in children:
                if c not in left and c not in tagged:
                    upstream_delete(repo, c)
            return self.send(200, [], b"")
        return self.reply(405, {"errors": [{"code": "METHOD_NOT_ALLOWED", "message": "method not allowed"}]})

