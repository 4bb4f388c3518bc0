#compdef winch
# zsh completion for winch: `winch __complete -- WORD...` answers, from the
# winch being completed (./winch or a path as well as winch on PATH).
_winch() {
	local -a cands
	cands=(${(f)"$(${~words[1]} __complete -- "${(@)words[2,CURRENT]}" 2>/dev/null)"})
	if (( ${#cands} )); then
		compadd -Q -- $cands
	else
		_files
	fi
}
compdef _winch winch
