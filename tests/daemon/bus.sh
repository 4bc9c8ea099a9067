#!/bin/bash
# SPDX-License-Identifier: MIT
# pmm-hotplugd on a private bus, driven with gdbus/busctl: the part-1 walk (status, add, online,
# list, offline, remove), every named refusal, authorisation, signals, sd_notify, a second
# instance, restart with the same state directory, and a damaged journal. TAP output.
set -u

builddir=${top_builddir:-.}
daemon=$builddir/daemon/pmm-hotplugd
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); failed=1; echo "not ok $n - $*"; }
check() { # check DESCRIPTION COMMAND...
	local what=$1; shift
	if "$@"; then ok "$what"; else notok "$what"; fi
}

if ! command -v gdbus >/dev/null || ! command -v dbus-daemon >/dev/null || ! command -v busctl >/dev/null; then
	echo "1..0 # SKIP needs dbus-daemon, gdbus (libglib2.0-bin) and busctl"
	exit 0
fi

tmp=$(mktemp -d /tmp/pmm-daemon-bus.XXXXXX)
chmod 755 "$tmp"    # the bus socket must be reachable by the unprivileged caller below
bus_pid=
dpid=
mon_pid=
cleanup() {
	[ -n "$mon_pid" ] && kill "$mon_pid" 2>/dev/null
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	[ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null
	if [ -n "${PMM_TEST_KEEP:-}" ]; then echo "# kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

cat > "$tmp/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$tmp/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
EOF
dbus-daemon --config-file="$tmp/bus.conf" --fork --print-address=3 --print-pid=4 3>"$tmp/addr" 4>"$tmp/buspid"
bus_pid=$(cat "$tmp/buspid")
A=$(head -n1 "$tmp/addr")
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

G=$((1 << 30)); M=$((1 << 20))
MGR="--dest org.pmm.Hotplug1 --object-path /org/pmm/Hotplug1"

call() { gdbus call --address "$A" $MGR --method "org.pmm.Hotplug1.Manager.$1" "${@:2}" 2>&1; }
# refused NAME[|NAME...] METHOD ARGS...: the call fails with org.pmm.Hotplug1.Error.NAME
refused() {
	local names=$1; shift
	local out name
	out=$(call "$@")
	for name in ${names//|/ }; do
		case $out in
		*"org.pmm.Hotplug1.Error.$name:"*) echo "# $out"; return 0;;
		esac
	done
	echo "# expected $names, got: $out"
	return 1
}
prop() { busctl --address="$A" get-property org.pmm.Hotplug1 "$1" "$2" "$3" 2>&1; }

start_daemon() { # start_daemon STATE_DIR [ARGS...]
	local st=$1; shift
	"$daemon" --address "$A" --state-dir "$st" "$@" 2>>"$tmp/daemon.log" &
	dpid=$!
	local i
	for i in $(seq 1 100); do
		if busctl --address="$A" status org.pmm.Hotplug1 >/dev/null 2>&1; then
			# the name is owned before the journal is replayed: wait for an answer too
			busctl --address="$A" call org.pmm.Hotplug1 /org/pmm/Hotplug1 \
				org.pmm.Hotplug1.Manager Describe >/dev/null 2>&1 && return 0
		fi
		kill -0 "$dpid" 2>/dev/null || { wait "$dpid"; dpid=; return 1; }
		sleep 0.05
	done
	return 1
}
stop_daemon() {
	kill -TERM "$dpid"
	wait "$dpid"
	local rc=$?
	dpid=
	return $rc
}

# ------------------------------------------------------------------ start, READY, status
if [ -x /usr/bin/python3 ]; then
	/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); s.settimeout(10)
with open(sys.argv[2], "w") as f:
    for _ in range(2):
        try: f.write(s.recv(4096).decode() + "\n"); f.flush()
        except Exception: break
' "$tmp/notify" "$tmp/notify.log" &
	notify_pid=$!
	for i in $(seq 1 50); do [ -S "$tmp/notify" ] && break; sleep 0.02; done
	export NOTIFY_SOCKET=$tmp/notify
fi
# snapshots every few records, so the restart below goes through snapshot + journal
export PMM_SNAPSHOT_EVERY=4
check "daemon starts and owns org.pmm.Hotplug1" start_daemon "$tmp/state"
unset NOTIFY_SOCKET
if [ -n "${notify_pid:-}" ]; then
	for i in $(seq 1 50); do grep -q READY=1 "$tmp/notify.log" 2>/dev/null && break; sleep 0.05; done
	check "sd_notify READY=1 with a STATUS" grep -q "READY=1" "$tmp/notify.log"
fi

out=$(call Describe)
check "Describe: x86_64 sparsemem-vmemmap, 128M blocks" \
	grep -q '"arch":"x86_64","memory_model":"sparsemem-vmemmap".*"block_size":134217728' <<<"$out"
check "Describe: managed region [8G, 72G)" \
	grep -q '"managed_regions":\[{"start":8589934592,"size":68719476736}\]' <<<"$out"
check "Describe: 7G of boot memory present and online" \
	grep -q '"present_bytes":7516192768,"online_bytes":7516192768' <<<"$out"
check "Describe: auto-online offline by default" grep -q '"auto_online_blocks":"offline"' <<<"$out"
check "ManagedRegions property" grep -q '^a(tt) 1 8589934592 68719476736$' <<<"$(prop /org/pmm/Hotplug1 org.pmm.Hotplug1.Manager ManagedRegions)"

# ------------------------------------------------------------------ the part-1 walk
busctl --address="$A" monitor --match "type='signal',sender='org.pmm.Hotplug1'" > "$tmp/signals" 2>&1 &
mon_pid=$!
sleep 0.3

out=$(call AddMemory $((8 * G)) $G '{}')
check "AddMemory [8G, +1G) returns range 1 ($out)" grep -q "'/org/pmm/Hotplug1/range/1'" <<<"$out"
check "new blocks are offline (auto-online offline)" grep -q '"offline"' <<<"$(prop /org/pmm/Hotplug1/block/64 org.pmm.Hotplug1.Block State)"
out=$(call OnlineMemory $((8 * G)) $G '')
check "OnlineMemory onlines 8 blocks ($out)" grep -q '(uint32 8,)' <<<"$out"
out=$(call List blocks '{}')
check "List blocks shows block 64 online in Normal, managed" \
	grep -q '{"id":64,"start":8589934592,"size":134217728,"state":"online","zone":"Normal","valid_zones":\["Normal"\],"removable":true,"node":0,"managed":true}' <<<"$out"
out=$(call List ranges '{}')
check "List ranges shows the System RAM range" \
	grep -q '"ranges":\[{"id":1,"kind":"system-ram","start":8589934592,"size":1073741824' <<<"$out"
out=$(call List sections '{}')
check "List sections has hex subsection maps" grep -q '"subsections":"0xffffffffffffffff"' <<<"$out"
out=$(call List namespaces '{}')
check "List namespaces shows namespace0.0" grep -q '"dev":"namespace0.0"' <<<"$out"
check "namespace0.0 is backed by a sparse file of 16G" test "$(stat -c %s "$tmp/state/namespace0.0.img")" = $((16 * G))

check "online of an online block: InvalidState" refused InvalidState OnlineMemory $((8 * G)) $((128 * M)) online
check "remove of online blocks: Busy" refused Busy RemoveMemory $((8 * G)) $G
check "overlapping add: Overlap" refused Overlap AddMemory $((8 * G)) $((256 * M)) '{}'
check "misaligned add: Misaligned" refused Misaligned AddMemory $((9 * G + M)) $((128 * M)) '{}'
check "add outside the managed region: OutOfRegion" refused OutOfRegion AddMemory $((4 * G)) $((128 * M)) '{}'
check "size 0: InvalidArgument" refused InvalidArgument AddMemory $((9 * G)) 0 '{}'
check "wrapping range: InvalidArgument" refused InvalidArgument AddMemory 18446744073709551488 256 '{}'
check "unknown option: InvalidArgument" refused InvalidArgument AddMemory $((9 * G)) $((128 * M)) "{'nodes': <uint32 0>}"
check "option of the wrong type: InvalidArgument" refused InvalidArgument AddMemory $((9 * G)) $((128 * M)) "{'node': <'zero'>}"
check "unknown online type: InvalidArgument" refused InvalidArgument OnlineMemory $((8 * G)) $G movable
check "unknown listing: InvalidArgument" refused InvalidArgument List bogus '{}'

idle=$(call LookupPfn $((8 * G / 4096)) | sed -n "s/.*'refcount': <\([0-9-]*\)>.*/\1/p")
out=$(call GetPages $((8 * G / 4096)) 16)
check "GetPages on online RAM" test "$out" = "()"
check "offline with extra page references: Busy" refused Busy OfflineMemory $((8 * G)) $((128 * M))
out=$(call LookupPfn $((8 * G / 4096)))
check "LookupPfn sees the reference (refcount $idle + 1), zone and block" \
	grep -q "'block': <uint64 64>, 'zone': <'Normal'>, 'node': <0>, 'refcount': <$((idle + 1))>" <<<"$out"
out=$(call PutPages $((8 * G / 4096)) 16)
check "PutPages" test "$out" = "()"
check "PutPages below the idle count is refused" refused "InvalidState|InvalidArgument" PutPages $((8 * G / 4096)) 1

# group commit: 100 requests in flight at once share fdatasyncs (counted at shutdown)
if [ -x "$builddir/tests/daemon/bus-burst" ]; then
	out=$("$builddir/tests/daemon/bus-burst" "$A" $((8 * G / 4096 + 100)) 60 2>&1)
	check "120 concurrent GetPages/PutPages all succeed ($out)" grep -q "120 calls, 0 failed" <<<"$out"
	out=$(call LookupPfn $((8 * G / 4096 + 100)))
	check "... and leave the page at its idle count" grep -q "'refcount': <$idle>" <<<"$out"
fi

out=$(call Plan add-memory $((8 * G)) $G '{}')
check "Plan of an overlapping add says Overlap without changing anything" \
	grep -q "'ok': <false>, 'error': <'org.pmm.Hotplug1.Error.Overlap'>" <<<"$out"
out=$(call Plan add-memory $((16 * G)) $G '{}')
check "Plan of a valid add: ok, 8 sections, 8 blocks" \
	grep -q "'ok': <true>.*'sections': <\[uint64 128, 129, 130, 131, 132, 133, 134, 135\]>" <<<"$out"
check "Plan did not add anything (nothing to remove there)" refused NotFound RemoveMemory $((16 * G)) $G

# ZONE_DEVICE: whatever libmm can do today, Plan and the operation must agree
plan=$(call Plan add-device $((40 * G)) $((2 * G)) "{'type': <'devdax'>}")
out=$(call AddDeviceMemory $((40 * G)) $((2 * G)) "{'type': <'devdax'>}")
if grep -q "'ok': <true>" <<<"$plan"; then
	check "Plan add-device ok, and AddDeviceMemory succeeds ($out)" grep -q "objectpath" <<<"$out"
	out=$(call RemoveMemory $((40 * G)) $((2 * G)))
	check "the device range is removed again" test "$out" = "()"
else
	name=$(sed -n "s/.*'error': <'\([^']*\)'>.*/\1/p" <<<"$plan")
	check "Plan add-device refuses with $name, and so does AddDeviceMemory ($out)" grep -q "$name:" <<<"$out"
fi
plan=$(call Plan add-namespace $((56 * G)) $((16 * G)) '{}')
out=$(call AddNamespace namespace0.0 '{}')
if grep -q "'ok': <true>" <<<"$plan"; then
	check "Plan add-namespace ok, and AddNamespace succeeds ($out)" grep -q "objectpath" <<<"$out"
	check "the namespace is in use" grep -q '"in_use":true' <<<"$(call List namespaces '{}')"
	out=$(call RemoveMemory $(grep -o '"start":[0-9]*,"size":[0-9]*' <<<"$(call List ranges '{}')" | tail -n1 | tr -dc '0-9,' | tr ',' ' '))
	check "the namespace's range is removed again ($out)" test "$out" = "()"
else
	name=$(sed -n "s/.*'error': <'\([^']*\)'>.*/\1/p" <<<"$plan")
	check "Plan add-namespace refuses with $name, and so does AddNamespace ($out)" grep -q "$name:" <<<"$out"
fi
check "unknown namespace: NotFound" refused NotFound AddNamespace nosuch '{}'
check "bad map option: InvalidArgument" refused InvalidArgument AddNamespace namespace0.0 "{'map': <'disk'>}"

out=$(call OfflineMemory $((8 * G)) $G)
check "OfflineMemory offlines 8 blocks ($out)" grep -q '(uint32 8,)' <<<"$out"
out=$(call RemoveMemory $((8 * G)) $G)
check "RemoveMemory" test "$out" = "()"
check "the block objects are gone" grep -q "Unknown object" <<<"$(prop /org/pmm/Hotplug1/block/64 org.pmm.Hotplug1.Block State)"

# policy: auto-movable onlines new blocks into Movable
out=$(call SetOnlinePolicy auto-movable "{'ratio': <uint32 301>}")
check "SetOnlinePolicy auto-movable" test "$out" = "()"
check "AutoOnlineBlocks is auto-movable" grep -q '"auto-movable"' <<<"$(prop /org/pmm/Hotplug1 org.pmm.Hotplug1.Manager AutoOnlineBlocks)"
check "ratio is only for auto-movable" refused InvalidArgument SetOnlinePolicy online "{'ratio': <uint32 5>}"
out=$(call AddMemory $((10 * G)) $((512 * M)) '{}')
last_id=$(sed -n "s|.*/range/\([0-9]*\)'.*|\1|p" <<<"$out")
check "AddMemory with the policy returns a range ($out)" test -n "$last_id"
check "auto-onlined block is online" grep -q '"online"' <<<"$(prop /org/pmm/Hotplug1/block/80 org.pmm.Hotplug1.Block State)"
out=$(call AddMemory $((12 * G)) $((256 * M)) "{'online': <'offline'>}")
check "AddMemory with online=offline stays offline" grep -q '"offline"' <<<"$(prop /org/pmm/Hotplug1/block/96 org.pmm.Hotplug1.Block State)"

sleep 0.3
kill "$mon_pid" 2>/dev/null; wait "$mon_pid" 2>/dev/null; mon_pid=
check "InterfacesAdded for the new range" grep -q 'Path=/org/pmm/Hotplug1 .*Member=InterfacesAdded' "$tmp/signals"
check "InterfacesAdded names block objects" grep -q 'OBJECT_PATH "/org/pmm/Hotplug1/block/64"' "$tmp/signals"
check "InterfacesRemoved on remove" grep -q 'Member=InterfacesRemoved' "$tmp/signals"
check "PropertiesChanged for a block" grep -q 'Path=/org/pmm/Hotplug1/block/64 .*Member=PropertiesChanged' "$tmp/signals"
check "PropertiesChanged for the Manager's counters" grep -A8 'Path=/org/pmm/Hotplug1 .*Member=PropertiesChanged' "$tmp/signals" | grep -q OnlineBytes

# ------------------------------------------------------------------ authorisation
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups gdbus call --address "$A" $MGR \
		--method org.pmm.Hotplug1.Manager.OfflineMemory $((10 * G)) $((128 * M)) 2>&1)
	check "a non-root caller gets AccessDenied" grep -q "org.pmm.Hotplug1.Error.AccessDenied" <<<"$out"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups gdbus call --address "$A" $MGR \
		--method org.pmm.Hotplug1.Manager.Describe 2>&1)
	check "a non-root caller may read" grep -q '"backend":"sim"' <<<"$out"
