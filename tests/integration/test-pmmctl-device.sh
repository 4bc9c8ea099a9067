#!/bin/bash
# pmmctl against the real pmm-hotplugd, ZONE_DEVICE side and what-if: add-range --device and
# add-device with every --type, --map mem|dev, --align, --node; pmem namespaces (map=dev with the
# nvdimm pfn layout of kernel-model.md's worked example, map=mem); device page references; plan
# for every operation, each checked against the real operation run right after it (same error,
# or the sections, blocks, memmap bytes and altmap the operation really touched); map as text,
# JSON and SVG.
. "$(dirname "$0")/lib-pmmctl.sh"

start_bus
start_daemon
ok $? "daemon ready"

# plan_vs_real OP ARGS...: `pmmctl --json plan OP ARGS`, then `pmmctl --json OP ARGS`, then
# judge the plan by what the operation did. A plan that fails must fail with exit 1, name the
# same error the operation gets (stderr "pmmctl: Name: why" for both) and the operation must
# change nothing; a plan that succeeds must be followed by a success whose changed sections
# and blocks are the plan's, whose memmap accounting moved by the plan's memmap_bytes where the
# plan said (ram / altmap), and whose new range carries the plan's altmap.
snapshot() { # snapshot DIR
	mkdir -p "$1"
	"$PMMCTL" --json status >"$1/status"
	"$PMMCTL" --json list sections >"$1/sections"
	"$PMMCTL" --json list blocks >"$1/blocks"
	"$PMMCTL" --json list ranges >"$1/ranges"
	"$PMMCTL" --json list namespaces >"$1/namespaces"
}
cat >"$T_DIR/judge.py" <<'PY'
import json, sys
d = sys.argv[1]
op = sys.argv[2]
def load(name): return json.load(open("%s/%s" % (d, name)))
plan = json.loads(open(d + "/plan.out").read())
plan_rc, real_rc = int(open(d + "/plan.rc").read()), int(open(d + "/real.rc").read())
plan_err, real_err = open(d + "/plan.err").read(), open(d + "/real.err").read()
real_out = open(d + "/real.out").read()
b, a = d + "/before/", d + "/after/"
def j(path): return json.load(open(path))
plan_fields, altmap_fields = json.loads(sys.argv[3]), json.loads(sys.argv[4])
assert list(plan) == plan_fields, "plan fields %s" % list(plan)
assert all(type(x) is int for x in plan["sections"] + plan["blocks"]), "ids are numbers"
assert type(plan["subsections"]) is int and type(plan["memmap_bytes"]) is int
assert plan["memmap_location"] in ("boot", "ram", "altmap", "none"), plan["memmap_location"]
if plan["altmap"] is not None:
    assert list(plan["altmap"]) == altmap_fields, list(plan["altmap"])
def changed(kind, key):
    x = {o[key]: o for o in j(b + kind)[kind]}
    y = {o[key]: o for o in j(a + kind)[kind]}
    return sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))
if not plan["ok"]:
    name = plan["error"]
    assert plan_rc == 1 and real_rc == 1, "exit plan %d real %d" % (plan_rc, real_rc)
    assert name.startswith("org.pmm.Hotplug1.Error."), name
    real = json.loads(real_out)["error"]["name"]
    assert real == name, "plan says %s, the operation got %s" % (name, real)
    last = name.rsplit(".", 1)[1]
    assert plan_err.startswith("pmmctl: %s: " % last), "plan stderr %r" % plan_err
    assert real_err.startswith("pmmctl: %s: " % last), "real stderr %r" % real_err
    for f in ("status", "sections", "blocks", "ranges", "namespaces"):
        assert open(b + f).read() == open(a + f).read(), "the refused operation changed " + f
    print(last)
    sys.exit(0)
