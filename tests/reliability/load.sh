#!/bin/bash
# SPDX-License-Identifier: MIT
# Load (issue 8, part 6): 64 concurrent clients on their own connections against one daemon
# (load.c). LOAD_REQUESTS=N for a longer run (calls per client, default 120).
. "$(dirname "$0")/lib-rel.sh"

cat >"$T_DIR/load.json" <<EOF2
{ "boot_memory": [{"start": "0", "size": "1G"}],
  "managed_regions": [{"start": "4G", "size": "12G"}],
  "namespaces": [] }
EOF2
start_bus
# in the ASan build: no quarantine, or freed memory would pile up in it (256 MiB by default)
# and hide the RSS the daemon really keeps; overflows and leaks are still caught
ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=0" start_daemon "$T_DIR/state" --config "$T_DIR/load.json"
ok $? "the daemon starts"
"$REL/hostile" "$BUS_ADDRESS" --call AddMemory "t:$((12 << 30)) t:$((128 << 20)) a:" >/dev/null
ok $? "the block all clients share is added"
sub_tap "$REL/load" "$BUS_ADDRESS" "$DAEMON_PID" "${LOAD_REQUESTS:-120}"
kill -0 "$DAEMON_PID" 2>/dev/null
ok $? "the daemon is still running"
stop_daemon TERM
[ "$DAEMON_RC" -eq 0 ]
ok $? "and stops cleanly (exit $DAEMON_RC)"
done_testing
