#!/bin/bash
# OCI image layouts (oci:DIR[:TAG]) with pull, push and copy: digests kept,
# skopeo and umoci read what winch writes and the reverse, blobs shared, and
# a failed or killed write leaves the layout exactly as it was.
. "$(dirname "$0")/lib.sh"

IMG=$WORK/img
python3 "$TOP/tests/tools/mkimage.py" "$IMG" multi --platforms linux/amd64,linux/arm64/v8 --layers 2 --size 100000 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$IMG" single --layers 3 --size 200000 --seed 8 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$IMG" big --size 134217728 --seed 9 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$WORK/raw" plain --layer-type tar --seed 10 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$WORK/raw" zstd --layer-type zstd --seed 11 > /dev/null

reg_start plain || fail "registry started"
seed "$IMG" multi app:multi && seed "$IMG" single app:single && seed "$IMG" single app:docker --format v2s2 &&
	seed "$IMG" big app:big || fail "seeded"
rd() { skopeo inspect --raw --tls-verify=false "docker://$REG/$1" | sha256sum | cut -d' ' -f1; }
cd "$WORK"

# round trips
for t in multi single docker; do
	expect 0 "pull $t to a layout" "$WINCH" pull "$REG/app:$t" "oci:$WORK/lay:$t"
	expect 0 "push it back" "$WINCH" push "oci:$WORK/lay:$t" "$REG/back:$t"
	same "... the manifest digest survives the round trip ($t)" "$(rd back:$t)" "$(rd app:$t)"
done
same "three images in one layout share blobs (multi: 4 layers, 2 configs, 3 manifests; single: 5; docker: its manifest)" \
	"$(ls "$WORK/lay/blobs/sha256" | wc -l)" 15
expect 0 "pull with no destination" "$WINCH" pull "$REG/app:single"
same "... makes an OCI layout named after the repository, tagged with the tag" \
	"$(json "[m['annotations']['org.opencontainers.image.ref.name'] for m in d['manifests']]" < "$WORK/app/index.json")" '["single"]'
expect 0 "pull --platform" "$WINCH" pull --platform linux/arm64 "$REG/app:multi" "oci:$WORK/arm:x"
same "... holds that platform's manifest" "sha256:$(skopeo inspect --raw oci:$WORK/arm:x | sha256sum | cut -d' ' -f1)" \
	"$(skopeo inspect --raw --tls-verify=false "docker://$REG/app:multi" | json "[m['digest'] for m in d['manifests'] if m['platform']['architecture']=='arm64'][0]")"

# peers read winch's layouts
expect 0 "skopeo reads winch's layout" skopeo inspect "oci:$WORK/lay:single"
expect 0 "skopeo copies every platform out of it" skopeo copy -q --all "oci:$WORK/lay:multi" "oci:$WORK/sk2:multi"
same "umoci lists winch's tags" "$(umoci ls --layout "$WORK/lay" | sort | tr '\n' ' ')" "docker multi single "
expect 0 "umoci unpacks winch's image" umoci unpack --rootless --image "$WORK/arm:x" "$WORK/bundle"
same "... into the expected files" "$(ls "$WORK/bundle/rootfs" | tr '\n' ' ')" "file0-arm64 file1-arm64 "

# winch reads skopeo's layout
skopeo copy -q --all --src-tls-verify=false "docker://$REG/app:multi" "oci:$WORK/sk:m"
expect 0 "push a layout skopeo wrote" "$WINCH" push "oci:$WORK/sk:m" "$REG/fromsk:m"
same "... digest kept" "$(rd fromsk:m)" "$(rd app:multi)"
expect 0 "oci:DIR without a tag when it holds one image" "$WINCH" push "oci:$WORK/arm" "$REG/notag:x"
expect 2 "oci:DIR without a tag when it holds several is refused" "$WINCH" push "oci:$WORK/lay" "$REG/x:y"
contains "... saying to name one" "$ERR" "name one as oci:"
expect 3 "a tag the layout lacks" "$WINCH" push "oci:$WORK/lay:nope" "$REG/x:y"
expect 3 "a directory that is not there" "$WINCH" push "oci:$WORK/nothere:x" "$REG/x:y"


