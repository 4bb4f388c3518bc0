#!/bin/bash
# Attestation manifests as docker buildx --sbom --provenance stores them (an
# unknown/unknown index entry per image, annotated with the image's digest):
# index create/append keep them with their image, copy --platform keeps them
# with the platforms it selects and never selects one as a platform, inspect
# shows them as attestations of their image; and --platform on a
# single-platform image is checked against its config.
. "$(dirname "$0")/lib.sh"

reg_start plain || fail "registry started"
attested() { python3 "$TOP/tests/tools/push-attested.py" "$REG" "$@"; }
entries() { # the index's entries as "platform[>attested image's digest prefix]"
	"$WINCH" inspect --raw "$1" | json "[m['platform']['os']+'/'+m['platform']['architecture']+('>'+m['annotations']['vnd.docker.reference.digest'][7:19] if m.get('annotations',{}).get('vnd.docker.reference.type')=='attestation-manifest' else '') for m in d['manifests']]"
}
short() { printf %s "$1" | cut -c8-19; }
attested app v1 --seed 1 > "$WORK/v1.json" || fail "pushed an attested index"
AMD=$(json "d['images']['linux/amd64']" < "$WORK/v1.json")
ARM=$(json "d['images']['linux/arm64']" < "$WORK/v1.json")
AMD_ATT=$(json "d['attestations']['linux/amd64']" < "$WORK/v1.json")
ARM_ATT=$(json "d['attestations']['linux/arm64']" < "$WORK/v1.json")
python3 "$TOP/tests/tools/mkimage.py" "$WORK/img" s390x --platforms linux/s390x --seed 5 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$WORK/img" amd --seed 6 > /dev/null
seed "$WORK/img" s390x app:s390x && seed "$WORK/img" amd app:amd2 || fail "seeded"

# index append / create: entries are identified by digest, attestations go with their image
expect 0 "index append to a buildx index" "$WINCH" index append "$REG/app:v1" "$REG/app:s390x"
same "... keeps both attestations, each with its image" "$(entries "$REG/app:v1")" \
	"[\"linux/amd64\", \"linux/arm64\", \"linux/s390x\", \"unknown/unknown>$(short "$AMD")\", \"unknown/unknown>$(short "$ARM")\"]"
expect 0 "index create from a buildx index" "$WINCH" index create "$REG/app:v2" "$REG/app:v1"
same "... brings the attestations along" "$(entries "$REG/app:v2")" "$(entries "$REG/app:v1")"
expect 0 "index append replacing the amd64 image" "$WINCH" index append "$REG/app:v2" "$REG/app:amd2"
same "... drops the old image's attestation, keeps arm64's" "$(entries "$REG/app:v2")" \
	"[\"linux/amd64\", \"linux/arm64\", \"linux/s390x\", \"unknown/unknown>$(short "$ARM")\"]"
attested other o1 --seed 2 --platforms linux/ppc64le > "$WORK/o1.json" || fail "pushed another attested index"
expect 0 "index append of an index from another repository" "$WINCH" index append "$REG/app:v2" "$REG/other:o1"
PPC_ATT=$(json "d['attestations']['linux/ppc64le']" < "$WORK/o1.json")
same "... adds its image and its attestation" "$(entries "$REG/app:v2" | json "len(d)")" 6
expect 0 "... the attestation was copied into the index's repository" "$WINCH" exists "$REG/app@$PPC_ATT"
expect 2 "an attestation manifest on its own is not an image of a platform" \
	"$WINCH" index create "$REG/app:bad" "$REG/app@$AMD_ATT"
contains "... saying why" "$ERR" "unknown/unknown"

# inspect: attestations under their image, annotations kept
attested app b --seed 3 --annotation org.opencontainers.image.revision=abc123 > "$WORK/b.json" || fail "pushed app:b"
B_AMD=$(json "d['images']['linux/amd64']" < "$WORK/b.json")
B_ARM=$(json "d['images']['linux/arm64']" < "$WORK/b.json")
B_AMD_ATT=$(json "d['attestations']['linux/amd64']" < "$WORK/b.json")
B_ARM_ATT=$(json "d['attestations']['linux/arm64']" < "$WORK/b.json")
expect 0 "inspect a buildx index" "$WINCH" inspect "$REG/app:b"
lacks "... lists no unknown/unknown platform" "$OUT" "unknown/unknown"
same "... each attestation under its image" "$(printf '%s\n' "$OUT" | sed -n '/^Platforms:/,$p' | awk '{ print $2 ? $1 " " substr($2, 8, 12) : $1 }' | tr '\n' ' ')" \
	"Platforms: linux/amd64 $(short "$B_AMD") attestation $(short "$B_AMD_ATT") linux/arm64 $(short "$B_ARM") attestation $(short "$B_ARM_ATT") "