assert plan_rc == 0 and plan["error"] is None and plan_err == "", "plan exit %d %r" % (plan_rc, plan_err)
assert real_rc == 0, "plan ok but the operation failed: %s" % real_err
secs, blks = changed("sections", "nr"), changed("blocks", "id")
assert secs == plan["sections"], "sections changed %s, planned %s" % (secs, plan["sections"])
assert blks == plan["blocks"], "blocks changed %s, planned %s" % (blks, plan["blocks"])
s0, s1 = j(b + "status"), j(a + "status")
ram = s1["memmap_ram_bytes"] - s0["memmap_ram_bytes"]
dev = s1["memmap_device_bytes"] - s0["memmap_device_bytes"]
sign = -1 if op.startswith("remove") else 1
want = plan["memmap_bytes"] if op not in ("online", "offline") else 0
if plan["memmap_location"] == "ram":
    assert (ram, dev) == (sign * want, 0), "memmap ram %+d device %+d, planned %d in ram" % (ram, dev, want)
elif plan["memmap_location"] == "altmap":
    assert (ram, dev) == (0, sign * want), "memmap ram %+d device %+d, planned %d in altmap" % (ram, dev, want)
else:
    assert (ram, dev, want) == (0, 0, 0), (ram, dev, want)
if op.startswith("add"):
    path = json.loads(real_out)["range"]
    rid = int(path.rsplit("/", 1)[1])
    rng = [r for r in j(a + "ranges")["ranges"] if r["id"] == rid]
    assert len(rng) == 1, "range %d listed" % rid
    assert rng[0]["altmap"] == plan["altmap"], "range altmap %s, planned %s" % (rng[0]["altmap"], plan["altmap"])
print("ok sections %d blocks %d memmap %d %s" % (len(secs), len(blks), want, plan["memmap_location"]))
PY
N_PLAN=0
plan_vs_real() {
	local desc="plan $*" dir
	N_PLAN=$((N_PLAN + 1))
	dir="$T_DIR/plan$N_PLAN"
	snapshot "$dir/before"
	"$PMMCTL" --json plan "$@" >"$dir/plan.out" 2>"$dir/plan.err"
	echo $? >"$dir/plan.rc"
	"$PMMCTL" --json "$@" >"$dir/real.out" 2>"$dir/real.err"
	echo $? >"$dir/real.rc"
	snapshot "$dir/after"
	PLAN=$(cat "$dir/plan.out")
	OUT=$("$PYTHON" "$T_DIR/judge.py" "$dir" "$1" "$K_PLAN" "$K_ALTMAP" 2>&1)
	RC=$?
	ERR="plan: $PLAN / $(cat "$dir/plan.err") / real: $(cat "$dir/real.out") $(cat "$dir/real.err")"
	[ $RC -eq 0 ]
	check "$desc: $(tail -n1 <<<"$OUT")"
}
# plan_fails NAME OP ARGS...: plan_vs_real, and the error is NAME
plan_fails() {
	local want=$1
	shift
	plan_vs_real "$@"
	[ "$(tail -n1 <<<"$OUT")" = "$want" ]
	check "plan $*: the error is $want"
}

# ================================================================ every device type
i=0
for spec in "fsdax fsdax" "devdax devdax" "generic devdax" "private private" "coherent coherent" "p2pdma p2pdma"; do
	read -r type want <<<"$spec"
	start=$(((16 + i) * G))
	if [ $((i % 2)) -eq 0 ]; then
		plan_vs_real add-range "$start" 1G --device --type "$type"
	else
		plan_vs_real add-device "$start" 1G --type "$type"
	fi
	pm --json list ranges
	jq_is "[.ranges[] | select(.start == $start) | [.kind, .type, .map, .altmap, .refs]]" \
		"[[\"device\",\"$want\",\"mem\",null,0]]" "--type $type: a device range of type $want (generic is the devdax pgmap)"
	i=$((i + 1))
done
pm --json status
jq_is '.device_bytes' "$((6 * G))" "status: 6G of device memory"

