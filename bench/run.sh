#!/bin/bash
# make bench: winch and skopeo on the same work, alternating, against registries on loopback.
#   bench/run.sh            full run (3 runs each; RUNS=5 for more); prints a Markdown table
#   bench/run.sh --smoke    one tiny run of every case (make test runs this so it cannot rot)
# Medians of wall time and peak RSS (bench/measure.py), throughput, and skopeo/winch ratios, plus the
# machine's ceilings measured in the same run: sha256 speed, a plain curl GET of the large blob,
# the disk (the blob written with winch's fsync policy, bench/diskwrite.c) and the registry's own
# upload rate (a plain curl POST+PUT of it). Also (issue 16): many references in one call, a
# killed-and-resumed pull and push (through tests/tools/fault-proxy.py, which holds the transfer at
# a byte count), and start-up (bench/spawn.c; with the STATIC_CURL=1 build in the full run).
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
SMOKE=false
[ "${1:-}" = --smoke ] && SMOKE=true
RUNS=${RUNS:-3}
$SMOKE && RUNS=1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/winch-bench.XXXXXX")
export HOME=$WORK/home NO_PROXY='*' no_proxy='*'
unset DOCKER_CONFIG REGISTRY_AUTH_FILE DOCKER_AUTH_CONFIG
mkdir -p "$HOME"
. "$TOP/tests/integration/lib-registry.sh"
trap 'reg_cleanup; rm -rf "$WORK"' EXIT
W=$TOP/winch
SK="skopeo --insecure-policy"
if $SMOKE; then
	SMALL=65536 MED_LAYERS=2 MED_SIZE=262144 LARGE=1048576 NTAGS=20 NDEL=5 NBATCH=10 NSPAWN=20
else
	SMALL=1048576 MED_LAYERS=10 MED_SIZE=10485760 LARGE=536870912 NTAGS=1000 NDEL=100 NBATCH=100 NSPAWN=200
fi
MED_BYTES=$((MED_LAYERS * MED_SIZE))

say() { echo "# $*" >&2; }
reg_start plain || exit 1
A=$REG
reg_start plain || exit 1
B=$REG
reg_start tls || exit 1
T=$REG TCERTS=$REG_DIR/certs
REG=$A

say "making images (large: $LARGE bytes)"
mk() { python3 "$TOP/tests/tools/mkimage.py" "$WORK/img" "$@" > /dev/null; }
mk small --size "$SMALL" --seed 1
mk medium --layers "$MED_LAYERS" --size "$MED_SIZE" --seed 2
mk large --size "$LARGE" --seed 3
mk index --platforms linux/amd64,linux/arm64,linux/s390x --layers 2 --size "$MED_SIZE" --seed 4
# resume: the large image; in the smoke run a 4 MiB one (1 MiB is below what winch journals)
$SMOKE && mk resume --size 4194304 --seed 5
TLS_DEST=$SKOPEO_DEST
SKOPEO_DEST=--dest-tls-verify=false
for t in small medium large index; do seed "$WORK/img" "$t" "app:$t" || exit 1; done
$SMOKE && { seed "$WORK/img" resume app:resume || exit 1; }
REG=$T SKOPEO_DEST=$TLS_DEST
seed "$WORK/img" medium app:medium || exit 1
seed "$WORK/img" large app:large || exit 1
python3 "$TOP/bench/mktags.py" "$A" many "$NTAGS"
LARGE_DIGEST=$(skopeo inspect --raw --tls-verify=false "docker://$A/app:large" | python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["digest"])')
LARGE_GZ=$(stat -c %s "$WORK/img/blobs/sha256/${LARGE_DIGEST#sha256:}")

