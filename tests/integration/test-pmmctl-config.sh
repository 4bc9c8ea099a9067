#!/bin/bash
# pmmctl against the real pmm-hotplugd started with --config: pmmctl takes every size from the
# daemon (page size for lookup, block size for --blocks and the tables), never from x86_64
# assumptions; the configured auto-online policy shows and applies; models without memory
# hotplug or ZONE_DEVICE are refused with Unsupported, by plan and by the operation alike.
. "$(dirname "$0")/lib-pmmctl.sh"

# restart_with FILE: a fresh daemon (and state) on FILE
restart_with() {
	stop_daemon TERM
	ok "$DAEMON_RC" "daemon stops cleanly (exit 0, no sanitizer report)"
	rm -rf "$T_DIR/state"
	start_daemon --config "$1"
}

start_bus

# ================================================================ ppc64 with 64K pages
cat >"$T_DIR/ppc64.json" <<'EOF'
{
  "arch": "ppc64-64k",
  "boot_memory": [ { "start": 0, "size": "2G", "node": 0 } ],
  "managed_regions": [ { "start": "4G", "size": "4G" } ],
  "namespaces": [],
  "auto_online_blocks": "online_movable"
}
EOF
start_daemon --config "$T_DIR/ppc64.json"
ok $? "daemon ready with a ppc64-64k profile"
pm --json status
jq_is '[.arch, .page_size, .section_size, .subsection_size, .block_size, .max_physmem_bits, .managed_regions, .auto_online_blocks]' \
	"[\"ppc64-64k\",65536,$((16 * M)),$((2 * M)),$((256 * M)),51,[{\"start\":$((4 * G)),\"size\":$((4 * G))}],\"online_movable\"]" \
	"status: 64K pages, 16M sections, 256M blocks, the configured region and policy"
pm status
grep -qx '          Page size: 64K' <<<"$OUT" && grep -qx '  Memory block size: 256M' <<<"$OUT" &&
	grep -qx ' Auto-online blocks: online_movable' <<<"$OUT"
check "status sheet: 64K pages, 256M blocks"
pm --json policy
out_is '{"auto_online_blocks":"online_movable","auto_movable_ratio":301}' "policy: the configured online_movable"
pm list
[ "$(grep -c '^0x' <<<"$OUT")" -eq 1 ] &&
	grep -Eqx '0x0000000000000000-0x000000007fffffff +2G +online +Normal +0 +yes +no +0-7' <<<"$OUT" &&
	grep -Eqx 'Memory block size: +256M' <<<"$OUT"
check "list: 2G of boot RAM as blocks 0-7 of 256M"
pm --json list namespaces
out_is '{"namespaces":[]}' "no namespace configured: {\"namespaces\":[]}"
pm list namespaces
[ "$RC" -eq 0 ] && [ "$(wc -l <<<"$OUT")" -eq 1 ] && grep -q '^DEV ' <<<"$OUT"
check "an empty table is its header"
pm --json list ranges
out_is '{"ranges":[]}' "no range yet: {\"ranges\":[]}"
pm plan add-namespace namespace0.0
refused NotFound "plan add-namespace without namespaces"

pm add-memory 4G 512M
out_is "added range 1: system-ram 0x0000000100000000-0x000000011fffffff (512M)" "add-memory 4G 512M"
pm --json list blocks
jq_is '[.blocks[] | select(.managed) | [.id, .size, .state, .zone]]' \
	"[[16,$((256 * M)),\"online\",\"Movable\"],[17,$((256 * M)),\"online\",\"Movable\"]]" \
	"no --online: the configured policy onlined blocks 16-17 into Movable"
pm --json lookup 0x100012345
jq_is '[.pfn, .block, .zone, .section]' '[65537,16,"Movable",256]' "lookup divides by the daemon's 64K page size"
pm --json get-pages 0x10001 1
expect_rc 0 "get-pages 0x10001 1"
pm --json pfn 0x10001
jq_is .refcount 1 "the 64K page holds the reference"
pm offline --blocks 16
refused Busy "offline --blocks 16 with a referenced page"
pm put-pages 0x10001 1
expect_rc 0 "put-pages"
pm --json offline --blocks 16-17
out_is '{"blocks":2}' "offline --blocks 16-17 ([4G, 4.5G) with 256M blocks)"
pm --json plan online --blocks 16-17 --zone normal
jq_is '[.ok, (.sections | [length, .[0], .[-1]]), .subsections, .blocks, .memmap_bytes]' \
	'[true,[32,256,287],256,[16,17],0]' "plan online --blocks 16-17: 32 sections of 16M, 256 subsections, blocks 16-17"
