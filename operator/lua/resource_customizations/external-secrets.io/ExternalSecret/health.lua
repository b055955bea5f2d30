-- External Secrets Operator ExternalSecret: Ready=True once the target Secret is written;
-- Ready=False with a sync error means the provider refused (wrong key, no access).
if obj.status == nil or obj.status.conditions == nil then
  return { status = "Progressing", message = "Waiting for the secret to be synced" }
end
for _, c in ipairs(obj.status.conditions) do
  if c.type == "Ready" then
    if c.status == "True" then
      return { status = "Healthy", message = c.message or "" }
    end
    if c.status == "False" then
      return { status = "Degraded", message = c.message or c.reason or "Secret could not be synced" }
    end
    return { status = "Progressing", message = c.message or "" }
  end
end
return { status = "Progressing", message = "Waiting for the secret to be synced" }
