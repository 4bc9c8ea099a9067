# shellcheck shell=bash
# Shared harness of the integration tests: a private system-like dbus-daemon loading the shipped
# policy, the real pmm-hotplugd started as systemd would (NOTIFY_SOCKET, READY awaited), the real
# pmmctl. Every check is one TAP line.
#
# Environment: top_srcdir, top_builddir (set by make check; default: this tree).

set -u
: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
PMMCTL="$top_builddir/client/pmmctl"
DAEMON="$top_builddir/daemon/pmm-hotplugd"
NOTIFY_WAIT="$top_builddir/tests/integration/notify-wait"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=0"

T_N=0
T_FAILED=0
T_DIR=$(mktemp -d /tmp/pmm-test.XXXXXX)
DAEMON_PID=
BUS_PID=

ok() { # ok COND_STATUS DESCRIPTION; returns non-zero for a failed check (ok ... || diag ...)
	T_N=$((T_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $T_N - $2"
		return 0
	fi
	echo "not ok $T_N - $2"
	T_FAILED=$((T_FAILED + 1))
	return 1
}
diag() { sed 's/^/# /' <<<"$*"; }

# run CMD...: runs it, keeps stdout in $OUT, stderr in $ERR and the exit status in $RC
run() {
	OUT=$("$@" 2>"$T_DIR/stderr") && RC=0 || RC=$?
	ERR=$(cat "$T_DIR/stderr")
}

# expect_rc RC DESCRIPTION: the last run exited with RC
expect_rc() {
	local want=$1
	shift
	[ "$RC" -eq "$want" ]
	local s=$?
	ok $s "$* (exit $RC, want $want)"
	[ $s -eq 0 ] || diag "stdout: $OUT" "stderr: $ERR"
	return $s
}

# expect_err NAME DESCRIPTION: the last run failed with exit 1 and the daemon's error NAME
expect_err() {
	local name=$1
	shift
	[ "$RC" -eq 1 ] && grep -q "$name" <<<"$ERR"
	local s=$?
	ok $s "$* -> $name"
	[ $s -eq 0 ] || diag "exit $RC, stdout: $OUT" "stderr: $ERR"
	return $s
}

# jq_is FILTER EXPECTED DESCRIPTION: jq FILTER over $OUT prints EXPECTED
jq_is() {
	local got
	got=$(jq -c "$1" <<<"$OUT" 2>&1)
	[ "$got" = "$2" ]
	local s=$?
	ok $s "$3"
	[ $s -eq 0 ] || diag "jq '$1': got '$got', want '$2'"
	return $s
}

start_bus() {
	mkdir -p "$T_DIR/system.d" "$T_DIR/services"
	cp "$top_srcdir/dbus/org.pmm.Hotplug1.conf" "$T_DIR/system.d/"
	sed "s|@RUNDIR@|$T_DIR|g" "$top_srcdir/tests/integration/system-bus.conf.in" >"$T_DIR/bus.conf"
	dbus-daemon --config-file="$T_DIR/bus.conf" --fork --print-address=3 --print-pid=4 \
		3>"$T_DIR/bus.address" 4>"$T_DIR/bus.pid"
	BUS_PID=$(cat "$T_DIR/bus.pid")
	BUS_ADDRESS=$(head -n1 "$T_DIR/bus.address")
	export PMM_BUS_ADDRESS="$BUS_ADDRESS"
	export DBUS_SYSTEM_BUS_ADDRESS="$BUS_ADDRESS"
}

# start_daemon [ARGS...]: start pmm-hotplugd on the private bus; returns once it sent READY=1
start_daemon() {
	mkdir -p "$T_DIR/state"
	rm -f "$T_DIR/notify.out"
	"$NOTIFY_WAIT" "$T_DIR/notify" 20 >"$T_DIR/notify.out" &
	local nw=$!
	local i
	for i in $(seq 100); do [ -S "$T_DIR/notify" ] && break; sleep 0.05; done
	NOTIFY_SOCKET="$T_DIR/notify" "$DAEMON" --address "$BUS_ADDRESS" \
		--state-dir "$T_DIR/state" "$@" 2>>"$T_DIR/daemon.log" &
	DAEMON_PID=$!
	wait "$nw"
	return $?
}

stop_daemon() { # stop_daemon [SIGNAL]
	[ -n "$DAEMON_PID" ] || return 0
	kill "-${1:-TERM}" "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_RC=$?
	DAEMON_PID=
	return 0
}

cleanup() {
	stop_daemon KILL
	[ -n "$BUS_PID" ] && kill "$BUS_PID" 2>/dev/null
	if [ "$T_FAILED" -ne 0 ] && [ -f "$T_DIR/daemon.log" ]; then
		diag "daemon log:" "$(tail -n 40 "$T_DIR/daemon.log")"
	fi
	rm -rf "$T_DIR"
}
trap cleanup EXIT

done_testing() {
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ]
}
