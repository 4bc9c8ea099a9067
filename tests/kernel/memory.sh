#!/bin/bash
# The kernel backend against a memory tree played by a fake kernel (tests/kernel/fake-kernel):
# a umockdev testbed from tests/umockdev/mem.umockdev whose state and probe files answer
# writes the way sysfs does (synchronously, with the kernel's errno), which sends the uevents
# the kernel would. The real pmm-hotplugd (--backend kernel, managed region [14G, 18G)) on a
# private bus, the real pmmctl; lsmem --sysroot is the oracle for the listing.
FK_FIXTURES="mem.umockdev"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/kernel/lib-kernel.sh"

G=$((1 << 30))
M=$((1 << 20))
MEM=/sys/devices/system/memory

# snapshots early and often: the restart below restores from one (kernel records skipped)
export PMM_SNAPSHOT_EVERY=3
start_bus
cat >"$T_DIR/pmm.json" <<EOF
{ "backend": "kernel", "managed_regions": [ { "start": "14G", "size": "4G" } ],
  "auto_online_blocks": "online" }
EOF
start_daemon --config "$T_DIR/pmm.json"
ok $? "pmm-hotplugd --backend kernel reaches READY=1 on the testbed"

# ------------------------------------------------------------------ the mirror
run "$PMMCTL" --json status
jq_is '[.backend, .block_size, .managed_regions]' \
	"[\"kernel\",$((128 * M)),[{\"start\":$((14 * G)),\"size\":$((4 * G))}]]" \
	"status: kernel backend, the kernel's block size, the managed region"
jq_is '[.present_bytes, .online_bytes]' "[$((65 * 128 * M)),$((55 * 128 * M))]" \
	"status: present and online bytes are the testbed's (65 blocks, 55 online)"

run blocks_json
same_json "list blocks --all equals the testbed's memory<N> files (state, zone, valid_zones, node)" \
	"$(jq -c "$JQ_DEFS blocks_as_sysfs" <<<"$OUT")" "$(sysfs_blocks)"
same_json "list blocks --all equals lsmem --sysroot \$UMOCKDEV_DIR -J -b -a" \
	"$(jq -c "$JQ_DEFS from_pmmctl" <<<"$OUT")" \
	"$(lsmem --sysroot "$UMOCKDEV_DIR" -J -b -a -o RANGE,SIZE,STATE,REMOVABLE,BLOCK,NODE,ZONES |
		jq -c "$JQ_DEFS from_lsmem")"
jq_is '[.blocks[] | select(.managed) | .id]' '[112,113,114,115,116,117,118,119]' \
	"exactly the blocks inside [14G, 18G) are managed"
jq_is '[.blocks[] | select(.id == 0 or .id == 1 or .id == 64) | [.zone, .node]]' \
	'[[null,0],["DMA32",0],["Movable",1]]' "zones and nodes: DMA+DMA32 span (no zone), DMA32, Movable on node 1"

# ------------------------------------------------------------------ online / offline
FK reset-audit
run "$PMMCTL" online 14G 256M --zone movable
expect_rc 0 "online 14G 256M --zone movable"
[ "$(block_attr 112 state) $(block_attr 113 state) $(block_attr 112 valid_zones)" = "online online Movable" ]
ok $? "the kernel onlined blocks 112 and 113 into ZONE_MOVABLE"
FK writes
[ "$FK_OUT" = "ok memory112/state=online_movable memory113/state=online_movable" ]
ok $? "the daemon wrote \"online_movable\" into each block's state, nothing else" || diag "$FK_OUT"
run blocks_json
jq_is '[.blocks[] | select(.id == 112 or .id == 113) | [.state, .zone]]' \
	'[["online","Movable"],["online","Movable"]]' "the model follows: 112 and 113 online Movable"

