#!/bin/bash
# winch sync: skopeo sync's YAML file and flags give skopeo's selection (compared with
# `skopeo sync --dry-run` on the same files) and skopeo's destination digests; a second run is
# one HEAD per tag per side; prune plans and applies with cleanup's safety; a rate limit that
# runs out mid-run; a failing repository in the middle; bad files copy nothing.
. "$(dirname "$0")/lib.sh"

IMG=$WORK/img
MK=$TOP/bench/mktags.py
Y=$WORK/sync.yml
SK="skopeo --insecure-policy"

# ---- bad input: nothing is copied, the line and column are named --------------------------
reg_start plain || fail "destination registry started"
B=$REG BLOG=$REG_DIR/registry.log
reg_start plain || fail "source registry A started"
A=$REG ALOG=$REG_DIR/registry.log
python3 "$MK" "$A" app 1.0,2.0 || fail "seeded A/app"
bad() { # WHAT NEEDLE YAML
	printf '%s\n' "$3" > "$WORK/bad.yml"
	expect 2 "a bad file: $1" "$WINCH" sync --src yaml "$WORK/bad.yml" "$B/bad"
	contains "... saying $2" "$ERR" "$2"
}
bad "a YAML syntax error, its line and column named" "bad.yml:3:11: mapping values are not allowed in this context" "$A:
  images:
    app: a: b"
bad "an unknown key, named" "bad.yml:4:3: $A: unknown key \"imagse\"" "$A:
  images:
    app: []
  imagse:
    other: []"
bad "an unknown key of winch's" "unknown key \"prefx\"" "$A:
  images: {app: []}
  winch: {prefx: x}"
bad "a key skopeo has and winch does not support" "identitytoken is not supported" "$A:
  images: {app: []}
  credentials: {identitytoken: abc}"
bad "a regex that does not compile" "the regular expression \"^v(1\"" "$A:
  images-by-tag-regex: {app: '^v(1'}"
bad "a semver range that does not parse" "the semver range \">= 1.x.y.z\"" "$A:
  images-by-semver: {app: '>= 1.x.y.z'}"
bad "a repository name that is not one" "\"$A/App\" is not a repository" "$A:
  images: {App: []}"
bad "a tag that is not one" "\"a tag?\" is neither a tag nor a digest" "$A:
  images: {app: ['a tag?']}"
bad "a key given twice" "the key \"app\" is there twice (first at line 3)" "$A:
  images:
    app: []
    app: [1.0]"
bad "tls-verify that is no bool" "tls-verify must be true or false" "$A:
  images: {app: []}
  tls-verify: maybe"
same "... and nothing was sent to the destination" "$(grep -c '"\(PUT\|POST\|HEAD\) /v2/' "$BLOG")" 0
expect 2 "--src dir is refused, saying so" "$WINCH" sync --src dir /media/usb "$B"
contains "... not supported" "$ERR" "--src dir is not supported"
expect 2 "--dest dir is refused, saying so" "$WINCH" sync --src docker --dest dir "$A/app" /media/usb
expect 2 "--assume-immutable that does not compile" "$WINCH" sync --src docker --assume-immutable '(' "$A/app" "$B/x"
contains "... named" "$ERR" "--assume-immutable"

same "completion: --src's values" "$(cd "$TOP" && PATH=/usr/bin:/bin bash -c '. completions/winch.bash; COMP_WORDS=(./winch sync --src ""); COMP_CWORD=3; _winch; echo "${COMPREPLY[*]}"')" "yaml docker"

# ---- the lab: three registries ----------------------------------------------------------------
# A: skopeo's man-page registry.example.com (busybox, redis, nginx, alpine); C: its quay.io
mkdir -p "$WORK/certs"
python3 "$TOP/tests/tools/mkimage.py" "$IMG" multi --platforms linux/amd64,linux/arm64 --size 300 > /dev/null
seed "$IMG" multi busybox:latest || fail "seeded the busybox index"
python3 "$MK" "$A" busybox 1-glibc,1-musl,1-ubuntu,alias
python3 "$MK" "$A" redis 1.0,2.0,3.0
python3 "$MK" "$A" nginx 1.13.1-alpine-perl,1.13.2-alpine-perl,1.13.3-alpine-perl,1.13.1-alpine,latest
python3 "$MK" "$A" alpine 3.11.0,3.12.0,3.12.1,4.0.0,3.13.0-rc1,v3.14,3.12,latest,edge
RDIG=$("$WINCH" digest "$A/redis:3.0")
reg_start plain || fail "source registry C started"
C=$REG CLOG=$REG_DIR/registry.log
python3 "$MK" "$C" coreos/etcd latest,v3.5
"$WINCH" tag -q "$A/busybox:latest" alias2 || fail "alias2 tagged"

