#!/bin/sh
# valgrind.sh -- the short form of bench/valgrind-demo.sh: six weeks of
# the bundled ledger replayed under valgrind's memcheck (planning,
# rendering, e-mail to the pickup directory, print batches), then the
# operator's read verbs.  Any invalid read or write, use of an
# uninitialised value, or block definitely lost fails the test.
#
# Skipped (77) in a build with AddressSanitizer, which valgrind cannot
# run, and where valgrind is missing.
set -u
builddir=${DS_BUILDDIR:-$(pwd)}
srcdir=${DS_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
dunspool="$builddir/src/dunspool"
[ "${DS_SANITIZED:-no}" = yes ] && { echo "skip: sanitizer build"; exit 77; }
command -v valgrind > /dev/null || { echo "skip: no valgrind"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/dunspool-valgrind-XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/root"
data="$srcdir/data/ibm-ar"
failures=0

"$dunspool" init "$root" > /dev/null &&
"$dunspool" import --root "$root" "$data/entities.csv" \
	"$data/customers.csv" "$data/WA_Fn-UseC_-Accounts-Receivable.csv" \
	> /dev/null 2>&1 || { echo "FAIL: setting up"; exit 1; }

# memcheck VERB ARGS...: the verb under valgrind; errors fail it.
memcheck () {
	log="$work/valgrind-$1.log"
	G_SLICE=always-malloc valgrind -q --error-exitcode=99 \
		--leak-check=full --errors-for-leak-kinds=definite \
		--show-leak-kinds=definite --log-file="$log" \
		"$dunspool" "$@" --root "$root" > "$work/out" 2>&1
	status=$?
	if [ "$status" -eq 99 ]; then
		echo "FAIL: dunspool $*: valgrind found errors"
		cat "$log"
		failures=$((failures + 1))
	elif [ "$status" -ne 0 ]; then
		echo "FAIL: dunspool $*: exit $status"
		tail -n 20 "$work/out"
		failures=$((failures + 1))
	else
		echo "ok: dunspool $* under valgrind"
	fi
}

memcheck replay --from 2012-01-01 --to 2012-02-15
memcheck queue list --json
memcheck agenda --date 2012-02-15
memcheck claim --as-of 2012-02-15 --json \
	"$(sqlite3 -batch -noheader "$root/var/dunspool.db" \
	   "SELECT customer_id FROM documents LIMIT 1")"
memcheck trace --verify \
	"$(sqlite3 -batch -noheader "$root/var/dunspool.db" \
	   "SELECT trace_id FROM documents LIMIT 1")"
[ "$failures" -eq 0 ]
