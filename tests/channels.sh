#!/bin/sh
# channels.sh -- every channel to its last state, through the real
# programs:
#
#   - a hard bounce (an RFC 3464 report dropped into status/new) turns
#     the e-mail attempt bounced-hard and puts the same document, as a
#     letter, into the next day's print batch; the trace shows both;
#   - `queue --json` lists carry trace_id, channel and state;
#   - queue hold / release / requeue / cancel / flush answer by exit
#     status; `dunspool status FILE` applies a mailroom confirmation;
#   - `batch print` hands a batch to CUPS (stand-in lp) once;
#   - altering one journal row and one stored PDF makes
#     `dunspool trace --verify` exit 1 naming both;
#   - dunspoold applies a returned-letter scan dropped into status/new.
set -u
builddir=${DS_BUILDDIR:-$(pwd)}
dunspool="$builddir/src/dunspool"
work=$(mktemp -d "${TMPDIR:-/tmp}/dunspool-channels-XXXXXX")
daemon=
cleanup () {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
root="$work/root"
. "${DS_TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

sql () {
	sqlite3 -batch -noheader "$root/var/dunspool.db" "$1"
}

# json EXPRESSION: evaluate a Python expression over the JSON on stdin,
# bound to "d".
json () {
	python3 -c "import json, sys; d = json.load (sys.stdin); print ($1)"
}

"$dunspool" init "$root" > /dev/null || { echo "FAIL: init"; exit 1; }

cat > "$work/entities.csv" <<'EOF'
entity_id,name,street,postal_code,city,country,iban,bic,vat_id,email,phone
DE01,Nordlicht Industriebedarf GmbH,Beispielweg 7,50667,Köln,DE,DE89370400440532013000,COBADEFFXXX,DE000000000,forderungen@example.de,+49 221 99 000000
EOF
cat > "$work/customers.csv" <<'EOF'
customer_id,name,contact,street,postal_code,city,country,language,currency,entity,email,fax,paperless_since
C1,Weißenfels Maschinenbau GmbH,Björn Köhler,Mühlenweg 70,28195,Bremen,DE,de,EUR,DE01,ap@example.test,,2020-01-01
C2,Großkreutz Getränkehandel KG,Jürgen Groß-Öztürk,Łódzka 5,40212,Düsseldorf,DE,de,EUR,DE01,,,
EOF
cat > "$work/invoices.csv" <<'EOF'
invoice_id,customer_id,issue_date,due_date,currency,amount
INV-1001,C1,2024-01-01,2024-01-31,EUR,100000
INV-2001,C2,2024-01-02,2024-01-31,EUR,135590
EOF
"$dunspool" import --root "$root" "$work/entities.csv" \
	"$work/customers.csv" "$work/invoices.csv" > /dev/null ||
	{ echo "FAIL: import"; exit 1; }
"$dunspool" run --root "$root" --as-of 2024-02-03 > /dev/null 2>&1
check "first cycle runs" "$?" 0

trace=$(sql "SELECT trace_id FROM documents WHERE customer_id = 'C1'")
letter=$(sql "SELECT trace_id FROM documents WHERE customer_id = 'C2'")
check "e-mail handed off" \
	"$(sql "SELECT state FROM attempts WHERE trace_id = '$trace'")" \
	handed-off

# The queue as a program reads it.
"$dunspool" queue list --all --json --root "$root" > "$work/queue.json"
check "queue --json has trace_id, channel, state" "$(json \
	"all ({'trace_id', 'channel', 'state'} <= set (x) for x in
	 d['documents']) and len (d['documents']) == 2" \
	< "$work/queue.json")" True
check "queue --json names the e-mail" "$(json \
	"[x['channel'] for x in d['documents'] if x['trace_id'] ==
	 '$trace'][0]" < "$work/queue.json")" email

# A hard bounce, dropped the way a mail filter drops it.
cat > "$root/spool/status/tmp/bounce.eml" <<EOF
Return-Path: <>
Date: Sat, 3 Feb 2024 10:00:00 +0000
From: Mail Delivery System <MAILER-DAEMON@mx.example.test>
To: bounces+$trace@dunspool.invalid
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="B1"

--B1
Content-Type: text/plain; charset=us-ascii

Your message could not be delivered.

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.test

Final-Recipient: rfc822; ap@example.test
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 user unknown

--B1
Content-Type: text/rfc822-headers

Message-ID: <$trace@dunspool.invalid>

--B1--
EOF
mv "$root/spool/status/tmp/bounce.eml" "$root/spool/status/new/bounce.eml"
"$dunspool" run --root "$root" --as-of 2024-02-04 > /dev/null 2>&1
check "second cycle runs" "$?" 0
check "bounce archived" \
	"$(ls "$root"/spool/archive/*/bounce.eml 2>/dev/null | wc -l)" 1
check "e-mail attempt bounced-hard, letter handed off" "$(sql "
	SELECT group_concat (channel || ':' || state, ' ') FROM
	(SELECT channel, state FROM attempts WHERE trace_id = '$trace'
	 ORDER BY attempt_id)")" "email:bounced-hard letter:handed-off"
batch=$(sql "SELECT batch_id FROM attempts WHERE trace_id = '$trace'
	AND channel = 'letter'")
check "letter in the second day's batch" \
	"$(sql "SELECT day FROM batches WHERE batch_id = '$batch'")" \
	2024-02-04
manifest=$root/spool/$(sql "SELECT manifest_path FROM batches
	WHERE batch_id = '$batch'")
check "manifest lists it" "$(grep -c "$trace" "$manifest")" 1

"$dunspool" trace --json --root "$root" "$trace" > "$work/trace.json"
check "trace shows both attempts" "$(json \
	"' '.join (a['channel'] + ':' + a['state'] for a in
	 d['documents'][0]['attempts'])" < "$work/trace.json")" \
	"email:bounced-hard letter:handed-off"
"$dunspool" trace --root "$root" "$trace" > "$work/trace.txt"
check "printed trace names the bounce file" \
	"$(grep 'feed:bounce.eml' "$work/trace.txt" | grep -c bounced-hard)" 1

# Mailroom confirmation through the CLI, then a late duplicate.
printf 'batch_id,state\n%s,printed\n' "$batch" > "$work/printed.csv"
"$dunspool" status --root "$root" "$work/printed.csv" > "$work/status.out"
check "status file applied" "$?" 0
"$dunspool" status --root "$root" "$work/printed.csv" > "$work/status.out"
check "duplicate confirmation is no error" "$?" 0
check "duplicate reported as ignored" \
	"$(grep -c 'ignored=1' "$work/status.out")" 1
printf 'no,known,header\n' > "$work/bad.csv"
"$dunspool" status --root "$root" "$work/bad.csv" > /dev/null 2>&1
check "bad status file: exit 1" "$?" 1
created=$(sql "SELECT batch_id FROM batches WHERE state = 'created'
	ORDER BY day LIMIT 1")
printf 'batch_id,state\n%s,posted\n' "$created" > "$work/b1.csv"
"$dunspool" status --root "$root" "$work/b1.csv" > "$work/b1.out" 2>&1
check "batch posted while created: refused, exit 1" "$?" 1
refusal="b1.csv: refused: line 2: batch $created: created -> posted"
refusal="$refusal is not allowed: it skips printed"
check "the refusal names the line and the state skipped" \
	"$(grep -c "$refusal" "$work/b1.out")" 1
check "the batch stays created" "$(sql "SELECT state FROM batches
	WHERE batch_id = '$created'")" created

# Queue verbs by exit status.
"$dunspool" queue cancel --root "$root" "$letter" > /dev/null 2>&1
check "cancel a letter in a batch not yet printed" "$?" 0
check "it is a request" "$(sql "SELECT state FROM attempts
	WHERE trace_id = '$letter'")" cancel-requested
"$dunspool" queue hold --root "$root" "$trace" > /dev/null 2>&1
check "hold with nothing to hold: exit 1" "$?" 1
"$dunspool" queue requeue --root "$root" "$trace" > /dev/null 2>&1
check "requeue a printed letter: nothing to do, exit 1" "$?" 1
"$dunspool" queue flush --root "$root" > /dev/null 2>&1
check "flush with nothing deferred" "$?" 0
"$dunspool" queue frobnicate --root "$root" "$trace" > /dev/null 2>&1
check "unknown action: usage, exit 2" "$?" 2

# The first day's batch to CUPS (stand-in lp and lpstat), once only.
first_batch=$(sql "SELECT batch_id FROM batches WHERE day = '2024-02-03'")
mkdir "$work/cups"
PATH="${DS_TOP_SRCDIR:-$(dirname "$0")/..}/tests/cups:$PATH" \
FAKECUPS_DIR="$work/cups" \
	"$dunspool" batch print --printer mailroom --root "$root" \
	"$first_batch" > "$work/lp.out" 2>&1
check "batch print: exit 0" "$?" 0
check "batch print: request id" "$(grep -c 'request mailroom-1' \
	"$work/lp.out")" 1
PATH="${DS_TOP_SRCDIR:-$(dirname "$0")/..}/tests/cups:$PATH" \
FAKECUPS_DIR="$work/cups" \
	"$dunspool" batch print --printer mailroom --root "$root" \
	"$first_batch" > /dev/null 2>&1
check "batch print again: exit 1" "$?" 1

# The auditor's proof.
"$dunspool" trace --verify --root "$root" > /dev/null 2>&1
check "verify: intact, exit 0" "$?" 0
pdf=$root/spool/$(sql "SELECT pdf_path FROM documents
	WHERE trace_id = '$trace'")
chmod u+w "$pdf"
printf '%%PDF-1.4 forged\n' > "$pdf"
sql "DROP TRIGGER journal_no_update;
	UPDATE journal SET evidence = 'forged' WHERE seq = 7;" > /dev/null
"$dunspool" trace --verify --root "$root" > "$work/verify.out" 2>&1
check "verify: altered, exit 1" "$?" 1
check "verify names the record" \
	"$(grep -q 'record 7' "$work/verify.out"; echo $?)" 0
check "verify names the PDF" "$(grep -q "$pdf" "$work/verify.out"; echo $?)" 0

# The daemon picks up a returned-letter scan dropped into status/new.
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
"$builddir/src/dunspoold" --root "$root" > "$work/daemon.log" 2>&1 &
daemon=$!
wait_for 30 grep -q 'started' "$work/daemon.log"
printf '%s\n' "$trace" > "$root/spool/status/tmp/scan.txt"
mv "$root/spool/status/tmp/scan.txt" "$root/spool/status/new/scan.txt"
wait_for 30 sh -c "ls '$root'/spool/archive/*/scan.txt > /dev/null 2>&1"
check "daemon applied the scan" "$?" 0
kill -TERM "$daemon"
wait "$daemon"
daemon=
check "returned letter" "$(sql "SELECT state FROM attempts
	WHERE trace_id = '$trace' AND channel = 'letter'")" returned
check "task opened" "$(sql "SELECT count(*) FROM tasks
	WHERE trace_id = '$trace' AND state = 'open'")" 1

# A Maildir message that is no delivery report is refused, flagged for a
# person, and the verb says so by its exit status.
mkdir -p "$work/maildir/new" "$work/maildir/cur" "$work/maildir/tmp"
printf 'From: a@example.test\nTo: b@example.test\nSubject: hi\n\nhi\n' \
	> "$work/maildir/new/1.eml"
"$dunspool" status --root "$root" --maildir "$work/maildir" \
	> "$work/maildir.out" 2>&1
check "a refused Maildir message: exit 1" "$?" 1
check "flagged for a person" "$(ls "$work/maildir/cur")" "1.eml:2,F"

finish
