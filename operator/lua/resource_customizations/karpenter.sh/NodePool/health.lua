-- Karpenter NodePool: Ready sums up ValidationSucceeded and NodeClassReady; False names the
-- condition that failed (a missing or broken node class, say).

local byType = {}
for _, c in ipairs((obj.status and obj.status.conditions) or {}) do
  byType[c.type] = c
end
local ready = byType["Ready"]
if ready ~= nil and ready.status == "True" then return { status = "Healthy", message = "" } end
if ready ~= nil and ready.status == "False" then
  return { status = "Degraded", message = ready.message or ready.reason or "Not ready" }
end
return { status = "Progressing", message = (ready and ready.message) or "Waiting for Karpenter to validate it" }
