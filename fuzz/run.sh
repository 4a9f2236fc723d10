#!/bin/sh
# fuzz/run.sh -- build the fuzz targets with clang and libFuzzer (ASan +
# UBSan) and run each for a set time; print executions and crashes.
#
#   fuzz/run.sh [SECONDS [TARGET...]]     (default 60 s each, all targets)
#
# Builds in build-fuzz/ beside the sources (configure --enable-sanitizers
# CC=clang).  Each target starts from tests/fuzz/TARGET/ (seeds and past
# crashes) and grows a corpus in build-fuzz/corpus/TARGET/.  A crash
# leaves its input in build-fuzz/crashes/TARGET/; copy it to
# tests/fuzz/TARGET/ once fixed, where the suite (fuzz/regress-TARGET)
# keeps running it.  Needs clang and libclang-rt-14-dev (tools/deps).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-email feedback import profile template}
build="$top/build-fuzz"
jobs=$(nproc 2>/dev/null || echo 2)

mkdir -p "$build"
cd "$build" || exit 2
if [ ! -f Makefile ]; then
	[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi) || exit 2
	"$top/configure" CC=clang --enable-sanitizers \
		CFLAGS="-g -O1 -fsanitize=fuzzer-no-link" > configure.log 2>&1 ||
		{ echo "fuzz: configure failed: see $build/configure.log"; \
		  exit 2; }
fi
programs=""
for target in $targets; do
	programs="$programs fuzz/fuzz-$target"
done
# shellcheck disable=SC2086
make -j"$jobs" $programs > make.log 2>&1 ||
	{ echo "fuzz: build failed: see $build/make.log"; exit 2; }

# LeakSanitizer stays on; GLib's type system and caches hold memory
# until exit by design, which LSan reports only when lost.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export DS_TOP_SRCDIR="$top"
total_crashes=0
printf '%-10s %12s %8s %10s\n' target executions crashes seconds
for target in $targets; do
	corpus="$build/corpus/$target"
	crashes="$build/crashes/$target"
	rm -rf "$crashes"
	mkdir -p "$corpus" "$crashes"
	log="$build/fuzz-$target.log"
	# Children libFuzzer kills (crash, timeout) leave their directories.
	export TMPDIR="$build/tmp/$target"
	rm -rf "$TMPDIR"
	mkdir -p "$TMPDIR"
	"fuzz/fuzz-$target" -max_total_time="$seconds" -print_final_stats=1 \
		-artifact_prefix="$crashes/" -timeout=10 -rss_limit_mb=2048 \
		-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
		"$corpus" "$top/tests/fuzz/$target" > "$log" 2>&1
	# Fork mode: the parent's last "#N: cov: ..." line counts them all.
	executions=$(sed -n 's/^#\([0-9]*\): cov:.*/\1/p' "$log" | tail -n 1)
	rm -rf "$TMPDIR"
	found=$(find "$crashes" -type f | wc -l)
	total_crashes=$((total_crashes + found))
	printf '%-10s %12s %8s %10s\n' "$target" "${executions:-0}" "$found" \
		"$seconds"
done
[ "$total_crashes" -eq 0 ] || echo "crash inputs: $build/crashes/"
[ "$total_crashes" -eq 0 ]
