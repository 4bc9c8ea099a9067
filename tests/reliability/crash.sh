#!/bin/bash
# SPDX-License-Identifier: MIT
# Crash consistency of pmm-hotplugd: concurrent clients, the daemon killed at random moments
# and at exact crash points, the restored state compared with the acknowledged history (see
# crash-driver.c). Short by default (40 trials); CRASH_TRIALS=N for a long run, CRASH_SEED=S to
# replay one, CRASH_CHECK_INVARIANTS=1 to run libmm's checker on the reference after every
# request, PMM_TEST_KEEP=1 to keep the work directory (history.txt, mismatch.txt, daemon.log).
. "$(dirname "$0")/lib-rel.sh"

start_bus
# shellcheck disable=SC2086
"$REL/crash-driver" --daemon "$DAEMON" --address "$BUS_ADDRESS" --workdir "$T_DIR" \
	--trials "${CRASH_TRIALS:-40}" ${CRASH_SEED:+--seed "$CRASH_SEED"} \
	--shim "$REL/fault-shim.so"
rc=$?
[ "$rc" -eq 0 ] || T_FAILED=1
exit "$rc"