# one measurement: prints "seconds maxrss_kib"
measure() {
	python3 "$TOP/bench/measure.py" "$@" 2> "$WORK/err" || { say "FAILED: $*"; tail -n 3 "$WORK/err" >&2; echo "nan 0"; }
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

N=0
ROWS=""
# case NAME BYTES SETUP WINCH... --- SKOPEO...   (SETUP runs before every run of either tool; %N = run id)
bench_case() {
	local name=$1 bytes=$2 setup=$3
	shift 3
	local wcmd=() scmd=() side=w
	for a in "$@"; do
		if [ "$a" = --- ]; then side=s; continue; fi
		if [ $side = w ]; then wcmd+=("$a"); else scmd+=("$a"); fi
	done
	: > "$WORK/w" && : > "$WORK/s"
	for r in $(seq "$RUNS"); do
		for tool in w s; do
			N=$((N + 1))
			# skopeo remembers where blobs were seen (as root in /var/lib/containers/cache) and
			# mounts them from there on the next run: every run starts without that cache, so
			# both tools move the same bytes
			rm -rf "$HOME/.local/share/containers/cache" /var/lib/containers/cache/blob-info-cache-v1.boltdb
			eval "${setup//%N/$N}"
			if [ $tool = w ]; then measure "${wcmd[@]//%N/$N}" >> "$WORK/w"; else measure "${scmd[@]//%N/$N}" >> "$WORK/s"; fi
		done
	done
	local wt st wm sm
	wt=$(cut -d' ' -f1 "$WORK/w" | median) st=$(cut -d' ' -f1 "$WORK/s" | median)
	wm=$(cut -d' ' -f2 "$WORK/w" | median) sm=$(cut -d' ' -f2 "$WORK/s" | median)
	ROWS="$ROWS$(python3 -c '
import sys
name, b, wt, st, wm, sm = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
tp = lambda t: ("%.0f MB/s" % (b / t / 1e6)) if b and t > 0 else "-"
ratio = ("%.2fx" % (st / wt)) if wt > 0 else "-"
print("| %s | %.3f | %.3f | %s | %s | %s | %.1f | %.1f |" % (name, wt, st, ratio, tp(wt), tp(st), wm / 1024, sm / 1024))
' "$name" "$bytes" "$wt" "$st" "$wm" "$sm")
"
	say "done: $name"
}

F="--tls-verify=false"
bench_case "pull medium to a layout" $MED_BYTES "rm -rf $WORK/out" \
	"$W" pull -q "$A/app:medium" "oci:$WORK/out:x" --- $SK copy -q --src-tls-verify=false "docker://$A/app:medium" "oci:$WORK/out:x"
bench_case "pull large to a layout" $LARGE_GZ "rm -rf $WORK/out" \
	"$W" pull -q "$A/app:large" "oci:$WORK/out:x" --- $SK copy -q --src-tls-verify=false "docker://$A/app:large" "oci:$WORK/out:x"
bench_case "copy medium registry to registry" $MED_BYTES ":" \
	"$W" copy -q "$A/app:medium" "$B/m%N:x" --- $SK copy -q --src-tls-verify=false --dest-tls-verify=false "docker://$A/app:medium" "docker://$B/m%N:x"
bench_case "copy large registry to registry" $LARGE_GZ ":" \
	"$W" copy -q "$A/app:large" "$B/l%N:x" --- $SK copy -q --src-tls-verify=false --dest-tls-verify=false "docker://$A/app:large" "docker://$B/l%N:x"
bench_case "copy a 3-platform index" $((MED_SIZE * 6)) ":" \
	"$W" copy -q "$A/app:index" "$B/i%N:x" --- $SK copy -q --all --src-tls-verify=false --dest-tls-verify=false "docker://$A/app:index" "docker://$B/i%N:x"
rm -rf "$WORK/lay" && "$W" pull -q "$A/app:large" "oci:$WORK/lay:large"
bench_case "push large from a layout" $LARGE_GZ ":" \
	"$W" push -q "oci:$WORK/lay:large" "$B/p%N:x" --- $SK copy -q --dest-tls-verify=false "oci:$WORK/lay:large" "docker://$B/p%N:x"
bench_case "pull medium over TLS (HTTP/1.1)" $MED_BYTES "rm -rf $WORK/out" \
	"$W" pull -q --cert-dir "$TCERTS" "$T/app:medium" "oci:$WORK/out:x" --- $SK copy -q --src-cert-dir="$TCERTS" "docker://$T/app:medium" "oci:$WORK/out:x"
bench_case "pull medium over TLS, winch with HTTP/2" $MED_BYTES "rm -rf $WORK/out" \
	env WINCH_HTTP2=1 "$W" pull -q --cert-dir "$TCERTS" "$T/app:medium" "oci:$WORK/out:x" --- $SK copy -q --src-cert-dir="$TCERTS" "docker://$T/app:medium" "oci:$WORK/out:x"
bench_case "inspect" 0 ":" "$W" inspect "$A/app:medium" --- $SK inspect $F "docker://$A/app:medium"
bench_case "digest" 0 ":" "$W" digest "$A/app:medium" --- $SK inspect $F --no-tags --format '{{.Digest}}' "docker://$A/app:medium"
bench_case "list-tags ($NTAGS tags)" 0 ":" "$W" list-tags "$A/many" --- $SK list-tags $F "docker://$A/many"
"$W" copy -q "$A/app:medium" "$B/noop:x"
bench_case "no-op copy (already there)" 0 ":" \
	"$W" copy -q "$A/app:medium" "$B/noop:x" --- $SK copy -q --src-tls-verify=false --dest-tls-verify=false "docker://$A/app:medium" "docker://$B/noop:x"
bench_case "copy all $NTAGS tags (mirror)" 0 ":" \
	"$W" copy -q --all-tags "$A/many" "$B/mirror%N" --- $SK sync --src docker --dest docker --src-tls-verify=false --dest-tls-verify=false "$A/many" "$B/mirror%N"
bench_case "no-op mirror of $NTAGS tags" 0 ":" \
	"$W" copy -q --all-tags "$A/many" "$B/mirror1" --- $SK sync --src docker --dest docker --src-tls-verify=false --dest-tls-verify=false "$A/many" "$B/mirror2"
# deleting NDEL tags, each its own image: winch's one command vs skopeo's loop
python3 - "$WORK/delete.sh" "$NDEL" "$B" <<'PY'
import sys
out, n, reg = sys.argv[1], int(sys.argv[2]), sys.argv[3]
open(out, "w").write("#!/bin/sh\nfor i in $(seq 0 %d); do skopeo delete --tls-verify=false docker://%s/del$1:d-$i || exit 1; done\n" % (n - 1, reg))
PY
chmod +x "$WORK/delete.sh"
bench_case "delete $NDEL tags" 0 "python3 $TOP/bench/mktags.py $B del%N $NDEL d" \
	"$W" cleanup -q --keep 0 "$B/del%N" --- "$WORK/delete.sh" %N


# ---- many references per call (issue 16, item 2): NBATCH tags' digests in one winch call, in
# NBATCH winch calls, and in NBATCH skopeo calls, over plain HTTP and over TLS
python3 "$TOP/bench/mktags.py" "$A" batch "$NBATCH" || exit 1
"$W" copy -q --all-tags --cert-dir "$TCERTS" "$A/batch" "$T/batch" || exit 1
batch_loops() { # batch_loops NAME REGISTRY WINCH-FLAGS SKOPEO-FLAGS: $WORK/NAME.refs, NAME-w.sh, NAME-s.sh
	local i
	for i in $(seq 0 $((NBATCH - 1))); do echo "$2/batch:t-$i"; done > "$WORK/$1.refs"
	printf '#!/bin/sh\nwhile read -r r; do "%s" digest %s "$r" || exit 1; done < "%s"\n' "$W" "$3" "$WORK/$1.refs" > "$WORK/$1-w.sh"
	printf '#!/bin/sh\nwhile read -r r; do skopeo inspect %s --no-tags --format "{{.Digest}}" "docker://$r" || exit 1; done < "%s"\n' \
		"$4" "$WORK/$1.refs" > "$WORK/$1-s.sh"
	chmod +x "$WORK/$1-w.sh" "$WORK/$1-s.sh"
}
batch_loops plain "$A" "" "$F"
batch_loops tls "$T" "--cert-dir $TCERTS" "--cert-dir $TCERTS"
mapfile -t PREFS < "$WORK/plain.refs"
mapfile -t TREFS < "$WORK/tls.refs"
bench_case "digest of $NBATCH refs: one winch call vs $NBATCH skopeo calls" 0 ":" "$W" digest "${PREFS[@]}" --- "$WORK/plain-s.sh"
bench_case "digest of $NBATCH refs: $NBATCH winch calls vs $NBATCH skopeo calls" 0 ":" "$WORK/plain-w.sh" --- "$WORK/plain-s.sh"
bench_case "digest of $NBATCH refs over TLS: one winch call vs $NBATCH skopeo calls" 0 ":" \
	"$W" digest --cert-dir "$TCERTS" "${TREFS[@]}" --- "$WORK/tls-s.sh"
bench_case "digest of $NBATCH refs over TLS: $NBATCH winch calls vs $NBATCH skopeo calls" 0 ":" "$WORK/tls-w.sh" --- "$WORK/tls-s.sh"

# ---- resume across a restart (issue 16, item 1): a pull and a push of the large image killed
# (SIGKILL) at about half way, then run again. tests/tools/fault-proxy.py in front of registry A
# counts the blob bytes it passes (blob GET bodies; upload bodies the registry acknowledged) and
# holds the transfer once half the blob went through, where the bench kills winch (as
# tests/integration/t-resume.sh does). The push goes in winch's default plan: 128 MiB acknowledged
# chunks for a blob over 128 MiB (1 MiB chunks in the smoke run's 4 MiB image). Reported: where the
# kill landed, what the rerun moved, the rerun's time, and an uninterrupted run through the same proxy.
if $SMOKE; then RIMG=resume RCHUNK="--chunk-size 1M" CHUNK=1048576; else RIMG=large RCHUNK="" CHUNK=134217728; fi
RDIGEST=$(skopeo inspect --raw --tls-verify=false "docker://$A/app:$RIMG" | python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["digest"])')
RSIZE=$(stat -c %s "$WORK/img/blobs/sha256/${RDIGEST#sha256:}")
PPORT=$(free_port)
PFAULTS=$WORK/faults.json PLOG=$WORK/proxy.log PCOUNTS=$WORK/counts.json
echo '{}' > "$PFAULTS"
echo '{"blob_get": 0, "upload": 0, "acked": 0}' > "$PCOUNTS"
python3 "$TOP/tests/tools/fault-proxy.py" --port "$PPORT" --upstream "$A" --faults "$PFAULTS" --log "$PLOG" \
	--counts "$PCOUNTS" > "$WORK/proxy.out" 2>&1 &
REG_PIDS="$REG_PIDS $!"
wait_port 127.0.0.1 "$PPORT" || exit 1
P=127.0.0.1:$PPORT
pcount() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$PCOUNTS" "$1"; }
rm -rf "$WORK/rlay" && "$W" pull -q "$A/app:$RIMG" "oci:$WORK/rlay:x" || exit 1
# killed_rerun KIND CNT OUT...: one kill at half way and one rerun of CMD (the words after ---);
# appends "killed_at moved rerun_s" to $WORK/OUT
killed_rerun() {
	local cnt=$1 out=$2 key=hold-blob-after before pid t0 t1
	shift 2
	local at=$((RSIZE / 2))
	# a push is held at the first chunk sent once half the blob was acknowledged: at half way
	# rounded down to a chunk, or it stops one chunk later
	[ "$cnt" = acked ] && key=hold-upload-after at=$((RSIZE / 2 / CHUNK * CHUNK))
	before=$(pcount "$cnt")
	echo "{\"$key\": $((before + at))}" > "$PFAULTS"
	: > "$PLOG"
	"$@" > /dev/null 2> "$WORK/killed.err" &
	pid=$!
	for _ in $(seq 1200); do grep -q '^HOLD' "$PLOG" && break; sleep 0.05; done
	grep -q '^HOLD' "$PLOG" || { say "FAILED: the proxy never held: $*"; kill -9 "$pid"; wait "$pid" 2> /dev/null; echo '{}' > "$PFAULTS"; echo "0 0 nan" >> "$WORK/$out"; return; }
	sleep 0.3 # what arrived is written (a pull's last checkpoint)
	kill -9 "$pid"
	wait "$pid" 2> /dev/null
	echo '{}' > "$PFAULTS"
	local killed=$(($(pcount "$cnt") - before))
	before=$(pcount "$cnt")
	t0=$(measure "$@" | cut -d' ' -f1)
	echo "$killed $(($(pcount "$cnt") - before)) $t0" >> "$WORK/$out"
}
: > "$WORK/rpull" && : > "$WORK/rpush" && : > "$WORK/fpull" && : > "$WORK/fpush"
for r in $(seq "$RUNS"); do
	rm -rf "$WORK/rout" "$HOME/.local/state/winch"
	killed_rerun blob_get rpull "$W" pull -q "$P/app:$RIMG" "oci:$WORK/rout:x"
	rm -rf "$WORK/rout"
	measure "$W" pull -q --no-resume "$P/app:$RIMG" "oci:$WORK/rout:x" | cut -d' ' -f1 >> "$WORK/fpull"
	killed_rerun acked rpush "$W" push -q $RCHUNK "oci:$WORK/rlay:x" "$P/resumed$r:x"
	measure "$W" push -q $RCHUNK "oci:$WORK/rlay:x" "$P/full$r:x" | cut -d' ' -f1 >> "$WORK/fpush"
done
[ -z "$(ls -A "$HOME/.local/state/winch/journal" 2>/dev/null)" ] || say "FAILED: journals left after the resume cases: $(ls "$HOME/.local/state/winch/journal")"
resume_row() { # resume_row NAME KILLED-FILE FULL-FILE
	local k m t f
	k=$(cut -d' ' -f1 "$WORK/$2" | median) m=$(cut -d' ' -f2 "$WORK/$2" | median) t=$(cut -d' ' -f3 "$WORK/$2" | median)
	f=$(median < "$WORK/$3")
	RESUME_ROWS="$RESUME_ROWS$(awk -v n="$1" -v k="$k" -v m="$m" -v t="$t" -v f="$f" -v s="$RSIZE" 'BEGIN {
		printf "| %s | %d (%.0f%%) | %d (%.0f%%) | %d | %.3f | %.3f |", n, k, 100 * k / s, m, 100 * m / s, s, t, f }')
"
}
RESUME_ROWS=""
resume_row "pull killed at half way, run again" rpull fpull
resume_row "push killed at half way, run again" rpush fpush
say "done: resume"

