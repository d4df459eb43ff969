# t_remote.sh - `galley open NB --kernel HOST:PORT` with NB on this
# machine (docs/pairing.md, session.open's client_file): the kernel over
# TCP holds the session and its journal, in its own state, never next to
# the file; the status line names the kernel by its address; cells run
# there; a save writes the notebook here, keeping its mode, and refuses
# (until :w!) when someone else changed the file meanwhile, but not after
# another galley of ours saved it (doc.write). The kernel
# killed and started again on the same port loses nothing typed.
. "$(dirname "$0")/lib.sh"

mkdir -p "$XDG_CONFIG_HOME/galley"
echo 'galley.set("autosave", 0)' >"$XDG_CONFIG_HOME/galley/init.lua"
printf -- '-- %%%% id="a"\nlocal x = 41\nprint(x + 1)\n' >"$WORK/r.nb.lua"
chmod 600 "$WORK/r.nb.lua"

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
[ "$(stat -c %a "$WORK/r.nb.lua")" = 600 ] ||
	fail "the save changed the file's mode to $(stat -c %a "$WORK/r.nb.lua")"
# The kernel's journal is not next to a file it does not have.
[ ! -e "$WORK/.galley" ] || fail "the kernel made $WORK/.galley"

# A second galley of ours on the same file joins the same session; its
# save reaches the first as doc.write, which the first writes too, so
# the first's next :w finds the file as it knows it.
TUI_T=u
tui_start 100 16 open r.nb.lua --kernel "$TUI_ADDR"
tui_expect '^ NORMAL '
tui_expect '^[▎ ] print\(x \+ 1\) -- remote'
tui_keys A
tui_expect '^ INSERT '
tui_type ' -- two'
tui_keys Escape
tui_keys :
tui_type w
tui_keys Enter
tui_expect '^saved r\.nb\.lua '
tui_keys :
tui_type q
tui_keys Enter
tui_exit_ok
TUI_T=t
tui_expect 'print\(x \+ 1\) -- remote -- two'
tui_keys :
tui_type w
tui_keys Enter
tui_expect '^saved r\.nb\.lua '
grep -q '^print(x + 1) -- remote -- two$' "$WORK/r.nb.lua" ||
	fail "the second save: $(cat "$WORK/r.nb.lua")"

# Someone changes the file: :w says so and writes nothing; :w! does.
tui_keys A
tui_expect '^ INSERT '
tui_type ' -- mine'
tui_keys Escape
tui_expect '^ NORMAL '
printf -- '-- %%%% id="a"\nlocal x = 0\n' >"$WORK/r.nb.lua"
tui_keys :
tui_type w
tui_keys Enter
tui_expect 'r\.nb\.lua changed on disk since galley read it \(:w! overwrites it\)'
grep -q '^local x = 0$' "$WORK/r.nb.lua" || fail "the file was overwritten"
tui_keys :
tui_type 'w!'
tui_keys Enter
tui_expect '^saved r\.nb\.lua '
grep -q '^print(x + 1) -- remote -- two -- mine$' "$WORK/r.nb.lua" ||
	fail ":w! did not write: $(cat "$WORK/r.nb.lua")"

# The kernel dies while we type and comes back on the same port: the
# session is opened again with the file's text, the kernel's journal and
# what we typed meanwhile.
tui_keys A
tui_expect '^ INSERT '
tui_type ' one'
kill -9 "$(cat "$GALLEY_RUNTIME_DIR/kernel.pid")"
tui_type ' two'
tui_expect ' kernel lost '
tui_type ' three'
"$GALLEY_BIN" kernel --listen "$TUI_ADDR" >"$T/kernel2.out" 2>&1 &
tui_expect " kernel $TUI_ADDR " 20
tui_type ' four'
tui_keys Escape
tui_expect '^ NORMAL '
tui_keys :
tui_type w
tui_keys Enter
tui_expect '^saved r\.nb\.lua '
grep -q '^print(x + 1) -- remote -- two -- mine one two three four$' \
    "$WORK/r.nb.lua" || fail "after the restart: $(cat "$WORK/r.nb.lua")"
tui_keys :
tui_type q
tui_keys Enter
tui_exit_ok
echo ok
