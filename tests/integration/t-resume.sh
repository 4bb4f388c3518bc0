#!/bin/bash
# Resume across a restart (issue 16, item 1): a push, a copy and a pull killed
# outright (SIGKILL) at about half way leave a journal under
# $XDG_STATE_HOME/winch (else ~/.local/state/winch); the rerun moves at most the
# other half and one chunk, counted by tests/tools/fault-proxy.py, and its
# result has the source's digest and is read by skopeo.  Partial files that do
# not hash to their journal, sessions the registry dropped, --no-resume, stale
# journals, and the layout's and $TMPDIR's cleaners meeting journaled files.
. "$(dirname "$0")/lib.sh"

IMG=$WORK/img
python3 "$TOP/tests/tools/mkimage.py" "$IMG" big --layers 1 --size 12000000 --seed 61 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$IMG" two --layers 2 --size 4000000 --seed 62 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$IMG" small --layers 1 --size 20000 --seed 63 > /dev/null
reg_start plain || fail "registry started"
seed "$IMG" big app:big && seed "$IMG" two app:two && seed "$IMG" small app:small || fail "seeded"
export TMPDIR=$WORK/tmp
mkdir -p "$TMPDIR"

# the fault proxy in front of the registry counts the bytes of blob bodies and holds a
# transfer at a chosen byte, where the test kills winch
PPORT=$(free_port)
FAULTS=$WORK/faults.json PLOG=$WORK/proxy.log COUNTS=$WORK/counts.json
echo '{}' > "$FAULTS"
echo '{"blob_get": 0, "upload": 0, "acked": 0}' > "$COUNTS"
python3 "$TOP/tests/tools/fault-proxy.py" --port "$PPORT" --upstream "$REG" --faults "$FAULTS" --log "$PLOG" \
	--counts "$COUNTS" > "$WORK/proxy.out" 2>&1 &
REG_PIDS="$REG_PIDS $!"
wait_port 127.0.0.1 "$PPORT" || fail "proxy started"
P=127.0.0.1:$PPORT

count() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$COUNTS" "$1"; }
layer() { "$WINCH" inspect --format json "oci:$IMG:$1" | json "d['layers'][${2:-0}]['$3']"; }
BIG=$(layer big 0 size)
HALF=$((BIG / 2))
MiB=1048576
JOURNALS=$HOME/.local/state/winch/journal

# killed CNT BYTES CMD...: runs CMD in the background, has the proxy hold it once CNT (blob_get
# or acked) grew by BYTES, kills it with SIGKILL there, and sets MOVED to what it moved
killed() {
	local cnt=$1 bytes=$2 key=hold-blob-after
	shift 2
	[ "$cnt" = acked ] && key=hold-upload-after
	local before
	before=$(count "$cnt")
	echo "{\"$key\": $((before + bytes))}" > "$FAULTS"
	: > "$PLOG"
	"$@" > /dev/null 2> "$WORK/killed.err" &
	local pid=$!
	for _ in $(seq 200); do grep -q '^HOLD' "$PLOG" && break; sleep 0.05; done
	grep -q '^HOLD' "$PLOG" || fail "the proxy held the transfer: $*" "$(cat "$WORK/killed.err")"
	sleep 0.3 # what arrived is written (a pull's last checkpoint)
	kill -9 "$pid"
	wait "$pid" 2> /dev/null
	echo '{}' > "$FAULTS"
	KILLED_AT=$(($(count "$cnt") - before))
}
# rerun CNT WHAT CMD...: expect 0, and MOVED gets what CNT grew by
rerun() {
	local cnt=$1 what=$2 before
	shift 2
	before=$(count "$cnt")
	expect 0 "$what" "$@"
	MOVED=$(($(count "$cnt") - before))
}
# at_most WHAT BYTES LIMIT
at_most() {
	if [ "$2" -le "$3" ]; then pass "$1 ($2 <= $3 bytes)"; else fail "$1" "moved $2 bytes, more than $3"; fi
}

# ---- push: killed right after an acknowledged chunk at about half way
killed acked "$HALF" "$WINCH" push --chunk-size 1M "oci:$IMG:big" "$P/pushed:x"
ls "$JOURNALS"/upload-*.json > /dev/null 2>&1 && pass "a killed push leaves an upload journal in ~/.local/state/winch" ||
	fail "a killed push leaves an upload journal in ~/.local/state/winch" "$(ls -la "$JOURNALS" 2>&1)"
acked=$(cat "$JOURNALS"/upload-*.json 2>/dev/null | json 'd["offset"]')
contains "... naming the session" "$(cat "$JOURNALS"/upload-*.json 2>/dev/null)" '"location":"http://'"$P/v2/pushed/blobs/uploads/"
same "... and the last offset the registry acknowledged: a chunk at about half way" \
	"$((acked % MiB == 0 && acked >= HALF - MiB && acked <= KILLED_AT))" 1