# skopeo's man-page example, its registries renamed to the lab's; tls-verify false (plain HTTP
# on loopback, which skopeo only speaks so), cert-dir made
cat > "$Y" <<EOF
$A:
    images:
        busybox: []
        redis:
            - "1.0"
            - "2.0"
            - "$RDIG"
    images-by-tag-regex:
        nginx: ^1\.13\.[12]-alpine-perl$
    images-by-semver:
        alpine: ">= 3.12.0"
    credentials:
        username: john
        password: this is a secret
    tls-verify: false
    cert-dir: $WORK/certs
$C:
    tls-verify: false
    images:
        coreos/etcd:
            - latest
EOF

# "FROM -> TO" lines, names in full (skopeo prints Docker Hub's short: busybox:latest), sorted
full_names() {
	python3 -c '
import sys
def full(n):
    first = n.split("/")[0]
    if "/" not in n or ("." not in first and ":" not in first and first != "localhost"):
        n = "docker.io/" + (n if "/" in n else "library/" + n)
    return n
for l in sys.stdin:
    if " -> " in l:
        a, b = l.strip().split(" -> ")
        print(full(a), "->", full(b))' | sort
}
sk_pairs() { # skopeo's dry run
	grep -o 'from="docker://[^"]*" to="docker://[^"]*"' | sed 's/from="docker:\/\/\([^"]*\)" to="docker:\/\/\([^"]*\)"/\1 -> \2/' | full_names
}
compare() { # WHAT WINCH_ARGS... --- SKOPEO_ARGS...
	local what=$1 w=() s=() side=w
	shift
	for a in "$@"; do if [ "$a" = --- ]; then side=s; continue; fi; if [ $side = w ]; then w+=("$a"); else s+=("$a"); fi; done
	expect 0 "$what: winch sync --dry-run" "$WINCH" sync --dry-run "${w[@]}"
	local mine=$(printf '%s\n' "$OUT" | grep -v '/alpine:' | full_names)
	local theirs=$($SK sync --dry-run --dest docker "${s[@]}" 2>&1 | sk_pairs)
	[ -n "$theirs" ] || fail "$what: skopeo selected something"
	same "... the same images and destinations as skopeo sync --dry-run" "$mine" "$theirs"
}
# skopeo 1.9 (Debian's) predates images-by-semver: alpine is compared without it, below
compare "the man page's YAML file" --src yaml "$Y" "$B/wn" --- --src yaml --dest-tls-verify=false "$Y" "$B/wn"
contains "... the digest named in the file" "$OUT" "$A/redis@$RDIG -> $B/wn/redis@$RDIG"
# --scoped puts the whole source name under DEST: with a lab registry's port in it that is no
# reference (skopeo stops, winch fails each image); the man page's own registries need no network
# with tags given, and compare
expect 8 "--scoped with a source registry's port: no reference" "$WINCH" sync --scoped --src docker "$A/redis:1.0" "$B/sc"
contains "... said so" "$ERR" "is not a reference"
printf '%s\n' "registry.example.com:" "  images:" "    redis: ['1.0', '2.0', 'sha256:0000000000000000000000000000000011111111111111111111111111111111']" \
	"quay.io:" "  tls-verify: false" "  images:" "    coreos/etcd: [latest]" "docker.io:" "  images: {busybox: [latest], library/redis: ['7']}" > "$WORK/man.yml"
