#!/bin/bash
# Authentication and trust: credential helpers through login/logout, tokens
# asked once per scope, refresh tokens, anonymous pull tokens, and where TLS
# trust comes from (certs.d, --cert-dir, --tls-verify=false).
. "$(dirname "$0")/lib.sh"

IMG=$WORK/img
python3 "$TOP/tests/tools/mkimage.py" "$IMG" v1 > /dev/null
export WNTEST_HELPER_STORE=$WORK/helper
mkdir -p "$WNTEST_HELPER_STORE"

# ---- token registry, anonymous pull allowed
TOKEN_ANON=1 reg_start token || fail "token registry started"
seed "$IMG" v1 app:v1 && seed "$IMG" v1 other:v1 || fail "seeded"
: > "$TOKEN_LOG"

expect 0 "anonymous pull token: inspect without login" "$WINCH" inspect "$REG/app:v1"
same "... asks the token server once" "$(grep -c . "$TOKEN_LOG")" 1
: > "$TOKEN_LOG"
expect 0 "list-tags, inspect and digest in one run each" "$WINCH" inspect "$REG/app:v1"
same "one token per scope per run (inspect: manifest + config blob share one)" "$(grep -c . "$TOKEN_LOG")" 1
expect 4 "anonymous catalog is refused (needs registry:catalog:*)" "$WINCH" catalog "$REG"
contains "... and says to log in" "$ERR" "winch login $REG"

# login through a credential helper
mkdir -p "$HOME/.docker"
echo "{\"credHelpers\":{\"$REG\":\"wntest\"},\"HttpHeaders\":{\"X-Keep\":\"me\"}}" > "$HOME/.docker/config.json"
expect 0 "login through a credential helper" sh -c "printf '%s' '$REG_PASS' | '$WINCH' -vv login -u $REG_USER --password-stdin $REG"
contains "... says where" "$ERR" "docker-credential-wntest"
lacks "... the password is in no output, -vv included" "$OUT$ERR" "$REG_PASS"
key=$(printf %s "$REG" | tr '/:' '__')
same "... the helper holds the secret" "$(json "d['Secret']" < "$WNTEST_HELPER_STORE/$key")" "$REG_PASS"
lacks "... config.json does not" "$(cat "$HOME/.docker/config.json")" "$REG_PASS"
contains "... config.json keeps its other keys" "$(cat "$HOME/.docker/config.json")" "X-Keep"
: > "$TOKEN_LOG"
expect 0 "catalog with the helper's credentials" "$WINCH" -vv catalog "$REG"
lacks "... the helper's secret is in no output" "$OUT$ERR" "$REG_PASS"
contains "... asked the token server as the user" "$(cat "$TOKEN_LOG")" "GET $REG_USER registry:catalog:*"
expect 0 "logout through the helper" "$WINCH" logout "$REG"
same "... the helper forgot the secret" "$(ls "$WNTEST_HELPER_STORE" | grep -c "$key")" 0
contains "... erase was called" "$(cat "$WNTEST_HELPER_STORE/calls.log")" "erase"

# a broken helper: warn, go on anonymously
echo "{\"credHelpers\":{\"$REG\":\"wnbroken\"}}" > "$HOME/.docker/config.json"
expect 0 "a failing helper does not stop a public pull" "$WINCH" inspect "$REG/app:v1"
contains "... it is warned about, with the helper's stderr" "$ERR" "keychain is locked"
# a helper that prints the credentials and then exits non-zero: the warning
# shows its exit status and stderr, never its stdout (which holds the secret)
echo "{\"credHelpers\":{\"$REG\":\"wnleak\"}}" > "$HOME/.docker/config.json"
expect 0 "a helper failing after printing credentials does not stop a public pull" "$WINCH" -vv digest "$REG/app:v1"
contains "... it is warned about with its exit status" "$ERR" "docker-credential-wnleak get failed (exit status 1)"
lacks "... the secret is not on stderr" "$ERR" "wnleak-SECRET"
lacks "... nor on stdout" "$OUT" "wnleak-SECRET"
expect 1 "login through that helper fails" sh -c "printf '%s' '$REG_PASS' | '$WINCH' login -u $REG_USER --password-stdin $REG"
contains "... naming the helper" "$ERR" "docker-credential-wnleak store failed"
lacks "... without its stdout" "$OUT$ERR" "wnleak-SECRET"
echo "{\"credHelpers\":{\"$REG\":\"wnmissing\"}}" > "$HOME/.docker/config.json"
expect 0 "a missing helper does not stop a public pull" "$WINCH" digest "$REG/app:v1"
contains "... it is warned about" "$ERR" "docker-credential-wnmissing not found"

