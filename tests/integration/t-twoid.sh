#!/bin/bash
# copy with two identities (issue 11, Credentials): --src-* and --dest-* options
# (skopeo's names; --src-plain-http/--dest-plain-http are winch's), the common
# forms serving both sides and a side's own form winning for that side.  Two
# registries with different credentials (token and Basic), a TLS source with its
# own CA and a plain destination, one registry with two users (a reader for the
# source repository, a writer for the destination: the mount it cannot make is
# uploaded instead), --all-tags, pull and push, and an interrupt.  The token
# server's log and the registries' logs show which identity each side used.
. "$(dirname "$0")/lib.sh"

IMG=$WORK/img
python3 "$TOP/tests/tools/mkimage.py" "$IMG" small --layers 3 --size 600 --seed 31 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$IMG" other --layers 2 --size 700 --seed 32 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$IMG" slow --layers 1 --size 2000000 --seed 33 > /dev/null
rawdigest() { # SKOPEO_FLAGS REF
	skopeo inspect --raw $1 "docker://$2" | sha256sum | cut -d' ' -f1
}

# ---- the options ------------------------------------------------------------
run "$WINCH" copy -h
for o in authfile creds cert-dir tls-verify plain-http; do
	contains "copy -h lists --src-$o" "$OUT" "--src-$o"
	contains "... and --dest-$o" "$OUT" "--dest-$o"
done
run "$WINCH" pull -h
contains "pull -h lists the source's options (its registry side)" "$OUT" "--src-creds"
for o in authfile creds cert-dir tls-verify plain-http; do lacks "... not the destination's --dest-$o" "$OUT" "--dest-$o"; done
run "$WINCH" push -h
contains "push -h lists the destination's options" "$OUT" "--dest-creds"
lacks "... not the source's" "$OUT" "--src-"
expect 2 "pull --dest-creds is an unknown option" "$WINCH" pull --dest-creds u:p 127.0.0.1:1/a:b "oci:$WORK/x:y"
expect 2 "a missing --src-authfile is a usage error" "$WINCH" copy --src-authfile "$WORK/nope.json" 127.0.0.1:1/a:b 127.0.0.1:1/c:d
contains "... naming it" "$ERR" "--src-authfile $WORK/nope.json"
expect 2 "--dest-tls-verify takes a boolean" "$WINCH" copy --dest-tls-verify=maybe 127.0.0.1:1/a:b 127.0.0.1:1/c:d
contains "... naming the option" "$ERR" "--dest-tls-verify"

# ---- two registries, two identities: token (source) and Basic (destination) --
reg_start token || fail "token registry started"
A=$REG A_PASS=$REG_PASS A_RD=$SKOPEO_RD A_LOG=$TOKEN_LOG
seed "$IMG" small app:small && seed "$IMG" other app:other || fail "seeded the token registry"
reg_start basic || fail "Basic-auth registry started"
B=$REG B_DIR=$REG_DIR B_RD=$SKOPEO_RD B_PASS=$REG_PASS
: > "$A_LOG"
# "reader" exists on A only (pull everywhere); B knows alice alone
expect 0 "copy with --src-creds and --dest-creds between two registries" \
	"$WINCH" copy --src-creds reader:reader-pw --dest-creds "alice:$B_PASS" "$A/app:small" "$B/app:small"
same "... the source's token server saw only the source's identity" "$(cut -d' ' -f2 "$A_LOG" | sort -u)" "reader"
same "... asking for pull on the source repository only" "$(cut -d' ' -f3- "$A_LOG" | sort -u)" "repository:app:pull"
same "... the destination digest is the source's" "$(rawdigest "$B_RD" "$B/app:small")" "$(rawdigest "$A_RD" "$A/app:small")"
same "... the destination's registry saw the destination's identity" \
	"$(grep 'useragent=winch' "$B_DIR/registry.log" | grep -o 'auth.user.name=[a-z]*' | sort -u)" "auth.user.name=alice"
expect 4 "--creds (both sides) with a user only the source knows fails at the destination" \
	"$WINCH" copy --creds reader:reader-pw "$A/app:other" "$B/app:other"
contains "... naming the destination's registry" "$ERR" "$B"
: > "$A_LOG"
expect 0 "--creds serves the side without its own option (--src-creds wins for the source)" \
	"$WINCH" copy --creds "alice:$B_PASS" --src-creds reader:reader-pw "$A/app:other" "$B/app:other"
same "... the source still used only its own identity" "$(cut -d' ' -f2 "$A_LOG" | sort -u)" "reader"