else
	echo "ok $((n + 1)) # SKIP not root: cannot test a non-root caller"; n=$((n + 1))
fi

# ------------------------------------------------------------------ second instance
"$daemon" --address "$A" --state-dir "$tmp/state2" 2>"$tmp/second.log"
rc=$?
check "a second instance exits 1 ($rc)" test $rc = 1
check "... saying the name is owned" grep -q "another instance already owns org.pmm.Hotplug1" "$tmp/second.log"

# ------------------------------------------------------------------ restart
check "a snapshot was written" test -s "$tmp/state/snapshot"
before=$(call List ranges '{}'; call List blocks '{}'; call Describe)
check "SIGTERM stops the daemon cleanly" stop_daemon
if [ -x "$builddir/tests/daemon/bus-burst" ]; then
	line=$(grep "group commit:" "$tmp/daemon.log" | head -n1)
	recs=$(sed -n 's/.*group commit: \([0-9]*\) journal records made durable by \([0-9]*\) fdatasyncs.*/\1/p' <<<"$line")
	syncs=$(sed -n 's/.*group commit: \([0-9]*\) journal records made durable by \([0-9]*\) fdatasyncs.*/\2/p' <<<"$line")
	check "group commit: fewer fdatasyncs than records ($line)" test "${syncs:-999}" -lt "${recs:-0}"
