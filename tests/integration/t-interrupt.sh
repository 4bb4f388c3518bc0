#!/bin/bash
# What interrupted, killed and failed commands leave on disk (issue 10 items 4 and
# 18, issue 9 item 14): SIGINT, SIGTERM and SIGHUP during a pull into a
# docker-archive, an oci-archive or a new layout stop it with 130, 143 or 129 and
# leave nothing; a run killed with SIGKILL leaves its temporary data, which the
# next archive command removes; a full $TMPDIR is reported as such.
. "$(dirname "$0")/lib.sh"

IMG=$WORK/img
python3 "$TOP/tests/tools/mkimage.py" "$IMG" slow --layers 1 --size 2000000 --seed 21 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$IMG" other --layers 1 --size 2000000 --seed 22 > /dev/null
reg_start plain || fail "registry started"
seed "$IMG" slow app:slow && seed "$IMG" other app:other || fail "seeded"
export TMPDIR=$WORK/tmp
mkdir -p "$TMPDIR"

# the proxy sends blobs at 256 KiB/s: the 2 MB layer takes 8 s, the test interrupts it at once
PPORT=$(free_port)
python3 "$TOP/tests/tools/slow-proxy.py" --port "$PPORT" --upstream "$REG" > /dev/null 2>&1 &
REG_PIDS="$REG_PIDS $!"
wait_port 127.0.0.1 "$PPORT" || fail "proxy started"
P=127.0.0.1:$PPORT

# in_flight DIR...: waits (5 s at most) until a blob is being written under one of the DIRs
in_flight() {
	for _ in $(seq 100); do
		[ -n "$(find "$@" \( -name '*.part' -o -name '*winch-tmp*' \) 2>/dev/null | head -n 1)" ] && return 0
		sleep 0.05
	done
	return 1
}

# interrupt SIG CODE DEST WHAT [TAG]: a pull through the slow proxy, signalled mid-blob
interrupt() {
	local sig=$1 code=$2 dest=$3 what=$4
	"$WINCH" pull -q "$P/app:${5:-slow}" "$dest" 2> "$WORK/int.err" &
	local pid=$!
	in_flight "$TMPDIR" "$WORK/lay" || fail "$what: the transfer started"
	kill -"$sig" "$pid"
	local t0=$(date +%s%N)
	wait "$pid"
	local rc=$?
	same "SIG$sig during a pull into $what exits $code" "$rc" "$code"
	same "... within a second" "$(( ($(date +%s%N) - t0) / 1000000 < 1000 ))" 1
	same "... and leaves nothing in \$TMPDIR" "$(ls -A "$TMPDIR")" ""
}
interrupt INT 130 "docker-archive:$WORK/d.tar" "a docker-archive"
same "... nor an archive" "$(ls "$WORK/d.tar" 2>/dev/null)" ""
interrupt TERM 143 "oci-archive:$WORK/o.tar:x" "an oci-archive"
same "... nor an archive, nor a temporary file beside it" "$(ls "$WORK" | grep -c '^o\.tar')" 0
interrupt INT 130 "oci:$WORK/lay/new:x" "a new layout"
same "... nor the layout's directory" "$(ls -A "$WORK/lay" 2>/dev/null)" ""
interrupt TERM 143 "oci:$WORK/lay/new:x" "a new layout"
interrupt HUP 129 "docker-archive:$WORK/d.tar" "a docker-archive"
expect 0 "a layout written completely" "$WINCH" pull -q "$REG/app:slow" "oci:$WORK/lay/old:x"
snapshot() { (cd "$1" && find . -type f | sort | xargs sha256sum); }
before=$(snapshot "$WORK/lay/old")
interrupt INT 130 "oci:$WORK/lay/old:y" "an existing layout" other
same "... which is as it was" "$(snapshot "$WORK/lay/old")" "$before"
rm -rf "$WORK/lay"

