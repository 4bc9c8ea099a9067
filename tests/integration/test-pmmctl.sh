#!/bin/bash
# pmmctl against the real pmm-hotplugd (embedded default: sim backend, x86_64, 128 MiB blocks,
# boot RAM [0,3G) + [4G,8G), managed region [8G,72G)) on a private system-like bus: status,
# list (and its lsmem merge, checked against lsmem itself), System RAM hot-add/online/offline/
# remove, page references, pfn/lookup, policy, the contract's JSON shapes, every exit status
# (nothing is sent on a usage error: proven on the bus), the progress bar on a terminal, monitor.
# Device memory, namespaces, plan and map: test-pmmctl-device.sh; other configurations:
# test-pmmctl-config.sh.
. "$(dirname "$0")/lib-pmmctl.sh"

# every multi-block add/online/offline becomes a daemon job with Progress signals
export PMM_JOB_CHUNK=$((256 * M))
start_bus
start_daemon
ok $? "daemon ready (PMM_JOB_CHUNK=256M)"

# ================================================================ status
pm --json status
expect_rc 0 "status --json"
jq_is 'keys_unsorted' "$K_STATUS" "status: the contract's fields in order"
jq_is '[.managed_regions[] | keys_unsorted] | unique' "[$K_REGION]" "status: managed_regions [{start,size}]"
jq_true '[.page_size, .section_size, .subsection_size, .block_size, .max_physmem_bits, .present_bytes,
	.online_bytes, .device_bytes, .memmap_ram_bytes, .memmap_device_bytes, .managed_regions[0].start,
	.managed_regions[0].size] | map(type == "number") | all' "status: sizes and counts are JSON numbers"
jq_is '[.present_bytes, .online_bytes, .device_bytes, .memmap_ram_bytes, .memmap_device_bytes, .auto_online_blocks]' \
	"[$((7 * G)),$((7 * G)),0,$((7 * G / 4096 * 64)),0,\"offline\"]" \
	"status: 7G boot RAM online, its memmap 112M (64 B per 4K page), nothing else"
pm status
[ "$RC" -eq 0 ] && grep -qx '  Memory block size: 128M' <<<"$OUT" &&
	grep -qx '    Managed regions: 0x0000000200000000-0x00000011ffffffff (64G)' <<<"$OUT" &&
	grep -qx '      Online memory: 7G' <<<"$OUT" && grep -qx '          Page size: 4K' <<<"$OUT" &&
	grep -qx ' Auto-online blocks: offline' <<<"$OUT" && [ "$(wc -l <<<"$OUT")" -eq 16 ]
check "status sheet: 16 lines, sizes in human units, the managed region as a range"
pm -b status
grep -qx '  Memory block size: 134217728' <<<"$OUT" && grep -qx '      Online memory: 7516192768' <<<"$OUT" &&
	grep -qx '    Managed regions: 0x0000000200000000-0x00000011ffffffff (68719476736)' <<<"$OUT"
check "status -b: bytes"
pm status --bytes
grep -qx '  Memory block size: 134217728' <<<"$OUT"
check "--bytes is also taken after the command"

# ================================================================ boot blocks: list
pm --json list blocks --all
expect_rc 0 "list blocks --all --json"
all_boot=$OUT
jq_is '[.blocks[] | keys_unsorted] | unique' "[$K_BLOCK]" "block: the contract's fields in order, on every block"
jq_true '[.blocks[] | (.id|type) == "number" and (.start|type) == "number" and (.size|type) == "number"
	and (.state|type) == "string" and ((.zone|type) == "string" or .zone == null)
	and (.valid_zones|type) == "array" and (.removable|type) == "boolean"
	and (.node|type) == "number" and (.managed|type) == "boolean"] | all' \
	"block: numbers, strings, booleans and zone string|null as the contract says"
jq_is '[(.blocks | length), (.blocks[0] | [.id, .zone, .valid_zones]), (.blocks | map(.id) | index(24))]' '[56,[0,null,[]],null]' \
	"56 boot blocks; block 0 spans DMA+DMA32 (zone null, valid_zones []); no block 24 (hole)"
