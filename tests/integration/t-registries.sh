#!/bin/bash
# winch against every registry personality (tests/tools/registry-front.py, issue 12): the commands
# that matter -- login, inspect, list-tags, catalog, digest, exists, copy in and out (a multi-arch
# index with an SBOM referrer), pull, push, tag, delete, cleanup --dry-run, ratelimit -- with the
# request counts that matter, then what each one does differently: missing APIs (exit 9), rate
# limits, expired passwords, immutable tags, --no-clobber, robot accounts.  The README's
# "Registries" table names the checks below.
. "$(dirname "$0")/lib.sh"

IMG=$WORK/img
python3 "$TOP/tests/tools/mkimage.py" "$IMG" v1 --layers 1 --size 20000 --platforms linux/amd64,linux/arm64 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$IMG" v2 --layers 1 --size 10000 --seed 9 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$IMG" v3 --layers 1 --size 10000 --seed 10 > /dev/null

# The outside place of copies in and out: an OCI layout holding the index, its SBOM (a referrer
# of the index) and the SBOM's tag-schema index sha256-<hex>, made once with a plain registry.
reg_start plain
seed "$IMG" v1 app:v1
SRCD=$("$WINCH" digest "$REG/app:v1")
SBOM=$(python3 "$TOP/tests/tools/push-sbom.py" "$REG" app "$SRCD" --fallback)
expect 0 "the outside layout: an index with an SBOM" "$WINCH" copy --referrers "$REG/app:v1" "oci:$WORK/src:v1"
reg_stop_all
FALLBACK=sha256-${SRCD#sha256:}

# mark; ...; since ERE: front log lines matching ERE since the mark
mark() { MARK=$(wc -l < "$FRONT_LOG"); }
since() { tail -n +$((MARK + 1)) "$FRONT_LOG" | grep -cE -- "$1"; }
vendor() { # the WINCH_REGISTRY_VENDOR word of a personality
	case $1 in hub) echo dockerhub ;; *) echo "$1" ;; esac
}