# ---- start-up (issue 16, item 3): medians of NSPAWN runs (bench/spawn.c) of /bin/true, an empty
# program linked to Debian's libcurl (and one that also calls curl_global_init), winch version,
# and, in the full run, the same with the trimmed static libcurl (tools/static-curl.sh, make
# STATIC_CURL=1 in a copy of the tree); where a small command's time goes (LD_DEBUG=statistics, perf)
cc -O2 -o "$WORK/spawn" "$TOP/bench/spawn.c" || exit 1
printf 'int main(void) { return 0; }\n' > "$WORK/empty.c"
printf '#include <curl/curl.h>\nint main(void) { curl_global_init(CURL_GLOBAL_DEFAULT); curl_global_cleanup(); return 0; }\n' > "$WORK/init.c"
cc -O2 -o "$WORK/empty-curl" "$WORK/empty.c" -Wl,--no-as-needed $(pkg-config --libs libcurl) || exit 1
cc -O2 -o "$WORK/init-curl" "$WORK/init.c" $(pkg-config --cflags --libs libcurl) || exit 1
WS=""
CURL_STATIC=$TOP/build/curl-static
if ! $SMOKE; then
	say "building the STATIC_CURL=1 winch (tools/static-curl.sh, then make in a copy of the tree)"
	sh "$TOP/tools/static-curl.sh" "$CURL_STATIC" >&2 || say "FAILED: tools/static-curl.sh"
	mkdir -p "$WORK/ssrc/tests/tools"
	cp -r "$TOP/Makefile" "$TOP/lib" "$TOP/cmd" "$TOP/completions" "$WORK/ssrc/"
	cp "$TOP/tests/tools/embed.sh" "$WORK/ssrc/tests/tools/"
	if make -s -C "$WORK/ssrc" -j"$(nproc)" STATIC_CURL=1 CURL_STATIC="$CURL_STATIC" winch > "$WORK/ssrc.log" 2>&1; then
		WS=$WORK/ssrc/winch
		cc -O2 -I"$CURL_STATIC/include" -o "$WORK/init-static" "$WORK/init.c" "$CURL_STATIC/lib/libcurl.a" \
			$(pkg-config --libs libssl libcrypto zlib) -pthread || exit 1
	else
		say "FAILED: make STATIC_CURL=1"; tail -n 5 "$WORK/ssrc.log" >&2
	fi
