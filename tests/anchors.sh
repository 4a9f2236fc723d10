#!/bin/sh
# anchors.sh -- records cut off the end of the journal are found.
#
# Each daily cycle appends the journal's head (seq, hash, UTC time) to
# var/journal-anchors, outside the database.  After a replay:
#
#   - the anchor file is there, 0640, its last line the journal's head,
#     and `dunspool trace --verify` passes, saying the anchors match;
#   - an intruder with write access to the database drops the guard
#     trigger and deletes the newest journal records: the chain left is
#     whole, but `trace --verify` exits 1 naming the cut (the anchored
#     record and where the journal now ends);
#   - records appended after such a cut (a new head with the anchored
#     seq but another hash) are found as well.
set -u
builddir=${DS_BUILDDIR:-$(pwd)}
srcdir=${DS_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
dunspool="$builddir/src/dunspool"
work=$(mktemp -d "${TMPDIR:-/tmp}/dunspool-anchors-XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
root="$work/root"
anchors="$root/var/journal-anchors"
. "${DS_TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

sql () {
	sqlite3 -batch -noheader "$root/var/dunspool.db" "$1"
}

"$dunspool" init "$root" > /dev/null || { echo "FAIL: init"; exit 1; }
(cd "$srcdir/data/ibm-ar" && "$dunspool" import --root "$root" \
	entities.csv customers.csv WA_Fn-UseC_-Accounts-Receivable.csv) \
	> /dev/null 2>&1 || { echo "FAIL: import"; exit 1; }
"$dunspool" replay --root "$root" --from 2012-01-01 --to 2012-02-15 \
	> /dev/null 2>&1 || { echo "FAIL: replay"; exit 1; }

head_seq=$(sql "SELECT max(seq) FROM journal")
head_hash=$(sql "SELECT hash FROM journal WHERE seq = $head_seq")
check "anchor file written" "$([ -f "$anchors" ]; echo $?)" 0
check "anchor file is 0640" "$(stat -c %a "$anchors")" 640
check "last anchor is the journal's head" \
	"$(tail -n 1 "$anchors" | cut -d ' ' -f 1,2)" "$head_seq $head_hash"
check "anchors carry a UTC time" "$(tail -n 1 "$anchors" |
	grep -cE ' [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$')" 1
check "more than one cycle anchored" \
	"$([ "$(wc -l < "$anchors")" -gt 1 ]; echo $?)" 0
"$dunspool" trace --verify --root "$root" > "$work/verify" 2>&1
check "verify passes" "$?" 0
check "verify says the anchors match" \
	"$(grep -c "^anchors: .* match, the last at record $head_seq" \
		"$work/verify")" 1

cp -a "$root" "$work/saved"
cut_to=$((head_seq - 3))
sql "DROP TRIGGER journal_no_delete;
	DELETE FROM journal WHERE seq > $cut_to;"
"$dunspool" trace --verify --root "$root" > "$work/verify" 2>&1
check "verify after the cut: exit 1" "$?" 1
check "the chain left is whole" \
	"$(grep -c "^journal: $cut_to records, chain intact" "$work/verify")" 1
grep -q "journal cut: .*anchored record $head_seq at .*the journal ends at \
record $cut_to: records $((cut_to + 1)) to $head_seq are missing" \
	"$work/verify"
check "verify names the cut" "$?" 0

# Cut, then appended to again up to the anchored seq: another hash.
rm -rf "$root"
cp -a "$work/saved" "$root"
sql "DROP TRIGGER journal_no_delete;
	DELETE FROM journal WHERE seq > $cut_to;"
"$dunspool" run --root "$root" --as-of 2012-02-16 > /dev/null 2>&1
"$dunspool" run --root "$root" --as-of 2012-02-20 > /dev/null 2>&1
new_head=$(sql "SELECT max(seq) FROM journal")
if [ "$new_head" -ge "$head_seq" ]; then
	"$dunspool" trace --verify --root "$root" > "$work/verify" 2>&1
	check "verify after cut and new records: exit 1" "$?" 1
	grep -q "journal record [0-9]* differs from its anchor" \
		"$work/verify"
	check "verify names the anchored record that differs" "$?" 0
else
	check "new records reach the anchored seq" "$new_head" ">= $head_seq"
fi

finish
