#!/bin/sh
# valgrind-demo.sh -- the whole demo (`dunspool demo`: import, two years
# of daily cycles, the scorer trained and deciding, e-mail, print
# batches) under valgrind's memcheck.  Prints the time it took and
# valgrind's error summary; exits 1 when memcheck found an invalid
# access, an uninitialised value used, or a block definitely lost.
#
#   bench/valgrind-demo.sh            (from a build directory; about an
#                                      hour on 2 cores)
#
# The test suite runs the short form, tests/valgrind.sh.
set -u
builddir=${DS_BUILDDIR:-$(pwd)}
dunspool="$builddir/src/dunspool"
[ -x "$dunspool" ] || { echo "valgrind-demo: build first" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/dunspool-valgrind-XXXXXX")
trap 'rm -rf "$work"' EXIT

start=$(date +%s)
G_SLICE=always-malloc valgrind --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite --show-leak-kinds=definite \
	--log-file="$work/valgrind.log" \
	"$dunspool" demo --json "$work/demo" > "$work/summary.json" \
	2> "$work/stderr"
status=$?
end=$(date +%s)
cat "$work/summary.json"
grep -E "ERROR SUMMARY|definitely lost" "$work/valgrind.log"
echo "valgrind-demo: exit $status after $((end - start)) s"
[ "$status" -eq 0 ] || { grep -v "^==[0-9]*== *$" "$work/valgrind.log" |
			  head -n 80; exit 1; }
