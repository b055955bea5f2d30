-- cert-manager Certificate: the Ready condition decides; while a new certificate is being
-- issued (Issuing=True) the resource is progressing even if an older one is still valid.
local function condition(kind)
  if obj.status == nil or obj.status.conditions == nil then return nil end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == kind then return c end
  end
  return nil
end

local issuing = condition("Issuing")
if issuing ~= nil and issuing.status == "True" then
  return { status = "Progressing", message = issuing.message or "Issuing certificate" }
end
local ready = condition("Ready")
if ready == nil then
  return { status = "Progressing", message = "Waiting for certificate" }
end
if ready.status == "True" then
  return { status = "Healthy", message = ready.message or "" }
end
return { status = "Degraded", message = ready.message or "Certificate is not ready" }
