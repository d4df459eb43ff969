# t_reconnect.sh - typing while the kernel dies and comes back loses
# nothing and doubles nothing: words typed before a kill -9 of the kernel
# (some acknowledged, one edit perhaps in flight), while it is away and
# after galley started a new one all end up in the saved file, once
# each, in order. Then with no kernel reachable at all, :w! writes
# galley's own copy to the file, which wins when the kernel is back.
. "$(dirname "$0")/lib.sh"

mkdir -p "$XDG_CONFIG_HOME/galley"
echo 'galley.set("autosave", 0)' >"$XDG_CONFIG_HOME/galley/init.lua"
printf -- '-- %%%% id="a"\nlocal words = {}\n' >"$WORK/r.nb.lua"

kernel_pid() {
	cat "$GALLEY_RUNTIME_DIR/kernel.pid" 2>/dev/null || true
}

# type_words FROM TO: types " wFROM ... wTO", one word at a time.
type_words() {
	i=$1
	while [ "$i" -le "$2" ]; do
		tui_type " w$(printf %02d "$i")"
		i=$((i + 1))
	done
}

tui_start 100 16 open r.nb.lua
tui_expect '^ NORMAL '
tui_keys A
tui_expect '^ INSERT '
type_words 1 20
old=$(kernel_pid)
[ -n "$old" ] || fail "no kernel pid"
# Killed while the words are still arriving; galley says so at once
# and keeps what is typed meanwhile.
kill -9 "$old"
type_words 21 30
tui_expect 'kernel lost  runtime unknown'
tui_expect 'lost the kernel; reconnecting; your edits are kept'
type_words 31 50
# galley starts a new kernel by itself and sends what it kept.
tui_expect 'kernel local' 20
tui_expect 'reconnected to the kernel'
type_words 51 60
tui_expect ' w60$'
tui_keys Escape
tui_expect '^ NORMAL '
[ "$(kernel_pid)" != "$old" ] || fail "the kernel was not restarted"
tui_keys :
tui_type w
tui_keys Enter
tui_expect '^saved '
i=1
while [ $i -le 60 ]; do
	w=$(printf 'w%02d' "$i")
	n=$(grep -o " $w\b" "$WORK/r.nb.lua" | wc -l)
	[ "$n" -eq 1 ] || { cat "$WORK/r.nb.lua" >&2; fail "$w is there $n times"; }
	i=$((i + 1))
done
line=$(grep '^local words' "$WORK/r.nb.lua")
want="local words = {}"
i=1
while [ $i -le 60 ]; do
	want="$want $(printf 'w%02d' "$i")"
	i=$((i + 1))
done
[ "$line" = "$want" ] || fail "the words are out of order: $line"

# No kernel can be reached: a file where the runtime directory should be
# keeps a new one from starting. The edits stay, :w! writes them.
kill -9 "$(kernel_pid)"
mv "$GALLEY_RUNTIME_DIR" "$T/run.away"
: >"$GALLEY_RUNTIME_DIR"
tui_keys b
tui_expect '^ INSERT '
tui_type 'kept = true'
tui_keys Escape
tui_expect 'kernel lost'
tui_expect '^ NORMAL '
tui_keys :
tui_type w
tui_keys Enter
tui_expect 'no kernel: not saved'
tui_keys :
tui_type q
tui_keys Enter
tui_expect 'edits the kernel has not got: :w! writes them'
tui_keys :
tui_type 'w!'
tui_keys Enter
tui_expect 'no kernel: wrote galley.s copy'
grep -q '^kept = true$' "$WORK/r.nb.lua" || fail ":w! did not write the edit"
ls "$WORK" | grep -q '\.tmp\.' && fail ":w! left a temporary file"
# The kernel comes back (with its journal, which lacks the last edit):
# galley's copy wins, and the session ends up saved.
rm "$GALLEY_RUNTIME_DIR"
mv "$T/run.away" "$GALLEY_RUNTIME_DIR"
tui_expect 'kernel local' 20
tui_expect_gone '\[\+\]'
grep -q '^kept = true$' "$WORK/r.nb.lua" || fail "the kernel lost the edit"
grep -q ' w60$' "$WORK/r.nb.lua" || fail "the kernel lost the words"
tui_keys :
tui_type q
tui_keys Enter
tui_exit_ok
echo ok