pm --json list
[ "$OUT" = "$all_boot" ]
check "list --json without a kind or --all is the same per-block document (one shape)"
pm --json list blocks
[ "$OUT" = "$all_boot" ]
check "list blocks --json is not merged"
pm list
[ "$RC" -eq 0 ] && [ "$(head -n1 <<<"$OUT")" = "RANGE                                  SIZE  STATE   ZONE    NODE  REMOVABLE  MANAGED  BLOCK" ] &&
	[ "$(grep -c '^0x' <<<"$OUT")" -eq 3 ] &&
	grep -Eqx '0x0000000000000000-0x0000000007ffffff +128M +online +- +0 +yes +no +0' <<<"$OUT" &&
	grep -Eqx '0x0000000008000000-0x00000000bfffffff +2.9G +online +DMA32 +0 +yes +no +1-23' <<<"$OUT" &&
	grep -Eqx '0x0000000100000000-0x00000001ffffffff +4G +online +Normal +0 +yes +no +32-63' <<<"$OUT" &&
	grep -Eqx 'Total online memory: +7G' <<<"$OUT" && grep -Eqx 'Total offline memory: +0' <<<"$OUT" &&
	grep -Eqx 'Memory block size: +128M' <<<"$OUT"
check "list: boot blocks merged 0 | 1-23 | 32-63 (zone and the hole split runs), lsmem summary"
pm list --all
[ "$(grep -c '^0x' <<<"$OUT")" -eq 56 ] && ! grep -Eq '^0x.* [0-9]+-[0-9]+$' <<<"$OUT"
check "list --all: one row per block, no merged id range"

pm --json list sections
jq_is '[.sections[] | keys_unsorted] | unique' "[$K_SECTION]" "section: the contract's fields in order"
jq_is '[(.sections | length), (.sections[1] | [.nr, .start, .present, .online, .early, .has_memmap, .zone_device, .subsections])]' \
	"[56,[1,$((128 * M)),true,true,true,true,false,\"0xffffffffffffffff\"]]" \
	"56 boot sections; section 1: present, online, early, memmap, all 64 subsections (hex string)"
pm list sections
[ "$(head -n1 <<<"$OUT")" = "NR  START        PRESENT  ONLINE  EARLY  MEMMAP  DEVICE  SUBSECTIONS" ] &&
	grep -Eqx ' +1 +0x8000000 +yes +yes +yes +yes +no +0xffffffffffffffff' <<<"$OUT" && [ "$(wc -l <<<"$OUT")" -eq 57 ]
check "list sections table"
pm --json list ranges
out_is '{"ranges":[]}' "no range yet: {\"ranges\":[]}"
pm map
grep -q "^0x000e00000000 $(printf 'p%.0s' $(seq 64)) 56G$" <<<"$OUT" && grep -q "^0x000200000000 $(printf '.%.0s' $(seq 64)) 8G$" <<<"$OUT"
check "map: the unused namespace as p, free managed space as ."

# ================================================================ System RAM: add-range, add-memory
pm add-range 8G 1G
expect_rc 0 "add-range 8G 1G"
out_is "added range 1: system-ram 0x0000000200000000-0x000000023fffffff (1G)" \
	"add-range prints the range read back from its object"
pm --json add-memory 10G 512M --node 1 --online online_movable
out_is '{"range":"/org/pmm/Hotplug1/range/2"}' "add-memory --json: {\"range\": object path}"
pm -b add-memory 11G 256M --memmap-on-memory --no-online
out_is "added range 3: system-ram 0x00000002c0000000-0x00000002cfffffff (268435456)" "add-memory with -b: the size in bytes"
pm --json list ranges
expect_rc 0 "list ranges --json"
jq_is '[.ranges[] | keys_unsorted] | unique' "[$K_RANGE]" "range: the contract's fields in order"
jq_true '[.ranges[] | ([.id, .start, .size, .node, .align, .refs] | map(type == "number") | all)
	and ([.kind, .type, .map] | map(type == "string") | all)
	and (.altmap == null or (.altmap | type) == "object") and (.namespace == null or (.namespace | type) == "string")] | all' \
	"range: numbers, strings, altmap object|null, namespace string|null"
jq_is '[.ranges[] | [.id, .kind, .start, .size, .node, .map, .altmap, .refs, .namespace]]' \
	"[[1,\"system-ram\",$((8 * G)),$((1 * G)),0,\"mem\",null,0,null],[2,\"system-ram\",$((10 * G)),$((512 * M)),1,\"mem\",null,0,null],[3,\"system-ram\",$((11 * G)),$((256 * M)),0,\"dev\",null,0,null]]" \
	"ranges: --node reached the daemon; --memmap-on-memory is map dev; altmap and namespace null"
pm --json list blocks
jq_is '[.blocks[] | select(.managed) | [.id, .state, .zone, .node]]' \
	'[[64,"offline",null,0],[65,"offline",null,0],[66,"offline",null,0],[67,"offline",null,0],[68,"offline",null,0],[69,"offline",null,0],[70,"offline",null,0],[71,"offline",null,0],[80,"online","Movable",1],[81,"online","Movable",1],[82,"online","Movable",1],[83,"online","Movable",1],[88,"offline",null,0],[89,"offline",null,0]]' \
	"new blocks: policy offline; --online online_movable onlined blocks 80-83 Movable on node 1; --no-online"
