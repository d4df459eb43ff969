-- %% [markdown] id="intro"
-- # A tour of galley
--
-- This notebook is plain Lua: `lua examples/tour.nb.lua` runs it too.
-- Each `-- %%` line starts a cell; markdown cells are stored as comments.
-- Run it headless with `galley run examples/tour.nb.lua -p n=20`.

-- %% id="params" tags=["parameters"]
local n = 10          -- how many Fibonacci numbers
local word = "galley" -- a word to count letters of

-- %% Fibonacci id="fib"
local function fib(k)
  local a, b = 0, 1
  for _ = 1, k do a, b = b, a + b end
  return a
end

local seq = {}
for i = 1, n do seq[#seq + 1] = fib(i) end
print("first " .. n .. " Fibonacci numbers:")
print(table.concat(seq, " "))

-- %% [markdown] id="letters-md"
-- Top-level locals carry over to later cells, as they would in the script.
-- A cell ending in an expression (a call stays valid Lua) shows its value,
-- as the Lua REPL does.

-- %% id="letters"
local counts = {}
for c in word:gmatch(".") do counts[c] = (counts[c] or 0) + 1 end
local keys = {}
for c in pairs(counts) do keys[#keys + 1] = c end
table.sort(keys)
for _, c in ipairs(keys) do print(c, counts[c]) end
string.format("%d distinct letters", #keys)

-- %% id="sum"
local total = 0
for _, v in ipairs(seq) do total = total + v end
string.format("total %d, mean %.1f", total, total / #seq)
