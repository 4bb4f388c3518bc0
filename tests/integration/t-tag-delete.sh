#!/bin/bash
# tag, delete and index against a real registry (token auth): tags move no
# blobs, deleting a tag keeps the image and its other tags, a manifest is not
# deleted behind other tags' backs, and indexes are assembled from images.
. "$(dirname "$0")/lib.sh"

IMG=$WORK/img
python3 "$TOP/tests/tools/mkimage.py" "$IMG" amd --seed 31 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$IMG" arm --seed 32 --platforms linux/arm64/v8 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$IMG" other --seed 33 > /dev/null

reg_start token || fail "registry started"
seed "$IMG" amd app:1.2.3 && seed "$IMG" arm build:arm && seed "$IMG" other app:other || fail "seeded"
export DOCKER_AUTH_CONFIG="{\"auths\":{\"$REG\":{\"auth\":\"$(printf %s "$REG_USER:$REG_PASS" | base64 -w0)\"}}}"
D=$("$WINCH" digest "$REG/app:1.2.3")

run "$WINCH" -v tag "$REG/app:1.2.3" 1.2 1 latest
same "tag points three more tags in one GET and three PUTs" "$RC $(printf '%s\n' "$ERR" | real_requests)" "0 4"
lacks "... moving no blob" "$ERR" "blobs"
same "... all at the same digest" "$(for t in 1.2 1 latest; do "$WINCH" digest "$REG/app:$t"; done | sort -u)" "$D"
expect 2 "tag refuses an invalid tag" "$WINCH" tag "$REG/app:1.2.3" "-bad"
expect 3 "tag of a missing image" "$WINCH" tag "$REG/app:nope" x

expect 0 "delete --dry-run of a tag" "$WINCH" delete --dry-run "$REG/app:1"
contains "... says what would go" "$ERR" "would remove tag 1"
same "... and removes nothing" "$("$WINCH" list-tags "$REG/app" | tr '\n' ' ')" "1 1.2 1.2.3 latest other "
expect 0 "delete a tag" "$WINCH" delete --format json "$REG/app:1"
same "... only that tag goes" "$("$WINCH" list-tags "$REG/app" | tr '\n' ' ')" "1.2 1.2.3 latest other "
same "... the image stays under its other tags" "$("$WINCH" digest "$REG/app:latest")" "$D"
contains "... by the tag-schema fallback on this registry" "$OUT" "placeholder"
expect 3 "delete a tag that is not there" "$WINCH" delete "$REG/app:1"

expect 1 "delete --image refuses when other tags would go" "$WINCH" delete --image "$REG/app:latest"
contains "... naming them" "$ERR" "1.2, 1.2.3, latest"
contains "... and the way out" "$ERR" "--force"
expect 1 "delete by digest refuses while tags point at it" "$WINCH" delete "$REG/app@$D"
# a dry run reports the refusal, with the real run's exit status
expect 1 "delete --dry-run by digest: the real run's exit status" "$WINCH" delete --dry-run "$REG/app@$D"
contains "... says it is a dry run and why it would refuse" "$ERR" "dry run: refusing to delete $D: it also removes the tags 1.2, 1.2.3, latest"
expect 1 "delete --image --dry-run --format json: exit 1 as the real run" "$WINCH" delete --image --dry-run --format json "$REG/app:latest"
same "... prints the report: what would go, and why it is refused" \
	"$(printf %s "$OUT" | json "(d['deleted'], d['digest'], d['tags'], d['dryRun'], 'removes the tags 1.2, 1.2.3, latest' in d['refused'])")" \
	"[\"manifest\", \"$D\", [\"1.2\", \"1.2.3\", \"latest\"], true, true]"
contains "... and says so on stderr" "$ERR" "dry run: refusing"
expect 0 "delete --dry-run --force by digest would go ahead" "$WINCH" delete --dry-run --force --format json "$REG/app@$D"
same "... no refusal in the report" "$(printf %s "$OUT" | json "'refused' in d")" false
expect 0 "delete --image --force --dry-run" "$WINCH" delete --image --force --dry-run "$REG/app:latest"
contains "... lists the tags that would go" "$ERR" "its tags 1.2, 1.2.3, latest"
same "... and deletes nothing" "$("$WINCH" list-tags "$REG/app" | tr '\n' ' ')" "1.2 1.2.3 latest other "

# index create / append
expect 0 "index create from two images (one in another repository)" \
	"$WINCH" index create "$REG/app:multi" "$REG/app:1.2.3" "$REG/build:arm"
IDX=$OUT
same "... lists both platforms" "$("$WINCH" inspect --format json "$REG/app:multi" | json "sorted(m['platform']['os']+'/'+m['platform']['architecture'] for m in d['manifests'])")" '["linux/amd64", "linux/arm64"]'
same "... its digest is what it printed" "$("$WINCH" digest "$REG/app:multi")" "$IDX"
expect 0 "... skopeo reads it and its arm64 image" skopeo inspect $SKOPEO_RD --override-arch arm64 "docker://$REG/app:multi"
expect 0 "index append with a platform given" "$WINCH" index append "$REG/app:multi" "$REG/app:other=linux/s390x"
same "... adds it" "$("$WINCH" inspect --format json "$REG/app:multi" | json "len(d['manifests'])")" 3
expect 0 "index append of a platform already there replaces it" "$WINCH" index append "$REG/app:multi" "$REG/app:other=linux/amd64"
same "... still three, amd64 now the other image" "$("$WINCH" inspect --format json "$REG/app:multi" | json "[m['digest'] for m in d['manifests'] if m['platform']['architecture']=='amd64'] + [len(d['manifests'])]")" \
	"[\"$("$WINCH" digest "$REG/app:other")\", 3]"
expect 2 "index with a bad platform" "$WINCH" index create "$REG/app:bad" "$REG/app:other=linux"
expect 2 "index with an unknown action" "$WINCH" index frob "$REG/app:bad" "$REG/app:other"
reg_stop_all
unset DOCKER_AUTH_CONFIG

# deletion disabled: a clear message, and the tag is put back where it was
REG_DELETE=false reg_start plain || fail "registry without deletion started"
seed "$IMG" amd app:v1 && seed "$IMG" amd app:v2
D=$("$WINCH" digest "$REG/app:v1")
expect 9 "delete on a registry with deletion disabled: exit 9, the registry does not support it" "$WINCH" delete "$REG/app:v1"
contains "... says deletion is disabled" "$ERR" "deletion is disabled"
contains "... naming the API it lacks" "$ERR" "has no registry-API DELETE (the DELETE of a digest answered 405 UNSUPPORTED)"
same "... and the tag still holds its image" "$("$WINCH" digest "$REG/app:v1")" "$D"
expect 9 "delete --image --force there too" "$WINCH" delete --image --force "$REG/app:v2"
contains "... says so" "$ERR" "deletion is disabled"
