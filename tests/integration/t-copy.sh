#!/bin/bash
# copy between two real registries (token auth to htpasswd auth, and plain):
# digests kept byte for byte, skopeo reads the result, mounts, skips, no-op
# copies, platforms, --all-tags, --referrers, flat memory.
. "$(dirname "$0")/lib.sh"

IMG=$WORK/img
mk() { python3 "$TOP/tests/tools/mkimage.py" "$IMG" "$@" > /dev/null; }
mk small --size 512
mk multi5 --layers 5 --size 200000 --seed 5
mk shared --layers 5 --size 200000 --seed 5 --label differs=yes   # same layers as multi5, another config
mk arch --platforms linux/amd64,linux/arm64/v8,linux/arm/v7 --layers 2 --size 50000 --seed 9

# sizes and counts out of range are usage errors, before anything is sent
# (strtoull saturates or takes a sign, a suffix's shift wraps)
for v in 99999999999999999999 18446744073709551616 17179869185G 9223372036854775808 8589934592G -1 -18446744073709551615 ' 64K' 0 4095 64X; do
	expect 2 "--chunk-size '$v' is refused" "$WINCH" copy --chunk-size "$v" 127.0.0.1:1/a:b 127.0.0.1:1/c:d
	contains "... naming it" "$ERR" "--chunk-size takes a size"
done
for v in 18446744073709551617 -18446744073709551615 4294967297 65 0 -1; do
	expect 2 "--jobs '$v' is refused" "$WINCH" copy --jobs "$v" 127.0.0.1:1/a:b 127.0.0.1:1/c:d
done
expect 6 "--chunk-size 8589934591G (2^63-2^30) is in range" "$WINCH" copy --chunk-size 8589934591G 127.0.0.1:1/a:b 127.0.0.1:1/c:d

# A: token auth (source), B: htpasswd (destination)
reg_start token || fail "source registry started"
A=$REG A_USER=$REG_USER A_PASS=$REG_PASS A_RD=$SKOPEO_RD A_TOKEN_LOG=$TOKEN_LOG
for t in small multi5 shared arch; do seed "$IMG" $t app:$t || fail "seeded $t"; done
seed "$IMG" small app:1.0 && seed "$IMG" multi5 app:1.1 && seed "$IMG" small app:2.0
reg_start basic || fail "destination registry started"
B=$REG B_RD=$SKOPEO_RD B_SRC=$SKOPEO_SRC
mkdir -p "$HOME/.docker"
a_auth=$(printf %s "$A_USER:$A_PASS" | base64 -w0) b_auth=$(printf %s "$REG_USER:$REG_PASS" | base64 -w0)
echo "{\"auths\":{\"$A\":{\"auth\":\"$a_auth\"},\"$B\":{\"auth\":\"$b_auth\"}}}" > "$HOME/.docker/config.json"

rawdigest() { # REG_FLAGS REF
	skopeo inspect --raw $1 "docker://$2" | sha256sum | cut -d' ' -f1
}

for t in small multi5 arch; do
	expect 0 "copy $t from a token registry to a basic-auth registry" "$WINCH" copy "$A/app:$t" "$B/app:$t"
	same "... the destination digest is the source's ($t)" "$(rawdigest "$B_RD" "$B/app:$t")" "$(rawdigest "$A_RD" "$A/app:$t")"
	rm -rf "$WORK/back"
	expect 0 "... skopeo pulls the copy back ($t)" skopeo copy -q --all $B_SRC "docker://$B/app:$t" "oci:$WORK/back:x"
done
expect 0 "copy again with --format json" "$WINCH" copy --format json "$A/app:multi5" "$B/app:multi5"
same "... nothing to do" "$(printf %s "$OUT" | json "(d['upToDate'], d['blobsCopied'], d['manifestsPut'])")" "[true, 0, 0]"
run "$WINCH" -v copy "$A/app:multi5" "$B/app:multi5"
lacks "... and no upload was even started" "$ERR" "POST"
same "... in two requests: the source manifest and a HEAD at the destination" "$(printf '%s\n' "$ERR" | real_requests)" 2

