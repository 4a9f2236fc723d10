# lib.sh -- what the shell tests share, sourced by each:
#
#   check NAME GOT EXPECTED   one check: "ok: NAME", or "FAIL: NAME"
#                             with both values, counted;
#   finish                    the tally in Check's words, and the
#                             script's status: 0 when nothing failed.
failures=0
checks=0

check () {
	checks=$((checks + 1))
	if [ "$2" = "$3" ]; then
		echo "ok: $1"
	else
		echo "FAIL: $1: expected '$3', got '$2'"
		failures=$((failures + 1))
	fi
}

finish () {
	echo "Checks: $checks, Failures: $failures, Errors: 0"
	[ "$failures" -eq 0 ]
}
