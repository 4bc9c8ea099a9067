#!/bin/bash
# The kernel backend against this machine's real /sys, read only: no managed region is
# configured, so the daemon must change nothing. Its block listing must be lsmem's (same
# ranges, states, zones, nodes) and every mutating request must be refused with OutOfRegion.
# The state of every block is compared before and after.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/kernel/lib-kernel.sh"

MEM=/sys/devices/system/memory
if [ ! -r "$MEM/block_size_bytes" ]; then
	# not a skip: a kernel without memory hotplug sysfs must make the daemon refuse to start
	start_bus
	cat >"$T_DIR/pmm.json" <<EOF
{ "backend": "kernel" }
EOF
	start_daemon --config "$T_DIR/pmm.json"
	[ $? -ne 0 ] && grep -q CONFIG_MEMORY_HOTPLUG "$T_DIR/daemon.log"
	ok $? "without $MEM the kernel backend refuses to start and says why"
	done_testing
	exit
fi

# every file the daemon could write, as it is now
snapshot() {
	local f
	for f in "$MEM"/auto_online_blocks "$MEM"/memory*/state "$MEM"/memory*/online; do
		[ -r "$f" ] && printf '%s %s\n' "$f" "$(cat "$f")"
	done
}
snapshot >"$T_DIR/before"

start_bus
cat >"$T_DIR/pmm.json" <<EOF
{ "backend": "kernel" }
EOF
start_daemon --config "$T_DIR/pmm.json"
ok $? "pmm-hotplugd --backend kernel reaches READY=1 on the real /sys"

run "$PMMCTL" --json status
jq_is '[.backend, .managed_regions]' '["kernel",[]]' "status: kernel backend, no managed region"
jq_is '.block_size' "$((16#$(cat "$MEM/block_size_bytes")))" "status: the kernel's block_size_bytes"

run blocks_json
expect_rc 0 "list blocks --all --json"
BLOCKS=$OUT
same_json "the block listing equals lsmem -J -b -a (ranges, states, zones, nodes)" \
	"$(jq -c "$JQ_DEFS from_pmmctl" <<<"$BLOCKS")" \
	"$(lsmem -J -b -a -o RANGE,SIZE,STATE,REMOVABLE,BLOCK,NODE,ZONES | jq -c "$JQ_DEFS from_lsmem")"
same_json "the block listing equals the memory<N> files" \
	"$(jq -c "$JQ_DEFS blocks_as_sysfs" <<<"$BLOCKS")" "$(sysfs_blocks)"
jq_is '[.blocks[] | select(.managed)] | length' 0 "no block is managed"

# The mirror initialises the struct pages of boot memory when first asked (deferred struct page
# init): a page in the middle of online single-zone blocks, up to 32 spread over the host,
# must be what boot makes of it: online, free, in its block's zone and node.
nblk=$(jq '.blocks | length' <<<"$BLOCKS")
stride=$(((nblk + 31) / 32))
checked=0 wrong=""
for ((i = 0; i < nblk; i += stride)); do
	want=$(jq -c ".blocks[$i] | select(.state == \"online\" and .zone != null) |
		[(.start + .size / 2) / 4096, .zone, .node, true, 0]" <<<"$BLOCKS")
	[ -n "$want" ] || continue
	pfn=$(jq '.[0]' <<<"$want")
	got=$("$PMMCTL" --json pfn "$pfn" | jq -c '[.pfn, .zone, .node, .online, .refcount]')
	checked=$((checked + 1))
	[ "$got" = "$want" ] || wrong="$wrong block $i: $got, not $want;"
done
[ "$checked" -gt 0 ] && [ -z "$wrong" ]
ok $? "$checked pages first looked up in boot memory are online, free, in their block's zone and node" ||
	diag "$wrong"

# every mutating request, on real blocks and beyond them
first=$(jq '.blocks[0].start' <<<"$BLOCKS")
last=$(jq '.blocks[-1].start' <<<"$BLOCKS")
bs=$(jq '.blocks[0].size' <<<"$BLOCKS")
beyond=$((last + 64 * bs))
pfn=$((last / 4096))
for req in "online $last $bs" "online $last $bs --zone movable" "offline $last $bs" \
	"offline $first $bs" "add-memory $beyond $bs" "add-range $beyond $bs --device" \
	"add-device $beyond $bs" "remove $last $bs" "get-pages $pfn 1" "put-pages $pfn 1" \
	"policy online"; do
	# shellcheck disable=SC2086
	run "$PMMCTL" $req
	expect_err OutOfRegion "pmmctl $req"
	grep -q "no managed region\|none configured" <<<"$ERR"
	ok $? "... and the message says no managed region is configured" || diag "$ERR"
done

stop_daemon
snapshot >"$T_DIR/after"
cmp -s "$T_DIR/before" "$T_DIR/after"
ok $? "no state, online or auto_online_blocks file under $MEM changed" ||
	diag "$(diff "$T_DIR/before" "$T_DIR/after" | head)"
[ "$DAEMON_RC" = 0 ] && ! grep -q "runtime error\|Sanitizer" "$T_DIR/daemon.log"
ok $? "the daemon stopped cleanly (exit $DAEMON_RC, no sanitizer report)"

done_testing