expect 0 "copy an image that shares layers with one already there" "$WINCH" copy --format json "$A/app:shared" "$B/app:shared"
same "... only its config is sent" "$(printf %s "$OUT" | json "(d['blobsCopied'], d['blobsSkipped'])")" "[1, 5]"

expect 0 "copy to another repository of the same registry" "$WINCH" copy --format json -v "$A/app:multi5" "$A/other:multi5"
same "... mounts every blob" "$(printf %s "$OUT" | json "(d['blobsMounted'], d['blobsCopied'])")" "[6, 0]"
contains "... asking one token for push there and pull here" "$(cat "$A_TOKEN_LOG")" "repository:other:pull,push repository:app:pull"
same "... digest kept" "$(rawdigest "$A_RD" "$A/other:multi5")" "$(rawdigest "$A_RD" "$A/app:multi5")"

# platforms
expect 0 "copy one platform of an index" "$WINCH" copy --platform linux/arm64 "$A/app:arch" "$B/one:arm64"
want=$(skopeo inspect --raw $A_RD "docker://$A/app:arch" | json "[m['digest'] for m in d['manifests'] if m['platform']['architecture']=='arm64'][0]")
same "... gives that platform's manifest, linux/arm64 matching linux/arm64/v8" "sha256:$(rawdigest "$B_RD" "$B/one:arm64")" "$want"
expect 0 "copy two platforms" "$WINCH" copy --platform linux/amd64 --platform linux/arm "$A/app:arch" "$B/two:x"
same "... gives an index of just those (linux/arm = linux/arm/v7)" \
	"$(skopeo inspect --raw $B_RD "docker://$B/two:x" | json "[m['platform']['architecture']+'/'+m['platform'].get('variant','') for m in d['manifests']]")" \
	'["amd64/", "arm/v7"]'
expect 3 "a platform the index lacks" "$WINCH" copy --platform linux/s390x "$A/app:arch" "$B/none:x"
contains "... names the platforms it has" "$ERR" "linux/arm64/v8"
expect 2 "a malformed platform" "$WINCH" copy --platform linux "$A/app:arch" "$B/none:x"

# digestfile, destination tag defaults
expect 0 "--digestfile" "$WINCH" copy --digestfile "$WORK/digest" "$A/app:small" "$B/df"
same "... holds the digest" "$(cat "$WORK/digest")" "sha256:$(rawdigest "$A_RD" "$A/app:small")"
expect 0 "... a destination without a tag takes the source's" "$WINCH" exists "$B/df:small"
expect 3 "copy of a missing tag" "$WINCH" copy "$A/app:nope" "$B/app:nope"
umask 022
expect 0 "--digestfile gets a new file's usual mode" "$WINCH" copy --digestfile "$WORK/digest" "$A/app:small" "$B/df"
same "... 0666 less the umask" "$(stat -c %a "$WORK/digest")" 644
# --digestfile that cannot be written: refused before anything moves, with the reason
expect 2 "--digestfile in a directory that does not exist" "$WINCH" copy --digestfile "$WORK/nodir/d" "$A/app:small" "$B/df17"
contains "... names the file and the reason" "$ERR" "cannot write --digestfile $WORK/nodir/d: No such file or directory"
expect 3 "... and nothing was pushed" "$WINCH" exists "$B/df17:small"
mkdir -p "$WORK/adir"
expect 2 "--digestfile naming a directory" "$WINCH" copy --digestfile "$WORK/adir" "$A/app:small" "$B/df17"
contains "... says so" "$ERR" "Is a directory"
rmdir "$WORK/adir"
same "... and no temp file is left beside it" "$(ls "$WORK" | grep -c winch-tmp)" 0

