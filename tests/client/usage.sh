#!/bin/sh
# SPDX-License-Identifier: MIT
# pmmctl usage errors, without any bus: every case points --address at a socket that does not
# exist, so a command that got as far as sending would exit 3. Exit 2 with a message naming the
# bad argument (and nothing on stdout) therefore proves the argument was refused before anything
# was sent. Then the valid forms of the same commands do reach for the bus and exit 3.

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
PMMCTL="$top_builddir/client/pmmctl"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
NOSOCK="unix:path=$tmp/no-such-socket"
unset PMM_BUS_ADDRESS DBUS_SESSION_BUS_ADDRESS
# the system bus must not be reachable by accident either
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$tmp/no-system-bus"

n=0
failed=0

pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }

# run ARGS...: runs pmmctl, leaves rc, $tmp/out, $tmp/err
run() {
	"$PMMCTL" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# usage 'what the message must contain' ARGS...
usage() {
	want=$1
	shift
	run --address "$NOSOCK" "$@"
	if [ "$rc" -eq 2 ] && grep -qF -- "$want" "$tmp/err" && [ ! -s "$tmp/out" ] &&
	   grep -q '^pmmctl: ' "$tmp/err"; then
		pass "usage error: pmmctl $* -> 2, names '$want'"
	else
		fail "usage error: pmmctl $* -> 2, names '$want'"
		echo "#   rc=$rc stderr: $(cat "$tmp/err")"
		echo "#   stdout: $(cat "$tmp/out")"
	fi
}

# unreachable ARGS...: a valid command that must try the bus and exit 3
unreachable() {
	run --address "$NOSOCK" "$@"
	if [ "$rc" -eq 3 ] && grep -q '^pmmctl: cannot reach pmm-hotplugd: ' "$tmp/err"; then
		pass "valid: pmmctl $* -> 3 (it would have sent)"
	else
		fail "valid: pmmctl $* -> 3 (it would have sent)"
		echo "#   rc=$rc stderr: $(cat "$tmp/err")"
	fi
}

# --- global options and commands
usage "missing COMMAND"
usage "unknown command 'frobnicate'" frobnicate
usage "unknown option '--frob'" --frob status
usage "unknown option '-x'" -x status
usage "'--address' needs an argument" status --address

# --- wrong argument counts
usage "unexpected argument 'extra'" status extra
usage "unexpected argument 'x'" list blocks x
usage "unexpected argument 'x'" map x
usage "unexpected argument 'x'" monitor x
usage "missing argument START" add-range
usage "missing argument SIZE" add-range 8G
usage "missing argument SIZE" add-memory 8G
usage "unexpected argument '3'" add-memory 8G 1G 3
usage "missing argument START" add-device
usage "missing argument NAME" add-namespace
usage "unexpected argument 'b'" add-namespace a b
usage "missing argument SIZE" remove-range 8G
usage "missing argument START" remove
usage "missing argument START" online
usage "missing argument SIZE" online 8G
usage "missing argument START" offline
usage "missing argument SIZE" offline 8G
usage "missing argument COUNT" get-pages 0x200000
usage "missing argument PFN" put-pages
usage "missing argument PFN" pfn
usage "unexpected argument '2'" pfn 1 2
usage "missing argument ADDRESS" lookup
usage "missing argument OP" plan
usage "unexpected argument 'x'" policy online x

# --- bad numbers, each argument named
usage "invalid START '8Q'" add-range 8Q 1G
usage "invalid SIZE '1.5G'" add-range 8G 1.5G
usage "invalid START '0x'" add-memory 0x 1G
usage "invalid argument '-1'" add-memory 8G -1
usage "START '18446744073709551616' does not fit in 64 bits" add-memory 18446744073709551616 1G
usage "SIZE '16384P' does not fit in 64 bits" add-memory 8G 16384P
usage "invalid START 'abc'" add-device abc 1G
usage "invalid --align '2X'" add-device 8G 1G --align 2X
usage "invalid --align 'x'" add-namespace namespace0.0 --align x
usage "invalid --node 'one'" add-memory 8G 1G --node one
usage "--node '4294967296' is too large" add-memory 8G 1G --node 4294967296
usage "invalid --node '1G'" add-device 8G 1G --node 1G
usage "invalid START 'x'" remove-range x 1G
usage "invalid SIZE '1GG'" remove 8G 1GG
usage "invalid START '8G '" online "8G " 1G
usage "invalid SIZE '0x1Q'" offline 8G 0x1Q
usage "invalid --blocks '9-3'" online --blocks 9-3
usage "invalid --blocks last block 'x'" online --blocks 3-x
usage "invalid --blocks '-3'" offline --blocks -3
usage "invalid --blocks '3-'" offline --blocks 3-
usage "invalid PFN 'pfn'" get-pages pfn 1
usage "invalid COUNT '1.0'" put-pages 1 1.0
usage "invalid PFN '0xzz'" pfn 0xzz
usage "invalid ADDRESS '1.5G'" lookup 1.5G
usage "invalid --ratio '-1'" policy auto-movable --ratio -1
usage "invalid --ratio '3x'" policy auto-movable --ratio 3x

# --- bad enum values and option combinations
usage "invalid kind 'foo'" list foo
usage "invalid --online 'weird'" add-memory 8G 1G --online weird
usage "--online and --no-online exclude each other" add-memory 8G 1G --online online --no-online
usage "invalid --type 'raw'" add-device 8G 1G --type raw
usage "invalid --type 'generic'" add-namespace namespace0.0 --type generic
usage "invalid --map 'foo'" add-device 8G 1G --map foo
usage "invalid --map 'x'" add-namespace namespace0.0 --map x
usage "invalid --zone 'x'" online 8G 1G --zone x
usage "option '--type' needs --device" add-range 8G 1G --type fsdax
usage "option '--map' needs --device" add-range 8G 1G --map dev
usage "option '--online' is for System RAM, not with --device" add-range 8G 1G --device --online online
usage "option '--memmap-on-memory' is for System RAM" add-range 8G 1G --memmap-on-memory --device
usage "unknown option '--zone'" add-memory 8G 1G --zone movable
usage "unknown option '--zone'" offline 8G 1G --zone movable
usage "unknown option '--device'" add-memory 8G 1G --device
usage "unknown option '--memmap-on-memory'" add-device 8G 1G --memmap-on-memory
usage "give START SIZE or --blocks A-B, not both" online 8G 1G --blocks 3
usage "'--online' needs an argument" add-memory 8G 1G --online
usage "'--svg' needs an argument" map --svg
usage "--svg needs a file name" map --svg=
usage "invalid policy 'weird'" policy weird
usage "--ratio goes with the policy auto-movable" policy online --ratio 5
usage "--ratio goes with the policy auto-movable" policy --ratio 5
usage "invalid OP 'frob'" plan frob 8G 1G
usage "invalid SIZE '1Q'" plan add-memory 8G 1Q
usage "missing argument SIZE" plan online 8G
usage "unknown option '--zone'" plan add-memory 8G 1G --zone movable
usage "option '--type' needs --device" plan add-range 8G 1G --type fsdax
usage "--svg - and --json both want stdout" --json map --svg -

# --- the valid forms reach for the bus: exit 3, not 2
unreachable status
unreachable list
unreachable list namespaces -a
unreachable add-range 8G 1G
unreachable add-range 0x200000000 1G --device --type devdax --map dev --align 2M --node 0
unreachable add-memory 8G 1G --node 0 --online online_movable --memmap-on-memory
unreachable add-memory 8G 1G --no-online
unreachable add-device 56G 2G --type fsdax --map mem
unreachable add-namespace namespace0.0 --map dev --align 2M --type devdax
unreachable remove-range 8G 1G
unreachable remove 8G 1G
unreachable online 8G 1G --zone movable
unreachable online --blocks 64-71
unreachable offline --blocks 64
unreachable get-pages 0x200000 16
unreachable put-pages 0x200000 16
unreachable pfn 0x200000
unreachable lookup 8G
unreachable plan add-memory 8G 1G --online online
unreachable plan online --blocks 64-71 --zone normal
unreachable plan add-namespace namespace0.0
unreachable policy
unreachable policy auto-movable --ratio 301
unreachable map
unreachable monitor
unreachable status --json

# --- how the bus is chosen
PMM_BUS_ADDRESS="$NOSOCK" "$PMMCTL" status >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 3 ] && grep -qF "$tmp/no-such-socket" "$tmp/err"; then
	pass "PMM_BUS_ADDRESS is used as --address"
