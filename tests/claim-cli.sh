#!/bin/sh
# claim-cli.sh -- the money cases of ../shared/cases (1, 2, 4 to 10)
# through the real programs: `dunspool init`, `import` of files in the
# native format, `run` where an earlier letter matters, and `dunspool
# claim --json`, whose figures must be exactly the cases' right answers.
# Case 3 (§ 367 with costs 5.00 and interest 0.25) has no input the
# rate tables turn into exactly 0.25 and stays in check_claim; case 7's
# timing is the planner's (check_planner), what its letter asks for is
# here.  Where a letter went out, what it claimed (the document's total)
# must be what `dunspool claim` says on its date.
set -u
builddir=${DS_BUILDDIR:-$(pwd)}
dunspool="$builddir/src/dunspool"
work=$(mktemp -d "${TMPDIR:-/tmp}/dunspool-claim-XXXXXX")
trap 'rm -rf "$work"' EXIT
. "${DS_TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

# claim ROOT CUSTOMER DATE PYTHON-EXPRESSION [OPTIONS...]: the value of
# the expression over the claim's JSON document `d`.
claim () {
	root=$1 customer=$2 date=$3 expression=$4
	shift 4
	"$dunspool" claim --root "$root" --json --as-of "$date" "$@" \
		"$customer" > "$work/claim.json" 2> "$work/claim.err" ||
		{ cat "$work/claim.err"; echo "claim failed"; return; }
	python3 -c "import json, sys
d = json.load (open (sys.argv[1]))
print ($expression)" "$work/claim.json"
}

# A fresh instance whose strategy is the text on stdin.
instance () {
	root="$work/$1"
	"$dunspool" init "$root" > /dev/null || exit 1
	sed -i '/^\[strategy\]$/,$d' "$root/dunspool.conf"
	cat >> "$root/dunspool.conf"
}

cd "$work" || exit 1
cat > entities.csv <<'EOF'
entity_id,name,street,postal_code,city,country,iban,bic,vat_id,email,phone,jurisdiction
DE01,Nordlicht GmbH,Beispielweg 7,50667,Köln,DE,DE89370400440532013000,COBADEFFXXX,DE123456789,ar@nordlicht.example,+49 221 1,DE
US01,Northern Light Inc.,1 Main St,10001,New York,US,,,,ar@northern.example,+1 212 1,US
EOF
cat > customers.csv <<'EOF'
customer_id,name,contact,street,postal_code,city,country,language,currency,entity,email,fax,b2b
K1,Eins GmbH,,Weg 1,10115,Berlin,DE,de,EUR,DE01,,,true
K2,Zwei GmbH,,Weg 2,10115,Berlin,DE,de,EUR,DE01,,,true
K4,Vier GmbH,,Weg 4,10115,Berlin,DE,de,EUR,DE01,,,true
K5,Fünf GmbH,,Weg 5,10115,Berlin,DE,de,EUR,DE01,,,true
K6,Sechs GmbH,,Weg 6,10115,Berlin,DE,de,EUR,DE01,,,true
K9,Neun GmbH,,Weg 9,10115,Berlin,DE,de,EUR,DE01,,,true
K10,Zehn GmbH,,Weg 10,10115,Berlin,DE,de,EUR,DE01,,,true
K7,Sieben GmbH,,Weg 7,10115,Berlin,DE,de,EUR,DE01,,,true
K11,Elf GmbH,,Weg 11,10115,Berlin,DE,de,EUR,DE01,,,true
U1,Acme Corp.,,5 Elm St,02110,Boston,US,en,USD,US01,,,true
EOF
cat > invoices.csv <<'EOF'
invoice_id,customer_id,issue_date,due_date,currency,amount
R1,K1,2024-01-01,2024-01-31,EUR,1000.00
R2,K2,2024-02-01,2024-03-01,EUR,100.00
R4,K4,2024-01-01,2024-02-29,EUR,1000.00
R5,K5,2024-01-01,2024-01-31,EUR,800.00
R6,K6,2024-01-01,2024-01-31,EUR,600.00
R9,K9,2023-05-21,2023-06-20,EUR,1000.00
R10A,K10,2024-02-14,2024-03-15,EUR,1000.00
R10B,K10,2024-02-14,2024-03-15,EUR,500.00
R10C,K10,2024-02-14,2024-03-15,EUR,250.00
RU1,U1,2024-01-01,2024-01-31,USD,1000.00
EOF
cat > invoices-corrected.csv <<'EOF'
invoice_id,customer_id,issue_date,due_date,currency,amount
R6,K6,2024-01-01,2024-01-31,EUR,550.00
EOF
cat > instalments.csv <<'EOF'
invoice_id,number,due_date,amount
R4,1,2024-01-31,500.00
R4,2,2024-02-29,500.00
EOF
cat > credit_notes.csv <<'EOF'
credit_note_id,customer_id,date,currency,amount,invoice_id,status
G5A,K5,2024-02-01,EUR,300.00,R5,open
G5B,K5,2024-02-02,EUR,200.00,R5,cancelled
EOF
cat > payments.csv <<'EOF'
payment_id,customer_id,date,currency,amount,invoice_id
Z10A,K10,2024-04-14,EUR,1000.00,R10A
EOF
cat > payments-k2.csv <<'EOF'
payment_id,customer_id,date,currency,amount,invoice_id
Z2,K2,2024-03-13,EUR,100.00,R2
EOF
cat > disputes.csv <<'EOF'
invoice_id,opened,resolved,reason
R6,2024-02-05,,goods damaged
EOF