echo "{\"credHelpers\":{\"$REG\":\"wnhang\"}}" > "$HOME/.docker/config.json"
start=$(date +%s%N)
expect 0 "a helper that hangs is given up on" env WINCH_HELPER_TIMEOUT_MS=300 "$WINCH" digest "$REG/app:v1"
contains "... with a warning" "$ERR" "no answer within 300 ms"
same "... quickly" "$(( ($(date +%s%N) - start) / 1000000000 ))" 0

# identity token (refresh token, OAuth2 POST form)
echo "{\"auths\":{\"$REG\":{\"identitytoken\":\"rt-$REG_USER\"}}}" > "$HOME/.docker/config.json"
: > "$TOKEN_LOG"
expect 0 "an identitytoken is exchanged with the OAuth2 POST form" "$WINCH" catalog "$REG"
contains "... as a POST" "$(cat "$TOKEN_LOG")" "POST $REG_USER"
run "$WINCH" -vv catalog "$REG"
lacks "... the refresh token never shows in -vv output" "$ERR" "rt-$REG_USER"
echo "{\"auths\":{\"$REG\":{\"identitytoken\":\"rt-nobody\"}}}" > "$HOME/.docker/config.json"
expect 4 "a bad identitytoken is rejected" "$WINCH" catalog "$REG"
contains "... naming where it came from" "$ERR" "config.json"

# DOCKER_AUTH_CONFIG, read-only user
rm -f "$HOME/.docker/config.json"
auth=$(printf %s "reader:reader-pw" | base64 -w0)
export DOCKER_AUTH_CONFIG="{\"auths\":{\"$REG\":{\"auth\":\"$auth\"}}}"
: > "$TOKEN_LOG"
expect 0 "DOCKER_AUTH_CONFIG credentials are used" "$WINCH" digest "$REG/app:v1"
contains "... as that user" "$(cat "$TOKEN_LOG")" "GET reader repository:app:pull"
expect 4 "a user without catalog rights is denied" "$WINCH" catalog "$REG"
contains "... with a message naming the scope" "$ERR" "registry:catalog:*"
unset DOCKER_AUTH_CONFIG

# repository-scoped keys in an auth.json (containers-auth.json(5)): the most specific key
# wins, so one copy inside one registry uses two identities, reader for app, alice for other
b64() { printf %s "$1" | base64 -w0; }
printf '{"auths":{"%s/app":{"auth":"%s"},"%s":{"auth":"%s"}}}' "$REG" "$(b64 reader:reader-pw)" "$REG" \
	"$(b64 "$REG_USER:$REG_PASS")" > "$WORK/scoped.json"
: > "$TOKEN_LOG"
expect 0 "an auth.json key for one repository is used for it" "$WINCH" digest --authfile "$WORK/scoped.json" "$REG/app:v1"
same "... as that key's user" "$(cat "$TOKEN_LOG")" "GET reader repository:app:pull"
: > "$TOKEN_LOG"
expect 0 "copy inside the registry with two identities" "$WINCH" -v copy --authfile "$WORK/scoped.json" "$REG/app:v1" "$REG/other:scoped"
contains "... the source read as reader" "$(cat "$TOKEN_LOG")" "GET reader repository:app:pull"
contains "... the destination written as $REG_USER" "$(cat "$TOKEN_LOG")" "GET $REG_USER repository:other:pull,push"
lacks "... reader never asked for the destination" "$(cat "$TOKEN_LOG")" "GET reader repository:other"
contains "... -v names the key used" "$ERR" "(key $REG/app)"
rm -f "$WORK/scoped.json"

# a helper answering {"Username":"","Secret":""} (docker-credential-pass before 0.7, for a
# host it does not know): no credentials, silently, as docker takes it
echo "{\"credHelpers\":{\"$REG\":\"wnempty\"}}" > "$HOME/.docker/config.json"
: > "$TOKEN_LOG"
expect 0 "a helper answering empty credentials: anonymous" "$WINCH" digest "$REG/app:v1"
same "... without a warning" "$ERR" ""
same "... asking an anonymous token" "$(cat "$TOKEN_LOG")" "GET - repository:app:pull"
# logout through such a helper when not logged in: exit 0, "not logged in", never "removed"
: > "$WNTEST_HELPER_STORE/calls.log"
expect 0 "logout through a helper that holds nothing" "$WINCH" logout "$REG"
contains "... says not logged in" "$ERR" "not logged in to $REG"
lacks "... never says removed" "$ERR" "removed"
lacks "... erase was not needed" "$(cat "$WNTEST_HELPER_STORE/calls.log")" "erase"
expect 0 "... nor with a helper whose erase of nothing exits 0 (secretservice, wincred)" env WNEMPTY_ERASE=quiet "$WINCH" logout "$REG"
lacks "... which is not taken for a removal" "$ERR" "removed"
expect 0 "login through that helper" sh -c "printf '%s' '$REG_PASS' | '$WINCH' login -u $REG_USER --password-stdin $REG"
expect 0 "logout when logged in" "$WINCH" logout "$REG"
contains "... says removed, naming the helper" "$ERR" "removed the credentials for $REG from credential helper docker-credential-wnempty"
expect 0 "logout again" "$WINCH" logout "$REG"
contains "... not logged in" "$ERR" "not logged in"
rm -f "$HOME/.docker/config.json"
reg_stop_all

