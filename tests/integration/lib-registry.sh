# lib-registry.sh: starts Debian's docker-registry on 127.0.0.1 on a free port.
#   reg_start MODE      MODE: plain | basic | tls | token   (REG_DELETE=false: deletion disabled)
# sets: REG (host:port), REG_DIR, REG_MODE, REG_USER/REG_PASS (basic, token),
#       REG_CA (tls), SKOPEO_DEST/SKOPEO_SRC/SKOPEO_RD (skopeo flags for this registry as copy
#       destination, copy source, and inspect/list-tags),
#       TOKEN_LOG (token: one line per token request)
# Everything is stopped by reg_stop_all (the test library's EXIT trap calls it);
# reg_cleanup (also in the trap) then removes the registries' directories.

REG_PIDS=""
REG_DIRS=""

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_port() { # host port [pid]
	i=0
	while ! (exec 3<>/dev/tcp/$1/$2) 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 300 ] || { [ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null; }; then
			echo "# $1:$2 did not come up" >&2
			return 1
		fi
		sleep 0.05
	done
}

# A CA and a certificate for 127.0.0.1 and localhost signed by it.
make_certs() { # dir
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=winch test CA" \
		-keyout "$1/ca.key" -out "$1/ca.crt" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$1/server.key" -out "$1/server.csr" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' > "$1/ext.cnf"
	openssl x509 -req -in "$1/server.csr" -CA "$1/ca.crt" -CAkey "$1/ca.key" -CAcreateserial -days 2 \
		-extfile "$1/ext.cnf" -out "$1/server.crt" 2>/dev/null
}

reg_start() {
	REG_MODE=$1
	REG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/winch-reg.XXXXXX")
	REG_DIRS="$REG_DIRS $REG_DIR"
	port=$(free_port)
	REG=127.0.0.1:$port
	REG_USER=alice
	REG_PASS=wonderland-$$
	REG_CA=
	TOKEN_LOG=
	SKOPEO_DEST="--dest-tls-verify=false"
	SKOPEO_RD="--tls-verify=false"
	SKOPEO_SRC="--src-tls-verify=false"
	auth=""
	tls=""
	case $REG_MODE in
	plain) ;;
	basic)
		htpasswd -Bbn -C 5 "$REG_USER" "$REG_PASS" > "$REG_DIR/htpasswd" 2>/dev/null
		auth="auth:
  htpasswd:
    realm: winch-test
    path: $REG_DIR/htpasswd"
		SKOPEO_DEST="$SKOPEO_DEST --dest-creds=$REG_USER:$REG_PASS"
		SKOPEO_RD="$SKOPEO_RD --creds=$REG_USER:$REG_PASS"
		SKOPEO_SRC="$SKOPEO_SRC --src-creds=$REG_USER:$REG_PASS"
		;;
	tls)
		make_certs "$REG_DIR"
		REG_CA=$REG_DIR/ca.crt
		mkdir -p "$REG_DIR/certs"
		cp "$REG_CA" "$REG_DIR/certs/ca.crt"
		tls="  tls:
    certificate: $REG_DIR/server.crt
    key: $REG_DIR/server.key"
		SKOPEO_DEST="--dest-cert-dir=$REG_DIR/certs"
		SKOPEO_RD="--cert-dir=$REG_DIR/certs"
		SKOPEO_SRC="--src-cert-dir=$REG_DIR/certs"
		;;
	token)
		tport=$(free_port)
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=winch token signer" \
			-keyout "$REG_DIR/token.key" -out "$REG_DIR/token.crt" 2>/dev/null
		printf '%s:%s:*\nreader:reader-pw:pull\n' "$REG_USER" "$REG_PASS" > "$REG_DIR/users"
		TOKEN_LOG=$REG_DIR/token.log
		: > "$TOKEN_LOG"
		python3 "$TOP/tests/tools/token-server.py" --port "$tport" --key "$REG_DIR/token.key" \
			--cert "$REG_DIR/token.crt" --users "$REG_DIR/users" --log "$TOKEN_LOG" ${TOKEN_ANON:+--anon-pull} \
			> "$REG_DIR/token-server.out" 2>&1 &
		REG_PIDS="$REG_PIDS $!"
		wait_port 127.0.0.1 "$tport" || return 1
		auth="auth:
  token:
    realm: http://127.0.0.1:$tport/token
    service: winch-test
    issuer: winch-test-issuer
    rootcertbundle: $REG_DIR/token.crt"
		SKOPEO_DEST="$SKOPEO_DEST --dest-creds=$REG_USER:$REG_PASS"
		SKOPEO_RD="$SKOPEO_RD --creds=$REG_USER:$REG_PASS"
		SKOPEO_SRC="$SKOPEO_SRC --src-creds=$REG_USER:$REG_PASS"
		;;
	*) echo "reg_start: unknown mode $REG_MODE" >&2; return 1 ;;
	esac
	cat > "$REG_DIR/config.yml" <<YML
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $REG_DIR/data
  delete:
    enabled: ${REG_DELETE:-true}
http:
  addr: $REG
$tls
$auth
YML
	docker-registry serve "$REG_DIR/config.yml" > "$REG_DIR/registry.log" 2>&1 &
	REG_PID=$!
	REG_PIDS="$REG_PIDS $REG_PID"
	wait_port 127.0.0.1 "$port" "$REG_PID"
}

reg_stop_all() {
	for p in $REG_PIDS; do kill "$p" 2>/dev/null; done
	for p in $REG_PIDS; do wait "$p" 2>/dev/null; done
	REG_PIDS=""
}

# Removes every registry directory this script made (the data of a stopped
# registry is not needed again: a script that restarts one seeds it anew).
reg_cleanup() {
	reg_stop_all
	for d in $REG_DIRS; do rm -rf "$d"; done
	REG_DIRS=""
}

# Flags winch needs for the current registry (TLS trust); credentials come from the caller.
winch_reg_flags() {
	case $REG_MODE in
	tls) echo "--cert-dir $REG_DIR/certs" ;;
	*) echo "" ;;
	esac
}

# seed OCI_DIR TAG REPO:TAG [SKOPEO FLAGS] — pushes a layout made by mkimage.py with skopeo.
seed() {
	d=$1 t=$2 r=$3
	shift 3
	skopeo copy -q --all $SKOPEO_DEST "$@" "oci:$d:$t" "docker://$REG/$r" >/dev/null
}