else
	fail "PMM_BUS_ADDRESS is used as --address"
	echo "#   rc=$rc stderr: $(cat "$tmp/err")"
fi
PMM_BUS_ADDRESS="$NOSOCK" "$PMMCTL" --address "unix:path=$tmp/other" status >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 3 ] && grep -qF "$tmp/other" "$tmp/err"; then
	pass "--address wins over PMM_BUS_ADDRESS"
else
	fail "--address wins over PMM_BUS_ADDRESS"
	echo "#   rc=$rc stderr: $(cat "$tmp/err")"
fi
run status
if [ $rc -eq 3 ] && grep -q "the system bus" "$tmp/err"; then
	pass "default is the system bus (unreachable here -> 3)"
else
	fail "default is the system bus (unreachable here -> 3)"
	echo "#   rc=$rc stderr: $(cat "$tmp/err")"
fi
XDG_RUNTIME_DIR="$tmp" PMM_BUS_ADDRESS="$NOSOCK" "$PMMCTL" --user status >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 3 ] && grep -q "the session bus" "$tmp/err"; then
	pass "--user picks the session bus over PMM_BUS_ADDRESS"
else
	fail "--user picks the session bus over PMM_BUS_ADDRESS"
	echo "#   rc=$rc stderr: $(cat "$tmp/err")"
fi
# a socket file nobody listens on: connection refused is unreachable too
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$tmp/dead.sock"
run --address "unix:path=$tmp/dead.sock" list
if [ $rc -eq 3 ]; then
	pass "a dead socket -> 3"
else
	fail "a dead socket -> 3"
	echo "#   rc=$rc stderr: $(cat "$tmp/err")"
fi
# --json: the unreachable error is a JSON document on stdout as well
run --address "$NOSOCK" --json status
if [ $rc -eq 3 ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert set(d)=={"error"} and d["error"]["name"] and d["error"]["message"]' "$tmp/out"; then
	pass "--json unreachable: {\"error\":{name,message}} on stdout"
else
	fail "--json unreachable: {\"error\":{name,message}} on stdout"
	echo "#   rc=$rc stdout: $(cat "$tmp/out")"
fi

# --- help and version never touch the bus
for args in "--help" "status --help" "plan online --help" "add-range -h"; do
	# shellcheck disable=SC2086
	run --address "$NOSOCK" $args
	if [ $rc -eq 0 ] && grep -q "^Usage: pmmctl" "$tmp/out"; then
		pass "pmmctl $args -> 0 with usage"
	else
		fail "pmmctl $args -> 0 with usage"
	fi
done
run --version
if [ $rc -eq 0 ] && grep -q "^pmmctl [0-9]" "$tmp/out"; then
	pass "--version"
else
	fail "--version"
fi

echo "1..$n"
[ $failed -eq 0 ]
