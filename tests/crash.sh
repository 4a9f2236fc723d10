#!/bin/sh
# crash.sh -- the short version of bench/crash-soak.sh for the suite:
# five SIGKILL trials (replay, import, daemon import, daemon cycle,
# replay) with a fixed seed, each restarted and checked for a verified
# journal, a sound database, no document sent twice and no ledger row
# lost.  The replay ends in March to keep it short.
set -u
srcdir=${DS_TOP_SRCDIR:-$(dirname "$0")/..}
out=$(mktemp "${TMPDIR:-/tmp}/dunspool-crash-XXXXXX")
trap 'rm -f "$out"' EXIT
DS_SOAK_TO=2012-03-31 bash "$srcdir/bench/crash-soak.sh" 5 20261203 \
	> "$out" 2>&1
status=$?
cat "$out"
failed=$(sed -n 's/^crash trials: [0-9]* run, \([0-9]*\) failed.*/\1/p' \
	"$out")
echo "Checks: 5, Failures: ${failed:-5}, Errors: 0"
exit "$status"
