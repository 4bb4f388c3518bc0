#!/bin/bash
# Local images and manifest kinds (issue 11, "Local images" and "Manifests"):
# where oci:/oci-archive: paths end, the read commands on every location,
# --platform for inspect/manifest/digest, Cmd/Entrypoint/WorkingDir,
# --dest-format, and the manifests winch refuses by type.
. "$(dirname "$0")/lib.sh"

# ---- manifests refused by their type, from a registry and from a layout
# (tests/tools/mkmanifests.py; tests/tools/hostile-server.py serves its images
# with the digest of their index.json entry, as Docker-Content-Digest)
ODD=$WORK/odd
python3 "$TOP/tests/tools/mkmanifests.py" "$ODD"
HP=$(free_port) HQ=$(free_port)
echo plain > "$WORK/mode"
python3 "$TOP/tests/tools/hostile-server.py" --port "$HP" --other-port "$HQ" --log "$WORK/hostile.log" \
	--mode-file "$WORK/mode" --layout "$ODD" > "$WORK/hostile.out" 2>&1 &
REG_PIDS="$REG_PIDS $!"
wait_port 127.0.0.1 "$HP" || fail "fake registry started"
H=127.0.0.1:$HP
for t in s1signed s1; do
	expect 1 "a $t manifest from a registry is refused" "$WINCH" manifest "$H/old:$t"
	contains "... as schema 1, not as a digest mismatch" "$ERR" "schema 1 manifests are not supported"
	expect 1 "... as a copy source" "$WINCH" copy "$H/old:$t" "oci:$WORK/s1-$t"
	contains "... as schema 1" "$ERR" "schema 1 manifests are not supported"
	expect 1 "a $t manifest in a layout is refused" "$WINCH" copy "oci:$ODD:$t" "oci:$WORK/s1-$t"
	contains "... as schema 1, not as a digest mismatch" "$ERR" "schema 1 manifests are not supported"
	same "... and nothing is written" "$(ls -d "$WORK/s1-$t" 2>/dev/null)" ""
done
expect 1 "an OCI artifact manifest from a registry is refused (exit 1, not 7)" "$WINCH" inspect "$H/old:artifact"
contains "... as an unsupported manifest type" "$ERR" "unsupported manifest type application/vnd.oci.artifact.manifest.v1+json"
lacks "... not as malformed" "$ERR" "schemaVersion"
expect 1 "... from a layout too" "$WINCH" copy "oci:$ODD:artifact" "oci:$WORK/art"
contains "... as an unsupported manifest type" "$ERR" "unsupported manifest type application/vnd.oci.artifact.manifest.v1+json"

# ---- a registry and images for the rest
IMG=$WORK/img
python3 "$TOP/tests/tools/mkimage.py" "$IMG" single --layers 2 --seed 21 \
	--config '{"Cmd":["/bin/app","--serve"],"Entrypoint":["/sbin/tini","--"],"WorkingDir":"/srv/app"}' > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$IMG" multi --platforms linux/amd64,linux/arm64/v8,linux/arm/v7 --seed 22 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$IMG" dmulti --docker --platforms linux/amd64,linux/arm64/v8 --seed 23 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$IMG" dsingle --docker --seed 24 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$IMG" foreign --docker --layer-type foreign --seed 25 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$IMG" zstd --layer-type zstd --seed 26 > /dev/null
reg_start plain || fail "registry started"
# skopeo 1.9 reads no Docker media types from a layout: winch pushes those
seed "$IMG" single app:single && seed "$IMG" multi app:multi && "$WINCH" push -q "oci:$IMG:dmulti" "$REG/app:dmulti" &&
	"$WINCH" push -q "oci:$IMG:dsingle" "$REG/app:dsingle" && "$WINCH" push -q "oci:$IMG:zstd" "$REG/app:zstd" || fail "seeded"