pm online --blocks 16-17 --zone normal
out_is "onlined 2 blocks" "online --blocks 16-17 --zone normal"
pm --json online --blocks 18-19
refused_json NotFound "online --blocks 18-19 (nothing there)"
pm map
line=$(grep '^0x000000000000' <<<"$OUT")
grep -q '^Physical address space 0x0-0x1ffffffff (8G): one character = 256M, one line = 16G$' <<<"$OUT" &&
	[ "$line" = "0x000000000000 ########--------NN..............$(printf ' %.0s' $(seq 32)) 0" ]
check "map: one cell per 256M block; the line ends blank past the drawn 8G"
pm --json plan add-device 5G 16M --map dev
jq_is '[.ok, .memmap_bytes, .altmap]' "[true,16384,{\"base_pfn\":$((5 * G / 65536)),\"reserve\":0,\"free\":1,\"alloc\":1,\"align\":0}]" \
	"plan add-device 16M map=dev: 256 struct pages = 16K, one 64K pfn of altmap"

# ================================================================ static SPARSEMEM, auto-movable
cat >"$T_DIR/sparse.json" <<'EOF'
{
  "memory_model": "sparsemem",
  "auto_online_blocks": "auto-movable",
  "online_policy": { "policy": "auto-movable", "ratio": 50 }
}
EOF
restart_with "$T_DIR/sparse.json"
ok $? "daemon ready with static SPARSEMEM and the auto-movable policy"
pm --json policy
out_is '{"auto_online_blocks":"auto-movable","auto_movable_ratio":50}' "policy: auto-movable, ratio 50 from the configuration"
pm --json status
jq_is .memory_model '"sparsemem"' "status: sparsemem"
for args in "add-device 16G 1G" "add-range 16G 1G --device --map dev" "add-namespace namespace0.0"; do
	# shellcheck disable=SC2086
	pm --json plan $args
	[ "$RC" -eq 1 ] && [ "$(jq -c '[.ok, .error]' <<<"$OUT")" = '[false,"org.pmm.Hotplug1.Error.Unsupported"]' ] &&
		grep -q '^pmmctl: Unsupported: .*VMEMMAP' <<<"$ERR"
	check "plan $args: Unsupported (ZONE_DEVICE needs SPARSEMEM_VMEMMAP)"
	# shellcheck disable=SC2086
	pm --json $args
	refused_json Unsupported "$args"
done
pm add-memory 8G 1G
expect_rc 0 "add-memory works with static SPARSEMEM"
pm --json list blocks
jq_is '[.blocks[] | select(.managed) | [.state, .zone]] | unique' '[["online","Movable"]]' \
	"auto-movable onlined the new 1G into Movable (well under 50% of the boot kernel memory)"

# ================================================================ FLATMEM: no hotplug at all
echo '{ "memory_model": "flatmem" }' >"$T_DIR/flat.json"
restart_with "$T_DIR/flat.json"
ok $? "daemon ready with FLATMEM"
pm --json plan add-memory 8G 1G
[ "$RC" -eq 1 ] && jq -e '.error == "org.pmm.Hotplug1.Error.Unsupported"' <<<"$OUT" >/dev/null &&
	grep -q '^pmmctl: Unsupported: .*SPARSEMEM' <<<"$ERR"
check "plan add-memory with FLATMEM: Unsupported"
pm add-memory 8G 1G
refused Unsupported "add-memory with FLATMEM"
pm --json list blocks
out_is '{"blocks":[]}' "no memory blocks without SPARSEMEM: {\"blocks\":[]}"
pm --json list sections
out_is '{"sections":[]}' "no sections: {\"sections\":[]}"
pm --json pfn 0x100000
jq_is '[.valid, .online, .block, .zone, .memmap]' '[true,true,null,"Normal","boot"]' "pfn in FLATMEM's mem_map: no block, zone Normal"

stop_daemon TERM
ok "$DAEMON_RC" "daemon stops cleanly"
done_testing