# Steps: case 1's fee without interest, case 8's 14-day deadline, and
# the notice with fee and interest that case 2's letter went out with.
instance cases <<'EOF'
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

[strategy other]
steps = fifty;fortnight

[step fifty]
offset = 10
channels = letter
deadline = 0
fee = 50.00
interest = false

[step fortnight]
offset = 20
channels = letter
deadline = 14
EOF
root="$work/cases"
sed -i 's/^#contract_rate = 8.00$/contract_rate = 8.00/' "$root/dunspool.conf"
"$dunspool" import --root "$root" entities.csv customers.csv invoices.csv \
	instalments.csv credit_notes.csv payments.csv disputes.csv \
	> "$work/import.out" 2>&1 || { cat "$work/import.out"; exit 1; }

check "case 1: fee 50.00 with zero interest: 1050.00" \
	"$(claim "$root" K1 2024-02-15 \
	   '(d["total"], d["totals"]["fees"], d["totals"]["interest"])' \
	   --step fifty)" "('1050.00', '50.00', '0.00')"

check "case 4: the first instalment is claimed, the second not yet" \
	"$(claim "$root" K4 2024-02-10 \
	   '(d["total"], [(i["instalment"], i["open"], i["due_date"],
	     i["state"]) for i in d["items"]])' --no-interest)" \
	"('500.00', [(1, '500.00', '2024-01-31', 'overdue'), (2, '500.00', '2024-02-29', 'not-due')])"

check "case 5: the open credit note nets, the cancelled one does not" \
	"$(claim "$root" K5 2024-02-15 \
	   '(d["total"], [(n["id"], n["amount"]) for n in d["netted"]])' \
	   --no-interest)" "('500.00', [('G5A', '300.00')])"

"$dunspool" import --root "$root" invoices-corrected.csv > /dev/null 2>&1
check "case 6: a disputed invoice stays out after its re-import" \
	"$(claim "$root" K6 2024-03-01 \
	   '(d["total"], [(i["invoice_id"], i["amount"], i["state"])
	     for i in d["items"]])')" \
	"('0.00', [('R6', '550.00', 'disputed')])"

check "case 8: a first notice of 2024-01-15 prints 2024-01-29" \
	"$(claim "$root" K9 2024-01-15 'd["deadline"]' --step fortnight)" \
	"2024-01-29"

check "case 9: the rate changes inside the late period: 2.91 + 20.59" \
	"$(claim "$root" K9 2023-08-31 \
	   '([(l["from"], l["to"], l["days"], l["rate"], l["amount"])
	     for l in d["interest"]], d["totals"]["interest"])')" \
	"([('2023-06-21', '2023-06-30', 10, '10.62', '2.91'), ('2023-07-01', '2023-08-31', 62, '12.12', '20.59')], '23.50')"

check "case 10: 30 days at 12.62% = 10.37 on the invoice paid late" \
	"$(claim "$root" K10 2024-04-14 \
	   '[(l["days"], l["rate"], l["amount"]) for l in d["interest"]
	     if l["invoice_id"] == "R10A"]' --paid-late)" \
	"[(30, '12.62', '10.37')]"

check "case 10: EUR 40 per late invoice, 120.00 for three, each named" \
	"$(claim "$root" K10 2024-04-14 \
	   '(d["totals"]["compensation"], sorted ((c["invoice_id"],
	     c["amount"]) for c in d["costs"]
	     if c["kind"] == "compensation"))' --paid-late)" \
	"('120.00', [('R10A', '40.00'), ('R10B', '40.00'), ('R10C', '40.00')])"

