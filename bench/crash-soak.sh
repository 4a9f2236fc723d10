#!/bin/bash
# crash-soak.sh -- kill dunspool with SIGKILL at random moments, restart
# it, and check that nothing was lost and nothing was sent twice.
#
#   bench/crash-soak.sh [TRIALS [SEED]]        (default 100 trials)
#
# Run from a build directory (or set DS_BUILDDIR and DS_TOP_SRCDIR).
# DS_SOAK_TO ends the replay earlier than 2012-05-31 (the test suite's
# short run).
# Each trial copies a prepared instance into a temporary directory and
# does one of four things, in turn:
#
#   replay  `dunspool replay` over five months of the bundled ledger,
#           killed at a random moment of the run (planning, rendering,
#           dispatching, print batches), then the same replay again to
#           the end;
#   import  `dunspool import` of the bundled ledger, killed at a random
#           moment, then the same import again;
#   daemon  dunspoold picking the ledger files up from incoming/new as
#           it starts, killed at a random moment of its first 0.15 s
#           (mostly inside the import), restarted until the files are
#           processed (a file the killed daemon had claimed is given
#           back at once: nobody holds its lock), then stopped with TERM.
#   cycle   dunspoold running its daily cycle (asked for with SIGUSR1)
#           over a ledger made with invoices overdue today, killed at a
#           random moment of the cycle (planning, rendering, dispatch,
#           print batches), restarted and asked for the cycle again,
#           stopped with TERM once that cycle is done.
#
# After the restart, every trial checks the instance:
#
#   - `dunspool trace --verify` passes (journal chain and PDF hashes);
#   - SQLite `PRAGMA integrity_check` says ok;
#   - no document has two attempts handed off on the same channel;
#   - no trace id appears twice in outgoing/mail or in the print batch
#     manifests, no batch's files lie in outgoing/print without the
#     batch recorded, and every .eml and manifest line has its attempt
#     recorded (handed off, or held as submitting/unknown-outcome for
#     reconciliation);
#   - no invoice got the same step twice, nor was written off twice
#     ([rules] write_off: one "written-off" record, one waiver a cost);
#   - every ledger row of the input files is there (same counts as an
#     uninterrupted import), and every input file was archived (none
#     left in incoming/new or incoming/cur, none refused).
#
# Prints one line per trial and the tally; exits 1 when a trial failed.
set -u
trials=${1:-100}
seed=${2:-$$}
builddir=${DS_BUILDDIR:-$(pwd)}
srcdir=${DS_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
dunspool="$builddir/src/dunspool"
dunspoold="$builddir/src/dunspoold"
data="$srcdir/data/ibm-ar"
files="entities.csv customers.csv WA_Fn-UseC_-Accounts-Receivable.csv"
from=2012-01-01
to=${DS_SOAK_TO:-2012-05-31}
work=$(mktemp -d "${TMPDIR:-/tmp}/dunspool-soak-XXXXXX")
daemon_pid=
cleanup () {
	[ -n "$daemon_pid" ] && kill -KILL "$daemon_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ -x "$dunspool" ] && [ -x "$dunspoold" ] ||
	{ echo "crash-soak: build first ($dunspool)" >&2; exit 2; }

# random_next: sets fraction to the next number in [0, 1) of the
# sequence the seed starts.
random_state=$seed
random_next () {
	random_state=$(( (random_state * 1103515245 + 12345) % 2147483648 ))
	fraction=$(awk -v r="$random_state" \
		'BEGIN { printf "%.3f", r / 2147483648 }')
}

sql () {
	sqlite3 -batch -noheader "$1/var/dunspool.db" "$2"
}

ledger_counts () {
	sql "$1" "SELECT (SELECT count(*) FROM entities) || ' ' ||
		(SELECT count(*) FROM customers) || ' ' ||
		(SELECT count(*) FROM invoices) || ' ' ||
		(SELECT count(*) FROM payments)"
}

seconds_since () {
	awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'
}

# Two prepared instances: one empty, one with the ledger imported.
"$dunspool" init "$work/empty" > /dev/null || exit 2
cp -a "$work/empty" "$work/ledger"
(cd "$data" && "$dunspool" import --root "$work/ledger" $files) \
	> /dev/null 2>&1 || { echo "crash-soak: import failed" >&2; exit 2; }
reference_counts=$(ledger_counts "$work/ledger")

# How long an uninterrupted run takes: the kill lands inside it.
cp -a "$work/ledger" "$work/timing"
start=$(date +%s.%N)
"$dunspool" replay --root "$work/timing" --from "$from" --to "$to" \
	> /dev/null 2>&1
replay_seconds=$(seconds_since "$start")
start=$(date +%s.%N)
(cd "$data" && "$dunspool" import --root "$work/timing" $files) \
	> /dev/null 2>&1
import_seconds=$(seconds_since "$start")
rm -rf "$work/timing"

# A third prepared instance for the daemon's own cycle, which runs for
# today: the bundled entities and customers, three invoices overdue today
# for each of the first 40 customers (a cycle of about 40 documents).
mkdir "$work/recent-ledger"
python3 - "$data" "$work/recent-ledger" <<'PY' || exit 2
import csv, datetime, os, random, sys
data, out = sys.argv[1], sys.argv[2]
today = datetime.datetime.now (datetime.timezone.utc).date ()
random.seed (1)
with open (os.path.join (data, "customers.csv"), encoding = "utf-8") as f:
    customers = list (csv.DictReader (f))[:40]
with open (os.path.join (out, "invoices.csv"), "w", newline = "",
           encoding = "utf-8") as f:
    w = csv.writer (f)
    w.writerow (["invoice_id", "customer_id", "issue_date", "due_date",
                 "currency", "amount"])
    for n, c in enumerate (customers):
        for k, overdue in enumerate ((75, 40, 12)):
            due = today - datetime.timedelta (days = overdue)
            issue = due - datetime.timedelta (days = 30)
            w.writerow (["R-%03d-%d" % (n, k), c["customer_id"],
                         issue.isoformat (), due.isoformat (),
                         c["currency"],
                         "%.2f" % random.uniform (40, 4000)])
PY
cp -a "$work/empty" "$work/recent"
"$dunspool" import --root "$work/recent" "$data/entities.csv" \
	"$data/customers.csv" "$work/recent-ledger/invoices.csv" \
	> /dev/null 2>&1 || { echo "crash-soak: import failed" >&2; exit 2; }
recent_counts=$(ledger_counts "$work/recent")

# wait_log SECONDS FILE PATTERN: until the pattern is in the file.
wait_log () {
	local limit=$(( $1 * 20 ))

	while ! grep -q "$3" "$2" 2>/dev/null && [ $limit -gt 0 ]; do
		sleep 0.05
		limit=$((limit - 1))
	done
	grep -q "$3" "$2" 2>/dev/null
}

# start_daemon ROOT LOG: dunspoold in the background, once it has
# started (scanned the spool, scheduled its cycle); sets daemon_pid.
start_daemon () {
	rm -f "$2"	# not to read an earlier daemon's "started"
	"$dunspoold" --root "$1" > "$2" 2>&1 &
	daemon_pid=$!
	wait_log 30 "$2" "started: root=" ||
		echo "dunspoold did not start: $(tail -n 1 "$2")" >&2
}

cp -a "$work/recent" "$work/timing"
start_daemon "$work/timing" "$work/timing.log"
start=$(date +%s.%N)
kill -USR1 "$daemon_pid"
wait_log 300 "$work/timing.log" "cycle .*: done:" ||
	{ echo "crash-soak: the daemon's cycle did not finish" >&2; exit 2; }
cycle_seconds=$(seconds_since "$start")
kill -TERM "$daemon_pid"
wait "$daemon_pid" 2>/dev/null
daemon_pid=
cycle_summary=$(sed -n 's/.*cycle .*: done: //p' "$work/timing.log")
rm -rf "$work/timing" "$work/timing.log"
echo "seed $seed: replay $from..$to takes ${replay_seconds}s," \
	"import ${import_seconds}s, the daemon's cycle ${cycle_seconds}s" \
	"($cycle_summary); reference ledger $reference_counts," \
	"recent $recent_counts"

# check_instance ROOT: prints one line per broken rule; nothing if sound.
# The ledger's rows are compared with $expected_counts.
check_instance () {
	local root=$1 eml trace state

	"$dunspool" trace --root "$root" --verify > "$work/verify" 2>&1 ||
		echo "trace --verify: $(tail -n 1 "$work/verify")"
	[ "$(sql "$root" 'PRAGMA integrity_check')" = ok ] ||
		echo "integrity_check failed"
	[ "$(ledger_counts "$root")" = "$expected_counts" ] ||
		echo "ledger rows: $(ledger_counts "$root")," \
			"expected $expected_counts"
	sql "$root" "SELECT trace_id || ' ' || channel FROM attempts
		WHERE state NOT IN ('queued', 'held', 'submitting', 'deferred',
			'unknown-outcome', 'cancelled', 'expired', 'failed')
		GROUP BY trace_id, channel HAVING count(*) > 1" |
		sed 's/^/handed off twice: /'
	sql "$root" "SELECT di.invoice_id || ' step ' || d.step_index
		FROM document_items di JOIN documents d USING (trace_id)
		GROUP BY di.invoice_id, d.step_index HAVING count(*) > 1" |
		sed 's/^/step twice: /'
	sql "$root" "SELECT object_id FROM journal WHERE event = 'written-off'
		GROUP BY object_id HAVING count(*) > 1" |
		sed 's/^/written off twice: /'
	sql "$root" "SELECT coalesce (cost_id, invoice_id) FROM claim_waivers
		WHERE reason LIKE 'written off:%'
		GROUP BY kind, cost_id, invoice_id HAVING count(*) > 1" |
		sed 's/^/waived twice by write_off: /'
	# Manifests of recorded batches: no trace id twice.  Batch files
	# without a record are a fault of their own (see doc/KNOWN_BUGS.md).
	recorded=""
	for manifest in "$root"/spool/outgoing/print/*.csv; do
		[ -e "$manifest" ] || continue
		batch=$(basename "$manifest" .csv)
		if [ "$(sql "$root" "SELECT count(*) FROM batches
			WHERE batch_id = '$batch'")" = 1 ]; then
			recorded="$recorded $manifest"
		else
			echo "orphan batch: $batch.csv and .pdf written," \
				"no batch recorded"
		fi
	done
	[ -n "$recorded" ] && cat $recorded |
		awk -F, '$1 != "sequence" { print $2 }' | sort | uniq -d |
		sed 's/^/printed twice: /'
	for eml in "$root"/spool/outgoing/mail/*.eml; do
		[ -e "$eml" ] || continue
		trace=$(basename "$eml" .eml)
		state=$(sql "$root" "SELECT group_concat (state) FROM attempts
			WHERE trace_id = '$trace' AND channel = 'email'")
		case "$state" in
		handed-off|delivered*|bounced*|submitting|unknown-outcome) ;;
		*) echo "$trace.eml written but its attempt is '$state'" ;;
		esac
	done
	cat "$root"/spool/outgoing/print/*.csv 2>/dev/null |
		awk -F, '$1 != "sequence" { print $2 }' | while read -r trace
	do
		[ "$(sql "$root" "SELECT count(*) FROM attempts
			WHERE trace_id = '$trace' AND batch_id IS NOT NULL")" \
			-ge 1 ] || echo "$trace in a manifest, in no batch"
	done
	find "$root/spool/incoming/new" "$root/spool/incoming/cur" \
		"$root/spool/corrupt" -type f |
		sed 's/^/input left unprocessed or refused: /'
}

# kill_after SECONDS PID: SIGKILL unless it ended already.  Prints
# "killed" or "finished".
kill_after () {
	sleep "$1"
	if kill -KILL "$2" 2>/dev/null; then
		wait "$2" 2>/dev/null
		echo killed
	else
		wait "$2" 2>/dev/null
		echo finished
	fi
}

trial_replay () {
	local root=$1 fraction=$2 delay

	cp -a "$work/ledger/." "$root"
	delay=$(awk -v f="$fraction" -v s="$replay_seconds" \
		'BEGIN { printf "%.3f", f * s }')
	"$dunspool" replay --root "$root" --from "$from" --to "$to" \
		> /dev/null 2>&1 &
	echo "replay killed at ${delay}s: $(kill_after "$delay" $!)"
	"$dunspool" replay --root "$root" --from "$from" --to "$to" \
		> "$work/restart.log" 2>&1 ||
		echo "restart failed: $(tail -n 1 "$work/restart.log")" >&2
}

trial_import () {
	local root=$1 fraction=$2 delay

	cp -a "$work/empty/." "$root"
	delay=$(awk -v f="$fraction" -v s="$import_seconds" \
		'BEGIN { printf "%.3f", f * s }')
	(cd "$data" && exec "$dunspool" import --root "$root" $files) \
		> /dev/null 2>&1 &
	echo "import killed at ${delay}s: $(kill_after "$delay" $!)"
	(cd "$data" && "$dunspool" import --root "$root" $files) \
		> "$work/restart.log" 2>&1 ||
		echo "restart failed: $(tail -n 1 "$work/restart.log")" >&2
}

# drop FILE ROOT: into incoming/new the way writers must (tmp, rename).
drop () {
	cp "$data/$1" "$2/spool/incoming/tmp/$1" &&
		mv "$2/spool/incoming/tmp/$1" "$2/spool/incoming/new/$1"
}

# wait_processed ROOT: until incoming/new and incoming/cur are empty (at
# most 30 s).  A file the killed daemon had claimed lies in cur until the
# restarted daemon sees that nobody holds its lock and gives it back.
wait_processed () {
	local limit=300

	while [ -n "$(ls "$1/spool/incoming/new")$(ls \
		"$1/spool/incoming/cur")" ] && [ $limit -gt 0 ]; do
		sleep 0.1
		limit=$((limit - 1))
	done
}

trial_daemon () {
	local root=$1 fraction=$2 delay file

	cp -a "$work/empty/." "$root"
	# The files wait in incoming/new, so that the daemon imports them as
	# it starts: the kill lands within its first 0.15 s, mostly inside
	# that import.
	for file in $files; do
		drop "$file" "$root"
	done
	delay=$(awk -v f="$fraction" \
		'BEGIN { printf "%.3f", f * 0.15 }')
	"$dunspoold" --root "$root" > "$work/daemon.log" 2>&1 &
	daemon_pid=$!
	echo "daemon killed at ${delay}s: $(kill_after "$delay" $daemon_pid)" \
		"$(ls "$root/spool/incoming/cur" | wc -l) claimed"
	restart_daemon "$root"
}

restart_daemon () {
	"$dunspoold" --root "$1" >> "$work/daemon.log" 2>&1 &
	daemon_pid=$!
	wait_processed "$1"
	kill -TERM "$daemon_pid"
	wait "$daemon_pid" 2>/dev/null
	daemon_pid=
}

trial_cycle () {
	local root=$1 fraction=$2 delay

	cp -a "$work/recent/." "$root"
	delay=$(awk -v f="$fraction" -v s="$cycle_seconds" \
		'BEGIN { printf "%.3f", f * s }')
	start_daemon "$root" "$work/daemon.log"
	kill -USR1 "$daemon_pid"
	echo "cycle killed at ${delay}s: $(kill_after "$delay" $daemon_pid)" \
		"$(sql "$root" "SELECT count(*) FROM documents") documents," \
		"$(sql "$root" "SELECT count(*) FROM documents
			WHERE pdf_path IS NOT NULL") rendered"
	start_daemon "$root" "$work/restart.log"
	kill -USR1 "$daemon_pid"
	wait_log 300 "$work/restart.log" "cycle .*: done:" ||
		echo "restarted cycle did not finish:" \
			"$(tail -n 1 "$work/restart.log")" >&2
	kill -TERM "$daemon_pid"
	wait "$daemon_pid" 2>/dev/null
	daemon_pid=
}

# DS_SOAK_TOLERATE: problem kinds (as check_instance names them, "|"
# between) reported as known but not counted; the test suite's short run
# sets it for faults listed in doc/KNOWN_BUGS.md so that it does not
# fail at random, while this script's full run counts everything.
tolerate=${DS_SOAK_TOLERATE:-}
failed=0
kinds="replay import daemon cycle"
for trial in $(seq 1 "$trials"); do
	set -- $kinds
	shift $(( (trial - 1) % 4 ))
	kind=$1
	case $kind in
	cycle) expected_counts=$recent_counts ;;
	*) expected_counts=$reference_counts ;;
	esac
	root="$work/trial"
	rm -rf "$root"
	mkdir "$root"
	random_next
	"trial_$kind" "$root" "$fraction" > "$work/what" 2> "$work/what.err"
	grep -v ' Killed ' "$work/what.err" | tee -a "$work/errors" > \
		"$work/notes"
	what=$(cat "$work/what")
	problems=$(check_instance "$root")
	if [ -n "$tolerate" ]; then
		known=$(echo "$problems" | grep -E "^($tolerate):")
		problems=$(echo "$problems" | grep -v -E "^($tolerate):")
		[ -n "$known" ] && echo "$known" | sed 's/^/    known: /'
	fi
	if [ -z "$problems" ]; then
		echo "trial $trial: $what: ok"
	else
		failed=$((failed + 1))
		echo "trial $trial: $what: FAILED"
		echo "$problems" | head -n 10 | sed 's/^/    /'
		mkdir -p "${TMPDIR:-/tmp}/dunspool-soak-failed"
		rm -rf "${TMPDIR:-/tmp}/dunspool-soak-failed/trial-$trial"
		cp -a "$root" "${TMPDIR:-/tmp}/dunspool-soak-failed/trial-$trial"
	fi
	sed 's/^/    note: /' "$work/notes"
	held=$(sql "$root" "SELECT count(*) FROM attempts
		WHERE state IN ('submitting', 'unknown-outcome')")
	[ "$held" -gt 0 ] && echo "    held for reconciliation: $held"
done
[ -s "$work/errors" ] && echo "notes:" &&
	sed 's/:.*//' "$work/errors" | sort | uniq -c
echo "crash trials: $trials run, $failed failed (seed $seed)"
[ "$failed" -eq 0 ]
