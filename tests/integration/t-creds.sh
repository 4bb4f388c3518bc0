#!/bin/bash
# config.json as login and logout write it: concurrent logins each keep their
# entry, a symlinked (even dangling) config.json stays a link, known keys of
# the wrong type are refused, temp files of killed runs go, --authfile must
# exist for reads.  Registries here are tests/tools/v2-ping.py: the /v2/ check
# of N htpasswd registries, each on its own port.  No secret may ever show in
# any output.
. "$(dirname "$0")/lib.sh"

USER_=carol PASS_=s3cret-pw-$$
N_REG=10
exec 9< <(exec python3 "$TOP/tests/tools/v2-ping.py" $N_REG $USER_ "$PASS_")
REG_PIDS="$REG_PIDS $!"
PORTS=()
for i in $(seq $N_REG); do read -r p <&9 && PORTS+=("$p"); done
same "the fake registries are up" "${#PORTS[@]}" $N_REG
CFG=$HOME/.docker/config.json

# every run's output is checked for the secret
secret_free() { # WHAT
	case $OUT$ERR in *"$PASS_"* | *"$(printf %s "$USER_:$PASS_" | base64 -w0)"*) fail "$1: the secret is in the output" ;; *) pass "$1: no secret in the output" ;; esac
}
login() { # PORT [OPTIONS...]
	local p=$1
	shift
	printf '%s\n' "$PASS_" | "$WINCH" login --plain-http -u $USER_ --password-stdin "$@" "127.0.0.1:$p"
}

# ---- concurrent logins and logouts
for p in "${PORTS[@]}"; do login "$p" > "$WORK/login.$p.out" 2> "$WORK/login.$p.err" & done
wait $(jobs -p) 2>/dev/null
OUT=$(cat "$WORK"/login.*.out) ERR=$(cat "$WORK"/login.*.err)
same "$N_REG logins at once: each says it stored" "$(grep -c 'stored in' <<< "$ERR")" $N_REG
secret_free "concurrent logins"
same "... and every entry is in config.json" \
	"$(json "len([k for k in d['auths'] if k.startswith('127.0.0.1:')])" < "$CFG")" $N_REG
same "... mode 0600" "$(stat -c %a "$CFG")" 600
half=("${PORTS[@]:0:5}")
for p in "${half[@]}"; do "$WINCH" logout "127.0.0.1:$p" > /dev/null 2>&1 & done
wait $(jobs -p) 2>/dev/null
same "5 logouts at once remove their 5 entries, and only those" \
	"$(json "sorted(int(k.split(':')[1]) for k in d['auths'])" < "$CFG")" \
	"$(printf '%s\n' "${PORTS[@]:5}" | sort -n | python3 -c 'import sys,json; print(json.dumps([int(l) for l in sys.stdin]))')"
ls -a "$HOME/.docker" > "$WORK/ls"
same "... no temp file is left beside it" "$(grep -c winch-tmp "$WORK/ls")" 0

# ---- temp files of a killed login: those of dead processes go at the next write
dead=$(sh -c 'echo $$')
printf '{"auths":{"x":{"auth":"%s"}}}' "$(printf %s "$USER_:$PASS_" | base64 -w0)" > "$CFG.winch-tmp-$dead-Ab12Cd"
expect 0 "login after a killed one" login "${PORTS[0]}" -vv
secret_free "login"
same "... removes the dead run's temp file (it held credentials)" "$(ls "$CFG".winch-tmp-* 2>/dev/null)" ""

# ---- a dangling symlink: login creates its target, the link stays
rm -rf "$HOME/.docker" "$HOME/dotfiles"
mkdir -p "$HOME/.docker"
ln -s ../dotfiles/docker/config.json "$CFG"
expect 0 "login through a dangling config.json symlink" login "${PORTS[0]}"
secret_free "login through a dangling config.json symlink"
same "... config.json is still a symlink" "$([ -L "$CFG" ] && echo link)" link
same "... its target holds the entry" "$(json "list(d['auths'])" < "$HOME/dotfiles/docker/config.json")" "[\"127.0.0.1:${PORTS[0]}\"]"
expect 0 "logout through it" "$WINCH" logout "127.0.0.1:${PORTS[0]}"
secret_free "logout through it"
same "... still a symlink" "$([ -L "$CFG" ] && echo link)" link

