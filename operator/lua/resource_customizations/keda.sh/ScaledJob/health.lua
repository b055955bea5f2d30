-- KEDA ScaledJob: Ready says the job template and triggers are valid; Paused (the
-- autoscaling.keda.sh/paused annotation) is Suspended.

local byType = {}
for _, c in ipairs((obj.status and obj.status.conditions) or {}) do
  byType[c.type] = c
end
local paused, ready, fallback = byType["Paused"], byType["Ready"], byType["Fallback"]
if paused ~= nil and paused.status == "True" then
  return { status = "Suspended", message = paused.message or "Autoscaling is paused" }
end
if ready ~= nil and ready.status == "False" then
  return { status = "Degraded", message = ready.message or ready.reason or "Not ready" }
end
if fallback ~= nil and fallback.status == "True" then
  return { status = "Degraded", message = fallback.message or "Scalers are failing; fallback replicas are in use" }
end
if ready ~= nil and ready.status == "True" then
  return { status = "Healthy", message = ready.message or "" }
end
return { status = "Progressing", message = "Waiting for KEDA to validate the scalers" }
