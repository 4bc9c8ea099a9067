#!/bin/bash
# SPDX-License-Identifier: MIT
# client/pmmctl.bash-completion: commands, per-command options, option values, plan's operation
# (completion after "plan OP" follows OP), without bash-completion's helpers loaded.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=/dev/null
. "$top_srcdir/client/pmmctl.bash-completion"
export PMM_BUS_ADDRESS=unix:path=/nonexistent/pmmctl-completion-test

n=0
failed=0
# comp 'EXPECTED' WORDS...: completing the last word gives EXPECTED (space separated, sorted)
comp() {
	local want=$1 got
	shift
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	_pmmctl
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//')
	n=$((n + 1))
	if [ "$got" = "$want" ]; then
		echo "ok $n - pmmctl ${*:2} -> $want"
	else
		echo "not ok $n - pmmctl ${*:2}"
		echo "#   got:  '$got'"
		echo "#   want: '$want'"
		failed=$((failed + 1))
	fi
}

comp 'status' pmmctl st
comp 'online' pmmctl --json onl
comp 'add-device add-memory add-namespace add-range' pmmctl add
comp 'blocks namespaces ranges sections' pmmctl list ''
comp 'blocks' pmmctl list bl
comp '--address --all --bytes --help --json --no-progress --user --version' pmmctl list --
comp '--blocks --bytes' pmmctl online --b
comp '--zone' pmmctl online 8G 1G --z
comp 'auto movable normal' pmmctl online 8G 1G --zone ''
comp 'offline online online_kernel online_movable' pmmctl add-memory 8G 1G --online ''
comp 'coherent devdax fsdax generic p2pdma private' pmmctl add-device 8G 1G --type ''
comp 'devdax fsdax' pmmctl add-namespace ns --type ''
comp 'dev mem' pmmctl add-range 8G 1G --device --map ''
comp '--memmap-on-memory' pmmctl add-range 8G 1G --mem
comp 'add-device add-memory add-namespace add-range' pmmctl plan add
comp 'devdax fsdax' pmmctl plan add-namespace ns --type ''
comp '--zone' pmmctl --address unix:path=/x plan online 8G 1G --z
comp 'auto-movable offline online online_kernel online_movable' pmmctl policy ''
comp '--ratio' pmmctl policy auto-movable --r
comp '--svg' pmmctl map --s
comp '' pmmctl --user --no-progress monitor --zone
echo "1..$n"
[ $failed -eq 0 ]
