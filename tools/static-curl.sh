#!/bin/sh
# tools/static-curl.sh [DIR]: builds a trimmed static libcurl for `make STATIC_CURL=1` (issue 16,
# item 3: start-up). Source: Debian's own `curl` source package (`apt-get source curl`, the same
# version and patches as the system libcurl), configured with only HTTP and HTTPS through OpenSSL
# (and zlib for Content-Encoding), none of the protocols and libraries winch never uses (no
# FTP/LDAP/SMB/..., no libpsl, libidn2, librtmp, libssh, brotli, zstd, nghttp2, GSSAPI), installed
# into DIR (default build/curl-static under the source tree, git-ignored). OpenSSL and zlib stay
# shared: distributions update them for security fixes. The CA bundle and directory are Debian's
# (as its libcurl is configured). Without nghttp2, WINCH_HTTP2=1 has no
# effect in this build (HTTP/1.1 is winch's default anyway).
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:-$TOP/build/curl-static}
SRC=$TOP/build/curl-src
[ -f "$DIR/lib/libcurl.a" ] && { echo "static-curl: $DIR/lib/libcurl.a is already built"; exit 0; }
mkdir -p "$SRC"
if ! ls -d "$SRC"/curl-*/ > /dev/null 2>&1; then
	(cd "$SRC" && apt-get source curl)
fi
cd "$(ls -d "$SRC"/curl-*/ | head -n 1)"
./configure --prefix="$DIR" --disable-shared --enable-static --with-pic \
	--with-openssl --with-zlib --enable-http --enable-proxy --enable-ipv6 --enable-threaded-resolver \
	--disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp --disable-dict \
	--disable-telnet --disable-tftp --disable-pop3 --disable-imap --disable-smb --disable-smtp \
	--disable-gopher --disable-mqtt --disable-manual --disable-ntlm --disable-ntlm-wb --disable-kerberos-auth \
	--disable-negotiate-auth --disable-aws --disable-dict --disable-unix-sockets --disable-cookies \
	--disable-netrc --disable-progress-meter --disable-doh --disable-mime --disable-socketpair \
	--without-libpsl --without-libidn2 --without-librtmp --without-libssh2 --without-libssh \
	--without-wolfssh --without-brotli --without-zstd --without-nghttp2 --without-nghttp3 \
	--without-ngtcp2 --without-quiche --without-msh3 --without-gssapi --without-libgsasl --without-hyper \
	--with-ca-bundle=/etc/ssl/certs/ca-certificates.crt --with-ca-path=/etc/ssl/certs > configure.log 2>&1 || { tail -n 30 configure.log; exit 1; }
make -j"$(nproc)" -C lib > make.log 2>&1 || { tail -n 30 make.log; exit 1; }
make -C lib install > /dev/null && make -C include install > /dev/null
install -d "$DIR/lib/pkgconfig" && install -m 644 libcurl.pc "$DIR/lib/pkgconfig/libcurl.pc"
echo "static-curl: built $DIR/lib/libcurl.a"
