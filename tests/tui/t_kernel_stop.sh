# t_kernel_stop.sh - `galley kernel stop` while a notebook is open: galley
# says the kernel was stopped and does not start another behind the
# user's back (that would silently lose the session's variables); edits
# made meanwhile are kept; :connect starts a new kernel and sends them.
# The status line shows only states docs/tui.md names.
. "$(dirname "$0")/lib.sh"

mkdir -p "$XDG_CONFIG_HOME/galley"
echo 'galley.set("autosave", 0)' >"$XDG_CONFIG_HOME/galley/init.lua"
printf -- '-- %%%% id="a"\nanswer = 42\nprint(answer)\n' >"$WORK/s.nb.lua"

tui_start 100 16 open s.nb.lua
tui_expect '^ NORMAL '
tui_expect ' kernel local  runtime idle '
tui_keys Enter
tui_expect '^[▎ ] +42$'
old=$(cat "$GALLEY_RUNTIME_DIR/kernel.pid")

"$GALLEY_BIN" kernel stop >/dev/null
tui_expect ' kernel stopped  runtime unknown '
tui_expect 'the kernel was stopped \(galley kernel stop\): :connect starts'
# Edits go on while it is stopped.
tui_keys A
tui_expect '^ INSERT '
tui_type ' -- kept'
tui_keys Escape
tui_expect '^ NORMAL  s\.nb\.lua \[\+\]  kernel stopped'
# No kernel comes back by itself (galley would retry every 2 s after a
# crash): watch for a while.
i=0
while [ $i -lt 60 ]; do
	[ -e "$GALLEY_RUNTIME_DIR/kernel.pid" ] &&
		fail "a kernel was started without :connect"
	sleep 0.05
	i=$((i + 1))
done
tui_expect ' kernel stopped  runtime unknown '

tui_keys :
tui_type connect
tui_keys Enter
tui_expect ' kernel local  runtime idle '
tui_expect 'reconnected to the kernel; your unsent edits were sent'
new=$(cat "$GALLEY_RUNTIME_DIR/kernel.pid")
[ "$new" != "$old" ] || fail "no new kernel"
tui_keys :
tui_type w
tui_keys Enter
tui_expect '^saved '
grep -q '^print(answer) -- kept$' "$WORK/s.nb.lua" || fail "the edit was lost"
tui_keys :
tui_type q
tui_keys Enter
tui_exit_ok
echo ok