pm list ranges
[ "$(head -n1 <<<"$OUT")" = "ID  KIND        RANGE                                  SIZE  NODE  TYPE        MAP  ALIGN  REFS  NAMESPACE" ] &&
	grep -Eqx ' +2 +system-ram +0x0000000280000000-0x000000029fffffff +512M +1 +system-ram +mem +4K +0 +-' <<<"$OUT"
check "list ranges table"
pm --json pfn $((11 * G / 4096))
jq_is '[.block, .memmap]' '[88,"altmap"]' "--memmap-on-memory: the first pfn of the block holds its memmap (altmap)"

# policy online_movable: without --online the policy onlines; --no-online keeps them offline
pm policy online_movable
expect_rc 0 "policy online_movable"
pm add-memory 12G 128M
pm add-memory 12416M 128M --no-online
pm add-memory 12544M 128M --online online_kernel
pm add-memory 12672M 128M --online online
pm add-memory 12800M 128M --online offline
pm --json list blocks
jq_is '[.blocks[] | select(.id >= 96 and .id <= 100) | [.id, .state, .zone]]' \
	'[[96,"online","Movable"],[97,"offline",null],[98,"online","Normal"],[99,"online","Normal"],[100,"offline",null]]' \
	"no option: the policy (online_movable); --no-online: offline; online_kernel: Normal; online: Normal (contig-zones); --online offline"
pm online 12416M 128M
out_is "onlined 1 block" "online without --zone"
pm --json list blocks
jq_is '[.blocks[] | select(.id == 97) | [.state, .zone]]' '[["online","Movable"]]' "without --zone the policy's type (online_movable) is used"
pm offline 12416M 128M
pm policy offline
expect_rc 0 "policy back to offline"

# errors of add-memory: each refused with its name, nothing changed
before=$(model_state)
pm add-memory $((8 * G + M)) 128M
refused Misaligned "add-memory at 8G+1M"
pm --json add-memory $((8 * G + M)) 128M
refused_json Misaligned "add-memory at 8G+1M"
pm add-range 8G 128M
refused Overlap "add-range over range 1"
pm --json add-range 8704M 1G
refused_json Overlap "add-range over the end of range 1"
pm add-memory 2G 128M
refused OutOfRegion "add-memory in boot RAM (outside the managed region)"
pm --json add-memory 72G 128M
refused_json OutOfRegion "add-memory past the managed region"
pm add-memory 14G 0
refused InvalidArgument "add-memory of size 0"
[ "$(model_state)" = "$before" ]
check "the refused adds changed nothing"

# ================================================================ the lsmem merge
pm online 8G 128M --zone normal
out_is "onlined 1 block" "online 8G 128M --zone normal"
pm online 8320M 128M --zone movable
expect_rc 0 "online 8320M 128M --zone movable"
pm online 8704M 128M --zone normal
expect_rc 0 "online 8704M 128M --zone normal"
pm online --blocks 70-71 --zone auto
out_is "onlined 2 blocks" "online --blocks 70-71 --zone auto prints the number of blocks"
pm --json list blocks --all
printf '%s\n' "$OUT" >"$T_DIR/blocks.json"
jq_is '[.blocks[] | select(.id >= 64 and .id <= 71) | [.state, .zone]]' \
	'[["online","Normal"],["online","Movable"],["offline",null],["offline",null],["online","Normal"],["offline",null],["online","Normal"],["online","Normal"]]' \
	"--zone normal: Normal; --zone movable: Movable; --blocks 70-71 --zone auto: online (Normal here)"
pm -b list
printf '%s\n' "$OUT" >"$T_DIR/list.txt"
pm -b list --all
printf '%s\n' "$OUT" >"$T_DIR/list-all.txt"
"$PYTHON" - "$T_DIR/blocks.json" "$T_DIR/list.txt" "$T_DIR/list-all.txt" 15 <<'PY'
# The merge rule, computed independently from the daemon's per-block document: a run extends
# while the next block is adjacent (id and address) and alike in state, zone, node, removable
# and managed. The table (-b) must be exactly those runs; --all exactly one row per block.
import json, sys
blocks = sorted(json.load(open(sys.argv[1]))["blocks"], key=lambda b: b["start"])
def key(b): return (b["state"], b["zone"], b["node"], b["removable"], b["managed"])
runs = []
for b in blocks:
    r = runs[-1] if runs else None
    if r and b["id"] == r["last"] + 1 and b["start"] == r["start"] + r["size"] and key(b) == r["key"]:
        r["last"] = b["id"]; r["size"] += b["size"]
    else:
        runs.append(dict(first=b["id"], last=b["id"], start=b["start"], size=b["size"], key=key(b)))