rd() { skopeo inspect --raw --tls-verify=false "docker://$REG/$1" | sha256sum | cut -d' ' -f1; }
names() { json "[m.get('annotations', {}).get('org.opencontainers.image.ref.name') for m in d['manifests']]" < "$1/index.json"; }
cd "$WORK"

# ---- oci: and oci-archive: end the path at the first ':' (containers/image's oci_util.go)
expect 0 "pull into oci:DIR:NAME where NAME holds ':' and '/'" "$WINCH" pull "$REG/app:single" "oci:$WORK/d:other.io/x:y"
same "... writes the layout DIR, naming the image NAME" "$(names "$WORK/d")" '["other.io/x:y"]'
same "... and no directory named after the text up to the last ':'" "$(ls -d "$WORK"/d:* 2>/dev/null)" ""
expect 0 "... skopeo reads it by that name" skopeo inspect "oci:$WORK/d:other.io/x:y"
expect 0 "... and winch pushes it by that name" "$WINCH" push "oci:$WORK/d:other.io/x:y" "$REG/named:v1"
same "... the same image" "$(rd named:v1)" "$(rd app:single)"
# podman and skopeo name images in archives with whole references
skopeo copy -q --src-tls-verify=false "docker://$REG/app:single" "oci-archive:$WORK/pod.tar:127.0.0.1:38219/small:latest"
expect 0 "push an oci-archive whose image is named 127.0.0.1:38219/small:latest (as podman names them)" \
	"$WINCH" push "oci-archive:$WORK/pod.tar:127.0.0.1:38219/small:latest" "$REG/pod"
same "... a destination without a tag takes the name's tag" "$("$WINCH" list-tags "$REG/pod")" "latest"
expect 0 "pull into an oci-archive under such a name" "$WINCH" pull "$REG/app:single" "oci-archive:$WORK/w.tar:127.0.0.1:5000/w/x:1.0"
expect 0 "... skopeo reads it by that name" skopeo inspect "oci-archive:$WORK/w.tar:127.0.0.1:5000/w/x:1.0"
expect 0 "an image name that is no reference (upper case) is a layout name" "$WINCH" copy "oci:$WORK/d:other.io/x:y" "oci:$WORK/up:Team/App"
expect 2 "... but no registry tag: a destination without a tag is refused" "$WINCH" push "oci:$WORK/up:Team/App" "$REG/up"
contains "... saying to give it a tag" "$ERR" "give the destination"
expect 0 "... one with a tag takes it" "$WINCH" push "oci:$WORK/up:Team/App" "$REG/up:v1"
expect 2 "an invalid image name is refused" "$WINCH" pull "$REG/app:single" "oci:$WORK/bad:a__b/c"
contains "... naming it" "$ERR" 'invalid image name "a__b/c"'
same "... before anything is written" "$(ls -d "$WORK/bad" 2>/dev/null)" ""
expect 3 "a failed pull into a new oci:DIR:NAME with ':' in NAME" "$WINCH" pull "$REG/app:nope" "oci:$WORK/new:other.io/x:y"
same "... leaves no directory" "$(ls -d "$WORK"/new* 2>/dev/null)" ""
expect 3 "... nor into a new oci-archive" "$WINCH" pull "$REG/app:nope" "oci-archive:$WORK/new.tar:other.io/x:y"
same "... leaves no file" "$(ls -d "$WORK"/new* 2>/dev/null)" ""
dg=$(json "d['manifests'][0]['digest']" < "$WORK/d/index.json")
expect 0 "oci:DIR:@N names index.json's entry N (containers/image's source index)" "$WINCH" push "oci:$WORK/d:@0" "$REG/idx:v1"
same "... that image" "$(rd idx:v1)" "${dg#sha256:}"
expect 3 "... an N past the end" "$WINCH" push "oci:$WORK/d:@1" "$REG/idx:v2"
contains "... says how many there are" "$ERR" "only 1 entries available"
expect 2 "... a destination takes no @N" "$WINCH" pull "$REG/app:single" "oci:$WORK/d:@0"
expect 0 "oci:DIR:@DIGEST names an image by digest" "$WINCH" push "oci:$WORK/d:@$dg" "$REG/idx:v3"
expect 2 "oci:DIR:@DIGEST with an unsupported algorithm is a usage error" "$WINCH" push "oci:$WORK/d:@foo:${dg#sha256:}" "$REG/idx:v5"
contains "... saying so" "$ERR" "unsupported digest algorithm"
expect 0 "oci:DIR@DIGEST still does (winch's form)" "$WINCH" push "oci:$WORK/d@$dg" "$REG/idx:v4"
same "... the same image" "$(rd idx:v4)" "${dg#sha256:}"

