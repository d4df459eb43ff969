# t_pair.sh - pairing over TCP (docs/pairing.md), with real TUIs in
# three tmux sessions: the owner A opens a notebook on a kernel that
# listens on 127.0.0.1, B joins with an editor's invite, C with a
# viewer's. B sees what A types and where A's cursor is, under A's name;
# A sees B's run and that B ran it; C's keys change nothing and C's
# status line says why; a wrong token and a revoked member are refused
# with a message. Then the kernel is killed (-9) and started again on
# the same port while A and B type: both come back, and end with the
# same text, which holds what each typed.
. "$(dirname "$0")/lib.sh"

mkdir -p "$XDG_CONFIG_HOME/galley"
echo 'galley.set("autosave", 0)' >"$XDG_CONFIG_HOME/galley/init.lua"
cat >"$WORK/pair.nb.lua" <<'NB'
-- %% id="a"
local x = 1

-- %% id="b"
print("ran b")
NB
me=$(id -un)

on() {
	TUI_T=$1
}

# invite ROLE: A's :share makes an invite for a new member with ROLE;
# INV is the invite (the box shows it in pieces at the start of its rows;
# what is beside the box shows after them), INV_NAME its member.
invite() {
	on a
	tui_keys :
	tui_type "share $1"
	tui_keys Enter
	tui_expect 'They run: galley attach INVITE'
	scr=$(tui_screen)
	INV_NAME=$(echo "$scr" | sed -n 's/.*Invite for \([^,]*\), .*/\1/p')
	INV=$(echo "$scr" | sed -n '/Invite for /,/They run: /p' |
	    sed '1d;$d' |
	    sed -n 's/^[^A-Za-z0-9_:-]\{0,3\}\([A-Za-z0-9_:-]\{8,\}\).*/\1/p' |
	    tr -d '\n')
	[ -n "$INV_NAME" ] && [ -n "$INV" ] || fail "no invite on the screen"
	tui_keys Escape
	tui_expect_gone 'They run: '
}

tui_kernel_tcp
port=${TUI_ADDR##*:}

on a
tui_start 100 16 open pair.nb.lua --kernel "$TUI_ADDR"
tui_expect '^ NORMAL '
tui_expect " kernel $TUI_ADDR "

invite editor
bob=$INV_NAME
on b
tui_start 100 16 attach "$INV"
tui_expect '^ NORMAL '
tui_expect "attached to .*pair\\.nb\\.lua as $bob"
on a
tui_expect "$bob joined"

# A types at the end of cell a: B sees the text, and A's cursor with
# A's name after the row.
tui_keys A
tui_expect '^ INSERT '
tui_type ' -- from A'
on b
tui_expect "^.*local x = 1 -- from A +$me\$"
tui_expect "$me +editing a"
on a
tui_keys Escape
tui_expect '^ NORMAL '

# B runs cell b: A sees the output and that bob ran it.
on b
tui_keys j
tui_expect '2/2'
tui_keys Enter
tui_expect '^[▎ ] +ran b$'
on a
tui_expect '^[▎ ] +ran b$'
tui_expect "\\[b\\].* by $bob"
on b
tui_expect '^ NORMAL  pair\.nb\.lua \[\+\]  kernel '

# C, a viewer: keys that would edit or run change nothing, and say why;
# the status line says C is a viewer.
invite viewer
cy=$INV_NAME
on c
tui_start 100 16 attach "$INV"
tui_expect '^ NORMAL '
tui_expect ' viewer '
tui_keys A
tui_expect "$cy is a viewer here: you can read and follow, not edit"
tui_expect '^ NORMAL '
tui_type 'zzz'
tui_keys Escape
tui_keys d d
tui_keys Enter
tui_expect "$cy is a viewer here: you can read and follow, not run cells"
tui_expect '^[▎ ] local x = 1 -- from A$'
on a
tui_expect "$cy joined"
tui_expect '^[▎ ] local x = 1 -- from A$'
tui_expect_gone 'zzz'

# Revoked: C is told, at once, and stops trying.
"$GALLEY_BIN" kernel member remove "$cy" >/dev/null ||
	fail "could not remove $cy"
on c
tui_expect "the owner revoked your access: member $cy was removed"
tui_expect ' kernel revoked '
tui_keys :
tui_type 'q!'
tui_keys Enter
tui_exit
on a
tui_expect "$cy left"

# A wrong token is refused with a message, and galley exits.
on d
TUI_ENV="GALLEY_MEMBER=$bob GALLEY_TOKEN=$(printf '%064d' 0)" \
    tui_start 100 16 open pair.nb.lua --kernel "$TUI_ADDR"
tui_exit
[ "$TUI_STATUS" = 4 ] || fail "a wrong token: status $TUI_STATUS, not 4"
tui_expect 'galley: .*(refused|token|auth)'

# The cut: the kernel is killed while both type, and started again on
# the same port. Both reconnect by themselves (B finds the session again
# by its notebook, once A has opened it), send what they typed, and end
# with the same text.
on a
tui_keys k
tui_expect '1/2'
on b
tui_keys k
tui_expect '1/2'
kpid=$(cat "$GALLEY_RUNTIME_DIR/kernel.pid")
kill -9 "$kpid"
on a
tui_expect ' kernel lost '
tui_keys A
tui_expect '^ INSERT '
tui_type ' A2'
on b
tui_expect ' kernel lost '
tui_keys i
tui_expect '^ INSERT '
tui_type 'B2 '
"$GALLEY_BIN" kernel --listen "$TUI_ADDR" >"$T/kernel2.out" 2>&1 &
on a
tui_expect " kernel $TUI_ADDR " 20
tui_type ' A3'
tui_keys Escape
on b
tui_expect " kernel $TUI_ADDR " 20
tui_type 'B3 '
tui_keys Escape
want='^[▎ ] B2 B3 local x = 1 -- from A A2 A3$'
tui_expect "$want"
tui_expect '^[▎ ] +print\("ran b"\)$'
on a
tui_expect "$want"
tui_keys :
tui_type w
tui_keys Enter
tui_expect '^saved pair\.nb\.lua'
grep -q '^B2 B3 local x = 1 -- from A A2 A3$' "$WORK/pair.nb.lua" ||
	fail "the saved file: $(cat "$WORK/pair.nb.lua")"
tui_keys :
tui_type q
tui_keys Enter
tui_exit_ok
on b
tui_expect "$me left"
tui_keys :
tui_type q
tui_keys Enter
tui_exit_ok
echo ok
