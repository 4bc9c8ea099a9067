#!/bin/bash
# SPDX-License-Identifier: MIT
# Storage faults (issue 8, part 2).
#
# A full disk: the daemon reserves journal space (fallocate) before a request changes anything,
# so once the disk is full and the reserve is used up, mutating requests are refused with
# NoSpace naming the journal, nothing of them is visible (before or after a restart), reads go
# on, and after space is freed mutations work again in the same process. Played twice: on a
# tiny tmpfs (mount, as root), and with fault-shim.so failing fallocate with ENOSPC (no mount
# needed; the reserve works the same way).
#
# Write and sync errors that the reserve cannot prevent are fail-stop: the request is answered
# Failed ("could not be made durable ... stops"), the daemon exits 1, its records are cut off
# the journal, and a restart restores exactly the acknowledged state. A failing snapshot only
# logs: the journal goes on.
. "$(dirname "$0")/lib-rel.sh"
BURST="$top_builddir/tests/daemon/bus-burst"
SHIM="$REL/fault-shim.so"
G=$((1 << 30))
M=$((1 << 20))

start_bus

bc() { # bc METHOD ARGS: a Manager call (hostile.c's argument language); OUT, ERR (the error's
	# name and message) and RC
	OUT=$("$REL/hostile" "$BUS_ADDRESS" --call "$1" "${2:-}" 2>"$T_DIR/bc.err") && RC=0 || RC=$?
	ERR=$(cat "$T_DIR/bc.err")
}
# the observable state: Describe, every List, the refcount of the pinned pages
state() {
	local k
	bc Describe
	echo "$OUT"
	for k in blocks ranges sections namespaces; do
		bc List "s:$k a:"
		echo "$OUT"
	done
	bc LookupPfn "t:$((4 * G / 4096))"
	echo "$OUT"
}
refused() { # refused NAME DESCRIPTION: the last bc failed with NAME and a message about the journal
	[ "$RC" -ne 0 ] && grep -q "^org.pmm.Hotplug1.Error.$1: " <<<"$ERR" && grep -q "journal" <<<"$ERR"
	ok $? "$2 -> $1" || diag "exit $RC: $ERR"
}

config() { # config STATE_DIR: a small model; a small namespace, its memmap fits in 2 MiB
	cat >"$T_DIR/faults.json" <<EOF
{ "boot_memory": [{"start": "0", "size": "1G"}],
  "managed_regions": [{"start": "4G", "size": "8G"}],
  "namespaces": [{"name": "namespace0.0", "start": "11G", "size": "64M"}],
  "state_dir": "$1" }
EOF
}

