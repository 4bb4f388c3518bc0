#!/bin/bash
# The docs agree with the binary: man pages name exactly each command's options, the
# exit codes of man/winch.1 are the tool's table, and the completions work.
. "$(dirname "$0")/lib.sh"

python3 "$TOP/tests/tools/mancheck.py" "$WINCH" "$TOP" | sed 's/^\(not \)\{0,1\}ok [0-9]* - /&docs: /' > "$WORK/docs"
while IFS= read -r line; do
	case $line in
	"ok "*) pass "${line#ok * - }" ;;
	"not ok "*) fail "${line#not ok * - }" ;;
	*) echo "$line" ;;
	esac
done < "$WORK/docs"

# bash completion, driven as bash would
mkdir -p "$WORK/bin" && ln -sf "$WINCH" "$WORK/bin/winch"
out=$(PATH=$WORK/bin:$PATH bash -c '. "$1"; COMP_WORDS=(winch li); COMP_CWORD=1; _winch; echo "${COMPREPLY[*]}"' _ "$TOP/completions/winch.bash")
same "bash completes commands" "$out" "list-tags"
out=$(PATH=$WORK/bin:$PATH bash -c '. "$1"; COMP_WORDS=(winch list-tags --so); COMP_CWORD=2; _winch; echo "${COMPREPLY[*]}"' _ "$TOP/completions/winch.bash")
same "bash completes a command's options" "$out" "--sort"

# issue 11: completions complete values and subcommands, and work for ./winch or a path
# (the scripts ask the winch being completed; here no winch is on PATH)
comp() { # comp WORD... : what bash completes for the last word, run from $TOP
	(cd "$TOP" && PATH=/usr/bin:/bin bash -c '. completions/winch.bash; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _winch; echo "${COMPREPLY[*]}"' _ "$@")
}
same "bash completes ./winch's commands" "$(comp ./winch li)" "list-tags"
same "... and a full path's" "$(comp "$WINCH" li)" "list-tags"
same "... --format's values" "$(comp ./winch inspect --format '')" "text json"
same "... --format=VALUE (bash splits at =)" "$(comp ./winch inspect --format = j)" "json"
same "... --sort's values" "$(comp ./winch list-tags --sort '')" "name semver none"
same "... --platform's common values" "$(comp ./winch copy --platform linux/arm)" "linux/arm64 linux/arm64/v8 linux/arm/v7 linux/arm/v6"
same "... --tls-verify=" "$(comp ./winch copy --tls-verify = '')" "true false"
same "... index's subcommands" "$(comp ./winch index '')" "create append"
same "... completion's shells" "$(comp ./winch completion '')" "bash zsh fish"
same "... the command after common options" "$(comp ./winch -v --authfile F lis)" "list-tags"
same "... ratelimit, a command of issue 12" "$(comp ./winch ratel)" "ratelimit"
same "... --no-clobber of copy and tag" "$(comp ./winch copy --no-c) $(comp ./winch tag --no)" "--no-clobber --no-clobber"
same "... options after it" "$(comp ./winch -q --format json list-tags --so)" "--sort"
same "... nothing (file names) for a reference" "$(comp ./winch copy '')" ""
same "pull -h does not list upload options" "$("$WINCH" pull -h | grep -c -- --chunk-size)" 0
contains "push -h names every local location" "$("$WINCH" push -h | head -n 1)" "oci:DIR[:TAG]|oci-archive:FILE[:TAG]|docker-archive:FILE[:REF]"
if command -v fish > /dev/null; then
	same "fish completes ./winch's --sort values" \
		"$(cd "$TOP" && PATH=/usr/bin:/bin fish -c 'source completions/winch.fish; complete -C "./winch list-tags --sort "' | tr '\n' ' ')" "name none semver "
fi

# every library error code maps to a documented exit code, and usage errors are 2
expect 2 "an unknown option is a usage error" "$WINCH" inspect --nope x
contains "... naming the option" "$ERR" "--nope"
expect 2 "a missing argument is a usage error" "$WINCH" inspect
expect 2 "an unknown command is a usage error" "$WINCH" frobnicate
expect 2 "an invalid reference is a usage error" "$WINCH" inspect 'Bad/Name'
contains "... naming what is wrong" "$ERR" "must be lowercase"
same "... in one line" "$(printf '%s\n' "$ERR" | wc -l)" 1
expect 2 "--format takes text or json" "$WINCH" inspect --format yaml x
expect 0 "-h shows the options" "$WINCH" list-tags -h
contains "... including --sort" "$OUT" "--sort"
expect 0 "version" "$WINCH" version
contains "... names libcurl" "$OUT" "libcurl"