# ---- the read commands take every location copy takes (the library opens it)
expect 0 "pull the images into a layout, an oci-archive and a docker-archive" sh -c \
	"'$WINCH' pull -q '$REG/app:single' 'oci:$WORK/lay:single' && '$WINCH' pull -q '$REG/app:multi' 'oci:$WORK/lay:multi' &&
	 '$WINCH' pull -q '$REG/app:multi' 'oci-archive:$WORK/m.tar:multi' && '$WINCH' pull -q '$REG/app:single' 'docker-archive:$WORK/d.tar:demo/app:1.0'"
python3 "$TOP/tests/tools/mkdockersave.py" "$WORK/two.tar"
want_single=$(skopeo inspect --tls-verify=false "docker://$REG/app:single" | json "d['Digest']")
want_multi=sha256:$(rd app:multi)
for loc in "oci:$WORK/lay:single" "oci:$WORK/lay:@$want_single"; do
	expect 0 "inspect $loc" "$WINCH" inspect --format json "$loc"
	same "... its digest" "$(printf %s "$OUT" | json "d['digest']")" "$want_single"
	same "... its layers agree with the registry's" "$(printf %s "$OUT" | json "[l['digest'] for l in d['layers']]")" \
		"$("$WINCH" inspect --format json "$REG/app:single" | json "[l['digest'] for l in d['layers']]")"
	same "... named after the layout" "$(printf %s "$OUT" | json "d['name']")" "oci:$WORK/lay"
done
same "inspect oci:DIR:NAME shows the name as the tag" "$("$WINCH" inspect --format json "oci:$WORK/lay:single" | json "d['tag']")" single
expect 0 "digest oci:DIR:NAME" "$WINCH" digest "oci:$WORK/lay:multi"
same "... is the index's" "$OUT" "$want_multi"
expect 0 "digest oci-archive:FILE:NAME" "$WINCH" digest "oci-archive:$WORK/m.tar:multi"
same "... is the index's" "$OUT" "$want_multi"
python3 "$TOP/tests/tools/mkimage.py" "$WORK/big" b --layer-type tar --size 4000000 > /dev/null
tar -cf "$WORK/big.tar" -C "$WORK/big" . && rm -rf "$WORK/big"
expect 0 "inspect an oci-archive with a 4 MB layer" "$WINCH" -v inspect "oci-archive:$WORK/big.tar:b"
same "... unpacks its manifest and config, no layer" "$(grep -o 'unpacked [0-9]* bytes' <<< "$ERR" | awk '{print ($2 < 100000)}')" 1
expect 0 "manifest oci-archive:FILE:NAME" "$WINCH" manifest "oci-archive:$WORK/m.tar:multi"
same "... the exact bytes" "sha256:$(printf %s "$OUT" | sha256sum | cut -d' ' -f1)" "$want_multi"
expect 0 "inspect docker-archive:FILE" "$WINCH" inspect --format json "docker-archive:$WORK/d.tar"
same "... the config the registry has" "$(printf %s "$OUT" | json "d['config']['digest']")" \
	"$("$WINCH" inspect --format json "$REG/app:single" | json "d['config']['digest']")"
expect 0 "digest docker-archive:FILE:REF of an archive of two images" "$WINCH" digest --format json "docker-archive:$WORK/two.tar:demo/tool:2"
same "... a Docker manifest (the one a push would write)" "$(printf %s "$OUT" | json "d['mediaType']")" \
	"application/vnd.docker.distribution.manifest.v2+json"
