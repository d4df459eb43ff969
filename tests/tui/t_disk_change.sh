# t_disk_change.sh - the notebook changes on disk while it is open (here
# another editor writes a new file and renames it over the notebook): with
# no unsaved edits galley reloads it; with unsaved edits it merges by cell
# (the other editor's cell and ours both stay); a cell both changed comes
# back as a conflict cell, marked, with both texts, and a save writes it
# as it is. Nothing is overwritten silently. A second TUI on the same
# notebook shows when the kernel has our edits.
. "$(dirname "$0")/lib.sh"

mkdir -p "$XDG_CONFIG_HOME/galley"
echo 'galley.set("autosave", 0)' >"$XDG_CONFIG_HOME/galley/init.lua"
printf -- '-- %%%% id="a"\nx = 1\n\n-- %%%% id="b"\ny = 1\n' >"$WORK/d.nb.lua"

# other TEXT: what another editor does.
other() {
	printf -- "$1" >"$WORK/.d.nb.lua.new"
	mv "$WORK/.d.nb.lua.new" "$WORK/d.nb.lua"
}

TUI_T=u
tui_start 80 16 open d.nb.lua
tui_expect '^ NORMAL '
TUI_T=t
tui_start 80 16 open d.nb.lua
tui_expect '^ NORMAL '

# No unsaved edits: reloaded.
other '-- %%%% id="a"\nx = 1\n\n-- %%%% id="b"\ny = 2\n'
tui_expect '^  y = 2$'
tui_expect 'd\.nb\.lua changed on disk: reloaded'
tui_expect_gone '\[\+\]'

# An unsaved edit of cell a (the kernel has it once the other TUI shows
# it), then cell b changes on disk: merged, both stay.
tui_keys A
tui_expect '^ INSERT '
tui_type ' + 1'
tui_keys Escape
tui_expect '^ NORMAL  d\.nb\.lua \[\+\]'
TUI_T=u
tui_expect '^[▎ ] x = 1 \+ 1$'
TUI_T=t
other '-- %%%% id="a"\nx = 1\n\n-- %%%% id="b"\ny = 3\n'
tui_expect 'changed on disk: merged with the unsaved edits by cell'
tui_expect '^▎ x = 1 \+ 1$'
tui_expect '^  y = 3$'
tui_expect '^ NORMAL  d\.nb\.lua \[\+\]'

# Both change cell a: a conflict cell with both texts.
tui_keys A
tui_expect '^ INSERT '
tui_type ' + 2'
tui_keys Escape
tui_expect '^ NORMAL '
TUI_T=u
tui_expect '^[▎ ] x = 1 \+ 1 \+ 2$'
TUI_T=t
other '-- %%%% id="a"\nx = 5\n\n-- %%%% id="b"\ny = 3\n'
tui_expect '1 cell both changed'
# (The other TUI's name, at [a] too, comes before the state.)
tui_expect "\\[a\\] +($(id -un) +)?conflict"
tui_expect '^▎ <<<<<<< on disk$'
tui_expect '^▎ x = 5$'
tui_expect '^▎ x = 1 \+ 1 \+ 2$'
tui_expect '^▎ >>>>>>> unsaved edits$'
# The other editor's file is untouched until we save; a save needs no
# force (the kernel has taken the file in) and writes the conflict cell.
grep -q '^x = 5$' "$WORK/d.nb.lua" || fail "the file on disk was changed"
tui_keys :
tui_type w
tui_keys Enter
tui_expect "^saved .*d\\.nb\\.lua"
grep -q '^-- %% id="a" conflict=true$' "$WORK/d.nb.lua" ||
	fail "the conflict cell was not saved"
grep -q '^x = 1 + 1 + 2$' "$WORK/d.nb.lua" || fail "our text was lost"
grep -q '^x = 5$' "$WORK/d.nb.lua" || fail "their text was lost"
grep -q '^y = 3$' "$WORK/d.nb.lua" || fail "cell b was lost"

# The kernel dies with an acknowledged, unsaved edit of cell b, and the
# file changes while it is down: the next kernel merges its journal into
# the new file by cell, and galley says so when it is back.
tui_keys j A
tui_expect '^ INSERT '
tui_type ' -- ours'
tui_keys Escape
tui_expect '^ NORMAL  d\.nb\.lua \[\+\]'
TUI_T=u
tui_expect '^[▎ ] y = 3 -- ours$'
tui_keys :
tui_type 'q!'
tui_keys Enter
tui_exit_ok
TUI_T=t
kill -9 "$(cat "$GALLEY_RUNTIME_DIR/kernel.pid")"
tui_expect 'kernel lost'
other '-- %%%% id="a"\nx = 6\n\n-- %%%% id="b"\ny = 3\n'
tui_expect 'kernel local' 20
tui_expect 'reconnected: .*changed on disk after .*: merged by cell'
tui_expect '^  x = 6$'
tui_expect '^▎ y = 3 -- ours$'
tui_keys :
tui_type w
tui_keys Enter
tui_expect "^saved .*d\\.nb\\.lua"
printf -- '-- %%%% id="a"\nx = 6\n\n-- %%%% id="b"\ny = 3 -- ours\n' \
    >"$T/want"
cmp -s "$T/want" "$WORK/d.nb.lua" || fail "not both sides: $(cat "$WORK/d.nb.lua")"
tui_keys :
tui_type 'q'
tui_keys Enter
tui_exit_ok
echo ok
