#!/bin/bash
# Many references per call (issue 16, item 2): digest, exists, inspect and list-tags take several
# references (arguments, or "-" for one per line on stdin), resolve them in parallel over one
# context (its workers' connections and one token cache), and print per reference exactly what a
# single call prints (JSON objects one per line), in input order.  Exit 0 when all succeeded, 3
# when some were not found and the rest succeeded, 8 when anything else failed; each failure named
# on stderr with its reference.
. "$(dirname "$0")/lib.sh"

IMG=$WORK/img
python3 "$TOP/tests/tools/mkimage.py" "$IMG" one --layers 1 --size 2000 --seed 71 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$IMG" two --layers 2 --size 2000 --seed 72 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$IMG" idx --platforms linux/amd64,linux/arm64 --size 2000 --seed 73 > /dev/null
reg_start plain || fail "registry started"
seed "$IMG" one app:one && seed "$IMG" two app:two && seed "$IMG" idx app:idx && seed "$IMG" one other:x || fail "seeded"
A=$REG
python3 "$TOP/bench/mktags.py" "$A" many 24 t > /dev/null

# what single calls print, one after another
singles() { # CMD [OPTS...] -- REF...
	local cmd=() r
	while [ "$1" != -- ]; do cmd+=("$1"); shift; done
	shift
	for r in "$@"; do "$WINCH" "${cmd[@]}" "$r"; done
}

R1=$A/app:one R2=$A/app:two R3=$A/app:idx
for c in digest inspect "inspect --raw" "inspect --config" "inspect --platform linux/arm64"; do
	refs=("$R1" "$R3" "$R2")
	[ "$c" = "inspect --config" ] && refs=("$R1" "$R2" "$R2") # (an index has no config)
	# shellcheck disable=SC2086
	expect 0 "$c with three references" "$WINCH" $c "${refs[@]}"
	# shellcheck disable=SC2086
	same "... prints what single calls print, in input order" "$OUT" "$(singles $c -- "${refs[@]}")"
	same "... and nothing on stderr" "$ERR" ""
done
expect 0 "list-tags with two repositories" "$WINCH" list-tags "$A/app" "$A/other"
same "... prints what single calls print, in input order" "$OUT" "$(singles list-tags -- "$A/app" "$A/other")"
expect 0 "list-tags --match --sort in a list" "$WINCH" list-tags --sort none --match '^t1' "$A/many" "$A/app"
same "... filters each as a single call does" "$OUT" "$(singles list-tags --sort none --match '^t1' -- "$A/many" "$A/app")"

