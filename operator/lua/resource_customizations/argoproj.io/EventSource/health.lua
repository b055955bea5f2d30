-- Argo Events EventSource: SourcesProvided and Deployed conditions, read as for a Sensor.

if obj.status == nil or obj.status.conditions == nil or #obj.status.conditions == 0 then
  return { status = "Progressing", message = "Waiting for the controller to reconcile" }
end
local deployed = false
for _, c in ipairs(obj.status.conditions) do
  if c.status == "False" then
    return { status = "Degraded", message = c.message or c.reason or (c.type .. " is False") }
  end
  if c.status ~= "True" then
    return { status = "Progressing", message = c.message or c.reason or "" }
  end
  if c.type == "Deployed" then deployed = true end
end
if not deployed then
  return { status = "Progressing", message = "Waiting to be deployed" }
end
return { status = "Healthy", message = "" }