def row(r):
    state, zone, node, removable, managed = r["key"]
    ids = str(r["first"]) if r["first"] == r["last"] else "%d-%d" % (r["first"], r["last"])
    return ["0x%016x-0x%016x" % (r["start"], r["start"] + r["size"] - 1), str(r["size"]), state,
            zone or "-", str(node), "yes" if removable else "no", "yes" if managed else "no", ids]
def table(path):
    return [l.split() for l in open(path) if l.startswith("0x")]
want = [row(r) for r in runs]
got = table(sys.argv[2])
assert got == want, "merged:\n got %s\nwant %s" % (got, want)
assert len(want) == int(sys.argv[4]), [r["first"] for r in runs]
got_all = table(sys.argv[3])
want_all = [row(dict(first=b["id"], last=b["id"], start=b["start"], size=b["size"], key=key(b))) for b in blocks]
assert got_all == want_all, "all rows differ"
online = sum(b["size"] for b in blocks if b["state"] == "online")
offline = sum(b["size"] for b in blocks if b["state"] != "online")
text = open(sys.argv[2]).read()
assert "Total online memory:     %d\n" % online in text and "Total offline memory:    %d\n" % offline in text, text
PY
check "list -b: exactly the runs of adjacent blocks alike in state/zone/node/removable/managed (15 runs; 63|64 split by managed alone), totals"
# lsmem itself, on a sysfs tree holding the daemon's blocks (its zone as valid_zones, as the
# kernel shows it for an online block), merges the same way on the columns both show
"$PYTHON" - "$T_DIR/blocks.json" "$T_DIR/sysroot" <<'PY'
import json, os, sys
doc = json.load(open(sys.argv[1])); mem = os.path.join(sys.argv[2], "sys/devices/system/memory")
os.makedirs(mem)
open(os.path.join(mem, "block_size_bytes"), "w").write("%x\n" % doc["blocks"][0]["size"])
for b in doc["blocks"]:
    d = os.path.join(mem, "memory%d" % b["id"]); os.makedirs(d)
    for name, value in (("state", b["state"]), ("removable", "%d" % b["removable"]),
                        ("phys_index", "%08x" % b["id"]), ("valid_zones", b["zone"] or "None")):
        open(os.path.join(d, name), "w").write(value + "\n")
    os.makedirs(os.path.join(d, "node%d" % b["node"]))
PY
lsmem --sysroot "$T_DIR/sysroot" -b -r -n -o RANGE,SIZE,STATE,BLOCK,NODE,ZONES \
	--split STATE,NODE,ZONES,REMOVABLE >"$T_DIR/lsmem.txt" 2>&1
# lsmem has no MANAGED column: our rows split by MANAGED alone are joined for the comparison
"$PYTHON" - "$T_DIR/list.txt" >"$T_DIR/ours.txt" <<'PY'
import sys
rows = []
for line in open(sys.argv[1]):
    if not line.startswith("0x"):
        continue
    rng, size, state, zone, node, removable, managed, ids = line.split()
    start, end = (int(x, 16) for x in rng.split("-"))
    first, last = (int(x) for x in (ids.split("-") if "-" in ids else (ids, ids)))
    r = rows[-1] if rows else None
    if r and r["end"] + 1 == start and r["last"] + 1 == first and r["key"] == (state, zone, node, removable):
        r["end"], r["last"] = end, last
    else:
        rows.append(dict(start=start, end=end, first=first, last=last, key=(state, zone, node, removable)))
for r in rows:
    state, zone, node, _ = r["key"]
    ids = str(r["first"]) if r["first"] == r["last"] else "%d-%d" % (r["first"], r["last"])
    print("0x%016x-0x%016x %d %s %s %s %s" % (r["start"], r["end"], r["end"] - r["start"] + 1, state, ids,
                                              node, "None" if zone == "-" else zone))
PY
diff "$T_DIR/lsmem.txt" "$T_DIR/ours.txt" >"$T_DIR/lsmem.diff"
OUT=$(cat "$T_DIR/lsmem.diff")
check "list merges as lsmem --split STATE,NODE,ZONES,REMOVABLE does on the same blocks (MANAGED aside)"

# ================================================================ online / offline
pm online 8G 128M
refused InvalidState "online of an online block"
pm --json online 8G 1G
refused_json InvalidState "online 8G 1G with blocks 64-65 online (all or nothing)"
pm --json list blocks
jq_is '[.blocks[] | select(.id == 66 or .id == 67 or .id == 69) | .state] | unique' '["offline"]' \
	"the failed online left blocks 66, 67, 69 offline"