contains "... and the index's annotations" "$OUT" "org.opencontainers.image.revision=abc123"
expect 0 "inspect --format json of it" "$WINCH" inspect --format json "$REG/app:b"
same "... keeps the entries' annotations" "$(printf %s "$OUT" | json "[m.get('annotations', {}).get('vnd.docker.reference.digest', '-') for m in d['manifests']]")" \
	"[\"-\", \"-\", \"$B_AMD\", \"$B_ARM\"]"
same "... and the index's own" "$(printf %s "$OUT" | json "d['annotations']")" '{"org.opencontainers.image.revision": "abc123"}'
expect 0 "inspect --format json of an attestation manifest" "$WINCH" inspect --format json "$REG/app@$B_AMD_ATT"
same "... keeps its layers' annotations" "$(printf %s "$OUT" | json "[l['annotations']['in-toto.io/predicate-type'] for l in d['layers']]")" \
	'["https://spdx.dev/Document", "https://slsa.dev/provenance/v0.2"]'

# copy --platform: attestations are no platform, and go with the platforms picked
expect 3 "copy --platform unknown/unknown" "$WINCH" copy --platform unknown/unknown "$REG/app:b" "$REG/sel:att"
contains "... is not a platform of the image" "$ERR" "it has linux/amd64, linux/arm64, and attestation manifests"
expect 3 "copy --platform of a platform the index lacks" "$WINCH" copy --platform linux/s390x "$REG/app:b" "$REG/sel:none"
lacks "... the platforms it names leave the attestations out" "$ERR" "unknown/unknown"
expect 0 "copy --platform amd64 --platform arm64" "$WINCH" copy --platform linux/amd64 --platform linux/arm64 "$REG/app:b" "$REG/sel:two"
same "... gives an index of both images and both attestations" "$(entries "$REG/sel:two")" \
	"[\"linux/amd64\", \"linux/arm64\", \"unknown/unknown>$(short "$B_AMD")\", \"unknown/unknown>$(short "$B_ARM")\"]"
expect 0 "... the attestations were copied" "$WINCH" exists "$REG/sel@$B_ARM_ATT"
attested app c --seed 4 --platforms linux/amd64,linux/arm64,linux/s390x > "$WORK/c.json" || fail "pushed app:c"
expect 0 "copy two of three platforms" "$WINCH" copy --platform linux/s390x --platform linux/amd64 "$REG/app:c" "$REG/sel:c"
same "... keeps only the attestations of those two" "$(entries "$REG/sel:c" | json "[x.split('>')[1] if '>' in x else x for x in d]")" \
	"[\"linux/s390x\", \"linux/amd64\", \"$(short "$(json "d['images']['linux/amd64']" < "$WORK/c.json")")\", \"$(short "$(json "d['images']['linux/s390x']" < "$WORK/c.json")")\"]"
expect 0 "copy one platform" "$WINCH" copy --platform linux/arm64 "$REG/app:b" "$REG/sel:one"
same "... gives that image's own manifest" "$("$WINCH" digest "$REG/sel:one")" "$B_ARM"

# --platform on a single-platform image: checked against its config, as docker does
expect 3 "copy --platform linux/arm64 of a single amd64 image" "$WINCH" copy --platform linux/arm64 "$REG/app:amd2" "$REG/sel:wrong"
contains "... names the image's platform" "$ERR" "single image for linux/amd64"
expect 3 "... nothing was pushed" "$WINCH" exists "$REG/sel:wrong"
expect 0 "copy --platform linux/amd64 of it" "$WINCH" copy --platform linux/amd64 "$REG/app:amd2" "$REG/sel:right"
expect 0 "copy --platform naming it among others" "$WINCH" copy --platform linux/arm64 --platform linux/amd64 "$REG/app:amd2" "$REG/sel:right2"
expect 0 "a docker-archive of a single s390x image still takes it (this machine's platform is no demand)" \
	"$WINCH" pull "$REG/app:s390x" "docker-archive:$WORK/s390x.tar"