# ---- token registry without anonymous access
reg_start token || fail "token registry started"
seed "$IMG" v1 app:v1
expect 4 "no anonymous tokens: inspect needs a login" "$WINCH" inspect "$REG/app:v1"
contains "... and says so" "$ERR" "requires authentication"
expect 4 "login with a wrong password against a token server" sh -c "echo nope-$$ | '$WINCH' -vv login -u $REG_USER --password-stdin $REG"
contains "... is rejected" "$ERR" "rejected"
lacks "... the wrong password is in no output" "$OUT$ERR" "nope-$$"
same "... and leaves no config.json" "$(ls "$HOME/.docker/config.json" 2>/dev/null)" ""
printf '%s:%s' "$REG_USER" "$REG_PASS" > "$WNTEST_HELPER_STORE/rotate"
rm -f "$WNTEST_HELPER_STORE/rotate.count"
mkdir -p "$HOME/.docker"
echo "{\"credHelpers\":{\"$REG\":\"wnrotate\"}}" > "$HOME/.docker/config.json"
expect 0 "token server rejects a stale helper secret: the helper is asked again" "$WINCH" inspect "$REG/app:v1"
same "... twice in all" "$(cat "$WNTEST_HELPER_STORE/rotate.count")" 2
rm -f "$HOME/.docker/config.json"
reg_stop_all

# ---- TLS trust
reg_start tls || fail "tls registry started"
seed "$IMG" v1 app:v1
expect 6 "TLS without the CA fails" "$WINCH" digest "$REG/app:v1"
contains "... saying the certificate is not trusted" "$ERR" "not trusted"
lacks "... and does not fall back to plain HTTP" "$ERR" "plain HTTP"
expect 0 "--tls-verify=false skips the check" "$WINCH" digest --tls-verify=false "$REG/app:v1"
expect 0 "--cert-dir trusts its CA" "$WINCH" digest --cert-dir "$REG_DIR/certs" "$REG/app:v1"
mkdir -p "$WINCH_CERTS_D/$REG"
cp "$REG_CA" "$WINCH_CERTS_D/$REG/ca.crt"
expect 0 "certs.d/HOST:PORT/ca.crt is trusted, like docker" "$WINCH" digest "$REG/app:v1"
expect 6 "localhost is not the same host as 127.0.0.1 for certs.d" "$WINCH" digest "localhost:${REG#*:}/app:v1"
reg_stop_all

# ---- basic auth: credentials are sent up front after the first challenge
reg_start basic || fail "basic registry started"
seed "$IMG" v1 app:v1
# rejected credentials: the helper is asked again, once
printf '%s:%s' "$REG_USER" "$REG_PASS" > "$WNTEST_HELPER_STORE/rotate"
rm -f "$WNTEST_HELPER_STORE/rotate.count"
echo "{\"credHelpers\":{\"$REG\":\"wnrotate\"}}" > "$HOME/.docker/config.json"
expect 0 "a secret rejected mid-run is asked for again from the helper" "$WINCH" inspect "$REG/app:v1"
same "... the helper was asked twice" "$(cat "$WNTEST_HELPER_STORE/rotate.count")" 2
echo "x:y" > "$WNTEST_HELPER_STORE/rotate"
rm -f "$WNTEST_HELPER_STORE/rotate.count"
expect 4 "a helper that keeps giving a bad secret fails after one retry" "$WINCH" inspect "$REG/app:v1"
same "... the helper was asked twice, not more" "$(cat "$WNTEST_HELPER_STORE/rotate.count")" 2
rm -f "$HOME/.docker/config.json"
run "$WINCH" -v inspect --creds "$REG_USER:$REG_PASS" "$REG/app:v1"
same "inspect with basic auth: one 401, then credentials up front" "$(printf '%s\n' "$ERR" | grep -c -- '-> 401')" 1
reg_stop_all