check "an invoice paid in full is listed with its payment only when claimed" \
	"$(claim "$root" K10 2024-04-14 \
	   '([i["state"] for i in d["items"] if i["invoice_id"] == "R10A"],
	     [(n["id"], a["to"], a["amount"]) for n in d["netted"]
	      for a in n["applied"]])' --paid-late)
$(claim "$root" K10 2024-04-14 \
	   '([i for i in d["items"] if i["invoice_id"] == "R10A"],
	     d["netted"])')" \
	"(['settled'], [('Z10A', 'principal', '1000.00')])
([], [])"

check "no statutory rate (US): the contract rate, 30 days at 8% = 6.58" \
	"$(claim "$root" U1 2024-03-01 \
	   '([(l["days"], l["rate"], l["amount"]) for l in d["interest"]],
	     d["totals"]["compensation"], d["total"])')" \
	"([(30, '8.00', '6.58')], '0.00', '1006.58')"

# Case 2: the letter of 2024-03-13 claims fee 10.00 and interest 0.41
# on 100.00; the customer pays exactly 100.00 that day.  Under § 367 BGB
# the payment goes to the costs and interest first, so 10.41 of the
# principal stays claimable, until an operator waives the costs.
"$dunspool" run --root "$root" --as-of 2024-03-13 > "$work/run.out" 2>&1 ||
	{ cat "$work/run.out"; echo "run failed"; }
check "case 2: the letter claimed fee 10.00 and interest 0.41" \
	"$(claim "$root" K2 2024-03-13 \
	   '[(c["kind"], c["amount"]) for c in d["costs"]
	     if not c["new"]] + [l["amount"] for l in d["interest"]]')" \
	"[('fee', '10.00'), '0.41']"
"$dunspool" import --root "$root" payments-k2.csv > /dev/null 2>&1
check "case 2: paying exactly 100.00 leaves 10.41 claimable" \
	"$(claim "$root" K2 2024-03-13 \
	   '(d["totals"]["principal"], [(a["to"], a["amount"])
	     for n in d["netted"] for a in n["applied"]])')" \
	"('10.41', [('fee', '10.00'), ('interest', '0.41'), ('principal', '89.59')])"
check "case 2: what the letters claim, no option: 10.41 in all" \
	"$(claim "$root" K2 2024-03-13 \
	   '(d["total"], d["totals"]["compensation"])')" "('10.41', '0.00')"
# The cycle that sees the payment: 10.41 is above the shipped [rules]
# write_off of EUR 1.00, so it is journaled as surviving, not waived.
"$dunspool" run --root "$root" --as-of 2024-03-13 > "$work/run.out" 2>&1 ||
	{ cat "$work/run.out"; echo "run failed"; }
check "case 2: 10.41 is above write_off 1.00: surviving, not written off" \
	"$(sqlite3 -batch -noheader "$root/var/dunspool.db" \
	   "SELECT group_concat (event) FROM journal WHERE object_id = 'R2'
	    AND event IN ('balance-survives', 'written-off', 'waived')"):$(
	   claim "$root" K2 2024-03-13 'd["total"]')" \
	"balance-survives:10.41"

"$dunspool" waive --root "$root" --on 2024-03-14 \
	--reason "goodwill after the call" K2 > "$work/waive.out" 2>&1 ||
	{ cat "$work/waive.out"; echo "waive failed"; }
check "case 2: after the operator's waiver the costs count from the start" \
	"$(claim "$root" K2 2024-03-14 \
	   '(d["totals"]["principal"], d["totals"]["fees"],
	     d["totals"]["interest"])' --no-interest)" \
	"('0.00', '0.00', '0.00')"
check "case 2: the waiver is a journal record" \
	"$(sqlite3 -batch -noheader "$root/var/dunspool.db" \
	   "SELECT count(*) > 0 FROM journal WHERE event LIKE '%waive%'")" 1
waivers=$(sqlite3 -batch -noheader "$root/var/dunspool.db" \
	"SELECT count(*) FROM journal WHERE event LIKE '%waive%'")
"$dunspool" waive --root "$root" --on 2024-03-14 --reason "again" K2 \
	> "$work/waive.out" 2>&1
check "a second waiver has nothing to waive: exit 1, no record" \
	"$?:$(sqlite3 -batch -noheader "$root/var/dunspool.db" \
	   "SELECT count(*) FROM journal WHERE event LIKE '%waive%'")" \
	"1:$waivers"

# Case 1 through the cycle: the reminder goes out with its fee of 50.00
# and no interest; `dunspool claim` without options says what it
# claimed, 1050.00, and --law what the law would allow besides.
instance case1 <<'EOF'
[strategy]
name = one
steps = reminder

