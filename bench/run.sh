#!/bin/bash
# make bench: winch and skopeo on the same work, alternating, against registries on loopback.
#   bench/run.sh            full run (3 runs each; RUNS=5 for more); prints a Markdown table
#   bench/run.sh --smoke    one tiny run of every case (make test runs this so it cannot rot)
# Medians of wall time and peak RSS (bench/measure.py), throughput, and skopeo/winch ratios, plus the
# machine's ceilings measured in the same run: sha256 speed, a plain curl GET of the large blob,
# and the registry's own upload rate (a plain curl POST+PUT of it).
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
	SMALL=65536 MED_LAYERS=2 MED_SIZE=262144 LARGE=1048576 NTAGS=20 NDEL=5
else
	SMALL=1048576 MED_LAYERS=10 MED_SIZE=10485760 LARGE=536870912 NTAGS=1000 NDEL=100
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
TLS_DEST=$SKOPEO_DEST
SKOPEO_DEST=--dest-tls-verify=false
for t in small medium large index; do seed "$WORK/img" "$t" "app:$t" || exit 1; done
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


# ---- winch sync vs skopeo sync (issue 14): REPOS repositories x TAGS tags from one YAML file ----
# a first run into an empty destination, a no-op run into a synced one (with its request counts from
# the registries' access logs), and peak RSS of no-op runs of REPOS and 10x REPOS repositories
sync_cases() {
	local repos=$1 tags=$2 big=$3 f=$WORK/sync.yml fb=$WORK/sync-big.yml r t list
	list=$(for t in $(seq 0 $((tags - 1))); do printf 't%d,' "$t"; done)
	printf '%s:\n  tls-verify: false\n  images:\n' "$SYNC_SRC" > "$f"
	for r in $(seq -w 0 $((repos - 1))); do
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
	for r in $(seq -w 0 $((big - 1))); do
		[ "$r" -lt "$repos" ] 2>/dev/null || python3 "$TOP/bench/mktags.py" "$SYNC_SRC" "r$r" "${list%,}" || exit 1
		printf '    r%s: []\n' "$r" >> "$fb"
	done
	"$W" sync -q "$fb" "$B/swbig" || exit 1
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
GET=$(curl -s -o /dev/null -w '%{time_total}' "http://$A/v2/app/blobs/$LARGE_DIGEST")
LOC=$(curl -s -D - -o /dev/null -X POST "http://$B/v2/ceiling/blobs/uploads/" | awk 'tolower($1)=="location:" {print $2}' | tr -d '\r')
PUT=$(curl -s -o /dev/null -w '%{time_total}' -X PUT -H 'Content-Type: application/octet-stream' \
	--data-binary "@$WORK/img/blobs/sha256/${LARGE_DIGEST#sha256:}" "$LOC&digest=$LARGE_DIGEST")
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
sha, get, put, size, floor, nd = float(sys.argv[1]) * 1000, float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
get, put = max(get, 1e-6), max(put, 1e-6)
print("Ceilings: sha256 %.0f MB/s (openssl speed -evp sha256); curl GET of the large blob %.0f MB/s; registry upload (curl POST+PUT) %.0f MB/s; %s DELETEs by digest on one connection %.3f s" % (sha / 1e6, size / get / 1e6, size / put / 1e6, nd, floor))
' "$SHA" "$GET" "$PUT" "$LARGE_GZ" "$FLOOR_DEL" "$NDEL"
}