pm --json offline --blocks 70
out_is '{"blocks":1}' "offline --blocks 70 --json: {\"blocks\":1}"
pm --json online --blocks 66-67 --zone movable
out_is '{"blocks":2}' "online --blocks 66-67 --json: {\"blocks\":2}"
pm --json list blocks
jq_is '[.blocks[] | select(.id >= 64 and .id <= 71) | [.id, .state, .zone]]' \
	'[[64,"online","Normal"],[65,"online","Movable"],[66,"online","Movable"],[67,"online","Movable"],[68,"online","Normal"],[69,"offline",null],[70,"offline",null],[71,"online","Normal"]]' \
	"--blocks A-B is [A*128M, (B+1)*128M): exactly blocks 66-67 onlined, block 70 offlined"
pm remove-range 8G 1G
refused Busy "remove-range of a range with online blocks"
pm offline 8G 1G
refused InvalidState "offline 8G 1G while 69-70 are offline (all or nothing)"
pm offline 8G 512M
out_is "offlined 4 blocks" "offline 8G 512M"
pm offline 8704M 128M
expect_rc 0 "offline block 68"
pm offline --blocks 71
expect_rc 0 "offline --blocks 71"
pm offline 8G 128M
refused InvalidState "offline of an offline block"
pm --json remove 8G 512M
out_is "{\"start\":$((8 * G)),\"size\":$((512 * M))}" "remove (alias) --json: {start,size}"
pm remove-range 8704M 512M
out_is "removed 0x0000000220000000-0x000000023fffffff (512M)" "remove-range prints the range"
pm --json list ranges
jq_is '[.ranges[] | .id] | index(1)' null "range 1 is gone"
pm remove-range 8G 1G
refused NotFound "remove-range of nothing"

# ================================================================ page references
PFN=$((10 * G / 4096 + 16))     # in block 80, online Movable
pm --json get-pages $PFN 3
out_is "{\"pfn\":$PFN,\"count\":3}" "get-pages --json: {pfn,count}"
refs() { for p in "$@"; do "$PMMCTL" --json pfn "$p" | jq -r .refcount; done | tr '\n' ' '; }
r_before=$(refs $((PFN - 1)) $PFN $((PFN + 2)) $((PFN + 3)))
[ "$r_before" = "0 1 1 0 " ]
check "pfn shows one reference on each of the 3 pages, none beside them (got: $r_before)"
pm offline 10G 128M
refused Busy "offline of a block with a referenced page"
grep -q "0x$(printf '%x' $PFN)" <<<"$ERR"
check "the Busy message names the referenced pfn"
pm --json plan offline 10G 128M
jq_is '[.ok, .error]' '[false,"org.pmm.Hotplug1.Error.Busy"]' "plan offline says Busy too"
pm --json list blocks
jq_is '[.blocks[] | select(.id == 80) | .state]' '["online"]' "block 80 stays online"
pm put-pages $PFN 3
out_is "dropped one reference on 3 pages at pfn 0x$(printf '%x' $PFN)" "put-pages"
[ "$(refs $PFN $((PFN + 2)))" = "0 0 " ]
check "put-pages dropped the references"
pm put-pages $PFN 1
refused InvalidState "put-pages without a reference"
pm get-pages $((11 * G / 4096 + 4096)) 1
refused InvalidState "get-pages on an offline block (no initialised struct page)"
pm offline 10G 128M
expect_rc 0 "offline succeeds once the references are gone"
pm online 10G 128M --zone movable
expect_rc 0 "online it again"

# ================================================================ pfn / lookup
pm --json pfn 0x100000
jq_is keys_unsorted "$K_PFN" "pfn: the contract's fields in order"
jq_is '[.pfn, .valid, .online, .section, .subsection, .block, .zone, .node, .memmap, .pgmap, (.flags|type), (.refcount|type)]' \
	'[1048576,true,true,32,0,32,"Normal",0,"boot",null,"array","number"]' \
	"pfn 0x100000 (4G): boot RAM, block 32, Normal, memmap boot, pgmap null"
pm --json pfn $((3 * G / 4096 + 5))
jq_is keys_unsorted "$K_PFN" "pfn in the PCI hole: the same fields"
jq_is '[.valid, .online, .block, .zone, .node, .refcount, .flags, .memmap, .pgmap]' \
	'[false,false,null,null,null,null,[],"none",null]' \
	"pfn in the hole: invalid, block/zone/node/refcount/pgmap null, flags [], memmap none"
pm --json pfn $((12416 * M / 4096))
jq_is '[.valid, .online, .block, .zone, .node, .refcount, .memmap]' '[true,false,97,null,null,null,"ram"]' \
	"pfn of an offline hot-added block: valid, not online, no initialised page (zone, node, refcount null), memmap in RAM"
