# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Shared harness of the reliability tests: a private, permissive dbus-daemon (so every request
# reaches pmm-hotplugd and its own answer is what gets tested), TAP helpers, cleanup.
#
# Environment: top_srcdir, top_builddir (set by make check; default: this tree).

set -u
: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
DAEMON="$top_builddir/daemon/pmm-hotplugd"
REL="$top_builddir/tests/reliability"
NOTIFY_WAIT="$top_builddir/tests/integration/notify-wait"
# the fault shim is preloaded into sanitized daemons: ASan must tolerate not being first
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

T_N=0
T_FAILED=0
T_DIR=$(mktemp -d /tmp/pmm-rel.XXXXXX)
chmod 755 "$T_DIR"
BUS_PID=
DAEMON_PID=
T_CLEANUP_HOOKS=()

ok() { # ok STATUS DESCRIPTION
	T_N=$((T_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $T_N - $2"
	else
		echo "not ok $T_N - $2"
		T_FAILED=$((T_FAILED + 1))
	fi
	return "$1"
}
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

start_bus() {
	cat >"$T_DIR/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$T_DIR/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
  <limit name="max_connections_per_user">512</limit>
  <limit name="max_replies_per_connection">4096</limit>
</busconfig>
EOF
	dbus-daemon --config-file="$T_DIR/bus.conf" --fork --print-address=3 --print-pid=4 \
		3>"$T_DIR/bus.address" 4>"$T_DIR/bus.pid"
	BUS_PID=$(cat "$T_DIR/bus.pid")
	BUS_ADDRESS=$(head -n1 "$T_DIR/bus.address")
	export PMM_BUS_ADDRESS="$BUS_ADDRESS"
}

# start_daemon STATE_DIR [ARGS...]: pmm-hotplugd on the private bus, logging to daemon.log;
# returns once it sent READY=1 (it owns its name earlier, while it still recovers its state).
# A DAEMON_WRAPPER (e.g. valgrind ...) runs it.
start_daemon() {
	local state=$1 nw i
	shift
	mkdir -p "$state"
	rm -f "$T_DIR/notify"
	"$NOTIFY_WAIT" "$T_DIR/notify" "${START_TIMEOUT:-30}" >"$T_DIR/notify.out" &
	nw=$!
	for i in $(seq 100); do [ -S "$T_DIR/notify" ] && break; sleep 0.02; done
	# shellcheck disable=SC2086
	NOTIFY_SOCKET="$T_DIR/notify" ${DAEMON_WRAPPER:-} "$DAEMON" --address "$BUS_ADDRESS" \
		--state-dir "$state" "$@" >>"$T_DIR/daemon.log" 2>&1 &
	DAEMON_PID=$!
	while kill -0 "$nw" 2>/dev/null; do
		if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
			kill "$nw" 2>/dev/null
			wait "$nw" 2>/dev/null
			return 1
		fi
		sleep 0.02
	done
	wait "$nw"
}

stop_daemon() { # stop_daemon [SIGNAL]: sets DAEMON_RC
	DAEMON_RC=
	[ -n "$DAEMON_PID" ] || return 0
	kill "-${1:-TERM}" "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_RC=$?
	DAEMON_PID=
	return 0
}

cleanup() {
	local h
	stop_daemon KILL
	for h in "${T_CLEANUP_HOOKS[@]}"; do eval "$h"; done
	[ -n "$BUS_PID" ] && kill "$BUS_PID" 2>/dev/null
	if [ "$T_FAILED" -ne 0 ] && [ -f "$T_DIR/daemon.log" ]; then
		diag "daemon log (last lines):" "$(tail -n 30 "$T_DIR/daemon.log")"
	fi
	if [ -n "${PMM_TEST_KEEP:-}" ]; then echo "# kept $T_DIR"; else rm -rf "$T_DIR"; fi
}
trap cleanup EXIT

# sub_tap CMD...: run a TAP-speaking program; its checks become ours (renumbered), and it
# failing or printing no check at all is one more failed check
sub_tap() {
	local line n0=$T_N status=""
	while IFS= read -r line; do
		case $line in
		"ok "*) ok 0 "${line#ok * - }" ;;
		"not ok "*) ok 1 "${line#not ok * - }" ;;
		"1.."*) ;;
		"# exit status "*) status=${line#\# exit status } ;;
		*) echo "$line" ;;
		esac
	done < <("$@" 2>&1; echo "# exit status $?")
	[ "$T_N" -gt "$n0" ] && [ "$status" = 0 ]
	ok $? "$(basename "$1") ran to the end (exit status ${status:-unknown})"
}

done_testing() {
	if [ -f "$T_DIR/daemon.log" ]; then
		! grep -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$T_DIR/daemon.log"
		ok $? "no sanitizer report in the daemon's log"
	fi
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ]
}
