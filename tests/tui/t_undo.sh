# t_undo.sh - cells: delete and undo (with the outputs back), redo, move,
# copy and paste, switch kind; undo in the editor; all of it saved.
. "$(dirname "$0")/lib.sh"

cat >"$WORK/cells.nb.lua" <<'NB'
-- %% id="a"
print("A")

-- %% id="b"
print("B")

-- %% id="c"
print("C")
NB

tui_start 80 24 open cells.nb.lua
tui_expect '^ NORMAL '
tui_keys :
tui_type 'run all'
tui_keys Enter
tui_expect '^[▎ ]   C$'
tui_keys j
tui_expect '2/3'

# dd deletes b; u brings it back with its output; Ctrl-R deletes again.
tui_keys d d
tui_expect 'deleted 1 cell \(u undoes\)'
tui_expect_gone '\[b\]'
tui_keys u
tui_expect '^▎ \[b\]'
tui_expect '^▎   B$'
tui_keys C-r
tui_expect_gone '\[b\]'
tui_keys u
tui_expect '^▎ \[b\]'

# J moves b below c; K moves it back.
tui_keys J
tui_expect '3/3'
tui_screen | grep -A3 '\[c\]' | grep -q '\[b\]' || fail "b is not below c"
tui_keys K
tui_expect '2/3'

# yy then p: a copy of b below it, with a new id.
tui_keys y y
tui_expect 'copied 1 cell'
tui_keys p
tui_expect 'pasted 1 cell'
tui_expect '3/4'
# m: the copy becomes markdown; its text renders.
tui_keys m
tui_expect '\[[a-z0-9]{8}\] markdown'
tui_expect '^▎ print\("B"\)$'

# Editing undo: type, Ctrl-Z in the editor takes it back.
tui_keys k k i
tui_expect '^ INSERT '
tui_keys End
tui_type ' -- note'
tui_expect 'print\("A"\) -- note'
tui_keys C-z
tui_expect_gone ' -- note'
tui_keys Escape
tui_expect '^ NORMAL '

tui_keys :
tui_type 'wq'
tui_keys Enter
tui_exit_ok
cat >"$T/want" <<'NB'
-- %% id="a"
print("A")

-- %% id="b"
print("B")

NB
head -n 6 "$WORK/cells.nb.lua" | cmp -s - "$T/want" ||
	fail "cells a and b are not as they were"
grep -q '^-- %% \[markdown\] id="[a-z0-9]*"$' "$WORK/cells.nb.lua" ||
	fail "the pasted markdown cell is not in the file"
grep -q '^-- print("B")$' "$WORK/cells.nb.lua" ||
	fail "the pasted cell's text is not in the file"
tail -n 2 "$WORK/cells.nb.lua" | grep -q '^print("C")$' ||
	fail "c is not last"
echo ok
