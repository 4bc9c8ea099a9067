#!/bin/bash
# bench/run.sh [--quick] [--reps N] [NAME...]: run the benchmarks of issue 9 and print one table
# (benchmark, measured, baseline, ratio, goal, PASS/FAIL). NAME picks some of: pfn memmap device
# sparse bus durable restart udev (default: all). `make bench` runs this.
#
# Every figure is a ratio against a baseline measured in the same run on this machine (min of
# the repetitions; the median is shown beside it: a median far above the min means the machine
# was busy). Full runs need about 20 GiB of free memory (1 TiB of device memory without tail
# reuse holds 16 GiB of struct pages) and take a few minutes. Results also go to
# bench/results.txt (the RESULT lines) and bench/table.md (the table, as README.md shows it).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
. "$top_srcdir/bench/lib-bench.sh"

ONLY=()
QUICK=false
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=true; export BENCH_QUICK=1 ;;
	--reps) export BENCH_REPS=$2; shift ;;
	*) ONLY+=("$1") ;;
	esac
	shift
done
RESULTS=$B_DIR/results
: >"$RESULTS"

wanted() {
	[ ${#ONLY[@]} -eq 0 ] && return 0
	local n
	for n in "${ONLY[@]}"; do [ "$n" = "$1" ] && return 0; done
	return 1
}

# run NAME CMD...: the benchmark's RESULT lines are kept, its diagnostics shown
run() {
	local name=$1 rc
	shift
	echo "== $name: $*" >&2
	BENCH_DAEMON_LOG="$B_DIR/daemon.log" "$@" >"$B_DIR/$name.out" 2>&1
	rc=$?
	grep '^RESULT ' "$B_DIR/$name.out" >>"$RESULTS"
	grep -v '^RESULT ' "$B_DIR/$name.out" | grep -v '^ok ' >&2
	[ $rc -eq 0 ] || echo "!! $name exited with status $rc" >&2
	return $rc
}

# result NAME UNIT M_MIN M_MED B_MIN B_MED LOWER_IS_BETTER(1/0) GOAL(0: none) NOTE
result() {
	awk -v n="$1" -v u="$2" -v mm="$3" -v md="$4" -v bm="$5" -v bd="$6" -v lo="$7" \
	    -v g="$8" -v note="$9" 'BEGIN {
		r = bm > 0 ? mm / bm : 0
		gs = "-"; v = "INFO"
		if (g > 0) {
			gs = sprintf("%s%.2f", lo ? "<=" : ">=", g)
			v = (lo ? r <= g : r >= g) ? "PASS" : "FAIL"
		}
		printf "RESULT %s|%s|%.6g|%.6g|%.6g|%.6g|%.4f|%s|%s|%s\n", n, u, mm, md, bm, bd, r, gs, v, note
	}' >>"$RESULTS"
}

failed=0
wanted pfn && { run pfn "$BENCH/bench-pfn" || failed=1; }
wanted memmap && { run memmap "$BENCH/bench-memmap" || failed=1; }
wanted device && { run device "$BENCH/bench-device" || failed=1; }
wanted sparse && { run sparse "$BENCH/bench-sparse" || failed=1; }

if wanted bus || wanted durable || wanted sparse || wanted restart; then
	bench_start_bus || { echo "!! cannot start a dbus-daemon" >&2; exit 1; }
fi

if wanted bus || wanted durable || wanted sparse; then
	if bench_start_daemon "$B_DIR/state"; then
		# round trips with an identical CPU placement for every party: all on CPU 0 (a wake-up
		# across this VM's vCPUs costs ~40 us a hop, perf-facts A6, and would decide the ratio)
		if wanted bus; then
			all_cpus=$(taskset -pc "$$" | sed 's/.*: //')
			taskset -apc 0 "$BUS_PID" >/dev/null
			taskset -apc 0 "$DAEMON_PID" >/dev/null
			run bus taskset -c 0 "$BENCH/bench-bus" rtt || failed=1
			taskset -apc "$all_cpus" "$BUS_PID" >/dev/null
			taskset -apc "$all_cpus" "$DAEMON_PID" >/dev/null
		fi
		wanted durable && { run durable "$BENCH/bench-bus" durable "$B_DIR/state" || failed=1; }
		bench_stop_daemon
		if wanted sparse; then
			# the daemon with an empty 2^52 space: its RSS against the default x86_64's, each
			# fresh and once it answered a Describe (start-up is over)
			echo '{ "arch": "x86_64-la57" }' >"$B_DIR/la57.json"
			base_rss=0
			if bench_start_daemon "$B_DIR/state-x86"; then
				bench_describe >/dev/null
				base_rss=$(bench_rss_kb "$DAEMON_PID")
				bench_stop_daemon
			fi
			if [ "$base_rss" -gt 0 ] && bench_start_daemon "$B_DIR/state-la57" --config "$B_DIR/la57.json"; then
				bench_describe >/dev/null
				rss=$(bench_rss_kb "$DAEMON_PID")
				result "sparse: daemon RSS, la57 empty" MiB "$((rss / 1024))" "$((rss / 1024))" \
					"$((base_rss / 1024))" "$((base_rss / 1024))" 1 0 \
					"pmm-hotplugd, x86_64-la57 with nothing added; against the embedded default's (x86_64)"
				bench_stop_daemon
			else
				failed=1
			fi
			# the kernel backend mirroring this host (read-only: no managed region, so it
			# writes nothing to sysfs), against the struct pages the kernel keeps for the same
			# present memory: the mirror defers its boot memmap, initialising a section when
			# something first asks for one of its pages (here: nothing but the listing)
			mem_dir=/sys/devices/system/memory
			if [ -r "$mem_dir/block_size_bytes" ]; then
				bs=$((0x$(cat "$mem_dir/block_size_bytes")))
				nblk=$(find "$mem_dir" -maxdepth 1 -name 'memory[0-9]*' | wc -l)
				memmap_kb=$((nblk * bs / 4096 * 64 / 1024))
				echo '{ "backend": "kernel" }' >"$B_DIR/kernel.json"
				if bench_start_daemon "$B_DIR/state-kernel" --config "$B_DIR/kernel.json"; then
					bench_describe >/dev/null
					rss=$(bench_rss_kb "$DAEMON_PID")
					result "sparse: daemon RSS, kernel backend on this host" MiB \
						"$((rss / 1024))" "$((rss / 1024))" "$((memmap_kb / 1024))" \
						"$((memmap_kb / 1024))" 1 0 \
						"pmm-hotplugd --backend kernel on the real /sys ($nblk blocks, no managed region); against 64 bytes of struct page per present 4 KiB page"
					bench_stop_daemon
				else
					failed=1
				fi
			fi
		fi
	else
		failed=1
	fi
fi

if wanted restart; then
	# 100,000 journaled operations kept in the journal (no snapshot), against an empty state
	n=100000
	$QUICK && n=2000
	export PMM_SNAPSHOT_EVERY=100000000
	if bench_start_daemon "$B_DIR/journal"; then
		"$BENCH/bench-bus" fill "$n" >&2 || failed=1
		bench_stop_daemon
		echo "# journal: $(wc -l <"$B_DIR/journal/journal") records, $(du -h "$B_DIR/journal/journal" | cut -f1)" >&2
		mkdir -p "$B_DIR/empty"
		run restart-journal "$BENCH/bench-ready" "restart: $n journaled operations" \
			"$B_DIR/empty" "$B_DIR/journal" -- "$DAEMON" --address "$BUS_ADDRESS" || failed=1
	else
		failed=1
	fi
	# a snapshot of a 64 TiB model: x86_64's whole space managed, ranges scattered over it
	cat >"$B_DIR/64t.json" <<-EOF
	{ "managed_regions": [ { "start": "8G", "size": "65528G" } ], "namespaces": [] }
	EOF
	nr_ram=512 nr_dev=32
	$QUICK && nr_ram=32 nr_dev=4
	export PMM_SNAPSHOT_EVERY=100
	if bench_start_daemon "$B_DIR/snap" --config "$B_DIR/64t.json"; then
		"$BENCH/bench-bus" scatter "$nr_ram" "$nr_dev" $((64 << 40)) >&2 || failed=1
		sleep 0.5
		big_rss=$(bench_rss_kb "$DAEMON_PID")
		bench_stop_daemon
		export PMM_SNAPSHOT_EVERY=100000000
		echo "# snapshot: $(ls -l "$B_DIR/snap" | grep -c snapshot) file(s), $(du -sh "$B_DIR/snap" | cut -f1) state, journal $(wc -l <"$B_DIR/snap/journal") records; daemon RSS $((big_rss / 1024)) MiB" >&2
		mkdir -p "$B_DIR/empty64"
		run restart-snapshot "$BENCH/bench-ready" "restart: snapshot of a 64 TiB model" \
			"$B_DIR/empty64" "$B_DIR/snap" -- "$DAEMON" --address "$BUS_ADDRESS" \
			--config "$B_DIR/64t.json" || failed=1
	else
		failed=1
	fi
	unset PMM_SNAPSHOT_EVERY
fi

if wanted udev; then
	if [ -x "$BENCH/bench-udev" ]; then
		run udev "$BENCH/bench-udev" || failed=1
	else
		echo "# bench-udev not built (umockdev missing)" >&2
	fi
fi

# ------------------------------------------------------------------ the table
cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
{
	echo "Machine: $cpu, $(nproc) CPUs, $mem RAM; $(uname -r); $(date -u +%Y-%m-%d)"
	echo
	echo "| benchmark | measured (best / median) | baseline (best / median) | ratio | goal | result |"
	echo "|---|---|---|---|---|---|"
	awk -F'|' '{
		sub(/^RESULT /, "", $1)
		printf "| %s | %.4g / %.4g %s | %.4g / %.4g %s | %.3f | %s | %s |\n", $1, $3, $4, $2, $5, $6, $2, $7, $8, $9
	}' "$RESULTS"
} >"$B_DIR/table.md"
cp "$RESULTS" "$top_builddir/bench/results.txt" 2>/dev/null
cp "$B_DIR/table.md" "$top_builddir/bench/table.md" 2>/dev/null
cat "$B_DIR/table.md"
grep -q '|FAIL|' "$RESULTS" && echo "(some goals are not met: see FAIL)"
exit $failed
