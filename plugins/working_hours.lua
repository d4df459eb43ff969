-- working_hours: a team policy. A cluster.map over N items (1000 by
-- default) is refused outside working hours (09:00 to 18:00, Monday to
-- Friday, the kernel's local time), when nobody is there to watch what
-- it costs. Smaller maps, and everything during working hours, run.
--
-- Enable it:  plugins = { enable = { "working_hours" } }
-- Settings:   plugins = { working_hours = {
--               max_items = 500, from = 8, to = 20,
--               days = { 2, 3, 4, 5, 6 },   -- os.date's wday: 1 = Sunday
--               now = function() return os.time() end,  -- the clock
--             } }

local s = galley.settings
local max_items = s.max_items or 1000
local from, to = s.from or 9, s.to or 18
local now = s.now or os.time
local days = {}
for _, d in ipairs(s.days or { 2, 3, 4, 5, 6 }) do
  days[d] = true
end

galley.on("before_run", function(ev)
  if ev.what ~= "map" or (ev.items or 0) <= max_items then
    return
  end
  local t = os.date("*t", now())
  if days[t.wday] and t.hour >= from and t.hour < to then
    return
  end
  return false, ("cluster.map over %d items (this one has %d) runs only " ..
    "in working hours, %02d:00 to %02d:00 on work days; it is %02d:%02d")
    :format(max_items, ev.items, from, to, t.hour, t.min)
end)
