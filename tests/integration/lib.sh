# lib.sh: sourced by every tests/integration/t-*.sh.  TAP-style output
# ("ok N - what" / "not ok N - what"), a private HOME and temp dir per script,
# and the registry harness.  tests/run.sh counts the lines.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
WINCH=$TOP/winch
WORK=$(mktemp -d "${TMPDIR:-/tmp}/winch-test.XXXXXX")
N=0
export HOME=$WORK/home XDG_RUNTIME_DIR=$WORK/run WINCH_CERTS_D=$WORK/certs.d
export WINCH_RETRY_BASE_MS=10 NO_PROXY='*' no_proxy='*'
# Under `make test SANITIZE=address,undefined` a sanitizer report must fail the
# test even where the expected exit code is 1: reports exit 99 and run() checks stderr.
export ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=99:abort_on_error=0} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=99}
unset DOCKER_CONFIG REGISTRY_AUTH_FILE DOCKER_AUTH_CONFIG http_proxy https_proxy HTTP_PROXY HTTPS_PROXY
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" "$WINCH_CERTS_D"
PATH=$TOP/tests/bin:$PATH
. "$TOP/tests/integration/lib-registry.sh"
trap 'reg_cleanup; rm -rf "$WORK"' EXIT

pass() { N=$((N + 1)); echo "ok $N - $1"; }
fail() { N=$((N + 1)); echo "not ok $N - $1"; shift; for l in "$@"; do echo "#   $l"; done; }

# run CMD...: runs it, keeping OUT, ERR and RC for the checks that follow.
run() {
	"$@" > "$WORK/out" 2> "$WORK/err"
	RC=$?
	OUT=$(cat "$WORK/out")
	ERR=$(cat "$WORK/err")
	case $ERR in
	*"ERROR: AddressSanitizer"* | *"ERROR: LeakSanitizer"* | *"runtime error:"*)
		fail "no sanitizer report from: $*" "$(printf '%s\n' "$ERR" | grep -m 3 -E 'Sanitizer|runtime error')" ;;
	esac
}

# expect RC WHAT CMD...: the command exits with RC.
expect() {
	local want=$1 what=$2
	shift 2
	run "$@"
	if [ "$RC" = "$want" ]; then pass "$what"; else fail "$what" "exit $RC, wanted $want: $*" "stderr: $ERR" "stdout: $(printf %s "$OUT" | tail -c 2000)"; fi
}

# same WHAT A B: two strings are equal.
same() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got:    $(printf %s "$2" | head -c 400)" "wanted: $(printf %s "$3" | head -c 400)"; fi
}

# contains WHAT HAYSTACK NEEDLE
contains() {
	case $2 in *"$3"*) pass "$1" ;; *) fail "$1" "\"$3\" not in: $(printf %s "$2" | head -c 400)" ;; esac
}

# lacks WHAT HAYSTACK NEEDLE
lacks() {
	case $2 in *"$3"*) fail "$1" "\"$3\" found in output" ;; *) pass "$1" ;; esac
}

json() { # json EXPR < doc   (python expression on `d`)
	python3 -c "import json,sys; d=json.load(sys.stdin); r=($1); print(json.dumps(r, sort_keys=True) if not isinstance(r, str) else r)"
}

# real_requests < -v output: registry requests, leaving out the one-time 401
# that teaches the auth scheme and the https probe of a loopback registry.
real_requests() {
	awk '/debug: (GET|HEAD|PUT|POST|PATCH|DELETE) http.*\/v2\// { req = 1; next }
	     req && /debug:   -> / { if ($0 !~ /-> 401/ && $0 !~ /SSL/) n++; req = 0 }
	     END { print n + 0 }'
}
