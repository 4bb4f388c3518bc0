# fish completion for winch: `winch __complete -- WORD...` answers, from the
# winch being completed (./winch or a path as well as winch on PATH).
function __winch_complete
	set -l words (commandline -opc)
	set -l cur (commandline -ct)
	set -l out ($words[1] __complete -- $words[2..-1] "$cur" 2>/dev/null)
	if test (count $out) -gt 0
		printf '%s\n' $out
	else
		__fish_complete_path "$cur"
	end
end
complete -c winch -f -a '(__winch_complete)'