# ---------------------------------------------------------------------- every personality
# P: personality, R: a repository its user may push to
matrix() {
	P=$1 R=$2
	front_start "$P" || { fail "$P: front started"; return; }
	export WINCH_REGISTRY_VENDOR="$FRONT=$(vendor "$P")"
	local out=$WORK/out-$P

	run "$WINCH" login "$FRONT" -u "$FRONT_USER" --password-stdin <<< "$FRONT_PASS"
	same "$P: login" "$RC $OUT" "0 Login Succeeded"
	lacks "... the secret is in no output" "$OUT$ERR" "$FRONT_PASS"

	# copy in: the index, its blobs, the SBOM and its tag-schema index
	if [ "$P" = ecr ]; then
		expect 9 "$P: copy in --referrers: a referrer of an index is refused, said so (exit 9)" \
			"$WINCH" copy --referrers "oci:$WORK/src:v1" "$FRONT/$R:v1"
		contains "... naming the referrer, its subject and what to do" "$ERR" "refused the referrer $SBOM of $SRCD (an index) with 405"
		expect 0 "$P: copy in" "$WINCH" copy "oci:$WORK/src:v1" "$FRONT/$R:v1"
	else
		expect 0 "$P: copy in --referrers" "$WINCH" copy --referrers --format json "oci:$WORK/src:v1" "$FRONT/$R:v1"
		same "... the index and the SBOM" "$(json '[d["digest"], d["referrerTags"]]' <<< "$OUT")" "[\"$SRCD\", 1]"
	fi
	mark
	expect 0 "$P: a copy already done" "$WINCH" copy "oci:$WORK/src:v1" "$FRONT/$R:v1"
	same "... costs one manifest HEAD and writes nothing" \
		"$(since " HEAD /v2/$R/manifests/v1 .*status=200") $(since ' (PUT|POST|PATCH|DELETE) ')" "1 0"

	expect 0 "$P: inspect" "$WINCH" inspect --format json "$FRONT/$R:v1"
	same "... the index's platforms" "$(json '[m["platform"]["architecture"] for m in d["manifests"]]' <<< "$OUT")" '["amd64", "arm64"]'
	expect 0 "$P: list-tags" "$WINCH" list-tags "$FRONT/$R"
	contains "... v1" "$OUT" "v1"
	expect 0 "$P: digest" "$WINCH" digest "$FRONT/$R:v1"
	same "... the source's" "$OUT" "$SRCD"
	expect 0 "$P: exists" "$WINCH" exists "$FRONT/$R:v1"
	expect 3 "$P: exists, not there" "$WINCH" exists "$FRONT/$R:nope"

	case $P in
	hub | ghcr)
		expect 9 "$P: catalog: no such API (exit 9)" "$WINCH" catalog "$FRONT"
		contains "... saying what to use instead" "$ERR" "has no catalog API" ;;
	harbor)
		expect 4 "$P: catalog: a robot is denied" "$WINCH" catalog "$FRONT"
		contains "... and told it is for administrators" "$ERR" "Harbor lists the catalog to system administrators only"
		expect 0 "$P: catalog as the admin" "$WINCH" catalog --creds "$FRONT_ADMIN_USER:$FRONT_ADMIN_PASS" "$FRONT"
		contains "... lists the repository" "$OUT" "$R" ;;
	*)
		expect 0 "$P: catalog" "$WINCH" catalog "$FRONT"
		contains "... lists the repository" "$OUT" "$R" ;;
	esac

	# copy out: the index and its SBOM, through whatever the registry offers (API or tag schema)
	expect 0 "$P: copy out --referrers" "$WINCH" copy --referrers --format json "$FRONT/$R:v1" "oci:$out:v1"
	if [ "$P" = ecr ]; then
		same "... (ECR holds no referrer of the index)" "$(json 'd["referrerTags"]' <<< "$OUT")" 0
	else
		same "... with the SBOM" "$(json 'd["referrerTags"]' <<< "$OUT")" 1
		same "... which is in the layout" "$(ls "$out/blobs/sha256/${SBOM#sha256:}" > /dev/null 2>&1 && echo yes)" yes
	fi
	expect 0 "$P: pull" "$WINCH" pull --platform linux/arm64 "$FRONT/$R:v1" "oci:$out:arm"
	expect 0 "$P: push" "$WINCH" push "oci:$IMG:v2" "$FRONT/$R:v2"
	expect 0 "$P: tag" "$WINCH" tag "$FRONT/$R:v2" v2-rc
	mark
	case $P in
	hub | ghcr)
		expect 9 "$P: delete: no registry-API DELETE (exit 9)" "$WINCH" delete "$FRONT/$R:v2-rc"
		contains "... saying what to use instead" "$ERR" "has no registry-API DELETE"
		same "... and no placeholder was written" "$(since ' PUT ')" 0 ;;
	*)
		expect 0 "$P: delete a tag" "$WINCH" delete --format json "$FRONT/$R:v2-rc"
		case $P in gar | gcr) m=tag-delete ;; *) m=placeholder ;; esac
		same "... by $m" "$(json 'd["method"]' <<< "$OUT")" $m
		expect 0 "... the image stays" "$WINCH" exists "$FRONT/$R:v2"
		expect 3 "... the tag is gone" "$WINCH" exists "$FRONT/$R:v2-rc" ;;
	esac
	expect 0 "$P: cleanup --dry-run" "$WINCH" cleanup --dry-run --match '^v' --keep 1 "$FRONT/$R"
	contains "... plans" "$OUT" "1 tag"
	mark
	expect 0 "$P: ratelimit" "$WINCH" ratelimit "$FRONT/$R:v1"
	same "... with one HEAD and no GET" "$(since " HEAD /v2/$R/manifests/v1 .*status=200") $(since ' GET /v2/.*/manifests/')" "1 0"
	if [ "$P" = hub ]; then
		contains "... Docker Hub's pull limit" "$OUT" "of 100 left per 6 h, counted for"
	else
		contains "... none stated" "$OUT" "no rate limit stated"
	fi
}

matrix hub alice/app
# Docker Hub: anonymous pulls of official images (library/), the pull limit in the open
seed "$IMG" v1 library/app:v1
mkdir -p "$WORK/anon"
expect 0 "hub: an anonymous pull of an official image" env DOCKER_CONFIG="$WORK/anon" \
	"$WINCH" -v pull --format json "$FRONT/library/app:v1" "oci:$WORK/anon/app:v1"