expect 0 "exists oci:DIR:NAME" "$WINCH" exists "oci:$WORK/lay:single"
expect 3 "exists oci:DIR:NAME of a name it lacks" "$WINCH" exists "oci:$WORK/lay:nope"
expect 3 "inspect of a layout that is not there" "$WINCH" inspect "oci:$WORK/nothere:x"
lacks "... asks no registry (it names the layout)" "$ERR" "docker.io"
expect 0 "list-tags oci:DIR lists its image names" "$WINCH" list-tags "oci:$WORK/d"
same "... (a name with ':' and '/' too)" "$OUT" "other.io/x:y"
expect 0 "list-tags oci:DIR of several" "$WINCH" list-tags --format json "oci:$WORK/lay"
same "... as JSON, named after the layout" "$(printf %s "$OUT" | json "[d['name'], d['tags']]")" "[\"oci:$WORK/lay\", [\"multi\", \"single\"]]"
expect 0 "list-tags oci-archive:FILE" "$WINCH" list-tags "oci-archive:$WORK/pod.tar"
same "... podman's name" "$OUT" "127.0.0.1:38219/small:latest"
same "... and unpacks nothing" "$(ls -A "${TMPDIR:-/tmp}" | grep -c winch-archive)" 0
expect 0 "list-tags docker-archive:FILE lists RepoTags (as skopeo list-tags)" "$WINCH" list-tags "docker-archive:$WORK/two.tar"
same "... every image's" "$(echo $OUT)" "demo/app:1.0 demo/app:latest demo/tool:2"
same "... as skopeo lists them" "$(echo $OUT)" "$(skopeo list-tags "docker-archive:$WORK/two.tar" | json "' '.join(sorted(d['Tags']))")"
expect 2 "list-tags oci:DIR:NAME is refused (it names an image)" "$WINCH" list-tags "oci:$WORK/lay:single"
expect 2 "list-tags still refuses a registry tag" "$WINCH" list-tags "$REG/app:single"

# ---- --platform for inspect, manifest and digest (crane's flag; copy's matching)
arm=$(skopeo inspect --raw --tls-verify=false "docker://$REG/app:multi" | json "[m['digest'] for m in d['manifests'] if m['platform']['architecture']=='arm64'][0]")
for loc in "$REG/app:multi" "oci:$WORK/lay:multi" "oci-archive:$WORK/m.tar:multi"; do
	expect 0 "digest --platform linux/arm64 $loc" "$WINCH" digest --platform linux/arm64 "$loc"
	same "... is that platform's (arm64/v8, Docker's matching)" "$OUT" "$arm"
	expect 0 "manifest --platform linux/arm64 $loc" "$WINCH" manifest --platform linux/arm64 "$loc"
	same "... that platform's exact bytes" "sha256:$(printf %s "$OUT" | sha256sum | cut -d' ' -f1)" "$arm"
	expect 0 "inspect --platform linux/arm64 $loc" "$WINCH" inspect --format json --platform linux/arm64 "$loc"
	same "... that platform's image" "$(printf %s "$OUT" | json "[d['digest'], d['architecture'], d['platform']]")" \
		"[\"$arm\", \"arm64\", \"linux/arm64/v8\"]"
