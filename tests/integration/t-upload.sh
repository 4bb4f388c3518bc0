#!/bin/bash
# Uploads that every registry takes (issue 12, Build 2), through the registry personalities
# (tests/tools/registry-front.py): a blob above 32 MiB and a small image pushed to each one, by
# default in one request per blob; chunks only where they are asked for and taken; and what a
# registry with no telling name teaches by its answers (a 413/416 size cap, a refused chunk, a
# Range that does not advance, OCI-Chunk-Min-Length), kept for the rest of the run.
# Every assertion reads the front's log (one line per request: method, path, status, body size,
# Content-Range).
. "$(dirname "$0")/lib.sh"

IMG=$WORK/img
mk() { python3 "$TOP/tests/tools/mkimage.py" "$IMG" "$@" > /dev/null; }
mk big --size $((33 << 20)) --seed 33                 # one 33 MiB layer: above the old 32 MiB chunk size
mk mid --layers 2 --size $((9 << 20)) --seed 9        # two 9 MiB layers: the second uses what the first taught
mk small --layers 2 --size 60000 --seed 3
reg_start plain
SRC=$REG
"$WINCH" push -q "oci:$IMG:big" "$SRC/big:v1" && "$WINCH" push -q "oci:$IMG:mid" "$SRC/mid:v1" ||
	fail "the source registry is seeded"
BIG=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(max(m["layers"], key=lambda l: l["size"])["size"])' \
	"$IMG/blobs/sha256/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"][7:])' "$IMG/index.json")")
[ "$BIG" -gt $((32 << 20)) ] && pass "the big layer is above 32 MiB ($BIG bytes)" || fail "the big layer is above 32 MiB" "$BIG"
MiB4=$((4 << 20))

# ups REPO: what the uploads to REPO looked like, from the front's log, as JSON:
#   patches, chunks (sizes of PATCHes with Content-Range or after a session's first PATCH;
#   ok_chunks: those answered 2xx),
#   streams (sizes of PATCHes alone in their session without Content-Range), ranges (every
#   Content-Range sent), status ("PATCH 201": n, ...), deletes (uploads cancelled: DELETEs answered
#   2xx), posts (sessions opened)
ups() {
	python3 - "$FRONT_LOG" "$1" <<'PY'
import json, re, sys
sess, out = {}, {"patches": 0, "chunks": [], "ok_chunks": [], "streams": [], "ranges": [], "status": {}, "deletes": 0, "posts": 0}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 7 or "@" in f[0]:
        continue
    m = re.match(r"^/v2/(.+?)/blobs/uploads/([^/?]*)", f[2])
    if not m or m.group(1) != sys.argv[2]:
        continue
    method, st, n, rg = f[1], f[4][7:], int(f[5][6:]), f[6][6:]
    key = "%s %s" % (method, st)
    out["status"][key] = out["status"].get(key, 0) + 1
    out["posts"] += method == "POST"
    out["deletes"] += method == "DELETE" and st.startswith("2")
    if method == "PATCH":
        out["patches"] += 1
        sess.setdefault(m.group(2), []).append((n, rg, st))
        if rg != "-":
            out["ranges"].append(rg)
for s in sess.values():
    if len(s) == 1 and s[0][1] == "-":
        out["streams"].append(s[0][0])
    else:
        out["chunks"] += [n for n, _, _ in s]
        out["ok_chunks"] += [n for n, _, st in s if st.startswith("2")]
print(json.dumps(out))
PY
}
q() { printf '%s' "$U" | json "$1"; }   # q EXPR: a field of the last ups
SRC_BIG=$("$WINCH" digest "$SRC/big:v1") SRC_MID=$("$WINCH" digest "$SRC/mid:v1")

