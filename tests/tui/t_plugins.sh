# t_plugins.sh - plugins in the terminal UI: a user plugin adds a command
# (`:hello`, with its argument completed by Tab), a key bound to it, a
# status-line part and a view (a pager); a plugin whose command fails
# says so with its file and line, and one that loops is stopped and
# disabled while galley goes on; a plugin that does not load is named on
# the message line at start.
. "$(dirname "$0")/lib.sh"

P="$XDG_CONFIG_HOME/galley/plugins"
mkdir -p "$P"
cat >"$P/hello.lua" <<'LUA'
local n = 0
galley.command{ name = "hello", args = "[NAME]", help = "say hello",
  complete = { "world", "wide" },
  run = function(arg)
    local nb = galley.notebook()
    return "hello " .. (arg or "you") .. " in " .. nb.cell
  end }
galley.keymap.set("normal", "gh", "hello key")
galley.status{ name = "ticks", every = 0.5, render = function()
  n = n + 1
  return "plug-status"
end }
galley.view{ name = "todo", title = "TODO list", render = function()
  return "# Things\nbuy milk\nwrite docs"
end }
galley.command{ name = "boom", run = function()
  local t = nil
  return t.x
end }
galley.command{ name = "spin", run = function()
  while true do end
end }
LUA
cat >"$P/broken.lua" <<'LUA'
galley.command{ name = "nope" }
LUA
cat >"$XDG_CONFIG_HOME/galley/init.lua" <<'LUA'
plugins = { budget = 200000, enable = { "usage_status" } }
LUA
printf -- '-- %%%% id="first"\n1\n' >"$WORK/p.nb.lua"

tui_start 110 16 open p.nb.lua
# The broken plugin is named, with its file and line.
tui_expect "plugin broken: ~/\.config/galley/plugins/broken\.lua:1: galley\.command: run must be a function"
tui_expect 'plug-status'
# The bundled usage_status part asks the kernel (usage.report).
tui_expect 'cluster 0 s today'
tui_keys :
tui_type 'hello wor'
tui_keys Tab
tui_expect '^:hello world$'
tui_keys Enter
tui_expect 'hello world in first'
tui_keys g h
tui_expect 'hello key in first'
# A view opens the pager with its title; q closes it.
tui_keys :
tui_type 'todo'
tui_keys Enter
tui_expect 'TODO list'
tui_expect 'buy milk'
tui_keys q
tui_expect '^ NORMAL '
# An error names the file and line; galley goes on.
tui_keys :
tui_type 'boom'
tui_keys Enter
tui_expect "plugin hello: ~/\.config/galley/plugins/hello\.lua:18: attempt to index a nil value"
# A loop is stopped and the plugin disabled.
tui_keys :
tui_type 'spin'
tui_keys Enter
tui_expect 'plugin hello disabled: command spin ran too long'
tui_keys :
tui_type 'hello'
tui_keys Enter
tui_expect 'plugin hello is disabled'
tui_expect_gone 'plug-status'
# The notebook still works.
tui_keys Enter
tui_expect '\[first\] +ok'
tui_keys :
tui_type 'q'
tui_keys Enter
tui_exit_ok

# galley plugins: both sides, the failure named; exit 1.
cd "$WORK"
if "$GALLEY_BIN" plugins >"$T/plugins.out" 2>&1; then
	fail "galley plugins exited 0 with a broken plugin"
fi
grep -q '^terminal UI:$' "$T/plugins.out" || fail "no TUI list"
grep -q '^  broken  *failed ' "$T/plugins.out" || fail "broken not listed"
grep -q 'command hello, status ticks, view todo, command boom, command spin, key normal gh' \
    "$T/plugins.out" || fail "what hello provides is not listed"
"$GALLEY_BIN" plugins --json >"$T/plugins.json" 2>&1 || true
grep -q '"state": "failed"' "$T/plugins.json" || fail "no JSON state"
echo ok