FK reset-audit
run "$PMMCTL" offline 14G 256M
expect_rc 0 "offline 14G 256M"
FK writes
[ "$FK_OUT" = "ok memory112/state=offline memory113/state=offline" ]
ok $? "offline wrote \"offline\" into both blocks" || diag "$FK_OUT"
[ "$(block_attr 112 state) $(block_attr 113 state)" = "offline offline" ]
ok $? "both blocks are offline again"

FK reset-audit
run "$PMMCTL" offline 14G 128M
expect_err InvalidState "offlining an offline block"
grep -q "already offline" <<<"$ERR"
ok $? "the message says the block is already offline"
run "$PMMCTL" online 14G 128M --zone normal
expect_rc 0 "online_kernel of block 112"
[ "$(block_attr 112 valid_zones)" = Normal ]
ok $? "online_kernel put block 112 in ZONE_NORMAL"
run "$PMMCTL" online 14G 128M
expect_err InvalidState "onlining an online block"
run "$PMMCTL" offline 14G 128M
expect_rc 0 "offline block 112 again"
FK writes
[ "$FK_OUT" = "ok memory112/state=online_kernel memory112/state=offline" ]
ok $? "refused requests wrote nothing (only the online_kernel and the offline did)" || diag "$FK_OUT"

# ------------------------------------------------------------------ the managed-region guard
FK reset-audit
run "$PMMCTL" online 6G 128M
expect_err OutOfRegion "onlining block 48 (outside the managed region)"
run "$PMMCTL" online 8G 2G
expect_err OutOfRegion "a range that is only partly managed"
run "$PMMCTL" offline 4G 128M
expect_err OutOfRegion "offlining a boot block"
FK closes
[ "$FK_OUT" = ok ]
ok $? "no state file was even opened for writing" || diag "$FK_OUT"
[ "$(block_attr 48 state) $(block_attr 32 state)" = "offline online" ]
ok $? "blocks 48 and 32 are untouched"
run "$PMMCTL" online $((14 * G + 64 * M)) 128M
expect_err Misaligned "a range not aligned to the kernel's block size"
run "$PMMCTL" online 15G 128M
expect_err NotFound "onlining a managed hole (no memory120)"

# ------------------------------------------------------------------ all or nothing
run "$PMMCTL" online 14G 512M --zone movable
expect_rc 0 "online 14G 512M (blocks 112-115) movable"
FK refuse 114 EBUSY
FK reset-audit
run "$PMMCTL" offline 14G 512M
expect_err Busy "offline refused with EBUSY by block 114"
grep -q "unmovable pages" <<<"$ERR" && grep -q "put back" <<<"$ERR"
ok $? "the message names the kernel's reason and the rollback" || diag "$ERR"
FK writes
[ "$FK_OUT" = "ok memory112/state=offline memory113/state=offline memory114/state=offline memory113/state=online_movable memory112/state=online_movable" ]
ok $? "blocks 112 and 113 were put back online_movable, newest first" || diag "$FK_OUT"
[ "$(block_attr 112 state) $(block_attr 113 state) $(block_attr 114 state) $(block_attr 115 state)" = "online online online online" ]
ok $? "the kernel shows 112-115 online, as before the request"
run blocks_json
jq_is '[.blocks[] | select(.id >= 112 and .id <= 115) | .zone] | unique' '["Movable"]' \
	"the model shows 112-115 online Movable"

# a rollback that fails itself: 115 refuses, then 113 refuses to be put back
FK refuse 115 EBUSY
FK refuse 113 EPERM 1 1
run "$PMMCTL" offline 14G 512M
expect_err Busy "offline refused by block 115"
grep -q "rollback" <<<"$ERR" && grep -q "memory block 113" <<<"$ERR" && grep -q EPERM <<<"$ERR"
ok $? "the message says the rollback of block 113 failed, and why" || diag "$ERR"
[ "$(block_attr 112 state) $(block_attr 113 state) $(block_attr 114 state) $(block_attr 115 state)" = "online offline online online" ]
ok $? "112 and 114 were put back, 113 stayed offline"
run blocks_json
same_json "after the failed rollback the listing still equals the testbed" \
	"$(jq -c "$JQ_DEFS blocks_as_sysfs" <<<"$OUT")" "$(sysfs_blocks)"

