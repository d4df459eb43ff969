# t_run.sh - the day-to-day loop: open the example, run it, add a cell,
# type code (indentation comes by itself), run it, see the output, save,
# quit; reopen and find the same file bytes and the same outputs.
. "$(dirname "$0")/lib.sh"

cp "$GALLEY_SRC/examples/tour.nb.lua" "$WORK/tour.nb.lua"
cp "$WORK/tour.nb.lua" "$T/original"

tui_start 90 30 open tour.nb.lua
tui_expect '^ NORMAL +tour\.nb\.lua +kernel local +runtime'
tui_expect '\[intro\] markdown'
# Markdown is rendered: the heading without its "#", code spans without
# backticks.
tui_expect '^▎ A tour of galley$'
tui_screen | grep -q '# A tour' && fail "markdown heading shown raw"
tui_expect 'Run it headless with galley run examples/tour\.nb\.lua -p n=20\.'

# Run every cell; the last one's value shows under it.
tui_keys :
tui_expect '^:$'
tui_type 'run all'
tui_keys Enter
tui_keys G
tui_expect '^[▎ ]   total 143, mean 14\.3$'
tui_expect '\[sum\] +ok [0-9]+ms'

# A new cell below the last one, typed as a person would.
tui_keys b
tui_expect '^ INSERT '
tui_type 'local squares = {}'
tui_keys Enter
tui_type 'for i = 1, 4 do'
tui_keys Enter
tui_type 'squares[i] = i * i'
tui_keys Enter
tui_type 'end'
tui_keys Enter
tui_type 'print(table.concat(squares, " "))'
tui_expect '^▎   squares\[i\] = i \* i$'
tui_expect '^▎ end$'
tui_keys Escape
tui_expect '^ NORMAL '
tui_keys Enter
tui_expect '^▎   1 4 9 16$'
tui_expect 'tour\.nb\.lua \[\+\]'

# Save, quit.
tui_keys :
tui_type 'w'
tui_keys Enter
tui_expect 'saved tour\.nb\.lua \([0-9]+ bytes\)'
tui_screen | grep -q 'tour\.nb\.lua \[+\]' && fail "still marked unsaved"
tui_keys :
tui_type 'q'
tui_keys Enter
tui_exit_ok

# The file: the old cells byte for byte, then the new cell.
n=$(wc -c <"$T/original")
head -c "$n" "$WORK/tour.nb.lua" | cmp -s - "$T/original" ||
	fail "the cells that were not edited changed"
cat >"$T/want" <<'NB'
local squares = {}
for i = 1, 4 do
  squares[i] = i * i
end
print(table.concat(squares, " "))
NB
tail -n 5 "$WORK/tour.nb.lua" | cmp -s - "$T/want" || {
	tail -n 8 "$WORK/tour.nb.lua" >&2
	fail "the new cell is not in the file as typed"
}
tail -n 6 "$WORK/tour.nb.lua" | head -n 1 | grep -q '^-- %% id="[a-z0-9]*"$' ||
	fail "the new cell has no marker with an id"
cp "$WORK/tour.nb.lua" "$T/saved"

# Reopen: the outputs are still there, the file is untouched.
tui_kill_session
tui_start 90 30 open tour.nb.lua
tui_expect '^ NORMAL '
tui_expect '^[▎ ]   1 1 2 3 5 8 13 21 34 55$'
tui_keys G
tui_expect '^▎   1 4 9 16$'
tui_keys :
tui_type 'q'
tui_keys Enter
tui_exit_ok
cmp -s "$WORK/tour.nb.lua" "$T/saved" || fail "reopening changed the file"
echo "ok"
