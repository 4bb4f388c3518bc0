#!/bin/bash
# A hostile registry, token server, proxy and redirect target
# (tests/tools/hostile-server.py) against winch's one HTTP funnel: credentials
# stay with the origin they are for, references from the network cannot
# smuggle in another host, and no answer makes winch run or grow without
# bound.  Issue 9, items 3-6, 8-10, 12, 17 and "Also"; issue 10, items 7, 16, 19;
# issue 11, "Challenges".
. "$(dirname "$0")/lib.sh"

IMG=$WORK/img SRCIMG=$WORK/src
python3 "$TOP/tests/tools/mkimage.py" "$IMG" v1 --layers 1 --size 131072 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$SRCIMG" v1 --layers 1 --size 50000 --seed 7 > /dev/null
HLOG=$WORK/hostile.log MODE=$WORK/mode MODE_N=0
: > "$HLOG"
# the mode changes (and its counters start again) with every call
mode() { MODE_N=$((MODE_N + 1)); echo "$* n=$MODE_N" > "$MODE"; : > "$HLOG"; }
seen() { grep -c -- "$1" "$HLOG"; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
C="--creds alice:secret"

# A: a plain registry on 127.0.0.1, "another host" on 127.0.0.2
P=$(free_port) Q=$(free_port)
python3 "$TOP/tests/tools/hostile-server.py" --port "$P" --other-port "$Q" --log "$HLOG" --mode-file "$MODE" \
	--layout "$IMG" > "$WORK/hostile-a.out" 2>&1 &
REG_PIDS="$REG_PIDS $!"
H=127.0.0.1:$P
# B: TLS and plain HTTP on one port of 127.0.0.1, and a TLS token server on another port, one private CA
mkdir -p "$WORK/ca" "$WORK/cadir"
make_certs "$WORK/ca"
cp "$WORK/ca/ca.crt" "$WORK/cadir/"
PB=$(free_port) QB=$(free_port)
python3 "$TOP/tests/tools/hostile-server.py" --port "$PB" --other-host 127.0.0.1 --other-port "$QB" \
	--cert "$WORK/ca/server.crt" --key "$WORK/ca/server.key" --sniff \
	--other-cert "$WORK/ca/server.crt" --other-key "$WORK/ca/server.key" \
	--log "$HLOG" --mode-file "$MODE" --layout "$IMG" > "$WORK/hostile-b.out" 2>&1 &
REG_PIDS="$REG_PIDS $!"
HB=127.0.0.1:$PB
wait_port 127.0.0.1 "$P" && wait_port 127.0.0.2 "$Q" && wait_port 127.0.0.1 "$PB" && wait_port 127.0.0.1 "$QB" ||
	fail "hostile servers started"
mode plain
expect 0 "the hostile server serves an image" "$WINCH" digest "$H/app:v1"

# ---- item 3: credentials go to the origin they were resolved for, on every hop
mode token-redirect
expect 4 "login: a token endpoint that redirects to another host fails" \
	sh -c "printf secret | '$WINCH' login -u alice --password-stdin $H"
same "... the other host never got the Basic credentials" "$(seen '^OTHER .*auth=basic')" 0
same "... the token endpoint itself did" "$(seen '^MAIN .*/token.*auth=basic:alice')" 1
contains "... and says why" "$ERR" "redirected to another host (127.0.0.2:$Q)"
same "... nothing was stored" "$(ls "$HOME/.docker/config.json" 2>/dev/null)" ""
mode login-redirect
expect 4 "login: a /v2/ that redirects to another host answering 200 is no success" \
	sh -c "printf secret | '$WINCH' login -u alice --password-stdin $H"
contains "... it says the answer came from elsewhere" "$ERR" "redirected /v2/ to another host"
same "... nothing was stored" "$(ls "$HOME/.docker/config.json" 2>/dev/null)" ""
mode basic-redirect
expect 4 "login: a Basic /v2/ check redirected to another host fails" \
	sh -c "printf secret | '$WINCH' login -u alice --password-stdin $H"
same "... without the credentials reaching it" "$(seen '^OTHER .*auth=basic')" 0
mode bounce auth=basic
expect 4 "a redirect chain A -> B -> A: credentials are not sent again at A" "$WINCH" manifest $C "$H/app:v1"
same "... B got none" "$(seen '^OTHER .*auth=no')" 1
same "... nor A on the way back" "$(seen '^MAIN .*back=1 auth=no')" 1
mode location-other auth=basic
expect 1 "an upload Location on another origin" "$WINCH" push -j1 $C "oci:$SRCIMG:v1" "$H/other:v1"
same "... gets the blob without credentials" "$(seen '^OTHER .*PUT /upload/u1.*auth=no')" 1

# ---- item 5: scheme and effective port are part of the origin
mode downgrade auth=basic
expect 4 "an https -> http redirect on the same host and port" \
	"$WINCH" manifest --cert-dir "$WORK/cadir" $C "$HB/app:v1"
same "... carries no credentials in clear" "$(seen '^MAIN http GET .*plain=1 auth=no')" 1
same "... and none at all over http" "$(seen '^MAIN http .*auth=basic')" 0

# ---- item 4: Link and Location are references, never glued to the registry's address
mode link-userinfo auth=basic
expect 1 "Link: <@OTHER/...> is refused" "$WINCH" list-tags $C "$H/app"
contains "... as no valid reference" "$ERR" "is not a valid URL reference"
same "... the other host got nothing" "$(seen '^OTHER')" 0
mode link-abs-userinfo auth=basic
expect 1 "a Link URL with user info is refused" "$WINCH" list-tags $C "$H/app"
contains "... saying so" "$ERR" "user info"
same "... the other host got nothing" "$(seen '^OTHER')" 0
mode location-userinfo auth=basic
expect 1 "an upload Location: @OTHER/... is refused" "$WINCH" push -j1 $C "oci:$SRCIMG:v1" "$H/other:v1"
contains "... naming it" "$ERR" "the upload Location of $H/other"
same "... neither blob bytes nor credentials went to the other host" "$(seen '^OTHER')" 0

# ---- item 6: plain HTTP only for localhost and loopback literals
mode proxy
for name in localhost.evil.example:$Q 127.evil.example:$Q; do
	: > "$HLOG"
	expect 6 "through a TLS-breaking proxy, $name gets no plain-HTTP fallback" \
		env -u NO_PROXY -u no_proxy https_proxy="http://$H" http_proxy="http://$H" "$WINCH" digest $C "$name/app:v1"
	same "... no request went in clear" "$(seen "^MAIN .* http://")" 0
done
mode plain
expect 0 "localhost (exactly) still falls back to plain HTTP" "$WINCH" digest "localhost:$P/app:v1"

# ---- item 8: a body past its cap stops the transfer, and is not asked for again
mode endless-manifest
start=$(date +%s%N)
expect 7 "an endless manifest body fails" timeout 20 "$WINCH" manifest "$H/app:v1"
contains "... at its 4 MiB cap" "$ERR" "larger than 4 MiB"
same "... at once" "$(( $(ms_since "$start") < 5000 ))" 1
same "... without a retry" "$(seen '^MAIN .*GET')" 1
same "... having read a few MiB, not the server's 8 GiB" "$(awk '/sent/ { print ($3 < 64 * 1048576) }' "$HLOG")" 1
mode endless-error
expect 6 "an endless 503 body fails" timeout 20 "$WINCH" manifest "$H/app:v1"
same "... without a retry" "$(seen '^MAIN .*GET')" 1
mode endless-redirect
expect 0 "an endless redirect body is cut and the redirect followed" timeout 20 "$WINCH" manifest "$H/app:v1"
mode endless-headers
expect 1 "endless header lines fail" timeout 20 "$WINCH" manifest "$H/app:v1"
contains "... saying the headers are too large" "$ERR" "headers from $H are too large"
mode big-header
expect 1 "a 1 MB header line fails" "$WINCH" manifest "$H/app:v1"
contains "... saying so" "$ERR" "too large"
lacks "... not as 'out of memory'" "$ERR" "Out of memory"

# ---- item 9: time limits
mode drip
start=$(date +%s%N)
expect 6 "a manifest dripping 2 bytes a second fails at --timeout" timeout 20 "$WINCH" manifest --timeout 2 "$H/app:v1"
contains "... naming the limit" "$ERR" "within 2 s (--timeout)"
same "... after about 2 s, not retried" "$(( $(ms_since "$start") < 4500 ))" 1
mode drip
expect 6 "WINCH_TIMEOUT does the same" timeout 20 env WINCH_TIMEOUT=2s "$WINCH" manifest "$H/app:v1"
expect 2 "--timeout takes a duration" "$WINCH" manifest --timeout 2x "$H/app:v1"
mode drip-blob-once
expect 0 "a blob that stalls is given up after the stall limit and resumed" \
	timeout 20 "$WINCH" -v pull --timeout 2 "$H/app:v1" "oci:$WORK/pulled:v1"
contains "... resumed" "$ERR" "resuming"
mode slow-blob rate=65536
start=$(date +%s%N)
expect 0 "a blob slower than --timeout in all but steady is not cut" \
	timeout 20 "$WINCH" pull --timeout 1 "$H/app:v1" "oci:$WORK/pulled2:v1"
same "... it took longer than the timeout" "$(( $(ms_since "$start") > 1500 ))" 1

# ---- item 10: Link loops and endless listings
mode link-loop
expect 1 "a Link back to a page already read is a loop" timeout 20 "$WINCH" list-tags "$H/app"
contains "... said as such" "$ERR" "a loop"
same "... after two pages" "$(seen 'tags/list')" 2
mode link-many per=20000
expect 1 "a listing stops at 1000000 tags" timeout 30 "$WINCH" list-tags "$H/app"
contains "... saying so" "$ERR" "more than 1000000 tags"

# ---- item 12: Retry-After is said, and capped
mode ratelimit after=100000
start=$(date +%s%N)
expect 5 "429 with Retry-After: 100000 fails at once" timeout 20 "$WINCH" manifest "$H/app:v1"
same "... without waiting" "$(( $(ms_since "$start") < 2000 ))" 1
contains "... naming when to retry" "$ERR" "retry after"
mode ratelimit after=1 times=1
expect 0 "429 with Retry-After: 1 is waited out" "$WINCH" manifest "$H/app:v1"
contains "... saying what it waits for, and how long" "$ERR" "429 (too many requests): waiting 1 s as its Retry-After asks"
mode ratelimit after=1 times=1
expect 0 "... silently under -q" "$WINCH" -q manifest "$H/app:v1"
same "... nothing on stderr" "$ERR" ""

# ---- item 17: token lifetimes are clamped
for exp in 1e19 9223372036854775808 1e400; do
	mode token-expiry exp=$exp
	expect 0 "a token with expires_in $exp works" "$WINCH" inspect "$H/app:v1"
	same "... and is asked for once (manifest and config share it)" "$(seen '^MAIN .*GET /token')" 1
done

# ---- issue 10, item 7: the registry's CA sources apply to its token server
mode tls-token
expect 0 "login: TLS token server on another port, --cert-dir" \
	sh -c "printf secret | '$WINCH' login --cert-dir '$WORK/cadir' -u alice --password-stdin $HB"
same "... the token server was asked with the credentials" "$(seen "^OTHER https GET /token.*auth=basic:alice")" 1
rm -f "$HOME/.docker/config.json"
mkdir -p "$WINCH_CERTS_D/$HB" "$WINCH_CERTS_D/127.0.0.1:$QB"
cp "$WORK/ca/ca.crt" "$WINCH_CERTS_D/$HB/"
cp "$WORK/ca/ca.crt" "$WINCH_CERTS_D/127.0.0.1:$QB/"
mode tls-token
expect 0 "login: TLS token server on another port, certs.d for both" \
	sh -c "printf secret | '$WINCH' login -u alice --password-stdin $HB"
expect 0 "... and a pull through it" "$WINCH" digest "$HB/app:v1"
rm -rf "$WINCH_CERTS_D"/* "$HOME/.docker/config.json"
mode plain auth=bearer realm=https://127.0.0.1:$QB/token
expect 6 "a token server whose CA is unknown fails" \
	sh -c "printf secret | '$WINCH' login -u alice --password-stdin $H"
contains "... naming it as the token server, and its host" "$ERR" "the token server of $H (127.0.0.1:$QB): tls: the certificate of 127.0.0.1:$QB is not trusted"
mode tls-token realm=http://localhost.evil.example:$QB/token
expect 4 "an https registry's realm on plain http:// elsewhere gets no credentials" \
	"$WINCH" digest --cert-dir "$WORK/cadir" $C "$HB/app:v1"
contains "... said as such" "$ERR" "in clear"

# ---- issue 11, "Challenges": several challenges, the first usable one in header order
mode challenges kind=lines
expect 0 "Negotiate / NTLM / Bearer here / Bearer elsewhere: the first Bearer is used" \
	"$WINCH" digest $C "$H/app:v1"
same "... its token server got the credentials" "$(seen '^MAIN .*GET /token.*auth=basic:alice')" 1
same "... the later line's realm (another host) got nothing" "$(seen '^OTHER')" 0
mode challenges kind=lines
expect 0 "... login too" sh -c "printf secret | '$WINCH' login -u alice --password-stdin $H"
same "... and the other host got nothing" "$(seen '^OTHER')" 0
rm -f "$HOME/.docker/config.json"
mode challenges kind=oneline
expect 0 "'Negotiate abc==, NTLM, Basic' in one line, then Bearer elsewhere: Basic is used" \
	"$WINCH" digest $C "$H/app:v1"
same "... the registry got Basic credentials" "$(seen '^MAIN .*manifests.*auth=basic:alice')" 1
same "... the later line's realm got nothing" "$(seen '^OTHER')" 0
mode challenges kind=none
expect 1 "only Negotiate and NTLM: unsupported" "$WINCH" digest $C "$H/app:v1"
contains "... naming both schemes" "$ERR" '"negotiate", "ntlm"'
mode challenges kind=badrealm
expect 1 "a realm without a host (http:///OTHER/token) is an error" "$WINCH" digest $C "$H/app:v1"
contains "... naming the realm" "$ERR" "http:///127.0.0.2:$Q/token"
same "... and nothing went to the host libcurl would read in it" "$(seen '^OTHER')" 0

# ---- issue 10, items 16 and 19: the real registry over TLS
reg_start tls || fail "tls registry started"
seed "$IMG" v1 app:v1 || fail "seeded"
expect 6 "--plain-http against a TLS registry (HEAD) is a TLS error" "$WINCH" digest --plain-http "$REG/app:v1"
contains "... saying it speaks HTTPS" "$ERR" "$REG speaks HTTPS, not plain HTTP (leave out --plain-http)"
expect 6 "... (GET) too" "$WINCH" inspect --plain-http "$REG/app:v1"
contains "... saying it speaks HTTPS" "$ERR" "speaks HTTPS"
expect 2 "a missing --cert-dir is named" "$WINCH" digest --cert-dir "$WORK/nope" "$REG/app:v1"
contains "... with the directory" "$ERR" "--cert-dir $WORK/nope: no such directory"
mkdir -p "$WORK/emptyca"
expect 6 "an empty --cert-dir adds no CA (and sorts no NULL list: the sanitizer pass)" \
	"$WINCH" digest --cert-dir "$WORK/emptyca" "$REG/app:v1"
mkdir -p "$WORK/badca"
echo "not a certificate" > "$WORK/badca/ca.crt"
expect 6 "a garbage .crt in --cert-dir is named" "$WINCH" digest --cert-dir "$WORK/badca" "$REG/app:v1"
contains "... by its path" "$ERR" "$WORK/badca/ca.crt is not a PEM CA certificate file"
mkdir -p "$WINCH_CERTS_D/$REG"
cp "$REG_CA" "$WINCH_CERTS_D/$REG/ca.crt"
head -c 300 "$REG_CA" > "$WINCH_CERTS_D/$REG/broken.crt"
expect 6 "a broken .crt in certs.d is named" "$WINCH" digest "$REG/app:v1"
contains "... by its path" "$ERR" "$WINCH_CERTS_D/$REG/broken.crt is not a PEM CA certificate file"
rm -rf "$WINCH_CERTS_D"/*
