# fish completion for winch
function __winch_options
	set -l cmd (commandline -opc)[2]
	winch __complete options $cmd 2>/dev/null
end
complete -c winch -f -n '__fish_use_subcommand' -a '(winch __complete commands 2>/dev/null)'
complete -c winch -f -n 'not __fish_use_subcommand; and string match -q -- "-*" (commandline -ct)' -a '(__winch_options)'
complete -c winch -f -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'