fi
check "restart with the same state dir" start_daemon "$tmp/state"
after=$(call List ranges '{}'; call List blocks '{}'; call Describe)
check "ranges, blocks, policy and counters come back" test "$before" = "$after"
last_id=$((last_id + 1))    # the online=offline add after it
check "the range ids came back (range $last_id exists)" grep -q "\"id\":$last_id," <<<"$after"
out=$(call AddMemory $((14 * G)) $((128 * M)) '{}')
check "the next range id continues after the restored ones ($out)" grep -q "range/$((last_id + 1))'" <<<"$out"
stop_daemon
unset PMM_SNAPSHOT_EVERY

# a journal without snapshots for the damage checks
check "a fresh daemon for the damage checks" start_daemon "$tmp/state3"
call AddMemory $((8 * G)) $G '{}' >/dev/null
call OnlineMemory $((8 * G)) $G '' >/dev/null
stop_daemon

# ------------------------------------------------------------------ long work in the worker
# 128M steps, each followed by a 10 ms pause: a 32G add is a job of 256 steps lasting at least
# 2.5 s on any machine, long enough to probe
export PMM_JOB_CHUNK=$((128 * M)) PMM_SNAPSHOT_EVERY=2 PMM_JOB_STEP_DELAY_US=10000
# a 1T managed region: the interrupted job below is a 512G add, far from done when stopped
echo '{"managed_regions": [{"start": "8G", "size": "1T"}], "namespaces": []}' > "$tmp/big.json"
check "a daemon with small job steps" start_daemon "$tmp/state5" --config "$tmp/big.json"
busctl --address="$A" monitor --match "type='signal',member='Progress'" > "$tmp/progress" 2>&1 &
mon_pid=$!
sleep 0.3
call AddMemory $((8 * G)) $((32 * G)) "{'online': <'online_movable'>}" > "$tmp/job.out" &
job_pid=$!
sleep 0.2
t0=$(date +%s%N)
out=$(call Describe)
t1=$(date +%s%N)
check "reads are answered while the job runs ($(( (t1 - t0) / 1000000 )) ms)" test $(( (t1 - t0) / 1000000 )) -lt 1000
if kill -0 "$job_pid" 2>/dev/null; then
	# a request beside the job runs at once; bus ids follow the journal (the job's comes later)
	out=$(call AddMemory $((100 * G)) $((128 * M)) "{'online': <'online_kernel'>}")
	check "a request beside the running job is served at once ($out)" grep -q "range/1'" <<<"$out"
	check "a request overlapping the running job: Busy" refused Busy OnlineMemory $((8 * G)) $G online
	out=$(call Plan online $((8 * G)) $G '{}')
	check "Plan agrees: Busy" grep -q "org.pmm.Hotplug1.Error.Busy" <<<"$out"
	out=$(call List ranges '{}')
	check "the job's range is not listed before it is acknowledged" \
		test "$(grep -c '"start":8589934592' <<<"$out")" = 0 -a "$(grep -c '"start":107374182400' <<<"$out")" = 1
