#!/bin/bash
# docker-archive:FILE[:REF]: `docker save` tarballs pushed (layers gzipped,
# diff_ids checked), registry images written as `docker load` tarballs
# (layers gunzipped and checked), skopeo as the peer both ways.
. "$(dirname "$0")/lib.sh"

IMG=$WORK/img
python3 "$TOP/tests/tools/mkimage.py" "$IMG" multi --platforms linux/amd64,linux/arm64 --layers 2 --size 100000 > /dev/null
reg_start plain || fail "registry started"
seed "$IMG" multi app:multi || fail "seeded"
export TMPDIR=$WORK/tmp
mkdir -p "$TMPDIR"
cfg() { "$WINCH" inspect --config "$1"; }

python3 "$TOP/tests/tools/mkdockersave.py" "$WORK/save.tar"
expect 0 "push a docker save tarball, choosing one of its images" "$WINCH" push "docker-archive:$WORK/save.tar:demo/app:1.0" "$REG/demo/app:1.0"
expect 0 "... it is a Docker v2 image with the archive's config" "$WINCH" inspect --format json "$REG/demo/app:1.0"
same "... platform and labels from the config" "$(printf %s "$OUT" | json "(d['mediaType'], d['os'], d['architecture'], d['labels'])")" \
	'["application/vnd.docker.distribution.manifest.v2+json", "linux", "amd64", {"from": "docker-save"}]'
same "... its layers gzipped" "$(printf %s "$OUT" | json "[l['mediaType'] for l in d['layers']]")" \
	'["application/vnd.docker.image.rootfs.diff.tar.gzip", "application/vnd.docker.image.rootfs.diff.tar.gzip"]'
expect 0 "... skopeo pulls it and umoci unpacks it" skopeo copy -q --src-tls-verify=false "docker://$REG/demo/app:1.0" "oci:$WORK/check:x"
expect 0 "... (unpack)" umoci unpack --rootless --image "$WORK/check:x" "$WORK/bundle"
same "... the files are there" "$(cat "$WORK/bundle/rootfs/etc/hello") $(ls "$WORK/bundle/rootfs/usr/bin")" "hello app"
expect 0 "pushing again is deterministic (same gzip, same digest)" "$WINCH" push --format json "docker-archive:$WORK/save.tar:demo/app:latest" "$REG/demo/app:again"
same "... nothing new to send" "$(printf %s "$OUT" | json "d['blobsCopied']")" 0
expect 2 "an archive of several images needs a REF" "$WINCH" push "docker-archive:$WORK/save.tar" "$REG/x:y"
contains "... and says so" "$ERR" "holds 2 images"
expect 3 "a REF the archive lacks" "$WINCH" push "docker-archive:$WORK/save.tar:demo/nope:1" "$REG/x:y"
expect 0 "the destination tag comes from the archive when not given" "$WINCH" push "docker-archive:$WORK/save.tar:demo/tool:2" "$REG/tool"
expect 0 "... (tag 2)" "$WINCH" exists "$REG/tool:2"

python3 "$TOP/tests/tools/mkdockersave.py" "$WORK/bad.tar" --bad-diffid
expect 7 "a layer that does not match its diff_id is refused" "$WINCH" push "docker-archive:$WORK/bad.tar:demo/app:1.0" "$REG/bad:1"
contains "... saying so" "$ERR" "its config says"
expect 3 "... nothing was pushed" "$WINCH" exists "$REG/bad:1"
python3 "$TOP/tests/tools/mkdockersave.py" "$WORK/escape.tar" --escape-link
expect 7 "a link pointing outside the archive is refused" "$WINCH" push "docker-archive:$WORK/escape.tar:demo/tool:2" "$REG/esc:1"
contains "... saying so" "$ERR" "points outside"
same "... and no temporary directory is left" "$(ls "$TMPDIR" | wc -l)" 0

# registry -> docker-archive: an index gives the host's platform; diff_ids kept
expect 0 "pull an index into a docker-archive" "$WINCH" pull "$REG/app:multi" "docker-archive:$WORK/out.tar:app:multi"
same "... the host's platform was picked" "$(tar -xOf "$WORK/out.tar" manifest.json | json "d[0]['RepoTags']")" '["app:multi"]'
amd=$(skopeo inspect --raw --tls-verify=false "docker://$REG/app:multi" | json "[m['digest'] for m in d['manifests'] if m['platform']['architecture']=='amd64'][0]")
same "... with its config, byte for byte" "$(tar -xOf "$WORK/out.tar" "$(tar -xOf "$WORK/out.tar" manifest.json | json "d[0]['Config']")" | sha256sum | cut -d' ' -f1)" \
	"$(cfg "$REG/app@$amd" | sha256sum | cut -d' ' -f1)"
expect 0 "skopeo reads winch's docker-archive" skopeo inspect "docker-archive:$WORK/out.tar"
expect 0 "push it back" "$WINCH" push "docker-archive:$WORK/out.tar" "$REG/back:multi"
same "... the diff_ids survive the round trip" "$(cfg "$REG/back:multi" | json "d['rootfs']['diff_ids']")" \
	"$(cfg "$REG/app@$amd" | json "d['rootfs']['diff_ids']")"