# ---- every personality, recognised by name: the default upload, and chunks where asked for ----
for p in hub ghcr ecr gar gcr acr quay harbor; do
	front_start "$p" || { fail "$p: the front started"; continue; }
	case $p in hub | ghcr) ns=alice ;; quay | harbor) ns=winch ;; *) ns=w ;; esac
	W() { env WINCH_REGISTRY_VENDOR="$FRONT=$p" "$WINCH" --creds "$FRONT_USER:$FRONT_PASS" "$@"; }
	expect 0 "$p: a 33 MiB layer copied from a plain registry" W copy "$SRC/big:v1" "$FRONT/$ns/big:v1"
	same "... the image is the source's" "$(W digest "$FRONT/$ns/big:v1")" "$SRC_BIG"
	expect 0 "$p: a small image pushed from an oci: layout" W push "oci:$IMG:small" "$FRONT/$ns/small:v1"
	U=$(ups "$ns/big")
	same "... the big layer went in one streamed PATCH, no chunk" "$(q '[len(d["chunks"]), len(d["streams"]), d["streams"][0] if d["streams"] else 0]')" "[0, 1, $BIG]"
	case $p in
	ghcr)
		# GHCR refuses chunks over 4 MiB (416), and takes one streamed PATCH of any size
		expect 0 "ghcr: --chunk-size 8M pushes from a layout" W push --chunk-size 8M "oci:$IMG:big" "$FRONT/alice/chunked:v1"
		U=$(ups alice/chunked)
		same "... in chunks, never one over 4 MiB" "$(q "[len(d['chunks']) > 1, max(d['chunks']) <= $MiB4]")" "[true, true]"
		same "... no chunk refused" "$(q 'd["status"].get("PATCH 416", 0)')" 0
		;;
	gar | gcr)
		# Artifact Registry takes no chunked upload at all
		expect 0 "$p: --chunk-size 8M pushes from a layout" W push --chunk-size 8M "oci:$IMG:big" "$FRONT/w/chunked:v1"
		U=$(ups w/chunked)
		same "... and the registry never sees a chunk (one PATCH, no Content-Range)" "$(q '[d["chunks"], len(d["streams"]), d["ranges"]]')" "[[], 1, []]"
		;;
	ecr)
		contains "ecr: the PATCH answered 201 was taken (the copy went through)" "$(q 'd["status"]')" '"PATCH 201": 1'
		# parts of at least 5 MiB but the last; the Range that sticks is not taken for lost bytes
		expect 0 "ecr: --chunk-size 1M pushes from a layout" W push --chunk-size 1M "oci:$IMG:big" "$FRONT/w/chunked:v1"
		U=$(ups w/chunked)
		same "... in chunks of at least 5 MiB but the last, each answered 201" \
			"$(q "[len(d['chunks']) > 1, min(d['chunks'][:-1]) >= 5 << 20, d['status'].get('PATCH 201')== len(d['chunks'])]")" "[true, true, true]"
		same "... one session per blob (the layer, the config), none started again" "$(q '[d["posts"], d["deletes"]]')" "[2, 0]"
		;;
	acr)
		# ACR refuses Content-Range "bytes 0-N/*": chunks carry the spec's "0-N"
		expect 0 "acr: --chunk-size 8M pushes from a layout" W push --chunk-size 8M "oci:$IMG:big" "$FRONT/w/chunked:v1"
		U=$(ups w/chunked)
		same "... in chunks whose Content-Range is START-END, never bytes or /*" \
			"$(q "[len(d['chunks']) > 1, all(__import__('re').match(r'^[0-9]+-[0-9]+\$', r) for r in d['ranges']), len(d['ranges']) == len(d['chunks'])]")" "[true, true, true]"
		lacks "... (no /* in the log)" "$(grep ' PATCH ' "$FRONT_LOG")" '/*'
		;;
	esac
	eval "F_$p=\$FRONT F_${p}_CREDS=\$FRONT_USER:\$FRONT_PASS F_${p}_LOG=\$FRONT_LOG F_${p}_DIR=\$REG_DIR F_${p}_REG=\$REG"
done

