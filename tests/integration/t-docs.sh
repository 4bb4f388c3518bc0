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
