# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for pawctl(8).
# Port and client names come from pawd itself (`pawctl port list`), so they
# complete only where pawd is running and the user may ask it; otherwise
# nothing is offered and nothing is printed.

# pawctl's text lists: first column of every line after the header.
_pawctl_names()
{
	local obj=$1
	"${_pawctl_cmd[@]}" "$obj" list 2>/dev/null | awk 'NR > 1 { print $1 }'
}

_pawctl_ifaces()
{
	local d
	for d in /sys/class/net/*; do
		[[ -e $d ]] && printf '%s\n' "${d##*/}"
	done
}

# Words already on the line from index $1 on (to leave out keywords used once).
_pawctl_used()
{
	local w i
	for ((i = $1; i < cword; i++)); do
		w=${words[i]}
		printf '%s\n' "$w"
	done
}

_pawctl_left()
{
	# _pawctl_left FROM WORD... : the WORDs not yet on the line after FROM
	local from=$1 w used
	shift
	used=" $(_pawctl_used "$from" | tr '\n' ' ') "
	for w in "$@"; do
		[[ $used == *" $w "* ]] || printf '%s\n' "$w"
	done
}

_pawctl_postbox()
{
	local start=$1 i=$1 w verb= prev=${words[cword - 1]}
	local opts="server udp tcp timeout retries name secret-file"
	local verbs="register set call hangup post fetch ack status help"
	local soil="allow allow-all allow-none max-calls postbox-max retention"

	case $prev in
	secret-file) _filedir; return ;;
	server | timeout | retries | name | ipv4 | mac | max-calls | postbox-max | \
	retention | max | allow)
		return ;;
	esac
	for ((; i < cword; i++)); do
		w=${words[i]}
		case $w in
		register | set | call | hangup | post | fetch | ack | status | help)
			verb=$w; break ;;
		server | timeout | retries | name | secret-file) ((i++)) ;;
		esac
	done
	case $verb in
	"")
		local left=$(_pawctl_left "$start" $opts)
		# udp and tcp exclude each other
		[[ " $(_pawctl_used "$start" | tr '\n' ' ') " == *" "@(udp|tcp)" "* ]] &&
			left=$(printf '%s\n' $left | grep -vx 'udp\|tcp')
		COMPREPLY=($(compgen -W "$left $verbs" -- "$cur")) ;;
	register)
		COMPREPLY=($(compgen -W "$(_pawctl_left "$i" ipv4 mac $soil)" -- "$cur")) ;;
	set)
		COMPREPLY=($(compgen -W "$(_pawctl_left "$i" $soil)" -- "$cur")) ;;
	fetch)
		COMPREPLY=($(compgen -W "$(_pawctl_left "$i" max ack)" -- "$cur")) ;;
	esac
}

_pawctl()
{
	local cur prev words cword
	_init_completion || return

	local i obj= verb= objidx=0
	local -a _pawctl_cmd=("${words[0]}")

	# global options, and -S for the name lookups
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-S | --socket)
			((i++))
			_pawctl_cmd+=(-S "${words[i]}") ;;
		--socket=*) _pawctl_cmd+=("${words[i]}") ;;
		-*) ;;
		*) obj=${words[i]}; objidx=$i; break ;;
		esac
	done

	if [[ -z $obj ]]; then
		case $prev in
		-S | --socket) _filedir; return ;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-j -p -s -S -V -h --json --pretty --stats
				--socket --version --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "status port client call stats monitor
				postbox help" -- "$cur"))
		fi
		return
	fi

	verb=${words[objidx + 1]}
	local n=$((cword - objidx))	# position after OBJECT: 1 is the verb

	case $obj in
	port)
		if ((n == 1)); then
			COMPREPLY=($(compgen -W "add del list help" -- "$cur"))
			return
		fi
		case $verb:$n in
		add:2) COMPREPLY=($(compgen -W "$(_pawctl_ifaces)" -- "$cur")) ;;
		del:2) COMPREPLY=($(compgen -W "$(_pawctl_names port)" -- "$cur")) ;;
		add:*)
			case $prev in
			mode) COMPREPLY=($(compgen -W "auto native generic" -- "$cur")) ;;
			*) ((n == 3)) && COMPREPLY=($(compgen -W "mode" -- "$cur")) ;;
			esac ;;
		esac
		;;
	client)
		if ((n == 1)); then
			COMPREPLY=($(compgen -W "add del list show help" -- "$cur"))
			return
		fi
		case $verb:$n in
		del:2 | show:2)
			COMPREPLY=($(compgen -W "$(_pawctl_names client)" -- "$cur")) ;;
		add:2) ;;	# a new name
		add:*)
			case $prev in
			port) COMPREPLY=($(compgen -W "$(_pawctl_names port)" -- "$cur")) ;;
			secret-file) _filedir ;;
			ipv4 | mac) ;;
			*)
				local left=$(_pawctl_left $((objidx + 3)) ipv4 port mac secret-file)
				[[ " ${words[*]:objidx+3} " == *" secret-file "* ]] &&
					left+=" $(_pawctl_left $((objidx + 3)) force)"
				COMPREPLY=($(compgen -W "$left" -- "$cur")) ;;
			esac ;;
		esac
		;;
	call)
		if ((n == 1)); then
			COMPREPLY=($(compgen -W "add del list help" -- "$cur"))
			return
		fi
		case $verb:$n in
		add:2 | add:3 | del:2 | del:3)
			COMPREPLY=($(compgen -W "$(_pawctl_names client)" -- "$cur")) ;;
		esac
		;;
	stats)
		if ((n == 1)); then
			COMPREPLY=($(compgen -W "port client call help" -- "$cur"))
			return
		fi
		case $verb:$n in
		port:2) COMPREPLY=($(compgen -W "$(_pawctl_names port)" -- "$cur")) ;;
		client:2 | call:2 | call:3)
			COMPREPLY=($(compgen -W "$(_pawctl_names client)" -- "$cur")) ;;
		esac
		;;
	monitor)
		[[ $prev == count ]] && return
		local left=$(_pawctl_left $((objidx + 1)) count)
		[[ " ${words[*]:objidx+1:cword-objidx-1} " == *" "@(drops|calls|ports|all)" "* ]] ||
			left+=" drops calls ports all help"
		COMPREPLY=($(compgen -W "$left" -- "$cur"))
		;;
	postbox)
		_pawctl_postbox $((objidx + 1))
		;;
	status)
		((n == 1)) && COMPREPLY=($(compgen -W "help" -- "$cur"))
		;;
	esac
}
complete -F _pawctl pawctl
