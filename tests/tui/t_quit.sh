# t_quit.sh - quitting warns about unsaved or running work; :q! leaves
# anyway (the kernel keeps the unsaved edits: reopening shows them); :wq
# saves; with autosave on (the default), :q saves first.
. "$(dirname "$0")/lib.sh"

mkdir -p "$XDG_CONFIG_HOME/galley"
echo 'galley.set("autosave", 0)' >"$XDG_CONFIG_HOME/galley/init.lua"
printf -- '-- %%%% id="a"\nx = 1\n' >"$WORK/q.nb.lua"
cp "$WORK/q.nb.lua" "$T/original"

tui_start 80 16 open q.nb.lua
tui_expect '^ NORMAL '
tui_keys A
tui_expect '^ INSERT '
tui_keys Enter
tui_type 'y = 2'
tui_keys Escape
tui_expect '^ NORMAL  q\.nb\.lua \[\+\]'
tui_keys :
tui_type q
tui_keys Enter
tui_expect 'unsaved changes: :w saves, :wq saves and quits, :q! quits'
tui_keys :
tui_type 'q!'
tui_keys Enter
tui_exit_ok
cmp -s "$WORK/q.nb.lua" "$T/original" || fail ":q! wrote the file"

# The kernel kept the edit.
tui_kill_session
tui_start 80 16 open q.nb.lua
tui_expect '^▎ y = 2$'
tui_expect '^ NORMAL  q\.nb\.lua \[\+\]'

# A running cell: :q warns, Ctrl-C, then :wq saves and quits.
tui_keys b
tui_expect '^ INSERT '
tui_type 'while true do end'
tui_keys Escape
tui_expect '^ NORMAL '
tui_keys Enter
tui_expect 'running'
tui_keys :
tui_type q
tui_keys Enter
tui_expect 'is running: Ctrl-C interrupts it'
tui_keys C-c
tui_expect 'interrupted'
tui_keys :
tui_type wq
tui_keys Enter
tui_exit_ok
grep -q '^y = 2$' "$WORK/q.nb.lua" || fail ":wq did not save"
grep -q '^while true do end$' "$WORK/q.nb.lua" || fail ":wq did not save"

# Autosave on (no init.lua): :q saves by itself.
rm "$XDG_CONFIG_HOME/galley/init.lua"
tui_kill_session
tui_start 80 16 open q.nb.lua
tui_expect '^ NORMAL '
tui_keys gg A
tui_expect '^ INSERT '
tui_type ' -- kept'
tui_keys Escape
tui_expect '^ NORMAL '
tui_keys :
tui_type q
tui_keys Enter
tui_exit_ok
grep -q '^y = 2 -- kept$' "$WORK/q.nb.lua" || fail ":q did not save first"
echo ok
