#!/bin/bash
# make demo: starts two registries on loopback (one with htpasswd auth), makes
# a small multi-platform image, and runs winch on it: login, inspect, copy
# between the registries (all platforms, then one), tag, delete a tag.  Everything lives in a temp dir
# and stops when the demo ends.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/winch-demo.XXXXXX")
export HOME=$WORK/home NO_PROXY='*'
unset DOCKER_CONFIG REGISTRY_AUTH_FILE DOCKER_AUTH_CONFIG
mkdir -p "$HOME"
. "$TOP/tests/integration/lib-registry.sh"
trap 'reg_cleanup; rm -rf "$WORK"' EXIT
winch() { "$TOP/winch" "$@"; }
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

reg_start basic || { echo "could not start docker-registry:" >&2; tail -n 5 "$REG_DIR/registry.log" >&2; exit 1; }
python3 "$TOP/tests/tools/mkimage.py" "$WORK/img" 1.2.3 --layers 3 --size 65536 \
	--platforms linux/amd64,linux/arm64/v8 --label org.opencontainers.image.source=https://example.com/demo > /dev/null
seed "$WORK/img" 1.2.3 demo/app:1.2.3
echo "registry $REG (user $REG_USER) holds demo/app:1.2.3, a two-platform image"

step "printf '%s' \"\$PASSWORD\" | winch login $REG -u $REG_USER --password-stdin"
printf '%s' "$REG_PASS" | winch login "$REG" -u "$REG_USER" --password-stdin
step "winch inspect $REG/demo/app:1.2.3"
winch inspect "$REG/demo/app:1.2.3"
step "winch list-tags $REG/demo/app"
winch list-tags "$REG/demo/app"
step "winch digest $REG/demo/app:1.2.3"
winch digest "$REG/demo/app:1.2.3"
step "winch exists $REG/demo/app:9.9.9; echo \$?"
winch exists "$REG/demo/app:9.9.9"; echo $?
SRC=$REG
reg_start plain || { echo "could not start a second docker-registry" >&2; exit 1; }
DST=$REG
echo
echo "a second registry $DST (no auth) is the destination"
step "winch copy $SRC/demo/app:1.2.3 $DST/mirror/app:1.2.3"
winch copy "$SRC/demo/app:1.2.3" "$DST/mirror/app:1.2.3"
step "winch copy $SRC/demo/app:1.2.3 $DST/mirror/app:1.2.3    # again: nothing to do"
winch copy "$SRC/demo/app:1.2.3" "$DST/mirror/app:1.2.3"
step "winch copy --platform linux/arm64 $SRC/demo/app:1.2.3 $DST/mirror/app:1.2.3-arm64"
winch copy --platform linux/arm64 "$SRC/demo/app:1.2.3" "$DST/mirror/app:1.2.3-arm64"
step "winch tag $DST/mirror/app:1.2.3 1.2 1 latest"
winch tag "$DST/mirror/app:1.2.3" 1.2 1 latest
step "winch delete $DST/mirror/app:1    # the tag only"
winch delete "$DST/mirror/app:1"
step "winch list-tags $DST/mirror/app"
winch list-tags "$DST/mirror/app"
REG=$SRC
step "winch catalog $REG --format json"
winch catalog "$REG" --format json
step "winch logout $REG"
winch logout "$REG"