same "... through the token host, anonymously" "$(grep -c '^hub@token GET /token?.*scope=repository%3Alibrary%2Fapp%3Apull auth=no status=200' "$FRONT_LOG")" 1
contains "hub: -v shows the rate limit" "$ERR" "rate limit: 9"
same "hub: the pull's JSON reports the last rate limit seen" \
	"$(json '[d["rateLimit"][k] for k in ("limit", "window", "source")]' <<< "$OUT")" '[100, 21600, "127.0.0.1"]'
same "... and what remains" "$(json 'd["rateLimit"]["remaining"] < 100' <<< "$OUT")" true
Q=$(curl -s "http://$FRONT/_front/quota" | json 'd["127.0.0.1"]["remaining"]')
expect 0 "hub: ratelimit --format json" env DOCKER_CONFIG="$WORK/anon" "$WINCH" ratelimit --format json "$FRONT/library/app:v1"
same "... says the limit, what remains, the window and the source" \
	"$(json '[d["set"], d["limit"], d["remaining"], d["window"], d["source"]]' <<< "$OUT")" "[true, 100, $Q, 21600, \"127.0.0.1\"]"
same "... and costs no pull" "$(curl -s "http://$FRONT/_front/quota" | json 'd["127.0.0.1"]["remaining"]')" "$Q"
front_state '{"ratelimit_empty": 1}' > /dev/null
expect 0 "hub: empty rate-limit values (ratelimit-limit: ;w=21600)" env DOCKER_CONFIG="$WORK/anon" "$WINCH" ratelimit --format json "$FRONT/library/app:v1"
same "... are null, not zero" "$(json '[d["set"], d["limit"], d["remaining"], d["window"]]' <<< "$OUT")" '[true, null, null, 21600]'
expect 0 "hub: an unlimited account gets no headers" "$WINCH" ratelimit --creds "$FRONT_ADMIN_USER:$FRONT_ADMIN_PASS" --format json "$FRONT/library/app:v1"
same "... said so" "$(json '[d["set"], d["limit"]]' <<< "$OUT")" '[false, null]'
front_state '{"quota_remaining": 0}' > /dev/null
mark
expect 5 "hub: a spent pull limit is exit 5" env DOCKER_CONFIG="$WORK/anon" "$WINCH" inspect "$FRONT/library/app:v1"
contains "... naming when pulls come back" "$ERR" "the limit of 100 per 6 h for 127.0.0.1 is used up: requests come back as older ones leave the window, all of them by 2"
same "... asked once, not retried" "$(since ' GET /v2/library/app/manifests/v1 .*status=429')" 1
reg_stop_all

matrix ghcr alice/app
# GHCR: /referrers answers 303 to a rate-limited host on another domain
mark
expect 0 "ghcr: copy --referrers where /referrers redirects to a rate-limited host" \
	timeout 20 "$WINCH" copy --referrers --format json "$FRONT/alice/app:v1" "oci:$WORK/ghcr2:v1"
same "... falls back to the tag schema" "$(json 'd["referrerTags"]' <<< "$OUT")" 1
contains "... saying why" "$ERR" "no usable referrers API (it redirected to another host (127.0.0.2), which answered 429)"
same "... asks that host once, without credentials, and never waits" \
	"$(since '^ghcr@cdn GET /-/v2/packages/.* auth=no status=429') $(since '^ghcr@cdn .* auth=(basic|bearer)')" "1 0"
reg_stop_all

matrix gar proj/repo/app
reg_stop_all

matrix gcr proj/app
# GCR refuses a digest DELETE while tags point at it: the tags go first
"$WINCH" tag -q "$FRONT/proj/app:v2" v2-b
mark
expect 0 "gcr: delete --image --force with two tags on it" "$WINCH" delete --image --force "$FRONT/proj/app:v2"
same "... refused while tagged, then the tags, then the digest" \
	"$(since 'DELETE .*GOOGLE|DELETE /v2/proj/app/manifests/sha256:.* status=400') $(since 'DELETE /v2/proj/app/manifests/v2(-b)? .*status=202') $(since 'DELETE /v2/proj/app/manifests/sha256:.*status=202')" "1 2 1"
expect 3 "... and the image is gone" "$WINCH" exists "$FRONT/proj/app:v2-b"
reg_stop_all

matrix quay winch/app
reg_stop_all

