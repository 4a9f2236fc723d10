#!/bin/sh
# trace.sh -- the auditor's verbs through the real programs, on case 2
# and case 6 of ../shared/cases (a notice claiming fee 10.00 and
# interest, waived; a promise to pay broken; a dispute):
#
#   - `dunspool trace INVOICE` tells every journal record about the
#     invoice: its documents' own, and those about the invoice itself
#     (the interest waived), its promise and its dispute;
#     `trace CUSTOMER` the customer's; `trace PROMISE_ID` and
#     `trace INVOICE@OPENED` (a dispute) the promise's and the
#     dispute's, with their documents; in journal order, as text and
#     as JSON;
#   - `dunspool trace --verify` checks a document's PDF against its
#     "rendered" record, not only the documents table's hash;
#   - it re-hashes every print batch's PDF and manifest against its
#     "created" record: an altered file, or a missing one of a batch
#     not yet printed, fails it, naming the file; a batch printed may
#     have lost its files to the mailroom, which is told and passes;
#     the batches table must agree with the journal, and its state
#     alone does not excuse a missing file; a file still under its
#     hidden name is checked there.
set -u
builddir=${DS_BUILDDIR:-$(pwd)}
dunspool="$builddir/src/dunspool"
work=$(mktemp -d "${TMPDIR:-/tmp}/dunspool-trace-XXXXXX")
trap 'rm -rf "$work"' EXIT
. "${DS_TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

sql () {
	sqlite3 -batch -noheader "$root/var/dunspool.db" "$1"
}

# trace ID [OPTIONS...]: dunspool trace's output in $work/trace.out,
# prints its exit status.
trace () {
	"$dunspool" trace --root "$root" "$@" > "$work/trace.out" \
		2> "$work/trace.err"
	echo $?
}

# json ID PYTHON-EXPRESSION: the expression over `trace --json ID`, `d`.
json () {
	"$dunspool" trace --root "$root" --json "$1" > "$work/trace.json" \
		2> "$work/trace.err" || { cat "$work/trace.err"; return; }
	python3 -c "import json, sys
d = json.load (open (sys.argv[1]))
print ($2)" "$work/trace.json"
}

# verify: `trace --verify`'s exit status; its output in $work/verify.
verify () {
	"$dunspool" trace --root "$root" --verify > "$work/verify" 2>&1
	echo $?
}

root="$work/instance"
"$dunspool" init "$root" > /dev/null || exit 1
sed -i '/^\[strategy\]$/,$d' "$root/dunspool.conf"
cat >> "$root/dunspool.conf" <<'EOF'
[strategy]
name = cases
steps = notice

[step notice]
offset = 12
channels = letter
deadline = 14
fee = 10.00
interest = true
compensation = false
template = first
EOF
cd "$work" || exit 1
cat > entities.csv <<'EOF'
entity_id,name,street,postal_code,city,country,iban,bic,vat_id,email,phone,jurisdiction
DE01,Nordlicht GmbH,Beispielweg 7,50667,Köln,DE,DE89370400440532013000,COBADEFFXXX,DE123456789,ar@nordlicht.example,+49 221 1,DE
EOF
cat > customers.csv <<'EOF'
customer_id,name,contact,street,postal_code,city,country,language,currency,entity,email,fax,b2b
C1,Eins GmbH,,Weg 1,10115,Berlin,DE,de,EUR,DE01,,,true
EOF
cat > invoices.csv <<'EOF'
invoice_id,customer_id,issue_date,due_date,currency,amount
I1,C1,2024-02-01,2024-03-01,EUR,100.00
I2,C1,2024-02-01,2024-03-01,EUR,200.00
I3,C1,2024-02-01,2024-03-01,EUR,300.00
EOF
cat > promises.csv <<'EOF'
promise_id,customer_id,promised_date,amount,invoice_id,made_on
PR1,C1,2024-03-20,200.00,I2,2024-03-10
EOF
cat > disputes.csv <<'EOF'
invoice_id,opened,resolved,reason
I3,2024-03-05,,goods damaged
EOF
"$dunspool" import --root "$root" entities.csv customers.csv invoices.csv \
	promises.csv disputes.csv > "$work/import.out" 2>&1 ||
	{ cat "$work/import.out"; exit 1; }