rerun upload "the push run again goes on" "$WINCH" -v push --chunk-size 1M "oci:$IMG:big" "$P/pushed:x"
contains "... from the byte the registry holds" "$ERR" "resuming the upload of $(layer big 0 digest) at byte $acked"
at_most "... and sends at most the other half and one chunk" "$MOVED" $((BIG - HALF + MiB + 65536))
same "... the result has the source's digest" "$("$WINCH" digest "$REG/pushed:x")" "$("$WINCH" digest "oci:$IMG:big")"
expect 0 "... skopeo reads it (every blob verified)" skopeo copy -q --src-tls-verify=false "docker://$REG/pushed:x" "oci:$WORK/sk1:x"
same "... and the journal is gone" "$(ls -A "$JOURNALS")" ""

# ---- copy: the same upload, the source a registry (its first half is read again to hash it, not sent)
killed acked "$HALF" "$WINCH" copy --chunk-size 1M "$REG/app:big" "$P/copied:x"
rerun upload "a killed copy run again goes on" "$WINCH" copy --chunk-size 1M "$REG/app:big" "$P/copied:x"
at_most "... sending at most the other half and one chunk" "$MOVED" $((BIG - HALF + MiB + 65536))
same "... the result has the source's digest" "$("$WINCH" digest "$REG/copied:x")" "$("$WINCH" digest "$REG/app:big")"

# ---- a session the registry no longer knows: the rerun starts over, quietly
killed acked "$HALF" "$WINCH" push --chunk-size 1M "oci:$IMG:big" "$P/dropped:x"
loc=$(cat "$JOURNALS"/upload-*.json | json 'd["location"]')
curl -s -o /dev/null -X DELETE "$loc"
rerun upload "a session the registry dropped: the push starts over" "$WINCH" push -q --chunk-size 1M "oci:$IMG:big" "$P/dropped:x"
same "... quietly" "$ERR" ""
at_most "... sending the whole blob once" "$MOVED" $((BIG + 65536))
same "... the result has the source's digest" "$("$WINCH" digest "$REG/dropped:x")" "$("$WINCH" digest "oci:$IMG:big")"
same "... and the journal is gone" "$(ls -A "$JOURNALS")" ""

