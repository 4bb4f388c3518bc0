#!/bin/bash
# The command line (issue 11, "The command line"): common options before the
# command, --tls-verify values as skopeo takes them, usage errors that point
# to the command's -h, pull/push help, human text (plurals, sizes, what a pull
# received), JSON (stable enums, the source's tag, plain version numbers,
# two-space indents).  Completions are checked in t-docs.sh.
. "$(dirname "$0")/lib.sh"

IMG=$WORK/img
python3 "$TOP/tests/tools/mkimage.py" "$IMG" a --size 4096 > /dev/null
# the same layer (same seed), another config: pushing b after a sends one blob
python3 "$TOP/tests/tools/mkimage.py" "$IMG" b --size 4096 --label other=config > /dev/null

# ---- --tls-verify takes what skopeo's (Go's strconv.ParseBool) takes
reg_start tls || fail "tls registry started"
T=$REG
seed "$IMG" a app:a || fail "seeded the tls registry"
for v in false False FALSE f F 0; do
	expect 0 "--tls-verify=$v skips verification" "$WINCH" digest --tls-verify=$v "$T/app:a"
done
for v in true True TRUE t T 1; do
	expect 6 "--tls-verify=$v verifies (the CA is unknown)" "$WINCH" digest --tls-verify=$v "$T/app:a"
done
for v in yes no off on ''; do
	expect 2 "--tls-verify=$v is a usage error, as in skopeo" "$WINCH" digest "--tls-verify=$v" "$T/app:a"
	contains "... naming the value" "$ERR" "not \"$v\""
done
expect 2 "--tls-verify false (two words) is refused" "$WINCH" copy --tls-verify false "$T/app:a" "oci:$WORK/x:a"
contains "... saying the value goes after =" "$ERR" "--tls-verify takes its value after \"=\" (--tls-verify=false)"
contains "... and pointing to the command's help" "$ERR" "Try 'winch copy -h'."
same "... nothing was written" "$(ls "$WORK/x" 2>/dev/null)" ""
expect 2 "... before the command too" "$WINCH" --tls-verify False digest "$T/app:a"
contains "... naming the command" "$ERR" "winch digest: --tls-verify takes its value after"
expect 0 "--tls-verify=false before the command" "$WINCH" --tls-verify=false digest "$T/app:a"
reg_stop_all

# ---- common options before the command
reg_start basic || fail "basic registry started"
seed "$IMG" a app:a || fail "seeded"
expect 0 "--creds before the command" "$WINCH" --creds "$REG_USER:$REG_PASS" digest "$REG/app:a"
printf '{"auths":{"%s":{"auth":"%s"}}}' "$REG" "$(printf %s "$REG_USER:$REG_PASS" | base64 -w0)" > "$WORK/auth.json"
expect 0 "-v --authfile F before the command" "$WINCH" -v --authfile "$WORK/auth.json" digest "$REG/app:a"
contains "... -v is on" "$ERR" "debug: HEAD"
expect 0 "-q --format json --authfile=F before the command" "$WINCH" -q --format json --authfile="$WORK/auth.json" digest "$REG/app:a"
same "... --format is on" "$(printf %s "$OUT" | json "d['digest'][:7]")" "sha256:"
expect 2 "a missing --authfile given before the command is exit 2" "$WINCH" --authfile "$WORK/nope.json" digest "$REG/app:a"
expect 2 "an option the command does not take, before it, is a usage error" "$WINCH" --authfile "$WORK/auth.json" version
contains "... naming the command" "$ERR" "winch version: unknown option --authfile"
expect 2 "a command's own option before the command is refused" "$WINCH" --all-tags copy a b
contains "... saying so" "$ERR" "unknown option --all-tags before the command"
expect 0 "-h before the command shows its help" "$WINCH" -h list-tags
contains "... list-tags's" "$OUT" "Usage: winch list-tags"

C="--creds $REG_USER:$REG_PASS"
# ---- usage errors point to winch CMD -h
expect 2 "copy --match without --all-tags" "$WINCH" copy --match x "$REG/app:a" "$REG/b:a"
contains "... points to copy's help" "$ERR" "Try 'winch copy -h'."
same "... and names copy once" "$(printf %s "$ERR" | head -n 1)" "winch copy: --match goes with --all-tags"
expect 2 "pull --platform with --all-platforms" "$WINCH" pull --platform linux/amd64 --all-platforms "$REG/app:a"
contains "... points to pull's help" "$ERR" "Try 'winch pull -h'."
expect 2 "list-tags with a bad --match" "$WINCH" list-tags $C --match '(' "$REG/app"
contains "... points to list-tags's help" "$ERR" "Try 'winch list-tags -h'."