compare "the man page's registries, tags given" --src yaml "$WORK/man.yml" my-registry.local.lan/repo/ --- --src yaml "$WORK/man.yml" my-registry.local.lan/repo/
compare "... --scoped" --src yaml --scoped "$WORK/man.yml" my-registry.local.lan/repo/ --- --src yaml --scoped "$WORK/man.yml" my-registry.local.lan/repo/
compare "... to a registry without a path" --src yaml --scoped "$WORK/man.yml" my-registry.local.lan --- --src yaml --scoped "$WORK/man.yml" my-registry.local.lan
compare "the man page's --src docker registry.example.com/busybox" --src docker "$A/busybox" "$B" --- --src docker --src-tls-verify=false "$A/busybox" "$B"
compare "... keeping the repository" --src docker "$A/busybox" "$B/repo" --- --src docker --src-tls-verify=false "$A/busybox" "$B/repo"
compare "... one tag" --src docker "$A/redis:2.0" "$B/one" --- --src docker --src-tls-verify=false "$A/redis:2.0" "$B/one"
# Masterminds/semver's >= 3.12.0: no prerelease (3.13.0-rc1), v3.14 and 3.12 coerced
expect 0 "images-by-semver: Masterminds/semver's meaning" "$WINCH" sync --dry-run --src yaml "$Y" "$B/wn"
same "... >= 3.12.0 takes 3.12.0 3.12.1 4.0.0 v3.14 3.12, not 3.11.0, 3.13.0-rc1, latest, edge" \
	"$(printf '%s\n' "$OUT" | grep '/alpine:' | sed 's/.*alpine://' | sort | tr '\n' ' ')" "3.12 3.12.0 3.12.1 4.0.0 v3.14 "

# every supported key, winch's included (skopeo reads past `winch:`), and the same selection
{ cat "$Y"; printf '    winch:\n        platforms: [linux/amd64]\n        referrers: false\n        prune: false\n        rate-floor: 0\n        plain-http: false\n'; } > "$WORK/every.yml"
sed -i "0,/^    tls-verify: false/s//    tls-verify: no/" "$WORK/every.yml"
compare "a file with every supported key" --src yaml "$WORK/every.yml" "$B/ev" --- --src yaml --dest-tls-verify=false "$WORK/every.yml" "$B/ev"
# winch's prefix, and skopeo's --append-suffix (skopeo 1.9 has none: its meaning from sync.go)
printf '%s\n' "$A:" "  images: {redis: ['1.0']}" "  winch: {prefix: hub/mirror}" > "$WORK/prefix.yml"
expect 0 "winch: prefix puts a registry's images under it" "$WINCH" sync --dry-run --append-suffix -m "$WORK/prefix.yml" "$B/p"
same "... and --append-suffix ends each tag" "$OUT" "$A/redis:1.0 -> $B/p/hub/mirror/redis:1.0-m"

# ---- a real run: skopeo's destination digests ----------------------------------------------------
expect 0 "winch sync copies the man page's selection" "$WINCH" sync --src yaml --report "$WORK/report.json" "$Y" "$B/wn"
$SK sync --src yaml --dest docker --dest-tls-verify=false "$Y" "$B/sk" > /dev/null 2>&1 || fail "skopeo sync ran"
n=0 bad=""
for r in busybox:latest busybox:1-glibc busybox:alias redis:1.0 "redis@$RDIG" nginx:1.13.1-alpine-perl etcd:latest; do
	w=$("$WINCH" digest "$B/wn/$r") s=$("$WINCH" digest "$B/sk/$r")
	[ -n "$w" ] && [ "$w" = "$s" ] && n=$((n + 1)) || bad="$bad $r($w/$s)"
done
same "... the destination digests are skopeo's (busybox:latest: this machine's image of the index)" "$n$bad" 7
same "... which is the amd64 image, not the index" "$("$WINCH" digest "$B/wn/busybox:latest")" "$("$WINCH" digest --platform linux/amd64 "$A/busybox:latest")"
same "... the report names every image and its result" \
	"$(json '[len(d["images"]), d["summary"]["copied"], sorted(set(i["result"] for i in d["images"]))]' < "$WORK/report.json")" \
	'[17, 17, ["copied"]]'

expect 0 "--digestfile: newer skopeo's lines" "$WINCH" sync --digestfile "$WORK/digests" --src docker "$A/redis:1.0" "$B/wn"
same "... DIGEST docker://DEST" "$(cat "$WORK/digests")" "$("$WINCH" digest "$A/redis:1.0") docker://$B/wn/redis:1.0"