[step reminder]
offset = 3
channels = letter
deadline = 0
fee = 50.00
interest = false
compensation = false
EOF
"$dunspool" import --root "$root" entities.csv customers.csv \
	invoices.csv > /dev/null 2>&1
"$dunspool" run --root "$root" --as-of 2024-02-03 > "$work/run.out" 2>&1 ||
	{ cat "$work/run.out"; echo "run failed"; }
check "case 1: the letter's claim, no option: 1050.00, interest 0.00" \
	"$(claim "$root" K1 2024-02-03 \
	   '(d["total"], d["totals"]["fees"], d["totals"]["interest"])')" \
	"('1050.00', '50.00', '0.00')"
check "case 1: --law adds statutory interest and compensation" \
	"$(claim "$root" K1 2024-02-03 \
	   '(d["totals"]["interest"] != "0.00",
	     d["totals"]["compensation"])' --law)" "(True, '40.00')"

# § 193 BGB: an invoice due on Sunday 2023-12-31 is payable on Tuesday
# 2024-01-02 (New Year's Day is a holiday in DE), so interest runs from
# 2024-01-03: 29 days at 12.62% to 2024-01-31 = 10.03; paid on the
# Tuesday, an invoice is on time and owes no compensation.
instance holidays <<'EOF'
[calendar]
holidays = DE

[strategy]
name = plain
steps = notice

[step notice]
offset = 12
channels = letter
deadline = 0
EOF
cat > invoices-193.csv <<'EOF'
invoice_id,customer_id,issue_date,due_date,currency,amount
S1,K1,2023-12-01,2023-12-31,EUR,1000.00
S2,K2,2023-12-01,2023-12-31,EUR,1000.00
EOF
cat > payments-193.csv <<'EOF'
payment_id,customer_id,date,currency,amount,invoice_id
Q2,K2,2024-01-02,EUR,1000.00,S2
EOF
"$dunspool" import --root "$root" entities.csv customers.csv \
	invoices-193.csv payments-193.csv > /dev/null 2>&1
check "§ 193 BGB: interest from the day after the next working day" \
	"$(claim "$root" K1 2024-01-31 \
	   '[(l["from"], l["days"], l["rate"], l["amount"])
	     for l in d["interest"]]' --law)" \
	"[('2024-01-03', 29, '12.62', '10.03')]"
check "§ 193 BGB: paid on that working day, not late" \
	"$(claim "$root" K2 2024-01-31 \
	   '(d["totals"]["interest"], d["totals"]["compensation"])' \
	   --law --paid-late)" "('0.00', '0.00')"

# Case 7: a reminder 5 days before the due date 2024-06-20 goes out on
# 2024-06-15 asking for the invoice's open amount, 100.00: its item
# listed, no interest, no compensation.
instance case7 <<'EOF'
[strategy]
name = ahead
steps = pre;reminder

[step pre]
offset = -5
channels = letter
deadline = 0
template = reminder

[step reminder]
offset = 3
channels = letter
deadline = 0
interest = true
compensation = true
EOF
cat > invoices-7.csv <<'EOF'
invoice_id,customer_id,issue_date,due_date,currency,amount
R7,K7,2024-05-21,2024-06-20,EUR,100.00
EOF
"$dunspool" import --root "$root" entities.csv customers.csv \
	invoices-7.csv > /dev/null 2>&1
check "case 7: what a pre-due letter claims: the invoice, whole" \
	"$(claim "$root" K7 2024-06-15 \
	   '(d["total"], [(i["invoice_id"], i["open"], i["state"])
	     for i in d["items"]], d["totals"]["interest"],
	     d["totals"]["compensation"])' --step pre)" \
	"('100.00', [('R7', '100.00', 'due-soon')], '0.00', '0.00')"
check "case 7: more than 5 days ahead, nothing yet" \
	"$(claim "$root" K7 2024-06-14 'd["total"]' --step pre)" "0.00"
"$dunspool" replay --root "$root" --from 2024-06-10 --to 2024-06-21 \
	> "$work/run.out" 2>&1 ||
	{ cat "$work/run.out"; echo "replay failed"; }
check "case 7: the letter of 2024-06-15 claims 100.00" \
	"$(sqlite3 -batch -noheader "$root/var/dunspool.db" \
	   "SELECT as_of, step, total FROM documents")" \
	"2024-06-15|pre|10000"
pdf=$(sqlite3 -batch -noheader "$root/var/dunspool.db" \
	"SELECT pdf_path FROM documents")
pdftotext -enc UTF-8 "$root/spool/$pdf" - 2>/dev/null | tr '\n' ' ' |
	tr -s ' ' > "$work/text"
