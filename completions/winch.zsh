#compdef winch
# zsh completion for winch
_winch() {
	if (( CURRENT == 2 )); then
		compadd -- ${(f)"$(winch __complete commands 2>/dev/null)"}
	elif [[ $PREFIX == -* ]]; then
		compadd -- ${(f)"$(winch __complete options $words[2] 2>/dev/null)"}
	elif [[ $words[2] == completion ]]; then
		compadd bash zsh fish
	else
		_files
	fi
}
compdef _winch winch
