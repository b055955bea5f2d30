-- External Secrets Operator ClusterSecretStore: Ready=True once the provider configuration was validated
-- (credentials reachable); Ready=False names what failed (InvalidProviderConfig, ValidationFailed).

if obj.status == nil or obj.status.conditions == nil then
  return { status = "Progressing", message = "Waiting for the store to be validated" }
end
for _, c in ipairs(obj.status.conditions) do
  if c.type == "Ready" then
    if c.status == "True" then return { status = "Healthy", message = c.message or "" } end
    if c.status == "False" then return { status = "Degraded", message = c.message or c.reason or "Store is not valid" } end
    return { status = "Progressing", message = c.message or "" }
  end
end
return { status = "Progressing", message = "Waiting for the store to be validated" }
