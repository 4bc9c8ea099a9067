#!/bin/bash
# SPDX-License-Identifier: MIT
# Build the libFuzzer targets (make fuzz-build: clang, ASan + UBSan, outside the gcc build) and
# run each from its seed corpus (tests/fuzz/corpus/TARGET) for FUZZ_SECONDS (default 10).
# TAP: one line for the build, one per target; a crash, a leak, a sanitizer report or a
# violated invariant fails the target, with the reproducer kept under tests/fuzz/artifacts.
#   FUZZ_SECONDS=300 tests/fuzz/run-fuzz.sh      a longer run
#   FUZZ_TARGETS="mm records"                     some targets only
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
secs=${FUZZ_SECONDS:-10}
out="$top_builddir/tests/fuzz"
n=0
failed=0

ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi
}

# a make check inside make check: not the parent's jobserver
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" fuzz-build >"$out.build.log" 2>&1
rc=$?
ok $rc "build the fuzz targets with clang (make fuzz-build)"
if [ "$rc" -ne 0 ]; then
	sed 's/^/# /' "$out.build.log" | tail -n 20
	echo "1..$n"
	exit 1
fi

# per target: the input length that makes sense
declare -A max_len=([config]=4096 [records]=4096 [size]=64 [mm]=512)
for t in ${FUZZ_TARGETS:-config records size mm}; do
	work="$out/work/$t"
	mkdir -p "$work" "$out/artifacts"
	cp -f "$top_srcdir/tests/fuzz/corpus/$t/"* "$work/" 2>/dev/null
	# shellcheck disable=SC2086
	"$out/fuzz-$t" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 \
		-max_len="${max_len[$t]}" -print_final_stats=1 \
		-artifact_prefix="$out/artifacts/$t-" "$work" >"$out/$t.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log")
	cov=$(grep -o 'cov: [0-9]*' "$out/$t.log" | tail -n1)
	ok $rc "fuzz-$t: ${secs}s, ${runs:-?} inputs, ${cov:-no coverage line}, corpus $(ls "$work" | wc -l) files"
	if [ "$rc" -ne 0 ]; then
		grep -E -B2 -A12 'ERROR|fuzz-[a-z]+:|SUMMARY|Test unit written' "$out/$t.log" |
			head -n 40 | sed 's/^/# /'
	fi
done
echo "1..$n"
exit $failed
