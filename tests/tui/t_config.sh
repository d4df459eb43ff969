# t_config.sh - ~/.config/galley/init.lua rebinds keys; an error in it is
# shown with its file and line and does not stop galley.
. "$(dirname "$0")/lib.sh"

mkdir -p "$XDG_CONFIG_HOME/galley"
cat >"$XDG_CONFIG_HOME/galley/init.lua" <<'LUA'
galley.keymap.set("normal", "Q", "q!")
galley.keymap.set("normal", "<C-j>", "move-down")

galley.keymap.set("normal", "W", "wirte")
LUA
printf -- '-- %%%% id="a"\n1\n\n-- %%%% id="b"\n2\n' >"$WORK/c.nb.lua"

tui_start 100 16 open c.nb.lua
tui_expect 'init\.lua:4: unknown command .wirte.'
tui_keys C-j
tui_expect '2/2'
# :help opens the help, which lists the user's binding.
tui_type ':help'
tui_keys Enter
tui_expect 'galley help'
tui_keys Space
tui_expect '^  J, <C-j> +move the cell down$'
tui_keys q
tui_expect '^ NORMAL '
# :map binds for the session; Tab completes commands.
tui_keys :
tui_type 'map normal X escape'
tui_keys Enter
tui_expect 'normal X: escape'
tui_keys :
tui_type 'run-n'
tui_keys Tab
tui_expect '^:run-next$'
tui_keys Escape
tui_expect_gone '^:run-next$'
tui_keys Q
tui_exit_ok

# A notebook that does not parse: the message names the line, nothing
# is written, the exit status says bad input.
printf -- '-- %%%% id="a"\nx = 1\n-- %%%% id="a"\ny = 2\n' >"$WORK/bad.nb.lua"
cp "$WORK/bad.nb.lua" "$T/bad"
tui_kill_session
tui_start 100 16 open bad.nb.lua
tui_expect 'galley: .*bad\.nb\.lua:3'
tui_exit
[ "$TUI_STATUS" = 3 ] || fail "exit status $TUI_STATUS for a bad notebook"
cmp -s "$WORK/bad.nb.lua" "$T/bad" || fail "the bad notebook was changed"

# Not on a terminal: a clear refusal.
if "$GALLEY_BIN" open bad.nb.lua </dev/null >"$T/out" 2>&1; then
	fail "galley open ran without a terminal"
fi
grep -q 'needs a terminal' "$T/out" || fail "no message without a terminal"
echo ok