done
# through the transports, a registry costs what it cost before: inspect two requests, digest a HEAD
run "$WINCH" -v inspect "$REG/app:single"
same "inspect of a registry image: two requests (manifest, config)" "$(printf '%s\n' "$ERR" | real_requests)" 2
run "$WINCH" -v digest "$REG/app:multi"
same "digest: one request, a HEAD (no GET)" "$(printf '%s\n' "$ERR" | real_requests) $(grep -c 'debug: GET' <<< "$ERR")" "1 0"
run "$WINCH" -v digest --platform linux/arm64 "$REG/app:multi"
same "digest --platform: one request (the index's GET; the entry says the rest)" "$(printf '%s\n' "$ERR" | real_requests)" 1
run "$WINCH" -v inspect --platform linux/arm64 "$REG/app:multi"
same "inspect --platform: three (index, manifest, config)" "$(printf '%s\n' "$ERR" | real_requests)" 3
expect 3 "a platform the index lacks" "$WINCH" inspect --platform linux/s390x "$REG/app:multi"
contains "... names those it has" "$ERR" "linux/arm/v7"
expect 2 "a malformed platform is a usage error" "$WINCH" digest --platform linux "$REG/app:multi"
expect 0 "a single image with --platform is itself (crane)" "$WINCH" digest --platform linux/arm64 "$REG/app:single"
same "... its digest" "$OUT" "$want_single"
expect 0 "inspect --raw --platform" "$WINCH" inspect --raw --platform linux/arm/v7 "$REG/app:multi"
same "... gives the platform's bytes" "sha256:$(printf %s "$OUT" | sha256sum | cut -d' ' -f1)" \
	"$(skopeo inspect --raw --tls-verify=false "docker://$REG/app:multi" | json "[m['digest'] for m in d['manifests'] if m['platform']['architecture']=='arm'][0]")"
expect 0 "inspect --config --platform" "$WINCH" inspect --config --platform linux/arm/v7 "$REG/app:multi"
same "... gives the platform's config" "$(printf %s "$OUT" | json "d['architecture']")" arm

# ---- inspect shows what the image runs
expect 0 "inspect an image with Entrypoint, Cmd and WorkingDir" "$WINCH" inspect "$REG/app:single"
contains "... Entrypoint" "$OUT" 'Entrypoint:  ["/sbin/tini","--"]'
contains "... Cmd" "$OUT" 'Cmd:         ["/bin/app","--serve"]'
contains "... WorkingDir" "$OUT" "WorkingDir:  /srv/app"
expect 0 "... as JSON" "$WINCH" inspect --format json "oci:$WORK/lay:single"
same "... entrypoint, cmd, workingDir" "$(printf %s "$OUT" | json "[d['entrypoint'], d['cmd'], d['workingDir']]")" \
	'[["/sbin/tini", "--"], ["/bin/app", "--serve"], "/srv/app"]'
same "... as skopeo's config shows them" "$(printf %s "$OUT" | json "[d['entrypoint'], d['cmd'], d['workingDir']]")" \
	"$(skopeo inspect --config "oci:$WORK/lay:single" | json "[d['config']['Entrypoint'], d['config']['Cmd'], d['config']['WorkingDir']]")"

# ---- Docker media types in OCI layouts: kept with a warning, or converted (--dest-format)
mts() { # the media types of an image manifest: manifest config layer...
	json "' '.join([d.get('mediaType', '')] + [d['config']['mediaType']] + [l['mediaType'] for l in d['layers']])"
}
expect 0 "pull a Docker-typed image into a layout" "$WINCH" pull "$REG/app:dsingle" "oci:$WORK/dk:d"
contains "... warns that its media types are Docker's" "$ERR" "Docker's media types"
contains "... saying who cannot read them and what converts it" "$ERR" "--dest-format oci"
same "... keeping its bytes (the registry's digest)" "$(json "d['manifests'][0]['digest']" < "$WORK/dk/index.json")" "sha256:$(rd app:dsingle)"
expect 1 "... which this skopeo (1.9, containers/image 5.23) cannot read: the warning is right" skopeo inspect "oci:$WORK/dk:d"
expect 0 "an OCI image into a layout" "$WINCH" pull "$REG/app:single" "oci:$WORK/dk:o"
lacks "... gets no warning" "$ERR" "Docker's media types"
expect 0 "pull --dest-format oci of the Docker-typed image" "$WINCH" pull --dest-format oci "$REG/app:dsingle" "oci:$WORK/conv:d"
lacks "... no warning about Docker types" "$ERR" "Docker's media types"
contains "... says it converted, and that the digest changed" "$ERR" "converted to OCI media types"
contains "... naming the source's digest" "$ERR" "sha256:$(rd app:dsingle)"
man=$(json "d['manifests'][0]['digest'][7:]" < "$WORK/conv/index.json")
same "... OCI media types: manifest, config, layer" "$(mts < "$WORK/conv/blobs/sha256/$man")" \
	"application/vnd.oci.image.manifest.v1+json application/vnd.oci.image.config.v1+json application/vnd.oci.image.layer.v1.tar+gzip"
