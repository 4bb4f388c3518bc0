#!/bin/bash
# The read commands (inspect, list-tags, catalog, manifest, digest, exists) and
# login/logout against a real registry in each auth mode, with skopeo as the
# independent peer: winch must report what skopeo reports.
. "$(dirname "$0")/lib.sh"

IMG=$WORK/img
python3 "$TOP/tests/tools/mkimage.py" "$IMG" v1 --layers 2 --label org.example.team=infra --label a=b \
	--env FOO=bar --env PATH=/bin --created 2024-03-04T05:06:07Z > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$IMG" docker --seed 2 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$IMG" multi --platforms linux/amd64,linux/arm64/v8 --seed 3 > /dev/null

mode_tests() {
	m=$1
	reg_start "$m" || { fail "$m: registry started"; return; }
	F=$(winch_reg_flags)
	seed "$IMG" v1 app:v1 && seed "$IMG" v1 app:1.10.0 && seed "$IMG" v1 app:1.9.2 &&
		seed "$IMG" docker app:docker --format v2s2 && seed "$IMG" multi multi:latest || { fail "$m: seeded with skopeo"; return; }

	auth=false
	case $m in basic | token) auth=true ;; esac
	if $auth; then
		expect 4 "$m: inspect without credentials is refused" "$WINCH" inspect $F "$REG/app:v1"
		contains "$m: ... and says to log in" "$ERR" "winch login $REG"
		expect 4 "$m: login with a wrong password fails" sh -c "echo wrong | '$WINCH' login $F -u $REG_USER --password-stdin $REG"
		same "$m: ... and writes no config.json" "$(ls "$HOME/.docker" 2>/dev/null)" ""
	fi
	expect 0 "$m: login" sh -c "printf '%s\n' '$REG_PASS' | '$WINCH' login $F -u $REG_USER --password-stdin $REG"
	contains "$m: ... says Login Succeeded" "$OUT" "Login Succeeded"
	same "$m: config.json has mode 0600" "$(stat -c %a "$HOME/.docker/config.json")" 600
	same "$m: config.json holds the credentials under the registry" \
		"$(json "d['auths']['$REG']['auth']" < "$HOME/.docker/config.json")" \
		"$(printf '%s' "$REG_USER:$REG_PASS" | base64 -w0)"
	lacks "$m: login never echoes the password" "$OUT$ERR" "$REG_PASS"

	# inspect vs skopeo inspect
	skopeo inspect $SKOPEO_RD "docker://$REG/app:v1" > "$WORK/sk.json"
	expect 0 "$m: inspect --format json" "$WINCH" inspect $F --format json "$REG/app:v1"
	printf '%s' "$OUT" > "$WORK/wn.json"
	for pair in "digest:Digest" "created:Created" "architecture:Architecture" "os:Os" "labels:Labels" "env:Env"; do
		w=${pair%%:*} s=${pair#*:}
		same "$m: inspect $w agrees with skopeo's $s" "$(json "d['$w']" < "$WORK/wn.json")" "$(json "d['$s']" < "$WORK/sk.json")"
	done
	same "$m: inspect layers agree with skopeo's" "$(json "[l['digest'] for l in d['layers']]" < "$WORK/wn.json")" \
		"$(json "d['Layers']" < "$WORK/sk.json")"
	expect 0 "$m: inspect (text)" "$WINCH" inspect $F "$REG/app:v1"
	contains "$m: ... shows the platform" "$OUT" "Platform:    linux/amd64"
	contains "$m: ... shows a label" "$OUT" "org.example.team=infra"

	skopeo inspect --raw $SKOPEO_RD "docker://$REG/app:v1" > "$WORK/sk.raw"
	"$WINCH" inspect --raw $F "$REG/app:v1" > "$WORK/wn.raw"
	if cmp -s "$WORK/sk.raw" "$WORK/wn.raw"; then pass "$m: inspect --raw gives skopeo's exact bytes"; else fail "$m: inspect --raw gives skopeo's exact bytes"; fi
	"$WINCH" manifest $F "$REG/app:v1" > "$WORK/wn.man"
	if cmp -s "$WORK/sk.raw" "$WORK/wn.man"; then pass "$m: manifest gives the exact bytes"; else fail "$m: manifest gives the exact bytes"; fi
	skopeo inspect --config --raw $SKOPEO_RD "docker://$REG/app:v1" > "$WORK/sk.cfg"
	"$WINCH" inspect --config $F "$REG/app:v1" > "$WORK/wn.cfg"
	if cmp -s "$WORK/sk.cfg" "$WORK/wn.cfg"; then pass "$m: inspect --config gives the config blob"; else fail "$m: inspect --config gives the config blob"; fi

	# Docker media types
	expect 0 "$m: inspect a Docker v2 manifest" "$WINCH" inspect $F --format json "$REG/app:docker"
	same "$m: ... media type" "$(printf %s "$OUT" | json "d['mediaType']")" "application/vnd.docker.distribution.manifest.v2+json"
	same "$m: ... digest agrees with skopeo" "$(printf %s "$OUT" | json "d['digest']")" \
		"$(skopeo inspect $SKOPEO_RD "docker://$REG/app:docker" | json "d['Digest']")"

	# an index
	expect 0 "$m: inspect an index" "$WINCH" inspect $F --format json "$REG/multi:latest"
	same "$m: ... lists both platforms" "$(printf %s "$OUT" | json "sorted('/'.join(filter(None,[x['platform']['os'],x['platform']['architecture'],x['platform'].get('variant')])) for x in d['manifests'])")" \
		'["linux/amd64", "linux/arm64/v8"]'
	same "$m: ... its digest is the index's" "$(printf %s "$OUT" | json "d['digest']")" \
		"sha256:$(skopeo inspect --raw $SKOPEO_RD "docker://$REG/multi:latest" | sha256sum | cut -d' ' -f1)"
	expect 0 "$m: inspect an index (text)" "$WINCH" inspect $F "$REG/multi:latest"
	contains "$m: ... shows linux/arm64/v8" "$OUT" "linux/arm64/v8"

	# digest, exists
	want=$(skopeo inspect $SKOPEO_RD "docker://$REG/app:v1" | json "d['Digest']")
	expect 0 "$m: digest" "$WINCH" digest $F "$REG/app:v1"
	same "$m: ... agrees with skopeo" "$OUT" "$want"
	expect 0 "$m: digest by digest" "$WINCH" digest $F "$REG/app@$want"
	same "$m: ... is that digest" "$OUT" "$want"
	expect 0 "$m: exists on a present tag" "$WINCH" exists $F "$REG/app:v1"
	expect 3 "$m: exists on a missing tag" "$WINCH" exists $F "$REG/app:nope"
	same "$m: ... says nothing" "$OUT$ERR" ""
	expect 3 "$m: inspect a missing tag" "$WINCH" inspect $F "$REG/app:nope"
	contains "$m: ... names the tag" "$ERR" "has no tag nope"
	expect 3 "$m: inspect a missing repository" "$WINCH" inspect $F "$REG/nothere:v1"
	# issue 11: a long message (a 200-character name and a sha512 digest) is whole, not cut at 255
	long=team/$(printf 'r%.0s' $(seq 200)) d512=sha512:$(printf 'a%.0s' $(seq 128))
	expect 3 "$m: a missing sha512 manifest of a long repository" "$WINCH" manifest $F "$REG/$long@$d512"
	contains "$m: ... the message names the whole reference and digest" "$ERR" "$REG/$long has no manifest $d512"
	lacks "$m: ... and is not cut" "$ERR" "..."

	# list-tags vs skopeo
	expect 0 "$m: list-tags" "$WINCH" list-tags $F "$REG/app"
	same "$m: ... agrees with skopeo (sorted by name)" "$OUT" \
		"$(skopeo list-tags $SKOPEO_RD "docker://$REG/app" | json "d['Tags']" | python3 -c 'import json,sys; print("\n".join(sorted(json.load(sys.stdin))))')"
	expect 0 "$m: list-tags --sort semver" "$WINCH" list-tags $F --sort semver "$REG/app"
	same "$m: ... orders versions" "$(echo $OUT)" "v1 1.9.2 1.10.0 docker"
	expect 0 "$m: list-tags --match" "$WINCH" list-tags $F --match '^1\.' --format json "$REG/app"
	same "$m: ... filters, as JSON" "$(printf %s "$OUT" | json "d['tags']")" '["1.10.0", "1.9.2"]'
	expect 2 "$m: list-tags refuses a tag" "$WINCH" list-tags $F "$REG/app:v1"
	expect 3 "$m: list-tags of a missing repository" "$WINCH" list-tags $F "$REG/nothere"

	# catalog
	expect 0 "$m: catalog" "$WINCH" catalog $F "$REG"
	same "$m: ... lists the repositories" "$(echo $OUT)" "app multi"

	# --creds instead of the stored login
	if $auth; then
		expect 0 "$m: logout" "$WINCH" logout $F "$REG"
		same "$m: ... removes the entry" "$(json "'$REG' in d.get('auths',{})" < "$HOME/.docker/config.json")" "false"
		expect 4 "$m: after logout access is refused" "$WINCH" digest $F "$REG/app:v1"
		expect 0 "$m: --creds works without a login" "$WINCH" digest $F --creds "$REG_USER:$REG_PASS" "$REG/app:v1"
		expect 4 "$m: --creds with a wrong password" "$WINCH" digest $F --creds "$REG_USER:nope" "$REG/app:v1"
		contains "$m: ... says the credentials were rejected" "$ERR" "rejected"
		run "$WINCH" -vv inspect $F --creds "$REG_USER:$REG_PASS" "$REG/app:v1"
		lacks "$m: -vv output never shows the password" "$ERR" "$REG_PASS"
		lacks "$m: -vv output never shows the basic credentials" "$ERR" "$(printf '%s' "$REG_USER:$REG_PASS" | base64 -w0)"
		contains "$m: -vv output shows a redacted Authorization" "$ERR" "<redacted>"
	else
		expect 0 "$m: logout" "$WINCH" logout "$REG"
	fi
	expect 0 "$m: logout when not logged in is fine" "$WINCH" logout "$REG"
	contains "$m: ... and says so" "$ERR" "not logged in"

	# registry down
	reg_stop_all
	expect 6 "$m: registry down is a network error" "$WINCH" digest $F --creds "$REG_USER:$REG_PASS" "$REG/app:v1"
	contains "$m: ... naming the host" "$ERR" "$REG"
}

