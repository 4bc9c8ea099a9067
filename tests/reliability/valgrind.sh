#!/bin/bash
# SPDX-License-Identifier: MIT
# pmm-hotplugd under valgrind memcheck through a short hotplug session driven by the real
# pmmctl (the integration harness, tests/integration/lib.sh, with the daemon wrapped): every
# kind of request, refusals included, a job, a snapshot, a restart from it, then SIGTERM.
# valgrind's exit status says whether it found an error or a definite leak (99) or not.
# Registered only in builds without ASan: valgrind cannot run an ASan-instrumented program
# (there, ASan + UBSan check the same session in the other tests).
. "$(dirname "$0")/../integration/lib.sh"

G=$((1 << 30))
M=$((1 << 20))
if ! command -v valgrind >/dev/null; then
	ok 1 "valgrind is installed (scripts/install-deps.sh installs it)"
	done_testing
	exit 1
fi

# the daemon, wrapped: lib.sh starts "$DAEMON"
cat >"$T_DIR/vg-daemon" <<EOF
#!/bin/sh
exec valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \\
	--show-leak-kinds=definite --num-callers=30 --log-file="$T_DIR/valgrind.%p.log" \\
	"$DAEMON" "\$@"
EOF
chmod +x "$T_DIR/vg-daemon"
REAL_DAEMON=$DAEMON
DAEMON="$T_DIR/vg-daemon"
# a small machine keeps valgrind's start-up short; a namespace so map=dev memmap is exercised
cat >"$T_DIR/vg.json" <<EOF
{ "boot_memory": [{"start": "0", "size": "1G"}],
  "managed_regions": [{"start": "4G", "size": "8G"}],
  "namespaces": [{"name": "namespace0.0", "start": "10G", "size": "1G"}] }
EOF

# vg_stop: SIGTERM, then valgrind's verdict
vg_stop() {
	stop_daemon TERM
	[ "$DAEMON_RC" -eq 0 ]
	ok $? "$1: valgrind reports no error and no definite leak (exit $DAEMON_RC)" ||
		diag "$(grep -h -A25 -E 'Invalid|uninitialised|definitely lost in|ERROR SUMMARY' "$T_DIR"/valgrind.*.log | head -n 60)"
	grep -h "ERROR SUMMARY" "$T_DIR"/valgrind.*.log | sed 's/^/# /'
	rm -f "$T_DIR"/valgrind.*.log
}

start_bus
# a snapshot after every request: the restart below restores from a snapshot, page references
# taken and dropped through different pages of one folio included
export PMM_JOB_CHUNK=$((256 * M)) PMM_SNAPSHOT_EVERY=1
start_daemon --config "$T_DIR/vg.json"
ok $? "the daemon reaches READY=1 under valgrind"

run "$PMMCTL" add-memory 4G 1G --online online_movable
expect_rc 0 "add-memory 4G 1G, auto-online (a job: 4 steps of 256 MiB)"
run "$PMMCTL" add-memory 5G 512M --memmap-on-memory
expect_rc 0 "add-memory with memmap_on_memory"
run "$PMMCTL" online 5G 256M --zone normal
expect_rc 0 "online 5G 256M"
run "$PMMCTL" get-pages $((4 * G / 4096)) 8
expect_rc 0 "get-pages"
run "$PMMCTL" offline 4G 128M
expect_err Busy "offline a block with a pinned page"
run "$PMMCTL" put-pages $((4 * G / 4096)) 8
expect_rc 0 "put-pages"
run "$PMMCTL" offline 4G 1G
expect_rc 0 "offline 4G 1G (a job)"
run "$PMMCTL" remove-range 4G 512M
expect_rc 0 "remove part of a range"
run "$PMMCTL" add-device 7G 64M --type devdax --align 2M
expect_rc 0 "add-device, compound pages"
run "$PMMCTL" add-device 8G 32M --type fsdax --map dev
expect_rc 0 "add-device, memmap in the device"
run "$PMMCTL" add-namespace namespace0.0 --map dev
expect_rc 0 "add-namespace, memmap in the namespace file"
run "$PMMCTL" get-pages $((7 * G / 4096 + 3)) 2
expect_rc 0 "get-pages on device pages"
run "$PMMCTL" put-pages $((7 * G / 4096 + 5)) 1
expect_rc 0 "put-pages through another page of the folio"
run "$PMMCTL" policy auto-movable --ratio 200
expect_rc 0 "policy auto-movable"
run "$PMMCTL" add-memory 6G 128M
expect_rc 0 "add-memory under the auto-movable policy"
run "$PMMCTL" add-memory 4G 1M
expect_err Misaligned "a misaligned add"
run "$PMMCTL" online 5G 128M
expect_err InvalidState "online of an online block"
run "$PMMCTL" --json status
expect_rc 0 "status"
run "$PMMCTL" --json list blocks --all
expect_rc 0 "list blocks"
run "$PMMCTL" --json list ranges
expect_rc 0 "list ranges"
run "$PMMCTL" --json list sections
expect_rc 0 "list sections"
run "$PMMCTL" --json list namespaces
expect_rc 0 "list namespaces"
run "$PMMCTL" --json pfn $((7 * G / 4096 + 3))
expect_rc 0 "pfn"
run "$PMMCTL" --json plan add-memory 9G 256M
expect_rc 0 "plan"
run "$PMMCTL" --json map
expect_rc 0 "map"
before=$("$PMMCTL" --json list ranges)
vg_stop "the first session"

# restart from the snapshot + journal, still under valgrind
start_daemon --config "$T_DIR/vg.json"
ok $? "the daemon restarts under valgrind (snapshot + journal replay)"
run "$PMMCTL" --json list ranges
[ "$OUT" = "$before" ]
ok $? "the ranges are the same after the restart"
run "$PMMCTL" put-pages $((7 * G / 4096 + 4)) 1
expect_rc 0 "put the folio's last reference"
run "$PMMCTL" put-pages $((7 * G / 4096 + 3)) 1
expect_err InvalidState "no reference is left to put"
run "$PMMCTL" remove-range 7G 64M
expect_rc 0 "remove the device range"
vg_stop "the second session"

unset PMM_JOB_CHUNK PMM_SNAPSHOT_EVERY
DAEMON=$REAL_DAEMON
done_testing
