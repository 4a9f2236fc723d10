#!/bin/sh
# manpages.sh -- dunspool.conf(5) documents every group and key of the
# configuration `dunspool init` writes (commented-out examples too), the
# pages' journalctl examples name trace ids, and the pages format
# without warnings.
set -u
builddir=${DS_BUILDDIR:-$(pwd)}
srcdir=${DS_TOP_SRCDIR:-$(dirname "$0")/..}
work=$(mktemp -d "${TMPDIR:-/tmp}/dunspool-man-XXXXXX")
trap 'rm -rf "$work"' EXIT
page="$srcdir/doc/dunspool.conf.5"
. "${DS_TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"

"$builddir/src/dunspool" init "$work/root" > /dev/null || exit 1
conf="$work/root/dunspool.conf"

# Keys: "key = value" lines, commented or not.  Groups: "[name" with
# the group's own name, not a step's or a segment's.
sed -n 's/^#\{0,1\}\([a-z_]*\) = .*/\1/p' "$conf" | sort -u > "$work/keys"
sed -n 's/^#\{0,1\}\[\([a-z]*\).*/\1/p' "$conf" | sort -u > "$work/groups"
grep '^\.' "$page" > "$work/macros"
missing=""
for key in $(cat "$work/keys"); do
	grep -qw -- "$key" "$work/macros" || missing="$missing $key"
done
check "every key documented" "${missing:-none}" none
missing=""
for group in $(cat "$work/groups"); do
	grep -q "^\.SH \"\{0,1\}\[$group" "$page" || missing="$missing $group"
done
check "every group has a section" "${missing:-none}" none
check "keys found in the default configuration" \
	"$(awk 'END { print (NR >= 30) }' "$work/keys")" 1

# The pages' journalctl examples match documents by the ids dunspool
# gives them: DS and ten characters of its alphabet (digits and capitals
# without I, L, O, U), never a customer's or an invoice's id.
bad=$(grep -ho 'DUNSPOOL_TRACE_ID=[^ ]*' "$srcdir"/doc/*.[1-8] |
	sed 's/^DUNSPOOL_TRACE_ID=//' |
	grep -vx 'DS[0-9ABCDEFGHJKMNPQRSTVWXYZ]\{10\}' | tr '\n' ' ')
check "journalctl examples name trace ids" "${bad:-none}" none
check "a journalctl example is there to check" \
	"$(grep -c 'DUNSPOOL_TRACE_ID=' "$srcdir/doc/dunspoold.8")" 1

if command -v man > /dev/null; then
	for source in "$srcdir"/doc/*.[1-8]; do
		MANWIDTH=80 man --warnings -l "$source" 2>&1 > /dev/null |
			grep -v '^$' > "$work/warnings"
		check "$(basename "$source") formats cleanly" \
			"$(grep -c . "$work/warnings")" 0
	done
fi

finish