# ---- --no-resume: neither writes journals nor uses them
killed acked "$HALF" "$WINCH" push --no-resume --chunk-size 1M "oci:$IMG:big" "$P/noresume:x"
same "a push killed with --no-resume leaves no journal" "$(ls -A "$JOURNALS")" ""
killed acked "$HALF" "$WINCH" push --chunk-size 1M "oci:$IMG:big" "$P/noresume:x"
rerun upload "--no-resume starts a killed push over" "$WINCH" push --no-resume --chunk-size 1M "oci:$IMG:big" "$P/noresume:x"
if [ "$MOVED" -ge "$BIG" ]; then pass "... sending the whole blob ($MOVED bytes)"; else fail "... sending the whole blob" "$MOVED bytes"; fi
same "... and leaves the journal it did not use" "$(ls "$JOURNALS" | grep -c '^upload-')" 1
rm -f "$JOURNALS"/*

# ---- pull into a layout: killed at about half way; another pull into the layout keeps the partial file
killed blob_get "$HALF" "$WINCH" pull "$P/app:big" "oci:$WORK/lay:big"
part=$(find "$WORK/lay" -name '*.winch-tmp-*' -size +1M)
[ -n "$part" ] && pass "a killed pull leaves its partial blob" || fail "a killed pull leaves its partial blob"
expect 0 "another pull into the layout" "$WINCH" pull -q "$REG/app:small" "oci:$WORK/lay:small"
[ -n "$part" ] && [ -f "$part" ] && pass "... keeps the partial blob its journal names" || fail "... keeps the partial blob its journal names"
rerun blob_get "the killed pull run again goes on" "$WINCH" -v pull "$P/app:big" "oci:$WORK/lay:big"
contains "... from the bytes on disk, hashed again" "$ERR" "resuming the download of $(layer big 0 digest) at byte"
at_most "... and fetches at most the other half and one checkpoint" "$MOVED" $((BIG - KILLED_AT + MiB + 65536))
same "... the result has the source's digest" "$("$WINCH" digest "oci:$WORK/lay:big")" "$("$WINCH" digest "$REG/app:big")"
expect 0 "... skopeo reads it (every blob verified)" skopeo copy -q "oci:$WORK/lay:big" "oci:$WORK/sk2:x"
same "... no temporary file is left" "$(find "$WORK/lay" -name '*winch-tmp*')" ""
same "... and the journal is gone" "$(ls -A "$JOURNALS")" ""

# ---- a partial file that does not hash to what its journal recorded is discarded
killed blob_get "$HALF" "$WINCH" pull "$P/app:big" "oci:$WORK/lay2:big"
part=$(find "$WORK/lay2" -name '*.winch-tmp-*' -size +1M)
printf 'X' | dd of="$part" bs=1 seek=1000 conv=notrunc status=none
rerun blob_get "a pull whose partial file was changed" "$WINCH" -v pull "$P/app:big" "oci:$WORK/lay2:big"
contains "... starts that blob again" "$ERR" "does not hash to what its journal recorded"
if [ "$MOVED" -ge "$BIG" ]; then pass "... fetching all of it ($MOVED bytes)"; else fail "... fetching all of it" "$MOVED bytes"; fi
same "... the result has the source's digest" "$("$WINCH" digest "oci:$WORK/lay2:big")" "$("$WINCH" digest "$REG/app:big")"

# ---- blobs a killed pull had finished are not fetched again
killed blob_get $((4000000 + 2500000)) "$WINCH" pull --jobs 1 "$P/app:two" "oci:$WORK/lay3:two"
rerun blob_get "a killed pull of two layers, the first one done" "$WINCH" pull --jobs 1 "$P/app:two" "oci:$WORK/lay3:two"
at_most "... fetches only what was missing of the second, and one checkpoint" "$MOVED" $((8000000 - KILLED_AT + MiB + 65536))
expect 0 "... skopeo reads the result" skopeo copy -q "oci:$WORK/lay3:two" "oci:$WORK/sk3:x"

# ---- pull into an oci-archive ($XDG_STATE_HOME this time)
export XDG_STATE_HOME=$WORK/state
killed blob_get "$HALF" "$WINCH" pull "$P/app:big" "oci-archive:$WORK/a.tar:big"
ls "$XDG_STATE_HOME"/winch/journal/download-*.json > /dev/null 2>&1 && pass "a killed archive pull leaves its journal in \$XDG_STATE_HOME/winch" ||
	fail "a killed archive pull leaves its journal in \$XDG_STATE_HOME/winch"
expect 0 "another archive pull meanwhile" "$WINCH" pull -q "$REG/app:small" "oci-archive:$WORK/other.tar:s"
rerun blob_get "the killed archive pull run again goes on" "$WINCH" pull "$P/app:big" "oci-archive:$WORK/a.tar:big"
at_most "... fetching at most the other half and one checkpoint" "$MOVED" $((BIG - KILLED_AT + MiB + 65536))
same "... the result has the source's digest" "$("$WINCH" digest "oci-archive:$WORK/a.tar:big")" "$("$WINCH" digest "$REG/app:big")"
expect 0 "... skopeo reads it" skopeo copy -q "oci-archive:$WORK/a.tar:big" "oci:$WORK/sk4:x"
same "... the dead run's directory is gone from \$TMPDIR" "$(ls -A "$TMPDIR")" ""
same "... and the journal too" "$(ls -A "$XDG_STATE_HOME/winch/journal")" ""

# ---- stale journals: a week old, they go with their partial file
killed blob_get "$HALF" "$WINCH" pull "$P/app:big" "oci:$WORK/lay4:big"
part=$(find "$WORK/lay4" -name '*.winch-tmp-*' -size +1M)
touch -d '8 days ago' "$XDG_STATE_HOME"/winch/journal/*
expect 0 "the next transfer" "$WINCH" pull -q "$REG/app:small" "oci:$WORK/lay5:small"
same "... removes a journal older than a week" "$(ls -A "$XDG_STATE_HOME/winch/journal")" ""
[ -n "$part" ] && [ ! -e "$part" ] && pass "... and the partial file it named" || fail "... and the partial file it named" "$part"

# ---- a journal of a run that is still alive is left alone (its flock)
killed blob_get "$HALF" "$WINCH" pull "$P/app:big" "oci:$WORK/lay6:big"
j=$(ls "$XDG_STATE_HOME"/winch/journal/download-*.json)
flock "$j" sleep 3 &
lockpid=$!
sleep 0.2
rerun blob_get "a pull whose journal another run holds" "$WINCH" -v pull "$P/app:big" "oci:$WORK/lay6:big"
lacks "... does not take it over" "$ERR" "resuming"
wait "$lockpid"
rm -rf "$XDG_STATE_HOME" "$WORK"/lay*/blobs/sha256/*.winch-tmp-*
same "nothing is left in \$TMPDIR" "$(ls -A "$TMPDIR")" ""
