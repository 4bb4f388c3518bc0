#!/bin/bash
# cleanup against a real registry holding a year of tags: ECR policies and
# flags, dry run, plan files, apply, graph safety (indexes, shared digests,
# referrers), idempotence, and what a cron job can act on.
. "$(dirname "$0")/lib.sh"

reg_start plain || fail "registry started"
NOW=$(date +%s)
fill() { python3 "$TOP/tests/tools/push-many.py" "$REG" "$1" "$NOW" > "$WORK/$1.json" || fail "filled $1"; }
tagset() { "$WINCH" list-tags "$REG/$1" | tr '\n' ' '; }
want() { python3 -c "import json,sys; t=json.load(open(sys.argv[1])); print(' '.join(sorted(x for x in t if eval(sys.argv[2])))+' ')" "$WORK/$1.json" "$2"; }
fill app
cat > "$WORK/seed-policy.json" <<'P'
{ "rules": [
  { "rulePriority": 1, "description": "Keep last 10 tagged images",
    "selection": { "tagStatus": "tagged", "tagPrefixList": ["v"], "countType": "imageCountMoreThan", "countNumber": 10 },
    "action": { "type": "expire" } },
  { "rulePriority": 2, "description": "Expire untagged images older than 7 days",
    "selection": { "tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7 },
    "action": { "type": "expire" } } ] }
P
before=$(tagset app)
expect 0 "dry run of the seeds' ECR policy" "$WINCH" cleanup --dry-run --protect '^stable$' --policy "$WORK/seed-policy.json" "$REG/app"
same "... deletes nothing" "$(tagset app)" "$before"
contains "... says which rule" "$OUT" "rule 1: Keep last 10 tagged images"
contains "... and where the times came from" "$OUT" "times from 246 configs"
contains "... and says plainly that untagged manifests cannot be listed" "$OUT" "cannot list manifests that no tag points at"
contains "... 189 manifests: v images beyond the newest 10, but stable's is protected" "$OUT" "189 manifests and 191 tags would be deleted"

expect 0 "--plan-file writes the plan" "$WINCH" cleanup -n -q --protect '^stable$' --policy "$WORK/seed-policy.json" --plan-file "$WORK/plan.json" "$REG/app"
"$WINCH" cleanup -n -q --protect '^stable$' --policy "$WORK/seed-policy.json" --plan-file "$WORK/plan2.json" "$REG/app"
same "... deterministically" "$(sha256sum < "$WORK/plan.json")" "$(sha256sum < "$WORK/plan2.json")"
same "... the referrers of a deleted image go with it" "$(json "sorted(x['tags'][0][:7]+x['tags'][0][71:] for r in d['repositories'] for x in r['delete'] if x.get('referrer'))" < "$WORK/plan.json")" '["sha256-", "sha256-.sig"]'
expect 0 "--apply carries the reviewed plan out" "$WINCH" cleanup --apply "$WORK/plan.json"
kept=$(want app "not x.startswith('v1.0.') or int(x.split('.')[2]) >= 190 or x == 'v1.0.150'")
same "... list-tags shows exactly the kept set" "$(tagset app | sed 's/sha256-[0-9a-f]*\(\.sig\)\{0,1\} //g')" "$(printf %s "$kept" | sed 's/sha256-[0-9a-f]*\(\.sig\)\{0,1\} //g')"
same "... v1.0.5's referrer tags are gone, v1.0.199's stay" \
	"$(tagset app | tr ' ' '\n' | grep -c '^sha256-')" 2
expect 0 "a second run of the same plan is harmless" "$WINCH" cleanup --apply "$WORK/plan.json"
contains "... everything is already gone" "$OUT" "already gone"
expect 0 "a second run of the policy deletes nothing" "$WINCH" cleanup --format json --protect '^stable$' --policy "$WORK/seed-policy.json" "$REG/app"
same "... nothing left to do" "$(printf %s "$OUT" | json "[len(r['delete']) for r in d['repositories']]")" "[0]"

# flags, per tag: a tag outside the selection never goes with its image
expect 0 "--match '^pr-' --keep 5" "$WINCH" cleanup --match '^pr-' --keep 5 "$REG/app"
same "... the 5 newest pr tags stay" "$(tagset app | tr ' ' '\n' | grep '^pr-' | sort -V | tr '\n' ' ')" "pr-0 pr-1 pr-2 pr-3 pr-4 "
same "... keep-me, on pr-3's image, was never touched" "$("$WINCH" digest "$REG/app:keep-me")" "$(json "d['pr-3']" < "$WORK/app.json")"

# indexes: deleting one never breaks another; a tagged child of a kept index stays;
# the untagged children of a deleted index go with it
kids() { "$WINCH" manifest "$REG/app:$1" | json "' '.join(m['digest'] for m in d['manifests'])"; }
K0=$(kids multi-0) K14=$(for i in 1 2 3 4; do kids multi-$i; done)
expect 0 "--match '^multi-' --keep 1 --exclude amd64" "$WINCH" cleanup --match '^multi-' --exclude 'amd64$' --keep 1 "$REG/app"
same "... keeps multi-0 and the tag on its child" "$(tagset app | tr ' ' '\n' | grep '^multi-' | tr '\n' ' ')" "multi-0 multi-0-amd64 "
contains "... reports the 8 platform manifests of the 4 deleted indexes" "$OUT" "4 manifests and 4 tags deleted (with 0 referrers and 8 untagged manifests of deleted indexes)"
contains "... naming each" "$OUT" "the platform manifest (linux/arm64) of the deleted index"
same "... which are gone" "$(for d in $K14; do "$WINCH" exists "$REG/app@$d"; echo $?; done | sort | uniq -c | tr -s " " | tr -d "\n")" " 8 3"
same "... while multi-0's stay" "$(for d in $K0; do "$WINCH" exists "$REG/app@$d"; echo $?; done | tr '\n' ' ')" "0 0 "
expect 0 "... multi-0 still resolves every platform" skopeo copy -q --all --src-tls-verify=false "docker://$REG/app:multi-0" "oci:$WORK/m0:x"
expect 0 "expiring the child's own tag while its index is kept" "$WINCH" cleanup --format json --match 'amd64$' --keep 0 "$REG/app"
same "... removes the tag only: the manifest stays, multi-0 still needs it" \
	"$(printf %s "$OUT" | json "[(x['action'], x['tags']) for r in d['repositories'] for x in r['delete']]")" '[["tags", ["multi-0-amd64"]]]'
expect 0 "... multi-0 is still whole" skopeo copy -q --all --src-tls-verify=false "docker://$REG/app:multi-0" "oci:$WORK/m0b:x"

# a plan applied after a tag moved skips that tag's image
"$WINCH" cleanup -n -q --match '^pr-' --keep 2 --plan-file "$WORK/plan3.json" "$REG/app"
"$WINCH" tag -q "$REG/app:latest" pr-4
expect 0 "apply after a tag moved" "$WINCH" cleanup --apply "$WORK/plan3.json"
contains "... skips what changed" "$OUT" "skipped: a tag moved"
same "... the moved tag survives" "$("$WINCH" digest "$REG/app:pr-4")" "$("$WINCH" digest "$REG/app:latest")"

# a plan applied after an image gained a tag, or an index came to hold it: the manifest stays
REF190=$(python3 "$TOP/tests/tools/push-referrers.py" "$REG" app "$("$WINCH" digest "$REG/app:v1.0.190")") || fail "signed v1.0.190"
"$WINCH" cleanup -n -q --match '^v1\.0\.19' --keep 2 --plan-file "$WORK/plan4.json" "$REG/app"
same "... (the plan deletes v1.0.190 to v1.0.197)" "$(json "sorted(t for x in d['repositories'][0]['delete'] if not x.get('referrer') for t in x['tags'])" < "$WORK/plan4.json" | tr -d '[]" ')" \
	"v1.0.190,v1.0.191,v1.0.192,v1.0.193,v1.0.194,v1.0.195,v1.0.196,v1.0.197"
D190=$("$WINCH" digest "$REG/app:v1.0.190")
D191=$("$WINCH" digest "$REG/app:v1.0.191")
"$WINCH" tag -q "$REG/app:v1.0.190" prod
"$WINCH" index create "$REG/app:bundle" "$REG/app:v1.0.191=linux/amd64" > /dev/null
ntags=$("$WINCH" list-tags "$REG/app" | grep -c .)
nidx=$(for t in $("$WINCH" list-tags "$REG/app"); do "$WINCH" manifest "$REG/app:$t" | json "d.get('mediaType','')"; done | grep -c index)
expect 0 "apply after v1.0.190 got the tag prod and an index took v1.0.191" "$WINCH" -v cleanup --apply "$WORK/plan4.json"
AOUT=$OUT AERR=$ERR
same "... prod still holds its image" "$("$WINCH" digest "$REG/app:prod")" "$D190"
expect 0 "... the index is whole" skopeo copy -q --all --src-tls-verify=false "docker://$REG/app:bundle" "oci:$WORK/bundle:x"
expect 0 "... v1.0.191's manifest is still there" "$WINCH" exists "$REG/app@$D191"
expect 3 "... only the planned tag went" "$WINCH" exists "$REG/app:v1.0.190"
contains "... says why prod's manifest stayed" "$AOUT" "skipped, 1 planned tag removed: the manifest stays: the tag prod, not in the plan, now points at it"
contains "... and why v1.0.191's did" "$AOUT" "now holds it"
same "... so do its signature and SBOM" "$(for t in $REF190; do "$WINCH" exists "$REG/app:$t"; echo $?; done | tr '\n' ' ')" "0 0 "
contains "... the referrers saying why" "$AOUT" "skipped: its image stays"
contains "... and counts what was done, not the plan" "$AOUT" "$REG/app: 6 manifests and 8 tags deleted; 4 skipped, 0 already gone, 0 failed"
same "... re-reading the repository once: the tag list, a HEAD per tag, a GET per index" \
	"$(for w in 'GET http://.*/tags/list' 'HEAD http://.*/manifests/' 'GET http://.*/manifests/sha256:'; do printf '%s\n' "$AERR" | grep -c "debug: $w"; done | tr '\n' ' ')" "1 $ntags $nidx "

# a buildx index: its images and attestations go after it, but not an image a kept index holds
python3 "$TOP/tests/tools/push-attested.py" "$REG" app att-old --created 2020-01-02T03:04:05Z > "$WORK/att.json" || fail "pushed att-old"
AT_AMD=$(json "d['images']['linux/amd64']" < "$WORK/att.json")
"$WINCH" index create "$REG/app:shared" "$REG/app@$AT_AMD" > /dev/null
expect 0 "a dry run for an expired buildx index" "$WINCH" cleanup -n --format json --match '^att-' --older-than 30d "$REG/app"
printf %s "$OUT" > "$WORK/att-plan.json"
same "... plans the index, then its arm64 image and both attestations, not the image a kept index holds" \
	"$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); a=json.load(open(sys.argv[2]))
kind=lambda g: 'index' if g==a['index'] else 'att' if g in a['attestations'].values() else 'img' if g in a['images'].values() else g
print(sorted((kind(x['digest']), x.get('parent')==a['index']) for x in d['repositories'][0]['delete']))" "$WORK/att-plan.json" "$WORK/att.json")" \
	"[('att', True), ('att', True), ('img', True), ('index', False)]"
expect 0 "cleanup of it" "$WINCH" -v cleanup --match '^att-' --older-than 30d "$REG/app"
contains "... counts them" "$OUT" "1 manifest and 1 tag deleted (with 0 referrers and 3 untagged manifests of deleted indexes)"
same "... deleting the index before its children" "$(printf '%s\n' "$ERR" | grep 'debug: DELETE' | head -n 1 | sed 's/.*manifests.//')" "$(json "d['index']" < "$WORK/att.json")"
same "... they are gone" "$(for d in $(json "' '.join(list(d['attestations'].values()) + [d['images']['linux/arm64']])" < "$WORK/att.json"); do "$WINCH" exists "$REG/app@$d"; echo $?; done | tr '\n' ' ')" "3 3 3 "
expect 0 "... the image the kept index holds is not" "$WINCH" exists "$REG/app@$AT_AMD"

# reproducible builds: the 1970 epoch (and a time in the future) is no age
python3 "$TOP/tests/tools/mkimage.py" "$WORK/repro" r1 --created 1970-01-01T00:00:00Z --seed 71 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$WORK/repro" r2 --created 1970-01-01T00:00:00Z --seed 72 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$WORK/repro" rf --created 2999-01-01T00:00:00Z --seed 73 > /dev/null
seed "$WORK/repro" r1 app:repro-1 && seed "$WORK/repro" r2 app:repro-2 && seed "$WORK/repro" rf app:repro-f || fail "seeded undated images"
expect 0 "--older-than 14d on images built at the epoch" "$WINCH" cleanup -n --match '^repro-' --older-than 14d "$REG/app"
contains "... expires none of them" "$OUT" "0 manifests and 0 tags would be deleted"
contains "... says their times are not believed" "$OUT" "3 of them stated but not believed"
contains "... and what that means" "$OUT" "no age or count rule expires them"
expect 0 "--keep 1 on them" "$WINCH" cleanup -n --match '^repro-' --keep 1 "$REG/app"
contains "... expires none either" "$OUT" "0 manifests and 0 tags would be deleted"
expect 0 "--expire-undated asks for it" "$WINCH" cleanup --expire-undated --match '^repro-' --older-than 14d "$REG/app"
contains "... then they go" "$OUT" "3 manifests and 3 tags deleted"
contains "... the plan saying the time was not believed" "$OUT" "created 1970-01-01T00:00:00Z (not believed)"

# several repositories from the catalog; bad input
fill other
expect 0 "--catalog picks repositories by pattern" "$WINCH" cleanup -n --catalog '^oth' --keep 3 --match '^v' "$REG"
contains "... other is cleaned" "$OUT" "$REG/other:"
lacks "... app is not" "$OUT" "$REG/app:"
expect 0 "--untagged alone" "$WINCH" cleanup -n --untagged "$REG/app"
contains "... says plainly the registry cannot list them" "$OUT" "cannot list manifests that no tag points at"
echo '{"rules":[{"rulePriority":1,"description":"Keep the 30 newest","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":30},"action":{"type":"expire"}}]}' > "$WORK/any.json"
expect 0 "a tagStatus any rule" "$WINCH" cleanup -n --policy "$WORK/any.json" "$REG/app"
contains "... says it ranks tagged images only, so ECR's result may differ" "$OUT" "rule 1 (tagStatus any) counts tagged images only, so the result may differ from ECR's, which counts untagged images too"
lacks "... and speaks of no untagged rule" "$OUT" "untagged rules see none"
echo '{"rules":[{"rulePriority":1,"description":"Expire images older than 14 days","selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14},"action":{"type":"expire"}},{"rulePriority":2,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}' > "$WORK/two-untagged.json"
expect 2 "a policy with two untagged rules is refused" "$WINCH" cleanup -n --policy "$WORK/two-untagged.json" "$REG/app"
contains "... naming both" "$ERR" 'only one rule can select untagged images: rule 1 ("Expire images older than 14 days") and rule 2 both have tagStatus untagged'
expect 2 "--policy with --keep is a usage error" "$WINCH" cleanup --policy "$WORK/seed-policy.json" --keep 3 "$REG/app"
expect 2 "no policy at all is a usage error" "$WINCH" cleanup "$REG/app"
echo '{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1,"tagPrefix":["v"]},"action":{"type":"expire"}}]}' > "$WORK/typo.json"
expect 2 "a policy with an unknown key is refused" "$WINCH" cleanup -n --policy "$WORK/typo.json" "$REG/app"
contains "... naming the key" "$ERR" '"tagPrefix"'
expect 2 "a bad --older-than" "$WINCH" cleanup --older-than 3months "$REG/app"
reg_stop_all

# deletion disabled: some deletions fail, and cron sees it
REG_DELETE=false reg_start plain || fail "registry without deletion"
fill app
expect 8 "cleanup where the registry refuses deletion exits 8" "$WINCH" cleanup --match '^pr-' --keep 38 "$REG/app"
contains "... saying why" "$OUT$ERR" "deletion is disabled"
contains "... and counting nothing as deleted" "$OUT" "0 manifests and 0 tags deleted; 0 skipped, 0 already gone, 2 failed"
expect 8 "an expired index there" "$WINCH" cleanup --match '^multi-' --exclude 'amd64$' --keep 1 "$REG/app"
contains "... keeps its children when it cannot go" "$OUT" "skipped: the index holding it was not deleted"
contains "... and counts them as skipped" "$OUT" "0 manifests and 0 tags deleted; 8 skipped, 0 already gone, 4 failed"
reg_stop_all

# a user who may read but not delete: every deletion is denied, and the summary says so
reg_start token || fail "token registry"
python3 "$TOP/tests/tools/mkimage.py" "$WORK/ro" a --created 2020-01-01T00:00:00Z --seed 81 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$WORK/ro" b --created 2020-01-01T00:00:00Z --seed 82 > /dev/null
seed "$WORK/ro" a app:old-a && seed "$WORK/ro" a app:keep-a && seed "$WORK/ro" b app:old-b && seed "$WORK/ro" b app:keep-b || fail "seeded"
expect 8 "cleanup as a read-only user exits 8" "$WINCH" cleanup --creds reader:reader-pw --match '^old-' --older-than 30d "$REG/app"
contains "... counting no tag as deleted" "$OUT" "0 manifests and 0 tags deleted; 0 skipped, 0 already gone, 2 failed"
same "... and none was" "$("$WINCH" list-tags --creds "$REG_USER:$REG_PASS" "$REG/app" | tr '\n' ' ')" "keep-a keep-b old-a old-b "
