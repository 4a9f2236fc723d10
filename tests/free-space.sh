#!/bin/sh
# free-space.sh -- below [instance] min_free_bytes no new work is taken,
# and it is taken again once there is room.
#
# The threshold is set above the free space of the file system the test
# runs on (the largest value dunspool.conf takes), then back under it:
#
#   - `dunspool run` fails saying "no new work" and naming the threshold,
#     and plans nothing;
#   - dunspoold leaves the ledger files dropped into incoming/new where
#     they are, logs the reason once (not at every rescan), and puts off
#     the daily cycle asked for with SIGUSR1;
#   - after the threshold is lowered and the configuration reloaded
#     (HUP), the daemon logs that space is back, imports the files and
#     runs the cycle it put off: documents are planned and rendered, and
#     the cycle's log line carries the journal head it anchored.
set -u
builddir=${DS_BUILDDIR:-$(pwd)}
dunspool="$builddir/src/dunspool"
dunspoold="$builddir/src/dunspoold"
work=$(mktemp -d "${TMPDIR:-/tmp}/dunspool-space-XXXXXX")
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

# set_threshold BYTES: [instance] min_free_bytes in dunspool.conf.
set_threshold () {
	sed -i "s/^min_free_bytes = .*/min_free_bytes = $1/" \
		"$root/dunspool.conf"
}

"$dunspool" init "$root" > /dev/null || { echo "FAIL: init"; exit 1; }
sed -i 's/^rescan_seconds = .*/rescan_seconds = 1/' "$root/dunspool.conf"
free=$(df -P -B1 "$root/spool" | awk 'NR == 2 { print $4 }')
above=9223372036854775807
check "the threshold is above the free space" \
	"$(awk -v f="$free" -v a="$above" 'BEGIN { print (a > f) }')" 1
set_threshold "$above"

# A ledger with invoices overdue today, so that today's cycle has work.
day () {
	date -u -d "$1 days" +%Y-%m-%d
}
mkdir "$work/ledger"
cat > "$work/ledger/entities.csv" <<'EOF'
entity_id,name,street,postal_code,city,country,iban,bic,vat_id,email,phone
DE01,Nordlicht Industriebedarf GmbH,Beispielweg 7,50667,Köln,DE,DE89370400440532013000,COBADEFFXXX,DE000000000,forderungen@example.de,+49 221 99 000000
EOF
cat > "$work/ledger/customers.csv" <<'EOF'
customer_id,name,contact,street,postal_code,city,country,language,currency,entity,email,fax
C1,Weißenfels Maschinenbau GmbH,Björn Köhler,Mühlenweg 70,28195,Bremen,DE,de,EUR,DE01,,
C2,Großkreutz Getränkehandel KG,Jürgen Groß,Königsallee 5,40212,Düsseldorf,DE,de,EUR,DE01,,
EOF
cat > "$work/ledger/invoices.csv" <<EOF
invoice_id,customer_id,issue_date,due_date,currency,amount
INV-1001,C1,$(day -60),$(day -30),EUR,100000
INV-2001,C2,$(day -50),$(day -20),EUR,135590
EOF

# The CLI: the cycle refuses, saying why.
"$dunspool" import --root "$root" "$work/ledger/entities.csv" \
	"$work/ledger/customers.csv" "$work/ledger/invoices.csv" \
	> /dev/null 2>&1 || { echo "FAIL: import"; exit 1; }
"$dunspool" run --root "$root" > "$work/run.out" 2>&1
check "run under the threshold fails" "$([ $? -ne 0 ]; echo $?)" 0
check "run says no new work, naming the threshold" \
	"$(grep -c "under the threshold min_free_bytes = $above: no new work" \
		"$work/run.out")" 1
check "nothing planned" "$(sql 'SELECT count(*) FROM documents')" 0

# The daemon: a fresh instance, the files dropped into incoming/new.
rm -rf "$root"
"$dunspool" init "$root" > /dev/null || { echo "FAIL: init"; exit 1; }
sed -i 's/^rescan_seconds = .*/rescan_seconds = 1/' "$root/dunspool.conf"
set_threshold "$above"
for file in entities.csv customers.csv invoices.csv; do
	cp "$work/ledger/$file" "$root/spool/incoming/tmp/$file"
	mv "$root/spool/incoming/tmp/$file" "$root/spool/incoming/new/$file"
done
"$dunspoold" --root "$root" > "$work/daemon.log" 2>&1 &
daemon=$!
wait_for 10 grep -q "started" "$work/daemon.log"
check "daemon started" "$?" 0
sleep 3
check "files wait in incoming/new" \
	"$(ls "$root/spool/incoming/new" | wc -l)" 3
check "nothing imported" "$(sql 'SELECT count(*) FROM invoices')" 0
check "the reason logged once over several rescans" \
	"$(grep -c 'short of space: .*under the threshold min_free_bytes' \
		"$work/daemon.log")" 1
kill -USR1 "$daemon"
wait_for 10 grep -q "cycle .*: put off until free space is back" \
	"$work/daemon.log"
check "the cycle asked for is put off" "$?" 0
sleep 2
check "nothing planned by the daemon" \
	"$(sql 'SELECT count(*) FROM documents')" 0

set_threshold 1048576
kill -HUP "$daemon"
wait_for 15 grep -q "free space back over the threshold" "$work/daemon.log"
check "space back logged" "$?" 0
wait_for 15 sh -c "[ -z \"\$(ls '$root/spool/incoming/new')\$(ls \
	'$root/spool/incoming/cur')\" ]"
check "files imported" "$(sql 'SELECT count(*) FROM invoices')" 2
wait_for 30 grep -q "cycle .*: done: planned=2" "$work/daemon.log"
check "the put-off cycle ran" "$?" 0
check "documents planned and rendered" "$(sql "SELECT count(*)
	FROM documents WHERE pdf_path IS NOT NULL")" 2
check "the cycle's log line carries the anchored journal head" \
	"$(sed -n 's/.*cycle .*: done: .* journal_head=\([0-9]*\):\(.*\)/\1 \2/p' \
		"$work/daemon.log")" \
	"$(tail -n 1 "$root/var/journal-anchors" | cut -d ' ' -f 1,2)"

kill -TERM "$daemon"
wait "$daemon"
check "daemon exits 0 on TERM" "$?" 0
daemon=
finish