for day in 2024-03-10 2024-03-13 2024-03-30; do
	"$dunspool" run --root "$root" --as-of "$day" > "$work/run.out" \
		2>&1 || { cat "$work/run.out"; echo "run $day failed"; }
done
"$dunspool" waive --root "$root" --reason goodwill --on 2024-03-21 C1 \
	> "$work/waive.out" 2>&1 || cat "$work/waive.out"

# -- the stories --------------------------------------------------------

# The interest waiver is a record about the invoice, the fee's a record
# about the customer with the notice's trace id.
interest=$(sql "SELECT seq FROM journal WHERE object_kind = 'invoice'
	AND object_id = 'I1' AND event = 'waived'")
fee=$(sql "SELECT seq FROM journal WHERE object_kind = 'customer'
	AND event = 'waived' AND evidence LIKE 'fee 10.00 EUR%'")
check "case 2 set-up: the fee and the interest of I1 waived" \
	"$([ -n "$interest" ] && [ -n "$fee" ] && echo yes)" yes
for id in I1 C1; do
	check "trace $id: the interest waiver and the fee waiver" \
		"$(trace "$id"):$(grep -c -E "^ +($interest|$fee) .* waived " \
			"$work/trace.out")" 0:2
done
trace I1 > /dev/null
check "trace I1: each waiver names its object" \
	"$(grep -c -E "^ +($interest .* invoice +I1|$fee .* customer +C1) +waived " \
		"$work/trace.out")" 2
check "trace I1 --json: the interest waiver among the records" \
	"$(json I1 '[(e["object_kind"], e["object_id"], e["event"])
	    for e in d["events"]]')" "[('invoice', 'I1', 'waived')]"

# Case 6: the promise on I2 was made and broken, I3 was disputed.
for id in I2 C1 PR1; do
	check "trace $id: promise made and broken" \
		"$(trace "$id"):$(grep -c -E \
			"promise +PR1 promise-(made|broken) " \
			"$work/trace.out")" 0:2
done
for id in I3 C1 'I3@2024-03-05'; do
	check "trace $id: the dispute opened" \
		"$(trace "$id"):$(grep -c -E \
			"dispute +I3@2024-03-05 dispute-opened " \
			"$work/trace.out")" 0:1
done
check "trace I1 tells neither I2's promise nor I3's dispute" \
	"$(trace I1):$(grep -c -E 'PR1|I3@' "$work/trace.out")" 0:0
check "trace PR1: the promise's confirmation letter first" \
	"$(trace PR1):$(sed -n '1s/^DS[0-9A-Z]\{10\} .* step=\([a-z-]*\) .*/\1/p' \
		"$work/trace.out")" 0:promise-confirmation
check "trace PR1 --json: its records in journal order" \
	"$(json PR1 '([e["event"] for e in d["events"]],
	    [e["seq"] for e in d["events"]] == sorted (e["seq"]
	    for e in d["events"]), d["id"], len (d["documents"]))')" \
	"(['promise-made', 'promise-broken'], True, 'PR1', 1)"
check "trace C1 --json: every record about C1 is told once" \
	"$(json C1 'sorted ([e["seq"] for e in d["events"]] +
	    [e["seq"] for x in d["documents"] for e in x["events"]])')" \
	"$(sql "SELECT seq FROM journal
		WHERE object_kind NOT IN ('import', 'cycle', 'batch')
		ORDER BY seq" | tr '\n' ' ' | python3 -c "import sys
print (sorted (int (n) for n in sys.stdin.read ().split ()))")"
check "an id of nothing: exit 1, named" \
	"$(trace NOPE):$(grep -c 'NOPE: no document' "$work/trace.err")" 1:1

# -- print batches ------------------------------------------------------

check "verify: intact" "$(verify)" 0

# A document's PDF replaced and its row's hash with it: the journal's
# "rendered" record still says what was rendered.
notice=$(sql "SELECT trace_id FROM document_items WHERE invoice_id = 'I1'
	ORDER BY trace_id LIMIT 1")
letter="$root/spool/$(sql "SELECT pdf_path FROM documents
	WHERE trace_id = '$notice'")"
cp "$letter" "$work/letter.saved"
chmod u+w "$letter"
printf x >> "$letter"
sql "UPDATE documents SET pdf_sha256 = '$(sha256sum < "$letter" |
	cut -c1-64)' WHERE trace_id = '$notice'"