# authfiles per side: each file has the other registry under a user that is refused there
a_auth=$(printf %s "reader:reader-pw" | base64 -w0) b_auth=$(printf %s "alice:$B_PASS" | base64 -w0)
bad=$(printf %s "mallory:nope" | base64 -w0)
echo "{\"auths\":{\"$A\":{\"auth\":\"$a_auth\"},\"$B\":{\"auth\":\"$bad\"}}}" > "$WORK/src.json"
echo "{\"auths\":{\"$A\":{\"auth\":\"$bad\"},\"$B\":{\"auth\":\"$b_auth\"}}}" > "$WORK/dest.json"
expect 4 "--authfile (both sides) with the source's file fails at the destination" \
	"$WINCH" copy --authfile "$WORK/src.json" "$A/app:small" "$B/af:small"
: > "$A_LOG"
expect 0 "--src-authfile and --dest-authfile" \
	"$WINCH" copy --src-authfile "$WORK/src.json" --dest-authfile "$WORK/dest.json" "$A/app:small" "$B/af:small"
same "... the source's token server saw the source file's user" "$(cut -d' ' -f2 "$A_LOG" | sort -u)" "reader"
expect 0 "--authfile serves the side without its own file" \
	"$WINCH" copy --authfile "$WORK/dest.json" --src-authfile "$WORK/src.json" "$A/app:other" "$B/af:other"

# --all-tags, pull and push: each with its registry side's options
: > "$A_LOG"
expect 0 "copy --all-tags with two identities" \
	"$WINCH" copy --all-tags --src-creds reader:reader-pw --dest-creds "alice:$B_PASS" "$A/app" "$B/mirror"
same "... copies every tag" "$(skopeo list-tags $B_RD "docker://$B/mirror" | json "sorted(d['Tags'])")" '["other", "small"]'
same "... the source's token server saw only the source's identity" "$(cut -d' ' -f2 "$A_LOG" | sort -u)" "reader"
expect 0 "pull --src-creds" "$WINCH" pull --src-creds reader:reader-pw "$A/app:small" "oci:$WORK/lay:small"
expect 0 "push --dest-creds" "$WINCH" push --dest-creds "alice:$B_PASS" "oci:$WORK/lay:small" "$B/pushed:small"
same "... the pushed digest is the source's" "$(rawdigest "$B_RD" "$B/pushed:small")" "$(rawdigest "$A_RD" "$A/app:small")"

# ---- a TLS source with its own CA, a plain-HTTP destination ------------------
reg_start tls || fail "TLS registry started"
C=$REG C_CERTS=$REG_DIR/certs C_RD=$SKOPEO_RD
seed "$IMG" small app:small || fail "seeded the TLS registry"
reg_start plain || fail "plain registry started"
D=$REG D_RD=$SKOPEO_RD
run "$WINCH" -v copy --src-cert-dir "$C_CERTS" --dest-plain-http "$C/app:small" "$D/app:small"
same "copy from a TLS registry (--src-cert-dir) to a plain one (--dest-plain-http)" "$RC" 0
same "... the destination digest is the source's" "$(rawdigest "$D_RD" "$D/app:small")" "$(rawdigest "$C_RD" "$C/app:small")"
contains "... the source over https" "$ERR" "GET https://$C/v2/app/manifests/small"
lacks "... the destination never asked for TLS" "$ERR" "https://$D/"
expect 6 "--plain-http serves both sides: the TLS source refuses it" \
	"$WINCH" copy --plain-http --cert-dir "$C_CERTS" "$C/app:small" "$D/p:small"
contains "... saying so" "$ERR" "speaks HTTPS"
expect 0 "--src-plain-http=false wins over --plain-http for the source" \
	"$WINCH" copy --plain-http --src-plain-http=false --src-cert-dir "$C_CERTS" "$C/app:small" "$D/p:small"
expect 6 "the destination's CA directory is not the source's" \
	"$WINCH" copy --dest-cert-dir "$C_CERTS" "$C/app:small" "$D/q:small"
contains "... the source's certificate is not trusted" "$ERR" "not trusted"
expect 6 "--dest-tls-verify=false does not relax the source" "$WINCH" copy --dest-tls-verify=false "$C/app:small" "$D/q:small"
expect 0 "--src-tls-verify=false does" "$WINCH" copy --src-tls-verify=false "$C/app:small" "$D/q:small"
expect 0 "--tls-verify=false --dest-tls-verify=true: the source unverified" \
	"$WINCH" copy --tls-verify=false --dest-tls-verify=true "$C/app:small" "$D/r:small"

# ---- one registry, two users: a reader for the source, a writer for the destination --
TOKEN_USERS='writer:writer-pw:dst=*;scoped=*' reg_start token || fail "token registry with a writer started"
E=$REG E_DIR=$REG_DIR E_PASS=$REG_PASS E_RD=$SKOPEO_RD E_LOG=$TOKEN_LOG
seed "$IMG" small src:small && seed "$IMG" other src:other || fail "seeded the source repository"
: > "$E_LOG"
run "$WINCH" copy --format json -j 1 --src-creds reader:reader-pw --dest-creds writer:writer-pw "$E/src:small" "$E/dst:small"
same "copy within one registry, the source read by a reader, the destination written by a writer" "$RC" 0
same "... the mount the writer may not make is uploaded instead" \
	"$(printf %s "$OUT" | json "(d['blobsMounted'], d['blobsCopied'])")" "[0, 4]"