# by digest to a repository without a tag: no tag is made up
DS=$("$WINCH" digest "$A/app:small")
expect 0 "copy REPO@DIGEST to a repository without a tag" "$WINCH" copy "$A/app@$DS" "$B/notag"
contains "... says it went by digest only" "$ERR" "by digest only, no tag written"
expect 3 "... no latest tag appeared" "$WINCH" exists "$B/notag:latest"
expect 0 "... the image is there by digest" "$WINCH" exists "$B/notag@$DS"
expect 0 "... with --format json" "$WINCH" copy --format json "$A/app@$DS" "$B/notag"
same "... byDigest is true" "$(printf %s "$OUT" | json "(d['byDigest'], d['upToDate'], d['digest'])")" "[true, true, \"$DS\"]"
expect 0 "copy REPO:TAG@DIGEST keeps the tag" "$WINCH" copy "$A/app:small@$DS" "$B/withtag"
expect 0 "... under it" "$WINCH" exists "$B/withtag:small"
mkdir -p "$WORK/pull" && cd "$WORK/pull"
expect 0 "pull REPO@DIGEST with the default destination" "$WINCH" pull "$A/app@$DS"
contains "... writes oci:app by digest only, and says so" "$ERR" "to oci:app: $DS"
contains "... by digest" "$ERR" "by digest only"
same "... no tag in the layout" "$(json "[m.get('annotations', {}).get('org.opencontainers.image.ref.name') for m in d['manifests']]" < app/index.json)" "[null]"
cd "$TOP" && rm -rf "$WORK/pull"

# --all-tags
expect 0 "copy --all-tags --match" "$WINCH" copy --all-tags --match '^[0-9]' --digestfile "$WORK/tags.digests" "$A/app" "$B/mirror"
same "... copies the matching tags" "$("$WINCH" list-tags "$B/mirror" | tr '\n' ' ')" "1.0 1.1 2.0 "
contains "... ends with a summary line" "$(printf '%s\n' "$ERR" | tail -n 1)" "$A/app to $B/mirror: 3 tags: 3 copied, 0 up to date, 0 failed"
same "... --digestfile gets one \"TAG DIGEST\" line per tag" "$(cat "$WORK/tags.digests")" \
	"$(for t in 1.0 1.1 2.0; do echo "$t $("$WINCH" digest "$A/app:$t")"; done)"
expect 3 "copy --all-tags with a --match that matches nothing" "$WINCH" copy --all-tags --match '^nothing' "$A/app" "$B/mirror"
contains "... says so" "$ERR" "no tag of $A/app matches \"^nothing\" (it has 7 tags)"
expect 0 "copy --all-tags --format json" "$WINCH" copy --all-tags --format json --match '^1' "$A/app" "$B/mirror"
same "... the envelope: source, destination, results, summary" \
	"$(printf %s "$OUT" | json "(d['source'], d['destination'], [(r['tag'], r['destination'], r['upToDate'], r['digest'][:7]) for r in d['results']], d['summary']['copied'], d['summary']['upToDate'], d['summary']['failed'])")" \
	"[\"$A/app\", \"$B/mirror\", [[\"1.0\", \"$B/mirror:1.0\", true, \"sha256:\"], [\"1.1\", \"$B/mirror:1.1\", true, \"sha256:\"]], 0, 2, 0]"
expect 0 "a single copy --format json has the same envelope" "$WINCH" copy --format json "$A/app:1.0" "$B/mirror:1.0"
same "... one result, the summary, and the copy's own fields at the top as before" \
	"$(printf %s "$OUT" | json "(len(d['results']), d['results'][0]['digest'] == d['digest'], d['summary']['upToDate'], d['upToDate'], d['source'])")" \
	"[1, true, 1, true, \"$A/app:1.0\"]"
for t in 1.0 1.1 2.0; do same "... $t keeps its digest" "$(rawdigest "$B_RD" "$B/mirror:$t")" "$(rawdigest "$A_RD" "$A/app:$t")"; done
run "$WINCH" -v copy -j1 --all-tags --match '^[0-9]' "$A/app" "$B/mirror"
same "a second --all-tags sends nothing: 1 list + 2 requests per tag (source manifest, destination HEAD)" \
	"$(printf '%s\n' "$ERR" | real_requests)" 7
