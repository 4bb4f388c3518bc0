#!/bin/sh
# Runs every test and ends with the line "N passed, N failed".
#   tests/run.sh              unit tests, fuzz corpus replay, integration tests
#   tests/run.sh --unit-only  unit tests and corpus replay (used by make check)
#   tests/run.sh t-read       only integration scripts whose name contains t-read
cd "$(dirname "$0")/.." || exit 1
unit_only=false
filter=""
case ${1:-} in --unit-only) unit_only=true ;; ?*) filter=$1 ;; esac
passed=0
failed=0
log=$(mktemp)
# Every script, and every winch it runs, gets a private TMPDIR that must be
# empty again when the script ends: nothing a test or winch makes may stay.
RUN_TMP=$(mktemp -d "${TMPDIR:-/tmp}/winch-run.XXXXXX")
trap 'rm -rf "$RUN_TMP" "$log"' EXIT

count_summary() { # adds a "N passed, N failed" line from $log
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		failed=$((failed + 1))
		echo "FAIL $1 (no summary line)"
		return
	fi
	p=${line%% passed*}
	f=${line#*passed, }
	f=${f%% failed*}
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" -eq 0 ] || { grep -v '^ok' "$log"; echo "FAIL $1"; }
}

if [ -z "$filter" ]; then
	for t in tests/unit/t-*; do
		case $t in *.c | *.d) continue ;; esac
		"$t" > "$log" 2>&1
		count_summary "$t"
	done
	for r in tests/fuzz/*.replay; do
		[ -e "$r" ] || continue
		name=$(basename "$r" .replay)
		"$r" "tests/fuzz/corpus/${name#f-}" > "$log" 2>&1
		count_summary "$r"
	done
	echo "unit and fuzz replay: $passed passed, $failed failed" | sed 's/^/# /'
fi
if ! $unit_only; then
	for t in tests/integration/t-*.sh; do
		case $t in *"$filter"*) ;; *) continue ;; esac
		start=$(date +%s)
		TMPDIR=$RUN_TMP bash "$t" > "$log" 2>&1
		rc=$?
		p=$(grep -c '^ok ' "$log")
		f=$(grep -c '^not ok ' "$log")
		if [ -n "$(ls -A "$RUN_TMP")" ]; then
			echo "not ok - $t left files in \$TMPDIR: $(ls -A "$RUN_TMP" | head -n 5 | tr '\n' ' ')" >> "$log"
			f=$((f + 1))
			rm -rf "${RUN_TMP:?}"/* "$RUN_TMP"/.[!.]* 2>/dev/null
		fi
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			f=1
			echo "FAIL $t exited $rc"
			tail -n 20 "$log"
		fi
		[ "$f" -eq 0 ] || { grep -v '^ok ' "$log" | head -n 80; echo "FAIL $t"; }
		echo "# $t: $p passed, $f failed ($(($(date +%s) - start)) s)"
		passed=$((passed + p))
		failed=$((failed + f))
	done
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