else
	notok "the job ended before it could be probed"
fi
wait "$job_pid"
check "the job's reply is the next range ($(cat "$tmp/job.out"))" grep -q "range/2'" "$tmp/job.out"
before=$(call List ranges '{}'; call List blocks '{}')
check "restart after interleaved job and request" stop_daemon
check "... comes back" start_daemon "$tmp/state5" --config "$tmp/big.json"
after=$(call List ranges '{}'; call List blocks '{}')
check "... with the same ranges, ids and blocks" test "$before" = "$after"
out=$(call RemoveMemory $((100 * G)) $((128 * M)))
check "the request's range is refused while online" grep -q "Busy" <<<"$out"
call OfflineMemory $((100 * G)) $((128 * M)) >/dev/null
out=$(call RemoveMemory $((100 * G)) $((128 * M)))
check "... and removed once offline" test "$out" = "()"
out=$(call List blocks '{}')
check "all 256 blocks online in Movable" test "$(grep -o '"state":"online","zone":"Movable"' <<<"$out" | wc -l)" = 256
out=$(call OfflineMemory $((8 * G)) $((32 * G)))
check "an offline job ($out)" grep -q '(uint32 256,)' <<<"$out"
sleep 0.3
kill "$mon_pid" 2>/dev/null; wait "$mon_pid" 2>/dev/null; mon_pid=
grep -A8 "Member=Progress" "$tmp/progress" | grep -E "STRING|UINT64" | paste - - - - - | \
	awk '{print $2, $8, $10}' | tr -d '";' > "$tmp/progress.txt"
