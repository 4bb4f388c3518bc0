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