pm pfn 0x100000
[ "$RC" -eq 0 ] && grep -qx '        pfn: 0x100000' <<<"$OUT" && grep -qx '       zone: Normal' <<<"$OUT" &&
	grep -qx '     memmap: boot' <<<"$OUT" && grep -qx '      pgmap: -' <<<"$OUT" && [ "$(wc -l <<<"$OUT")" -eq 12 ]
check "pfn sheet: one line per field, null as -"
pm --json lookup 0x100000fff
lookup_json=$OUT
pm --json pfn 0x100000
[ "$lookup_json" = "$OUT" ]
check "lookup 0x100000fff is pfn 0x100000 (address / page size from the daemon)"
pm lookup 0x100001000
grep -qx '    address: 0x100001000' <<<"$OUT" && grep -qx '        pfn: 0x100001' <<<"$OUT"
check "lookup sheet starts with the address"
pm --json pfn $((1 << 34))
refused_json OutOfRegion "pfn beyond MAX_PHYSMEM_BITS"

# ================================================================ policy
pm --json policy
out_is '{"auto_online_blocks":"offline","auto_movable_ratio":301}' "policy --json: {auto_online_blocks, auto_movable_ratio}"
for p in online online_kernel online_movable offline; do
	pm --json policy $p
	[ "$RC" -eq 0 ] && [ "$OUT" = "{\"auto_online_blocks\":\"$p\",\"auto_movable_ratio\":301}" ] &&
		[ "$(status_field auto_online_blocks)" = "$p" ]
	check "policy $p: read back, and in the status"
done
pm policy auto-movable --ratio 150
[ "$RC" -eq 0 ] && [ "$OUT" = "$(printf 'auto-online blocks: auto-movable\nauto-movable ratio: 150%%')" ]
check "policy auto-movable --ratio 150 (table)"
pm --json policy auto-movable
out_is '{"auto_online_blocks":"auto-movable","auto_movable_ratio":150}' "auto-movable without --ratio keeps the ratio"
pm add-memory 14G 256M
pm --json list blocks
jq_is '[.blocks[] | select(.id == 112 or .id == 113) | .state] | unique' '["online"]' \
	"auto-movable policy onlines new blocks"
pm policy online --ratio 5
expect_rc 2 "--ratio with another policy is a usage error"
pm policy offline
expect_rc 0 "policy offline"

# ================================================================ usage errors send nothing
start_bus_watch
ok $? "watching connections on the bus"
before=$(model_state)
bus_settle
conns=$(bus_connections)
for args in "add-range 16G 1G --node one" "add-range 16G 1G --type fsdax" "add-memory 16G" \
	"online 16G 1G --blocks 3" "frobnicate" "--json add-device 16G 1X" "policy weird" \
	"plan add-memory 16G 1G --zone movable" "--json map --svg -" "remove 16G"; do
	# shellcheck disable=SC2086
	pm $args
	[ "$RC" -eq 2 ] && [ -z "$OUT" ] && grep -q '^pmmctl: ' <<<"$ERR"
	check "usage error: pmmctl $args -> 2, a message, nothing on stdout"
done
bus_settle
[ "$(bus_connections)" -eq "$conns" ]
check "no usage error even connected to the bus ($conns connections before, $(bus_connections) after)"
pm status
bus_settle
[ "$(bus_connections)" -eq $((conns + 1)) ]
check "a valid command is seen connecting (the watch works)"
stop_bus_watch
[ "$(model_state)" = "$before" ]
check "nothing changed"

# ================================================================ AccessDenied from the bus policy
chmod 755 "$T_DIR"
run setpriv --reuid=65534 --regid=65534 --clear-groups "$PMMCTL" --json add-memory 16G 128M
[ "$RC" -eq 1 ] && grep -q '^pmmctl: AccessDenied: ' <<<"$ERR" &&
	[ "$(jq -r .error.name <<<"$OUT")" = org.freedesktop.DBus.Error.AccessDenied ]
check "an unprivileged add: exit 1, AccessDenied; --json keeps the bus's full error name"

# ================================================================ progress bar
pm add-memory 16G 2G
[ "$RC" -eq 0 ] && grep -Eqx "added range [0-9]+: system-ram 0x0000000400000000-0x000000047fffffff \(2G\)" <<<"$OUT" &&
	! grep -q '%' <<<"$ERR" && [ -z "$ERR" ]
