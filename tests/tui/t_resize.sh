# t_resize.sh - the layout follows the window at any moment, also while
# editing and while a cell prints; UTF-8 with wide and combining
# characters is laid out and typed correctly.
. "$(dirname "$0")/lib.sh"

cat >"$WORK/wide.nb.lua" <<'NB'
-- %% [markdown] id="m"
-- # 日本語 and café
-- A line long enough to be wrapped at the width of a narrow window, word by word.

-- %% id="code"
for i = 1, 30 do print(("row %02d"):format(i)) end
NB

tui_start 80 20 open wide.nb.lua
tui_expect '^ NORMAL '
tui_expect '^▎ 日本語 and café$'
tui_keys j Enter
tui_expect '^[▎ ]   row 10$'
tui_expect 'more lines \(o: unfold\)'

# Narrow: the markdown wraps at words, the status line still fits.
tmx resize-window -t t -x 40 -y 12
tui_expect '^ NORMAL  wide\.nb\.lua'
tui_keys k
tui_expect '^▎ A line long enough to be wrapped at$'
tui_expect '^ NORMAL  wide\.nb\.lua'
[ "$(tui_screen | wc -l)" -eq 12 ] || fail "not 12 rows"
[ "$(tui_screen | wc -L)" -le 40 ] || fail "a row is wider than the window"

# Wide again, in the middle of editing: the cursor cell stays visible.
tui_keys j i
tui_expect '^ INSERT '
tmx resize-window -t t -x 100 -y 30
tui_expect '^ INSERT  wide\.nb\.lua'
tui_keys End
tui_type ' -- 日本 é'
tui_expect 'print\(\("row %02d"\):format\(i\)\) end -- 日本 é$'
tui_keys Escape
tui_expect '^ NORMAL '
# The edit made the outputs stale; o unfolds them, PageDown scrolls.
tui_expect '\[code\] +stale  ok'
tui_keys o
tui_expect '^[▎ ]   row 26$'
tui_keys PageDown
tui_expect '^[▎ ]   row 30$'
tui_expect '\(30 lines; o: fold\)'
tmx resize-window -t t -x 30 -y 8
tui_expect '^ NORMAL '
tui_keys :
tui_type wq
tui_keys Enter
tui_exit_ok
grep -q '^for i = 1, 30 do print(("row %02d"):format(i)) end -- 日本 é$' \
    "$WORK/wide.nb.lua" || fail "the UTF-8 text did not reach the file"
echo ok
