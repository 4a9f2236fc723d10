#!/bin/sh
# import-cli.sh -- `dunspool import` tells every rejected row: its text
# output lists the first 20 and says how to see the rest, `dunspool
# import --errors FILE` (or the file's SHA-256, or the start of it) lists
# every one from the database, with --json too; a value with line breaks
# quoted in a reason stays on the reason's line.
set -u
builddir=${DS_BUILDDIR:-$(pwd)}
dunspool="$builddir/src/dunspool"
work=$(mktemp -d "${TMPDIR:-/tmp}/dunspool-import-XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/root"
. "${DS_TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

"$dunspool" init "$root" > /dev/null || exit 1
header='entity_id,name,street,postal_code,city,country,iban,bic,vat_id,'\
'email,phone'
{
	echo "$header"
	echo 'DE01,Nordlicht GmbH,Beispielweg 7,50667,Köln,DE,,,,,'
	for i in $(seq 1 23); do
		echo "X$i,,Street 1,1,City,DE,,,,,"
	done
} > "$work/rows.csv"

"$dunspool" import --root "$root" "$work/rows.csv" > "$work/out" 2>&1
check "rows rejected: exit 1" "$?" 1
check "the first 20 listed" "$(grep -c ': name: missing value$' \
	"$work/out")" 20
sha=$(sha256sum "$work/rows.csv" | cut -c1-12)
hint="^  and 3 more rejected rows: dunspool import --errors $sha"
check "the rest: where to see them" \
	"$(grep -c "$hint lists them all\$" "$work/out")" 1

"$dunspool" import --errors --root "$root" "$work/rows.csv" \
	> "$work/errors" 2>&1
check "import --errors FILE: exit 0" "$?" 0
check "import --errors FILE: every row" \
	"$(grep -c ': name: missing value$' "$work/errors")" 23
tail -n +2 "$work/errors" > "$work/errors.rows"
check "import --errors FILE: none left out" \
	"$(grep -c 'more rejected' "$work/errors")" 0
check "import --errors FILE: nothing imported again" "$(sqlite3 \
	"$root/var/dunspool.db" "SELECT count(*) FROM journal
	 WHERE event = 'imported'")" 1
"$dunspool" import --errors --root "$root" "$sha" > "$work/by-sha" 2>&1
check "import --errors SHA256: exit 0" "$?" 0
check "import --errors SHA256: the same rows" "$(tail -n +2 "$work/by-sha" |
	cmp -s - "$work/errors.rows"; echo $?)" 0
"$dunspool" import --errors --json --root "$root" "$sha" > "$work/json"
check "import --errors --json: every row" "$(/usr/bin/python3 -c '
import json, sys
print (len (json.load (sys.stdin)["files"][0]["errors"]))' \
	< "$work/json")" 23
printf '%s\n' "$header" > "$work/never.csv"
"$dunspool" import --errors --root "$root" "$work/never.csv" \
	> /dev/null 2> "$work/err"
check "import --errors of a file never imported: exit 1" "$?" 1
check "it says so" "$(grep -c 'never.csv: never imported' "$work/err")" 1

# A value with a line break, quoted in its reason: one line per row.
{
	printf '%s\r\n' "$header"
	printf 'E1,"Zwei\r\nZeilen",x,1,y,"D\r\nE",,,,,\r\n'
	printf 'E2,Eins,x,1,y,"X\tY",,,,,\r\n'
} > "$work/breaks.csv"
"$dunspool" import --root "$root" "$work/breaks.csv" > "$work/out" 2>&1
check "line breaks: two rejected rows, three lines" \
	"$(wc -l < "$work/out" | tr -d ' ')" 3
check "line break escaped" "$(grep -c '^  line 2: country: .*"D\\nE"' \
	"$work/out")" 1
check "tab escaped" "$(grep -c '^  line 5: country: .*"X\\tY"' \
	"$work/out")" 1

finish
