#!/bin/bash
# The first vertical slice end to end: the real pmm-hotplugd on a private bus, driven by the
# real pmmctl. States, named errors and exit codes of the contract.
. "$(dirname "$0")/lib.sh"

G=$((1 << 30))
M=$((1 << 20))

start_bus
start_daemon
ok $? "daemon reaches READY=1 through NOTIFY_SOCKET"
grep -q '^STATUS=' "$T_DIR/notify.out"
ok $? "daemon sends a STATUS= line"

# --- status
run "$PMMCTL" --json status
expect_rc 0 "status --json"
jq_is '[.backend, .arch, .memory_model, .page_size, .section_size, .subsection_size, .block_size, .max_physmem_bits]' \
	'["sim","x86_64","sparsemem-vmemmap",4096,134217728,2097152,134217728,46]' "status: embedded default geometry"
jq_is '.managed_regions' "[{\"start\":$((8 * G)),\"size\":$((64 * G))}]" "status: managed region [8G, 72G)"
jq_is '.present_bytes' "$((7 * G))" "status: 7 GiB boot RAM present (hole at [3G,4G))"
jq_is '.online_bytes' "$((7 * G))" "status: boot RAM online"
jq_is '.auto_online_blocks' '"offline"' "status: auto-online offline by default"
run "$PMMCTL" status
expect_rc 0 "status as a table"

# --- boot blocks, as lsmem would show them
run "$PMMCTL" --json list blocks --all
expect_rc 0 "list blocks --all --json"
jq_is '.blocks | length' 56 "56 boot blocks of 128 MiB (7 GiB)"
jq_is '[.blocks[] | select(.state != "online")] | length' 0 "every boot block online"
jq_is '[.blocks[] | select(.managed)] | length' 0 "no boot block is managed"
jq_is '.blocks[0] | [.id, .start, .size, .node, .state, .zone]' '[0,0,134217728,0,"online",null]' \
	"block 0 spans DMA and DMA32: online, no single zone (lsmem: None)"
jq_is '.blocks[1].zone' '"DMA32"' "block 1 in DMA32"
jq_is '.blocks[24] | [.id, .zone]' '[32,"Normal"]' "first block above the PCI hole is block 32, Normal"
jq_is '[.blocks[].id] | index(24)' 'null' "no block 24 (the hole [3G, 4G))"

# --- add a range, as an admin would
run "$PMMCTL" add-range 8G 1G
expect_rc 0 "add-range 8G 1G"
run "$PMMCTL" --json list blocks --all
jq_is '[.blocks[] | select(.start >= 8*1073741824)] | length' 8 "8 new blocks"
jq_is '[.blocks[] | select(.start >= 8*1073741824) | .state] | unique' '["offline"]' "new blocks offline (auto-online offline)"
jq_is '[.blocks[] | select(.start >= 8*1073741824) | .managed] | unique' '[true]' "new blocks are managed"
jq_is '[.blocks[] | select(.id == 64) | .valid_zones]' '[["Normal","Movable"]]' "valid_zones of an offline block: default zone first"
run "$PMMCTL" --json list ranges
expect_rc 0 "list ranges --json"
jq_is '.ranges | map([.kind, .start, .size])' "[[\"system-ram\",$((8 * G)),$((1 * G))]]" "one system-ram range [8G, 9G)"
run "$PMMCTL" --json status
jq_is '.present_bytes' "$((8 * G))" "present grows by 1 GiB"
jq_is '.online_bytes' "$((7 * G))" "online unchanged"
jq_is '.memmap_ram_bytes >= 16777216' 'true' "memmap of the added GiB (16 MiB) is accounted"

# --- errors named by the contract, each changing nothing
run "$PMMCTL" add-range $((8 * G + 1 * M)) 128M
expect_err Misaligned "misaligned add"
run "$PMMCTL" add-range 8G 128M
expect_err Overlap "overlapping add"
run "$PMMCTL" add-range 8704M 1G
expect_err Overlap "add overlapping the end of a range"
run "$PMMCTL" add-range 2G 128M
expect_err OutOfRegion "add outside the managed region"
run "$PMMCTL" --json add-range $((8 * G + 1 * M)) 128M
jq_is '.error.name' '"org.pmm.Hotplug1.Error.Misaligned"' "--json prints the error object"
jq_is '.error.message | length > 10' 'true' "the error says why"