fi
START_ROWS=""
start_row() { # start_row NAME CMD...
	local name=$1 v libs
	shift
	v=$("$WORK/spawn" "$NSPAWN" "$@") || { say "FAILED: $*"; v="nan nan"; }
	libs=$(ldd "$(command -v "$1")" 2>/dev/null | grep -c '=>')
	START_ROWS="$START_ROWS| $name | ${v% *} | ${v#* } | $libs |
"
}
start_row "/bin/true" /bin/true
start_row "empty program linked to Debian's libcurl" "$WORK/empty-curl"
start_row "... and curl_global_init" "$WORK/init-curl"
start_row "winch version" "$W" version
start_row "winch digest (plain HTTP, one reference)" "$W" digest "$A/app:medium"
start_row "winch digest --plain-http (no HTTPS probe)" "$W" digest --plain-http "$A/app:medium"
start_row "skopeo inspect --format {{.Digest}}" skopeo inspect $F --no-tags --format '{{.Digest}}' "docker://$A/app:medium"
if [ -n "$WS" ]; then
	start_row "empty program + curl_global_init, static trimmed libcurl" "$WORK/init-static"
	start_row "winch version, STATIC_CURL=1" "$WS" version
	start_row "winch digest (plain HTTP, one reference), STATIC_CURL=1" "$WS" digest "$A/app:medium"
	bench_case "inspect, STATIC_CURL=1 winch" 0 ":" "$WS" inspect "$A/app:medium" --- $SK inspect $F "docker://$A/app:medium"
	bench_case "digest, STATIC_CURL=1 winch" 0 ":" "$WS" digest "$A/app:medium" --- $SK inspect $F --no-tags --format '{{.Digest}}' "docker://$A/app:medium"
