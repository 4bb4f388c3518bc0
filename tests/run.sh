#!/bin/sh
# Runs every test and ends with the line "N passed, N failed".
#   tests/run.sh              unit tests, fuzz corpus replay, integration tests, then the
#                             same again built with ASan and UBSan (the sanitizer pass)
#   tests/run.sh --unit-only  unit tests and corpus replay (used by make check)
#   tests/run.sh t-read       only integration scripts whose name contains t-read
# WINCH_TEST_SANITIZE=0 leaves the sanitizer pass out.
cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
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

unit_tests() { # the unit tests and fuzz corpus replay of the tree in $1
	for t in "$1"/tests/unit/t-*; do
		case $t in *.c | *.d) continue ;; esac
		"$t" > "$log" 2>&1
		count_summary "$t"
	done
	for r in "$1"/tests/fuzz/*.replay; do
		[ -e "$r" ] || continue
		name=$(basename "$r" .replay)
		"$r" "$1/tests/fuzz/corpus/${name#f-}" > "$log" 2>&1
		count_summary "$r"
	done
}

integration() { # one integration script, counted
	t=$1
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
}

if [ -z "$filter" ]; then
	unit_tests "$TOP"
	echo "# unit and fuzz replay: $passed passed, $failed failed"
fi
$unit_only && { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit; }
for t in tests/integration/t-*.sh; do
	case $t in *"$filter"*) integration "$t" ;; esac
done

# The sanitizer pass: the tracked files copied to .sanitize/ (timestamps kept,
# so the build there is incremental) and built with ASan and UBSan; every
# report fails its test (tests/integration/lib.sh).  The benchmark smoke test,
# the install test (which rebuilds) and the registry front's own test (which
# tests the Python emulator with curl and skopeo, not winch) are left out.
if [ -z "$filter" ] && [ "${WINCH_TEST_SANITIZE:-1}" != 0 ]; then
	SAN=$TOP/.sanitize
	start=$(date +%s)
	mkdir -p "$SAN"
	if { git ls-files -z 2>/dev/null || find lib cmd tests completions Makefile -type f -print0; } |
		xargs -0 cp -p --parents -t "$SAN" 2>> "$log" &&
		# what was removed here goes there too (a deleted test must not run on)
		(cd "$SAN" && find lib cmd tests completions -type f) | while read -r f; do
			[ -e "$TOP/$f" ] || rm -f "$SAN/$f"
		done &&
		make -s -C "$SAN" -j2 SANITIZE=address,undefined,float-cast-overflow all unit > "$log" 2>&1; then
		echo "# sanitizer build: $(($(date +%s) - start)) s"
		before_p=$passed before_f=$failed
		unit_tests "$SAN"
		for t in "$SAN"/tests/integration/t-*.sh; do
			case $t in *t-bench.sh | *t-install.sh | *t-front.sh) continue ;; esac
			integration "$t"
		done
		echo "# sanitizer pass: $((passed - before_p)) passed, $((failed - before_f)) failed"
	else
		tail -n 20 "$log"
		echo "FAIL the sanitizer build"
		failed=$((failed + 1))
	fi
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
