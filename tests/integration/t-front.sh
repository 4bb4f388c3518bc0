#!/bin/bash
# The registry personalities themselves (tests/tools/registry-front.py, front_start in
# lib-registry.sh): each one's key behaviours, checked with curl and skopeo, so that the tests
# of winch against them stand on an emulator that does what registry-front.md says.
. "$(dirname "$0")/lib.sh"

IMG=$WORK/img
python3 "$TOP/tests/tools/mkimage.py" "$IMG" v1 --layers 2 --size 60000 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$IMG" v2 --layers 1 --size 50000 --seed 7 > /dev/null
# a 6 MiB blob: above GHCR's 4 MiB chunk limit and ECR's 5 MiB part minimum
python3 -c 'import random,sys; sys.stdout.buffer.write(random.Random(5).randbytes(6 << 20))' > "$WORK/big"
head -c 5242880 "$WORK/big" > "$WORK/big.a"
tail -c +5242881 "$WORK/big" > "$WORK/big.b"
head -c 1048576 "$WORK/big" > "$WORK/big.1m"
tail -c +1048577 "$WORK/big" > "$WORK/big.5m"
BIGD=sha256:$(sha256sum "$WORK/big" | cut -d' ' -f1)
printf '{}' > "$WORK/empty"
: > "$WORK/none"
EMPTYD=sha256:$(sha256sum "$WORK/empty" | cut -d' ' -f1)
C="curl -s -H Expect:"