# layers travel as they are
for t in plain zstd; do
	expect 0 "push a layout whose layers are $t" "$WINCH" push "oci:$WORK/raw:$t" "$REG/raw:$t"
	same "... byte for byte: same manifest digest" "$(rd raw:$t)" "$(skopeo inspect --raw "oci:$WORK/raw:$t" | sha256sum | cut -d' ' -f1)"
done
same "... media types kept" "$("$WINCH" inspect --format json "$REG/raw:zstd" | json "d['layers'][0]['mediaType']")" \
	"application/vnd.oci.image.layer.v1.tar+zstd"

# a tampered blob in a layout is caught before the registry stores it
cp -r "$WORK/lay" "$WORK/tampered"
layer=$(skopeo inspect --raw oci:$WORK/tampered:single | json "d['layers'][1]['digest']")
f="$WORK/tampered/blobs/sha256/${layer#sha256:}"
python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[100]^=1; open(p,'wb').write(b)" "$f"
expect 7 "pushing a layout with a corrupted blob fails" "$WINCH" push "oci:$WORK/tampered:single" "$REG/tampered:single"
contains "... naming the blob" "$ERR" "$layer"
expect 3 "... and the registry has no manifest for it" "$WINCH" exists "$REG/tampered:single"

# a failed copy into an existing layout leaves it exactly as it was
snapshot() { (cd "$1" && find . -type f | sort | xargs sha256sum); }
before=$(snapshot "$WORK/lay")
PPORT=$(free_port)
echo '{"corrupt-blob": 100}' > "$WORK/faults.json"
python3 "$TOP/tests/tools/fault-proxy.py" --port "$PPORT" --upstream "$REG" --faults "$WORK/faults.json" \
	--log "$WORK/proxy.log" > /dev/null 2>&1 &
REG_PIDS="$REG_PIDS $!"
wait_port 127.0.0.1 "$PPORT"
expect 7 "a pull that meets corrupted bytes fails" "$WINCH" pull "127.0.0.1:$PPORT/app:big" "oci:$WORK/lay:big"
same "... and the layout is exactly as before (no blob, no temp file, same index.json)" "$(snapshot "$WORK/lay")" "$before"

# killed mid-pull (keeping no resume journal): the layout still opens and holds what it held; the next write cleans up
"$WINCH" pull -q --no-resume "$REG/app:big" "oci:$WORK/lay:big" &
pid=$!
for _ in $(seq 200); do ls "$WORK/lay/blobs/sha256/" | grep -q winch-tmp && break; sleep 0.01; done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
same "a pull killed mid-blob leaves index.json as it was" "$(snapshot "$WORK/lay" | grep index.json)" "$(printf '%s\n' "$before" | grep index.json)"
expect 0 "... skopeo still reads the layout" skopeo inspect "oci:$WORK/lay:multi"
expect 0 "the next pull into it works" "$WINCH" pull -q "$REG/app:single" "oci:$WORK/lay:again"
same "... and removed the dead pull's temp files" "$(find "$WORK/lay" -name '*winch-tmp*' | wc -l)" 0

# hostile layouts: index.json and manifests name digests, never paths (issue 9, items 1-2)
python3 "$TOP/tests/tools/evil-image.py" index-traversal "$WORK/evil-idx"
expect 7 "a layout whose index.json names \"sha256:../../etc/passwd\" is refused" "$WINCH" push "oci:$WORK/evil-idx:x" "$REG/evil:idx"
contains "... as an invalid digest" "$ERR" "invalid digest"
lacks "... without reading /etc/passwd (its hash is nowhere)" "$ERR" "$(sha256sum < /etc/passwd | cut -d' ' -f1)"
expect 7 "... as a copy source to a layout too" "$WINCH" copy "oci:$WORK/evil-idx:x" "oci:$WORK/evil-out:x"
lacks "... (no hash of /etc/passwd)" "$ERR" "$(sha256sum < /etc/passwd | cut -d' ' -f1)"
python3 "$TOP/tests/tools/evil-image.py" refname-traversal "$WORK/evil-ref"
expect 0 "a ref.name that is no valid tag never becomes a registry tag (--referrers)" "$WINCH" push --referrers "oci:$WORK/evil-ref:x" "$REG/evil:ref"
same "... the registry holds only the tag asked for" "$("$WINCH" list-tags "$REG/evil")" "ref"