check "no terminal: no progress output at all (a job of 8 steps)"
script -qec "$PMMCTL add-memory 20G 4G" /dev/null >"$T_DIR/tty.out" 2>&1
OUT=$(cat -v "$T_DIR/tty.out")
grep -q '^\^Madd-memory \[\.*\]   0%' <<<"$OUT" && grep -q 'add-memory \[#*\] 100%\^M\^\[\[Kadded range [0-9]*: ' <<<"$OUT"
check "on a terminal: a bar from 0% to 100% on stderr, erased before the result"
pcts=$(grep -o '[0-9]*%' <<<"$OUT" | tr -d % | tr '\n' ' ')
sort -n -c <(tr ' ' '\n' <<<"$pcts" | sed '/^$/d') 2>/dev/null
check "the bar only moves forward ($pcts)"
script -qec "$PMMCTL online 20G 4G --zone movable" /dev/null >"$T_DIR/tty.out" 2>&1
OUT=$(cat -v "$T_DIR/tty.out")
grep -q 'online \[#*\] 100%' <<<"$OUT" && grep -q 'onlined 32 blocks' <<<"$OUT"
check "online of 32 blocks on a terminal draws its bar"
script -qec "$PMMCTL --json offline 20G 4G" /dev/null >"$T_DIR/tty.out" 2>&1
OUT=$(cat -v "$T_DIR/tty.out")
[ "$OUT" = '{"blocks":32}^M' ]
check "--json on a terminal: the document alone, no bar"
script -qec "$PMMCTL --no-progress add-memory 24G 4G" /dev/null >"$T_DIR/tty.out" 2>&1
OUT=$(cat -v "$T_DIR/tty.out")
grep -Eqx 'added range [0-9]+: system-ram 0x0000000600000000-0x00000006ffffffff \(4G\)\^M' <<<"$OUT"
check "--no-progress on a terminal: no bar"

script -qec "$PMMCTL add-memory 28G 2G >$T_DIR/stdout.txt" /dev/null >"$T_DIR/tty.out" 2>&1
OUT=$(cat -v "$T_DIR/tty.out")
[ -z "$OUT" ] && grep -Eqx 'added range [0-9]+: system-ram 0x0000000700000000-0x000000077fffffff \(2G\)' "$T_DIR/stdout.txt"
check "stderr a terminal but stdout a file: no bar"

# ================================================================ monitor
"$PMMCTL" --json monitor >"$T_DIR/mon.json" 2>"$T_DIR/mon.json.err" &
MON_JSON=$!
"$PMMCTL" monitor >"$T_DIR/mon.txt" 2>"$T_DIR/mon.txt.err" &
MON_TXT=$!
BG_PIDS="$MON_JSON $MON_TXT"
# both are subscribed once a change shows up in both
for _ in $(seq 100); do
	"$PMMCTL" policy online >/dev/null 2>&1
	grep -q '"kind":"manager"' "$T_DIR/mon.json" 2>/dev/null && grep -q '^policy online' "$T_DIR/mon.txt" 2>/dev/null && break
	sleep 0.05