check "Progress signals while the jobs ran ($(wc -l < "$tmp/progress.txt"))" test "$(wc -l < "$tmp/progress.txt")" -ge 4
check "the add's progress rises to done == total" \
	awk '$1 == "add-memory" { if ($2 < last) bad = 1; last = $2; total = $3 } END { exit bad || last != total }' "$tmp/progress.txt"
check "the auto-online and the offline report progress too" grep -q "^offline " "$tmp/progress.txt"
out=$(call RemoveMemory $((8 * G)) $((32 * G)))
check "remove the job's range" test "$out" = "()"
call AddMemory $((8 * G)) $((512 * G)) '{}' > "$tmp/job.out" 2>&1 &
job_pid=$!
sleep 0.3
check "SIGTERM during a job stops the daemon" stop_daemon
wait "$job_pid"
check "the interrupted job's caller gets an error ($(cat "$tmp/job.out"))" grep -q "org.pmm.Hotplug1.Error" "$tmp/job.out"
check "restart after the interrupted job" start_daemon "$tmp/state5" --config "$tmp/big.json"
check "the interrupted job left no trace" grep -q '{"ranges":\[\]}' <<<"$(call List ranges '{}')"
check "the acknowledged remove is there (block 64 gone)" grep -q "Unknown object" <<<"$(prop /org/pmm/Hotplug1/block/64 org.pmm.Hotplug1.Block State)"
stop_daemon
unset PMM_JOB_CHUNK PMM_SNAPSHOT_EVERY PMM_JOB_STEP_DELAY_US