# ---- known keys of the wrong type: refused, naming the key and the file
rm -rf "$HOME/.docker" "$HOME/dotfiles"
mkdir -p "$HOME/.docker"
echo '{"auths":"oops","psFormat":"table"}' > "$CFG"
expect 1 "login refuses a config.json whose auths is not an object" login "${PORTS[0]}"
secret_free "login refuses a config.json whose auths is not an object"
contains "... naming the key" "$ERR" '"auths" is a string, not an object'
contains "... and the file" "$ERR" "$CFG"
same "... the file is as it was" "$(cat "$CFG")" '{"auths":"oops","psFormat":"table"}'
echo '{"credHelpers":["wntest"]}' > "$CFG"
expect 1 "logout refuses a config.json whose credHelpers is not an object" "$WINCH" logout "127.0.0.1:${PORTS[0]}"
secret_free "logout refuses a config.json whose credHelpers is not an object"
contains "... naming it" "$ERR" '"credHelpers" is an array, not an object'

# ---- --authfile: must exist for reads; login creates it
rm -f "$CFG"
expect 2 "--authfile that does not exist, for a read" "$WINCH" digest --plain-http --authfile "$WORK/nope.json" "127.0.0.1:${PORTS[0]}/app:v1"
secret_free "--authfile that does not exist, for a read"
contains "... names the file" "$ERR" "$WORK/nope.json"
contains "... and why" "$ERR" "No such file or directory"
expect 0 "login --authfile creates it" login "${PORTS[1]}" --authfile "$WORK/new/auth.json"
secret_free "login --authfile"
same "... with the entry" "$(json "list(d['auths'])" < "$WORK/new/auth.json")" "[\"127.0.0.1:${PORTS[1]}\"]"
expect 0 "logout --authfile of a missing file: not logged in" "$WINCH" logout --authfile "$WORK/nope.json" "127.0.0.1:${PORTS[1]}"
secret_free "logout --authfile of a missing file: not logged in"
contains "... says so" "$ERR" "not logged in"

# ---- login -q, login --creds, logout -h
expect 0 "login -q" sh -c "printf '%s\n' '$PASS_' | '$WINCH' login -q --plain-http -u $USER_ --password-stdin 127.0.0.1:${PORTS[2]}"
same "... prints nothing, not even Login Succeeded" "$OUT$ERR" ""
expect 0 "login --creds USER:PASS logs in with them" "$WINCH" login --plain-http --creds "$USER_:$PASS_" "127.0.0.1:${PORTS[3]}"
contains "... Login Succeeded" "$OUT" "Login Succeeded"
contains "... warning that the password is visible" "$ERR" "the password of --creds is visible"
secret_free "login --creds"
same "... stores them" "$(json "d['auths']['127.0.0.1:${PORTS[3]}']['auth']" < "$CFG")" "$(printf %s "$USER_:$PASS_" | base64 -w0)"
expect 4 "login --creds with a wrong password is rejected, not ignored" "$WINCH" login --plain-http --creds "$USER_:wrong" "127.0.0.1:${PORTS[4]}"
expect 2 "login --creds with --username is a usage error" "$WINCH" login --plain-http --creds "$USER_:$PASS_" -u $USER_ "127.0.0.1:${PORTS[4]}"
contains "... saying why" "$ERR" "mutually exclusive"
expect 0 "login --creds USER with --password-stdin" sh -c "printf '%s\n' '$PASS_' | '$WINCH' login --plain-http --creds $USER_ --password-stdin 127.0.0.1:${PORTS[4]}"
secret_free "login --creds USER with --password-stdin"
expect 0 "logout -h" "$WINCH" logout -h
contains "... lists --authfile" "$OUT" "--authfile"
for o in --creds --tls-verify --plain-http --cert-dir; do
	lacks "... not $o, which logout does not use" "$OUT" "$o"
done
expect 2 "logout refuses --creds" "$WINCH" logout --creds "$USER_:$PASS_" "127.0.0.1:${PORTS[3]}"