contains "... and says so" "$ERR" "nothing to copy"

reg_stop_all

# plain registries: referrers, chunked uploads, memory
reg_start plain; A=$REG
seed "$IMG" multi5 app:v1
subject=sha256:$(skopeo inspect --raw --tls-verify=false "docker://$A/app:v1" | sha256sum | cut -d' ' -f1)
tags=$(python3 "$TOP/tests/tools/push-referrers.py" "$A" app "$subject")
reg_start plain; B=$REG
expect 0 "copy --referrers" "$WINCH" copy --referrers --format json "$A/app:v1" "$B/app:v1"
same "... copies both referrer tags" "$(printf %s "$OUT" | json "d['referrerTags']")" 2
for t in $tags; do
	same "... $t keeps its digest" "$(rawdigest --tls-verify=false "$B/app:$t")" "$(rawdigest --tls-verify=false "$A/app:$t")"
done
expect 0 "... the SBOM the index lists is there" "$WINCH" exists "$B/app@$(skopeo inspect --raw --tls-verify=false "docker://$A/app:${tags%% *}" | json "d['manifests'][0]['digest']")"
# a source with the OCI referrers API (emulated by the proxy), a destination without
PPORT=$(free_port)
echo '{"referrers-api": 1000}' > "$WORK/faults.json"
python3 "$TOP/tests/tools/fault-proxy.py" --port "$PPORT" --upstream "$A" --faults "$WORK/faults.json" \
	--log "$WORK/proxy.log" > /dev/null 2>&1 &
REG_PIDS="$REG_PIDS $!"
wait_port 127.0.0.1 "$PPORT"
expect 0 "copy --referrers from a registry with the referrers API" \
	"$WINCH" -v copy --referrers --format json "127.0.0.1:$PPORT/app:v1" "$B/api:v1"
contains "... asks the API" "$ERR" "/referrers/$subject"
same "... copies the SBOM by digest and the cosign tag" "$(printf %s "$OUT" | json "d['referrerTags']")" 2
same "... and, the destination having no API, writes the fallback index tag" \
	"$(rawdigest --tls-verify=false "$B/api:${tags%% *}")" "$(rawdigest --tls-verify=false "$A/app:${tags%% *}")"
expect 0 "copy without --referrers leaves them" "$WINCH" copy "$A/app:v1" "$B/plain:v1"
same "... none copied" "$("$WINCH" list-tags "$B/plain")" "v1"

run "$WINCH" -v copy --chunk-size 64K "$A/app:v1" "$B/chunked:v1"
same "a small --chunk-size uploads in PATCH chunks" "$([ "$(printf '%s\n' "$ERR" | grep -c 'debug: PATCH')" -ge 6 ] && echo yes)" yes
same "... and the digest is kept" "$(rawdigest --tls-verify=false "$B/chunked:v1")" "$(rawdigest --tls-verify=false "$A/app:v1")"

# memory stays flat: a 96 MiB layer costs what a 1 MiB one does
mk big --size 100663296 --seed 11
mk little --size 1048576 --seed 12
REG=$A
seed "$IMG" big app:big && seed "$IMG" little app:little
rss() { /usr/bin/time -f %M "$WINCH" copy -q "$A/app:$1" "$B/rss:$1" 2>&1 >/dev/null | tail -n 1; }
r_big=$(rss big) r_little=$(rss little)
echo "# peak RSS: 96 MiB layer ${r_big} KiB, 1 MiB layer ${r_little} KiB"
same "peak memory copying a 96 MiB layer is within 2 MiB of a 1 MiB one" "$([ $((r_big - r_little)) -lt 2048 ] && echo flat)" flat
same "... and the big copy is right" "$(rawdigest --tls-verify=false "$B/rss:big")" "$(rawdigest --tls-verify=false "$A/app:big")"
