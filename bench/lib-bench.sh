# shellcheck shell=bash
# The benchmarks' harness for the daemon: a private system-like dbus-daemon loading the shipped
# policy (as tests/integration/lib.sh builds it), pmm-hotplugd started on it with a state
# directory of its own, stopped again. Sourced by bench/run.sh and bench/quick.sh.
#
# Environment: top_srcdir, top_builddir (default: this tree).

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
DAEMON="$top_builddir/daemon/pmm-hotplugd"
BENCH="$top_builddir/bench"
B_DIR=$(mktemp -d /tmp/pmm-bench.XXXXXX)
BUS_PID=
DAEMON_PID=
BUS_ADDRESS=

bench_cleanup() {
	bench_stop_daemon
	[ -n "$BUS_PID" ] && kill "$BUS_PID" 2>/dev/null
	rm -rf "$B_DIR"
}
trap bench_cleanup EXIT

bench_start_bus() {
	mkdir -p "$B_DIR/system.d" "$B_DIR/services"
	cp "$top_srcdir/dbus/org.pmm.Hotplug1.conf" "$B_DIR/system.d/"
	# bench-bus's reference service: a minimal sd-bus no-op method
	cat >"$B_DIR/system.d/bench-noop.conf" <<-EOF
	<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
	 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
	<busconfig><policy context="default"><allow own="org.pmm.BenchNoop"/>
	<allow send_destination="org.pmm.BenchNoop"/></policy></busconfig>
	EOF
	sed "s|@RUNDIR@|$B_DIR|g" "$top_srcdir/tests/integration/system-bus.conf.in" >"$B_DIR/bus.conf"
	dbus-daemon --config-file="$B_DIR/bus.conf" --fork --print-address=3 --print-pid=4 \
		3>"$B_DIR/bus.address" 4>"$B_DIR/bus.pid" || return 1
	BUS_PID=$(cat "$B_DIR/bus.pid")
	BUS_ADDRESS=$(head -n1 "$B_DIR/bus.address")
	export PMM_BUS_ADDRESS="$BUS_ADDRESS"
}

# bench_start_daemon STATE_DIR [ARGS...]: returns once org.pmm.Hotplug1 is on the bus
bench_start_daemon() {
	local state=$1 i
	shift
	mkdir -p "$state"
	"$DAEMON" --address "$BUS_ADDRESS" --state-dir "$state" "$@" 2>>"$B_DIR/daemon.log" &
	DAEMON_PID=$!
	for i in $(seq 600); do
		if busctl --address="$BUS_ADDRESS" call org.freedesktop.DBus /org/freedesktop/DBus \
			org.freedesktop.DBus NameHasOwner s org.pmm.Hotplug1 2>/dev/null | grep -q true; then
			return 0
		fi
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "# pmm-hotplugd did not start; its log:" >&2
	tail -n 20 "$B_DIR/daemon.log" | sed 's/^/#   /' >&2
	return 1
}

bench_stop_daemon() {
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
}

# bench_describe: the daemon's status JSON (Describe)
bench_describe() {
	busctl --address="$BUS_ADDRESS" call org.pmm.Hotplug1 /org/pmm/Hotplug1 \
		org.pmm.Hotplug1.Manager Describe
}

# bench_rss_kb PID: VmRSS of a process in KiB
bench_rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}
