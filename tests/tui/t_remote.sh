# t_remote.sh - `galley open NB --kernel HOST:PORT`: a notebook on this
# machine on a kernel reached over TCP. The status line names the kernel
# by its address, cells run there, and a save writes the notebook here.
. "$(dirname "$0")/lib.sh"

mkdir -p "$XDG_CONFIG_HOME/galley"
echo 'galley.set("autosave", 0)' >"$XDG_CONFIG_HOME/galley/init.lua"
printf -- '-- %%%% id="a"\nlocal x = 41\nprint(x + 1)\n' >"$WORK/r.nb.lua"

tui_kernel_tcp
tui_start 100 16 open r.nb.lua --kernel "$TUI_ADDR"
tui_expect '^ NORMAL '
tui_expect " r\\.nb\\.lua  kernel $TUI_ADDR  runtime idle "
tui_keys Enter
tui_expect '^[▎ ] +42$'
tui_keys Escape
tui_keys A
tui_expect '^ INSERT '
tui_type ' -- remote'
tui_keys Escape
tui_expect '^ NORMAL  r\.nb\.lua \[\+\]'
tui_keys :
tui_type w
tui_keys Enter
tui_expect '^saved r\.nb\.lua '
grep -q '^print(x + 1) -- remote$' "$WORK/r.nb.lua" ||
	fail "the save did not write the edit: $(cat "$WORK/r.nb.lua")"
tui_keys :
tui_type q
tui_keys Enter
tui_exit_ok
echo ok