# ------------------------------------------------------------------ a full disk
# full_disk MODE: MODE tmpfs fills a tiny tmpfs; MODE shim has fault-shim.so fail fallocate
full_disk() {
	local mode=$1 dir="$T_DIR/$1" pid before after i
	mkdir -p "$dir"
	if [ "$mode" = tmpfs ]; then
		mount -t tmpfs -o size=4M tmpfs "$dir" || return 1
		T_CLEANUP_HOOKS+=("umount '$dir' 2>/dev/null")
	fi
	config "$dir/state"
	export PMM_SNAPSHOT_EVERY=40
	if [ "$mode" = shim ]; then
		LD_PRELOAD=$SHIM PMM_FAULT_DIR="$dir/state" PMM_FAULT_TRIGGER="$T_DIR/disk-full" \
			PMM_FAULT_CALLS=fallocate,write-new start_daemon "$dir/state" --config "$T_DIR/faults.json"
	else
		start_daemon "$dir/state" --config "$T_DIR/faults.json"
	fi
	ok $? "$mode: the daemon starts with its state on the small disk"
	pid=$DAEMON_PID
	bc AddMemory "t:$((4 * G)) t:$((512 * M)) a:" &&
		bc OnlineMemory "t:$((4 * G)) t:$((128 * M)) s:online_kernel" &&
		bc GetPages "t:$((4 * G / 4096)) t:2"
	ok $RC "$mode: requests acknowledged while there is room"

	# the disk fills up
	if [ "$mode" = tmpfs ]; then
		dd if=/dev/zero of="$dir/filler" bs=4k 2>/dev/null
		[ "$(df --output=avail "$dir" | tail -n1)" -eq 0 ]
		ok $? "$mode: the disk is full"
	else
		touch "$T_DIR/disk-full"
		ok $? "$mode: the disk is full (fallocate fails with ENOSPC)"
	fi
	# what the reserve still holds is written; then requests are refused
	for i in $(seq 40); do
		"$BURST" "$BUS_ADDRESS" $((4 * G / 4096 + 7)) 100 >/dev/null 2>"$T_DIR/burst.err" || break
	done
	[ "$i" -gt 1 ] && grep -q "Error.NoSpace" "$T_DIR/burst.err"
	ok $? "$mode: the journal's reserve took $((i - 1)) bursts of 200 requests, then NoSpace" ||
		diag "$(head -n 3 "$T_DIR/burst.err")"
	before=$(state)

	bc AddMemory "t:$((5 * G)) t:$((128 * M)) a:"
	refused NoSpace "$mode: AddMemory on a full disk"
	grep -q "could not be written" <<<"$ERR" && grep -q "No space left on device" <<<"$ERR" &&
		grep -q "nothing changed" <<<"$ERR"
	ok $? "$mode: ... the message says the journal could not be written and nothing changed" ||
		diag "$ERR"
	bc OnlineMemory "t:$((4 * G + 128 * M)) t:$((128 * M)) s:online_movable"
	refused NoSpace "$mode: OnlineMemory on a full disk"
	bc OfflineMemory "t:$((4 * G)) t:$((128 * M))"
	refused NoSpace "$mode: OfflineMemory on a full disk"
	bc RemoveMemory "t:$((4 * G + 256 * M)) t:$((256 * M))"
	refused NoSpace "$mode: RemoveMemory on a full disk"
	bc GetPages "t:$((4 * G / 4096)) t:1"
	refused NoSpace "$mode: GetPages on a full disk"
	bc SetOnlinePolicy "s:online_movable a:"
	refused NoSpace "$mode: SetOnlinePolicy on a full disk"
	bc AddDeviceMemory "t:$((6 * G)) t:$((2 * M)) a:"
	refused NoSpace "$mode: AddDeviceMemory on a full disk"
	bc AddNamespace "s:namespace0.0 a:map=s:dev"
	refused NoSpace "$mode: AddNamespace on a full disk"
	after=$(state)
	[ "$before" = "$after" ]
	ok $? "$mode: nothing of the refused requests is visible" ||
		diag "$(diff <(echo "$before") <(echo "$after") | head -n 6)"

	# the journal has room (freshly reserved), the namespace's file has none: the memmap would
	# be written through a shared mapping (SIGBUS on a full disk); refused instead
	if [ "$mode" = tmpfs ]; then rm -f "$dir/filler"; else rm -f "$T_DIR/disk-full"; fi
	bc GetPages "t:$((4 * G / 4096)) t:1" && bc PutPages "t:$((4 * G / 4096)) t:1"
	ok $RC "$mode: with room again, the journal reserves space"
	if [ "$mode" = tmpfs ]; then
		dd if=/dev/zero of="$dir/filler" bs=4k 2>/dev/null
	else
		touch "$T_DIR/disk-full"
	fi
	before=$(state)
	bc AddNamespace "s:namespace0.0 a:map=s:dev"
	[ "$RC" -ne 0 ] && grep -q "^org.pmm.Hotplug1.Error.NoSpace: no room for the memmap" <<<"$ERR"
	ok $? "$mode: AddNamespace map=dev, no room for the memmap in the namespace file -> NoSpace" ||
		diag "exit $RC: $ERR"
	kill -0 "$pid" 2>/dev/null
	ok $? "$mode: ... and the daemon is alive (no SIGBUS)"
	after=$(state)
	[ "$before" = "$after" ]
	ok $? "$mode: ... and nothing of it is visible" ||
		diag "$(diff <(echo "$before") <(echo "$after") | head -n 6)"

	# reads go on
	bc Describe && bc List "s:blocks a:" && bc LookupPfn "t:$((4 * G / 4096))" &&
		bc Plan "s:add-memory t:$((5 * G)) t:$((128 * M)) a:"
	ok $RC "$mode: reads (Describe, List, LookupPfn, Plan) answer on a full disk"
	busctl --address="$BUS_ADDRESS" get-property org.pmm.Hotplug1 /org/pmm/Hotplug1 \
		org.pmm.Hotplug1.Manager PresentBytes >/dev/null
	ok $? "$mode: properties answer on a full disk"
	kill -0 "$pid" 2>/dev/null
	ok $? "$mode: the daemon is still running"
	grep -q "snapshot in $dir/state failed: No space left on device" "$T_DIR/daemon.log"
	ok $? "$mode: a snapshot that did not fit is logged, the journal goes on"
	[ ! -e "$dir/state/snapshot.new" ]
	ok $? "$mode: no half-written snapshot is left behind"

	# space comes back: mutations work again in the same process
	if [ "$mode" = tmpfs ]; then rm -f "$dir/filler"; else rm -f "$T_DIR/disk-full"; fi
	bc AddMemory "t:$((5 * G)) t:$((128 * M)) a:"
	ok $RC "$mode: once space is freed, AddMemory works again" || diag "$ERR"
	bc GetPages "t:$((4 * G / 4096)) t:1"
	ok $RC "$mode: ... and GetPages"
	bc AddNamespace "s:namespace0.0 a:map=s:dev"
	ok $RC "$mode: ... and AddNamespace with its memmap in the namespace file" || diag "$ERR"
	[ "$DAEMON_PID" = "$pid" ] && kill -0 "$pid" 2>/dev/null
	ok $? "$mode: ... without a restart"
	before=$(state)

	# a restart restores exactly what was acknowledged
	stop_daemon TERM
	[ "$DAEMON_RC" -eq 0 ]
	ok $? "$mode: stops cleanly (exit $DAEMON_RC)"
	start_daemon "$dir/state" --config "$T_DIR/faults.json"
	ok $? "$mode: restarts on the same state"
	after=$(state)
	[ "$before" = "$after" ]
	ok $? "$mode: the restored state is the acknowledged one" ||
		diag "$(diff <(echo "$before") <(echo "$after") | head -n 6)"
	stop_daemon TERM
	unset PMM_SNAPSHOT_EVERY
	if [ "$mode" = tmpfs ]; then umount "$dir"; fi
	return 0
}

