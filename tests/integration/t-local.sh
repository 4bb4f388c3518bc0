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
