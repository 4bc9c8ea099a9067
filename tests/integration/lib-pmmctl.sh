# shellcheck shell=bash disable=SC2034
# Helpers of the pmmctl tests (test-pmmctl*.sh) on top of lib.sh: the real pmm-hotplugd on a
# private system-like bus, the real pmmctl, and the contract's JSON shapes (product.md) written
# down once here so every test compares against the same list.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The system's python3 (Debian's): a version manager's shim in PATH costs ~0.3 s per start.
PYTHON=$(command -v /usr/bin/python3 || command -v python3)

G=$((1 << 30))
M=$((1 << 20))

# The contract's field order of every JSON shape (product.md, "JSON shapes are stable"), for
# the tests that source this file.
K_STATUS='["version","backend","arch","memory_model","page_size","section_size","subsection_size","block_size","max_physmem_bits","managed_regions","present_bytes","online_bytes","device_bytes","memmap_ram_bytes","memmap_device_bytes","auto_online_blocks"]'
K_REGION='["start","size"]'
K_BLOCK='["id","start","size","state","zone","valid_zones","removable","node","managed"]'
K_RANGE='["id","kind","start","size","node","type","map","align","altmap","refs","namespace"]'
K_ALTMAP='["base_pfn","reserve","free","alloc","align"]'
K_SECTION='["nr","start","present","online","early","has_memmap","zone_device","subsections"]'
K_NAMESPACE='["dev","mode","start","size","align","numa_node","map","source","in_use"]'
K_PFN='["pfn","valid","online","section","subsection","block","zone","node","refcount","flags","memmap","pgmap"]'
K_PLAN='["ok","error","sections","subsections","blocks","memmap_bytes","memmap_location","altmap"]'
K_ERROR='["error"]'
K_ERROR_OBJ='["name","message"]'

# pm ARGS...: pmmctl on the private bus ($OUT, $ERR, $RC as run leaves them)
pm() { run "$PMMCTL" "$@"; }

# check DESCRIPTION: the shell status of the previous command as one TAP line, pmmctl's last
# output as diagnostics when it failed
check() {
	local s=$?
	ok $s "$1"
	[ $s -eq 0 ] || diag "exit $RC" "stdout: ${OUT:0:2000}" "stderr: ${ERR:0:2000}"
	return $s
}

# jq_true FILTER DESCRIPTION: FILTER over $OUT is true
jq_true() { jq_is "$1" true "$2"; }

# out_is TEXT DESCRIPTION: stdout is exactly TEXT
out_is() {
	[ "$OUT" = "$1" ]
	local s=$?
	ok $s "$2"
	[ $s -eq 0 ] || diag "stdout: '$OUT'" "want:   '$1'" "stderr: $ERR"
	return $s
}

# refused NAME DESCRIPTION: the last run was the daemon's refusal NAME without --json: exit 1,
# "pmmctl: NAME: <why>" on stderr, nothing on stdout
refused() {
	[ "$RC" -eq 1 ] && grep -Eq "^pmmctl: $1: .{10,}" <<<"$ERR" && [ -z "$OUT" ]
	check "$2 -> exit 1, 'pmmctl: $1: <why>' on stderr, stdout empty"
}

# refused_json NAME DESCRIPTION: the same with --json: the error object alone on stdout
refused_json() {
	[ "$RC" -eq 1 ] && grep -Eq "^pmmctl: $1: " <<<"$ERR" &&
		[ "$(jq -c '[keys_unsorted, (.error | keys_unsorted), .error.name, (.error.message | length > 10)]' <<<"$OUT" 2>&1)" = \
		  "[$K_ERROR,$K_ERROR_OBJ,\"org.pmm.Hotplug1.Error.$1\",true]" ]
	check "$2 --json -> exit 1, {\"error\":{\"name\":\"...$1\",\"message\"}} on stdout"
}

# The daemon's whole visible state, to prove a refused or unsent request changed nothing.
model_state() {
	"$PMMCTL" --json status
	"$PMMCTL" --json list blocks
	"$PMMCTL" --json list ranges
	"$PMMCTL" --json list namespaces
	"$PMMCTL" --json policy
}

# Fetch one number from the status.
status_field() { "$PMMCTL" --json status | jq -r ".$1"; }

# --- connections seen on the bus: every client that connects gets a unique name, announced by
# NameOwnerChanged; dbus-monitor (eavesdropping on this private bus) records them. A command
# that never connected cannot have sent anything.
MONITOR_PID=
start_bus_watch() {
	stdbuf -oL dbus-monitor --address "$BUS_ADDRESS" \
		"type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged'" \
		>"$T_DIR/bus-watch" 2>"$T_DIR/bus-watch.err" &
	MONITOR_PID=$!
	# the watch is live once it has seen its own connection come and go of a probe
	for _ in $(seq 100); do
		"$PMMCTL" policy >/dev/null 2>&1
		[ "$(bus_connections)" -gt 0 ] && return 0
		sleep 0.05
	done
	return 1
}
stop_bus_watch() {
	[ -n "$MONITOR_PID" ] && kill "$MONITOR_PID" 2>/dev/null && wait "$MONITOR_PID" 2>/dev/null
	MONITOR_PID=
}
# bus_connections: how many unique names appeared so far (string ":1.N" as new owner of itself)
bus_connections() {
	awk '/member=NameOwnerChanged/ { n = 0; next }
	     /^   string / { n++; v[n] = $2; if (n == 3 && v[1] ~ /^":/ && v[2] == "\"\"" && v[3] == v[1]) c++ }
	     END { print c + 0 }' "$T_DIR/bus-watch" 2>/dev/null || echo 0
}
# settle: let dbus-monitor write out what it saw (it flushes per message; give it a moment)
bus_settle() { sleep 0.2; }

# Background pmmctl monitors and the bus watch end with the test, before lib.sh's cleanup.
BG_PIDS=
pmm_cleanup() {
	local p
	stop_bus_watch
	for p in $BG_PIDS; do kill "$p" 2>/dev/null; done
	cleanup
}
trap pmm_cleanup EXIT