# --map dev, --align, --node
plan_vs_real add-device 24G 1G --type devdax --map dev --align 2M --node 1
pm --json list ranges
jq_is "[.ranges[] | select(.start == $((24 * G))) | [.node, .map, .align, .altmap]]" \
	"[[1,\"dev\",$((2 * M)),{\"base_pfn\":$((24 * G / 4096)),\"reserve\":0,\"free\":4096,\"alloc\":4096,\"align\":0}]]" \
	"--map dev --align 2M --node 1: the memmap of 1G (16M = 4096 pfns) allocated from the device itself"
pm --json pfn $((24 * G / 4096 + 4096))
jq_is '[.valid, .online, .zone, .block, .memmap, .pgmap]' '[true,false,"Device",null,"altmap","/org/pmm/Hotplug1/range/7"]' \
	"pfn of a device page: valid, never online, zone Device, no block, its pgmap"
plan_vs_real add-range 25G 1G --device --type devdax --align 1G --map mem
plan_vs_real add-device 26G 2M
pm --json list ranges
jq_is "[.ranges[] | select(.start >= $((25 * G))) | [.size, .align, .map]]" \
	"[[$((1 * G)),$((1 * G)),\"mem\"],[$((2 * M)),4096,\"mem\"]]" "--align 1G; a 2M range at subsection granularity"

pm --json list sections
jq_is "[.sections[] | select(.nr == $((26 * 8))) | [.present, .online, .has_memmap, .zone_device, .subsections]]" \
	'[[true,false,true,true,"0x1"]]' "section 208 holds the 2M range: zone_device, one subsection (0x1)"

# device errors, each planned then refused the same way
plan_fails Misaligned add-device $((27 * G)) 1M
plan_fails Misaligned add-device $((27 * G)) 2M --align 1G
plan_fails OutOfRegion add-range 4G 1G --device
plan_fails Overlap add-device $((24 * G + 512 * M)) 1G
plan_fails NotFound online $((16 * G)) 1G
plan_fails InvalidArgument remove-range $((16 * G)) 128M

# ================================================================ device page references
DPFN=$((17 * G / 4096 + 10))
pm --json get-pages $DPFN 2
out_is "{\"pfn\":$DPFN,\"count\":2}" "get-pages on device pages"
pm --json list ranges
jq_is "[.ranges[] | select(.start == $((17 * G))) | .refs]" '[2]' "the device range counts 2 page references (pgmap refs)"
plan_fails Busy remove-range $((17 * G)) 1G
pm put-pages $DPFN 2
expect_rc 0 "put-pages on device pages"
pm --json list ranges
jq_is "[.ranges[] | select(.start == $((17 * G))) | .refs]" '[0]' "references dropped"
plan_vs_real remove-range $((17 * G)) 1G
plan_vs_real remove $((16 * G)) 1G

# ================================================================ namespaces
pm --json list namespaces
jq_is '[.namespaces[] | keys_unsorted] | unique' "[$K_NAMESPACE]" "namespace: the contract's fields in order"
jq_true '[.namespaces[] | ([.start, .size, .align, .numa_node] | map(type == "number") | all)
	and ([.dev, .mode, .map, .source] | map(type == "string") | all) and (.in_use | type) == "boolean"] | all' \
	"namespace: numbers, strings, in_use boolean"
jq_is '.namespaces' "[{\"dev\":\"namespace0.0\",\"mode\":\"raw\",\"start\":$((56 * G)),\"size\":$((16 * G)),\"align\":4096,\"numa_node\":0,\"map\":\"none\",\"source\":\"sim\",\"in_use\":false}]" \
	"namespace0.0: raw, [56G, 72G), not in use"
pm list namespaces
[ "$(head -n1 <<<"$OUT")" = "DEV           MODE  RANGE                                  SIZE  ALIGN  NODE  MAP   SOURCE  IN-USE" ] &&
	grep -Eqx 'namespace0.0 +raw +0x0000000e00000000-0x00000011ffffffff +16G +4K +0 +none +sim +no' <<<"$OUT"
check "list namespaces table"

