#!/bin/bash
# Issue 13: cleanup and delete through the vendors' own APIs -- Docker Hub's, GitHub's Packages,
# ECR's (SigV4), Harbor's -- emulated beside the registry personalities (tests/tools/front_vendors.py,
# its sources in registry-front.md): the seeds' three jobs end to end (the GHCR workflow keeping 5
# untagged versions, the Hub ^sha- script, the ECR lifecycle policy) and a Harbor one, each with a
# dry run that deletes nothing and a plan/apply round trip; delete REF where the registry API has
# no DELETE; ECR login without the aws CLI; the failure rules; no secret in any output.
. "$(dirname "$0")/lib.sh"

SEED=$TOP/tests/tools/seed-images.py
mark() { MARK=$(wc -l < "$FRONT_LOG"); }
since() { tail -n +$((MARK + 1)) "$FRONT_LOG" | grep -cE -- "$1"; }
# pushed REPO REF DAYS...: push times, as the vendor API will report them
pushed() {
	local repo=$1 json="[" sep=""
	shift
	while [ $# -ge 2 ]; do json="$json$sep{\"repo\":\"$repo\",\"ref\":\"$1\",\"age_days\":$2}"; sep=,; shift 2; done
	curl -sf -d "$json]" "http://$FRONT/_front/pushed" > /dev/null || echo "# pushed: failed" >&2
}
d() { json "d[\"$1\"]" < "$WORK/digests.json"; }
# what the repository holds now, through the upstream: "TAG=NAME ..." sorted, and untagged manifests by name
state() { # state REPO NAME...: for each NAME, "NAME:tags" (tags sorted, "-" when untagged) or "NAME:gone"
	local repo=$1
	shift
	for n in "$@"; do
		local dg tg
		dg=$(d "$n")
		if [ -e "$REG_DIR/data/docker/registry/v2/repositories/$repo/_manifests/revisions/sha256/${dg#sha256:}/link" ]; then
			tg=$(for t in "$REG_DIR/data/docker/registry/v2/repositories/$repo/_manifests/tags"/*; do
				[ "$(cat "$t/current/link" 2> /dev/null)" = "$dg" ] && basename "$t"; done | sort | paste -sd, -)
			printf '%s:%s ' "$n" "${tg:--}"
		else
			printf '%s:gone ' "$n"
		fi
	done
}

# ------------------------------------------------------------------ ECR: the lifecycle policy
front_start ecr || { fail "ecr front"; exit 0; }
export AWS_ACCESS_KEY_ID=$FRONT_AWS_KEY AWS_SECRET_ACCESS_KEY=$FRONT_AWS_SECRET AWS_REGION=$FRONT_AWS_REGION
export AWS_ENDPOINT_URL_ECR=http://$FRONT_API WINCH_REGISTRY_VENDOR="$FRONT=ecr"
# twelve v images (v1 oldest), a release candidate, untagged images of several ages, and a
# multi-arch image whose platform manifests ECR lists as untagged images
specs="m+multi:v12"
for i in 1 2 3 4 5 6 7 8 9 10 11; do specs="$specs v$i:v$i"; done
python3 "$SEED" "$REG" app $specs rc:rc-1 u1 u2 u3 u4 > "$WORK/digests.json"
args="app"
for i in 1 2 3 4 5 6 7 8 9 10 11; do args="$args v$i $((40 - i))"; done
pushed $args v12 1 rc-1 30 "$(d u1)" 3 "$(d u2)" 8 "$(d u3)" 20 "$(d u4)" 6 "$(d m/amd64)" 9 "$(d m/arm64)" 9
cat > "$WORK/lifecycle.json" << 'EOF'
{"rules": [
  {"rulePriority": 1, "description": "Keep last 10 tagged images",
   "selection": {"tagStatus": "tagged", "tagPrefixList": ["v"], "countType": "imageCountMoreThan", "countNumber": 10},
   "action": {"type": "expire"}},
  {"rulePriority": 2, "description": "Expire untagged images older than 7 days",
   "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7},
   "action": {"type": "expire"}}]}
EOF
W() { "$WINCH" --creds "$FRONT_USER:$FRONT_PASS" "$@"; }
mark
expect 0 "ecr: the lifecycle policy, dry run" W cleanup --dry-run --format json --policy "$WORK/lifecycle.json" "$FRONT/app"
same "... through the ECR API, with push times for every image" \
	"$(json '[d["repositories"][0][k] for k in ("api", "images", "untagged")] + [d["repositories"][0]["createdFrom"]["push"]]' <<< "$OUT")" \
	'["ecr", 19, 6, 17]'
same "... plans v1 and v2 (beyond the newest 10 v images) and the untagged images older than 7 days" \
	"$(json 'sorted(",".join(x["tags"]) or x["digest"][:19] for x in d["repositories"][0]["delete"])' <<< "$OUT")" \
	"$(python3 -c 'import json,sys; print(json.dumps(sorted(["v1", "v2", sys.argv[1][:19], sys.argv[2][:19]])))' "$(d u2)" "$(d u3)")"
same "... each judged by its push time" "$(json 'sorted(set(x.get("timeFrom") for x in d["repositories"][0]["delete"]))' <<< "$OUT")" '["push"]'
same "... and sends no deletion" "$(since 'BatchDeleteImage') $(since ' (DELETE|PUT) ')" "0 0"
expect 0 "ecr: the plan for review" W cleanup --dry-run --policy "$WORK/lifecycle.json" --plan-file "$WORK/plan.json" "$FRONT/app"
contains "... the report says where the times came from" "$OUT" "times from 17 pushes"
same "... the plan records the API" "$(json '[d["repositories"][0]["api"], d["repositories"][0]["apiUrl"]]' < "$WORK/plan.json")" \
	"[\"ecr\", \"http://$FRONT_API\"]"
expect 0 "ecr: --apply carries it out" W cleanup --apply "$WORK/plan.json"
same "... leaving exactly the expected set" "$(state app v1 v2 v3 v11 m m/amd64 m/arm64 rc u1 u2 u3 u4)" \
	"v1:gone v2:gone v3:v3 v11:v11 m:v12 m/amd64:- m/arm64:- rc:rc-1 u1:- u2:gone u3:gone u4:- "
same "... with BatchDeleteImage by digest" "$(since 'POST /#BatchDeleteImage .*status=200')" 4
expect 0 "ecr: applying it again finds it done" W cleanup --apply "$WORK/plan.json"
contains "... already gone" "$OUT" "4 already gone"

# delete REF through the ECR API: a tag among others goes alone; an image's last tag goes by a
# placeholder (ECR deletes an image with its last tag), so the image stays
python3 "$SEED" "$REG" app two:t1,t2 > "$WORK/digests.json"
mark
expect 0 "ecr: delete one of two tags" W delete --format json "$FRONT/app:t1"
same "... through the API's tag delete" "$(json '[d["api"], d["method"], d["tags"]]' <<< "$OUT")" '["ecr", "tag-delete", ["t1"]]'
expect 0 "ecr: delete an image's last tag" W delete --format json "$FRONT/app:t2"
same "... by a placeholder, deleted through the API" "$(json '[d["api"], d["method"]]' <<< "$OUT")" '["ecr", "placeholder"]'
same "... the image stays, untagged" "$(state app two)" "two:- "
expect 3 "... and the tag is gone" W exists "$FRONT/app:t2"

# winch login to ECR: GetAuthorizationToken with the AWS credentials, no aws CLI
run "$WINCH" login "$FRONT"
same "ecr: login with AWS credentials only" "$RC $OUT" "0 Login Succeeded"
same "... the password came from GetAuthorizationToken" "$(since 'POST /#GetAuthorizationToken .*status=200')" 1
contains "... and was stored" "$(cat "$HOME/.docker/config.json")" "$FRONT"
# a long copy outlives its 12-hour password: a fresh one is fetched, no helper needed
python3 "$TOP/tests/tools/mkimage.py" "$WORK/img" big --layers 3 --size 60000 > /dev/null
front_state '{"expire_after": 3}' > /dev/null
mark
expect 0 "ecr: a copy whose stored password expires mid-way fetches a fresh one" "$WINCH" copy "oci:$WORK/img:big" "$FRONT/app:big"
same "... from GetAuthorizationToken" "$(since 'POST /#GetAuthorizationToken .*status=200')" 1
same "... after the registry refused the old one" "$([ "$(since ' status=403 ')" -ge 1 ] && echo yes)" yes
front_state '{"expire_after": 0}' > /dev/null

# the failure rules: an IAM policy without ecr:BatchDeleteImage is exit 4, nothing deleted, the
# permission named; a wrong secret is refused by the signature check (exit 4)
python3 "$SEED" "$REG" app old1:o1 old2:o2 > "$WORK/digests.json"
pushed app o1 50 o2 50
front_state '{"ecr_deny": ["BatchDeleteImage"]}' > /dev/null
expect 4 "ecr: a policy without ecr:BatchDeleteImage is exit 4" W cleanup --match '^o' --keep 0 "$FRONT/app"
contains "... naming the permission" "$ERR" "ecr:BatchDeleteImage"
same "... nothing deleted, the run stopped at the first refusal" "$(state app old1 old2)" "old1:o1 old2:o2 "
front_state '{"ecr_deny": []}' > /dev/null
expect 4 "ecr: a wrong secret key fails the signature check (exit 4)" env AWS_SECRET_ACCESS_KEY=wrong "$WINCH" \
	--creds "$FRONT_USER:$FRONT_PASS" cleanup --dry-run --keep 1 "$FRONT/app"
contains "... as AWS says it" "$ERR" "InvalidSignatureException"
# secrets never in any output, at any -v level
run W -vv cleanup --match '^o' --keep 0 "$FRONT/app"
same "ecr: cleanup at -vv" "$RC" 0
lacks "... without the AWS secret key" "$OUT$ERR" "$FRONT_AWS_SECRET"
contains "... the signature redacted" "$ERR" "Authorization: AWS4-HMAC-SHA256 <redacted>"
run env AWS_SESSION_TOKEN=sessiontok$$ "$WINCH" -vv login "$FRONT"
lacks "ecr: -vv login: no session token in any output" "$OUT$ERR" "sessiontok$$"
lacks "... nor the ECR password" "$OUT$ERR" "$(json 'd["auths"]["'"$FRONT"'"]["auth"]' < "$HOME/.docker/config.json" | base64 -d | cut -d: -f2)"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_ENDPOINT_URL_ECR
# a profile in ~/.aws, as the AWS tools read it
mkdir -p "$HOME/.aws"
printf '[ci]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$FRONT_AWS_KEY" "$FRONT_AWS_SECRET" > "$HOME/.aws/credentials"
printf '[profile ci]\nregion = %s\n' "$FRONT_AWS_REGION" > "$HOME/.aws/config"
expect 0 "ecr: credentials and region from AWS_PROFILE's ~/.aws files" env AWS_PROFILE=ci \
	"$WINCH" cleanup --dry-run --keep 1 --api ecr --api-url "http://$FRONT_API" "$FRONT/app"
contains "... through the ECR API" "$OUT" "through the ecr API"
rm -rf "$HOME/.aws" "$HOME/.docker"
reg_stop_all

# ------------------------------------------------------------------ GHCR: the workflow's policy
# delete-package-versions with min-versions-to-keep: 5 and delete-only-untagged-versions: true
front_start ghcr || { fail "ghcr front"; exit 0; }
export WINCH_REGISTRY_VENDOR="$FRONT=ghcr"
python3 "$SEED" "$REG" alice/app m+multi:latest v1:v1 u1 u2 u3 u4 u5 u6 u7 u8 sbom+ref:v1 > "$WORK/digests.json"
pushed alice/app "$(d u1)" 1 "$(d u2)" 2 "$(d u3)" 3 "$(d u4)" 4 "$(d u5)" 5 "$(d u6)" 6 "$(d u7)" 7 "$(d u8)" 8 \
	"$(d m/amd64)" 30 "$(d m/arm64)" 30 latest 30 v1 40 "$(d sbom)" 39
G() { "$WINCH" --creds "alice:$FRONT_PASS" "$@"; }
A="--api-url http://$FRONT_API"
mark
expect 0 "ghcr: --untagged-only --keep 5, dry run" G cleanup --dry-run --format json --untagged-only --keep 5 $A "$FRONT/alice/app"
same "... plans the three oldest untagged versions, with their version ids" \
	"$(json '[(x["digest"], "id" in x, x["timeFrom"]) for x in d["repositories"][0]["delete"]]' <<< "$OUT" | tr -d ' ')" \
	"$(printf '[["%s",true,"push"],["%s",true,"push"],["%s",true,"push"]]' "$(d u6)" "$(d u7)" "$(d u8)")"
same "... never the multi-arch image's platform manifests, nor the SBOM of v1 (untagged versions too)" \
	"$(json '[x["digest"] for x in d["repositories"][0]["delete"]]' <<< "$OUT" | grep -cE "$(d m/amd64)|$(d m/arm64)|$(d sbom)")" 0
same "... and sends no DELETE" "$(since ' DELETE ')" 0
expect 0 "ghcr: the plan" G cleanup --dry-run --untagged-only --keep 5 $A --plan-file "$WORK/plan.json" "$FRONT/alice/app"
"$WINCH" tag "$REG/alice/app@$(d u6)" u6tag > /dev/null 2>&1   # since the plan, u6 got a tag
expect 0 "ghcr: --apply deletes the versions through the API" "$WINCH" --creds "alice:$FRONT_PASS" cleanup --apply "$WORK/plan.json"
contains "... re-checked first: u6, tagged since, stays" "$OUT" "skipped: the tag u6tag, not in the plan, now points at it"
same "... leaving exactly the expected set" "$(state alice/app m m/amd64 m/arm64 v1 sbom u1 u5 u6 u7 u8)" \
	"m:latest m/amd64:- m/arm64:- v1:v1 sbom:- u1:- u5:- u6:u6tag u7:gone u8:gone "
same "... two DELETEs of versions" "$(since 'DELETE /users/alice/packages/container/app/versions/[0-9]+ .*status=204')" 2
expect 0 "ghcr: delete REF through the API (a tag alone: a placeholder version, deleted)" G delete --format json $A "$FRONT/alice/app:v1"
same "... by a placeholder" "$(json '[d["api"], d["method"]]' <<< "$OUT")" '["github", "placeholder"]'
same "... the image stays" "$(state alice/app v1)" "v1:- "
expect 9 "ghcr: the registry API has no DELETE (exit 9), pointing to the API" G delete --api registry "$FRONT/alice/app:latest"
contains "... saying what to use" "$ERR" "--api github"
# GitHub refuses to delete a package's last tagged version: some deletions failed, exit 8 with the list
expect 8 "ghcr: a deletion GitHub refuses is exit 8" G cleanup --match '^(latest|u6tag)$' --keep 0 $A "$FRONT/alice/app"
contains "... listing it with GitHub's message" "$OUT" "You cannot delete the last tagged version of a package"
contains "... and counting it" "$OUT" "1 failed"
# a token without delete:packages: refused before anything is deleted (exit 4)
expect 4 "ghcr: a classic token without delete:packages is exit 4" "$WINCH" --creds "reader:$FRONT_PASS-r" cleanup \
	--untagged-only $A "$FRONT/alice/app"
contains "... naming the scope" "$ERR" "delete:packages"
same "... nothing deleted" "$(state alice/app u1 u5)" "u1:- u5:- "
# GitHub's rate limit: 403 with x-ratelimit-remaining 0, exit 5 with the reset time
front_state '{"api_rate_limit": 1}' > /dev/null
expect 5 "ghcr: a spent rate limit is exit 5" G cleanup --dry-run --untagged-only $A "$FRONT/alice/app"
contains "... with the reset time" "$ERR" "the limit resets at"
front_state '{"api_rate_limit": 0}' > /dev/null
# the pages, and a Link rel="next" that loops or leaves the API's origin (lib/vendors/api.c wn__api_pages)
run G cleanup --dry-run --format json --untagged-only --keep 1 $A "$FRONT/alice/app"
one=$(json '[x["digest"] for x in d["repositories"][0]["delete"]]' <<< "$OUT")
front_state '{"api_page_size": 3}' > /dev/null
mark
expect 0 "ghcr: the versions in pages of 3 (Link rel=next)" G cleanup --dry-run --format json --untagged-only --keep 1 $A "$FRONT/alice/app"
same "... the same plan as in one page" "$(json '[x["digest"] for x in d["repositories"][0]["delete"]]' <<< "$OUT")" "$one"
[ "$(since 'GET /users/alice/packages/container/app/versions')" -ge 3 ] && pass "... in three pages or more" ||
	fail "... in three pages or more"
front_state '{"api_next": "loop"}' > /dev/null
expect 1 "ghcr: a next page that is this page again is refused" G cleanup --dry-run --untagged-only $A "$FRONT/alice/app"
contains "... as pages that do not end" "$ERR" "the pages do not end"
front_state '{"api_next": "foreign"}' > /dev/null
mark
expect 1 "ghcr: a next page on another origin is refused" G cleanup --dry-run --untagged-only $A "$FRONT/alice/app"
contains "... saying why" "$ERR" "refusing a next page on another origin"
front_state '{"api_next": "", "api_page_size": 0}' > /dev/null
run G -vv cleanup --dry-run --untagged-only $A "$FRONT/alice/app"
lacks "ghcr: -vv: the token in no output" "$OUT$ERR" "$FRONT_PASS"
reg_stop_all

# ------------------------------------------------------------------ Docker Hub: the ^sha- script
front_start hub || { fail "hub front"; exit 0; }
export WINCH_REGISTRY_VENDOR="$FRONT=dockerhub"
python3 "$SEED" "$REG" alice/myapp a:sha-1,v1 b:sha-2 c:sha-3 e:v2,latest > "$WORK/digests.json"
H() { "$WINCH" --creds "alice:$FRONT_PASS" "$@"; }
A="--api-url http://$FRONT_API"
front_state '{"api_page_size": 2}' > /dev/null   # pages, as Hub's "next" gives them
mark
expect 0 "hub: --match '^sha-' --keep 0, dry run" H cleanup --dry-run --format json --match '^sha-' --keep 0 $A "$FRONT/alice/myapp"
same "... every sha- tag, tag by tag" "$(json 'sorted(t for x in d["repositories"][0]["delete"] for t in x["tags"])' <<< "$OUT")" \
	'["sha-1", "sha-2", "sha-3"]'
same "... no DELETE sent" "$(since ' DELETE ')" 0
expect 0 "hub: the plan" H cleanup --dry-run --match '^sha-' --keep 0 $A --plan-file "$WORK/plan.json" "$FRONT/alice/myapp"
expect 0 "hub: --apply deletes the tags through Hub's API" H cleanup --apply "$WORK/plan.json"
same "... leaving exactly the expected set" "$(state alice/myapp a b c e)" "a:v1 b:- c:- e:latest,v2 "
same "... one DELETE per tag" "$(since 'DELETE /v2/repositories/alice/myapp/tags/sha-[123]/ .*status=204')" 3
expect 9 "hub: an untagged rule is refused up front, naming it" H cleanup --policy "$WORK/lifecycle.json" $A "$FRONT/alice/myapp"
contains "... naming the rule" "$ERR" "rule 2 (\"Expire untagged images older than 7 days\")"
expect 0 "hub: delete REF (a tag) through Hub's API" H delete --format json $A "$FRONT/alice/myapp:v2"
same "... by its tag delete" "$(json '[d["api"], d["method"]]' <<< "$OUT")" '["hub", "tag-delete"]'
run H -vv cleanup --dry-run --keep 1 $A "$FRONT/alice/myapp"
lacks "hub: -vv: the password in no output" "$OUT$ERR" "$FRONT_PASS"
reg_stop_all

# ------------------------------------------------------------------ Harbor: untagged artifacts after a week
front_start harbor || { fail "harbor front"; exit 0; }
export WINCH_REGISTRY_VENDOR="$FRONT=harbor"
python3 "$SEED" "$REG" winch/app m+multi:v1 old new > "$WORK/digests.json"
pushed winch/app "$(d old)" 10 "$(d new)" 2 v1 30
R() { "$WINCH" --creds "$FRONT_USER:$FRONT_PASS" "$@"; }
expect 0 "harbor: --untagged-only --older-than 7d through Harbor's API" R cleanup --untagged-only --older-than 7d \
	--api harbor --api-url "http://$FRONT" "$FRONT/winch/app"
same "... leaving exactly the expected set" "$(state winch/app m m/amd64 m/arm64 old new)" "m:v1 m/amd64:- m/arm64:- old:gone new:- "
