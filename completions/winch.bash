# bash completion for winch
_winch() {
	local cur=${COMP_WORDS[COMP_CWORD]} cmd=${COMP_WORDS[1]}
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "$(winch __complete commands 2>/dev/null)" -- "$cur"))
		return
	fi
	case "$cur" in
	-*) COMPREPLY=($(compgen -W "$(winch __complete options "$cmd" 2>/dev/null)" -- "$cur")) ;;
	*) [ "$cmd" = completion ] && COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")) ;;
	esac
}
complete -o default -F _winch winch
