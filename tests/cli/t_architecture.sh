# t_architecture.sh - docs/architecture.md names every source file of the
# modules, each in the table of its directory, and names no file that is
# gone: a file added, moved or removed without a line saying what it is
# fails here, so the document cannot drift from the tree.
#
# A heading that names a directory in backquotes ("### `core/`", "## The
# kernel's files (`kernel/`)") starts that directory's part; the next
# heading without one ends it. In it, the first column of a table row
# names files of that directory in backquotes ("| `conn.c`, `conn.h` |").
set -eu
src=${GALLEY_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
doc=$src/docs/architecture.md
dirs="core lua kernel tui review client cli"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -f "$doc" ] || { echo "FAIL: no $doc" >&2; exit 1; }

# dir/file for every row's file, as the document has them.
awk '
/^#/ {
	dir = ""
	if (match($0, /`[a-z]+\/`/))
		dir = substr($0, RSTART + 1, RLENGTH - 3)
	next
}
dir != "" && /^\| *`/ {
	n = split($0, col, "|")
	cell = col[2]
	while (match(cell, /`[^`]+`/)) {
		print dir "/" substr(cell, RSTART + 1, RLENGTH - 2)
		cell = substr(cell, RSTART + RLENGTH)
	}
}' "$doc" | sort -u >"$tmp/named"

# dir/file for every source file in the tree.
for d in $dirs; do
	for f in "$src/$d"/*.c "$src/$d"/*.h; do
		[ -f "$f" ] && echo "$d/${f##*/}"
	done
done | sort -u >"$tmp/files"

fail=0
missing=$(comm -23 "$tmp/files" "$tmp/named")
if [ -n "$missing" ]; then
	echo "FAIL: docs/architecture.md has no line for:" >&2
	echo "$missing" | sed 's/^/  /' >&2
	fail=1
fi
gone=$(comm -13 "$tmp/files" "$tmp/named")
if [ -n "$gone" ]; then
	echo "FAIL: docs/architecture.md names files that do not exist:" >&2
	echo "$gone" | sed 's/^/  /' >&2
	fail=1
fi
# Every directory has a part, so a new one cannot be left out.
for d in $dirs; do
	grep -q "^#.*\`$d/\`" "$doc" || {
		echo "FAIL: docs/architecture.md has no heading for $d/" >&2
		fail=1
	}
done
[ $fail -eq 0 ] && echo "ok: docs/architecture.md names all" \
    "$(wc -l <"$tmp/files") source files"
exit $fail
