#!/bin/bash
# Quick start: install the dependencies, build, start pmm-hotplugd on its embedded default (sim
# backend: x86_64, SPARSEMEM_VMEMMAP, boot RAM [0,3G)+[4G,8G), managed region [8G,72G)) on a
# private bus, and drive a short hotplug session with pmmctl. The daemon keeps running
# afterwards; the script says how to reach it and how to stop it.
#
#   scripts/demo.sh          set up, start, run the session
#   scripts/demo.sh --stop   stop the daemon and its bus
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
run="$top/demo-run"            # bus socket, state directory, logs, pids

stop() {
	for p in daemon bus; do
		if [ -f "$run/$p.pid" ]; then
			kill "$(cat "$run/$p.pid")" 2>/dev/null || true
			rm -f "$run/$p.pid"
		fi
	done
}
if [ "${1:-}" = "--stop" ]; then
	stop
	echo "pmm-hotplugd and its bus stopped (state kept in $run/state)"
	exit 0
fi

scripts/install-deps.sh
if [ ! -x build/client/pmmctl ] || [ ! -x build/daemon/pmm-hotplugd ]; then
	./autogen.sh >/dev/null 2>&1
	mkdir -p build
	(cd build && ../configure -q && make -s -j"$(nproc)" && make -s -j"$(nproc)" tests/integration/notify-wait)
else
	make -s -C build -j"$(nproc)" all tests/integration/notify-wait
fi

stop
mkdir -p "$run/system.d" "$run/services" "$run/state"
cp dbus/org.pmm.Hotplug1.conf "$run/system.d/"
sed "s|@RUNDIR@|$run|g" tests/integration/system-bus.conf.in >"$run/bus.conf"
dbus-daemon --config-file="$run/bus.conf" --fork --print-address=3 --print-pid=4 \
	3>"$run/bus.address" 4>"$run/bus.pid"
address=$(head -n1 "$run/bus.address")
export PMM_BUS_ADDRESS="$address"

# Start the daemon as systemd would (Type=notify) and wait for READY=1.
build/tests/integration/notify-wait "$run/notify" 20 >"$run/notify.out" &
nw=$!
for _ in $(seq 100); do [ -S "$run/notify" ] && break; sleep 0.05; done
NOTIFY_SOCKET="$run/notify" setsid build/daemon/pmm-hotplugd --address "$address" \
	--state-dir "$run/state" >>"$run/daemon.log" 2>&1 </dev/null &
echo $! >"$run/daemon.pid"
if ! wait "$nw"; then
	echo "pmm-hotplugd did not become ready; see $run/daemon.log" >&2
	tail -n 20 "$run/daemon.log" >&2
	exit 1
fi
echo "pmm-hotplugd is ready ($(grep '^STATUS=' "$run/notify.out" | tail -n1))"

pmmctl() { echo; echo "\$ pmmctl $*"; build/client/pmmctl "$@"; }
# A fresh state directory each run would hide restarts; clean up a previous demo's range.
build/client/pmmctl offline 8G 2G >/dev/null 2>&1 || true
build/client/pmmctl remove-range 8G 2G >/dev/null 2>&1 || true

pmmctl status
pmmctl add-range 8G 2G
pmmctl online 8G 1G --zone movable
pmmctl online 9G 1G --zone normal
pmmctl list
pmmctl list ranges
pmmctl lookup 0x200000000
pmmctl offline 8G 2G
pmmctl remove-range 8G 2G
pmmctl list

cat <<TXT

pmm-hotplugd keeps running (pid $(cat "$run/daemon.pid"), log $run/daemon.log, state $run/state).
Reach it:   export PMM_BUS_ADDRESS='$address'
            $top/build/client/pmmctl status
Stop it:    scripts/demo.sh --stop
TXT