# JSON: one object per line, each the single call's object
for c in digest inspect list-tags; do
	refs=("$R1" "$R3" "$R2")
	[ $c = list-tags ] && refs=("$A/app" "$A/many")
	expect 0 "$c --format json in a list" "$WINCH" $c --format json "${refs[@]}"
	same "... one line per reference" "$(printf '%s\n' "$OUT" | wc -l)" "${#refs[@]}"
	got=$(printf '%s\n' "$OUT" | python3 -c 'import json,sys; print([json.loads(l) for l in sys.stdin])')
	want=$(for r in "${refs[@]}"; do "$WINCH" $c --format json "$r"; done |
		python3 -c 'import json,sys; d=json.JSONDecoder(); t=sys.stdin.read(); o=[]; i=0
while i < len(t):
    if t[i].isspace(): i += 1; continue
    v, i = d.raw_decode(t, i); o.append(v)
print(o)')
	same "... each the single call's object, in input order" "$got" "$want"
done
contains "digest's JSON names the reference" "$("$WINCH" digest --format json "$R1")" "\"reference\": \"$R1\""

# "-": one reference per line on stdin, blank lines and surrounding blanks ignored, at its place
expect 0 "references on stdin" bash -c 'printf "%s\n\n  %s \r\n" "$2" "$3" | "$1" digest "$4" - "$5"' _ "$WINCH" "$R2" "$R3" "$R1" "$R2"
same "... in the order given" "$OUT" "$(singles digest -- "$R1" "$R2" "$R3" "$R2")"
expect 0 "\"-\" with nothing on stdin does nothing" bash -c '"$1" exists - < /dev/null' _ "$WINCH"
same "... and prints nothing" "$OUT$ERR" ""
expect 2 "\"-\" twice is a usage error" bash -c '"$1" digest - - < /dev/null' _ "$WINCH"
expect 2 "a malformed --platform is a usage error before anything is asked" "$WINCH" digest --platform nope "$R1" "$R2"
expect 2 "so is an invalid --match" "$WINCH" list-tags --match '(' "$A/app" "$A/many"
expect 2 "and an unknown --sort" "$WINCH" list-tags --sort size "$A/app" "$A/many"

# exit status: 3 when some were not found, 8 when anything else failed; failures named
expect 3 "digest: some not found" "$WINCH" digest "$R1" "$A/app:nope" "$R2"
same "... the others printed, in order" "$OUT" "$(singles digest -- "$R1" "$R2")"
contains "... the missing one named with its reference" "$ERR" "winch: $A/app:nope: "
same "... once" "$(printf '%s\n' "$ERR" | grep -c .)" 1
expect 3 "exists: some not found" "$WINCH" exists "$R1" "$A/app:nope" "$A/gone:x"
contains "... each named" "$ERR" "winch: $A/app:nope: "
contains "..." "$ERR" "winch: $A/gone:x: "
expect 0 "exists: all there" "$WINCH" exists "$R1" "$R2" "$R3"
same "... silently" "$OUT$ERR" ""
DEAD=127.0.0.1:$(free_port)
expect 8 "another failure (a registry that is not there) is exit 8" "$WINCH" digest --timeout 5s "$R1" "$DEAD/x:y" "$A/app:nope"
contains "... named with its reference" "$ERR" "winch: $DEAD/x:y: "
contains "... the not-found one too" "$ERR" "winch: $A/app:nope: "
same "... the rest printed" "$OUT" "$(singles digest -- "$R1")"
expect 8 "an invalid reference in a list is a failure of its own" "$WINCH" exists "$R1" 'in valid' "$R2"
contains "... named" "$ERR" "winch: in valid: "
expect 8 "inspect --config: an index in a list fails by name" "$WINCH" inspect --config "$R1" "$R3"
contains "... saying why" "$ERR" "winch: $R3: has no image config"
expect 3 "a single reference keeps its own exit codes" "$WINCH" digest "$A/app:nope"
expect 6 "..." "$WINCH" digest --timeout 5s "$DEAD/x:y"

# in parallel, in input order: through a proxy that answers each manifest request 500 ms late
# (and the second reference's 1.5 s: the first runs alone), 16 references take well under their
# 9 s one by one
PPORT=$(free_port)
echo '{"delay": {"/manifests/": 500, "/manifests/t-1": 1500}}' > "$WORK/faults.json"
python3 "$TOP/tests/tools/fault-proxy.py" --port "$PPORT" --upstream "$A" --faults "$WORK/faults.json" \
	--log "$WORK/proxy.log" > /dev/null 2>&1 &
REG_PIDS="$REG_PIDS $!"
wait_port 127.0.0.1 "$PPORT" || fail "proxy started"
P=127.0.0.1:$PPORT
refs=$(for i in $(seq 0 15); do echo "$P/many:t-$i"; done)
start=$(date +%s%N)
expect 0 "16 references through a slow registry" bash -c 'printf "%s\n" "$2" | "$1" digest --plain-http -' _ "$WINCH" "$refs"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -lt 5000 ] && pass "... in parallel: $ms ms (one by one: 9 s)" || fail "... in parallel" "$ms ms"
same "... in input order, the slow second one second" "$OUT" "$(for i in $(seq 0 15); do "$WINCH" digest "$A/many:t-$i"; done)"
same "... one request each" "$(grep -c 'HEAD /v2/many/manifests/' "$WORK/proxy.log")" 16

# one token cache: a token registry is asked for one token per scope, whatever the workers
reg_start token || fail "token registry started"
seed "$IMG" one app:one && seed "$IMG" two app:two && seed "$IMG" one app:three || fail "seeded"
: > "$TOKEN_LOG"
expect 0 "20 references on a token registry" bash -c 'for i in $(seq 20); do echo "$2/app:one"; echo "$2/app:two"; done | "$1" digest --creds "$3" -' \
	_ "$WINCH" "$REG" "$REG_USER:$REG_PASS"
same "... one token for them all" "$(grep -c . "$TOKEN_LOG")" 1
same "... forty digests" "$(printf '%s\n' "$OUT" | grep -c '^sha256:')" 40
