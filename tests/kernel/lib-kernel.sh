# shellcheck shell=bash
# Helpers of the kernel backend's tests, on top of tests/integration/lib.sh (private bus, the
# real daemon and pmmctl, TAP). Comparisons of pmmctl's block listing with the sysfs tree it
# mirrors and with lsmem, the util-linux oracle.
#
# A test on a testbed sets FK_FIXTURES (fixture names in tests/umockdev/) before sourcing this
# file: the script is then run again under tests/kernel/fake-kernel, which plays the kernel on
# that testbed (see fake-kernel.c). Without FK_FIXTURES the test runs on the real /sys.

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
if [ -n "${FK_FIXTURES:-}" ] && [ -z "${PMM_FAKE_KERNEL:-}" ]; then
	fk_args=()
	for f in $FK_FIXTURES; do
		fk_args+=(--device "$top_srcdir/tests/umockdev/$f")
	done
	# ASan binaries under umockdev's preload: the runtime cannot come first
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
	exec "$top_builddir/tests/kernel/fake-kernel" "${fk_args[@]}" \
		--shim "$top_builddir/tests/kernel/sysfs-write-shim.so" -- "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"

FAKE_KERNEL="$top_builddir/tests/kernel/fake-kernel"
SHIM="$top_builddir/tests/kernel/sysfs-write-shim.so"

# FK REQUEST...: a request to the fake kernel; its answer in $FK_OUT, status of "ok"
FK() {
	FK_OUT=$("$FAKE_KERNEL" ctl "$@")
}

# jq definitions shared by the comparisons
JQ_DEFS='
def hex: ltrimstr("0x") | ascii_downcase | explode
	| reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end));
# lsmem -J -b -a -o RANGE,SIZE,STATE,REMOVABLE,BLOCK,NODE,ZONES → one object per block
def from_lsmem: [.memory[] | {start: (.range | split("-")[0] | hex),
	last: (.range | split("-")[1] | hex), size, state, removable,
	block: (.block | tonumber), node, zones}] | sort_by(.block);
# pmmctl --json list blocks --all, in lsmem terms: lsmem prints removable only for online
# blocks, zones is valid_zones joined by "/" ("none" as "None")
def from_pmmctl: [.blocks[] | {start, last: (.start + .size - 1), size, state,
	removable: (.removable and .state == "online"), block: .id, node,
	zones: (if .state == "online" then (if (.zone // "none") == "none" then "None" else .zone end)
		else (.valid_zones | join("/")) end)}] | sort_by(.block);
# pmmctl blocks as the sysfs files say them (zone: null when an online block spans zones)
def blocks_as_sysfs: [.blocks[] | {id, state,
	zone: (if .state == "online" then (.zone // "none") else "" end),
	valid_zones, node}] | sort_by(.id);
'

# sysfs_blocks [SYSFS]: every memory<N> of the tree as JSON (what pmmctl must show)
sysfs_blocks() {
	local sys=${1:-/sys} d id state vz node n
	for d in "$sys"/devices/system/memory/memory[0-9]*; do
		[ -d "$d" ] || continue
		id=${d##*/memory}
		read -r state <"$d/state"
		read -r vz <"$d/valid_zones"
		node=-1
		for n in "$d"/node[0-9]*; do
			[ -e "$n" ] && node=${n##*/node}
		done
		printf '{"id":%s,"state":"%s","vz":"%s","node":%s}\n' "$id" "$state" "$vz" "$node"
	done | jq -s -c '[.[] | {id, state, zone: (if .state == "online" then .vz else "" end),
		valid_zones: (.vz | split(" ") | map(select(. != "none"))), node}] | sort_by(.id)'
}

# same_json DESC A B: A and B are the same JSON value
same_json() {
	local desc=$1 a=$2 b=$3
	[ -n "$a" ] && [ "$(jq -cS . <<<"$a")" = "$(jq -cS . <<<"$b")" ]
	local s=$?
	ok $s "$desc"
	if [ $s -ne 0 ]; then
		diag "differences (< pmmctl, > oracle):"
		diag "$(diff <(jq -c '.[]' <<<"$a") <(jq -c '.[]' <<<"$b") | head -20)"
	fi
	return $s
}

# blocks_json: pmmctl's listing, every block
blocks_json() {
	"$PMMCTL" --json list blocks --all
}

# wait_for SECONDS JQ_FILTER: until pmmctl's block listing makes the filter print true
wait_for() {
	local deadline=$((SECONDS + $1)) filter=$2
	while [ $SECONDS -le $deadline ]; do
		[ "$(blocks_json | jq "$filter" 2>/dev/null)" = true ] && return 0
		sleep 0.05
	done
	return 1
}

# block_attr ID ATTR: a block's sysfs attribute
block_attr() {
	local v
	read -r v <"/sys/devices/system/memory/memory$1/$2"
	echo "$v"
}

# udev_event_checks: what the daemon must do with the events of any monitor path (memory.sh,
# udev-group.sh), on mem.umockdev with the managed region [14G, 18G) and an online policy that
# puts new managed blocks in ZONE_MOVABLE: an add inside the region is onlined with one write,
# an add outside it stays offline, an online and a remove made behind the daemon's back are
# followed, and a burst of 8 adds is applied with each event handled once. Uses blocks 124 and
# 130-137 (managed), 150 and 49; resets the fake kernel's write audit first.
udev_event_checks() {
	local n b
	FK reset-audit
	FK add 124 1
	wait_for 10 '[.blocks[] | select(.id == 124) | [.state, .zone]] == [["online","Movable"]]'
	ok $? "a block added inside the managed region is onlined by the policy (Movable)"
	FK writes
	[ "$FK_OUT" = "ok memory124/state=online_movable" ]
	ok $? "... with one write of online_movable (the zone the policy chose)" || diag "$FK_OUT"
	FK add 150 1
	wait_for 10 '[.blocks[] | select(.id == 150) | .state] == ["offline"]'
	ok $? "a block added outside the managed region appears, offline"
	FK set 49 online Normal
	wait_for 10 '[.blocks[] | select(.id == 49) | [.state, .zone]] == [["online","Normal"]]'
	ok $? "a block onlined behind the daemon's back: the model follows the online event"
	FK remove 150
	wait_for 10 '[.blocks[] | select(.id == 150)] == []'
	ok $? "a removed block disappears"
	FK burst 130 8 1
	wait_for 20 '[.blocks[] | select(.id >= 130 and .id <= 137 and .state == "online")] | length == 8'
	ok $? "a burst of 8 hot-adds in the managed region: all 8 onlined"
	n=0
	for b in $(seq 130 137); do
		[ "$(grep -c "udev: add memory$b " "$T_DIR/daemon.log")" = 1 ] && n=$((n + 1))
	done
	[ $n = 8 ]
	ok $? "... each add event handled exactly once"
}
