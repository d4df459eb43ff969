-- two_approvals: a publish policy. `galley lib publish` refuses a head
-- that no galley review approved; this plugin asks for more: N distinct
-- people (2 by default) whose latest verdict on a review of exactly the
-- head being published is "approve", none of them the publisher.
--
-- Enable it:  plugins = { enable = { "two_approvals" } }
-- Settings:   plugins = { two_approvals = { approvals = 3 } }

local need = galley.settings.approvals or 2

galley.on("before_publish", function(ev)
  local people = {}
  for _, a in ipairs(ev.approvals or {}) do
    if a.author ~= ev.author then
      people[a.author] = true
    end
  end
  local n = 0
  for _ in pairs(people) do
    n = n + 1
  end
  if n < need then
    return false, ("%s %s needs %d approvals of its head %s by people " ..
      "other than its author; it has %d"):format(ev.module, ev.version,
      need, (ev.head or ""):sub(1, 12), n)
  end
end)
