#!/bin/bash
# Faults between winch and the registry (tests/tools/fault-proxy.py): broken
# downloads resume, 429 waits for Retry-After, a dropped upload chunk resumes,
# corrupted bytes never reach the destination, and credentials never follow
# a redirect to another host.
. "$(dirname "$0")/lib.sh"

IMG=$WORK/img
python3 "$TOP/tests/tools/mkimage.py" "$IMG" v1 --layers 3 --size 300000 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$IMG" v2 --layers 2 --size 200000 --seed 4 > /dev/null

reg_start basic || fail "source registry started"
SRC=$REG SRC_DIR=$REG_DIR SRC_RD=$SKOPEO_RD
seed "$IMG" v1 app:v1 && seed "$IMG" v2 app:v2 || fail "seeded"
reg_start plain || fail "destination registry started"
DST=$REG

# the proxy stands in front of the source registry
PPORT=$(free_port) RPORT=$(free_port)
FAULTS=$WORK/faults.json PLOG=$WORK/proxy.log
echo '{}' > "$FAULTS"
: > "$PLOG"
python3 "$TOP/tests/tools/fault-proxy.py" --port "$PPORT" --upstream "$SRC" --faults "$FAULTS" --log "$PLOG" \
	--storage "$SRC_DIR/data" --redirect-port "$RPORT" > "$WORK/proxy.out" 2>&1 &
PROXY_PID=$!
REG_PIDS="$REG_PIDS $PROXY_PID"
wait_port 127.0.0.1 "$PPORT" || fail "proxy started"
P=127.0.0.1:$PPORT
C="--creds $REG_USER:$REG_PASS"
src_digest() { skopeo inspect --raw $SRC_RD "docker://$SRC/app:$1" | sha256sum | cut -d' ' -f1; }
dst_digest() { skopeo inspect --raw --tls-verify=false "docker://$DST/$1" 2>/dev/null | sha256sum | cut -d' ' -f1; }
fault() { echo "$1" > "$FAULTS"; : > "$PLOG"; }
# the proxy forwards the source's basic auth; the destination is open
export WINCH_RETRY_BASE_MS=50

fault '{"cut-blob": 2}'
CRED="alice:$(grep -o 'wonderland-[0-9]*' <<< "$SRC_RD")"
expect 0 "downloads cut mid-blob are resumed" "$WINCH" -v copy --creds "$CRED" "$P/app:v1" "$DST/a:v1"
contains "... with a Range request" "$ERR" "resuming"
same "... and the copy is right" "$(dst_digest a:v1)" "$(src_digest v1)"

fault '{"429": 1}'
start=$(date +%s%N)
expect 0 "429 with Retry-After is waited out" "$WINCH" copy --creds "$CRED" "$P/app:v2" "$DST/b:v2"
same "... for the second it asks" "$(( ($(date +%s%N) - start) / 1000000 >= 1000 ))" 1
same "... and the copy is right" "$(dst_digest b:v2)" "$(src_digest v2)"

fault '{"503": 10}'
expect 6 "503 that does not stop gives up after the retries" "$WINCH" digest --creds "$CRED" "$P/app:v1"
same "... four requests: one and three retries" "$(grep -c . "$PLOG")" 4

fault '{}'
expect 3 "a 404 is not retried" "$WINCH" exists --creds "$CRED" "$P/app:nope"
same "... two requests: the Basic challenge and the answer" "$(grep -c 'manifests/nope' "$PLOG")" 2

fault '{"corrupt-blob": 100}'
expect 7 "corrupted bytes fail the copy" "$WINCH" copy --creds "$CRED" "$P/app:v1" "$DST/bad:v1"
contains "... naming the blob and both digests" "$ERR" "digest mismatch: blob sha256:"
expect 3 "... the destination has no manifest" "$WINCH" exists "$DST/bad:v1"
bad_ok=yes
for d in $(skopeo inspect --raw $SRC_RD "docker://$SRC/app:v1" | json "' '.join(l['digest'] for l in d['layers'])"); do
	code=$(curl -s -o /dev/null -w '%{http_code}' -I "http://$DST/v2/bad/blobs/$d")
	[ "$code" = 404 ] || bad_ok="no: $d is $code"
done
same "... and none of the corrupted blobs" "$bad_ok" yes

# uploads: the proxy stands in front of the destination this time
fault '{}'
kill "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null
python3 "$TOP/tests/tools/fault-proxy.py" --port "$PPORT" --upstream "$DST" --faults "$FAULTS" --log "$PLOG" \
	> "$WORK/proxy2.out" 2>&1 &
REG_PIDS="$REG_PIDS $!"
sleep 0.3
wait_port 127.0.0.1 "$PPORT"
fault '{"drop-patch": 1}'
expect 0 "an upload chunk that breaks is resumed from the registry's offset" \
	"$WINCH" -v copy -j1 --chunk-size 64K --creds "$CRED" "$SRC/app:v1" "$P/c:v1"
contains "... it asked the registry where it was" "$ERR" "resuming at byte"
same "... and the copy is right" "$(dst_digest c:v1)" "$(src_digest v1)"
# distribution 2.8 answers 400 DIGEST_INVALID to a manifest PUT that reads a
# link file another push is rewriting (lib/registry.c): the same PUT again
fault '{"put-race": 2}'
expect 0 "a manifest PUT answered DIGEST_INVALID by the link-file race is sent again" \
	"$WINCH" copy --creds "$CRED" "$SRC/app:v2" "$P/c:v2"
same "... three times" "$(grep -c '^PUT /v2/c/manifests/v2' "$PLOG")" 3
same "... and the copy is right" "$(dst_digest c:v2)" "$(src_digest v2)"
fault '{"put-race": 10}'
expect 7 "... but not for ever" "$WINCH" copy --creds "$CRED" "$SRC/app:v2" "$P/c:v3"
contains "... the registry's answer said" "$ERR" "provided digest did not match uploaded content"
same "... four times in all" "$(grep -c '^PUT /v2/c/manifests/v3' "$PLOG")" 4
reg_stop_all

# a redirect to blob storage on another host gets no credentials
reg_start token || fail "token registry started"
SRC=$REG SRC_DIR=$REG_DIR SRC_RD=$SKOPEO_RD CRED="$REG_USER:$REG_PASS"
seed "$IMG" v1 app:v1
reg_start plain
DST=$REG
python3 "$TOP/tests/tools/fault-proxy.py" --port "$PPORT" --upstream "$SRC" --faults "$FAULTS" --log "$PLOG" \
	--storage "$SRC_DIR/data" --redirect-port "$RPORT" > "$WORK/proxy3.out" 2>&1 &
REG_PIDS="$REG_PIDS $!"
wait_port 127.0.0.1 "$PPORT"
fault '{"redirect-blob": 100}'
expect 0 "blobs redirected to storage on another host are fetched" "$WINCH" -v copy --creds "$CRED" "$P/app:v1" "$DST/r:v1"
same "... and the copy is right" "$(dst_digest r:v1)" "$(src_digest v1)"
same "... the registry got credentials" "$(grep -c '^GET /v2/app/blobs.*auth=yes' "$PLOG")" 4
same "... the storage host never did" "$(grep -c '^STORAGE GET.*auth=yes' "$PLOG")" 0
same "... it was asked for every blob" "$(grep -c '^STORAGE GET' "$PLOG")" 4
lacks "... and its signed URL is not logged" "$ERR" "X-Signature=secret"