# kernel-model.md's worked example: 16 GiB, map=dev, align 2M
pm --json plan add-namespace namespace0.0 --map dev --align 2M
NS_BASE=$((56 * G / 4096))
jq_is '.altmap' "{\"base_pfn\":$NS_BASE,\"reserve\":2,\"free\":66046,\"alloc\":65536,\"align\":510}" \
	"plan add-namespace map=dev: altmap reserve 2 (8K info block), free 66,046 = 65,536 vmemmap + 510 padding"
jq_is '[.memmap_bytes, .memmap_location, .subsections, (.sections | [length, .[0], .[-1]]), .blocks]' \
	"[$((65536 * 4096)),\"altmap\",8192,[128,448,575],[]]" "plan: 256M of memmap on the device, 128 sections, 8192 subsections, no block"
plan_vs_real add-namespace namespace0.0 --map dev --align 2M
NS_RANGE=$(jq -r .range "$T_DIR/plan$N_PLAN/real.out")
pm --json list namespaces
jq_is '.namespaces[0] | [.mode, .align, .map, .in_use]' "[\"fsdax\",$((2 * M)),\"dev\",true]" "namespace0.0 now fsdax, map dev, in use"
pm --json list ranges
jq_is "[.ranges[] | select(.namespace == \"namespace0.0\") | [.kind, .start, .size, .type, .map]]" \
	"[[\"device\",$((56 * G)),$((16 * G)),\"fsdax\",\"dev\"]]" "its range names the namespace"
pfn_at() { "$PMMCTL" --json pfn $((NS_BASE + $1)) | jq -c "$2"; }
[ "$(pfn_at 0 '[.zone, .memmap, .pgmap]')" = "[null,\"altmap\",\"$NS_RANGE\"]" ] &&
	[ "$(pfn_at 1 '.zone')" = null ]
check "pfns base+0..1: the info block (reserve), no initialised page"
[ "$(pfn_at 2 '[.zone, .refcount]')" = '["Device",1]' ] && [ "$(pfn_at 66047 '[.zone, .refcount]')" = '["Device",1]' ]
check "pfns base+2..base+66047: the memmap's own pages, allocated from the altmap (held)"
[ "$(pfn_at 66048 '[.zone, .refcount, .memmap, .pgmap]')" = "[\"Device\",0,\"altmap\",\"$NS_RANGE\"]" ]
check "pfn base+66048 (pfn_first): the first data page, free"
pm --json lookup $((56 * G + 270532608))
jq_is .pfn $((NS_BASE + 66048)) "lookup of dataoff (56G + 258M) is pfn_first = base + 66,048"
plan_fails Busy add-namespace namespace0.0
pm --json plan add-namespace nope
[ "$RC" -eq 1 ] && [ "$(jq -r .error.name <<<"$OUT")" = org.pmm.Hotplug1.Error.NotFound ]
check "plan add-namespace of an unknown name: NotFound"
pm --json add-namespace nope
refused_json NotFound "add-namespace of an unknown name"
plan_vs_real remove-range $((56 * G)) 16G
pm --json list namespaces
jq_is '.namespaces[0] | [.mode, .map, .in_use]' '["raw","none",false]' "removed: the namespace is raw and free again"
# map=mem: the memmap in RAM, deduplicated for 2M compound pages (devdax, no altmap)
pm --json plan add-namespace namespace0.0 --map mem --type devdax
jq_is '[.memmap_location, .altmap, (.memmap_bytes < 16 * 1073741824 / 4096 * 64)]' '["ram",null,true]' \
	"plan map=mem devdax: memmap in RAM, no altmap, less than 256M (vmemmap dedup)"
plan_vs_real add-namespace namespace0.0 --map mem --type devdax
pm --json list namespaces
jq_is '.namespaces[0] | [.mode, .map, .in_use]' '["devdax","mem",true]' "namespace0.0 in devdax mode, map mem"