skopeo copy -q --src-tls-verify=false --override-arch arm64 "docker://$REG/app:multi" "docker-archive:$WORK/sk.tar:sk/app:1"
expect 0 "push a docker-archive skopeo wrote (with its internal links)" "$WINCH" push "docker-archive:$WORK/sk.tar" "$REG/fromsk:1"
same "... its arm64 config arrived" "$(cfg "$REG/fromsk:1" | json "d['architecture']")" arm64
expect 0 "pull --platform into a docker-archive" "$WINCH" pull --platform linux/arm64 "$REG/app:multi" "docker-archive:$WORK/arm.tar"
same "... untagged without a REF" "$(tar -xOf "$WORK/arm.tar" manifest.json | json "d[0]['RepoTags']")" '[]'

# a config whose diff_ids are paths writes nothing outside (issue 9, item 1)
mkdir -p "$WORK/pwn"
python3 "$TOP/tests/tools/evil-image.py" diffid-traversal "$WORK/evil" "$WORK/pwn/PWNED"
expect 7 "a layout image whose diff_id is \"sha256:../../PATH\" is refused as a docker-archive" "$WINCH" copy "oci:$WORK/evil:x" "docker-archive:$WORK/evil.tar"
contains "... naming the bad diff_id" "$ERR" "diff_ids[0]"
same "... and nothing was written at PATH.tar" "$(ls "$WORK/pwn")" ""
expect 0 "the same image pushed to a registry (bytes as they are)" "$WINCH" push "oci:$WORK/evil:x" "$REG/evil:diffid"
expect 7 "... is refused when pulled into a docker-archive" "$WINCH" pull "$REG/evil:diffid" "docker-archive:$WORK/evil.tar:evil:1"
same "... nothing written at PATH.tar" "$(ls "$WORK/pwn")" ""
same "... nor the archive" "$(ls "$WORK/evil.tar" 2>/dev/null)" ""
same "... and no temporary directory is left" "$(ls "$TMPDIR" | wc -l)" 0

# a docker-archive holds one image: several platforms are a usage error, before any transfer (issue 10, item 6)
expect 2 "pull with two --platform into a docker-archive is refused" "$WINCH" -v pull --platform linux/amd64 --platform linux/arm64 "$REG/app:multi" "docker-archive:$WORK/m.tar"
contains "... saying why" "$ERR" "at most one --platform"
lacks "... before any request for the image" "$ERR" "/manifests/"
same "... no archive, no temporary directory" "$(ls "$WORK/m.tar" 2>/dev/null; ls -A "$TMPDIR")" ""
expect 0 "an oci-archive of the index" "$WINCH" pull "$REG/app:multi" "oci-archive:$WORK/multi.tar:m"
expect 2 "copy of two platforms from an oci-archive into a docker-archive is refused" "$WINCH" copy --platform linux/amd64 --platform linux/arm64 "oci-archive:$WORK/multi.tar:m" "docker-archive:$WORK/m.tar"
same "... no archive, no temporary directory" "$(ls "$WORK/m.tar" 2>/dev/null; ls -A "$TMPDIR")" ""
expect 0 "one --platform from an oci-archive into a docker-archive works" "$WINCH" copy --platform linux/arm64 "oci-archive:$WORK/multi.tar:m" "docker-archive:$WORK/m.tar:m:arm"
same "... the arm64 config" "$(tar -xOf "$WORK/m.tar" "$(tar -xOf "$WORK/m.tar" manifest.json | json "d[0]['Config']")" | json "d['architecture']")" arm64
rm -f "$WORK/multi.tar" "$WORK/m.tar"

# only the chosen image's files are unpacked (issue 9, item 11)
python3 "$TOP/tests/tools/mkdockersave.py" "$WORK/junk.tar" --junk 100
run bash -c 'ulimit -f 51200; exec "$@"' _ "$WINCH" -v push "docker-archive:$WORK/junk.tar:demo/tool:2" "$REG/junk:2"
same "a docker-archive with 100 MiB nobody references is pushed" "$RC" 0
same "... unpacking under 1 MiB" "$(grep -o 'unpacked [0-9]* bytes' <<< "$ERR" | awk '{print ($2 < 1048576)}')" 1
same "... no temporary directory left" "$(ls -A "$TMPDIR")" ""
rm -f "$WORK/junk.tar"

# an image that lists one layer twice: the archive holds it once, and lists it twice
python3 "$TOP/tests/tools/evil-image.py" dup-layer "$WORK/dup"
expect 0 "an image with one layer listed twice goes into a docker-archive" "$WINCH" copy "oci:$WORK/dup:x" "docker-archive:$WORK/dup.tar:dup:1"
same "... manifest.json lists it twice" "$(tar -xOf "$WORK/dup.tar" manifest.json | json "len(d[0]['Layers']), len(set(d[0]['Layers']))")" "[2, 1]"
expect 0 "... and skopeo reads it" skopeo inspect "docker-archive:$WORK/dup.tar"
amd=$("$WINCH" digest --platform linux/amd64 "$REG/app:multi" 2>/dev/null || skopeo inspect --raw --tls-verify=false "docker://$REG/app:multi" | json "[m['digest'] for m in d['manifests'] if m['platform']['architecture']=='amd64'][0]")
python3 "$TOP/tests/tools/push-referrers.py" "$REG" app "$amd" > /dev/null
expect 2 "--referrers into a docker-archive (one image, no room for its referrers) is refused" "$WINCH" pull --referrers "$REG/app:multi" "docker-archive:$WORK/r.tar"
same "... no archive, no temporary directory" "$(ls "$WORK/r.tar" 2>/dev/null; ls -A "$TMPDIR")" ""
