#!/bin/sh
# systemd.sh -- the unit as built: `systemd-analyze verify` finds nothing
# to say about it, `systemd-analyze security --offline=yes` rates its
# sandbox 2.0 or lower, and the one capability it keeps is CAP_LEASE.
# Neither needs a running systemd.  verify wants the ExecStart binary and
# the Documentation= pages to exist, so a copy of the unit points at the
# built daemon and a manual tree holds the pages from doc/.
set -u
builddir=${DS_BUILDDIR:-$(pwd)}
srcdir=${DS_TOP_SRCDIR:-$(dirname "$0")/..}
work=$(mktemp -d "${TMPDIR:-/tmp}/dunspool-systemd-XXXXXX")
trap 'rm -rf "$work"' EXIT
. "${DS_TOP_SRCDIR:-$(dirname "$0")/..}/tests/lib.sh"
limit=2.0

command -v systemd-analyze > /dev/null ||
	{ echo "FAIL: systemd-analyze is missing (package systemd)"; exit 1; }

unit="$work/dunspoold.service"
sed -e "s|^ExecStart=[^ ]*|ExecStart=$builddir/src/dunspoold|" \
	"$builddir/systemd/dunspoold.service" > "$unit"

mkdir -p "$work/man/man5" "$work/man/man8"
cp "$srcdir/doc/dunspool.conf.5" "$work/man/man5/"
cp "$srcdir/doc/dunspoold.8" "$work/man/man8/"
if command -v man > /dev/null; then
	man_option=--man=yes
else
	man_option=--man=no
fi

MANPATH="$work/man" systemd-analyze verify "$man_option" "$unit" \
	> "$work/verify" 2>&1
status=$?
cat "$work/verify"
check "systemd-analyze verify: exit status" "$status" 0
check "systemd-analyze verify: no diagnostics" \
	"$(grep -c . "$work/verify")" 0

systemd-analyze security --offline=yes --no-pager "$unit" \
	> "$work/security" 2>&1
grep '✗' "$work/security"
score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' \
	"$work/security")
echo "exposure: ${score:-none} (limit $limit)"
check "systemd-analyze security: exposure at most $limit" \
	"$(awk -v s="$score" -v l="$limit" \
		'BEGIN { print (s != "" && s + 0 <= l + 0) ? "yes" : "no" }')" \
	yes

# The one capability: CAP_LEASE, to tell files still being written.
check "capabilities: CAP_LEASE only" \
	"$(sed -n 's/^\(CapabilityBoundingSet\|AmbientCapabilities\)=//p' \
		"$unit" | sort -u)" CAP_LEASE

# The sysusers.d and tmpfiles.d files parse, and name the unit's paths.
if command -v systemd-sysusers > /dev/null; then
	systemd-sysusers --dry-run --root="$work/sysroot" \
		"$builddir/systemd/dunspool.sysusers.conf" > "$work/sysusers" 2>&1
	check "sysusers.d file accepted" "$?" 0
fi
for path in $(sed -n 's/^ReadWritePaths=//p' "$unit"); do
	check "tmpfiles.d creates $path" \
		"$(awk -v p="$path" '$2 == p' \
			"$builddir/systemd/dunspool.tmpfiles.conf" | wc -l)" 1
done

finish
