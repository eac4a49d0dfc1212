# Bash completion for threadlab and threadstat.  Plain bash (COMP_WORDS,
# COMP_CWORD, compgen): it needs nothing from the bash-completion package.
# Commands, labs, tools and each command's options are asked of the program
# being completed (threadlab list --commands / --names / --tools /
# --variants LAB, threadlab CMD --help), so the completion follows the
# program it completes and cannot go stale.

# The long options in "PROG ... --help", one a line; those that take a value
# end with " VALUE" ("--tool T").
_threadlab_options()
{
	"$@" --help 2>/dev/null |
		sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}\(--[a-z][a-z-]*\)\( [A-Z][A-Za-z.]*\)\{0,1\}.*/\2\3/p'
}

# COMPREPLY from a list of words and the word being completed.
_threadlab_reply()
{
	local IFS=$'\n'
	COMPREPLY=($(compgen -W "$1" -- "$2"))
}

_threadlab()
{
	local prog=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]}
	local i word cmd= cmd_at=0
	# "./threadlab" or "threadlab": run the one being completed.
	[[ $prog == "~/"* ]] && prog=$HOME/${prog#"~/"}
	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} != -* ]]; then
			cmd=${COMP_WORDS[i]} cmd_at=$i
			break
		fi
	done
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			_threadlab_reply $'--help\n--version' "$cur"
		else
			_threadlab_reply "$("$prog" list --commands 2>/dev/null)" "$cur"
		fi
		return 0
	fi

	# The command's long options; those that take a value, as " --opt ".
	local options= takes_value=
	while IFS= read -r word; do
		options+=${word%% *}$'\n'
		[[ $word == *" "* ]] && takes_value+=" ${word%% *} "
	done < <(_threadlab_options "$prog" "$cmd")

	# An option's value: "--tool T", "--tool=T", or "--tool" "=" "T" when
	# COMP_WORDBREAKS holds '=' (bash's default).
	local opt= prefix= prev=${COMP_WORDS[COMP_CWORD - 1]}
	if [[ $cur == --*=* ]]; then
		opt=${cur%%=*} prefix=${cur%%=*}= cur=${cur#*=}
	elif [[ $cur == = ]]; then
		opt=$prev cur=
	elif [[ $prev == = ]]; then
		opt=${COMP_WORDS[COMP_CWORD - 2]}
	elif [[ $takes_value == *" $prev "* ]]; then
		opt=$prev
	fi
	if [[ -n $opt ]]; then
		case $opt in
		--tool) _threadlab_reply "$("$prog" list --tools 2>/dev/null)" "$cur" ;;
		--tools)
			# a comma-separated list: complete its last tool
			local done_tools=
			[[ $cur == *,* ]] && done_tools=${cur%,*},
			_threadlab_reply "$("$prog" list --tools 2>/dev/null)" "${cur##*,}"
			COMPREPLY=("${COMPREPLY[@]/#/$done_tools}")
			;;
		--format)
			# the formats are those the command's --help names: "md, csv or json"
			_threadlab_reply "$("$prog" "$cmd" --help 2>/dev/null |
				sed -n 's/^ *--format F *//p' | tr -c 'a-z\n' ' ' | tr ' ' '\n' |
				grep -vxE 'the|default|or|' )" "$cur"
			;;
		--variants) _threadlab_reply "$("$prog" list --names 2>/dev/null)" "$cur" ;;
		--test) COMPREPLY=($(compgen -f -- "$cur")) ;;
		*) COMPREPLY=() ;;
		esac
		[[ -n $prefix ]] && COMPREPLY=("${COMPREPLY[@]/#/$prefix}")
		return 0
	fi
	if [[ $cur == -* ]]; then
		_threadlab_reply "$options" "$cur"
		return 0
	fi

	# The positional arguments before this one.
	local -a args=()
	for ((i = cmd_at + 1; i < COMP_CWORD; i++)); do
		word=${COMP_WORDS[i]}
		if [[ $takes_value == *" $word "* ]]; then
			[[ ${COMP_WORDS[i + 1]} == = ]] && ((i++))
			((i++))
		elif [[ $word != -* && $word != = ]]; then
			args+=("$word")
		fi
	done
	local names
	case $cmd:${#args[@]} in
	run:0 | stress:0 | show:0)
		_threadlab_reply "$("$prog" list --names 2>/dev/null)" "$cur"
		;;
	run:1 | stress:1)
		local variants
		variants=$("$prog" list --variants "${args[0]}" 2>/dev/null) ||
			variants=$'broken\nfixed\ndemo'
		_threadlab_reply "$variants" "$cur"
		;;
	check:* | matrix:* | bench:*)
		names=$("$prog" list --names 2>/dev/null)
		_threadlab_reply "$(printf '%s\n' "$names" | sed 's|/.*||' | uniq)"$'\n'"$names" "$cur"
		;;
	list:0)
		names=$("$prog" list --names 2>/dev/null)
		_threadlab_reply "$(printf '%s\n' "$names" | sed 's|/.*||' | uniq)" "$cur"
		;;
	try:*)
		# C sources, and directories to reach them
		local IFS=$'\n'
		COMPREPLY=($(compgen -f -X '!*.c' -- "$cur") $(compgen -d -- "$cur"))
		;;
	help:0)
		_threadlab_reply "$("$prog" list --commands 2>/dev/null)"$'\n'"words"$'\n'"troubleshoot" "$cur"
		;;
	*)
		COMPREPLY=()
		;;
	esac
	return 0
}

_threadstat()
{
	local prog=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]}
	local prev=${COMP_WORDS[COMP_CWORD - 1]} i doctor=
	[[ $prog == "~/"* ]] && prog=$HOME/${prog#"~/"}
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--)
			# A command and its arguments: complete as a command line.
			if ((i == COMP_CWORD - 1)); then
				COMPREPLY=($(compgen -c -- "$cur"))
			else
				COMPREPLY=($(compgen -f -- "$cur"))
			fi
			return 0
			;;
		doctor) doctor=doctor ;;
		esac
	done
	case $prev in
	-f | --format)
		_threadlab_reply $'table\ncsv\njson' "$cur"
		return 0
		;;
	-p | --plot | -O | --output)
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0
		;;
	--proc-root)
		COMPREPLY=($(compgen -d -- "$cur"))
		return 0
		;;
	-i | --interval | -n | --count | -o | --columns | --window)
		COMPREPLY=()
		return 0
		;;
	esac
	if [[ $cur == -* ]]; then
		# Every --option its help names (the doctor's are in its usage line).
		local options
		options=$({
			"$prog" $doctor --help 2>/dev/null
			echo --help
		} | grep -o -- '--[a-z][a-z-]*' | sort -u)
		_threadlab_reply "$options" "$cur"
		return 0
	fi
	# A process id (with the doctor first, for the first word).
	local pids
	pids=$(cd /proc 2>/dev/null && printf '%s\n' [0-9]*)
	((COMP_CWORD == 1)) && pids=$'doctor\n'$pids
	_threadlab_reply "$pids" "$cur"
	return 0
}

complete -F _threadlab threadlab
complete -F _threadstat threadstat