# ------------------------------------------------------------------ damaged journal
cp "$tmp/state3/journal" "$tmp/journal.good"
sed -i '2s/"size":1073741824/"size":1073741825/' "$tmp/state3/journal"
"$daemon" --address "$A" --state-dir "$tmp/state3" 2>"$tmp/bad.log"
rc=$?
check "a corrupt record stops start-up ($rc)" test $rc = 1
check "... naming the file, the record and the reason" grep -q "journal $tmp/state3/journal: record 1 .*bad CRC" "$tmp/bad.log"
head -c -5 "$tmp/journal.good" > "$tmp/state3/journal"
"$daemon" --address "$A" --state-dir "$tmp/state3" 2>"$tmp/bad.log"
check "a truncated tail stops start-up" grep -q "truncated record" "$tmp/bad.log"
cp "$tmp/journal.good" "$tmp/state3/journal"
echo '{"block_size": "256M"}' > "$tmp/other.json"
"$daemon" --address "$A" --state-dir "$tmp/state3" --config "$tmp/other.json" 2>"$tmp/bad.log"
check "a journal of another configuration is refused" grep -q "written for block size 128M, but the configuration says 256M" "$tmp/bad.log"
printf 'garbage\n' >> "$tmp/state/snapshot"
"$daemon" --address "$A" --state-dir "$tmp/state" 2>"$tmp/bad.log"
check "a damaged snapshot stops start-up" grep -q "snapshot $tmp/state/snapshot: record .*malformed" "$tmp/bad.log"
echo '{"block_size": "100M"}' > "$tmp/bad.json"
"$daemon" --address "$A" --state-dir "$tmp/state" --config "$tmp/bad.json" 2>"$tmp/bad.log"
rc=$?
check "a bad configuration stops start-up naming the key ($rc)" grep -q "key 'block_size'" "$tmp/bad.log"
"$daemon" --bogus 2>/dev/null
check "an unknown option is a usage error (exit 2)" test $? = 2
check "--version" grep -q "^pmm-hotplugd " <<<"$("$daemon" --version)"

if grep -q "ERROR: \(Address\|Leak\)Sanitizer\|WARNING: ThreadSanitizer\|runtime error:" "$tmp/daemon.log"; then
	notok "no sanitizer report"; grep -A20 "Sanitizer\|runtime error" "$tmp/daemon.log" | sed 's/^/# /' | head -40
else
	ok "no sanitizer report in the daemon's log"
fi
echo "1..$n"
exit $failed
