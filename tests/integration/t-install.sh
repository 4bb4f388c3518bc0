#!/bin/bash
# make install puts the binary, both libraries, the header, winch.pc, the man
# pages and the completions in place, and a program builds against them.
. "$(dirname "$0")/lib.sh"

R=$WORK/root
expect 0 "make install DESTDIR=... PREFIX=/usr" make -s -C "$TOP" install DESTDIR="$R" PREFIX=/usr
for f in bin/winch lib/libwinch.a lib/libwinch.so lib/libwinch.so.0 include/winch.h lib/pkgconfig/winch.pc \
	share/man/man1/winch.1 share/man/man1/winch-inspect.1 share/bash-completion/completions/winch \
	share/zsh/vendor-completions/_winch share/fish/vendor_completions.d/winch.fish; do
	if [ -e "$R/usr/$f" ]; then pass "installed $f"; else fail "installed $f"; fi
done
same "the shared library has a soname" "$(objdump -p "$R/usr/lib/libwinch.so" | awk '/SONAME/ {print $2}')" "libwinch.so.0"
same "winch.pc names the version" "$(PKG_CONFIG_PATH=$R/usr/lib/pkgconfig pkg-config --modversion winch)" "0.1.0"
lacks "the shared library exports only the public API" "$(nm -D --defined-only "$R/usr/lib/libwinch.so" | awk '{print $3}' | grep -v '^wn_' | grep -v '^_')" "wn__"

cat > "$WORK/use.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <winch.h>
int main(void)
{
	struct wn_ref *r;
	struct wn_error e;
	if (wn_ref_parse(&r, "ubuntu", WN_REF_DEFAULT_TAG, &e) != WN_OK)
		return 1;
	char *s = wn_ref_string(r);
	puts(s);
	free(s);
	wn_ref_free(r);
	return 0;
}
C
export PKG_CONFIG_PATH=$R/usr/lib/pkgconfig
flags="-I$R/usr/include $(pkg-config --cflags winch)"
expect 0 "a program compiles and links against the shared library" \
	cc $flags "$WORK/use.c" -L"$R/usr/lib" -lwinch -o "$WORK/use"
expect 0 "... and runs" env LD_LIBRARY_PATH="$R/usr/lib" "$WORK/use"
same "... normalising like Docker" "$OUT" "docker.io/library/ubuntu:latest"
expect 0 "a program links the static library (with its dependencies shared)" \
	sh -c "cc $flags '$WORK/use.c' '$R/usr/lib/libwinch.a' \$(pkg-config --libs libcurl libcjson libcrypto libarchive zlib) -o '$WORK/use-static'"
expect 0 "the installed winch runs" "$R/usr/bin/winch" version
