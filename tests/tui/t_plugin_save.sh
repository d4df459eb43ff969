# t_plugin_save.sh - a project plugin's before_save hook as the terminal
# UI meets it: a warning is shown on the message line when :w saves (the
# kernel sends it back in doc.save's answer), and a refusal says why and
# saves nothing.
. "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/.galley/plugins"
cat >"$WORK/.galley/plugins/tidy.lua" <<'LUA'
galley.on("before_save", function(ev)
  if ev.text:find("FORBIDDEN", 1, true) then
    return false, "no FORBIDDEN in this project"
  end
  if ev.text:find("TODO", 1, true) then
    galley.warn("a TODO is left in " .. ev.notebook:match("[^/]*$"))
  end
end)
LUA
printf -- '-- %%%% id="first"\nx = 1\n' >"$WORK/s.nb.lua"

tui_start 100 14 open s.nb.lua
tui_expect '\[first\]'
tui_keys i
tui_type '-- TODO'
tui_keys Escape
tui_expect '^ NORMAL '
tui_keys :
tui_type 'w'
tui_keys Enter
tui_expect 'saved, but: plugin tidy: a TODO is left in s\.nb\.lua'
grep -q 'TODO' "$WORK/s.nb.lua" || fail "the warned save did not write"
tui_keys i
tui_type ' FORBIDDEN'
tui_keys Escape
tui_expect '^ NORMAL '
tui_keys :
tui_type 'w'
tui_keys Enter
tui_expect 'not saved: .*no FORBIDDEN in this project'
if grep -q 'FORBIDDEN' "$WORK/s.nb.lua"; then
	fail "a refused save wrote the file"
fi
tui_keys :
tui_type 'q!'
tui_keys Enter
tui_exit
echo ok