# reading an archive (a local loop): SIGINT while it waits for the rest of a pipe
python3 "$TOP/tests/tools/mkdockersave.py" "$WORK/save.tar"
mkfifo "$WORK/fifo"
"$WINCH" push -q "docker-archive:$WORK/fifo:demo/tool:2" "$REG/fifo:2" &
pid=$!
exec 3> "$WORK/fifo"
head -c 5000 "$WORK/save.tar" >&3
for _ in $(seq 100); do [ -n "$(ls -A "$TMPDIR")" ] && break; sleep 0.05; done
sleep 0.2
kill -INT "$pid"
for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && stuck=yes || stuck=no
exec 3>&-
wait "$pid" # (an old winch still reading gets its end of file now)
rc=$?
same "SIGINT while an archive is read from a pipe stops at once, the pipe still open" "$stuck" no
same "... exits 130" "$rc" 130
same "... and leaves nothing in \$TMPDIR" "$(ls -A "$TMPDIR")" ""
expect 0 "an archive read from a pipe (docker save | winch push) works" bash -c 'cat "$1" | "$2" push -q docker-archive:/dev/stdin:demo/tool:2 "$3"' _ \
	"$WORK/save.tar" "$WINCH" "$REG/fifo:2"
same "... and leaves nothing in \$TMPDIR" "$(ls -A "$TMPDIR")" ""

# killed outright: the next archive command removes what the dead run left (issue 9, item 14)
"$WINCH" pull -q "$P/app:slow" "docker-archive:$WORK/k.tar" &
pid=$!
in_flight "$TMPDIR" || fail "the transfer started"
kill -9 "$pid"
wait "$pid" 2>/dev/null
left=$(ls "$TMPDIR")
case $left in "winch-archive-$pid-"??????) pass "a killed pull leaves winch-archive-PID-*: $left" ;; *) fail "a killed pull leaves winch-archive-PID-*" "got: $left" ;; esac
touch "$WORK/k.tar.winch-tmp-$pid-AbCdEf"                 # as a pull killed while writing the tar leaves
mkdir "$TMPDIR/winch-archive-$$-XyZzY1"                    # a run that is alive (this shell)
touch "$WORK/k.tar.winch-tmp-$$-XyZzY1"
expect 0 "the next archive pull works" "$WINCH" pull -q "$REG/app:slow" "docker-archive:$WORK/k.tar"
same "... and removed the dead run's temporary directory, keeping the live one's" "$(ls "$TMPDIR")" "winch-archive-$$-XyZzY1"
same "... and the dead run's file beside the archive, keeping the live one's" "$(ls "$WORK" | grep '^k\.tar')" \
	"$(printf 'k.tar\nk.tar.winch-tmp-%s-XyZzY1' $$)"
rm -rf "$TMPDIR/winch-archive-$$-XyZzY1" "$WORK/k.tar.winch-tmp-$$-XyZzY1"

# a full $TMPDIR says so (issue 10, item 18): a 1 MiB tmpfs, in a private mount namespace
mkdir "$WORK/small"
if unshare -m true 2>/dev/null; then
	for dest in "docker-archive:$WORK/full.tar" "oci-archive:$WORK/full.tar:x"; do
		run unshare -m sh -c 'mount -t tmpfs -o size=1m winch-test "$1" && TMPDIR=$1 exec "$2" pull -q "$3" "$4"' _ \
			"$WORK/small" "$WINCH" "$REG/app:slow" "$dest"
		same "a pull into ${dest%%:*} with a full \$TMPDIR fails" "$RC" 1
		contains "... with No space left on device" "$ERR" "No space left on device"
		contains "... naming \$TMPDIR" "$ERR" "\$TMPDIR ($WORK/small) is full"
		lacks "... not a stale errno" "$ERR" "No such file"
		same "... nothing left" "$(ls "$WORK" | grep -c full)" 0
	done
else
	echo "# skipped: no mount namespace (unshare -m) here"
fi
rmdir "$WORK/small"
