#!/bin/bash
# Every benchmark in its --quick mode, as one TAP test (make check): each must run and produce
# sane numbers (finite, positive, best no worse than median) and pass its own consistency
# checks (invariants after the timed operations, lookups reading what was built). Speed is
# never asserted here: bench/run.sh (make bench) is where the goals are compared.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/bench/lib-bench.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=0"

N=0
FAILED=0

# tap NAME CMD...: the command's TAP lines renumbered into ours; its exit status is one more
tap() {
	local name=$1 line rc
	shift
	BENCH_QUICK=1 "$@" >"$B_DIR/out" 2>"$B_DIR/err"
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) N=$((N + 1)); echo "ok $N - $name: ${line#* - }" ;;
		"not ok "*) N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $name: ${line#* - }" ;;
		"#"*) echo "$line" ;;
		esac
	done <"$B_DIR/out"
	N=$((N + 1))
	if [ $rc -eq 0 ]; then
		echo "ok $N - $name exits 0"
	else
		FAILED=$((FAILED + 1))
		echo "not ok $N - $name exits $rc"
		sed 's/^/# /' "$B_DIR/err" | tail -n 20
		grep -v '^ok \|^#' "$B_DIR/out" | sed 's/^/# /' | tail -n 20
	fi
}

# check DESCRIPTION CMD...: one TAP line for a command's success
check() {
	local desc=$1
	shift
	N=$((N + 1))
	if "$@" >"$B_DIR/out" 2>&1; then
		echo "ok $N - $desc"
	else
		FAILED=$((FAILED + 1))
		echo "not ok $N - $desc"
		sed 's/^/# /' "$B_DIR/out" | tail -n 20
	fi
}

tap pfn "$BENCH/bench-pfn"
tap memmap "$BENCH/bench-memmap"
tap device "$BENCH/bench-device"
tap sparse "$BENCH/bench-sparse"

if bench_start_bus; then
	# no snapshot may restart the journal under the count checked below
	export PMM_SNAPSHOT_EVERY=100000000
	if bench_start_daemon "$B_DIR/state"; then
		tap bus "$BENCH/bench-bus" rtt
		tap durable "$BENCH/bench-bus" durable "$B_DIR/state"
		check "bench-bus fill: 200 journaled operations" "$BENCH/bench-bus" fill 200
		bench_stop_daemon
		N=$((N + 1))
		if [ "$(grep -c '"get-pages"\|"put-pages"' "$B_DIR/state/journal")" -ge 200 ]; then
			echo "ok $N - the journal holds the operations the benchmark made"
		else
			FAILED=$((FAILED + 1))
			echo "not ok $N - the journal holds the operations the benchmark made"
		fi
		mkdir -p "$B_DIR/empty"
		tap restart "$BENCH/bench-ready" "restart: a short journal" "$B_DIR/empty" \
			"$B_DIR/state" -- "$DAEMON" --address "$BUS_ADDRESS"
	else
		N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - pmm-hotplugd starts"
	fi
else
	N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - a private dbus-daemon starts"
fi

if [ -x "$BENCH/bench-udev" ] && [ "$(id -u)" -eq 0 ] && [ -n "$BUS_ADDRESS" ]; then
	# ASan binaries under umockdev's preload: the runtime cannot come first
	tap udev env ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0" "$BENCH/bench-udev"
elif [ -x "$BENCH/bench-udev" ]; then
	N=$((N + 1))
	echo "ok $N # SKIP bench-udev needs root (a network namespace of its own) and a bus"
fi

echo "1..$N"
[ "$FAILED" -eq 0 ]