for m in plain basic tls token; do
	mode_tests $m
	reg_stop_all
	rm -rf "$HOME/.docker"
done

# ---- references: what distribution/reference refuses is a usage error (exit 2), checked
# before any request; what it accepts gets as far as the network (exit 6 on a closed port)
DOWN=127.0.0.1:$(free_port)
F64=ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
expect 2 "an unsupported digest algorithm is a usage error" "$WINCH" digest "$DOWN/app@foo:$F64"
contains "... saying so" "$ERR" 'unsupported digest algorithm "foo"'
expect 2 "a 64-character hex string alone is not a name" "$WINCH" inspect 1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a
contains "... with docker's reason" "$ERR" "cannot specify 64-byte hexadecimal strings"
long=$(printf 'a%.0s' $(seq 255))
expect 6 "a 255-character path after a registry is a valid name" "$WINCH" digest "$DOWN/$long:v1"
expect 2 "... 256 characters are not" "$WINCH" digest "$DOWN/${long}a:v1"
contains "... saying the limit is on the repository name" "$ERR" "repository name must not be more than 255 characters"
expect 6 "an IPv6 registry with a port is a valid name" "$WINCH" digest "[::1]:${DOWN#*:}/app:v1"
expect 2 "an IPv6 registry with an embedded IPv4 address is not" "$WINCH" digest "[::ffff:127.0.0.1]:${DOWN#*:}/app:v1"
contains "... naming the registry" "$ERR" "bad registry"