# ---- human text: "received" for a pull, KiB below a MiB, singular counts
cd "$WORK" || exit 1
expect 0 "pull" "$WINCH" pull $C "$REG/app:a" "oci:$WORK/pulled:a"
contains "... says what it received" "$ERR" "pulled $REG/app:a to oci:$WORK/pulled:a: sha256:"
contains "... 2 blobs received, in KiB" "$ERR" "(2 blobs received, "
contains "... the size in KiB" "$ERR" " KiB; 0 already there; 1 manifest)"
lacks "... never 'sent'" "$ERR" "sent"
lacks "... nor 0.0 MiB" "$ERR" "MiB"
expect 0 "push a, then b (same layer)" "$WINCH" push $C "oci:$IMG:a" "$REG/pushed:a"
expect 0 "push b" "$WINCH" push $C "oci:$IMG:b" "$REG/pushed:b"
contains "... one blob sent, one already there, one manifest" "$ERR" "(1 blob sent, "
contains "... singular throughout" "$ERR" "; 1 already there; 1 manifest)"
cd "$TOP" || exit 1

# ---- JSON: the source with its tag, two-space indents, stable enums
seed "$IMG" a app:latest || fail "seeded app:latest"
expect 0 "copy --format json REPO (no tag)" "$WINCH" copy $C --format json "$REG/app" "$REG/copied"
same "... source names the tag it resolved, destination the tag it took" \
	"$(printf %s "$OUT" | json "(d['source'], d['destination'], d['results'][0]['source'])")" \
	"[\"$REG/app:latest\", \"$REG/copied:latest\", \"$REG/app:latest\"]"
same "... indented two spaces, no tabs" "$(printf %s "$OUT" | sed -n 2p)" "  \"source\": \"$REG/app:latest\","
lacks "... no tab anywhere" "$OUT" "$(printf '\t')"
D=$("$WINCH" digest $C "$REG/app:a")
expect 0 "copy --format json REPO@DIGEST" "$WINCH" copy $C --format json "$REG/app@$D" "$REG/bydigest"
same "... the source stays by digest, the destination names what it holds" \
	"$(printf %s "$OUT" | json "(d['source'], d['destination'])")" "[\"$REG/app@$D\", \"$REG/bydigest@$D\"]"
for cmd in "digest $C --format json $REG/app:a" "list-tags $C --format json $REG/app" \
	"inspect $C --format json $REG/app:a" "version --format json" \
	"cleanup $C --dry-run --keep 5 --format json $REG/app"; do
	run "$WINCH" $cmd
	same "${cmd%% *} --format json: two-space indents, \"key\": value" \
		"$(printf '%s\n' "$OUT" | grep -c -v -E '^(  )*([]{}[]|"[^"]*": .*|"[^"]*",?|[0-9a-z.-]+,?|[]}],?)$')" 0
	lacks "... no tab" "$OUT" "$(printf '\t')"
done
run "$WINCH" cleanup $C --dry-run --keep 5 --plan-file "$WORK/plan.json" "$REG/app"
lacks "cleanup --plan-file: no tab either" "$(cat "$WORK/plan.json")" "$(printf '\t')"
expect 0 "... and the plan reads back" "$WINCH" cleanup $C --apply "$WORK/plan.json" --dry-run
rm -f "$WORK/plan.json"
expect 0 "version --format json" "$WINCH" version --format json
same "... plain version numbers" \
	"$(printf %s "$OUT" | json "all(__import__('re').fullmatch(r'[0-9]+(\.[0-9]+)*[a-z]?', d[k]) for k in ('version', 'libcurl', 'openssl', 'cjson', 'libarchive', 'zlib'))")" \
	"true"
expect 0 "version (text)" "$WINCH" version
same "... the text too: no build date after OpenSSL's version" "$(printf %s "$OUT" | grep -c -E 'OpenSSL [0-9.]+[a-z]?, cJSON')" 1
"$WINCH" tag $C "$REG/app:a" gone > /dev/null 2>&1
expect 0 "delete --format json (a tag)" "$WINCH" delete $C --format json "$REG/app:gone"
same "... method is a stable name" "$(printf %s "$OUT" | json "d['method']")" "placeholder"
expect 0 "delete (text) says it in words" "$WINCH" delete $C "$REG/app:a"
contains "... by a placeholder manifest" "$ERR" "(by a placeholder manifest)"
"$WINCH" tag $C "$REG/pushed:b" only > /dev/null 2>&1
expect 0 "delete --image --format json" "$WINCH" delete $C --image --force --format json "$REG/pushed:only"
same "... method" "$(printf %s "$OUT" | json "d['method']")" "manifest-delete"
