-- usage_status: a status-line part with the cluster time you used today
-- ("cluster 1.5 h today"), from the kernel's usage records
-- (`galley usage --by user --since today`), asked for every 30 seconds.
--
-- Enable it:  plugins = { enable = { "usage_status" } }
-- Settings:   plugins = { usage_status = { user = "ann", every = 60 } }
--             user: whose usage (default $USER: on a team kernel, your
--             member name)

local settings = galley.settings

local function hours(h)
  local s = h * 3600
  if s < 60 then
    return ("%.0f s"):format(s)
  elseif s < 3600 then
    return ("%.1f min"):format(s / 60)
  end
  return ("%.1f h"):format(h)
end

galley.status{
  name = "usage",
  every = settings.every or 30,
  render = function()
    local t = os.date("*t")
    local midnight = os.time{ year = t.year, month = t.month, day = t.day,
      hour = 0 }
    local r = galley.kernel("usage.report",
      { by = "user", since = midnight * 1000 })
    if not r then
      return nil
    end
    local me = settings.user or os.getenv("USER")
    local cpu = 0
    for _, row in ipairs(r.rows or {}) do
      if row.key == me then
        cpu = row.cpu_hours or 0
      end
    end
    return "cluster " .. hours(cpu) .. " today"
  end,
}
