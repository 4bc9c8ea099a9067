#!/bin/bash
# SPDX-License-Identifier: MIT
# Build the libFuzzer targets with clang, outside the normal (gcc) build: `make fuzz-build`
# runs this with the very source lists the programs are built from.
#
#   build-fuzz.sh SRCDIR BUILDDIR
#   FUZZ_CC       clang (default clang)
#   FUZZ_SOURCES  libmm, daemon and common sources (headers are skipped, daemon/main.c too)
#   FUZZ_CFLAGS   the daemon's compile flags (warnings and sanitizer flags are dropped)
#   FUZZ_LIBS     the daemon's libraries (the gcc-built .a archives are dropped)
#
# Everything gets ASan + UBSan. The code under test gets libFuzzer's coverage; libmm gets
# counters but no comparison tracing, and its invariant checker no instrumentation at all:
# the checker walks every page after every step of fuzz-mm, and tracing it would make the
# target five times slower without guiding anything.
set -eu
srcdir=$(cd "$1" && pwd)
out="$2/tests/fuzz"
cc=${FUZZ_CC:-clang}
jobs=$(nproc 2>/dev/null || echo 2)

if ! command -v "$cc" >/dev/null; then
	echo "build-fuzz: $cc not found (Debian: apt-get install clang libclang-rt-14-dev)" >&2
	exit 1
fi

keep_flags() { # drop warnings, -Werror and sanitizer flags of the gcc build
	local f
	for f in "$@"; do
		case $f in
		-W* | -fsanitize* | -fno-sanitize* | -fno-omit-frame-pointer) ;;
		*) printf '%s ' "$f" ;;
		esac
	done
}
# shellcheck disable=SC2086
CFLAGS="-g -O1 -std=gnu11 -fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS="$CFLAGS -include $2/config.h -I$srcdir -I$srcdir/common -I$srcdir/libmm -I$2"
CFLAGS="$CFLAGS $(keep_flags ${FUZZ_CFLAGS:-})"
LIBS=""
for l in ${FUZZ_LIBS:-}; do
	case $l in *.a) ;; *) LIBS="$LIBS $l" ;; esac
done

mkdir -p "$out/obj"
# newest header: an object older than it is rebuilt
newest=$(find "$srcdir/common" "$srcdir/libmm" "$srcdir/daemon" -name '*.h' -printf '%T@\n' |
	sort -n | tail -n1)

# one line per object to build: "SOURCE OBJECT COVERAGE"
plan=$(mktemp)
trap 'rm -f "$plan"' EXIT
objs=()
for s in ${FUZZ_SOURCES:-} tests/fuzz/fuzz-config.c tests/fuzz/fuzz-records.c \
	tests/fuzz/fuzz-size.c tests/fuzz/fuzz-mm.c; do
	case $s in *.c) ;; *) continue ;; esac
	[ "$s" = daemon/main.c ] && continue
	o="$out/obj/$(tr / _ <<<"${s%.c}").o"
	case $s in
	libmm/invariants.c) cov="" ;;
	libmm/*) cov="-fsanitize-coverage=inline-8bit-counters,pc-table" ;;
	*) cov="-fsanitize=fuzzer-no-link" ;;
	esac
	case $s in tests/fuzz/*) ;; *) objs+=("$o") ;; esac
	if [ ! -e "$o" ] || [ "$srcdir/$s" -nt "$o" ] ||
		[ "$(stat -c %Y "$o")" -lt "${newest%.*}" ]; then
		# no trailing blank: xargs -L would join the next line to it
		echo "$srcdir/$s $o${cov:+ $cov}" >>"$plan"
	fi
done
# shellcheck disable=SC2016
if [ -s "$plan" ]; then
	echo "build-fuzz: compiling $(wc -l <"$plan") files with $cc"
	# shellcheck disable=SC2086
	xargs -P "$jobs" -L 1 sh -c '"$0" '"$CFLAGS"' $3 -c "$1" -o "$2" || exit 255' "$cc" <"$plan"
fi

rm -f "$out/libfuzzpmm.a"
ar cr "$out/libfuzzpmm.a" "${objs[@]}"
for t in config records size mm; do
	# shellcheck disable=SC2086
	"$cc" -g -fsanitize=fuzzer,address,undefined "$out/obj/tests_fuzz_fuzz-$t.o" \
		"$out/libfuzzpmm.a" $LIBS -lpthread -lm -o "$out/fuzz-$t"
done
echo "build-fuzz: $out/fuzz-{config,records,size,mm}"
