#!/bin/bash
# The benchmark in its smoke mode (one tiny run of every case), so it cannot rot.
. "$(dirname "$0")/lib.sh"
expect 0 "bench/run.sh --smoke runs every case" bash "$TOP/bench/run.sh" --smoke
for c in "pull medium to a layout" "copy large registry to registry" "copy a 3-platform index" "push large from a layout" \
	"pull medium over TLS (HTTP/1.1)" "inspect" "digest" "list-tags" "no-op copy" "copy all" "no-op mirror" "delete" "sync 3 repos x 3 tags, first run" "sync 3 repos x 3 tags, no-op run"; do
	contains "... with a row for $c" "$OUT" "| $c"
done
lacks "... and no failed measurement" "$OUT$ERR" "FAILED"
contains "... and the ceilings" "$OUT" "Ceilings: sha256"
contains "... and the sync no-op run's requests" "$OUT" "source HEADs"
# issue 16: many references per call, resume, the disk ceiling, start-up
for c in "digest of 10 refs: one winch call" "digest of 10 refs: 10 winch calls" "digest of 10 refs over TLS: one winch call" \
	"digest of 10 refs over TLS: 10 winch calls" "pull killed at half way, run again" "push killed at half way, run again" \
	"/bin/true" "empty program linked to Debian's libcurl" "winch version" "winch digest (plain HTTP, one reference)" "STATIC_CURL=1"; do
	contains "... with a row for $c" "$OUT" "| $c"
done
contains "... and the disk ceiling" "$OUT" "disk (the large blob written with winch's fsync policy"
contains "... and the pulls' ceiling" "$OUT" "pulls: min(GET, sha256, disk)"
contains "... and where start-up goes" "$OUT" "dynamic loader"
# the resumed runs moved about half the blob (the proxy's counts), not all of it
moved=$(printf '%s\n' "$OUT" | awk -F'|' '/killed at half way/ {gsub(/[^0-9 ]/, "", $4); split($4, m, " "); if (m[2] + 0 < 40 || m[2] + 0 > 60) bad = bad $2} END {print bad}')
same "... and each rerun moved about half the blob" "$moved" ""