# the kernel's other answers, each named
FK refuse 113 EHWPOISON
run "$PMMCTL" online $((14 * G + 128 * M)) 128M
expect_err InvalidState "online refused with EHWPOISON"
grep -q "hardware-poisoned" <<<"$ERR"
ok $? "EHWPOISON: the message says the block has poisoned pages"
FK refuse 112 EINTR
run "$PMMCTL" offline 14G 128M
expect_err Busy "offline interrupted (EINTR)"
grep -q "signal" <<<"$ERR"
ok $? "EINTR: the message says a signal interrupted it"
FK refuse 112 EPERM
run "$PMMCTL" offline 14G 128M
expect_err Busy "offline vetoed (EPERM)"
grep -q "notifier" <<<"$ERR"
ok $? "EPERM: the message names the memory notifier veto"
FK refuse 113 EINVAL
run "$PMMCTL" online $((14 * G + 128 * M)) 128M --zone movable
expect_err InvalidArgument "the kernel refuses the online type (EINVAL)"
[ "$(block_attr 112 state) $(block_attr 113 state)" = "online offline" ]
ok $? "refusals changed nothing"

# ------------------------------------------------------------------ hot-add through probe
FK reset-audit
run "$PMMCTL" add-memory 16G 128M
expect_err Unsupported "add-memory without a probe file"
grep -q CONFIG_ARCH_MEMORY_PROBE <<<"$ERR"
ok $? "the message names CONFIG_ARCH_MEMORY_PROBE"
FK probe on 1
run "$PMMCTL" add-memory 16G 256M --online online_movable
expect_rc 0 "add-memory 16G 256M --online online_movable through the probe file"
FK writes
[ "$FK_OUT" = "ok probe=0x400000000 probe=0x408000000 memory128/state=online_movable memory129/state=online_movable" ]
ok $? "one probe write per block, then the online" || diag "$FK_OUT"
run blocks_json
jq_is '[.blocks[] | select(.id == 128 or .id == 129) | [.state, .zone, .node, .managed]]' \
	'[["online","Movable",1,true],["online","Movable",1,true]]' "blocks 128 and 129: present, online Movable, node 1"
run "$PMMCTL" --json list ranges
jq_is "[.ranges[] | select(.start == $((16 * G))) | [.kind, .size]]" "[[\"system-ram\",$((256 * M))]]" \
	"the model has the hot-added System RAM range"
run "$PMMCTL" add-memory 16G 128M
expect_err Overlap "probing a present block"
run "$PMMCTL" add-memory 19G 128M
expect_err OutOfRegion "probing outside the managed region"
run "$PMMCTL" remove 16G 256M
expect_err Unsupported "removal (no sysfs interface)"
# the kernel takes one block of the probed range away (ACPI eject): the range shrinks, keeps its id
run "$PMMCTL" --json list ranges
id16=$(jq -c "[.ranges[] | select(.start == $((16 * G))) | .id]" <<<"$OUT")
run "$PMMCTL" offline $((16 * G + 128 * M)) 128M
expect_rc 0 "offline block 129"
FK remove 129
wait_for 10 '[.blocks[] | select(.id == 129)] == []'
ok $? "the kernel removed block 129"
run "$PMMCTL" --json list ranges
jq_is "[.ranges[] | select(.start >= $((16 * G)) and .start < $((17 * G))) | [.kind, .size, .id]]" \
	"[[\"system-ram\",$((128 * M)),${id16#[}]" "... the probed range is block 128 alone, under its id"

