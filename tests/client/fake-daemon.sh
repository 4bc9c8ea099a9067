#!/bin/bash
# SPDX-License-Identifier: MIT
# pmmctl end to end against tests/client/fake-hotplugd on a private dbus-daemon: what pmmctl
# sends (the fake logs every call with its a{sv} options), how it renders replies (tables, the
# contract's JSON shapes and field order, absent -> null), its error printing and exit codes
# (1 for named daemon errors and bus AccessDenied, 3 once the daemon is gone), the progress bar
# on a terminal, map (terminal, JSON, SVG) and monitor.

set -u
top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
PMMCTL="$top_builddir/client/pmmctl"
FAKE="$top_builddir/tests/client/fake-hotplugd"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
tmp=$(mktemp -d /tmp/pmmctl-test.XXXXXX)
BUS_PID=
FAKE_PID=
MON_PID=

n=0
failed=0
ok() { # ok STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
diag() { sed 's/^/#   /' <<<"$*"; }

cleanup() {
	[ -n "$MON_PID" ] && kill "$MON_PID" 2>/dev/null
	[ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null
	[ -n "$BUS_PID" ] && kill "$BUS_PID" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# run ARGS...: pmmctl on the private bus; $OUT, $ERR, $RC
run() {
	OUT=$("$PMMCTL" "$@" 2>"$tmp/stderr") && RC=0 || RC=$?
	ERR=$(cat "$tmp/stderr")
}
# check DESCRIPTION: the shell status of the previous command, with pmmctl's output on failure
check() {
	local s=$?
	ok $s "$1"
	[ $s -eq 0 ] || diag "exit $RC" "stdout: $OUT" "stderr: $ERR"
}
# jq_is FILTER EXPECTED DESCRIPTION
jq_is() {
	local got
	got=$(jq -c "$1" <<<"$OUT" 2>&1)
	[ "$got" = "$2" ]
	local s=$?
	ok $s "$3"
	[ $s -eq 0 ] || diag "jq '$1': got '$got', want '$2'" "exit $RC, stderr: $ERR"
}
# logged LINE DESCRIPTION: the fake's last logged call is exactly LINE
logged() {
	local last
	last=$(tail -n 1 "$tmp/calls")
	[ "$last" = "$1" ]
	local s=$?
	ok $s "$2"
	[ $s -eq 0 ] || diag "last call: '$last'" "want:      '$1'"
}

# --- a private bus and the fake daemon
cat >"$tmp/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$tmp/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
dbus-daemon --config-file="$tmp/bus.conf" --fork --print-pid=4 4>"$tmp/bus.pid"
BUS_PID=$(cat "$tmp/bus.pid")
export PMM_BUS_ADDRESS="unix:path=$tmp/bus"
"$FAKE" --address "$PMM_BUS_ADDRESS" --log "$tmp/calls" 2>"$tmp/fake.err" &
FAKE_PID=$!
for _ in $(seq 100); do
	"$PMMCTL" policy >/dev/null 2>&1 && break
	sleep 0.05
done

# --- status: re-emitted unchanged with --json, a sheet otherwise
run --json status
[ $RC -eq 0 ] && [ "$(jq -r .version <<<"$OUT")" = fake ] && [ "$(jq -c 'keys_unsorted' <<<"$OUT")" = \
'["version","backend","arch","memory_model","page_size","section_size","subsection_size","block_size","max_physmem_bits","managed_regions","present_bytes","online_bytes","device_bytes","memmap_ram_bytes","memmap_device_bytes","auto_online_blocks"]' ]
check "status --json re-emits Describe() with its field order"
run status
[ $RC -eq 0 ] && grep -q "Memory block size: 128M" <<<"$OUT" &&
	grep -q "Managed regions: 0x0000000200000000-0x00000011ffffffff (64G)" <<<"$OUT" &&
	grep -q "Online memory: 7G" <<<"$OUT"
check "status sheet: block size, managed region, online bytes in human units"
run -b status
grep -q "Memory block size: 134217728" <<<"$OUT"
check "status -b prints bytes"

# --- list: the lsmem-like merge in tables, the daemon's document in JSON
run list
[ $RC -eq 0 ] && [ "$(grep -c '^0x' <<<"$OUT")" -eq 2 ] &&
	grep -Eq '^0x0000000000000000-0x00000000bfffffff +3G +online +DMA32 +0 +yes +no +0-23$' <<<"$OUT" &&
	grep -Eq '^0x0000000100000000-0x00000001ffffffff +4G +online +Normal +0 +yes +no +32-63$' <<<"$OUT" &&
	grep -q "Total online memory: *7G" <<<"$OUT"
check "list: boot blocks merged into 0-23 and 32-63, lsmem summary"
run list --all
[ $RC -eq 0 ] && [ "$(grep -c '^0x' <<<"$OUT")" -eq 56 ]
check "list --all: one row per block (56)"
run --json list blocks --all
jq_is '[(.blocks | length), (.blocks[0] | keys_unsorted)]' \
	'[56,["id","start","size","state","zone","valid_zones","removable","node","managed"]]' \
	"list --json: the per-block objects, unmerged"
run --json list
jq_is '.blocks | length' 56 "list --json without --all has the same shape"
run list namespaces
grep -Eq '^namespace0.0 +raw +0x0000000e00000000-0x00000011ffffffff +16G +4K +0 +none +/tmp/ns0 +no$' <<<"$OUT"
check "list namespaces table"
run list sections
grep -Eq '^ *1 +0x8000000 +yes +yes +yes +yes +no +0xffffffffffffffff$' <<<"$OUT"
check "list sections table"
run --json list ranges
jq_is . '{"ranges":[]}' "an empty listing is [] in JSON"
run list ranges
[ $RC -eq 0 ] && [ "$(wc -l <<<"$OUT")" -eq 1 ] && grep -q '^ID' <<<"$OUT"
check "an empty table is its header"

# --- add-range / add-memory: the request's encoding, the reply's rendering
run --json add-range 8G 1G --node 1 --online online_movable --memmap-on-memory
jq_is . '{"range":"/org/pmm/Hotplug1/range/7"}' "add-range --json: the range object path"
logged "AddMemory 8589934592 1073741824 node=u:1 online=s:online_movable memmap_on_memory=b:true" \
	"add-range sends AddMemory with node u, online s, memmap_on_memory b"
run add-memory 0x240000000 512M --no-online
[ $RC -eq 0 ] && [ "$OUT" = "added range 8: system-ram 0x0000000240000000-0x000000025fffffff (512M)" ]
check "add-memory prints the range read back from its object"
logged "AddMemory 9663676416 536870912 online=s:offline" "--no-online is online=offline"
run add-memory 0x260000000 128M
logged "AddMemory 10200547328 134217728" "without --online no option is sent (the policy decides)"
run add-memory $((8 * 1024 * 1024 * 1024 + 1048576)) 128M
[ $RC -eq 1 ] && grep -q "^pmmctl: Misaligned: range \[0x200100000, +0x8000000) is not aligned" <<<"$ERR" &&
	[ -z "$OUT" ]
check "a daemon error: exit 1, 'pmmctl: Misaligned: <message>' on stderr, nothing on stdout"
run --json add-memory 8G 128M
[ $RC -eq 1 ] && grep -q "^pmmctl: Overlap: " <<<"$ERR"
check "Overlap -> exit 1"
jq_is '[.error.name, (.error.message | test("already present"))]' \
	'["org.pmm.Hotplug1.Error.Overlap",true]' "--json error: {\"error\":{name,message}} on stdout"
run add-device 16G 2G --type devdax --map dev --align 1G --node 0
logged "AddDeviceMemory 17179869184 2147483648 node=u:0 type=s:devdax map=s:dev align=t:1073741824" \
	"add-device sends type s, map s, align t, node u"
run add-range 20G 1G --device --type fsdax
logged "AddDeviceMemory 21474836480 1073741824 type=s:fsdax" "add-range --device sends AddDeviceMemory"
run --json add-namespace namespace0.0 --map dev --align 2M --type devdax
jq_is . '{"range":"/org/pmm/Hotplug1/range/99"}' "add-namespace returns the range path"
logged "AddNamespace namespace0.0 type=s:devdax map=s:dev align=t:2097152" "AddNamespace(name, options)"
run add-namespace nope
[ $RC -eq 1 ] && grep -q '^pmmctl: NotFound: no namespace "nope"' <<<"$ERR"
check "NotFound -> exit 1"

# --- online / offline, --blocks via BlockSize
run --json online --blocks 72-73 --zone movable
jq_is . '{"blocks":2}' "online --blocks 72-73 -> {\"blocks\":2}"
logged "OnlineMemory 9663676416 268435456 'online_movable'" "--blocks A-B is [A*block, (B+1)*block); --zone movable is online_movable"
run online 0x250000000 128M
logged "OnlineMemory 9932111872 134217728 ''" "no --zone sends \"\" (the policy's type)"
[ "$OUT" = "onlined 1 block" ]
check "online prints the count"
run online 0x258000000 128M --zone normal
logged "OnlineMemory 10066329600 134217728 'online_kernel'" "--zone normal is online_kernel"
run online 0x260000000 128M --zone auto
logged "OnlineMemory 10200547328 134217728 'online'" "--zone auto is online"
run online 8G 128M
[ $RC -eq 1 ] && grep -q "^pmmctl: InvalidState: block 64 is already online" <<<"$ERR"
check "online of an online block: InvalidState, exit 1"
run remove-range 8G 1G
[ $RC -eq 1 ] && grep -q "^pmmctl: Busy: block 64 is online" <<<"$ERR"
check "remove of an online block: Busy, exit 1"
run --json offline --blocks 76
jq_is . '{"blocks":1}' "offline --blocks N is one block"
logged "OfflineMemory 10200547328 134217728" "offline --blocks 76 = [0x260000000, +128M)"
run --json remove 0x260000000 128M
jq_is . '{"start":10200547328,"size":134217728}' "remove (alias) --json"
logged "RemoveMemory 10200547328 134217728" "remove sends RemoveMemory"

# --- pages
run get-pages 0x200000 16
[ $RC -eq 1 ] && grep -q "^pmmctl: AccessDenied: Rejected send message" <<<"$ERR"
check "a bus AccessDenied is exit 1, printed like daemon errors"
run --json get-pages 0x200000 16
jq_is .error.name '"org.freedesktop.DBus.Error.AccessDenied"' "--json keeps the full error name of the bus"
run --json put-pages 0x200000 16
jq_is . '{"pfn":2097152,"count":16}' "put-pages --json"
logged "PutPages 2097152 16" "PutPages(pfn, count)"

# --- pfn / lookup: contract order, absent -> null
run --json pfn 0x200001
jq_is 'keys_unsorted' '["pfn","valid","online","section","subsection","block","zone","node","refcount","flags","memmap","pgmap"]' \
	"pfn --json: the contract's fields in order, whatever order the daemon used"
jq_is '[.pfn, .block, .zone, .pgmap, .flags, .online]' '[2097153,64,null,null,["reserved","private"],true]' \
	"pfn --json: values converted, absent zone/pgmap are null"
run --json pfn 0x10000000
jq_is '[.block, .online]' '[null,false]' "a pfn outside every block: block null"
run --json lookup 0x200001fff
jq_is .pfn 2097153 "lookup divides the address by PageSize"
logged "LookupPfn 2097153" "lookup sends LookupPfn(address / page size)"
run pfn 0x200001
grep -Eq '^ +pfn: 0x200001$' <<<"$OUT" && grep -Eq '^ +zone: -$' <<<"$OUT" &&
	grep -Eq '^ +flags: reserved,private$' <<<"$OUT"
check "pfn sheet"

# --- plan: same parsing as the verbs, contract order, exit 1 when it would fail
run --json plan add-range 8G 1G --online online
[ $RC -eq 0 ]
check "plan that would succeed: exit 0"
jq_is 'keys_unsorted' '["ok","error","message","sections","subsections","blocks","memmap_bytes","memmap_location","altmap"]' \
	"plan --json: the contract's fields in order"
jq_is '[.ok, .error, .sections, .blocks, .subsections, .altmap]' '[true,null,[64,65],[64,65,67],512,null]' \
	"plan --json values; error and altmap null"
logged "Plan add-memory 8589934592 1073741824 online=s:online" "plan add-range sends Plan(\"add-memory\", ...) with the same options"
run --json plan add-memory $((8 * 1024 * 1024 * 1024 + 4096)) 1G
[ $RC -eq 1 ]
check "plan that would fail: exit 1"
jq_is '[.ok, .error, .sections, .blocks]' '[false,"org.pmm.Hotplug1.Error.Misaligned",[],[]]' \
	"plan failure: error name, absent arrays are []"
run plan online --blocks 64-71 --zone movable
logged "Plan online 8589934592 1073741824 online=s:online_movable" "plan online: --blocks resolved, --zone as option online"
grep -q "result: would succeed" <<<"$OUT" && grep -q "blocks: 64-65,67" <<<"$OUT"
check "plan sheet: result and id ranges"
run --json plan add-device 16G 2G --type devdax --map dev
jq_is '.altmap | keys_unsorted' '["base_pfn","reserve","free","alloc","align"]' "plan altmap in contract order"
run --json plan add-namespace namespace0.0 --map dev
logged "Plan add-namespace 60129542144 17179869184 map=s:dev" "plan add-namespace: the namespace's range from the listing"
run plan add-namespace nope
[ $RC -eq 1 ] && grep -q '^pmmctl: NotFound: no namespace "nope"' <<<"$ERR"
check "plan add-namespace of an unknown name: NotFound, exit 1"
run plan offline 8G 1G
logged "Plan offline 8589934592 1073741824" "plan offline sends no options"

# --- policy
run --json policy
jq_is . '{"auto_online_blocks":"offline","auto_movable_ratio":301}' "policy shows both properties"
run --json policy auto-movable --ratio 150
jq_is . '{"auto_online_blocks":"auto-movable","auto_movable_ratio":150}' "policy set reads back"
logged "SetOnlinePolicy auto-movable ratio=u:150" "SetOnlinePolicy(policy, {ratio: u})"
run policy online_movable
logged "SetOnlinePolicy online_movable" "policy without --ratio sends no options"

# --- map
run map
boot=$(printf '%s%s%s' "$(printf '#%.0s' $(seq 24))" "$(printf -- '-%.0s' $(seq 8))" "$(printf '#%.0s' $(seq 32))")
[ $RC -eq 0 ] && [ "$(grep -c '^0x' <<<"$OUT")" -eq 9 ] && grep -qxF "0x000000000000 $boot 0" <<<"$OUT"
check "map: 9 lines of 8G for 72G; boot RAM and the PCI hole"
line=$(grep '^0x000200000000' <<<"$OUT")
[ "${line:15:64}" = "MMMMMMMMMMMN$(printf '.%.0s' $(seq 52))" ]
check "map: managed blocks by zone (M/N), free managed space"
line=$(grep '^0x000400000000' <<<"$OUT")
[ "${line:15:64}" = "dDDDDDDDDDDDDDDD$(printf '.%.0s' $(seq 16))DDDDDDDD$(printf '.%.0s' $(seq 24))" ]
check "map: device ranges, the map=dev altmap part as d"
grep -q "^0x000e00000000 $(printf 'p%.0s' $(seq 64)) 56G$" <<<"$OUT"
check "map: the unused namespace"
run --json map
jq_is '[.map[0], (.map | map(.size) | add), ([.map[].kind] | unique)]' \
	'[{"start":0,"size":3221225472,"kind":"boot"},77309411328,["altmap","boot","device","free","hole","movable","namespace","normal"]]' \
	"map --json: runs from 0 covering all 72G"
jq_is '[.map as $m | range(1; $m | length) | select($m[.].start != $m[. - 1].start + $m[. - 1].size)] | length' 0 \
	"map --json: runs are contiguous"
run map --svg "$tmp/map.svg"
[ $RC -eq 0 ] && python3 -c '
import sys, xml.etree.ElementTree as ET
t = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
assert t.tag == ns + "svg"
rects = t.findall(ns + "rect")
fills = {r.get("fill") for r in rects}
assert len(rects) > 20 and "#8856a7" in fills and "#e7298a" in fills, (len(rects), fills)
texts = [x.text for x in t.findall(ns + "text")]
assert any("0x200000000" in (s or "") for s in texts) and "Legend" in texts
' "$tmp/map.svg"
check "map --svg writes a well-formed SVG with runs, labels and a legend"

# --- monitor: one line per event, JSON lines, SIGINT ends it with 0
"$PMMCTL" --json monitor >"$tmp/monitor.out" 2>"$tmp/monitor.err" &
MON_PID=$!
# the subscription is in place once a change shows up
for _ in $(seq 50); do
	"$PMMCTL" policy online >/dev/null 2>&1
	grep -q '"kind":"manager"' "$tmp/monitor.out" 2>/dev/null && break
	sleep 0.1
done
"$PMMCTL" add-memory 32G 256M --no-online >/dev/null 2>&1
"$PMMCTL" online 32G 256M --zone movable >/dev/null 2>&1
"$PMMCTL" offline 32G 128M >/dev/null 2>&1
"$PMMCTL" remove 32G 128M >/dev/null 2>&1 || true
sleep 0.3
kill -INT $MON_PID
wait $MON_PID
mon_rc=$?
MON_PID=
OUT=$(cat "$tmp/monitor.out")
ERR=$(cat "$tmp/monitor.err")
RC=$mon_rc
[ $mon_rc -eq 0 ]
check "monitor ends with 0 on SIGINT"
grep -q '^{"event":"changed","kind":"manager","id":null,"path":"/org/pmm/Hotplug1","properties":{"auto_online_blocks":"online"' <<<"$OUT"
check "monitor --json: manager property change, snake_case names"
grep -q '^{"event":"added","kind":"block","id":256,"path":"/org/pmm/Hotplug1/block/256","properties":{"id":256,"state":"offline"' <<<"$OUT"
check "monitor --json: block added"
grep -q '"event":"changed","kind":"block","id":257,.*"properties":{"state":"online","zone":"Movable"}' <<<"$OUT"
check "monitor --json: block state change"
grep -q '^{"event":"removed","kind":"block","id":256,' <<<"$OUT"
check "monitor --json: block removed"
grep -q '^{"event":"progress","operation":"add-memory","start":34359738368,"size":268435456,"done":2,"total":2}' <<<"$OUT"
check "monitor --json: progress"
jq -e . <"$tmp/monitor.out" >/dev/null
check "monitor --json: every line is a JSON document"

"$PMMCTL" monitor >"$tmp/monitor.out" 2>&1 &
MON_PID=$!
for _ in $(seq 50); do
	"$PMMCTL" policy offline >/dev/null 2>&1
	grep -q '^policy' "$tmp/monitor.out" 2>/dev/null && break
	sleep 0.1
done
"$PMMCTL" add-memory 34G 256M --no-online >/dev/null 2>&1
"$PMMCTL" online 34G 128M --zone movable >/dev/null 2>&1
"$PMMCTL" offline 34G 128M >/dev/null 2>&1
sleep 0.3
kill -TERM $MON_PID
wait $MON_PID
RC=$?
MON_PID=
OUT=$(cat "$tmp/monitor.out")
ERR=
[ $RC -eq 0 ] && grep -q '^policy offline auto_movable_ratio 150$' <<<"$OUT" &&
	grep -Eq '^range [0-9]+ added system-ram 0x880000000 256M$' <<<"$OUT" &&
	grep -q '^block 272 added offline$' <<<"$OUT" &&
	grep -q '^block 272 online Movable$' <<<"$OUT" &&
	grep -q '^block 272 offline$' <<<"$OUT" &&
	grep -q '^progress add-memory 0x880000000 256M 2/2$' <<<"$OUT"
check "monitor lines: policy, range added, block added/online Movable/offline, progress"

# --- progress bar: only on a terminal, erased at the end
run add-memory 40G 512M
[ $RC -eq 0 ] && ! grep -q '%' <<<"$ERR"
check "no progress bar when not on a terminal"
script -qec "$PMMCTL add-memory 41G 512M" /dev/null >"$tmp/tty.out" 2>&1
OUT=$(cat -v "$tmp/tty.out")
ERR=
grep -q 'add-memory \[#*\] 100%' <<<"$OUT" && grep -q '\^\[\[K' <<<"$OUT" && grep -q 'added range' <<<"$OUT"
check "progress bar on a terminal: drawn to 100%, then erased"
script -qec "$PMMCTL --no-progress add-memory 42G 512M" /dev/null >"$tmp/tty.out" 2>&1
OUT=$(cat -v "$tmp/tty.out")
! grep -q '100%' <<<"$OUT" && grep -q 'added range' <<<"$OUT"
check "--no-progress on a terminal: no bar"

# --- the daemon goes away: exit 3
kill "$FAKE_PID"
wait "$FAKE_PID" 2>/dev/null
FAKE_PID=
run status
[ $RC -eq 3 ] && grep -q "^pmmctl: cannot reach pmm-hotplugd: " <<<"$ERR"
check "no owner of org.pmm.Hotplug1 -> exit 3"
run --json list
[ $RC -eq 3 ] && [ "$(jq -r .error.name <<<"$OUT")" = org.freedesktop.DBus.Error.ServiceUnknown ]
check "--json unreachable names ServiceUnknown"
run monitor
[ $RC -eq 3 ]
check "monitor without a daemon -> exit 3"

echo "1..$n"
[ $failed -eq 0 ]