# ================================================================ plan for System RAM operations
plan_vs_real add-range 8G 1G
plan_vs_real add-memory 9G 512M --online online_movable --node 1
plan_vs_real add-memory 10G 256M --memmap-on-memory
plan_vs_real online 8G 512M --zone movable
plan_vs_real online --blocks 68-69 --zone normal
plan_vs_real offline 8G 256M
plan_vs_real offline --blocks 69
plan_vs_real remove-range 8G 256M
plan_fails Misaligned add-range $((8 * G + 4096)) 1G
plan_fails Overlap add-memory 8704M 1G
plan_fails OutOfRegion add-memory 2G 128M
plan_fails InvalidArgument add-memory 12G 0
plan_fails InvalidState online 8704M 128M
plan_fails InvalidState offline 8448M 512M
plan_fails Busy remove-range 8704M 256M
plan_fails NotFound offline 12G 128M
# a referenced page makes offline Busy, in the plan too
pm get-pages $((9 * G / 4096)) 1
expect_rc 0 "get-pages on an online page"
plan_fails Busy offline 9G 512M
pm put-pages $((9 * G / 4096)) 1

# the plan sheet
pm plan online --blocks 70-71 --zone movable
[ "$RC" -eq 0 ] && grep -qx '       operation: online 0x0000000230000000-0x000000023fffffff (256M)' <<<"$OUT" &&
	grep -qx '          result: would succeed' <<<"$OUT" && grep -qx '        sections: 70-71' <<<"$OUT" &&
	grep -qx '          blocks: 70-71' <<<"$OUT" && grep -qx '          altmap: none' <<<"$OUT" && [ -z "$ERR" ]
check "plan sheet: the operation, would succeed, id ranges"
pm plan add-memory 8448M 128M
[ "$RC" -eq 1 ] && grep -q '^          result: would fail: Overlap: ' <<<"$OUT" && grep -q '^pmmctl: Overlap: ' <<<"$ERR" &&
	grep -qx '          blocks: none' <<<"$OUT"
check "plan sheet of a failure: would fail with the reason; exit 1 and the error on stderr"
pm -b plan add-device 40G 1G --map dev
[ "$RC" -eq 0 ] && grep -qx '       operation: add-device 0x0000000a00000000-0x0000000a3fffffff (1073741824)' <<<"$OUT" &&
	grep -qx '          memmap: 16777216 in altmap' <<<"$OUT" &&
	grep -qx "          altmap: base_pfn 0xa00000 reserve 0 free 4096 alloc 4096 align 0" <<<"$OUT"
check "plan sheet -b: bytes, the altmap"

# ================================================================ map
pm --json status
END=$(jq '.managed_regions[0] | .start + .size' <<<"$OUT")
pm --json map
expect_rc 0 "map --json"
printf '%s\n' "$OUT" >"$T_DIR/map.json"
jq_is 'keys_unsorted' '["map"]' "map --json: {\"map\": [...]}"
jq_is '[.map[] | keys_unsorted] | unique' '[["start","size","kind"]]' "map runs: {start,size,kind}"
jq_true "(.map[0].start == 0) and ([.map[] | .size] | add) == $END and
	([.map as \$m | range(1; \$m | length) | \$m[.].start == \$m[. - 1].start + \$m[. - 1].size] | all) and
	([.map as \$m | range(1; \$m | length) | \$m[.].kind != \$m[. - 1].kind] | all)" \
	"map runs are contiguous from 0 to the end of the managed region (72G), neighbours differ"
jq_is '[.map[] | .kind] | unique' '["altmap","boot","device","free","hole","movable","normal","offline"]' \
	"map kinds present: boot, hole, free, offline, normal, movable, device, altmap"
jq_is "[.map[] | select(.start == $((24 * G)) or .start == $((24 * G + 16 * M))) | [.start, .kind, .size]] | .[0][2], .[1][:2]" \
	"$((16 * M))
