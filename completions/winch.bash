# bash completion for winch: `winch __complete -- WORD...` answers, from the
# winch being completed (./winch or a path as well as winch on PATH).
_winch() {
	local prog=${COMP_WORDS[0]/#\~/$HOME} words=() i w
	# the words up to the cursor, with "--opt=value" glued back (bash splits at "=")
	for ((i = 1; i <= COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [ ${#words[@]} -gt 0 ] && { [ "$w" = "=" ] || [ "${words[${#words[@]}-1]: -1}" = "=" ]; }; then
			words[${#words[@]}-1]+=$w
		else
			words+=("$w")
		fi
	done
	local cur=${words[${#words[@]}-1]}
	local IFS=$'\n'
	COMPREPLY=($(compgen -W "$("$prog" __complete -- "${words[@]}" 2>/dev/null)" -- "$cur"))
	# bash replaces only what follows the "=": --format=j completes to json
	case $cur in --*=*) [[ $COMP_WORDBREAKS == *=* ]] && COMPREPLY=("${COMPREPLY[@]#*=}") ;; esac
}
complete -o default -o nosort -F _winch winch
