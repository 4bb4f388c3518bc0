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