[$((24 * G + 16 * M)),\"device\"]" \
	"the map=dev range at 24G: 16M of altmap (its memmap), then device pages"
NRUNS=$(jq '.map | length' <<<"$OUT")
pm map
[ "$RC" -eq 0 ] && [ "$(grep -c '^0x' <<<"$OUT")" -eq 9 ] &&
	grep -qx "0x000000000000 $(printf '#%.0s' $(seq 24))$(printf -- '-%.0s' $(seq 8))$(printf '#%.0s' $(seq 32)) 0" <<<"$OUT" &&
	grep -q '^Physical address space 0x0-0x11ffffffff (72G): one character = 128M, one line = 8G$' <<<"$OUT"
check "map: 9 lines of 8G; boot RAM (#) and the PCI hole (-)"
line=$(grep '^0x000200000000' <<<"$OUT")
[ "${line:15:64}" = "..MMNoooMMMM....oo$(printf '.%.0s' $(seq 46))" ] || diag "got: ${line:15:64}"
check "map: managed blocks by state and zone (M movable, N normal, o offline), free space"
line=$(grep '^0x000400000000' <<<"$OUT")
[ "${line:15:64}" = "$(printf '.%.0s' $(seq 16))$(printf 'D%.0s' $(seq 32))$(printf '.%.0s' $(seq 16))" ] ||
	diag "got: ${line:15:64}"
check "map: device ranges as D"
line=$(grep '^0x000600000000' <<<"$OUT")
[ "${line:15:64}" = "d$(printf 'D%.0s' $(seq 16))$(printf '.%.0s' $(seq 47))" ] || diag "got: ${line:15:64}"
check "map: the cell holding a map=dev range's memmap is d"
grep -q "^0x000e00000000 $(printf 'D%.0s' $(seq 64)) 56G$" <<<"$OUT"
check "map: the namespace in use as device memory"
pm -b map
grep -q '^Physical address space 0x0-0x11ffffffff (77309411328): one character = 134217728, one line = 8589934592$' <<<"$OUT"
check "map -b: sizes in bytes"
pm map --svg "$T_DIR/map.svg"
out_is "wrote $T_DIR/map.svg ($NRUNS runs)" "map --svg FILE says what it wrote"
xmllint --noout "$T_DIR/map.svg" 2>"$T_DIR/xmllint.err"
OUT=$(cat "$T_DIR/xmllint.err")
check "the SVG is well-formed XML (xmllint)"
"$PYTHON" - "$T_DIR/map.svg" "$NRUNS" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == ns + "svg", root.tag
rects = root.findall(ns + "rect")
runs = [r for r in rects if r.find(ns + "title") is not None]
assert len(runs) >= int(sys.argv[2]), (len(runs), sys.argv[2])
fills = {r.get("fill") for r in runs}
assert {"#8856a7", "#e7298a", "#41ab5d", "#2c7fb8", "#fd8d3c", "#525252"} <= fills, fills
texts = [t.text or "" for t in root.iter(ns + "text")]
assert "Legend" in texts and any(t.startswith("0x200000000 (8G)") for t in texts), texts
titles = [r.find(ns + "title").text for r in runs]
assert any(t == "device memmap (map=dev altmap) 0x600000000-0x600ffffff" for t in titles), titles
PY
check "the SVG: one titled rectangle per run and row, the kinds' colours, address labels, a legend"
pm map --svg -
[ "$RC" -eq 0 ] && xmllint --noout - <<<"$OUT" 2>/dev/null && [ "$(head -c 5 <<<"$OUT")" = "<?xml" ]
check "map --svg -: the SVG on stdout"
pm map --svg "$T_DIR/no-such-dir/map.svg"
[ "$RC" -eq 1 ] && grep -q "^pmmctl: map: cannot write $T_DIR/no-such-dir/map.svg: No such file or directory" <<<"$ERR"
check "map --svg to an impossible path: exit 1, says why"

stop_daemon TERM
ok "$DAEMON_RC" "daemon stops cleanly (exit 0, no sanitizer report)"
done_testing