# ---- the same registries with no telling name (self-hosted, behind a proxy): learned from answers ----
use() { # NAME: talk to that personality again, unnamed
	eval "FRONT=\$F_$1 CREDS=\$F_${1}_CREDS FRONT_LOG=\$F_${1}_LOG UPSTREAM=\$F_${1}_REG"
}
A() { env -u WINCH_REGISTRY_VENDOR "$WINCH" -v --creds "$CREDS" "$@"; }
layer_sum() { # REPO: sha256 of both mid layers as the registry behind the front serves them
	for d in $(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(" ".join(l["digest"] for l in m["layers"]))' \
		"$IMG/blobs/sha256/$(skopeo inspect --raw --tls-verify=false "docker://$SRC/mid:v1" | sha256sum | cut -d' ' -f1)"); do
		[ "sha256:$(curl -s "http://$UPSTREAM/v2/$1/blobs/$d" | sha256sum | cut -d' ' -f1)" = "$d" ] && echo ok || echo "bad $d"
	done
}

use ghcr
expect 0 "ghcr unnamed: --chunk-size 8M, two 9 MiB layers, one at a time" A copy -j1 --chunk-size 8M "$SRC/mid:v1" "$FRONT/alice/learn:v1"
U=$(ups alice/learn)
same "... one 416 taught the 4 MiB cap: the second layer never failed" "$(q 'd["status"].get("PATCH 416", 0)')" 1
same "... after it no chunk over 4 MiB" "$(q "[n for n in d['chunks'] if n > $MiB4]")" "[8388608]"
contains "... said so" "$ERR" "at most 4 MiB per chunk from now on"
same "... the image is the source's" "$(A digest "$FRONT/alice/learn:v1" 2>/dev/null)" "$SRC_MID"

use gar
expect 0 "gar unnamed: --chunk-size 8M, two 9 MiB layers" A copy -j1 --chunk-size 8M "$SRC/mid:v1" "$FRONT/w/learn:v1"
U=$(ups w/learn)
same "... its refusal of the first chunk was the only one, each layer then went in one PATCH" \
	"$(q '[d["status"].get("PATCH 400", 0), len(d["streams"]), d["deletes"]]')" "[1, 2, 1]"
contains "... said so" "$ERR" "again in one request"
same "... the image is the source's" "$(A digest "$FRONT/w/learn:v1" 2>/dev/null)" "$SRC_MID"

use ecr
expect 0 "ecr unnamed: --chunk-size 5M, two 9 MiB layers" A copy -j1 --chunk-size 5M "$SRC/mid:v1" "$FRONT/w/learn:v1"
U=$(ups w/learn)
same "... the Range stuck after the 2nd PATCH: that blob started again once, the next went whole" \
	"$(q '[len(d["chunks"]), len(d["streams"]), d["deletes"]]')" "[2, 2, 1]"
contains "... said so" "$ERR" "sending sha256:"
same "... the image is the source's" "$(A digest "$FRONT/w/learn:v1" 2>/dev/null)" "$SRC_MID"
same "... and the layers the registry holds hash to their digests" "$(layer_sum w/learn | sort -u)" ok

# a proxy's body limit (413, no size stated) and OCI-Chunk-Min-Length, on a registry with no quirk
front_start plain || fail "plain: the front started"
CREDS=x:y UPSTREAM=$REG
front_state '{"body_max": 4194304}' > /dev/null
expect 0 "a 413 (4 MiB proxy limit), no --chunk-size: two 9 MiB layers" A copy -j1 "$SRC/mid:v1" "$FRONT/w/cap:v1"
U=$(ups w/cap)
same "... two 413s taught the cap (9 MiB, then 8 MiB refused); the second layer never failed" \
	"$(q '[d["status"].get("PUT 413", 0) + d["status"].get("PATCH 413", 0), max(d["ok_chunks"])]')" "[2, $MiB4]"
same "... the image is the source's" "$(A digest "$FRONT/w/cap:v1" 2>/dev/null)" "$SRC_MID"
same "... and the layers hash to their digests" "$(layer_sum w/cap | sort -u)" ok
front_state '{"body_max": 0, "chunk_min_header": 6291456}' > /dev/null
expect 0 "OCI-Chunk-Min-Length 6 MiB with --chunk-size 1M" A copy -j1 --chunk-size 1M "$SRC/mid:v1" "$FRONT/w/min:v1"
U=$(ups w/min)
same "... every chunk but each blob's last is at least 6 MiB, none refused" \
	"$(q '[len(d["chunks"]), sorted(d["chunks"])[-2:] == [6291456, 6291456], d["status"].get("PUT 400", 0)]')" "[4, true, 0]"
reg_stop_all
