#!/bin/sh
# calls-cli.sh -- call steps through the real programs: a strategy with
# a call step, `dunspool run` on the days it falls due (twice), the call
# on `dunspool agenda --json` for the customer's collector, a customer
# without a phone number getting the letter instead, `dunspool task
# done` closing the calls (one with a promise that pauses the chasing
# until it is broken), and the next step timed from the call.
set -u
builddir=${DS_BUILDDIR:-$(pwd)}
dunspool="$builddir/src/dunspool"
work=$(mktemp -d "${TMPDIR:-/tmp}/dunspool-calls-XXXXXX")
trap 'rm -rf "$work"' EXIT
. "${DS_TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

# json FILE PYTHON-EXPRESSION: the expression over the document `d`.
json () {
	python3 -c "import json, sys
d = json.load (open (sys.argv[1]))
print ($2)" "$1"
}

root="$work/root"
"$dunspool" init "$root" > /dev/null || exit 1
sed -i '/^\[strategy\]$/,$d' "$root/dunspool.conf"
cat >> "$root/dunspool.conf" <<'EOF'
[strategy]
name = default
steps = reminder;call;final
[step reminder]
offset = 3
channels = letter
deadline = 0
[step call]
offset = 5
relative_to = previous
channels = call;letter
template = first
deadline = 0
[step final]
offset = 7
relative_to = previous
channels = letter
template = final
deadline = 0
[collectors]
anna = 15
[agenda]
minutes_call = 10
yield_call = 0.2
EOF

cd "$work" || exit 1
cat > entities.csv <<'EOF'
entity_id,name,street,postal_code,city,country,iban,bic,vat_id,email,phone,jurisdiction
DE01,Nordlicht GmbH,Beispielweg 7,50667,Köln,DE,DE89370400440532013000,COBADEFFXXX,DE123456789,ar@nordlicht.example,+49 221 1,DE
EOF
cat > customers.csv <<'EOF'
customer_id,name,contact,street,postal_code,city,country,language,currency,entity,email,fax,phone,b2b,tags,collector
K1,Eins GmbH,,Weg 1,10115,Berlin,DE,de,EUR,DE01,,,+49 30 1,true,,anna
K2,Zwei GmbH,,Weg 2,10115,Berlin,DE,de,EUR,DE01,,,,true,,anna
K3,Drei GmbH,,Weg 3,10115,Berlin,DE,de,EUR,DE01,,,+49 30 3,true,,anna
EOF
cat > invoices.csv <<'EOF'
invoice_id,customer_id,issue_date,due_date,currency,amount
R1,K1,2024-01-01,2024-01-31,EUR,1000.00
R2,K2,2024-01-01,2024-01-31,EUR,2000.00
R3,K3,2024-01-01,2024-01-31,EUR,3000.00
R4,K3,2024-01-02,2024-01-31,EUR,500.00
EOF
"$dunspool" import --root "$root" entities.csv customers.csv \
	invoices.csv > /dev/null 2>&1 || { echo "import failed"; exit 1; }

run () {
	"$dunspool" run --root "$root" --json --as-of "$1" > "$work/run.json" \
		2> "$work/run.err" || { cat "$work/run.err"; echo failed; }
}

run 2024-02-03
check "reminders" "$(json run.json 'd["planned"]')" 3
run 2024-02-08
check "calls opened, one for K3's two invoices" \
	"$(json run.json 'd["by_channel"]["call"]')" 2
check "K2 has no phone: a letter" \
	"$(json run.json 'd["planned"], d["by_channel"]["letter"]')" "3 1"
run 2024-02-08
check "the same day again adds nothing" "$(json run.json 'd["planned"]')" 0

"$dunspool" agenda --root "$root" --json --date 2024-02-09 > agenda.json \
	2> /dev/null
check "anna's calls by cash per minute, cut at 15 minutes" \
	"$(json agenda.json '[(t["kind"], t["customer_id"], t["amount"],
	   t["cash_per_minute"]) for c in d["collectors"]
	   for t in c["tasks"] + c["cut"]]')" \
	"[('call', 'K3', '3500.00', '70.00'), ('call', 'K1', '1000.00', '20.00')]"
check "the second call is cut" \
	"$(json agenda.json 'len (d["collectors"][0]["cut"])')" 1

task=$(json agenda.json 'd["collectors"][0]["tasks"][0]["task_id"]')
"$dunspool" task done --root "$root" "$task" --outcome reached \
	--note "pays Friday" > done.txt 2>&1
check "task done" "$(cat done.txt)" "task $task: done: outcome=reached"
"$dunspool" task done --root "$root" "$task" --outcome reached \
	> /dev/null 2>&1
check "twice is an error" "$?" 1
"$dunspool" task done --root "$root" "$task" --outcome perhaps \
	> /dev/null 2>&1
check "an unknown outcome is a usage error" "$?" 2
"$dunspool" agenda --root "$root" --json --date 2024-02-09 > agenda.json \
	2> /dev/null
check "what is left on the agenda" \
	"$(json agenda.json '[t["customer_id"] for c in d["collectors"]
	   for t in c["tasks"]]')" "['K1']"

# K1 promises on 02-09 to pay by 02-20: its final step waits
other=$(json agenda.json 'd["collectors"][0]["tasks"][0]["task_id"]')
"$dunspool" task done --root "$root" "$other" --outcome reached \
	--until 2024-02-20 > /dev/null 2>&1
check "--until needs --outcome promise" "$?" 2
"$dunspool" task done --root "$root" "$other" --outcome promise \
	--until 2024-02-20 --date 2024-02-09 --json > done.json 2> /dev/null
check "the promise recorded" "$(json done.json 'd["outcome"]')" promise

finals () {
	sqlite3 -batch -noheader "$root/var/dunspool.db" \
		"SELECT count (*) FROM documents WHERE step = 'final'"
}
run 2024-02-14
check "the final step waits 7 days from the call" "$(finals)" 0
check "K1's promise confirmed, the only document of the day" \
	"$(json run.json 'd["planned"]'):$(sqlite3 -batch -noheader \
	   "$root/var/dunspool.db" "SELECT customer_id FROM documents
	    WHERE step = 'promise-confirmation'")" 1:K1
run 2024-02-15
check "and comes then, but not for K1 under its promise" "$(finals)" 2
run 2024-02-26
check "K1's promise broken: its final step" "$(finals)" 3
"$dunspool" agenda --root "$root" --json --date 2024-02-26 > agenda.json \
	2> /dev/null
check "the broken promise on the agenda" \
	"$(json agenda.json '[(t["kind"], t["customer_id"], t["amount"])
	   for c in d["collectors"] for t in c["tasks"]]')" \
	"[('promise', 'K1', '1000.00')]"
"$dunspool" trace --root "$root" --verify > /dev/null 2>&1
check "the journal verifies" "$?" 0

finish