mkdir -p "$T_DIR/probe"
if mount -t tmpfs -o size=1M tmpfs "$T_DIR/probe" 2>/dev/null; then
	umount "$T_DIR/probe"
	full_disk tmpfs
else
	# not root, or no mount in this container: the injector plays the full disk alone
	echo "# cannot mount a tmpfs here: the full disk is played by fault-shim.so only"
fi
full_disk shim

# ------------------------------------------------------------------ fail-stop
# fail_stop NAME CALLS ERRNO: the storage fails where the reserve cannot help
fail_stop() {
	local name=$1 calls=$2 errno=$3 dir="$T_DIR/$1" before after
	config "$dir"
	LD_PRELOAD=$SHIM PMM_FAULT_DIR="$dir" PMM_FAULT_TRIGGER="$T_DIR/fail-now" \
		PMM_FAULT_CALLS=$calls PMM_FAULT_ERRNO=$errno \
		start_daemon "$dir" --config "$T_DIR/faults.json"
	ok $? "$name: the daemon starts"
	bc AddMemory "t:$((4 * G)) t:$((512 * M)) a:" &&
		bc OnlineMemory "t:$((4 * G)) t:$((256 * M)) s:online_movable" &&
		bc GetPages "t:$((4 * G / 4096)) t:3"
	ok $RC "$name: requests acknowledged before the fault"
	before=$(state)
	touch "$T_DIR/fail-now"
	bc AddMemory "t:$((5 * G)) t:$((256 * M)) a:"
	[ "$RC" -ne 0 ] && grep -q "^org.pmm.Hotplug1.Error.Failed: " <<<"$ERR" &&
		grep -q "could not be made durable" <<<"$ERR" &&
		grep -q "stops" <<<"$ERR"
	ok $? "$name: the request is answered Failed, saying the daemon stops" || diag "$ERR"
	wait "$DAEMON_PID"
	DAEMON_RC=$?
	DAEMON_PID=
	[ "$DAEMON_RC" -eq 1 ]
	ok $? "$name: the daemon exits 1 (fail-stop)"
	grep -q "stopping so that a restart restores the acknowledged state" "$T_DIR/daemon.log"
	ok $? "$name: the log says why it stopped"
	rm -f "$T_DIR/fail-now"
	start_daemon "$dir" --config "$T_DIR/faults.json"
	ok $? "$name: restarts on the same state"
	after=$(state)
	[ "$before" = "$after" ]
	ok $? "$name: the restored state is the acknowledged one: the failed request left no trace" ||
		diag "$(diff <(echo "$before") <(echo "$after") | head -n 6)"
	bc AddMemory "t:$((5 * G)) t:$((256 * M)) a:"
	ok $RC "$name: the same request succeeds after the restart"
	stop_daemon TERM
}
fail_stop write-enospc write ENOSPC
fail_stop write-eio write EIO
fail_stop fdatasync-eio fdatasync EIO

# a snapshot that cannot be renamed into place: logged, the journal is still the truth
dir="$T_DIR/snapshot-eio"
config "$dir"
LD_PRELOAD=$SHIM PMM_FAULT_DIR="$dir" PMM_FAULT_TRIGGER="$T_DIR/fail-now" PMM_FAULT_CALLS=rename \
	PMM_FAULT_ERRNO=EIO PMM_SNAPSHOT_EVERY=2 start_daemon "$dir" --config "$T_DIR/faults.json"
ok $? "snapshot-eio: the daemon starts"
touch "$T_DIR/fail-now"
bc AddMemory "t:$((4 * G)) t:$((512 * M)) a:" && bc OnlineMemory "t:$((4 * G)) t:$((128 * M)) s:online_kernel" &&
	bc GetPages "t:$((4 * G / 4096)) t:1" && bc SetOnlinePolicy "s:online a:"
ok $RC "snapshot-eio: requests are acknowledged while snapshots fail"
grep -q "snapshot in .* failed: Input/output error" "$T_DIR/daemon.log"
ok $? "snapshot-eio: the failed snapshot is logged"
before=$(state)
rm -f "$T_DIR/fail-now"
stop_daemon TERM
start_daemon "$dir" --config "$T_DIR/faults.json"
ok $? "snapshot-eio: restarts"
after=$(state)
[ "$before" = "$after" ]
ok $? "snapshot-eio: the restored state is the acknowledged one" ||
	diag "$(diff <(echo "$before") <(echo "$after") | head -n 6)"
stop_daemon TERM

done_testing