# ---- a second run: one HEAD per tag per side ------------------------------------------------------
expect 0 "a mirror with --all" "$WINCH" sync --all --src yaml "$Y" "$B/all"
# a registry writes its access line after the answer went out: wait for the logs to stop growing
settle() {
	local a b i=0
	a=$(cat "$ALOG" "$CLOG" "$BLOG" | wc -l)
	while [ $i -lt 30 ]; do
		sleep 0.1
		b=$(cat "$ALOG" "$CLOG" "$BLOG" | wc -l)
		[ "$a" = "$b" ] && break
		a=$b i=$((i + 1))
	done
}
marks() { settle; for f in "$ALOG" "$CLOG" "$BLOG"; do wc -l < "$f"; done > "$WORK/marks"; }
marks
since() { # LOG N ERE: matching lines logged after mark N
	local m=$(sed -n "$2p" "$WORK/marks")
	tail -n +$((m + 1)) "$1" | grep -cE "$3"
}
expect 0 "the second run is a no-op" "$WINCH" sync --all --format json --src yaml "$Y" "$B/all"
settle
same "... every image up to date" "$(json '[d["summary"]["upToDate"], d["summary"]["copied"]]' <<< "$OUT")" "[17, 0]"
# 17 images: 16 by tag (a HEAD at the source each), 1 by digest (none: a digest names its bytes)
same "... one HEAD per tag at the sources" "$(($(since "$ALOG" 1 '"HEAD /v2/[^ ]*/manifests/') + $(since "$CLOG" 2 '"HEAD /v2/[^ ]*/manifests/')))" 16
same "... one HEAD per image at the destination" "$(since "$BLOG" 3 '"HEAD /v2/[^ ]*/manifests/')" 17
same "... and no manifest GET, blob or write anywhere" \
	"$(($(since "$ALOG" 1 '"GET /v2/[^ ]*/(manifests|blobs)/') + $(since "$CLOG" 2 '"GET /v2/[^ ]*/(manifests|blobs)/') + $(since "$BLOG" 3 '"(GET|PUT|POST|PATCH|DELETE) /v2/')))" 0
marks
expect 0 "--assume-immutable: tags that never move" "$WINCH" sync --all --assume-immutable '^(1\.0|2\.0|1-.*)$' --src yaml "$Y" "$B/all"
settle
same "... cost no source HEAD when the destination has them (A's 15 - 5)" "$(since "$ALOG" 1 '"HEAD /v2/[^ ]*/manifests/')" 10

# ---- prune: plan, review, apply; never outside the selection, never a manifest a kept tag needs ---
printf '%s\n' "$A:" "  images: {busybox: [], redis: ['1.0']}" "  images-by-tag-regex: {nginx: '^1\\.13\\.'}" > "$WORK/prune.yml"
expect 0 "prune: a first mirror" "$WINCH" sync --all --src yaml "$WORK/prune.yml" "$B/pr"
"$WINCH" copy -q "$A/redis:3.0" "$B/pr/redis:old" && "$WINCH" copy -q "$A/nginx:latest" "$B/pr/nginx:mine" || fail "dest-only tags"
"$WINCH" delete -q "$A/busybox:1-musl" && "$WINCH" delete -q "$A/busybox:alias2" && "$WINCH" delete -q "$A/nginx:1.13.3-alpine-perl" || fail "source tags deleted"
expect 0 "prune --dry-run --plan-file" "$WINCH" sync --all --prune --dry-run --plan-file "$WORK/plan.json" --src yaml "$WORK/prune.yml" "$B/pr"
same "... shows the tags the selection no longer has" "$(printf '%s\n' "$OUT" | grep '^prune' | cut -d' ' -f2 | sort | tr '\n' ' ')" \
	"$B/pr/busybox:1-musl $B/pr/busybox:alias2 $B/pr/nginx:1.13.3-alpine-perl "
lacks "... never a tag outside it (redis is a list, nginx:mine no rule's)" "$OUT" ":old"
expect 0 "... and deletes nothing" "$WINCH" exists "$B/pr/busybox:1-musl"
expect 0 "winch sync --apply the plan" "$WINCH" sync --apply "$WORK/plan.json"
expect 3 "... the tag the source dropped is gone" "$WINCH" exists "$B/pr/busybox:1-musl"
expect 3 "... and the alias of a kept image" "$WINCH" exists "$B/pr/busybox:alias2"
expect 0 "... whose image stays for the tag that keeps it" "$WINCH" exists "$B/pr/busybox:latest"
expect 0 "... tags outside the selection stay" "$WINCH" exists "$B/pr/redis:old"
expect 0 "... and the ones no rule covers" "$WINCH" exists "$B/pr/nginx:mine"
same "... a tag the regex covers went, the others stayed" "$("$WINCH" list-tags "$B/pr/nginx" | sort | tr '\n' ' ')" "1.13.1-alpine 1.13.1-alpine-perl 1.13.2-alpine-perl mine "
"$WINCH" copy -q "$A/redis:1.0" "$B/pr/busybox:gone" || fail "a stray busybox tag"
expect 0 "--prune in the run itself" "$WINCH" sync --all --prune --format json --src yaml "$WORK/prune.yml" "$B/pr"
same "... reports the tag pruned" "$(json '[i["destination"] for i in d["images"] if i["result"] == "pruned"]' <<< "$OUT")" "[\"$B/pr/busybox:gone\"]"
expect 3 "... and it is gone" "$WINCH" exists "$B/pr/busybox:gone"

