#!/bin/bash
# The kernel backend's udev monitor in the "udev" group: the path a host with udevd takes (the
# daemon hears an event after udev's rules ran). The daemon picks that group when udevd's
# control socket /run/udev/control exists, which it does not here (no udevd, and the real /run
# is not ours to write). So the daemon runs in a private mount namespace whose /run is a tmpfs
# holding that one file; the fake kernel's uevents reach a "udev" monitor as umockdev delivers
# them, and the daemon must follow them exactly as in tests/kernel/memory.sh.
FK_FIXTURES="mem.umockdev"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/kernel/lib-kernel.sh"

if ! unshare -m --propagation private true 2>/dev/null; then
	# not presented as a pass: the harness counts this as a failed check
	ok 1 "unshare -m works here (needed to show the daemon a /run/udev/control)"
	done_testing
fi

# the daemon, as start_daemon runs it (same pid: unshare and bash exec), in its own mount namespace
cat >"$T_DIR/daemon-in-ns" <<EOF
#!/bin/bash
exec unshare -m --propagation private /bin/bash -c '
	mount -t tmpfs -o mode=0755 pmm-test-run /run || exit 1
	mkdir -p /run/udev && : >/run/udev/control || exit 1
	exec "\$0" "\$@"' "$DAEMON" "\$@"
EOF
chmod +x "$T_DIR/daemon-in-ns"
REAL_DAEMON=$DAEMON
DAEMON=$T_DIR/daemon-in-ns
had_control=$([ -e /run/udev/control ] && echo yes || echo no)

start_bus
cat >"$T_DIR/pmm.json" <<EOF
{ "backend": "kernel", "managed_regions": [ { "start": "14G", "size": "4G" } ],
  "auto_online_blocks": "online_movable" }
EOF
start_daemon --config "$T_DIR/pmm.json"
ok $? "pmm-hotplugd reaches READY=1 in a mount namespace with /run/udev/control"
[ "$([ -e /run/udev/control ] && echo yes || echo no)" = "$had_control" ]
ok $? "the real /run was not touched"
grep -q 'udev: listening to memory, nd and dax events (group "udev")' "$T_DIR/daemon.log"
ok $? "the monitor is in the \"udev\" group" || diag "$(grep 'udev:' "$T_DIR/daemon.log")"

udev_event_checks
run blocks_json
same_json "the listing equals the testbed" \
	"$(jq -c "$JQ_DEFS blocks_as_sysfs" <<<"$OUT")" "$(sysfs_blocks)"

stop_daemon
[ "$DAEMON_RC" = 0 ] && ! grep -q "runtime error\|Sanitizer" "$T_DIR/daemon.log"
ok $? "SIGTERM: the daemon exits 0"
DAEMON=$REAL_DAEMON
done_testing
