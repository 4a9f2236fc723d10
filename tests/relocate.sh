#!/bin/sh
# relocate.sh -- a copied instance names its own files.
#
# An instance is made and run over six weeks of the bundled ledger, then
# copied with `cp -a` to another directory.  The database stores the
# document and batch paths relative to the spool, so:
#
#   - no stored path is absolute;
#   - `batch list --json` of the copy names the copy's files;
#   - a PDF altered in the copy only makes `trace --verify` of the copy
#     exit 1 naming the copy's file, while the original still verifies;
#   - a database written before paths were relative (schema 5, absolute
#     paths) is rewritten by its migration when next opened.
set -u
builddir=${DS_BUILDDIR:-$(pwd)}
srcdir=${DS_TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
dunspool="$builddir/src/dunspool"
work=$(mktemp -d "${TMPDIR:-/tmp}/dunspool-relocate-XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
. "${DS_TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

sql () {
	sqlite3 -batch -noheader "$1/var/dunspool.db" "$2"
}

original="$work/original"
copy="$work/elsewhere/copy"
"$dunspool" init "$original" > /dev/null || { echo "FAIL: init"; exit 1; }
(cd "$srcdir/data/ibm-ar" && "$dunspool" import --root "$original" \
	entities.csv customers.csv WA_Fn-UseC_-Accounts-Receivable.csv) \
	> /dev/null 2>&1 || { echo "FAIL: import"; exit 1; }
"$dunspool" replay --root "$original" --from 2012-01-01 --to 2012-02-15 \
	> /dev/null 2>&1 || { echo "FAIL: replay"; exit 1; }
check "documents were rendered" \
	"$(sql "$original" "SELECT count(*) > 0 FROM documents
		WHERE pdf_path IS NOT NULL")" 1
check "batches were made" \
	"$(sql "$original" "SELECT count(*) > 0 FROM batches")" 1
check "no stored path is absolute" "$(sql "$original" "
	SELECT count(*) FROM documents WHERE pdf_path LIKE '/%'") $(sql \
	"$original" "SELECT count(*) FROM batches
		WHERE pdf_path LIKE '/%' OR manifest_path LIKE '/%'")" "0 0"

mkdir -p "$work/elsewhere"
cp -a "$original" "$copy"
"$dunspool" trace --verify --root "$copy" > "$work/verify" 2>&1
check "the copy verifies as it was copied" "$?" 0

batch_pdf=$("$dunspool" batch list --json --root "$copy" 2>/dev/null |
	python3 -c 'import json, sys
print (json.load (sys.stdin)["batches"][0]["pdf"])')
case "$batch_pdf" in
"$copy"/spool/outgoing/print/*.pdf) named=copy ;;
*) named="$batch_pdf" ;;
esac
check "batch list of the copy names the copy's file" "$named" copy

relative=$(sql "$copy" "SELECT pdf_path FROM documents
	WHERE pdf_path IS NOT NULL ORDER BY trace_id LIMIT 1")
pdf="$copy/spool/$relative"
chmod u+w "$pdf"
printf '%%PDF-1.4 altered in the copy\n' > "$pdf"
"$dunspool" trace --verify --root "$copy" > "$work/verify" 2>&1
check "verify of the altered copy: exit 1" "$?" 1
check "verify names the copy's file" \
	"$(grep -c -F "$pdf altered" "$work/verify")" 1
check "the failure says what failed" \
	"$(grep -c -F "verification failed: first altered or missing file: " \
	   "$work/verify")" 1
"$dunspool" trace --verify --root "$original" > "$work/verify" 2>&1
check "the original still verifies" "$?" 0

# An instance from before relative paths: absolute paths, schema 6
# (the columns later migrations add taken out again).
old="$work/old"
cp -a "$original" "$old"
sql "$old" "UPDATE documents SET pdf_path = '$old/spool/' || pdf_path
		WHERE pdf_path IS NOT NULL;
	UPDATE batches SET pdf_path = '$old/spool/' || pdf_path,
		manifest_path = '$old/spool/' || manifest_path;
	DROP INDEX documents_event_object;
	ALTER TABLE batches DROP COLUMN manifest_sha256;
	ALTER TABLE tasks DROP COLUMN outcome;
	ALTER TABLE document_items DROP COLUMN instalment;
	DROP TABLE instance;
	PRAGMA user_version = 6;"
"$dunspool" trace --verify --root "$old" > "$work/verify" 2>&1
check "an old instance verifies after its migration" "$?" 0
check "its paths are relative now" "$(sql "$old" "
	SELECT count(*) FROM documents WHERE pdf_path LIKE '/%'") $(sql \
	"$old" "SELECT count(*) FROM batches
		WHERE pdf_path LIKE '/%' OR manifest_path LIKE '/%'")" "0 0"
check "schema is current" \
	"$(sql "$old" "PRAGMA user_version" | awk '{ print ($1 > 6) }')" 1

finish