# ---- one repository failing in the middle: the others are done, the report names it -------------
printf '%s\n' "$A:" "  images:" "    redis: ['1.0']" "    missing: []" "    nginx: [nope, latest]" "    busybox: ['1-glibc']" > "$WORK/fail.yml"
expect 8 "a failing repository in the middle: exit 8" "$WINCH" sync --report "$WORK/fail.json" --src yaml "$WORK/fail.yml" "$B/f"
contains "... naming it" "$ERR" "$A/missing"
same "... the others are copied" "$(json '[i["result"] for i in d["images"]]' < "$WORK/fail.json")" \
	'["copied", "failed", "failed", "copied", "copied"]'
same "... the report says which failed and why" \
	"$(json '[[i["source"], "error" in i] for i in d["images"] if i["result"] == "failed"]' < "$WORK/fail.json")" \
	"[[\"$A/missing\", true], [\"$A/nginx:nope\", true]]"
expect 0 "... they are at the destination" "$WINCH" exists "$B/f/busybox:1-glibc"

# ---- a pull quota that runs out mid-run: Docker Hub's personality ---------------------------------
front_start hub || fail "hub front started"
H=$FRONT HLOG=$FRONT_LOG
python3 "$MK" "$REG" library/app a,b,c,d,e,f || fail "seeded the hub"
mkdir -p "$WORK/anon"
printf '%s\n' "$H:" "  images: {library/app: []}" > "$WORK/hub.yml"
front_state '{"quota_remaining": 5}' > /dev/null
expect 5 "a rate floor reached mid-run: exit 5" env DOCKER_CONFIG="$WORK/anon" "$WINCH" sync --jobs 1 --rate-floor 2 \
	--report "$WORK/hub.json" --src yaml "$WORK/hub.yml" "$B/h"
same "... pulls stop at the floor: 3 copied, 3 left" "$(json '[i["result"] for i in d["images"]]' < "$WORK/hub.json")" \
	'["copied", "copied", "copied", "skipped", "skipped", "skipped"]'
contains "... saying why" "$(json 'd["images"][5]["error"]' < "$WORK/hub.json")" "2 pulls left, at or under the floor of 2"
same "... and the quota never ran out" "$(curl -s "http://$H/_front/quota" | json 'd["127.0.0.1"]["remaining"]')" 2
mark=$(wc -l < "$HLOG")
expect 5 "at the floor, a run still checks with HEADs" env DOCKER_CONFIG="$WORK/anon" "$WINCH" sync --rate-floor 2 --format json --src yaml "$WORK/hub.yml" "$B/h"
same "... the copied images are up to date, the others left" "$(json '[i["result"] for i in d["images"]]' <<< "$OUT")" \
	'["up-to-date", "up-to-date", "up-to-date", "skipped", "skipped", "skipped"]'
same "... with no GET of a manifest" "$(tail -n +$((mark + 1)) "$HLOG" | grep -cE ' GET /v2/[^ ]*/manifests/')" 0
front_state '{"quota_remaining": 10}' > /dev/null
expect 0 "without the floor the rest is copied" env DOCKER_CONFIG="$WORK/anon" "$WINCH" sync --src yaml "$WORK/hub.yml" "$B/h"
# the floor is each registry's own: a second Hub-like registry with its quota left is not held back
front_state '{"quota_remaining": 3}' > /dev/null
H1=$H
front_start hub || fail "a second hub front started"
python3 "$MK" "$REG" library/other x,y || fail "seeded the second hub"
printf '%s\n' "$H1:" "  images: {library/app: []}" "$FRONT:" "  images: {library/other: []}" > "$WORK/hubs.yml"
expect 5 "a floor reached at one registry" env DOCKER_CONFIG="$WORK/anon" "$WINCH" sync --jobs 1 --rate-floor 2 \
	--format json --src yaml "$WORK/hubs.yml" "$B/h2"
same "... leaves its images, not the other registry's" "$(json '[i["result"] for i in d["images"]]' <<< "$OUT")" \
	'["copied", "skipped", "skipped", "skipped", "skipped", "skipped", "copied", "copied"]'
