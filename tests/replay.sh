#!/bin/sh
# replay.sh -- the main job end to end, through the real programs: the
# demo replays the bundled ledger, then the rules that must hold for
# every document it made are checked against the database, the stored
# PDFs and the journal.
#
#   - a notice is only ever made for an invoice overdue and unpaid on the
#     document's date; no notice claims an invoice disputed on its date;
#   - no step is made twice for the same invoice;
#   - event documents (dispute notices, with the shipped configuration)
#     each name an event of the ledger, once;
#   - running `dunspool run --as-of` again for replayed dates adds nothing;
#   - every PDF passes `qpdf --check`, and its text holds the recipient's
#     name exactly as in the customer master and every invoice it claims;
#     every batch PDF passes it without a warning;
#   - `dunspool trace --verify` finds the journal and the PDFs intact.
set -u
builddir=${DS_BUILDDIR:-$(pwd)}
dunspool="$builddir/src/dunspool"
work=$(mktemp -d "${TMPDIR:-/tmp}/dunspool-replay-XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/demo"
. "${DS_TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

sql () {
	sqlite3 -batch -noheader "$root/var/dunspool.db" "$1"
}

"$dunspool" demo --json "$root" > "$work/summary.json" ||
	{ echo "FAIL: dunspool demo"; exit 1; }
cat "$work/summary.json"
check "demo made documents" \
	"$(sql 'SELECT count(*) > 100 FROM documents')" 1

check "every item overdue on the document's date" "$(sql "
	SELECT count(*) FROM document_items di
	JOIN documents d USING (trace_id)
	JOIN invoices i USING (invoice_id)
	WHERE i.due_date >= d.as_of AND d.event_object IS NULL")" 0

check "every item unpaid on the document's date" "$(sql "
	SELECT count(*) FROM document_items di
	JOIN documents d USING (trace_id)
	JOIN invoices i USING (invoice_id)
	WHERE i.amount - coalesce ((SELECT sum (p.amount) FROM payments p
	  WHERE p.invoice_id = i.invoice_id AND p.date <= d.as_of), 0) <= 0")" 0

check "no document claims a disputed invoice" "$(sql "
	SELECT count(*) FROM document_items di
	JOIN documents d USING (trace_id)
	JOIN disputes s ON s.invoice_id = di.invoice_id
	WHERE s.opened <= d.as_of AND d.event_object IS NULL
	  AND (s.resolved IS NULL OR s.resolved > d.as_of)")" 0

check "no step twice for an invoice" "$(sql "
	SELECT count(*) FROM (SELECT di.invoice_id, d.step_index
	  FROM document_items di JOIN documents d USING (trace_id)
	  WHERE d.event_object IS NULL
	  GROUP BY 1, 2 HAVING count(*) > 1)")" 0

check "one dispute notice per dispute of the ledger" "$(sql "
	SELECT count(*) = (SELECT count(DISTINCT event_object) FROM documents
	  WHERE step = 'dispute-notice')
	AND count(*) = (SELECT count(*) FROM disputes)
	FROM documents d JOIN disputes s
	  ON d.event_object = 'dispute:' || s.invoice_id || '@' || s.opened
	WHERE d.step = 'dispute-notice'")" 1

check "no document left unfinished" "$(sql "
	SELECT count(*) FROM documents
	WHERE state NOT IN ('dispatched', 'superseded')")" 0

# Re-running replayed dates adds nothing, not even a journal record.
journal_before=$(sql 'SELECT count(*) FROM journal')
for date in 2012-03-15 2012-11-30 2013-06-03 2013-12-31 2014-01-10; do
	"$dunspool" run --root "$root" --as-of "$date" --json \
		> "$work/run.json" || echo "run $date failed"
done
check "re-runs add nothing" "$(sql 'SELECT count(*) FROM journal')" \
	"$journal_before"

# Every PDF: qpdf --check, the recipient's name, every invoice number.
sql "SELECT d.trace_id, '$root/spool/' || d.pdf_path, c.name FROM documents d
     JOIN customers c USING (customer_id) WHERE d.pdf_path IS NOT NULL" |
while IFS='|' read -r trace path name; do
	qpdf --check "$path" > /dev/null 2>&1 ||
		echo "$trace: qpdf --check fails" >> "$work/pdf-problems"
	pdftotext -enc UTF-8 "$path" - 2>/dev/null | tr '\n' ' ' |
		tr -s ' ' > "$work/text"
	grep -qF -- "$name" "$work/text" ||
		echo "$trace: name '$name' not in text" >> "$work/pdf-problems"
	for invoice in $(sql "SELECT invoice_id FROM document_items
			      WHERE trace_id = '$trace'"); do
		grep -qF -- "$invoice" "$work/text" ||
			echo "$trace: $invoice not in text" \
				>> "$work/pdf-problems"
	done
done
[ -f "$work/pdf-problems" ] && head -n 20 "$work/pdf-problems"
check "every PDF checks and holds name and invoices" \
	"$(cat "$work/pdf-problems" 2>/dev/null | wc -l)" 0

# Every batch PDF: qpdf finds neither an error nor a warning (exit 0).
for path in "$root"/spool/outgoing/print/*.pdf; do
	qpdf --check "$path" > /dev/null 2>&1 || echo "$path"
done > "$work/batch-problems"
head -n 5 "$work/batch-problems"
check "every batch PDF checks without a warning" \
	"$(wc -l < "$work/batch-problems")" 0

# A trace lists its events in order.
trace=$(sql 'SELECT trace_id FROM documents LIMIT 1')
"$dunspool" trace --root "$root" --json "$trace" > "$work/trace.json"
check "trace --json lists events in order" "$(python3 -c '
import json, sys
events = json.load (open (sys.argv[1]))["documents"][0]["events"]
seqs = [e["seq"] for e in events]
print (int (len (seqs) >= 4 and seqs == sorted (seqs)))' "$work/trace.json")" 1

"$dunspool" trace --root "$root" --verify > "$work/verify" 2>&1
check "trace --verify passes" "$?" 0

# A batch shows its manifest: a row per letter, the batch's trace ids.
batch=$(sql "SELECT batch_id FROM batches ORDER BY batch_id LIMIT 1")
"$dunspool" batch show --root "$root" "$batch" > "$work/batch" 2>&1
check "batch show prints the manifest of its letters" \
	"$(grep -c '^sequence,trace_id,' "$work/batch"):$(sql "SELECT count(*)
	   FROM attempts WHERE batch_id = '$batch'")" \
	"1:$(($(wc -l < "$work/batch") - 3))"

# The stored e-mail is proof too: one byte added, and verify names it.
eml=$(find "$root/spool/documents" -name 'DS*.eml' | head -n 1)
chmod u+w "$eml" && printf ' ' >> "$eml"
"$dunspool" trace --root "$root" --verify > "$work/verify" 2>&1
check "trace --verify names an altered e-mail" \
	"$?:$(grep -c -F "$eml altered" "$work/verify")" 1:1

finish
