#!/bin/bash
# Install the dependencies, build, and run every test of pmm:
#   1. a -Werror build and `make check` (unit, integration, umockdev, client tests);
#   2. the same test suite built with ASan + UBSan;
#   3. the same test suite built with ThreadSanitizer: the memmap init threads, the daemon's
#      commit and job threads (a report stops the process: halt_on_error);
#   4. `make distcheck` (the release tarball builds and passes its own tests).
# Prints each test's TAP lines through automake, and ends with "N passed, N failed", counting
# every check of every step. Exit status is non-zero if anything failed.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)

scripts/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
./autogen.sh >/dev/null 2>&1 || { echo "autogen.sh failed"; echo "0 passed, 1 failed"; exit 1; }

steps_failed=0
step() { # step NAME BUILDDIR CONFIGURE-ARGS...: configure + build + make check
	local name=$1 dir=$2
	shift 2
	echo "=== $name"
	rm -rf "$dir" && mkdir -p "$dir"
	if ! (cd "$dir" && "$top/configure" -q "$@" && make -s -j"$jobs" && make -s -j"$jobs" check); then
		echo "=== $name: FAILED"
		steps_failed=$((steps_failed + 1))
	fi
}

step "build (-Werror) and test" build-check --enable-werror
step "ASan + UBSan build and test" build-asan --enable-werror --enable-sanitizers
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
	step "ThreadSanitizer build and test" build-tsan --enable-werror --enable-sanitizers=thread

echo "=== make distcheck"
distcheck_failed=0
if ! (cd build-check && make -s -j"$jobs" distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror >distcheck.log 2>&1); then
	tail -n 40 build-check/distcheck.log
	# the failing checks themselves, with their diagnostics, from the tarball's own build
	for f in $(find build-check/pmm-*/_build -name '*.log' ! -name config.log ! -name test-suite.log 2>/dev/null); do
		grep -q '^not ok' "$f" && { echo "--- distcheck: $f"; grep -E '^(not ok|#)' "$f" | head -n 40; }
	done
	distcheck_failed=1
fi

# Count every check: automake's .trs files hold one :test-result: line per TAP line.
# A SKIP counts as failed: nothing skipped is presented as done.
read -r passed failed < <(find build-check build-asan build-tsan -name '*.trs' -print0 2>/dev/null |
	xargs -0 cat 2>/dev/null | awk '
		/^:test-result: (PASS|XFAIL)/ { p++ }
		/^:test-result: (FAIL|XPASS|ERROR|SKIP)/ { f++ }
		END { print p + 0, f + 0 }')
# distcheck and failed steps (a build that broke has no .trs to count) count as checks too.
if [ "$distcheck_failed" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
failed=$((failed + steps_failed))

for f in $(find build-check build-asan build-tsan -maxdepth 4 -name '*.log' ! -name config.log ! -name test-suite.log ! -name distcheck.log 2>/dev/null); do
	grep -q '^not ok' "$f" && { echo "--- $f"; grep -E '^(not ok|#)' "$f" | head -n 40; }
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