same "... the same config and layer blobs (only media types change)" \
	"$(json "[d['config']['digest']] + [l['digest'] for l in d['layers']]" < "$WORK/conv/blobs/sha256/$man")" \
	"$(skopeo inspect --raw --tls-verify=false "docker://$REG/app:dsingle" | json "[d['config']['digest']] + [l['digest'] for l in d['layers']]")"
expect 0 "... skopeo reads the converted layout" skopeo inspect "oci:$WORK/conv:d"
same "umoci lists it" "$(umoci ls --layout "$WORK/conv")" "d"
expect 0 "umoci unpacks the converted image" umoci unpack --rootless --image "$WORK/conv:d" "$WORK/bundle-d"
same "... its files" "$(ls "$WORK/bundle-d/rootfs")" "file0-amd64"
expect 1 "... where the unconverted one is refused by umoci" umoci unpack --rootless --image "$WORK/dk:d" "$WORK/bundle-k"
rm -rf "$WORK/bundle-d" "$WORK/bundle-k"
expect 0 "the same pull again" "$WINCH" pull --dest-format oci "$REG/app:dsingle" "oci:$WORK/conv:d"
contains "... is up to date (the converted digest is there)" "$ERR" "already holds"
expect 0 "a Docker manifest list, --dest-format oci" "$WINCH" pull --dest-format oci "$REG/app:dmulti" "oci:$WORK/conv:m"
idx=$(json "[m['digest'][7:] for m in d['manifests'] if m['annotations']['org.opencontainers.image.ref.name']=='m'][0]" < "$WORK/conv/index.json")
same "... becomes an OCI index of OCI manifests" \
	"$(json "' '.join([d['mediaType']] + [m['mediaType'] + '@' + m['platform']['architecture'] for m in d['manifests']])" < "$WORK/conv/blobs/sha256/$idx")" \
	"application/vnd.oci.image.index.v1+json application/vnd.oci.image.manifest.v1+json@amd64 application/vnd.oci.image.manifest.v1+json@arm64"
same "... each entry the converted child's digest" \
	"$(for c in $(json "' '.join(m['digest'][7:] for m in d['manifests'])" < "$WORK/conv/blobs/sha256/$idx"); do sha256sum < "$WORK/conv/blobs/sha256/$c" | cut -d' ' -f1; done | tr '\n' ' ')" \
	"$(json "' '.join(m['digest'][7:] for m in d['manifests'])" < "$WORK/conv/blobs/sha256/$idx") "
expect 0 "... skopeo copies every platform out of it" skopeo copy -q --all "oci:$WORK/conv:m" "oci:$WORK/sk-m:m"
expect 0 "... and umoci unpacks one platform converted alone" sh -c \
	"'$WINCH' pull -q --dest-format oci --platform linux/arm64 '$REG/app:dmulti' 'oci:$WORK/conv:arm' && umoci unpack --rootless --image '$WORK/conv:arm' '$WORK/bundle-a'"
rm -rf "$WORK/bundle-a"
expect 0 "push --dest-format docker from the converted layout" "$WINCH" push --dest-format docker "oci:$WORK/conv:m" "$REG/back:m"
same "... a Docker manifest list in the registry" "$("$WINCH" digest --format json "$REG/back:m" | json "d['mediaType']")" \
	"application/vnd.docker.distribution.manifest.list.v2+json"