# the token endpoint of each personality, as its challenge names it
realm() {
	case $FRONT_NAME in
	hub) echo "http://$FRONT_TOKEN/token?service=registry.docker.io" ;;
	ghcr) echo "http://$FRONT/token?service=ghcr.io" ;;
	gar) echo "http://$FRONT/v2/token?service=$FRONT" ;;
	gcr) echo "http://$FRONT/v2/token?service=gcr.io" ;;
	acr) echo "http://$FRONT/oauth2/token?service=$FRONT" ;;
	quay) echo "http://$FRONT/v2/auth?service=$FRONT" ;;
	harbor) echo "http://$FRONT/service/token?service=harbor-registry" ;;
	esac
}
# tok SCOPE [USER:PASS]: a bearer token
tok() {
	$C ${2:+-u "$2"} "$(realm)&scope=$1" | json 'd.get("token") or d.get("access_token") or ""'
}
# authz SCOPE [USER:PASS]: the Authorization header for the current personality
authz() {
	if [ "$FRONT_NAME" = ecr ]; then
		echo "Authorization: Basic $(printf %s "${2:-$FRONT_USER:$FRONT_PASS}" | base64 -w0)"
	else
		echo "Authorization: Bearer $(tok "$1" "${2:-$FRONT_USER:$FRONT_PASS}")"
	fi
}
code() { $C -o /dev/null -w '%{http_code}' "$@"; }
# start_upload REPO AUTH: prints the upload URL (absolute)
start_upload() {
	loc=$($C -D - -o /dev/null -X POST -H "$2" "http://$FRONT/v2/$1/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
	case $loc in /*) loc=http://$FRONT$loc ;; esac
	echo "$loc"
}
# send METHOD URL FILE AUTH [CONTENT-RANGE]: status in $ST, headers in $WORK/h, body in $WORK/b,
# the next upload URL in $LOC
send() {
	ST=$($C -D "$WORK/h" -o "$WORK/b" -w '%{http_code}' -X "$1" -H "$4" -H 'Content-Type: application/octet-stream' \
		${5:+-H "Content-Range: $5"} --data-binary @"$3" "$2")
	LOC=$(tr -d '\r' < "$WORK/h" | sed -n 's/^[Ll]ocation: //p')
	case $LOC in /*) LOC=http://$FRONT$LOC ;; esac
}
hdr() { tr -d '\r' < "$WORK/h" | sed -n "s/^$1: //Ip"; }
digest_of() { sha256sum "$1" | cut -d' ' -f1; }
# put_manifest REPO REF FILE MEDIATYPE AUTH: status in $ST, headers in $WORK/h
put_manifest() {
	ST=$($C -D "$WORK/h" -o "$WORK/b" -w '%{http_code}' -X PUT -H "$5" -H "Content-Type: $4" --data-binary @"$3" \
		"http://$FRONT/v2/$1/manifests/$2")
}
# a referrer of the manifest FILE (an artifact with the empty config, pointing at it)
referrer_of() { # MANIFEST-FILE MEDIATYPE OUT
	python3 - "$1" "$2" "$EMPTYD" > "$3" <<'PY'
import hashlib, json, sys
raw = open(sys.argv[1], "rb").read()
e = {"mediaType": "application/vnd.oci.empty.v1+json", "digest": sys.argv[3], "size": 2}
print(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "artifactType": "application/vnd.example.sbom", "config": e, "layers": [e],
                  "annotations": {"org.example": "yes"},
                  "subject": {"mediaType": sys.argv[2], "digest": "sha256:" + hashlib.sha256(raw).hexdigest(),
                              "size": len(raw)}}), end="")
PY
}
MAN=$IMG/blobs/sha256/$(json 'd["manifests"][0]["digest"].split(":")[1]' < "$IMG/index.json")
OCIM=application/vnd.oci.image.manifest.v1+json
MAND=sha256:$(digest_of "$MAN")

# ---------------------------------------------------------------- Docker Hub
front_start hub || fail "hub front started"
seed "$IMG" v1 library/app:v1
seed "$IMG" v1 alice/app:v1
run $C -D - -o /dev/null "http://$FRONT/v2/"
contains "hub: /v2/ challenges with the realm on another host" "$OUT" "Bearer realm=\"http://$FRONT_TOKEN/token\",service=\"registry.docker.io\""
ANON=$($C "$(realm)&scope=repository:library/app:pull")
same "hub: anonymous pull tokens" "$(json 'd["expires_in"]' <<< "$ANON")" 300
T=$(json 'd["token"]' <<< "$ANON")
A="Authorization: Bearer $T"
run $C -D - -o /dev/null -H "$A" -H "Accept: $OCIM" "http://$FRONT/v2/library/app/manifests/v1"
contains "hub: rate-limit headers on a manifest GET" "$OUT" "ratelimit-limit: 100;w=21600"
contains "... remaining counts the GET" "$OUT" "ratelimit-remaining: 99;w=21600"
contains "... and the source is the client's address" "$OUT" "docker-ratelimit-source: 127.0.0.1"
run $C -I -H "$A" -H "Accept: $OCIM" "http://$FRONT/v2/library/app/manifests/v1"
contains "hub: a HEAD does not count" "$OUT" "ratelimit-remaining: 99;w=21600"
front_state '{"ratelimit_empty": 1}' > /dev/null
run $C -I -H "$A" -H "Accept: $OCIM" "http://$FRONT/v2/library/app/manifests/v1"
contains "hub: sometimes the values are empty" "$OUT" "ratelimit-limit: ;w=21600"
front_state '{"quota_remaining": 0}' > /dev/null
run $C -H "$A" -H "Accept: $OCIM" "http://$FRONT/v2/library/app/manifests/v1"
contains "hub: 429 TOOMANYREQUESTS when the quota is spent" "$OUT" '"code": "TOOMANYREQUESTS"'
same "... while a HEAD still answers" "$(code -I -H "$A" -H "Accept: $OCIM" "http://$FRONT/v2/library/app/manifests/v1")" 200
PRO="Authorization: Bearer $(tok repository:library/app:pull "$FRONT_ADMIN_USER:$FRONT_ADMIN_PASS")"
run $C -D - -o /dev/null -H "$PRO" -H "Accept: $OCIM" "http://$FRONT/v2/library/app/manifests/v1"
lacks "hub: no rate-limit headers for an unlimited account" "$OUT" "ratelimit-limit"
front_state '{"quota_remaining": 100}' > /dev/null
run $C -D - -o /dev/null "http://$FRONT/v2/_catalog"
contains "hub: _catalog asks for registry:catalog:*" "$OUT" 'scope="registry:catalog:*"'
CT=$(tok 'registry:catalog:*' "$FRONT_USER:$FRONT_PASS")
run $C -D - -o /dev/null -H "Authorization: Bearer $CT" "http://$FRONT/v2/_catalog"
contains "... which is never granted" "$OUT" 'error="insufficient_scope"'
LAYER=$(json 'd["layers"][0]["digest"]' < "$MAN")
run $C -D - -o /dev/null -H "$A" "http://$FRONT/v2/library/app/blobs/$LAYER"
contains "hub: a blob GET redirects to the CDN host" "$OUT" "Location: http://$FRONT_CDN/registry-v2/docker/registry/v2/blobs/sha256/"
CDNURL=$(printf %s "$OUT" | tr -d '\r' | sed -n 's/^Location: //p')
same "... which serves it without credentials" "sha256:$($C "$CDNURL" | sha256sum | cut -d' ' -f1)" "$LAYER"
same "... refuses credentials sent along" "$(code -H "$A" "$CDNURL")" 400
same "... and a forged signature" "$(code "${CDNURL%?verify=*}?verify=9999999999-00")" 403
same "... and answers a Range" "$($C -H 'Range: bytes=10-19' "$CDNURL" | wc -c)" 10
PUSH="Authorization: Bearer $(tok repository:alice/app:pull,push,delete "$FRONT_USER:$FRONT_PASS")"
run $C -X DELETE -H "$PUSH" "http://$FRONT/v2/alice/app/manifests/$MAND"
contains "hub: no registry-API DELETE (405 UNSUPPORTED)" "$OUT" '"code": "UNSUPPORTED"'
same "... and delete is never granted: a pull token gets 401" "$(code -X DELETE -H "$A" "http://$FRONT/v2/library/app/manifests/$MAND")" 401
same "hub: a name without library/ is granted nothing" "$($C "$(realm)&scope=repository:app:pull" | json 'd["token"]' | cut -d. -f2 | tr '_-' '/+' | base64 -d 2>/dev/null | json 'd["access"][0]["actions"]')" "[]"
run $C -D - -o /dev/null "http://$FRONT/v2/library/app/manifests/v1"
contains "hub: a 401 on a manifest names the rate-limit source" "$OUT" "docker-ratelimit-source: 127.0.0.1"
same "hub: push only to one's own namespace" "$(tok repository:library/app:push "$FRONT_USER:$FRONT_PASS" | cut -d. -f2 | tr '_-' '/+' | base64 -d 2>/dev/null | json 'd["access"][0]["actions"]')" "[]"
expect 0 "hub: skopeo copies in and out" skopeo copy -q --all $FRONT_SKOPEO_DEST "oci:$IMG:v2" "docker://$FRONT/alice/app:v2"
expect 0 "... and back" skopeo copy -q $FRONT_SKOPEO_SRC "docker://$FRONT/alice/app:v2" "oci:$WORK/hubout:v2"
same "... its blob GETs went to the CDN" "$(($(front_count '^hub@cdn GET .* auth=no status=200') > 2))" 1
same "... never with credentials" "$(front_count '^hub@cdn GET .* auth=(basic|bearer) status=200')" 0
python3 -c 'import json; print(json.dumps({"schemaVersion": 2, "layers": [], "pad": "x" * (5 << 20)}))' > "$WORK/huge"
put_manifest alice/app huge "$WORK/huge" "$OCIM" "$PUSH"
same "hub: a manifest over 4 MiB is refused as Hub does (400 MANIFEST_INVALID)" "$ST $(json 'd["errors"][0]["code"]' < "$WORK/b")" "400 MANIFEST_INVALID"
reg_stop_all

# ---------------------------------------------------------------- GHCR
front_start ghcr || fail "ghcr front started"
seed "$IMG" v1 alice/app:v1
run $C -D - -o /dev/null "http://$FRONT/v2/"
contains "ghcr: the realm is ghcr.io/token on the registry's host" "$OUT" "Bearer realm=\"http://$FRONT/token\",service=\"ghcr.io\""
same "ghcr: anonymous token exchange, a bare {token}" "$($C "$(realm)&scope=repository:alice/app:pull" | json 'sorted(d)')" '["token"]'
A=$(authz repository:alice/app:pull,push)
U=$(start_upload alice/app "$A")
case $U in "http://$FRONT/v2/alice/app/blobs/uploads/"*) pass "ghcr: relative Location (made absolute here)" ;; *) fail "ghcr: upload location" "$U" ;; esac
send PATCH "$U" "$WORK/big" "$A" "0-6291455"
same "ghcr: a 6 MiB PATCH with Content-Range is refused 416" "$ST" 416
contains "... exceeds 4.00MiB" "$(cat "$WORK/b")" "exceeds the maximum permissible limit of 4.00MiB"
send PATCH "$U" "$WORK/big" "$A"
same "ghcr: one streamed 6 MiB PATCH goes through" "$ST" 202
send PATCH "$LOC" "$WORK/big" "$A"
same "ghcr: a second 6 MiB PATCH of the session is refused" "$ST" 416
U=$(start_upload alice/app "$A")
send PUT "$U&digest=$BIGD" "$WORK/big" "$A"
same "ghcr: one PUT of a 6 MiB blob goes through" "$ST" 201
same "ghcr: no _catalog" "$(code -H "$(authz 'registry:catalog:*')" "http://$FRONT/v2/_catalog")" 404
run $C -X DELETE -H "$A" "http://$FRONT/v2/alice/app/manifests/$MAND"
contains "ghcr: no registry-API DELETE" "$OUT" '"code": "UNSUPPORTED"'
run $C -D - -o /dev/null -H "$A" "http://$FRONT/v2/alice/app/referrers/$MAND"
contains "ghcr: /referrers answers 303 to another host" "$OUT" "Location: http://$FRONT_CDN/-/v2/packages/container/package/alice%2Fapp%2Freferrers%2Fsha256"
same "... which is rate limited" "$(code "$(printf %s "$OUT" | tr -d '\r' | sed -n 's/^Location: //p')")" 429
expect 0 "ghcr: skopeo copies in" skopeo copy -q $FRONT_SKOPEO_DEST "oci:$IMG:v2" "docker://$FRONT/alice/app:v2"
expect 0 "... and out" skopeo copy -q $FRONT_SKOPEO_SRC "docker://$FRONT/alice/app:v2" "oci:$WORK/ghcrout:v2"
reg_stop_all

# ---------------------------------------------------------------- ECR
front_start ecr || fail "ecr front started"
seed "$IMG" v1 app:v1
run $C -D - -o /dev/null "http://$FRONT/v2/"
contains "ecr: Basic auth, no token server" "$OUT" 'WWW-Authenticate: Basic realm='
A=$(authz)
same "ecr: user AWS and the password answer" "$(code -H "$A" "http://$FRONT/v2/")" 200
U=$(start_upload app "$A")
send PATCH "$U" "$WORK/big.a" "$A" "0-5242879"
same "ecr: a PATCH answers 201" "$ST" 201
same "... Range after the first" "$(hdr Range)" "0-5242879"
send PATCH "$LOC" "$WORK/big.b" "$A" "5242880-6291455"
same "ecr: Range stops advancing after the second PATCH" "$ST $(hdr Range)" "201 0-5242879"
send PUT "$LOC&digest=$BIGD" "$WORK/none" "$A"
same "ecr: 5 MiB + 1 MiB parts make the blob" "$ST" 201
U=$(start_upload app "$A")
send PATCH "$U" "$WORK/big.1m" "$A" "0-1048575"
send PATCH "$LOC" "$WORK/big.5m" "$A" "1048576-6291455"
send PUT "$LOC&digest=$BIGD" "$WORK/none" "$A"
same "ecr: a part under 5 MiB but the last is refused" "$ST" 400
U=$(start_upload app "$A")
send PATCH "$U" "$WORK/big.a" "$A" "0-5242879"
send PATCH "$LOC" "$WORK/big.b" "$A" "5242880-6291455"
send PATCH "$LOC" "$WORK/big.b" "$A" "5242880-6291455"
same "ecr: a chunk resent at the stuck Range's offset gets 416" "$ST" 416
OLD=$FRONT_PASS
NEW=$($C -X POST "http://$FRONT/_front/rotate" | json 'd["Secret"]')
same "ecr: a rotated password works" "$(code -u "AWS:$NEW" "http://$FRONT/v2/")" 200
same "... and the old one still does until it expires" "$(code -u "AWS:$OLD" "http://$FRONT/v2/")" 200
$C -X POST "http://$FRONT/_front/expire" > /dev/null
run $C -u "AWS:$OLD" "http://$FRONT/v2/app/tags/list"
contains "ecr: an expired password is refused" "$OUT" "Your authorization token has expired"
same "... with 403" "$(code -u "AWS:$OLD" "http://$FRONT/v2/")" 403
front_state '{"password_lifetime": 1}' > /dev/null
SHORT=$($C -X POST "http://$FRONT/_front/rotate" | json 'd["Secret"]')
same "ecr: a password with a 1 s lifetime works" "$(code -u "AWS:$SHORT" "http://$FRONT/v2/")" 200
sleep 1.2
same "... and is refused once it has expired" "$(code -u "AWS:$SHORT" "http://$FRONT/v2/")" 403
front_state '{"password_lifetime": 43200}' > /dev/null
HELPED=$(echo "$FRONT" | "$FRONT_HELPER/docker-credential-front" get | json 'd["Secret"]')
same "ecr: the credential helper hands out a fresh one" "$(code -u "AWS:$HELPED" "http://$FRONT/v2/")" 200
A="Authorization: Basic $(printf %s "AWS:$HELPED" | base64 -w0)"
front_state '{"immutable": ["app"]}' > /dev/null
put_manifest app v1 "$MAN" "$OCIM" "$A"
same "ecr: an immutable tag is not moved (400 TAG_INVALID)" "$ST $(json 'd["errors"][0]["code"]' < "$WORK/b")" "400 TAG_INVALID"
contains "... with ECR's message" "$(cat "$WORK/b")" "already exists in the 'app' repository and cannot be overwritten because the tag is immutable"
front_state '{"immutable": []}' > /dev/null
same "ecr: _catalog with n above 1000 is refused" "$(code -H "$A" "http://$FRONT/v2/_catalog?n=2000")" 400
same "... and answers below" "$(code -H "$A" "http://$FRONT/v2/_catalog?n=10")" 200
U=$(start_upload app "$A")
send PUT "$U&digest=$EMPTYD" "$WORK/empty" "$A"
referrer_of "$MAN" "$OCIM" "$WORK/ref.json"
put_manifest app "sha256:$(digest_of "$WORK/ref.json")" "$WORK/ref.json" "$OCIM" "$A"
same "ecr: OCI-Subject on a manifest with subject" "$ST $(hdr OCI-Subject)" "201 $MAND"
same "... yet no referrers API" "$(code -H "$A" "http://$FRONT/v2/app/referrers/$MAND")" 404
referrer_of "$IMG/index.json" application/vnd.oci.image.index.v1+json "$WORK/ref2.json"
put_manifest app "sha256:$(digest_of "$WORK/ref2.json")" "$WORK/ref2.json" "$OCIM" "$A"
same "ecr: a referrer of an index is refused 405" "$ST" 405
expect 0 "ecr: skopeo copies in (one streamed PATCH, answered 201)" \
	skopeo copy -q --dest-tls-verify=false --dest-creds "AWS:$HELPED" "oci:$IMG:v2" "docker://$FRONT/app:v2"
same "ecr: the registry DELETE by digest works" "$(code -X DELETE -H "$A" "http://$FRONT/v2/app/manifests/$MAND")" 202
reg_stop_all

# ---------------------------------------------------------------- Artifact Registry, GCR
front_start gar || fail "gar front started"
seed "$IMG" v1 proj/repo/app:v1
run $C -D - -o /dev/null "http://$FRONT/v2/"
contains "gar: /v2/ names the realm but no service" "$OUT" "Bearer realm=\"http://$FRONT/v2/token\""
lacks "... (no service=)" "$OUT" "service="
same "gar: user oauth2accesstoken gets a token" "$($C -u "$FRONT_USER:$FRONT_PASS" "$(realm)&scope=repository:proj/repo/app:pull" | json 'd["access_token"] != ""')" true
A=$(authz repository:proj/repo/app:pull,push,delete)
U=$(start_upload proj/repo/app "$A")
send PATCH "$U" "$WORK/big.a" "$A" "0-5242879"
same "gar: a chunk (PATCH with Content-Range) is refused" "$ST" 400
contains "... with Google's HTML page" "$(hdr Content-Type)" "text/html"
U=$(start_upload proj/repo/app "$A")
send PUT "$U&digest=$BIGD" "$WORK/big" "$A"
same "gar: a monolithic PUT goes through" "$ST" 201
expect 0 "gar: skopeo copies in (one streamed PATCH)" skopeo copy -q $FRONT_SKOPEO_DEST "oci:$IMG:v2" "docker://$FRONT/proj/repo/app:v2"
run $C -X DELETE -H "$A" "http://$FRONT/v2/proj/repo/app/manifests/$MAND"
contains "gar: a digest DELETE while a tag points at it is refused" "$OUT" "GOOGLE_MANIFEST_DANGLING_TAG"
same "... a tag DELETE untags" "$(code -X DELETE -H "$A" "http://$FRONT/v2/proj/repo/app/manifests/v1")" 202
same "... then the digest goes" "$(code -X DELETE -H "$A" "http://$FRONT/v2/proj/repo/app/manifests/$MAND")" 202
$C -X POST "http://$FRONT/_front/expire" > /dev/null
same "gar: an expired access token is refused by the token endpoint" "$(code -u "$FRONT_USER:$FRONT_PASS" "$(realm)&scope=repository:proj/repo/app:pull")" 401
reg_stop_all
FRONT_KNOBS='{"password_lifetime": 7}' front_start gcr || fail "gcr front started"
same "FRONT_KNOBS: the front starts with them" "$($C "http://$FRONT/_front/state" | json 'd["password_lifetime"]')" 7
run $C -D - -o /dev/null "http://$FRONT/v2/app/tags/list"
contains "gcr: service gcr.io" "$OUT" 'service="gcr.io",scope="repository:app:pull"'
put_manifest app huge "$WORK/huge" "$OCIM" "$(authz repository:app:pull,push)"
same "gcr: a too big manifest is 400 UNKNOWN" "$ST $(json 'd["errors"][0]["code"]' < "$WORK/b")" "400 UNKNOWN"
reg_stop_all

# ---------------------------------------------------------------- ACR
front_start acr || fail "acr front started"
seed "$IMG" v1 app:v1
run $C -D - -o /dev/null "http://$FRONT/v2/app/tags/list"
contains "acr: realm /oauth2/token" "$OUT" "Bearer realm=\"http://$FRONT/oauth2/token\""
same "acr: the identity token came from /oauth2/exchange" "$(front_count '^acr POST /oauth2/exchange .*status=200')" 1
T=$($C -d "grant_type=refresh_token&service=$FRONT&scope=repository:app:pull,push&refresh_token=$FRONT_PASS" \
	"http://$FRONT/oauth2/token" | json 'd["access_token"]')
same "acr: POST /oauth2/token exchanges it for an access token" "$(code -H "Authorization: Bearer $T" "http://$FRONT/v2/app/tags/list")" 200
same "acr: so does docker's GET with user 00000000-…" "$(code -H "$(authz repository:app:pull)" "http://$FRONT/v2/app/tags/list")" 200
same "acr: the admin user logs in too" "$(code -H "$(authz repository:app:pull "$FRONT_ADMIN_USER:$FRONT_ADMIN_PASS")" "http://$FRONT/v2/app/tags/list")" 200
A="Authorization: Bearer $T"
U=$(start_upload app "$A")
send PATCH "$U" "$WORK/big.1m" "$A" "bytes 0-1048575/*"
same "acr: Content-Range bytes 0-N/* is refused" "$ST" 416
contains "... naming the header" "$(cat "$WORK/b")" "the Content-Range header format is invalid"
send PATCH "$U" "$WORK/big.1m" "$A" "0-1048575"
same "acr: Content-Range 0-N is taken" "$ST" 202
front_state '{"manifest_put_429": 1}' > /dev/null
put_manifest app v9 "$MAN" "$OCIM" "$A"
same "acr: 429 on a manifest PUT under load" "$ST $(json 'd["errors"][0]["message"]' < "$WORK/b")" "429 Rate exceeded"
put_manifest app v9 "$MAN" "$OCIM" "$A"
same "... then it goes" "$ST" 201
seed "$IMG" v2 app:v2
MAN2=$IMG/blobs/sha256/$(json '[m for m in d["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"]=="v2"][0]["digest"].split(":")[1]' < "$IMG/index.json")
front_state '{"stale_reads": 1}' > /dev/null
put_manifest app v9 "$MAN2" "$OCIM" "$A"
dg() { $C -I -H "$A" -H "Accept: $OCIM" "http://$FRONT/v2/app/manifests/v9" | tr -d '\r' | sed -n 's/^Docker-Content-Digest: //Ip'; }
same "acr: a geo-replica serves the old tag once" "$(dg)" "$MAND"
same "... then the new one" "$(dg)" "sha256:$(digest_of "$MAN2")"
U=$(start_upload app "$A")
send PUT "$U&digest=$EMPTYD" "$WORK/empty" "$A"
referrer_of "$MAN" "$OCIM" "$WORK/ref.json"
put_manifest app "sha256:$(digest_of "$WORK/ref.json")" "$WORK/ref.json" "$OCIM" "$A"
same "acr: referrers API lists a pushed referrer" "$($C -H "$A" "http://$FRONT/v2/app/referrers/$MAND" | json '[m["artifactType"] for m in d["manifests"]]')" '["application/vnd.example.sbom"]'
expect 0 "acr: skopeo copies in with the identity token" skopeo copy -q $FRONT_SKOPEO_DEST "oci:$IMG:v2" "docker://$FRONT/app:v3"
reg_stop_all

# ---------------------------------------------------------------- Quay
front_start quay || fail "quay front started"
seed "$IMG" v1 winch/app:v1
run $C -D - -o /dev/null "http://$FRONT/v2/"
contains "quay: token endpoint /v2/auth" "$OUT" "Bearer realm=\"http://$FRONT/v2/auth\""
A=$(authz repository:winch/app:pull,push,delete)
same "quay: the robot winch+ci works in its organisation" "$(code -H "$A" "http://$FRONT/v2/winch/app/tags/list")" 200
same "... and nowhere else" "$(tok repository:other/app:pull "$FRONT_USER:$FRONT_PASS" | cut -d. -f2 | tr '_-' '/+' | base64 -d 2>/dev/null | json 'd["access"][0]["actions"]')" "[]"
same "quay: deeply nested names are refused (400)" "$(code -u "$FRONT_USER:$FRONT_PASS" "$(realm)&scope=repository:winch/app/deep:pull")" 400
same "quay: tag DELETE is 405 on older versions" "$(code -X DELETE -H "$A" "http://$FRONT/v2/winch/app/manifests/v1")" 405
python3 - "$MAN" > "$WORK/mixed.json" <<'PY'
import hashlib, json, sys
raw = open(sys.argv[1], "rb").read()
print(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json",
     "digest": "sha256:" + hashlib.sha256(raw).hexdigest(), "size": len(raw)}]}), end="")
PY
put_manifest winch/app mixed "$WORK/mixed.json" application/vnd.oci.image.index.v1+json "$A"
same "quay: an OCI index with Docker-typed children is refused" "$ST $(json 'd["errors"][0]["code"]' < "$WORK/b")" "400 MANIFEST_INVALID"
put_manifest winch/app huge "$WORK/huge" "$OCIM" "$A"
same "quay: a too big manifest hits nginx's 413 page" "$ST $(hdr Content-Type)" "413 text/html"
run $C -D - -o /dev/null -H "$A" "http://$FRONT/v2/winch/app/blobs/$LAYER"
contains "quay: blobs redirect with 302" "$OUT" "HTTP/1.1 302"
front_state '{"realm_host": "token-port"}' > /dev/null
run $C -D - -o /dev/null "http://$FRONT/v2/"
contains "realm_host token-port: the realm moves to the other host" "$OUT" "Bearer realm=\"http://$FRONT_TOKEN/v2/auth\""
T=$($C -u "$FRONT_USER:$FRONT_PASS" "http://$FRONT_TOKEN/v2/auth?service=$FRONT&scope=repository:winch/app:pull" | json 'd["token"]')
same "... and its tokens work on the registry" "$(code -H "Authorization: Bearer $T" "http://$FRONT/v2/winch/app/tags/list")" 200
front_state '{"realm_host": "front"}' > /dev/null
expect 0 "quay: skopeo copies in with the robot" skopeo copy -q $FRONT_SKOPEO_DEST "oci:$IMG:v2" "docker://$FRONT/winch/app:v2"
reg_stop_all

# ---------------------------------------------------------------- Harbor
front_start harbor || fail "harbor front started"
seed "$IMG" v1 winch/app:v1
seed "$IMG" v1 winch/app:v1b
run $C -D - -o /dev/null "http://$FRONT/v2/"
contains "harbor: token endpoint /service/token, service harbor-registry" "$OUT" "Bearer realm=\"http://$FRONT/service/token\",service=\"harbor-registry\""
expect 0 "harbor: a robot\$ user name logs in (skopeo copy)" skopeo copy -q $FRONT_SKOPEO_DEST "oci:$IMG:v2" "docker://$FRONT/winch/app:v2"
same "harbor: the catalog is for admins" "$(code -H "$(authz 'registry:catalog:*')" "http://$FRONT/v2/_catalog")" 401
same "... and the admin lists it" "$($C -H "$(authz 'registry:catalog:*' "$FRONT_ADMIN_USER:$FRONT_ADMIN_PASS")" "http://$FRONT/v2/_catalog" | json 'd["repositories"]')" '["winch/app"]'
A=$(authz repository:winch/app:pull,push,delete)
run $C -X DELETE -H "$A" "http://$FRONT/v2/winch/app/manifests/v1"
same "harbor: DELETE by tag answers UNSUPPORTED" "$(json 'd["errors"][0]["code"]' <<< "$OUT")" UNSUPPORTED
U=$(start_upload winch/app "$A")
send PUT "$U&digest=$EMPTYD" "$WORK/empty" "$A"
referrer_of "$MAN" "$OCIM" "$WORK/ref.json"
put_manifest winch/app "sha256:$(digest_of "$WORK/ref.json")" "$WORK/ref.json" "$OCIM" "$A"
same "harbor: OCI-Subject on a referrer push" "$(hdr OCI-Subject)" "$MAND"
run $C -D - -H "$A" "http://$FRONT/v2/winch/app/referrers/$MAND?artifactType=application/vnd.example.sbom"
contains "harbor: referrers API, filtered" "$OUT" "OCI-Filters-Applied: artifactType"
contains "... lists the referrer" "$OUT" "sha256:$(digest_of "$WORK/ref.json")"
same "harbor: a digest DELETE" "$(code -X DELETE -H "$A" "http://$FRONT/v2/winch/app/manifests/$MAND")" 202
same "... removes every tag of it" "$($C -H "$A" "http://$FRONT/v2/winch/app/tags/list" | json 'd["tags"]')" '["v2"]'
reg_stop_all

# ---------------------------------------------------------------- switches for any personality
front_start plain || fail "plain front started"
front_state '{"html_errors": true, "location": "relative", "chunk_min_header": 1048576}' > /dev/null
run $C -D - "http://$FRONT/v2/nope/manifests/x"
contains "html_errors: errors come as HTML behind a proxy" "$OUT" "<center><h1>404 Not Found</h1></center>"
run $C -D - -o /dev/null -X POST "http://$FRONT/v2/app/blobs/uploads/"
contains "location relative: a path, no host" "$OUT" "Location: /v2/app/blobs/uploads/"
contains "chunk_min_header: OCI-Chunk-Min-Length on POST" "$OUT" "OCI-Chunk-Min-Length: 1048576"
same "the log has one line per request" "$(grep -c . "$FRONT_LOG")" 2
contains "... with personality, method, path, credentials, status" "$(head -n 1 "$FRONT_LOG")" "plain GET /v2/nope/manifests/x auth=no status=404 bytes=0 range=-"
reg_stop_all
