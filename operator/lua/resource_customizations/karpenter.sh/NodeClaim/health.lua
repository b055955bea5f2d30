-- Karpenter NodeClaim: a node's life from the cloud provider's launch (Launched) through joining
-- (Registered) and readiness (Initialized) to Ready. A failed launch (no capacity, a bad
-- instance profile) is Degraded; until Ready the first step not done yet is reported.
local byType = {}
for _, c in ipairs((obj.status and obj.status.conditions) or {}) do
  byType[c.type] = c
end
local launched = byType["Launched"]
if launched ~= nil and launched.status == "False" then
  return { status = "Degraded", message = launched.message or launched.reason or "Launch failed" }
end
local ready = byType["Ready"]
if ready ~= nil and ready.status == "True" then return { status = "Healthy", message = "" } end
for _, t in ipairs({ "Launched", "Registered", "Initialized" }) do
  local c = byType[t]
  if c == nil or c.status ~= "True" then
    return { status = "Progressing", message = "Waiting for the node to be " .. string.lower(t) }
  end
end
return { status = "Progressing", message = (ready and ready.message) or "Waiting for the node to be ready" }
