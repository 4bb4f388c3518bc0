# lib-registry.sh: starts Debian's docker-registry on 127.0.0.1 on a free port.
#   reg_start MODE      MODE: plain | basic | tls | token   (REG_DELETE=false: deletion disabled)
#   front_start NAME                 a registry personality in front of a plain one (below)
#   TOKEN_USERS (token mode): more "user:password:actions" lines for the token server
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
		# TOKEN_USERS: more "user:password:actions" lines (see token-server.py)
		[ -z "${TOKEN_USERS:-}" ] || printf '%s\n' "$TOKEN_USERS" >> "$REG_DIR/users"
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

# [FRONT_KNOBS=JSON] front_start NAME [FRONT ARGS...]: a registry personality
# (tests/tools/registry-front.py and its companion registry-front.md): a plain docker-registry
# (auth off; REG and REG_DIR name it, so `seed` still writes to it directly) behind a front that
# behaves like NAME = hub | ghcr | ecr | gar | gcr | acr | quay | harbor | plain, with its token
# service and a CDN host on 127.0.0.2.
# Sets:
#   FRONT            127.0.0.1:port of the front (what winch talks to)
#   FRONT_NAME       NAME;  FRONT_LOG: one line per request (personality method path auth= status=
#                    bytes= range=);  FRONT_STATE: its knob file (see front_state)
#   FRONT_USER/FRONT_PASS   the personality's login: hub/ghcr alice, ecr AWS + a 12-hour password,
#                    gar/gcr oauth2accesstoken + a 1-hour token, acr the null GUID + an identity
#                    (refresh) token, quay the robot winch+ci, harbor the robot robot$winch+ci
#   FRONT_ADMIN_USER/FRONT_ADMIN_PASS  hub: an unlimited (paying) account; acr: the admin user;
#                    quay: a plain user; harbor: admin (may list the catalog)
#   FRONT_AAD_TOKEN  acr: the AAD token /oauth2/exchange accepts
#   FRONT_TOKEN      127.0.0.2:port of the token host (Hub's realm; any personality's endpoint)
#   FRONT_CDN        127.0.0.2:port of the CDN host (signed blob URLs) and of "github.com"
#   FRONT_HELPER     a directory with docker-credential-front, a credential helper that asks the
#                    front for its current password (prepend it to PATH)
#   FRONT_API        127.0.0.2:port of the personality's vendor API (hub.docker.com, api.github.com,
#                    the ECR API; Harbor's is on FRONT itself, under /api/v2.0): front_vendors.py
#   FRONT_AWS_KEY/FRONT_AWS_SECRET/FRONT_AWS_REGION  the AWS credentials the ECR API accepts
#   FRONT_SKOPEO_DEST/FRONT_SKOPEO_SRC/FRONT_SKOPEO_RD  skopeo flags with FRONT_USER's credentials
# FRONT_KNOBS (JSON, default {}) are the knobs it starts with (e.g. '{"password_lifetime": 2}').
# Stopped with the registries (reg_stop_all); reg_cleanup removes everything.
front_start() {
	FRONT_NAME=$1
	shift
	reg_start plain || return 1
	_fport=$(free_port)
	FRONT_TOKEN=127.0.0.2:$(free_port2)
	FRONT_CDN=127.0.0.2:$(free_port2)
	FRONT_API=127.0.0.2:$(free_port2)
	FRONT_AWS_KEY=AKIDFRONT$RANDOM FRONT_AWS_SECRET=awssecret$$x$RANDOM FRONT_AWS_REGION=eu-west-1
	FRONT=127.0.0.1:$_fport
	FRONT_LOG=$REG_DIR/front.log
	FRONT_STATE=$REG_DIR/front-state.json
	FRONT_HELPER=$REG_DIR/bin
	FRONT_ADMIN_USER= FRONT_ADMIN_PASS= FRONT_AAD_TOKEN=
	: > "$FRONT_LOG"
	printf '%s\n' "${FRONT_KNOBS:-{\}}" > "$FRONT_STATE"
	_fpw=pw$$x$RANDOM
	case $FRONT_NAME in
	hub) FRONT_USER=alice FRONT_PASS=$_fpw FRONT_ADMIN_USER=pro FRONT_ADMIN_PASS=pro$_fpw
		set -- "$@" --user "alice:$_fpw" --user "pro:pro$_fpw:unlimited" ;;
	ghcr) FRONT_USER=alice FRONT_PASS=$_fpw
		set -- "$@" --user "alice:$_fpw" --user "reader:$_fpw-r:pull" ;;
	plain) FRONT_USER=alice FRONT_PASS=$_fpw
		set -- "$@" --user "alice:$_fpw" ;;
	ecr) FRONT_USER=AWS FRONT_PASS=eyJ$_fpw
		set -- "$@" --user "AWS:eyJ$_fpw" ;;
	gar | gcr) FRONT_USER=oauth2accesstoken FRONT_PASS=ya29.$_fpw
		set -- "$@" --user "oauth2accesstoken:ya29.$_fpw" ;;
	acr) FRONT_USER=00000000-0000-0000-0000-000000000000 FRONT_PASS=
		FRONT_ADMIN_USER=winchacr FRONT_ADMIN_PASS=adm$_fpw FRONT_AAD_TOKEN=aad$_fpw
		set -- "$@" --user "winchacr:adm$_fpw" --aad-token "aad$_fpw" ;;
	quay) FRONT_USER=winch+ci FRONT_PASS=robot$_fpw FRONT_ADMIN_USER=alice FRONT_ADMIN_PASS=$_fpw
		set -- "$@" --user "winch+ci:robot$_fpw" --user "alice:$_fpw" ;;
	harbor) FRONT_USER='robot$winch+ci' FRONT_PASS=robot$_fpw FRONT_ADMIN_USER=admin FRONT_ADMIN_PASS=adm$_fpw
		set -- "$@" --user "robot\$winch+ci:robot$_fpw" --user "admin:adm$_fpw:admin" ;;
	*) echo "front_start: unknown personality $FRONT_NAME" >&2; return 1 ;;
	esac
	python3 "$TOP/tests/tools/registry-front.py" --personality "$FRONT_NAME" --port "$_fport" \
		--upstream "$REG" --log "$FRONT_LOG" --token-port "${FRONT_TOKEN#*:}" --cdn-port "${FRONT_CDN#*:}" \
		--storage "$REG_DIR/data" --state "$FRONT_STATE" --api-port "${FRONT_API#*:}" \
		--aws-key "$FRONT_AWS_KEY:$FRONT_AWS_SECRET" --aws-region "$FRONT_AWS_REGION" "$@" > "$REG_DIR/front.out" 2>&1 &
	REG_PIDS="$REG_PIDS $!"
	wait_port 127.0.0.1 "$_fport" $! || { cat "$REG_DIR/front.out" >&2; return 1; }
	if [ "$FRONT_NAME" = acr ]; then
		# the identity token an `az acr login` would hand docker, from the real exchange endpoint
		FRONT_PASS=$(curl -s -d "grant_type=access_token&service=$FRONT&tenant=t&access_token=$FRONT_AAD_TOKEN" \
			"http://$FRONT/oauth2/exchange" | python3 -c 'import json,sys; print(json.load(sys.stdin)["refresh_token"])')
	fi
	mkdir -p "$FRONT_HELPER"
	cat > "$FRONT_HELPER/docker-credential-front" <<SH
#!/bin/sh
# docker-credential-front get: the front's current password, as aws ecr get-login-password or
# gcloud auth print-access-token would give it (other operations do nothing)
[ "\$1" = get ] || exit 0
cat > /dev/null
exec curl -sf "http://$FRONT/_front/credentials"
SH
	chmod +x "$FRONT_HELPER/docker-credential-front"
	FRONT_SKOPEO_DEST="--dest-tls-verify=false --dest-creds=$FRONT_USER:$FRONT_PASS"
	FRONT_SKOPEO_SRC="--src-tls-verify=false --src-creds=$FRONT_USER:$FRONT_PASS"
	FRONT_SKOPEO_RD="--tls-verify=false --creds=$FRONT_USER:$FRONT_PASS"
}

# front_state JSON: merges knobs into the running front (see registry-front.md), prints them.
front_state() {
	curl -sf -d "$1" "http://$FRONT/_front/state"
}

# front_count ERE: how many logged requests match (e.g. front_count ' PATCH .* status=416').
front_count() {
	grep -cE -- "$1" "$FRONT_LOG"
}

free_port2() { # a free port on 127.0.0.2 (the "other host")
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.2",0)); print(s.getsockname()[1]); s.close()'
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