same "... of Docker manifests with the original blobs" \
	"$("$WINCH" manifest --platform linux/arm64 "$REG/back:m" | mts) $("$WINCH" inspect --format json --platform linux/arm64 "$REG/back:m" | json "d['config']['digest']")" \
	"$("$WINCH" manifest --platform linux/arm64 "$REG/app:dmulti" | mts) $("$WINCH" inspect --format json --platform linux/arm64 "$REG/app:dmulti" | json "d['config']['digest']")"
expect 0 "an OCI image, --dest-format docker, into a layout" "$WINCH" pull --dest-format docker "$REG/app:single" "oci:$WORK/conv:dk"
contains "... warns: the layout now holds Docker's types" "$ERR" "Docker's media types"
expect 0 "... as skopeo v2s2 would: it pushes back and skopeo reads it as Docker's" "$WINCH" push "oci:$WORK/conv:dk" "$REG/back:dk"
same "... Docker v2" "$(skopeo inspect --raw --tls-verify=false "docker://$REG/back:dk" | mts)" \
	"application/vnd.docker.distribution.manifest.v2+json application/vnd.docker.container.image.v1+json application/vnd.docker.image.rootfs.diff.tar.gzip application/vnd.docker.image.rootfs.diff.tar.gzip"
expect 0 "Docker's foreign layers become OCI non-distributable ones" "$WINCH" copy --dest-format oci "oci:$IMG:foreign" "oci:$WORK/fo:x"
same "... (containers/image's mapping)" "$("$WINCH" manifest "oci:$WORK/fo:x" | json "d['layers'][0]['mediaType']")" \
	"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
expect 0 "... and back" "$WINCH" copy --dest-format docker "oci:$WORK/fo:x" "oci:$WORK/fo2:x"
same "... to Docker's foreign type" "$("$WINCH" manifest "oci:$WORK/fo2:x" | json "d['layers'][0]['mediaType']")" \
	"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
expect 1 "a zstd layer has no Docker type: --dest-format docker is refused" "$WINCH" pull --dest-format docker "$REG/app:zstd" "oci:$WORK/z:x"
contains "... naming zstd" "$ERR" "zstd"
same "... leaving nothing in the new directory" "$(ls -d "$WORK/z" 2>/dev/null)" ""
python3 "$TOP/tests/tools/push-attested.py" "$REG" app att > /dev/null
expect 1 "an index with attestation manifests, --dest-format docker" "$WINCH" pull --dest-format docker "$REG/app:att" "oci:$WORK/att:x"
contains "... is refused: Docker's format has no place for them" "$ERR" "attestation manifests"
same "... leaving nothing" "$(ls -d "$WORK/att" 2>/dev/null)" ""
expect 0 "... one platform of it converts" "$WINCH" pull --dest-format docker --platform linux/amd64 "$REG/app:att" "oci:$WORK/att:x"
expect 2 "--dest-format with --referrers is refused" "$WINCH" copy --dest-format oci --referrers "$REG/app:single" "oci:$WORK/r:x"
expect 2 "--dest-format oci into a docker-archive is refused" "$WINCH" pull --dest-format oci "$REG/app:single" "docker-archive:$WORK/x.tar"
expect 2 "--dest-format v2s1 is refused" "$WINCH" copy --dest-format v2s1 "$REG/app:single" "$REG/x:y"
contains "... schema 1" "$ERR" "schema 1"
expect 2 "--dest-format nonsense is refused" "$WINCH" copy --dest-format nonsense "$REG/app:single" "$REG/x:y"
expect 0 "--dest-format v2s2 is skopeo's name for docker" "$WINCH" copy --dest-format v2s2 "$REG/app:single" "$REG/v2s2:x"
same "... Docker v2" "$("$WINCH" digest --format json "$REG/v2s2:x" | json "d['mediaType']")" "application/vnd.docker.distribution.manifest.v2+json"
same "completion offers --dest-format's values" "$("$WINCH" __complete -- pull --dest-format '' | tr '\n' ' ')" "oci docker "