# an index listing one child 300 times costs one fetch of it, not 300 (issue 9, item 10)
python3 "$TOP/tests/tools/evil-image.py" dup-children "$WORK/dup" 300
child=$(json "d['manifests'][0]['digest']" < "$WORK/dup/blobs/sha256/$(json "d['manifests'][0]['digest'][7:]" < "$WORK/dup/index.json")")
expect 0 "push an index that lists one child 300 times" "$WINCH" -v push "oci:$WORK/dup:x" "$REG/dup:x"
same "... the child manifest is put once" "$(grep -c "PUT .*/manifests/$child" <<< "$ERR")" 1
expect 0 "pull it back" "$WINCH" -v pull "$REG/dup:x" "oci:$WORK/dup-back:x"
same "... the child manifest is fetched once" "$(grep -c "GET .*/manifests/$child" <<< "$ERR")" 1
same "... and the index arrives byte for byte" "$(json "d['manifests'][0]['digest']" < "$WORK/dup-back/index.json")" \
	"$(json "d['manifests'][0]['digest']" < "$WORK/dup/index.json")"

# concurrent writers of one layout keep every tag: index.json is merged under a lock (issue 10, item 2)
tags_of() { json "' '.join(sorted(m['annotations']['org.opencontainers.image.ref.name'] for m in d['manifests']))" < "$1/index.json"; }
want=""
for round in new existing; do
	pids=""
	for t in a b c d e f g h; do
		"$WINCH" pull -q "$REG/app:single" "oci:$WORK/conc:$round-$t" &
		pids="$pids $!"
		want="$want $round-$t"
	done
	rcs=""
	for p in $pids; do wait "$p"; rcs="$rcs$?"; done
	same "eight pulls at once into a $round layout all succeed" "$rcs" 00000000
	same "... and every tag is in index.json" "$(tags_of "$WORK/conc")" "$(echo $want | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
done
expect 0 "... skopeo reads the result" skopeo inspect "oci:$WORK/conc:existing-h"
same "... no temporary file is left" "$(find "$WORK/conc" -name '*winch-tmp*' | wc -l)" 0

# a failed copy into a new directory leaves nothing behind; into an existing one, the layout as it was (issue 10 item 4, issue 11)
expect 3 "a pull of a missing tag into a new directory fails" "$WINCH" pull "$REG/app:nope" "oci:$WORK/new/deeper:x"
same "... and leaves no directory" "$(ls "$WORK/new" 2>&1 >/dev/null | grep -c 'No such file')" 1
mkdir "$WORK/empty"
expect 3 "... into an empty directory" "$WINCH" pull "$REG/app:nope" "oci:$WORK/empty:x"
same "... leaves it empty" "$(ls -A "$WORK/empty")" ""
expect 7 "a pull that meets corrupted bytes into a new directory fails" "$WINCH" pull "127.0.0.1:$PPORT/app:single" "oci:$WORK/new2:x"
same "... and leaves no directory" "$(ls -d "$WORK/new2" 2>/dev/null)" ""

# a blob that is a symbolic link is not followed: its target's bytes would be hashed and sent on
python3 "$TOP/tests/tools/evil-image.py" blob-symlink "$WORK/evil-link"
expect 7 "a layout whose layer blob is a symbolic link to /etc/passwd is refused" "$WINCH" push "oci:$WORK/evil-link:x" "$REG/evil:link"
contains "... saying so" "$ERR" "is a symbolic link"
lacks "... without reading /etc/passwd" "$ERR" "$(sha256sum < /etc/passwd | cut -d' ' -f1)"