done
"$PMMCTL" policy offline >/dev/null
RID=$("$PMMCTL" --json add-memory 32G 512M | jq -r .range)
RID=${RID##*/}
"$PMMCTL" online 32G 256M --zone movable >/dev/null
"$PMMCTL" offline 32G 128M >/dev/null
"$PMMCTL" remove 32G 128M >/dev/null
stop_daemon TERM
ok "$DAEMON_RC" "daemon stops cleanly (exit 0, no sanitizer report)"
start_daemon
ok $? "daemon restarted under the monitors"
"$PMMCTL" policy online_kernel >/dev/null
for _ in $(seq 50); do
	grep -q online_kernel "$T_DIR/mon.json" && grep -q online_kernel "$T_DIR/mon.txt" && break
	sleep 0.05
done
kill -INT $MON_JSON
wait $MON_JSON
RC=$?
ERR=$(cat "$T_DIR/mon.json.err")
OUT=$(cat "$T_DIR/mon.json")
[ $RC -eq 0 ]
check "monitor --json ends with 0 on SIGINT"
jq -e . >/dev/null <"$T_DIR/mon.json" && [ "$(jq -s 'map(has("event")) | all' <"$T_DIR/mon.json")" = true ]
check "monitor --json: every line is one JSON object with an event"
ev() { jq -c "select($1)" <"$T_DIR/mon.json"; }
[ "$(ev '.event == "changed" and .kind == "manager" and .properties.auto_online_blocks == "offline"')" = \
	'{"event":"changed","kind":"manager","id":null,"path":"/org/pmm/Hotplug1","properties":{"auto_online_blocks":"offline","auto_movable_ratio":150}}' ]
check "monitor --json: the policy change, id null, snake_case properties"
[ "$(ev '.event == "added" and .kind == "range"' | jq -c '[.id, .path, .properties.kind, .properties.start, .properties.size]')" = \
	"[$RID,\"/org/pmm/Hotplug1/range/$RID\",\"system-ram\",$((32 * G)),$((512 * M))]" ]
check "monitor --json: one range added (id a number, its properties)"
[ "$(ev '.event == "added" and .kind == "block"' | jq -c '[.id, .properties.state]' | tr '\n' ' ')" = \
	'[256,"offline"] [257,"offline"] [258,"offline"] [259,"offline"] ' ]
check "monitor --json: one line per block added (256-259), offline"
[ "$(ev '.event == "changed" and .kind == "block"' | jq -c '[.id, .properties.state, .properties.zone]' | tr '\n' ' ')" = \
	'[256,"online","Movable"] [257,"online","Movable"] [256,"offline",""] ' ]
check "monitor --json: one line per block state change"
[ "$(ev '.event == "removed"' | jq -c '[.kind, .id, .properties]')" = '["block",256,{}]' ]
check "monitor --json: the removed block"
[ "$(ev '.event == "progress" and .operation == "add-memory"' | jq -c '[.start, .size, .done, .total]' | tail -n1)" = \
	"[$((32 * G)),$((512 * M)),$((512 * M)),$((512 * M))]" ] &&
	[ "$(ev '.event == "progress"' | head -n1 | jq -c keys_unsorted)" = '["event","operation","start","size","done","total"]' ]
check "monitor --json: progress {event,operation,start,size,done,total}, ending done == total"
[ "$(ev '.kind == "daemon"' | tr '\n' ' ')" = '{"event":"stopped","kind":"daemon"} {"event":"started","kind":"daemon"} ' ]
check "monitor --json: the daemon stopping and starting again"
ev '.properties.auto_online_blocks == "online_kernel"' | grep -q .
check "monitor --json keeps following the restarted daemon"

kill -TERM $MON_TXT
wait $MON_TXT
RC=$?
BG_PIDS=
OUT=$(cat "$T_DIR/mon.txt")
ERR=$(cat "$T_DIR/mon.txt.err")
[ $RC -eq 0 ]
check "monitor ends with 0 on SIGTERM"
grep -qx 'policy offline auto_movable_ratio 150' <<<"$OUT" &&
	grep -qx "range $RID added system-ram 0x800000000 512M" <<<"$OUT" &&
	[ "$(grep -c '^block 25[6-9] added offline$' <<<"$OUT")" -eq 4 ] &&
	grep -qx 'block 256 online Movable' <<<"$OUT" && grep -qx 'block 257 online Movable' <<<"$OUT" &&
	grep -qx 'block 256 offline' <<<"$OUT" && grep -qx 'block 256 removed' <<<"$OUT" &&
	grep -qx 'progress add-memory 0x800000000 512M 536870912/536870912' <<<"$OUT" &&
	grep -qx 'daemon stopped' <<<"$OUT" && grep -qx 'daemon started' <<<"$OUT" &&
	grep -q '^policy online_kernel' <<<"$OUT"
check "monitor lines: policy, range added, blocks added/online Movable/offline/removed, progress, daemon"
[ "$(grep -c '^block' <<<"$OUT")" -eq "$(jq -c 'select(.kind == "block")' <"$T_DIR/mon.json" | wc -l)" ]
check "the text and JSON monitors saw the same block events"

# ================================================================ unreachable: exit 3
pm --address "unix:path=$T_DIR/no-such-bus" status
[ "$RC" -eq 3 ] && grep -q '^pmmctl: cannot reach pmm-hotplugd: ' <<<"$ERR" && [ -z "$OUT" ]
check "no bus: exit 3, 'cannot reach', stdout empty"
pm --address "unix:path=$T_DIR/no-such-bus" --json add-memory 16G 1G
[ "$RC" -eq 3 ] && jq -e '(keys_unsorted == ["error"]) and (.error | keys_unsorted == ["name","message"]) and (.error.message | length > 0)' <<<"$OUT" >/dev/null
check "no bus, --json: the error object on stdout"
stop_daemon TERM
ok "$DAEMON_RC" "daemon stops cleanly"
pm status
[ "$RC" -eq 3 ] && grep -q '^pmmctl: cannot reach pmm-hotplugd: ' <<<"$ERR"
check "a bus without the daemon: exit 3"
pm --json online 8G 1G
[ "$RC" -eq 3 ] && [ "$(jq -r .error.name <<<"$OUT")" = org.freedesktop.DBus.Error.ServiceUnknown ]
check "a bus without the daemon, --json: ServiceUnknown"
pm monitor
[ "$RC" -eq 3 ]
check "monitor without the daemon: exit 3"
pm add-memory 16G
expect_rc 2 "a usage error is still 2 without a daemon"

done_testing
