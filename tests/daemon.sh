#!/bin/sh
# daemon.sh -- dunspoold as systemd runs it: it says READY on the notify
# socket, imports a file dropped into incoming/new (tmp, then rename),
# sends a rejected file to corrupt/ with its reason and keeps running,
# archives a file with rejected rows with every row error beside it,
# leaves a file written in place alone while its writer has it open and
# imports it whole, at once, when the writer closes it; imports a dot-name
# renamed within incoming/new at once; reloads on HUP, says STOPPING and
# exits 0 on TERM.
set -u
builddir=${DS_BUILDDIR:-$(pwd)}
srcdir=${DS_TOP_SRCDIR:-$(dirname "$0")/..}
work=$(mktemp -d "${TMPDIR:-/tmp}/dunspool-daemon-XXXXXX")
listener=
daemon=
cleanup () {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null
	[ -n "$listener" ] && kill "$listener" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
. "${DS_TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

# wait_for SECONDS COMMAND...: until the command succeeds.
wait_for () {
	limit=$(( $1 * 10 ))
	shift
	while [ "$limit" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		limit=$((limit - 1))
	done
	return 1
}

"$builddir/src/dunspool" init "$work/root" > /dev/null || exit 1
root="$work/root"

# A notify socket that writes every datagram to a file, one per line.
/usr/bin/python3 - "$work/notify.sock" "$work/notify.log" <<'PY' &
import socket, sys
sock = socket.socket (socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind (sys.argv[1])
with open (sys.argv[2], "a", buffering = 1) as log:
    while True:
        data = sock.recv (4096).decode ()
        log.write (data.replace ("\n", " ") + "\n")
PY
listener=$!
wait_for 5 test -S "$work/notify.sock" || { echo "no notify socket"; exit 1; }

NOTIFY_SOCKET="$work/notify.sock" "$builddir/src/dunspoold" --root "$root" \
	> "$work/daemon.log" 2>&1 &
daemon=$!
wait_for 10 grep -q READY=1 "$work/notify.log"
check "READY=1 sent" "$?" 0

cp "$srcdir/data/ibm-ar/entities.csv" "$root/spool/incoming/tmp/e.csv"
mv "$root/spool/incoming/tmp/e.csv" "$root/spool/incoming/new/e.csv"
printf 'no,known,header\n1,2,3\n' > "$root/spool/incoming/tmp/bad.csv"
mv "$root/spool/incoming/tmp/bad.csv" "$root/spool/incoming/new/bad.csv"
wait_for 15 sh -c "ls '$root'/spool/archive/*/e.csv > /dev/null 2>&1"
check "dropped file imported and archived" "$?" 0
wait_for 15 test -f "$root/spool/corrupt/bad.csv.reason"
check "bad file moved to corrupt/ with a reason" "$?" 0
check "entities in the ledger" "$(sqlite3 "$root/var/dunspool.db" \
	'SELECT count(*) FROM entities')" 4

# A writer that writes into incoming/new itself, and takes its time.  The
# daemon's rescan is a minute away: what is seen within seconds comes
# from its watch on the directory.
customers="$srcdir/data/ibm-ar/customers.csv"
exec 3> "$root/spool/incoming/new/c.csv"
head -n 3 "$customers" >&3
sleep 3
check "file open for writing left in new/" \
	"$(ls "$root/spool/incoming/new")" c.csv
check "nothing of it imported while open" "$(sqlite3 \
	"$root/var/dunspool.db" 'SELECT count(*) FROM customers')" 0
tail -n +4 "$customers" >&3
exec 3>&-
wait_for 15 sh -c "ls '$root'/spool/archive/*/c.csv > /dev/null 2>&1"
check "imported once the writer closed it" "$?" 0
check "imported whole" "$(sqlite3 "$root/var/dunspool.db" \
	'SELECT count(*) FROM customers')" 100

# A writer that writes a dot-name in incoming/new and renames it there.
cp "$srcdir/data/ibm-ar/WA_Fn-UseC_-Accounts-Receivable.csv" \
	"$root/spool/incoming/new/.ar.csv"
sleep 2
check "dot-name left in new/" "$(ls -A "$root/spool/incoming/new")" .ar.csv
mv "$root/spool/incoming/new/.ar.csv" "$root/spool/incoming/new/ar.csv"
wait_for 15 sh -c "ls '$root'/spool/archive/*/ar.csv > /dev/null 2>&1"
check "dot-name renamed within new/ imported at once" "$?" 0
check "its invoices in the ledger" "$(sqlite3 "$root/var/dunspool.db" \
	'SELECT count(*) FROM invoices')" 2466

# A file with 23 rows rejected: the log shows some of them and says
# where all are: NAME.rejected beside the archived file.
{
	echo 'entity_id,name,street,postal_code,city,country,iban,bic,'\
'vat_id,email,phone'
	for i in $(seq 1 23); do
		echo "X$i,,Street 1,1,City,DE,,,,,"
	done
} > "$root/spool/incoming/tmp/rows.csv"
mv "$root/spool/incoming/tmp/rows.csv" "$root/spool/incoming/new/rows.csv"
wait_for 15 sh -c "ls '$root'/spool/archive/*/rows.csv.rejected \
	> /dev/null 2>&1"
check "rejected rows written beside the archived file" "$?" 0
check "every rejected row in it, one a line" "$(tail -n +2 \
	"$root"/spool/archive/*/rows.csv.rejected |
	grep -c "$(printf '\tname\tmissing value')\$")" 23
check "the log says where all of them are" "$(grep -c \
	'all 23 rejected rows in .*/rows.csv.rejected' \
	"$work/daemon.log")" 1
check "the log names the first rows, not what they hold" "$(grep -c \
	'rows.csv: line [0-9]*: name: rejected$' "$work/daemon.log")" 5
check "dunspool import --errors lists them all" "$(
	"$builddir/src/dunspool" import --errors --root "$root" \
	"$root"/spool/archive/*/rows.csv |
	grep -c ': name: missing value$')" 23

kill -HUP "$daemon"
wait_for 10 grep -q RELOADING=1 "$work/notify.log"
check "HUP reloads" "$?" 0
check "still running after HUP" "$(kill -0 "$daemon" 2>/dev/null; echo $?)" 0

kill -TERM "$daemon"
wait "$daemon"
check "TERM: exit status 0" "$?" 0
daemon=
check "STOPPING=1 sent" "$(grep -c STOPPING=1 "$work/notify.log")" 1

finish
