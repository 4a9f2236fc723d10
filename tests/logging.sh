#!/bin/sh
# logging.sh -- no debtor data in the log at info level or above: a year
# of the bundled ledger is imported and replayed with every log domain
# on, and no customer's name, contact, street or e-mail address from
# data/ibm-ar/customers.csv and no invoice amount appears in any record
# above debug level.  The records
# of the run must be there (imports, batches), so an empty log cannot
# pass.
set -u
builddir=${DS_BUILDDIR:-$(pwd)}
srcdir=${DS_TOP_SRCDIR:-$(dirname "$0")/..}
dunspool="$builddir/src/dunspool"
work=$(mktemp -d "${TMPDIR:-/tmp}/dunspool-logging-XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/root"
data="$srcdir/data/ibm-ar"
. "${DS_TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

unset DUNSPOOL_LOG_DEBTOR_DATA
export G_MESSAGES_DEBUG=all
"$dunspool" init "$root" > /dev/null || exit 1
(cd "$data" && "$dunspool" import --root "$root" entities.csv \
	customers.csv WA_Fn-UseC_-Accounts-Receivable.csv) \
	> "$work/log" 2>&1 || { echo "FAIL: import"; exit 1; }
"$dunspool" replay --root "$root" --from 2012-01-01 --to 2012-12-31 \
	>> "$work/log" 2>&1 || { echo "FAIL: replay"; exit 1; }

# Records above debug level: GLib's "DOMAIN-DEBUG:" lines dropped, and
# the time stamps, which could pass for amounts.
grep -v -- '-DEBUG: ' "$work/log" |
	sed 's/[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]*//' > "$work/records"
check "imports logged" \
	"$(grep -c 'dunspool-journal-INFO: .*: import: imported:' \
		"$work/records")" 3
check "batches logged" \
	"$(grep -c 'batch created' "$work/records" | awk '{ print ($1 > 0) }')" 1
check "state changes logged at info level" \
	"$(grep -c 'dunspool-journal-INFO: .*: dispatched: ready -> dispatched' \
		"$work/records" | awk '{ print ($1 > 0) }')" 1

# Names, contacts, streets and addresses of customers, amounts of
# invoices (as the ledger has them).
/usr/bin/python3 - "$data" > "$work/debtor" <<'PY'
import csv, os, sys
data = sys.argv[1]
with open (os.path.join (data, "customers.csv"), encoding = "utf-8-sig") as f:
    for row in csv.DictReader (f):
        for key in ("name", "contact", "street", "email"):
            if len (row.get (key) or "") >= 4:
                print (row[key])
name = "WA_Fn-UseC_-Accounts-Receivable.csv"
with open (os.path.join (data, name), encoding = "utf-8-sig") as f:
    for row in csv.DictReader (f):
        if len (row["InvoiceAmount"]) >= 5:
            print (row["InvoiceAmount"])
PY
check "debtor data to look for" \
	"$(awk 'END { print (NR > 100) }' "$work/debtor")" 1
grep -w -F -f "$work/debtor" "$work/records" > "$work/found"
head -n 5 "$work/found"
check "no debtor name, address or amount above debug level" \
	"$(grep -c . "$work/found")" 0

# A refusal the CLI reports on its output is not logged to the terminal
# a second time (under systemd, the record goes to the journal).
printf 'a\0b\n' > "$work/binary.csv"
ln -s "$work/binary.csv" "$work/link.csv"
"$dunspool" import --root "$root" "$work/binary.csv" "$work/link.csv" \
	> "$work/out" 2> "$work/err"
check "import refusals exit 1" "$?" 1
check "import refusals reported" "$(grep -c ': refused: ' "$work/out")" 2
check "import refusals not logged again" \
	"$(grep -c 'refused' "$work/err")" 0
{
	echo 'invoice_id,customer_id,issue_date,due_date,currency,amount,Notes'
	echo 'N1,0187-ERLSR,2013-01-02,2013-02-01,EUR,10.00,x'
} > "$work/notes.csv"
"$dunspool" import --root "$root" "$work/notes.csv" > "$work/out" \
	2> "$work/err"
check "an unknown column reported once" \
	"$(cat "$work/out" "$work/err" | grep -c 'unknown column')" 1
printf 'hello\n' > "$work/status.txt"
"$dunspool" status --root "$root" "$work/status.txt" > "$work/out" 2>&1
check "status refusal names the file once" \
	"$(grep -c 'status.txt: refused: line 1: ' "$work/out")" 1

finish