same "... the reader asked for pull on the source only" "$(grep '^GET reader ' "$E_LOG" | cut -d' ' -f3- | sort -u)" "repository:src:pull"
same "... the writer for the destination (and pull on the source, to mount)" \
	"$(grep '^GET writer ' "$E_LOG" | cut -d' ' -f3- | sort -u | tr '\n' '|')" \
	"repository:dst:pull|repository:dst:pull,push repository:src:pull|"
same "... no other identity asked" "$(cut -d' ' -f1,2 "$E_LOG" | sort -u | tr '\n' '|')" "GET reader|GET writer|"
same "... the destination digest is the source's" "$(rawdigest "$E_RD" "$E/dst:small")" "$(rawdigest "$E_RD" "$E/src:small")"
same "... after one refused mount the other blobs are uploaded without asking" \
	"$(grep -o 'POST /v2/dst/blobs/uploads/?mount=[^&]*' "$E_DIR/registry.log" | sort -u | wc -l)" 1
run "$WINCH" copy --format json --src-creds reader:reader-pw --dest-creds "alice:$E_PASS" "$E/src:small" "$E/dst2:small"
same "a destination identity that may read the source mounts every blob" \
	"$RC $(printf %s "$OUT" | json "(d['blobsMounted'], d['blobsCopied'])" 2>/dev/null)" "0 [4, 0]"
expect 4 "--creds (both sides) with the reader cannot push" \
	"$WINCH" copy --creds reader:reader-pw "$E/src:other" "$E/dst:other"
expect 0 "--creds with the writer and --src-creds with the reader" \
	"$WINCH" copy --creds writer:writer-pw --src-creds reader:reader-pw "$E/src:other" "$E/dst:other"

# one context: a repository-scoped auth.json gives the two repositories two users;
# the writer's mount is refused (401, insufficient scope) and the blobs uploaded
r_auth=$(printf %s reader:reader-pw | base64 -w0) w_auth=$(printf %s writer:writer-pw | base64 -w0)
echo "{\"auths\":{\"$E/src\":{\"auth\":\"$r_auth\"},\"$E/scoped\":{\"auth\":\"$w_auth\"}}}" > "$WORK/scoped.json"
run "$WINCH" copy --format json --authfile "$WORK/scoped.json" "$E/src:small" "$E/scoped:small"
same "one context, a refused mount: the blob is uploaded, not an error" "$RC $(printf %s "$OUT" | json "d['blobsCopied']" 2>/dev/null)" "0 4"

# ---- an interrupt stops both sides ------------------------------------------
seed "$IMG" slow src:slow || fail "seeded a slow image"
PPORT=$(free_port)
python3 "$TOP/tests/tools/slow-proxy.py" --port "$PPORT" --upstream "$E" > /dev/null 2>&1 &
REG_PIDS="$REG_PIDS $!"
wait_port 127.0.0.1 "$PPORT" || fail "proxy started"
"$WINCH" copy -q --src-creds reader:reader-pw --dest-creds writer:writer-pw "127.0.0.1:$PPORT/src:slow" "$E/dst:slow" 2> "$WORK/int.err" &
pid=$!
# the upload session is open (the registry logs a request when it ends): the blob is on its way
for _ in $(seq 100); do grep -q '"POST /v2/dst/blobs/uploads/ HTTP' "$E_DIR/registry.log" && break; sleep 0.05; done
sleep 0.2
kill -INT "$pid"
t0=$(date +%s%N)
wait "$pid"
same "SIGINT during a copy with two identities exits 130" "$?" 130
same "... within a second" "$(( ($(date +%s%N) - t0) / 1000000 < 1000 ))" 1
expect 3 "... and the destination has no manifest" "$WINCH" exists --creds writer:writer-pw "$E/dst:slow"

# completion: the side options and their boolean values
comp() { # comp WORD... : what bash completes for the last word, run from $TOP
	(cd "$TOP" && PATH=/usr/bin:/bin bash -c '. completions/winch.bash; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _winch; echo "${COMPREPLY[*]}"' _ "$@")
}
same "bash completes copy's --src- options" "$(comp ./winch copy --src-c)" "--src-creds --src-cert-dir"
same "... --src-tls-verify=" "$(comp ./winch copy --src-tls-verify = '')" "true false"
same "... --dest-plain-http=" "$(comp ./winch push --dest-plain-http = '')" "true false"
same "... and still --tls-verify=" "$(comp ./winch copy --tls-verify = '')" "true false"
