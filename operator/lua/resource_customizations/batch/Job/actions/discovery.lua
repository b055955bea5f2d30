-- A Job can be suspended while it runs (spec.suspend, Kubernetes 1.24+: its pods are removed and
-- its active deadline clock stops) and resumed while suspended. A finished Job (Complete or
-- Failed) offers neither: suspending it changes nothing.
local function finished()
  if obj.status == nil or obj.status.conditions == nil then return false end
  for _, c in ipairs(obj.status.conditions) do
    if (c.type == "Complete" or c.type == "Failed") and c.status == "True" then return true end
  end
  return false
end
local suspended = obj.spec ~= nil and obj.spec.suspend == true
local done = finished()
local actions = {}
actions["suspend"] = { disabled = suspended or done, iconClass = "fa fa-fw fa-pause", displayName = "Suspend Job" }
actions["resume"] = { disabled = not suspended or done, iconClass = "fa fa-fw fa-play", displayName = "Resume Job" }
return actions