# --- online, list, offline, remove
run "$PMMCTL" online 8G 512M
expect_rc 0 "online 8G 512M"
run "$PMMCTL" --json list blocks --all
jq_is '[.blocks[] | select(.id >= 64 and .id < 68) | .state] | unique' '["online"]' "blocks 64-67 online"
jq_is '[.blocks[] | select(.id >= 68 and .id < 72) | .state] | unique' '["offline"]' "blocks 68-71 still offline"
jq_is '[.blocks[] | select(.id == 64) | .zone]' '["Normal"]' "online (contig-zones) picks Normal"
run "$PMMCTL" online 8G 128M
expect_err InvalidState "online an online block"
run "$PMMCTL" online 9088M 128M
expect_rc 0 "online block 71 alone"
run "$PMMCTL" online 8704M 512M
expect_err InvalidState "online blocks 68-71 while 71 is online (all or nothing)"
run "$PMMCTL" --json list blocks --all
jq_is '[.blocks[] | select(.id >= 68 and .id < 71) | .state] | unique' '["offline"]' \
	"blocks 68-70, onlined before 71 failed, were put back offline"
run "$PMMCTL" offline 9088M 128M
expect_rc 0 "offline block 71"
run "$PMMCTL" online 8704M 512M --zone movable
expect_rc 0 "online --zone movable"
run "$PMMCTL" --json list blocks --all
jq_is '[.blocks[] | select(.id == 70) | .zone]' '["Movable"]' "movable zone chosen"
run "$PMMCTL" remove-range 8G 1G
expect_err Busy "remove a range with online blocks"
run "$PMMCTL" --json status
jq_is '.online_bytes' "$((8 * G))" "status: 8 GiB online"
run "$PMMCTL" offline 8G 1G
expect_rc 0 "offline 8G 1G"
run "$PMMCTL" offline 8G 128M
expect_err InvalidState "offline an offline block"
run "$PMMCTL" remove-range 8G 1G
expect_rc 0 "remove-range 8G 1G"
run "$PMMCTL" --json list blocks --all
jq_is '[.blocks[] | select(.start >= 8*1073741824)] | length' 0 "blocks gone after remove"
run "$PMMCTL" --json list ranges
jq_is '.ranges' '[]' "no range left: empty array, not nothing"
run "$PMMCTL" remove-range 8G 1G
expect_rc 1 "removing twice is refused"

# --- exit codes of the client itself
run "$PMMCTL" add-range 8G
expect_rc 2 "missing argument is a usage error"
run "$PMMCTL" add-range 8X 1G
expect_rc 2 "bad number is a usage error"
grep -q "8X" <<<"$ERR"; ok $? "the usage error names the argument"
run "$PMMCTL" --address unix:path=$T_DIR/nonexistent status
expect_rc 3 "unreachable daemon"

# --- durability: restart with the same state directory
run "$PMMCTL" add-range 16G 2G
expect_rc 0 "add 16G 2G"
run "$PMMCTL" online 16G 1G --zone movable
expect_rc 0 "online half of it"
stop_daemon TERM
ok $DAEMON_RC "daemon exits 0 on SIGTERM"
start_daemon
ok $? "daemon restarts on the same state directory"
run "$PMMCTL" --json list blocks --all
jq_is '[.blocks[] | select(.start >= 16*1073741824) | .state] | group_by(.) | map([.[0], length])' \
	'[["offline",8],["online",8]]' "state restored after restart"
stop_daemon KILL
start_daemon
ok $? "daemon restarts after SIGKILL"
run "$PMMCTL" --json list blocks --all
jq_is '[.blocks[] | select(.start >= 16*1073741824 and .state == "online") | .zone] | unique' \
	'["Movable"]' "zones restored after SIGKILL"

done_testing