matrix harbor winch/app
# Harbor robots: robot$project+name, a "$" in the user name everywhere it goes
same "harbor: config.json keeps the robot's name" \
	"$(json "__import__('base64').b64decode(d['auths']['$FRONT']['auth']).decode().split(':')[0]" < "$HOME/.docker/config.json")" 'robot$winch+ci'
mkdir -p "$WORK/store"
printf '{"credHelpers": {"%s": "wntest"}}\n' "$FRONT" > "$WORK/helper.json"
run env WNTEST_HELPER_STORE="$WORK/store" "$WINCH" login --authfile "$WORK/helper.json" "$FRONT" -u "$FRONT_USER" --password-stdin <<< "$FRONT_PASS"
same "harbor: a robot logs in through a credential helper" "$RC" 0
same "... which stores the name as it is" "$(cat "$WORK/store/"* 2> /dev/null | grep -h -o '"Username": *"[^"]*"' | head -n 1)" '"Username":"robot$winch+ci"'
expect 0 "... and gives it back for a push" env WNTEST_HELPER_STORE="$WORK/store" \
	"$WINCH" push --authfile "$WORK/helper.json" "oci:$IMG:v3" "$FRONT/winch/app:v3"
expect 0 "harbor: --creds with the robot's name" "$WINCH" digest --creds "$FRONT_USER:$FRONT_PASS" "$FRONT/winch/app:v3"
expect 4 "harbor: a robot name whose \$... a shell ate is rejected" \
	"$WINCH" login "$FRONT" -u 'robot+ci' --password-stdin <<< "$FRONT_PASS"
contains "... with a hint to quote it" "$ERR" "quote the name (-u 'robot\$project+name')"
# immutable tags: a clear error, no retry; the same digest again is no error
front_state '{"immutable": ["winch/app"]}' > /dev/null
mark
expect 1 "harbor: moving an immutable tag" "$WINCH" copy "oci:$IMG:v3" "$FRONT/winch/app:v2"
contains "... says so" "$ERR" "tag v2 of $FRONT/winch/app is immutable: the registry (Harbor) refuses to move it (PRECONDITION: Failed to process request due to 'app:v2' configured as immutable.)"
same "... after one PUT" "$(since 'PUT /v2/winch/app/manifests/v2 ')" 1
expect 0 "harbor: tagging an immutable tag with what it holds is no error" "$WINCH" tag "$FRONT/winch/app:v3" v3
front_state '{"immutable": []}' > /dev/null
reg_stop_all

# ---------------------------------------------------------------------- ACR and ECR
matrix acr app
ACR=$FRONT ACR_LOG=$FRONT_LOG
# identity (refresh) tokens: config.json's identitytoken, exchanged at /oauth2/token
printf '{"auths": {"%s": {"auth": "%s", "identitytoken": "%s"}}}\n' "$FRONT" \
	"$(printf '00000000-0000-0000-0000-000000000000:' | base64 -w0)" "$FRONT_PASS" > "$WORK/idt.json"
mark
expect 0 "acr: an identity token from config.json" "$WINCH" push --authfile "$WORK/idt.json" "oci:$IMG:v3" "$FRONT/app:v3"
same "... is exchanged at POST /oauth2/token" "$(since '^acr POST /oauth2/token auth=no status=200')" "$(since '^acr POST /oauth2/token')"
same "... and never sent as a password" "$(since '^acr GET /oauth2/token')" 0
# a 429 on a manifest PUT under load is waited out
front_state '{"manifest_put_429": 1}' > /dev/null
expect 0 "acr: a 429 on a manifest PUT" "$WINCH" tag "$FRONT/app:v3" v3-b
same "... is retried once" "$(grep -c 'PUT /v2/app/manifests/v3-b .*status=429' "$FRONT_LOG") $(grep -c 'PUT /v2/app/manifests/v3-b .*status=201' "$FRONT_LOG")" "1 1"
# app2: the index with an SBOM of its amd64 image only, indexed by ACR's referrers API
expect 0 "acr: copy within the registry" "$WINCH" copy "$FRONT/app:v1" "$FRONT/app2:v1"
AMD=$(json '[m["digest"] for m in d["manifests"] if m["platform"]["architecture"] == "amd64"][0]' < "$WORK/out-acr/blobs/sha256/${SRCD#sha256:}")
python3 "$TOP/tests/tools/push-sbom.py" "$REG" app2 "$AMD" > /dev/null

matrix ecr app
export WINCH_REGISTRY_VENDOR="$FRONT=ecr,$ACR=acr"
# ECR sends OCI-Subject without a referrers API: winch asks the API and writes the tag schema too
mark
expect 0 "ecr: copy --referrers from ACR (referrers API) to ECR (OCI-Subject, no API)" \
	"$WINCH" copy --referrers "$ACR/app2:v1" "$FRONT/app:fromacr"
same "... the SBOM goes by digest, answered with OCI-Subject" "$(since "PUT /v2/app/manifests/sha256:.* status=201")" 1
same "... the API is asked, and the tag schema written" \
	"$(since "GET /v2/app/referrers/$AMD .*status=404") $(since "PUT /v2/app/manifests/sha256-${AMD#sha256:} .*status=201")" "1 1"
# an expired password: 403 DENIED (not 401), read again from the credential helper
P1=$FRONT_PASS
curl -s -X POST "http://$FRONT/_front/expire" > /dev/null
P2=$(curl -s -X POST "http://$FRONT/_front/rotate" | json 'd["Secret"]')
mkdir -p "$WORK/rot"
echo "AWS:$P2" > "$WORK/rot/rotate"
echo "$P1" > "$WORK/rot/rotate.stale"
printf '{"credHelpers": {"%s": "wnrotate"}}\n' "$FRONT" > "$WORK/rot.json"
mark
expect 0 "ecr: an expired password (403 DENIED) is read again from the helper" \
	env WNTEST_HELPER_STORE="$WORK/rot" "$WINCH" push --authfile "$WORK/rot.json" "oci:$IMG:v3" "$FRONT/app:v3"
same "... which was asked twice" "$(cat "$WORK/rot/rotate.count")" 2
same "... after one 403" "$(since ' status=403')" 1
front_state '{"expired_status": 401}' > /dev/null
curl -s -X POST "http://$FRONT/_front/expire" > /dev/null
P3=$(curl -s -X POST "http://$FRONT/_front/rotate" | json 'd["Secret"]')
echo "AWS:$P3" > "$WORK/rot/rotate"
echo "$P2" > "$WORK/rot/rotate.stale"
rm -f "$WORK/rot/rotate.count"
expect 0 "ecr: and when it answers 401" env WNTEST_HELPER_STORE="$WORK/rot" "$WINCH" digest --authfile "$WORK/rot.json" "$FRONT/app:v3"
same "... the helper is asked again too" "$(cat "$WORK/rot/rotate.count")" 2
front_state '{"expired_status": 403}' > /dev/null
run "$WINCH" login "$FRONT" -u AWS --password-stdin <<< "$P3"
# immutable tags
front_state '{"immutable": ["app"]}' > /dev/null
mark
expect 1 "ecr: moving an immutable tag" "$WINCH" tag "$FRONT/app:v2" v3
contains "... says so" "$ERR" "tag v3 of $FRONT/app is immutable: the registry (Amazon ECR) refuses to move it (TAG_INVALID:"
same "... after one PUT, no retry" "$(since 'PUT /v2/app/manifests/v3 ')" 1
expect 0 "ecr: tagging an immutable tag with what it holds is no error" "$WINCH" tag "$FRONT/app:v3" v3
front_state '{"immutable": []}' > /dev/null
# --no-clobber, on any registry
mark
expect 1 "copy --no-clobber refuses to move a tag that points elsewhere" "$WINCH" copy --no-clobber "oci:$IMG:v2" "$FRONT/app:v3"
contains "... naming both digests" "$ERR" "(--no-clobber)"
same "... and sends nothing" "$(since ' (PUT|POST|PATCH) ')" 0
expect 0 "copy --no-clobber to a tag that holds the image already" "$WINCH" copy --no-clobber "oci:$IMG:v3" "$FRONT/app:v3"
expect 0 "copy --no-clobber to a new tag" "$WINCH" copy --no-clobber "oci:$IMG:v2" "$FRONT/app:v2-new"
mark
expect 1 "tag --no-clobber refuses to move a tag that points elsewhere" "$WINCH" tag --no-clobber "$FRONT/app:v2" v2-fresh v3
contains "... naming it" "$ERR" "refusing to move tag v3 of $FRONT/app"
same "... before writing any tag" "$(since ' PUT ')" 0
expect 0 "tag --no-clobber with new tags and one already there" "$WINCH" tag --no-clobber "$FRONT/app:v2" v2-fresh v2-new
# a push that outlives its password, mid-run: the front's own credential helper (as
# docker-credential-ecr-login hands passwords out), and every password expiring after N more
# requests (time passing, counted in requests so the expiry lands on the same one every run).
# One push, --jobs 1, sends: HEAD manifest, then HEAD, POST, PUT per blob (4), then the manifest PUT.
python3 "$TOP/tests/tools/mkimage.py" "$IMG" many --layers 3 --size 1000 --seed 11 > /dev/null
printf '{"credHelpers": {"%s": "front"}}\n' "$FRONT" > "$WORK/front.json"
for n in "4 a blob HEAD" "5 an upload POST" "13 the manifest PUT"; do
	front_state "{\"expire_after\": ${n%% *}}" > /dev/null
	mark
	expect 0 "ecr: a push whose password expires mid-run, at ${n#* }" env PATH="$FRONT_HELPER:$PATH" \
		"$WINCH" -v push --jobs 1 --authfile "$WORK/front.json" "oci:$IMG:many" "$FRONT/long${n%% *}:v1"
	same "... is refused once (403), reads a new password from the helper and goes on" \
		"$(since ' status=403') $(printf '%s\n' "$ERR" | grep -c 'refused the credentials with 403: read again from credential helper docker-credential-front, new ones')" "1 1"
done
# ... and in the middle of a blob sent in chunks (ECR's part limits off, any registry's rules):
# the PATCH on its way is not sent again, the upload resumes where the registry says it is
python3 "$TOP/tests/tools/mkimage.py" "$IMG" chunky --layers 1 --size 20000 --seed 12 > /dev/null
front_state '{"chunk_min": 0, "range_stuck": false, "range_check": false, "patch_status": 202, "expire_after": 5}' > /dev/null
mark
expect 0 "a chunked upload whose password expires mid-blob" env PATH="$FRONT_HELPER:$PATH" WINCH_REGISTRY_VENDOR= \
	"$WINCH" -v push --jobs 1 --chunk-size 4K --authfile "$WORK/front.json" "oci:$IMG:chunky" "$FRONT/chunky:v1"
same "... a PATCH refused (403), the password read again, the upload resumed" \
	"$(since ' PATCH .* status=403') $(printf '%s\n' "$ERR" | grep -c 'new ones') $(printf '%s\n' "$ERR" | grep -c 'broke: resuming at byte')" "1 1 1"
reg_stop_all

# ---------------------------------------------------------------------- referrers APIs that misbehave
# an API that answers but indexes nothing: not taken for the truth, as a destination or a source
front_start acr
ACR=$FRONT
expect 0 "acr (referrers API) as a source" "$WINCH" copy --creds "$FRONT_USER:$FRONT_PASS" --referrers "oci:$WORK/src:v1" "$ACR/app:v1"
ACR_CREDS=$FRONT_USER:$FRONT_PASS
front_start harbor
front_state '{"referrers": "empty"}' > /dev/null
printf '{"auths": {"%s": {"auth": "%s"}, "%s": {"auth": "%s"}}}\n' "$ACR" "$(printf %s "$ACR_CREDS" | base64 -w0)" \
	"$FRONT" "$(printf %s "$FRONT_USER:$FRONT_PASS" | base64 -w0)" > "$WORK/two.json"
mark
expect 0 "copy --referrers to a referrers API that indexes nothing" \
	"$WINCH" copy --authfile "$WORK/two.json" --referrers "$ACR/app:v1" "$FRONT/winch/app:v1"
same "... writes the tag schema too" "$(since "PUT /v2/winch/app/manifests/$FALLBACK .*status=201")" 1
expect 0 "copy --referrers from it" "$WINCH" copy --authfile "$WORK/two.json" --referrers --format json "$FRONT/winch/app:v1" "oci:$WORK/empty:v1"
same "... reads the tag schema" "$(json 'd["referrerTags"]' <<< "$OUT")" 1
reg_stop_all