# ------------------------------------------------------------------ udev events
udev_event_checks
# block 48 was boot memory in the mirror, which the model cannot hot-remove: the mirror is
# rebuilt from sysfs, and must still equal it
run "$PMMCTL" --json list ranges
ranges_before=$(jq -c '.ranges' <<<"$OUT")
FK remove 48
wait_for 10 '[.blocks[] | select(.id == 48)] == []'
ok $? "a boot block removed by the kernel disappears too (the mirror is rebuilt)"
grep -q "rebuilding the mirror" "$T_DIR/daemon.log"
ok $? "... and the daemon says it rebuilt the mirror"
run "$PMMCTL" --json list ranges
same_json "... keeping the hot-added System RAM ranges (probed, udev-added) and their ids" \
	"$(jq -c '.ranges' <<<"$OUT")" "$ranges_before"
run blocks_json
same_json "after the rebuild the listing equals the testbed" \
	"$(jq -c "$JQ_DEFS blocks_as_sysfs" <<<"$OUT")" "$(sysfs_blocks)"
FK writes
bad=$(tr ' ' '\n' <<<"${FK_OUT#ok}" | grep -v -E '^memory(124|13[0-7])/state=online_(kernel|movable)$' | grep -c .)
[ "$bad" = 0 ] && [ "$(wc -w <<<"${FK_OUT#ok}")" = 9 ]
ok $? "nothing was written but the 9 auto-onlines of the managed blocks 124, 130-137" || diag "writes: $FK_OUT"

# bursts outside the managed region: every event applied once, none lost
if [ "${PMM_FAKE_KERNEL_QLEN:-10}" -ge 200 ]; then
	burst=150
else
	burst=8   # umockdev aborts past 10 queued uevents; the fake kernel could not raise it
fi
FK burst 200 $burst 1
wait_for 30 "[.blocks[] | select(.id >= 200 and .id < 200 + $burst)] | length == $burst"
ok $? "a burst of $burst hot-adds outside the managed region: all $burst blocks appear"
n=0
for b in $(seq 200 $((200 + burst - 1))); do
	[ "$(grep -c "udev: add memory$b " "$T_DIR/daemon.log")" = 1 ] && n=$((n + 1))
done
[ $n = $burst ]
ok $? "... each handled exactly once"

# Rescan: a change no event announced
FK set 116 online Movable quiet
run busctl --address="$BUS_ADDRESS" call org.pmm.Hotplug1 /org/pmm/Hotplug1 org.pmm.Hotplug1.Manager Rescan
expect_rc 0 "Rescan()"
run blocks_json
jq_is '[.blocks[] | select(.id == 116) | [.state, .zone]]' '[["online","Movable"]]' \
	"after Rescan the model shows the silent change"

# ------------------------------------------------------------------ end state
run blocks_json
same_json "after all that, list blocks equals the testbed" \
	"$(jq -c "$JQ_DEFS blocks_as_sysfs" <<<"$OUT")" "$(sysfs_blocks)"
same_json "... and lsmem" "$(jq -c "$JQ_DEFS from_pmmctl" <<<"$OUT")" \
	"$(lsmem --sysroot "$UMOCKDEV_DIR" -J -b -a -o RANGE,SIZE,STATE,REMOVABLE,BLOCK,NODE,ZONES |
		jq -c "$JQ_DEFS from_lsmem")"
FK closes
bad=$(tr ' ' '\n' <<<"${FK_OUT#ok}" | grep -v -E '^(probe|memory(11[2-9]|1[23][0-9]|14[0-3])/state):' | grep -c .)
[ "$bad" = 0 ]
ok $? "inotify: no file outside the managed blocks and probe was ever opened for writing" || diag "$FK_OUT"

# the policy is the daemon's, and persists
run "$PMMCTL" policy offline
expect_rc 0 "policy offline"
FK add 138 1
wait_for 10 '[.blocks[] | select(.id == 138) | .state] == ["offline"]'
ok $? "with policy offline a new managed block stays offline"
run "$PMMCTL" --json list ranges
ranges_before=$(jq -c '.ranges' <<<"$OUT")
stop_daemon
[ "$DAEMON_RC" = 0 ] && ! grep -q "runtime error\|Sanitizer" "$T_DIR/daemon.log"
ok $? "SIGTERM: the daemon exits 0 (no sanitizer report)"
jq -e --arg b "$(cat /proc/sys/kernel/random/boot_id)" \
	'.boot_id == $b and ([.ranges[] | select(.start == 17179869184 and .size == 134217728)] | length == 1)' \
	"$T_DIR/state/kernel-ram.json" >/dev/null
ok $? "kernel-ram.json records the hot-added System RAM under this boot's id"
start_daemon --config "$T_DIR/pmm.json"
ok $? "restart on the same state directory (journal replay skips the kernel's records)"
run "$PMMCTL" --json list ranges
same_json "after the restart the ranges (hot-added by probe and by udev) are the same, ids too" \
	"$(jq -c '.ranges' <<<"$OUT")" "$ranges_before"
run "$PMMCTL" --json status
jq_is '.auto_online_blocks' '"offline"' "the policy survived the restart"
run blocks_json
same_json "after the restart the listing equals the testbed" \
	"$(jq -c "$JQ_DEFS blocks_as_sysfs" <<<"$OUT")" "$(sysfs_blocks)"
run "$PMMCTL" --json list ranges
jq_is "[.ranges[] | select(.start == $((16 * G))) | [.kind, .size]]" "[[\"system-ram\",$((128 * M))]]" \
	"the probed range is still hot-added System RAM after the restart, not boot memory"

stop_daemon
[ "$DAEMON_RC" = 0 ] && ! grep -q "runtime error\|Sanitizer" "$T_DIR/daemon.log"
ok $? "the restarted daemon stops cleanly too"

# a reboot: the kernel forgot what it hot-added, so what is present now came from firmware
jq '.boot_id = "00000000-0000-0000-0000-000000000000"' "$T_DIR/state/kernel-ram.json" >"$T_DIR/kr" &&
	cp "$T_DIR/kr" "$T_DIR/state/kernel-ram.json"
start_daemon --config "$T_DIR/pmm.json"
ok $? "start with kernel-ram.json from another boot"
grep -q "kernel-ram.json: written during another boot" "$T_DIR/daemon.log"
ok $? "... the daemon says the record is from another boot"
run "$PMMCTL" --json list ranges
jq_is '[.ranges[] | select(.kind == "system-ram")] | length' 0 "... and every present block is boot memory"
run blocks_json
same_json "... the listing still equals the testbed" \
	"$(jq -c "$JQ_DEFS blocks_as_sysfs" <<<"$OUT")" "$(sysfs_blocks)"
stop_daemon
echo '{"boot_id": 5' >"$T_DIR/state/kernel-ram.json"
start_daemon --config "$T_DIR/pmm.json"
ok $? "a kernel-ram.json that is not JSON does not stop the daemon (it is a cache)"
grep -q "kernel-ram.json: ignored, not valid JSON" "$T_DIR/daemon.log"
ok $? "... and it says so"
stop_daemon
printf '{"boot_id": "%s", "block_size": %d, "next_range": 5, "ranges": [{"start": 1, "size": 2, "node": 0, "id": 9}]}\n' \
	"$(cat /proc/sys/kernel/random/boot_id)" $((128 * M)) >"$T_DIR/state/kernel-ram.json"
start_daemon --config "$T_DIR/pmm.json"
ok $? "a kernel-ram.json of this boot with a bad range does not stop the daemon either"
grep -q "kernel-ram.json: ignored, a range is not {start, size, node, id below next_range} of whole memory blocks" \
	"$T_DIR/daemon.log"
ok $? "... and the message names what is wrong"
run "$PMMCTL" --json list ranges
jq_is '[.ranges[] | select(.kind == "system-ram")] | length' 0 "... and nothing of it was used"
stop_daemon
[ "$DAEMON_RC" = 0 ]
ok $? "... and stops cleanly"

done_testing