check "a letter and its row's hash replaced: exit 1, named" \
	"$(verify):$(grep -c -F "$notice: $letter has a SHA-256 in the" \
		"$work/verify"):$(grep -c -F "$notice: $letter altered" \
		"$work/verify")" 1:1:1
cp "$work/letter.saved" "$letter"
sql "UPDATE documents SET pdf_sha256 = '$(sha256sum < "$letter" |
	cut -c1-64)' WHERE trace_id = '$notice'"
check "the letter and its row put back: intact" "$(verify)" 0
check "verify counts the batch files" \
	"$(grep -c '^files: .* 6 batch files intact$' "$work/verify")" 1
batch=DE01-20240313-1
check "trace BATCH: its letters and its own records" \
	"$(trace "$batch"):$(grep -c -E "^ .* batch +$batch +created " \
		"$work/trace.out"):$(grep -c "batch=$batch" "$work/trace.out" |
		awk '{ print ($1 > 0) }')" 0:1:1
pdf="$root/spool/outgoing/print/$batch.pdf"
csv="$root/spool/outgoing/print/$batch.csv"
check "the manifest's hash is journaled and kept with the batch" \
	"$(sql "SELECT evidence FROM journal WHERE object_kind = 'batch'
		AND object_id = '$batch' AND event = 'created'" |
	   sed -n 's/.* manifest_sha256=\([0-9a-f]*\)$/\1/p') $(sql \
	   "SELECT manifest_sha256 FROM batches WHERE batch_id = '$batch'")" \
	"$(sha256sum < "$csv" | cut -c1-64) $(sha256sum < "$csv" | cut -c1-64)"

cp "$pdf" "$work/pdf.saved"
cp "$csv" "$work/csv.saved"
chmod u+w "$pdf" "$csv"
printf x >> "$pdf"
check "a byte added to a batch PDF: exit 1, named" \
	"$(verify):$(grep -c -F "$batch: $pdf altered" "$work/verify")" 1:1
cp "$work/pdf.saved" "$pdf"
sed -i 's/,C1,/,C9,/' "$csv"
check "an edited manifest: exit 1, named" \
	"$(verify):$(grep -c -F "$batch: $csv altered" "$work/verify")" 1:1
cp "$work/csv.saved" "$csv"
rm "$pdf"
check "the PDF of a batch not printed yet deleted: exit 1, named" \
	"$(verify):$(grep -c -F "$batch: $pdf missing" "$work/verify")" 1:1
check "... and the error names it" \
	"$(grep -c -F "first altered or missing file: $pdf" \
		"$work/verify")" 1
sql "UPDATE batches SET state = 'printed' WHERE batch_id = '$batch'"
check "the batches table's state alone excuses nothing" "$(verify)" 1
sql "UPDATE batches SET state = 'created' WHERE batch_id = '$batch'"
cp "$work/pdf.saved" "$pdf"
check "restored: intact" "$(verify)" 0
hidden="$root/spool/outgoing/print/.$batch.pdf"
mv "$pdf" "$hidden"
check "a PDF not named yet (a run cut short): checked as it lies" \
	"$(verify):$(grep -c -F "$batch: $hidden intact, not named yet" \
		"$work/verify")" 0:1
mv "$hidden" "$pdf"

"$dunspool" batch printed --root "$root" "$batch" > /dev/null 2>&1 ||
	echo "batch printed failed"
rm "$pdf" "$csv"
gone='4 batch files intact; 2 batch files gone after printing$'
check "a printed batch's files taken away: exit 0, told" \
	"$(verify):$(grep -c -F "$batch: $pdf gone after printing" \
		"$work/verify"):$(grep -c "^files: .* $gone" "$work/verify")" \
	0:1:1
cp "$work/csv.saved" "$csv"
printf x >> "$csv"
check "a printed batch's file altered: exit 1, named" \
	"$(verify):$(grep -c -F "$batch: $csv altered" "$work/verify")" 1:1
cp "$work/csv.saved" "$csv"
cp "$work/pdf.saved" "$pdf"
sql "UPDATE batches SET pdf_sha256 = (SELECT pdf_sha256 FROM batches
	WHERE batch_id <> '$batch' LIMIT 1) WHERE batch_id = '$batch'"
check "a batch row whose hash is not its record's: exit 1, named" \
	"$(verify):$(grep -c -F "$batch: $pdf has a SHA-256 in the batches table" \
		"$work/verify")" 1:1

finish
