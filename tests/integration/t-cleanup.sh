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

# indexes: deleting one never breaks another; a tagged child of a kept index stays
expect 0 "--match '^multi-' --keep 1 --exclude amd64" "$WINCH" cleanup --match '^multi-' --exclude 'amd64$' --keep 1 "$REG/app"
same "... keeps multi-0 and the tag on its child" "$(tagset app | tr ' ' '\n' | grep '^multi-' | tr '\n' ' ')" "multi-0 multi-0-amd64 "
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

# several repositories from the catalog; bad input
fill other
expect 0 "--catalog picks repositories by pattern" "$WINCH" cleanup -n --catalog '^oth' --keep 3 --match '^v' "$REG"
contains "... other is cleaned" "$OUT" "$REG/other:"
lacks "... app is not" "$OUT" "$REG/app:"
expect 0 "--untagged alone" "$WINCH" cleanup -n --untagged "$REG/app"
contains "... says plainly the registry cannot list them" "$OUT" "cannot list manifests that no tag points at"
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
