#!/bin/bash
# oci-archive:FILE[:TAG]: round trips with the registry and skopeo, and
# hostile archives refused with nothing written anywhere.
. "$(dirname "$0")/lib.sh"

IMG=$WORK/img
python3 "$TOP/tests/tools/mkimage.py" "$IMG" multi --platforms linux/amd64,linux/arm64 --layers 2 --size 100000 > /dev/null
reg_start plain || fail "registry started"
seed "$IMG" multi app:multi || fail "seeded"
rd() { skopeo inspect --raw --tls-verify=false "docker://$REG/$1" | sha256sum | cut -d' ' -f1; }
export TMPDIR=$WORK/tmp
mkdir -p "$TMPDIR"

expect 0 "pull into an oci-archive" "$WINCH" pull "$REG/app:multi" "oci-archive:$WORK/app.tar:multi"
expect 0 "... skopeo reads it" skopeo inspect "oci-archive:$WORK/app.tar:multi"
same "... with the registry's digest" "$(skopeo inspect --raw "oci-archive:$WORK/app.tar:multi" | sha256sum | cut -d' ' -f1)" "$(rd app:multi)"
expect 0 "push it back" "$WINCH" push "oci-archive:$WORK/app.tar:multi" "$REG/back:multi"
same "... digest kept" "$(rd back:multi)" "$(rd app:multi)"
skopeo copy -q --all --src-tls-verify=false "docker://$REG/app:multi" "oci-archive:$WORK/sk.tar:m"
expect 0 "push an archive skopeo wrote" "$WINCH" push "oci-archive:$WORK/sk.tar:m" "$REG/fromsk:m"
same "... digest kept" "$(rd fromsk:m)" "$(rd app:multi)"
expect 0 "copy an archive to a layout" "$WINCH" copy "oci-archive:$WORK/app.tar:multi" "oci:$WORK/lay:m"
same "... no temporary directory is left behind" "$(ls "$TMPDIR" | wc -l)" 0
expect 3 "an archive that does not exist" "$WINCH" push "oci-archive:$WORK/nope.tar:x" "$REG/x:y"

# a failed pull leaves an existing archive as it was
before=$(sha256sum < "$WORK/app.tar")
expect 3 "pulling a missing tag onto an existing archive fails" "$WINCH" pull "$REG/app:nope" "oci-archive:$WORK/app.tar:x"
same "... and the archive is unchanged" "$(sha256sum < "$WORK/app.tar")" "$before"

# hostile archives: refused, nothing written, nothing left
for kind in traversal absolute symlink hardlink truncated truncated-mid; do
	python3 "$TOP/tests/tools/evil-tar.py" "${kind%-mid}" "$WORK/evil-$kind.tar" "$WORK/lay"
	expect 7 "a $kind archive is refused" "$WINCH" push "oci-archive:$WORK/evil-$kind.tar" "$REG/evil:$kind"
	contains "... saying why" "$ERR" "refused"
	same "... leaving no temporary directory" "$(ls "$TMPDIR" | wc -l)" 0
	expect 3 "... and the registry got nothing" "$WINCH" exists "$REG/evil:$kind"
done 2>/dev/null
same "no file escaped the unpacking" "$(ls "$WORK/escaped" /tmp/winch-evil-absolute 2>/dev/null | wc -l)" 0

# a blob whose bytes do not match its digest
mkdir -p "$WORK/bad" && tar -xf "$WORK/app.tar" -C "$WORK/bad"
layer=$(skopeo inspect --raw "oci:$WORK/bad:multi" | json "d['manifests'][0]['digest']")
first=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['layers'][0]['digest'].split(':')[1])" "$WORK/bad/blobs/sha256/${layer#sha256:}")
printf 'garbage' >> "$WORK/bad/blobs/sha256/$first"
tar -cf "$WORK/bad.tar" -C "$WORK/bad" .
expect 7 "an archive with a wrong layer digest is refused" "$WINCH" push "oci-archive:$WORK/bad.tar:multi" "$REG/bad:multi"
contains "... naming the blob" "$ERR" "$first"
expect 3 "... and the registry has no manifest" "$WINCH" exists "$REG/bad:multi"

# an archive is not unpacked whole: only what index.json's images need, at the sizes they declare (issue 9, item 11)
for ext in tar tar.gz; do
	python3 "$TOP/tests/tools/evil-tar.py" bloat "$WORK/bloat.$ext" "$IMG" 100
	# a run that wrote the 100 MiB nobody references would die of SIGXFSZ past 50 MiB
	run bash -c 'ulimit -f 51200; exec "$@"' _ "$WINCH" -v push "oci-archive:$WORK/bloat.$ext:multi" "$REG/bloat:multi"
	same "an archive ($ext, index.json last) with 100 MiB of unreferenced data is pushed" "$RC" 0
	contains "... unpacking only what the image needs" "$ERR" "unpacked"
	same "... under 1 MiB" "$(grep -o 'unpacked [0-9]* bytes' <<< "$ERR" | awk '{print ($2 < 1048576)}')" 1
	same "... the right image" "$(rd bloat:multi)" "$(rd app:multi)"
	same "... no temporary directory left" "$(ls -A "$TMPDIR")" ""
	rm -f "$WORK/bloat.$ext"
done

# a layout may lack blobs it references (image-layout spec): only a copy that needs one fails
mkdir -p "$WORK/part" && tar -xf "$WORK/app.tar" -C "$WORK/part"
arm=$(skopeo inspect --raw "oci:$WORK/part:multi" | json "[m['digest'] for m in d['manifests'] if m['platform']['architecture']=='arm64'][0]")
rm "$WORK/part/blobs/sha256/${arm#sha256:}"
tar -cf "$WORK/part.tar" -C "$WORK/part" .
expect 0 "an archive without one platform's manifest: that platform is not needed for --platform linux/amd64" "$WINCH" push --platform linux/amd64 "oci-archive:$WORK/part.tar:multi" "$REG/part:amd"
expect 3 "... the whole index is" "$WINCH" push "oci-archive:$WORK/part.tar:multi" "$REG/part:all"
contains "... naming the missing manifest" "$ERR" "$arm"
same "... no temporary directory left" "$(ls -A "$TMPDIR")" ""

# a manifest too large for the first pass to keep is read in a pass of its own
python3 "$TOP/tests/tools/evil-image.py" dup-children "$WORK/big-index" 400
tar -cf "$WORK/big-index.tar" -C "$WORK/big-index" .
expect 0 "an oci-archive whose index manifest is over 64 KiB" "$WINCH" -v push "oci-archive:$WORK/big-index.tar:x" "$REG/big-index:x"
contains "... takes three reads of the archive (headers, that manifest, the blobs)" "$ERR" "in 3 reads of the archive"
same "... no temporary directory left" "$(ls -A "$TMPDIR")" ""