check "case 7: on paper, the amount asked for and the invoice" \
	"$(grep -o 'den Betrag von [0-9,.]* EUR' "$work/text"):$(grep -c R7 \
	   "$work/text")" "den Betrag von 100,00 EUR:1"
check "case 7: the letter's claim, no option: 100.00" \
	"$(claim "$root" K7 2024-06-15 'd["total"]')" "100.00"

# A payment that leaves a balance under § 367 BGB: R11A 1,000.00 is paid
# in full as allocated on 2024-04-14, after the first notice claimed its
# compensation 40.00 and interest 10.37, which § 367 pays first; 50.37
# of R11A survives.  The second notice of 2024-04-20 and `dunspool
# claim` agree on 1,081.29, R11A with them.
survive="$work/survive"
"$dunspool" init "$survive" > /dev/null || exit 1
cat > invoices-11.csv <<'EOF'
invoice_id,customer_id,issue_date,due_date,currency,amount
R11A,K11,2024-02-14,2024-03-15,EUR,1000.00
R11B,K11,2024-02-14,2024-03-15,EUR,200.00
R11C,K11,2024-02-15,2024-03-16,EUR,300.00
R11D,K11,2024-02-16,2024-03-17,EUR,400.00
EOF
cat > payments-11.csv <<'EOF'
payment_id,customer_id,date,currency,amount,invoice_id
Z11,K11,2024-04-14,EUR,1000.00,R11A
EOF
"$dunspool" import --root "$survive" entities.csv customers.csv \
	invoices-11.csv payments-11.csv > /dev/null 2>&1
"$dunspool" replay --root "$survive" --from 2024-03-15 --to 2024-04-01 \
	> "$work/run.out" 2>&1 ||
	{ cat "$work/run.out"; echo "replay failed"; }
"$dunspool" run --root "$survive" --as-of 2024-04-20 > "$work/run.out" 2>&1 ||
	{ cat "$work/run.out"; echo "run failed"; }
check "§ 367: the paid invoice's balance survives, claimed" \
	"$(claim "$survive" K11 2024-04-20 \
	   '(d["total"], [(i["open"], i["state"]) for i in d["items"]
	     if i["invoice_id"] == "R11A"])')" \
	"('1081.29', [('50.37', 'surviving')])"
check "§ 367: the letter of that date claims the same" \
	"$(sqlite3 -batch -noheader "$survive/var/dunspool.db" \
	   "SELECT step, total FROM documents WHERE as_of = '2024-04-20'")" \
	"second|108129"
check "§ 367: no step of its own, but not lost: once in R11A's trace" \
	"$("$dunspool" trace --root "$survive" R11A |
	   grep -c 'balance-survives.*payment=Z11 principal=50.37')" 1

# Three runs of one date at once on the bundled ledger: one cycle at a
# time, each ends well, and no step is taken twice.
srcdir=${DS_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
ibm="$work/ibm"
"$dunspool" init "$ibm" > /dev/null &&
"$dunspool" import --root "$ibm" "$srcdir/data/ibm-ar/entities.csv" \
	"$srcdir/data/ibm-ar/customers.csv" \
	"$srcdir/data/ibm-ar/WA_Fn-UseC_-Accounts-Receivable.csv" \
	> /dev/null 2>&1 || echo "import of the bundled ledger failed"
pids=""
for n in 1 2 3; do
	"$dunspool" run --root "$ibm" --as-of 2012-04-01 \
		> "$work/run-$n.out" 2>&1 &
	pids="$pids $!"
done
statuses=""
for pid in $pids; do
	wait "$pid"
	statuses="$statuses$?"
done
check "three runs at once: each exits 0" "$statuses" 000
check "three runs at once: documents made, no step twice" \
	"$(sqlite3 -batch -noheader "$ibm/var/dunspool.db" \
	   "SELECT count(*) > 10 FROM documents")$(sqlite3 -batch \
	   -noheader "$ibm/var/dunspool.db" "SELECT count(*) FROM (
	    SELECT 1 FROM invoice_steps GROUP BY invoice_id, strategy,
	    instalment, step_index HAVING count(*) > 1)")" 10

"$dunspool" --root "$root" --json claim --as-of 2024-03-14 K2 \
	> "$work/before.json" 2>&1
"$dunspool" claim K2 --as-of 2024-03-14 --root "$root" --json \
	> "$work/after.json" 2>&1
check "options before the verb read as after it" \
	"$(cmp -s "$work/before.json" "$work/after.json" && echo same)" same

"$dunspool" claim --root "$root" --law --step notice K2 > /dev/null 2>&1
check "--law and --step together are a usage error" "$?" 2

finish
