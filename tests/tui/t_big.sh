# t_big.sh - a notebook bigger than one reply (issue 10): the TUI paints
# its first cells while the rest is still being read ("reading cells" on
# the status line), an edit made meanwhile is kept, G then reaches the
# last cell, which can be edited, and :w writes every cell with both
# edits and nothing else changed.
. "$(dirname "$0")/lib.sh"

mkdir -p "$XDG_CONFIG_HOME/galley"
echo 'galley.set("autosave", 0)' >"$XDG_CONFIG_HOME/galley/init.lua"
# 30,000 cells of ten 100-byte lines: about 30 MB, four pages of 8 MB.
awk 'BEGIN {
	x = sprintf("%84s", ""); gsub(/ /, "x", x)
	for (i = 0; i < 30000; i++) {
		printf "-- %%%% id=\"c%07d\"\n", i
		for (j = 0; j < 10; j++)
			printf "t[#t + 1] = \"%s\"\n", x
		printf "\n"
	}
}' >"$WORK/big.nb.lua"
cp "$WORK/big.nb.lua" "$T/original"

tui_start 120 20 open big.nb.lua
# The first page is painted before the last one came.
tui_expect 'reading cells \([0-9]+ so far\)' 120
tui_expect '^ NORMAL '
# An edit while the rest comes: kept, sent once every cell is there.
tui_keys A
tui_expect '^ INSERT '
tui_keys Enter
tui_type 'first = true'
tui_keys Escape
tui_expect '^ NORMAL  big\.nb\.lua \[\+\]'
tui_expect_gone 'reading cells' 120
tui_keys G
tui_expect ' 30000/30000 *$'
tui_keys A
tui_expect '^ INSERT '
tui_keys Enter
tui_type 'last = true'
tui_keys Escape
tui_expect '^▎ last = true$'
tui_keys :
tui_type w
tui_keys Enter
tui_expect 'saved big\.nb\.lua' 120

# Both edits, where they were made; every other line as it was.
[ "$(grep -n '^first = true$' "$WORK/big.nb.lua" | cut -d: -f1)" = 12 ] ||
    fail "the first cell's edit is not at line 12"
[ "$(grep -c '^last = true$' "$WORK/big.nb.lua")" = 1 ] ||
    fail "the last cell's edit is not in the file"
[ "$(tail -n 1 "$WORK/big.nb.lua")" = 'last = true' ] ||
    fail "the last cell's edit is not at its end"
# (A changed last cell is printed without the blank line after it.)
sed '$d' "$T/original" >"$T/expect"
grep -vx 'first = true' "$WORK/big.nb.lua" | grep -vx 'last = true' |
    cmp -s - "$T/expect" || fail ":w changed other lines"
tui_keys :
tui_type q
tui_keys Enter
tui_exit_ok
