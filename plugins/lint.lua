-- lint: warns when a cell assigns a global variable.
--
-- In a notebook a cell's top-level `local`s stay visible to the cells
-- after it, so a global is rarely what one means: a typo or a missing
-- `local` leaks a name into every later cell and every cluster task.
-- After each run of a code cell this plugin reads the cell's source and
-- warns (in the cell's output) about names it assigns that no `local`
-- declared, in that cell or in a cell run before in the same session.
--
-- A simple line-based reader, not a parser: it sees `name = ...`,
-- `a, b = ...` and `function name(...)` at the start of a line.
--
-- Enable it:  plugins = { enable = { "lint" } }
-- Settings:   plugins = { lint = { allow = { "config" } } }
--             (names that may be global)

local allow = {}
for _, name in ipairs(galley.settings.allow or {}) do
  allow[name] = true
end

-- Locals declared so far in each session (a later cell may assign a
-- name an earlier cell declared: in the script that is the same local).
local declared = {}

-- The code with comments and strings blanked out (their text is not
-- code); newlines stay, so lines keep their numbers.
local function strip(src)
  local out, i, n = {}, 1, #src
  while i <= n do
    local c = src:sub(i, i)
    local long = src:match("^%[(=*)%[", c == "-" and i + 2 or i)
    if c == "-" and src:sub(i + 1, i + 1) == "-" then
      local e
      if long then
        e = select(2, src:find("]" .. long .. "]", i, true)) or n
      else
        e = (src:find("\n", i, true) or n + 1) - 1
      end
      out[#out + 1] = (src:sub(i, e):gsub("[^\n]", ""))
      i = e + 1
    elseif c == "[" and long then
      local e = select(2, src:find("]" .. long .. "]", i, true)) or n
      out[#out + 1] = '""' .. (src:sub(i, e):gsub("[^\n]", ""))
      i = e + 1
    elseif c == '"' or c == "'" then
      local j = i + 1
      while j <= n do
        local d = src:sub(j, j)
        if d == "\\" then
          j = j + 2
        elseif d == c or d == "\n" then
          break
        else
          j = j + 1
        end
      end
      out[#out + 1] = '""'
      i = j + 1
    else
      out[#out + 1] = c
      i = i + 1
    end
  end
  return table.concat(out)
end

local keywords = {}
for w in ("and break do else elseif end false for function goto if in " ..
    "local nil not or repeat return then true until while"):gmatch("%a+") do
  keywords[w] = true
end

-- The names the code assigns as globals: { {name, line}, ... }.
local function globals(code, locals)
  local found, seen, lineno = {}, {}, 0
  local function note(name)
    if not locals[name] and not allow[name] and not keywords[name] and
        not seen[name] then
      seen[name] = true
      found[#found + 1] = { name = name, line = lineno }
    end
  end
  for line in (code .. "\n"):gmatch("([^\n]*)\n") do
    lineno = lineno + 1
    for names in line:gmatch("local%s+([%w_,%s]+)") do
      for name in names:gmatch("[%a_][%w_]*") do
        locals[name] = true
      end
    end
    for params in line:gmatch("function[%w_.:%s]*%(([^)]*)%)") do
      for name in params:gmatch("[%a_][%w_]*") do
        locals[name] = true
      end
    end
    for vars in line:gmatch("for%s+([%w_,%s]-)%s+in[%s(]") do
      for name in vars:gmatch("[%a_][%w_]*") do
        locals[name] = true
      end
    end
    for name in line:gmatch("for%s+([%a_][%w_]*)%s*=") do
      locals[name] = true
    end
    local targets = line:match("^%s*([%a_][%w_]*%s*[,%w_%s]*)=[^=]")
    if targets and not line:match("^%s*local%s") then
      for name in targets:gmatch("[%a_][%w_]*") do
        note(name)
      end
    end
    local fname = line:match("^%s*function%s+([%a_][%w_]*)%s*%(")
    if fname then
      note(fname)
    end
  end
  return found
end

galley.on("after_run", function(ev)
  if not ev.source then
    return
  end
  local key = ev.session or "?"
  declared[key] = declared[key] or {}
  local found = globals(strip(ev.source), declared[key])
  for i, g in ipairs(found) do
    if i > 5 then
      galley.warn(("%d more globals"):format(#found - 5))
      break
    end
    galley.warn(("line %d: `%s` is assigned as a global; write " ..
      "`local %s` (a cell's locals stay visible to later cells)")
      :format(g.line, g.name, g.name))
  end
end)
