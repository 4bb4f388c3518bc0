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
