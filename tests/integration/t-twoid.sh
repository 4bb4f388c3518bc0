#!/bin/bash
# copy with two identities (issue 11, Credentials).  Here: one registry, two
# repositories with two users through a repository-scoped auth.json (a reader
# for the source, a writer for the destination): the mount the writer may not
# make is refused (distribution: 401 insufficient_scope) and the blob uploaded.
. "$(dirname "$0")/lib.sh"

IMG=$WORK/img
python3 "$TOP/tests/tools/mkimage.py" "$IMG" small --layers 3 --size 600 --seed 31 > /dev/null

TOKEN_USERS='writer:writer-pw:dst=*;scoped=*' reg_start token || fail "token registry with a writer started"
E=$REG
seed "$IMG" small src:small || fail "seeded the source repository"

# one context: a repository-scoped auth.json gives the two repositories two users;
# the writer's mount is refused (401, insufficient scope) and the blobs uploaded
r_auth=$(printf %s reader:reader-pw | base64 -w0) w_auth=$(printf %s writer:writer-pw | base64 -w0)
echo "{\"auths\":{\"$E/src\":{\"auth\":\"$r_auth\"},\"$E/scoped\":{\"auth\":\"$w_auth\"}}}" > "$WORK/scoped.json"
run "$WINCH" copy --format json --authfile "$WORK/scoped.json" "$E/src:small" "$E/scoped:small"
same "one context, a refused mount: the blob is uploaded, not an error" "$RC $(printf %s "$OUT" | json "d['blobsCopied']" 2>/dev/null)" "0 4"