else
	START_ROWS="$START_ROWS| STATIC_CURL=1 build | not built ($($SMOKE && echo 'smoke run' || echo 'the build failed')) | - | - |
"
fi
# where `winch version` goes: the dynamic loader's own count, and a profile by library
LDSTAT=$(LD_DEBUG=statistics "$W" version 2>&1 > /dev/null | awk '{for (i = 2; i <= NF; i++) if ($i == "cycles") c = $(i - 1)}
	/total startup time/ {t = c} /time needed for relocation/ {r = c} /time needed to load objects/ {o = c} /final number of relocations:/ {n = $NF}
	END {printf "dynamic loader %s cycles (relocation %s, loading objects %s; %s relocations)", t, r, o, n}')
PERF="perf not installed"
if command -v perf > /dev/null && perf record -q -F 10000 -o "$WORK/perf.data" -- sh -c "for i in \$(seq $NSPAWN); do '$W' digest '$A/app:medium' > /dev/null; done" > /dev/null 2>&1; then
	PERF="perf record of $NSPAWN runs of winch digest, samples by object: $(perf report -i "$WORK/perf.data" --sort dso --stdio 2> /dev/null | awk '/%/ && !/^#/ && n < 6 {printf "%s%s %s", (n ? ", " : ""), $2, $1; n++}')"
fi
say "done: start-up"

# ---- winch sync vs skopeo sync (issue 14): REPOS repositories x TAGS tags from one YAML file ----
# a first run into an empty destination, a no-op run into a synced one (with its request counts from
# the registries' access logs), and peak RSS of no-op runs of REPOS and 10x REPOS repositories
sync_cases() {
	local repos=$1 tags=$2 big=$3 f=$WORK/sync.yml fb=$WORK/sync-big.yml r t list
	list=$(for t in $(seq 0 $((tags - 1))); do printf 't%d,' "$t"; done)
	printf '%s:\n  tls-verify: false\n  images:\n' "$SYNC_SRC" > "$f"
	# names of one width in both files (r000 ..), so the big file's first REPOS are the small one's
	for r in $(seq 0 $((repos - 1))); do
		r=$(printf %03d "$r")
		python3 "$TOP/bench/mktags.py" "$SYNC_SRC" "r$r" "${list%,}" || exit 1
		printf '    r%s: []\n' "$r" >> "$f"
	done
	bench_case "sync $repos repos x $tags tags, first run" 0 ":" \
		"$W" sync -q "$f" "$B/sw%N" --- $SK sync --src yaml --dest docker --dest-tls-verify=false "$f" "$B/ss%N"
	"$W" sync -q "$f" "$B/swnoop" && $SK sync --src yaml --dest docker --dest-tls-verify=false "$f" "$B/ssnoop" > /dev/null 2>&1
	bench_case "sync $repos repos x $tags tags, no-op run" 0 ":" \
		"$W" sync -q "$f" "$B/swnoop" --- $SK sync --src yaml --dest docker --dest-tls-verify=false "$f" "$B/ssnoop"
	# requests of one no-op run, from the access logs (settled: a registry logs after answering)
	sleep 0.5
	local s0 d0
	s0=$(wc -l < "$SYNC_SRC_LOG") d0=$(wc -l < "$B_LOG")
	"$W" sync -q "$f" "$B/swnoop"
	sleep 0.5
	SYNC_REQS="$(tail -n +$((s0 + 1)) "$SYNC_SRC_LOG" | grep -cE '"HEAD /v2/[^ ]*/manifests/') source HEADs, $(tail -n +$((s0 + 1)) "$SYNC_SRC_LOG" | grep -cE '"GET /v2/[^ ]*/manifests/') source manifest GETs, $(tail -n +$((s0 + 1)) "$SYNC_SRC_LOG" | grep -cE '"GET /v2/[^ ]*/tags/list') tag listings, $(tail -n +$((d0 + 1)) "$B_LOG" | grep -cE '"HEAD /v2/[^ ]*/manifests/') destination HEADs, $(tail -n +$((d0 + 1)) "$B_LOG" | grep -cE '"(GET|PUT|POST|PATCH|DELETE) /v2/') other destination requests for $((repos * tags)) tags"
	say "$SYNC_REQS"
	# peak RSS as repositories grow: no-op runs of REPOS and BIG repositories (the same tags each)
	printf '%s:\n  tls-verify: false\n  images:\n' "$SYNC_SRC" > "$fb"
	for r in $(seq 0 $((big - 1))); do
		[ "$r" -lt "$repos" ] || python3 "$TOP/bench/mktags.py" "$SYNC_SRC" "$(printf r%03d "$r")" "${list%,}" || exit 1
		printf '    r%03d: []\n' "$r" >> "$fb"
	done
	"$W" sync -q "$fb" "$B/swbig" || say "FAILED: the first sync of $big repositories"
	SYNC_RSS_SMALL=$(measure "$W" sync -q "$f" "$B/swnoop" | cut -d' ' -f2)
	SYNC_RSS_BIG=$(measure "$W" sync -q "$fb" "$B/swbig" | cut -d' ' -f2)
	SYNC_RSS="$(awk -v a="$SYNC_RSS_SMALL" -v b="$SYNC_RSS_BIG" -v r="$repos" -v g="$big" 'BEGIN { printf "winch sync no-op peak RSS: %d repositories %.1f MiB, %d repositories %.1f MiB", r, a / 1024, g, b / 1024 }')"
	say "$SYNC_RSS"
}
reg_start plain || exit 1
SYNC_SRC=$REG SYNC_SRC_LOG=$REG_DIR/registry.log B_LOG=$(dirname "$(ls -d /dev/null)")
REG=$A
for d in $REG_DIRS; do grep -q "addr: $B" "$d/config.yml" 2>/dev/null && B_LOG=$d/registry.log; done
if $SMOKE; then sync_cases 3 3 6; else sync_cases 20 20 200; fi

# ceilings, same run
SHA=$(openssl speed -evp sha256 -seconds 1 -bytes 1048576 2>/dev/null | awk '/^sha256/ {print $2}' | tr -d k)
# the disk: the large blob (read from the page cache) written next to the pulls' layouts as winch
# writes a blob (bench/diskwrite.c: 256 KiB writes, sync_file_range every 8 MiB, fsync, rename)
cc -O2 -o "$WORK/diskwrite" "$TOP/bench/diskwrite.c" || exit 1
cat "$WORK/img/blobs/sha256/${LARGE_DIGEST#sha256:}" > /dev/null
: > "$WORK/get" && : > "$WORK/put" && : > "$WORK/disk"
for r in $(seq "$RUNS"); do
	curl -s -o /dev/null -w '%{time_total}\n' "http://$A/v2/app/blobs/$LARGE_DIGEST" >> "$WORK/get"
	LOC=$(curl -s -D - -o /dev/null -X POST "http://$B/v2/ceiling$r/blobs/uploads/" | awk 'tolower($1)=="location:" {print $2}' | tr -d '\r')
	curl -s -o /dev/null -w '%{time_total}\n' -X PUT -H 'Content-Type: application/octet-stream' \
		--data-binary "@$WORK/img/blobs/sha256/${LARGE_DIGEST#sha256:}" "$LOC&digest=$LARGE_DIGEST" >> "$WORK/put"
	"$WORK/diskwrite" "$WORK/img/blobs/sha256/${LARGE_DIGEST#sha256:}" "$WORK" >> "$WORK/disk" || echo nan >> "$WORK/disk"
done
GET=$(median < "$WORK/get") PUT=$(median < "$WORK/put") DISK=$(median < "$WORK/disk")
FLOOR_DEL=$(python3 - "$B" "$NDEL" "$TOP" <<'PY'
import http.client, subprocess, sys, time
reg, n, top = sys.argv[1], int(sys.argv[2]), sys.argv[3]
subprocess.run(["python3", top + "/bench/mktags.py", reg, "floor", str(n), "d"], check=True)
c = http.client.HTTPConnection(reg)
acc = "application/vnd.oci.image.manifest.v1+json"
digests = []
for i in range(n):
    c.request("HEAD", "/v2/floor/manifests/d-%d" % i, headers={"Accept": acc}); r = c.getresponse(); r.read()
    digests.append(r.getheader("Docker-Content-Digest"))
t = time.time()
for d in digests:
    c.request("DELETE", "/v2/floor/manifests/" + d); c.getresponse().read()
print("%.3f" % (time.time() - t))
PY
)

{
echo "Machine: $(nproc) cores, $(free -g | awk '/^Mem/ {print $2}') GiB, $(uname -sr); $(skopeo --version); winch $("$W" version | head -n 1 | cut -d' ' -f2)"
echo "Command: ${BENCH_COMMAND:-bench/run.sh} (RUNS=$RUNS); registries: Debian's docker-registry on 127.0.0.1"
echo
echo "| case | winch s | skopeo s | skopeo/winch | winch rate | skopeo rate | winch RSS MiB | skopeo RSS MiB |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s' "$ROWS"
echo
echo "Sync: $SYNC_REQS; $SYNC_RSS"
echo
python3 -c '
import sys
sha, get, put, size, floor, nd, disk = float(sys.argv[1]) * 1000, float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6], float(sys.argv[7])
get, put, disk = max(get, 1e-6), max(put, 1e-6), max(disk, 1e-6)
g, p, d = size / get / 1e6, size / put / 1e6, size / disk / 1e6
print("Ceilings: sha256 %.0f MB/s (openssl speed -evp sha256); curl GET of the large blob %.0f MB/s; disk (the large blob written with winch\x27s fsync policy, bench/diskwrite.c) %.0f MB/s; pulls: min(GET, sha256, disk) = %.0f MB/s; registry upload (curl POST+PUT) %.0f MB/s; %s DELETEs by digest on one connection %.3f s" % (sha / 1e6, g, d, min(g, sha / 1e6, d), p, nd, floor))
' "$SHA" "$GET" "$PUT" "$LARGE_GZ" "$FLOOR_DEL" "$NDEL" "$DISK"
echo
echo "Resume (issue 16, item 1): killed with SIGKILL at about half way through tests/tools/fault-proxy.py, run again; bytes counted by the proxy; medians of $RUNS"
echo
echo "| case | killed at, bytes | rerun moved, bytes | blob bytes | rerun s | uninterrupted run s (same proxy) |"
echo "|---|---|---|---|---|---|"
printf '%s' "$RESUME_ROWS"
echo
echo "Start-up (issue 16, item 3): ms, median and minimum of $NSPAWN runs (bench/spawn.c)"
echo
echo "| program | median ms | min ms | shared libraries |"
echo "|---|---|---|---|"
printf '%s' "$START_ROWS"
echo
echo "Where the start-up goes: winch version: $LDSTAT (LD_DEBUG=statistics); $PERF"
}
